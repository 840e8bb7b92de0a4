// Contrast: primary buttons stay readable when hovered (a generic hover rule once made them 1.13:1), and
// the no-SNP badge reads at 4.5:1 or better, in both themes.
import { expect, type Locator, test } from '@playwright/test';
import { BASE, createLab, labName } from './helpers';

/** Contrast ratio of an element's text colour against its own or nearest painted background. */
async function contrast(el: Locator): Promise<number> {
  return el.evaluate((node) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r = 0, g = 0, b = 0]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let bg: number[] = [];
    for (let at: Element | null = node; at; at = at.parentElement) {
      const c = rgb(getComputedStyle(at).backgroundColor);
      if (c.length === 3 || (c.length === 4 && (c[3] ?? 0) > 0)) {
        bg = c;
        break;
      }
    }
    if (bg.length === 0) bg = [255, 255, 255];
    const a = lum(rgb(getComputedStyle(node).color));
    const b = lum(bg);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}

async function hovered(button: Locator): Promise<number> {
  await button.hover();
  // The hover style is in place once the background is no longer the resting one.
  await expect.poll(() => button.evaluate((b) => b.matches(':hover'))).toBe(true);
  return contrast(button);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`primary buttons keep their contrast when hovered (${scheme})`, async ({ page, request }) => {
    const lab = labName(`contrast-${scheme}`);
    await createLab(request, lab, 'shared', 'seed-story');
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${BASE()}/`);
    const create = page.getByRole('form', { name: 'Create lab' }).getByRole('button', { name: 'Create lab' });
    expect(await hovered(create)).toBeGreaterThanOrEqual(4.5);
    const fork = page.getByRole('button', { name: `Fork ${lab}` });
    expect(await hovered(fork)).toBeGreaterThanOrEqual(4.5);

    await page.goto(`${BASE()}/labs/${lab}`);
    const plug = page.getByRole('form', { name: 'Hot-plug' }).getByRole('button', { name: 'Hot-plug' });
    expect(await hovered(plug)).toBeGreaterThanOrEqual(4.5);
    const noSnp = page.getByRole('region', { name: 'Legend' }).getByText('no SNP', { exact: true });
    expect(await contrast(noSnp)).toBeGreaterThanOrEqual(4.5);

    await page.goto(`${BASE()}/labs/${lab}/explain?a=VM1&b=VM2`);
    const apply = page.getByRole('button', { name: /^Apply: / }).first();
    expect(await hovered(apply)).toBeGreaterThanOrEqual(4.5);
  });
}
