'use client';
// Light/dark switch for the header; its accessible name says which theme a press selects.
// Until mounted it assumes the light theme, so server and client markup agree.
import { useEffect, useState } from 'react';
import { currentTheme, setTheme, type Theme } from './theme';

export function ThemeToggle() {
  const [theme, setLocal] = useState<Theme | null>(null);
  useEffect(() => setLocal(currentTheme()), []);
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      aria-label={`Switch to ${next} theme`}
      onClick={() => {
        setTheme(next);
        setLocal(next);
      }}
    >
      {theme === 'dark' ? '☀' : '☾'}
    </button>
  );
}
