// Every abbreviation is explained: the legend, each node's hover card (PCI group included), each edge's
// card, and the dotted edge of a device on another unit's table. Search + Enter finds every kind of object,
// tables and address spaces included, and dims edges along with nodes.
import { expect, test } from '@playwright/test';
import { BASE, createLab, labName } from './helpers';

test('legend, hover cards and the other-unit edge explain the picture', async ({ page, request }) => {
  const lab = labName('legend');
  await createLab(request, lab, 'shared', 'seed');
  await request.post(`${BASE()}/api/v1/labs/${lab}/vms`, { data: { name: 'VM1', devices: ['A', 'B'] } });
  await page.goto(`${BASE()}/labs/${lab}`);
  const legend = page.getByRole('region', { name: 'Legend' });
  for (const words of [
    'snoop control',
    'no-snoop DMA',
    'non-coherent DMA count',
    'page size × count',
    "another unit's table",
  ]) {
    await expect(legend).toContainText(words);
  }
  const deviceA = page.getByRole('button', { name: /^device A on iommu0/ });
  await expect(deviceA.locator('title')).toContainText(/PCI group \d+/);
  await expect(deviceA.locator('title')).toContainText('NS: can issue no-snoop DMA');
  const unit = page.getByRole('button', { name: /^IOMMU iommu0/ });
  await expect(unit.locator('title')).toContainText('SC: snoop control');
  // B (iommu1) shares A's table on iommu0: its edge is dotted and its card says so.
  await expect(page.locator('svg path.edge.cross')).toHaveCount(1);
  await expect(page.getByRole('button', { name: /^device B on iommu1/ }).locator('title')).toContainText(
    'its table belongs to iommu0, another unit',
  );
  const edgeCards = await page.locator('svg path.edge-hit title').allTextContents();
  expect(edgeCards.some((t) => /device B → HWPT \d+: .*another unit's table/.test(t))).toBe(true);
  expect(edgeCards.some((t) => /IOAS \d+ → VM VM1: IOAS of the VM/.test(t))).toBe(true);
});

test('search + Enter selects tables and address spaces; search dims edges too', async ({ page, request }) => {
  const lab = labName('search');
  await createLab(request, lab, 'shared', 'seed-story');
  const state = (await (await request.get(`${BASE()}/api/v1/labs/${lab}/state`)).json()) as {
    hwpts: { id: number }[];
    ioas: { id: number }[];
  };
  const hwpt = state.hwpts[1]?.id;
  const ioas = state.ioas[0]?.id;
  await page.goto(`${BASE()}/labs/${lab}`);
  const search = page.getByRole('searchbox', { name: 'Search objects' });
  await search.fill(`hwpt ${hwpt}`);
  await search.press('Enter');
  await expect(page).toHaveURL(new RegExp(`sel=hwpt(%3A|:)${hwpt}`));
  await expect(
    page.getByRole('region', { name: 'Details' }).getByRole('heading', { name: new RegExp(`^HWPT ${hwpt}`) }),
  ).toBeVisible();
  await expect(page.locator('svg path.edge.dim').first()).toBeAttached();

  await search.fill(`ioas ${ioas}`);
  await search.press('Enter');
  await expect(page).toHaveURL(new RegExp(`sel=ioas(%3A|:)${ioas}`));
  await expect(
    page.getByRole('region', { name: 'Details' }).getByRole('heading', { name: `IOAS ${ioas}` }),
  ).toBeVisible();
  await search.fill('');
  await expect(page.locator('svg path.edge.dim')).toHaveCount(0);
});
