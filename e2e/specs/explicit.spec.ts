// The explicit policy through the forms: allocate an enforcing page table, hot-plug A onto it, and see
// B (behind a unit without snoop control) refused with EINVAL where the hot-plug was asked.
import { expect, test } from '@playwright/test';
import { actionForm, BASE, createLab, labName, vmNode } from './helpers';

test('explicit: allocate an SNP table, attach A, B is refused with EINVAL inline', async ({
  page,
  request,
}) => {
  const lab = labName('explicit');
  await createLab(request, lab, 'explicit', 'seed');
  await page.goto(`${BASE()}/labs/${lab}`);

  const create = await actionForm(page, 'Create VM');
  await create.getByLabel('name', { exact: true }).fill('VM1');
  await create.getByRole('button', { name: 'Create VM' }).click();
  await expect(vmNode(page, 'VM1')).toBeVisible();

  const alloc = await actionForm(page, 'Allocate HWPT');
  await alloc.getByLabel('IOMMU').selectOption('iommu0');
  await alloc.getByLabel('enforce SNP').check();
  await alloc.getByRole('button', { name: 'Allocate HWPT' }).click();
  const table = page.getByRole('button', { name: /^HWPT (\d+) SNP, 0 devices/ });
  await expect(table).toBeVisible();
  const id = /HWPT (\d+)/.exec((await table.getAttribute('aria-label')) ?? '')?.[1] ?? '';

  const plugA = await actionForm(page, 'Hot-plug');
  await plugA.getByLabel('VM', { exact: true }).selectOption('VM1');
  await plugA.getByLabel('device').selectOption('A');
  await plugA.getByLabel('HWPT').selectOption(id);
  await plugA.getByRole('button', { name: 'Hot-plug' }).click();
  await expect(page.getByRole('button', { name: new RegExp(`^HWPT ${id} SNP, 1 devices`) })).toBeVisible();
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/^VM VM1 wbinvd off$/);

  const plugB = await actionForm(page, 'Hot-plug');
  await plugB.getByLabel('VM', { exact: true }).selectOption('VM1');
  await plugB.getByLabel('device').selectOption('B');
  await plugB.getByLabel('HWPT').selectOption(id);
  await plugB.getByRole('button', { name: 'Hot-plug' }).click();
  await expect(plugB.getByRole('alert')).toContainText('EINVAL');
  await expect(page.getByRole('button', { name: /^device B on iommu1$/ })).toBeVisible();
});
