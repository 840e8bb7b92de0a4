// Page-table inspector: 2,048 4 KiB leaves paged into a virtualised table, and the IOVA strip that shows
// every mapped range of a 48-bit space (a high 4 MiB map included) with its leaf size, selectable by click.
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

test('inspector strip shows a high mapped range with its leaf size and selects it', async ({
  page,
  request,
}) => {
  const lab = labName('strip');
  await createLab(request, lab, 'iommufd', 'empty');
  const ops = [
    {
      op: 'iommu.add',
      name: 'wide',
      vendor: 'intel-vtd',
      enforceCacheCoherency: false,
      pageSizes: [4096, 2097152],
      iovaBits: 48,
    },
    { op: 'device.add', name: 'gpu', iommu: 'wide' },
    { op: 'vm.create', name: 'guest', memory: '0x800000', devices: ['gpu'] },
  ];
  const response = await request.post(`${BASE()}/api/v1/labs/${lab}/batch`, { data: { ops, atomic: true } });
  expect(response.ok(), await response.text()).toBe(true);
  const state = (await (await request.get(`${BASE()}/api/v1/labs/${lab}/state`)).json()) as {
    hwpts: { id: number; ioas: number }[];
  };
  const hwpt = state.hwpts[0];
  expect(hwpt).toBeDefined();

  await page.goto(`${BASE()}/labs/${lab}/hwpts/${hwpt?.id}`);
  const strip = page.getByRole('group', { name: /^IOVA space 0x0–0xffffffffffff \(48-bit/ });
  await expect(
    strip.getByRole('button', { name: /^Mapped 0x0–0x7fffff .*2M leaves, no SNP$/ }),
  ).toBeVisible();

  // A 4 MiB map near the top of the 48-bit space still gets a visible, named segment of its own.
  const mapped = await request.post(`${BASE()}/api/v1/labs/${lab}/ioas/${hwpt?.ioas}/map`, {
    data: { iova: '0x7f0000000000', length: '0x400000' },
  });
  expect(mapped.ok(), await mapped.text()).toBe(true);
  const high = strip.getByRole('button', {
    name: 'Mapped 0x7f0000000000–0x7f00003fffff (4 MiB): 2M leaves, no SNP',
  });
  await expect(high).toBeVisible();
  expect((await high.boundingBox())?.width ?? 0).toBeGreaterThan(20);

  await high.click();
  await expect(high).toHaveAttribute('aria-pressed', 'true');
  await expect(page).toHaveURL(/iova=0x7f0000000000/);
  const table = page.getByRole('table', { name: 'Leaves' });
  await expect(table).toHaveAttribute('aria-rowcount', '3');
  await expect(table.getByRole('cell', { name: '0x7f0000200000', exact: true })).toBeVisible();
});
