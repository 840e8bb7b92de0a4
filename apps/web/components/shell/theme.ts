// Theme choice: follows prefers-color-scheme until the user picks one; the pick is kept in localStorage.
// THEME_BOOT runs before paint so a stored choice never flashes the other theme.

export type Theme = 'light' | 'dark';
export const THEME_KEY = 'ioasid-lab.theme';

export const THEME_BOOT = `try{var t=localStorage.getItem('${THEME_KEY}');if(t==='light'||t==='dark')document.documentElement.dataset.theme=t}catch(e){}`;

export function currentTheme(): Theme {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === 'light' || chosen === 'dark') return chosen;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function setTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // storage may be disabled; the choice then lasts for this page only
  }
}
