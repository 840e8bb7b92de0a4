// The topology as an engineer reads it: the hazard badge of the iommufd ordering case, selecting a page
// table to see its facts and open its inspector, filters that dim everything else, arrow keys on the timeline.
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { BASE, createLab, labName, SCREENSHOTS, vmNode } from './helpers';

test('iommufd with VM1 booted {B, A}: after B leaves, VM1 shows HAZARD with wbinvd off', async ({
  page,
  request,
}) => {
  const lab = labName('hazard');
  await createLab(request, lab, 'iommufd', 'seed');
  const api = (path: string, data: unknown) => request.post(`${BASE()}/api/v1/labs/${lab}${path}`, { data });
  expect((await api('/vms', { name: 'VM1', devices: ['B', 'A'] })).ok()).toBe(true);
  await page.goto(`${BASE()}/labs/${lab}`);
  // A joined B's non-enforcing table: one table, two devices, no SNP.
  await expect(page.getByRole('button', { name: /^HWPT \d+ no SNP, 2 devices/ })).toBeVisible();
  // wbinvd is on while B is there; A sits on B's table, so unplugging B would leave a hazard: latent.
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/^VM VM1 wbinvd ON latent hazard$/);

  await request.delete(`${BASE()}/api/v1/labs/${lab}/vms/VM1/devices/B`);
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/^VM VM1 wbinvd off HAZARD$/);
  await expect(vmNode(page, 'VM1').getByText('HAZARD', { exact: true })).toBeVisible();
  await expect(vmNode(page, 'VM1')).toContainText(/A: no-snoop, HWPT \d+ no SNP/);
  await page.screenshot({ path: join(SCREENSHOTS, 'topology-hazard.png') });
  await page.getByLabel('hazards only').check();
  await expect(page.getByLabel('hazards only')).toBeChecked();

  await vmNode(page, 'VM1').click();
  await expect(page).toHaveURL(/sel=vm%3AVM1|sel=vm:VM1/);
  await expect(page.getByRole('region', { name: 'Details' })).toContainText('Coherency hazard');
});

test('selecting a page table shows its facts and opens its inspector', async ({ page, request }) => {
  const lab = labName('select');
  await createLab(request, lab, 'shared', 'seed-story');
  await page.goto(`${BASE()}/labs/${lab}`);
  const table = page.getByRole('button', { name: /^HWPT \d+ SNP, 1 devices/ });
  await table.click();
  const details = page.getByRole('region', { name: 'Details' });
  await expect(details).toContainText(/HWPT \d+\s*SNP/);
  await expect(details).toContainText('A2');
  await details.getByRole('link', { name: 'Open page-table inspector' }).click();
  await expect(page).toHaveURL(new RegExp(`/labs/${lab}/hwpts/\\d+`));
  await expect(page.getByRole('region', { name: 'Totals' })).toContainText('1G leaves');
  await expect(page.getByRole('table', { name: 'Leaves' })).toContainText('0x0');
  await expect(page.getByRole('table', { name: 'Leaves' })).toContainText('1G');
});

test('arrow keys step the timeline back and forth', async ({ page, request }) => {
  const lab = labName('keys');
  await createLab(request, lab, 'shared', 'seed-story');
  await page.goto(`${BASE()}/labs/${lab}`);
  await expect(vmNode(page, 'VM1')).toBeVisible();
  const live = Number(await page.getByLabel('Timeline scrubber').getAttribute('max'));
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByRole('status', { name: 'Viewing the past' })).toContainText(
    `viewing seq ${live - 1}`,
  );
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('status', { name: 'Viewing the past' })).toHaveCount(0);
});
