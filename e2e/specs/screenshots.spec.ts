// Screenshots of every view at 390, 768 and 1440 px in light and dark themes, saved under
// e2e/artifacts/screenshots/ as <view>-<width>-<theme>.png. Each view is asserted on something visible
// before its picture is taken, and no page scrolls sideways at any width.
import { join } from 'node:path';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { BASE, createLab, labName, SCREENSHOTS } from './helpers';

const WIDTHS = [390, 768, 1440] as const;

type Shot = [name: string, path: string, ready: (page: Page) => Locator];

function shots(lab: string, hwpt: number | undefined): Shot[] {
  return [
    ['labs', '/', (p) => p.getByRole('img', { name: /^Live topology of the seed lab/ })],
    [
      'topology',
      `/labs/${lab}?sel=vm:VM1`,
      (p) => p.getByRole('region', { name: 'Details' }).getByRole('heading', { name: /^VM VM1/ }),
    ],
    ['topology-past', `/labs/${lab}?seq=3`, (p) => p.getByRole('status', { name: 'Viewing the past' })],
    ['explain', `/labs/${lab}/explain?a=VM1&b=VM2`, (p) => p.getByRole('region', { name: 'Verdict' })],
    [
      'explain-one',
      `/labs/${lab}/explain?a=VM1&b=`,
      (p) => p.getByRole('region', { name: 'Latent hazards' }),
    ],
    ['compare', `/labs/${lab}/compare`, (p) => p.getByRole('region', { name: 'Policy type1' })],
    [
      'events',
      `/labs/${lab}/events`,
      (p) => p.getByRole('table', { name: 'Events' }).getByText('vm.create').first(),
    ],
    [
      'inspector',
      `/labs/${lab}/hwpts/${hwpt}`,
      (p) => p.getByRole('table', { name: 'Leaves' }).getByText('0x').first(),
    ],
  ];
}

for (const scheme of ['light', 'dark'] as const) {
  test(`every view at 390, 768 and 1440 px in the ${scheme} theme`, async ({ page, request }) => {
    test.setTimeout(120_000);
    const lab = labName(`shot-${scheme}`);
    await createLab(request, lab, 'shared', 'seed-story');
    const state = (await (await request.get(`${BASE()}/api/v1/labs/${lab}/state`)).json()) as {
      hwpts: { id: number }[];
    };
    expect(state.hwpts[0]?.id).toBeDefined();
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width < 700 ? 844 : 900 });
      for (const [name, path, ready] of shots(lab, state.hwpts[0]?.id)) {
        await page.goto(`${BASE()}${path}`);
        await expect(ready(page)).toBeVisible();
        const sideways = await page.evaluate(
          () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
        );
        expect(sideways, `${name} at ${width} px scrolls sideways`).toBe(false);
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}-${scheme}.png`) });
      }
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${BASE()}/labs/${lab}`);
    await expect(page.getByRole('button', { name: /^VM VM1 wbinvd/ })).toBeVisible();
    await page.keyboard.press('?');
    await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
    await page.screenshot({ path: join(SCREENSHOTS, `help-1440-${scheme}.png`) });
  });
}
