// Page-table inspector on a table of 2,048 4 KiB leaves: totals and levels from the core, leaves paged
// from the API into a virtualised table that still scrolls to the last leaf.
import { expect, test } from '@playwright/test';
import { BASE, createLab, labName } from './helpers';

test('inspector pages 2,048 leaves into a virtualised table', async ({ page, request }) => {
  const lab = labName('leaves');
  await createLab(request, lab, 'iommufd', 'empty');
  const ops = [
    { op: 'iommu.add', name: 'small', vendor: 'intel-vtd', enforceCacheCoherency: true, pageSizes: [4096] },
    { op: 'device.add', name: 'nic', iommu: 'small', noSnoop: true },
    { op: 'vm.create', name: 'guest', memory: '0x800000', devices: ['nic'] },
  ];
  const response = await request.post(`${BASE()}/api/v1/labs/${lab}/batch`, { data: { ops, atomic: true } });
  expect(response.ok(), await response.text()).toBe(true);
  const state = (await (await request.get(`${BASE()}/api/v1/labs/${lab}/state`)).json()) as {
    hwpts: { id: number }[];
  };
  const id = state.hwpts[0]?.id;
  expect(id).toBeDefined();

  await page.goto(`${BASE()}/labs/${lab}/hwpts/${id}`);
  await expect(
    page.getByRole('heading', { name: new RegExp(`Page table: HWPT ${id}\\s*SNP`) }),
  ).toBeVisible();
  await expect(page.getByRole('region', { name: 'Totals' })).toContainText('2048 (2048 SNP, 0 without)');
  const table = page.getByRole('table', { name: 'Leaves' });
  await expect(table).toHaveAttribute('aria-rowcount', '1025');
  await expect(table).toContainText('0x0');
  // Only a window of rows is in the DOM.
  expect(await table.getByRole('row').count()).toBeLessThan(100);

  await page.getByRole('button', { name: /^More leaves/ }).click();
  await expect(table).toHaveAttribute('aria-rowcount', '2049');
  await expect(page.getByText('2048 leaves in range.')).toBeVisible();
  await table.evaluate((el) => {
    const box = el.parentElement;
    if (box) box.scrollTop = box.scrollHeight;
  });
  await expect(table.getByRole('cell', { name: '0x7ff000', exact: true })).toBeVisible();
});
