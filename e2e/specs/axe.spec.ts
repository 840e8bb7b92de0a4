// Accessibility checked by machine: axe-core on every view in both themes (and the lab as a list at
// 390 px) finds no serious or critical violation, and no view logs a console error.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { BASE, createLab, labName } from './helpers';

type View = [string, (page: Page) => Locator];

async function views(request: import('@playwright/test').APIRequestContext, lab: string): Promise<View[]> {
  const state = (await (await request.get(`${BASE()}/api/v1/labs/${lab}/state`)).json()) as {
    hwpts: { id: number }[];
  };
  return [
    ['/', (p) => p.getByRole('img', { name: /^Live topology of the seed lab/ })],
    [`/labs/${lab}?sel=vm:VM1`, (p) => p.getByRole('heading', { name: /^VM VM1/ })],
    [`/labs/${lab}?seq=3`, (p) => p.getByRole('status', { name: 'Viewing the past' })],
    [`/labs/${lab}/explain?a=VM1&b=VM2`, (p) => p.getByRole('heading', { name: 'First divergence' })],
    [`/labs/${lab}/explain?a=VM1&b=`, (p) => p.getByRole('region', { name: 'Latent hazards' })],
    [`/labs/${lab}/compare`, (p) => p.getByRole('region', { name: 'Policy shared' })],
    [
      `/labs/${lab}/events`,
      (p) =>
        p
          .getByRole('table', { name: 'Events' })
          .getByRole('cell', { name: /^vm\.create/ })
          .first(),
    ],
    [`/labs/${lab}/hwpts/${state.hwpts[0]?.id}`, (p) => p.getByRole('table', { name: 'Leaves' })],
  ];
}

async function serious(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id}: ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    );
}

for (const scheme of ['light', 'dark'] as const) {
  test(`axe finds nothing serious on any view (${scheme})`, async ({ page, request }) => {
    const lab = labName(`axe-${scheme}`);
    await createLab(request, lab, 'shared', 'seed-story');
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(`${page.url()}: ${m.text()}`));
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize({ width: 1440, height: 900 });
    for (const [path, ready] of await views(request, lab)) {
      await page.goto(`${BASE()}${path}`);
      await expect(ready(page)).toBeVisible();
      expect(await serious(page), `${path} (${scheme})`).toEqual([]);
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${BASE()}/labs/${lab}`);
    await expect(page.getByRole('group', { name: 'Lab topology (list)' })).toBeVisible();
    expect(await serious(page), `list view (${scheme})`).toEqual([]);
    expect(errors).toEqual([]);
  });
}
