// Narrow screens: at 390 px every view fits the width (no sideways scrolling), the topology is a list with
// the same badges and names, nothing logs NaN, and the inspector's axis labels stay readable.
import { expect, type Page, test } from '@playwright/test';
import { BASE, createLab, labName, vmNode } from './helpers';

async function noSidewaysScroll(page: Page) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(scroll, 'page scrolls sideways').toBeLessThanOrEqual(client);
}

test('at 390 px the lab is a list view, fits the width, and logs no NaN', async ({ page, request }) => {
  const lab = labName('narrow');
  await createLab(request, lab, 'shared', 'seed-story');
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(e.message));
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${BASE()}/labs/${lab}`);
  const list = page.getByRole('group', { name: 'Lab topology (list)' });
  await expect(list).toBeVisible();
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/wbinvd ON/);
  await expect(list.getByText('no SNP').first()).toBeVisible();
  await expect(list.getByRole('button', { name: /^IOMMU iommu0 .* SC$/ })).toBeVisible();
  await noSidewaysScroll(page);
  // Selecting from the list shows the details below it.
  await vmNode(page, 'VM1').click();
  await expect(page.getByRole('region', { name: 'Details' })).toContainText('VM VM1');
  await noSidewaysScroll(page);
  expect(logs.filter((l) => /NaN/.test(l))).toEqual([]);

  // Back to a wide window: the canvas returns, fitted (a real viewBox).
  await page.setViewportSize({ width: 1200, height: 800 });
  const svg = page.getByRole('group', { name: 'Lab topology', exact: true });
  await expect(svg).toBeVisible();
  await expect(svg).toHaveAttribute('viewBox', /^-?[\d.]+ -?[\d.]+ [\d.]+ [\d.]+$/);
  expect(logs.filter((l) => /NaN/.test(l))).toEqual([]);
});

test('at 390 px every other view fits the width', async ({ page, request }) => {
  const lab = labName('narrow-views');
  await createLab(request, lab, 'shared', 'seed-story');
  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of [
    '/',
    `/labs/${lab}/explain?a=VM1&b=VM2`,
    `/labs/${lab}/compare`,
    `/labs/${lab}/events`,
  ]) {
    await page.goto(`${BASE()}${path}`);
    await expect(page.getByRole('main')).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: /^Loading/ })).toHaveCount(0);
    await noSidewaysScroll(page);
  }
});

test('the inspector keeps its axis labels readable at 390 px', async ({ page, request }) => {
  const lab = labName('narrow-insp');
  await createLab(request, lab, 'shared', 'seed-story');
  const state = (await (await request.get(`${BASE()}/api/v1/labs/${lab}/state`)).json()) as {
    hwpts: { id: number }[];
  };
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${BASE()}/labs/${lab}/hwpts/${state.hwpts[0]?.id}`);
  const strip = page.getByRole('group', { name: /^IOVA space/ });
  await expect(strip).toBeVisible();
  const heights = await strip
    .locator('text')
    .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
  expect(heights.length).toBeGreaterThan(1);
  expect(Math.min(...heights)).toBeGreaterThanOrEqual(9);
  await noSidewaysScroll(page);
});
