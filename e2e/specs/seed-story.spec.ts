// The seed story under `shared`, driven through the browser only: build it, see VM1 keep wbinvd,
// ask Explain why (B's attach), apply the replace remedy and see VM1 turn wbinvd off.
import { expect, test } from '@playwright/test';
import { actionForm, BASE, labName, vmNode } from './helpers';

test('seed story: VM1 keeps wbinvd after B leaves, explain names B, the replace remedy fixes it', async ({
  page,
}) => {
  const lab = labName('story');
  await page.goto(`${BASE()}/`);

  const create = page.getByRole('form', { name: 'Create lab' });
  await create.getByLabel('name', { exact: true }).fill(lab);
  await create.getByLabel('policy').selectOption('shared');
  await create.getByLabel('template').selectOption('seed');
  await create.getByRole('button', { name: 'Create lab' }).click();
  // Creating opens the new lab.
  await expect(page).toHaveURL(new RegExp(`/labs/${lab}$`));

  // The seed's hardware: two units (one with snoop control), A and A2 on iommu0, B on iommu1.
  await expect(page.getByRole('button', { name: /^IOMMU iommu0 intel-vtd SC/ })).toBeVisible();
  await expect(page.getByRole('button', { name: /^IOMMU iommu1 intel-vtd no SC/ })).toBeVisible();
  for (const device of ['A', 'A2', 'B']) {
    await expect(page.getByRole('button', { name: new RegExp(`^device ${device} on`) })).toBeVisible();
  }

  // Boot VM1 with A and B, VM2 with A2.
  for (const [vm, devices] of [
    ['VM1', 'A, B'],
    ['VM2', 'A2'],
  ] as const) {
    const form = await actionForm(page, 'Create VM');
    await form.getByLabel('name', { exact: true }).fill(vm);
    await form.getByLabel('boot devices').fill(devices);
    await form.getByRole('button', { name: 'Create VM' }).click();
    await expect(vmNode(page, vm)).toBeVisible();
  }
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/wbinvd ON/);
  // Under `shared` A and B share one table, which cannot set SNP.
  await expect(page.getByRole('button', { name: /^HWPT \d+ no SNP, 2 devices/ })).toBeVisible();

  // Hot-unplug B from VM1.
  const unplug = await actionForm(page, 'Unplug');
  await unplug.getByLabel('VM', { exact: true }).selectOption('VM1');
  await unplug.getByLabel('device').selectOption('B');
  await unplug.getByRole('button', { name: 'Unplug' }).click();
  await expect(page.getByRole('button', { name: /^device B on iommu1$/ })).toBeVisible();

  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/^VM VM1 wbinvd ON/);
  await expect(vmNode(page, 'VM2')).toHaveAccessibleName(/^VM VM2 wbinvd off/);
  await expect(vmNode(page, 'VM1').getByText('wbinvd ON', { exact: true })).toBeVisible();

  // Explain: the first divergence is B's attach to VM1.
  await page.getByRole('navigation', { name: 'Lab views' }).getByRole('link', { name: 'Explain' }).click();
  await expect(page).toHaveTitle(`${lab} · explain — ioasid-lab`);
  await expect(page.getByLabel('VM A')).toHaveValue('VM1');
  await expect(page.getByLabel('VM B')).toHaveValue('VM2');
  await expect(page.getByRole('region', { name: 'Verdict' })).toContainText(
    'VM1 emulates wbinvd and VM2 does not',
  );
  const first = page.getByRole('region', { name: 'First divergence' });
  await expect(first).toContainText(/device[= ]B\b|\bB\b/);
  await expect(first).toContainText(/attach|vm\.create/);

  // Apply the replace remedy; VM1 turns wbinvd off and the two VMs agree.
  const remedy = page.getByRole('listitem', { name: /Remedy: .*replace/i }).first();
  await expect(remedy).toBeVisible();
  await remedy.getByRole('button', { name: /^Apply/ }).click();
  await page
    .getByRole('alertdialog', { name: /^Apply: .*replace/i })
    .getByRole('button', { name: 'Apply' })
    .click();
  await expect(page.getByRole('region', { name: 'Verdict' })).toContainText(
    'VM1 and VM2 agree: neither emulates wbinvd',
  );

  await page.getByRole('navigation', { name: 'Lab views' }).getByRole('link', { name: 'Topology' }).click();
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/^VM VM1 wbinvd off/);
  await expect(vmNode(page, 'VM1').getByText('wbinvd off', { exact: true })).toBeVisible();
});
