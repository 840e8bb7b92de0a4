// Explain works for one VM, and a latent hazard (VM1 booted [B, A] under iommufd: A on B's table while
// wbinvd is on) is flagged on the topology with its trigger; the HAZARD badge leads to the remedies.
import { expect, test } from '@playwright/test';
import { BASE, createLab, labName, vmNode } from './helpers';

test('one VM explained on its own', async ({ page, request }) => {
  const lab = labName('one');
  await createLab(request, lab, 'shared', 'seed-story');
  await page.goto(`${BASE()}/labs/${lab}/explain?a=VM1&b=`);
  await expect(page.getByLabel('VM B')).toHaveValue('');
  await expect(page.getByRole('region', { name: 'Verdict' })).toContainText('VM1 emulates wbinvd');
  await expect(page.getByRole('region', { name: 'Latent hazards' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Remedies' })).toBeVisible();
  // A lab with one VM explains it instead of asking for two.
  const single = labName('single');
  await createLab(request, single, 'iommufd', 'seed');
  await request.post(`${BASE()}/api/v1/labs/${single}/vms`, { data: { name: 'VM1', devices: ['A'] } });
  await page.goto(`${BASE()}/labs/${single}/explain`);
  await expect(page.getByRole('region', { name: 'Verdict' })).toContainText('VM1 does not emulate wbinvd');
  await expect(page.getByText('needs two VMs')).toHaveCount(0);
});

test('the latent hazard of VM1 booted [B, A] is badged with its trigger; HAZARD leads to remedies', async ({
  page,
  request,
}) => {
  const lab = labName('latent');
  await createLab(request, lab, 'iommufd', 'seed');
  await request.post(`${BASE()}/api/v1/labs/${lab}/vms`, { data: { name: 'VM1', devices: ['B', 'A'] } });
  await page.goto(`${BASE()}/labs/${lab}?sel=vm:VM1`);
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName('VM VM1 wbinvd ON latent hazard');
  await expect(vmNode(page, 'VM1')).toContainText('unplug B → hazard');
  await expect(page.getByRole('region', { name: 'Details' })).toContainText(
    /unplug B from VM1 → A on HWPT \d+/,
  );

  await request.delete(`${BASE()}/api/v1/labs/${lab}/vms/VM1/devices/B`);
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/^VM VM1 wbinvd off HAZARD/);
  await page.getByRole('region', { name: 'Details' }).getByRole('link', { name: 'HAZARD' }).click();
  await expect(page).toHaveURL(/\/explain\?a=VM1#remedies/);
  await expect(page.getByRole('region', { name: 'Remedies' }).getByRole('listitem').first()).toBeVisible();
});

test('explain shows the same inputs under every kernel profile, with the rule that differs', async ({
  page,
  request,
}) => {
  const lab = labName('kernels');
  const made = await request.post(`${BASE()}/api/v1/labs`, {
    data: { name: lab, policy: 'type1', kernel: '6.1', template: 'seed-story' },
  });
  expect(made.status(), await made.text()).toBe(201);
  await page.goto(`${BASE()}/labs/${lab}/explain?a=VM1&b=VM2`);
  await expect(page.getByRole('banner')).toContainText('kernel 6.1');
  const table = page.getByRole('table', { name: 'Kernel profiles' });
  await expect(table.getByRole('row', { name: /^6\.1 \(this lab\)/ })).toContainText('wbinvd ON');
  const today = table.getByRole('row', { name: /^6\.12/ });
  await expect(today).not.toContainText('wbinvd ON');
  await expect(today.getByRole('cell').last()).not.toBeEmpty();
});
