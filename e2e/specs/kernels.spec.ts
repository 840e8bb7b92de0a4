// The answer depends on the kernel (docs/kernels.md): the seed story under type1 converges on 6.12 and
// diverges on 6.1. The lab shows its kernel, explain names the rule that differs, compare replays under
// every kernel profile, and a fork can move the lab to another kernel.
import { expect, test } from '@playwright/test';
import { BASE, labName, vmNode } from './helpers';

test('type1 seed story: explain and compare say which kernel keeps VM1 emulating wbinvd', async ({
  page,
  request,
}) => {
  const lab = labName('k612');
  const created = await request.post(`${BASE()}/api/v1/labs`, {
    data: { name: lab, policy: 'type1', kernel: '6.12', template: 'seed-story' },
  });
  expect(created.status(), await created.text()).toBe(201);

  await page.goto(`${BASE()}/labs/${lab}`);
  await expect(page.getByText('kernel 6.12').first()).toBeVisible();
  await expect(vmNode(page, 'VM1')).not.toHaveAccessibleName(/wbinvd ON/);

  await page.goto(`${BASE()}/labs/${lab}/explain?a=VM1&b=VM2`);
  const table = page.getByRole('table', { name: 'Kernel profiles' });
  const old = table.getByRole('row', { name: /^6\.1 / });
  await expect(old).toContainText('wbinvd ON');
  await expect(old).toContainText('vfio_file_enforced_coherent');
  await expect(table.getByRole('row', { name: /^6\.12 \(this lab\)/ })).not.toContainText('wbinvd ON');

  await page.goto(`${BASE()}/labs/${lab}/compare?policies=type1`);
  await page.getByRole('link', { name: 'Every kernel profile' }).click();
  await expect(page).toHaveURL(/kernels=6\.1,6\.6,6\.12/);
  const on61 = page.getByRole('region', { name: 'Policy type1 on 6.1', exact: true });
  await expect(on61.getByRole('row').filter({ hasText: 'VM1' })).toContainText('wbinvd ON');
  const on612 = page.getByRole('region', { name: 'Policy type1 on 6.12', exact: true });
  await expect(on612).toContainText('(this lab)');
  await expect(on612.getByRole('row').filter({ hasText: 'VM1' })).not.toContainText('wbinvd ON');
});

test('a fork moves the lab to another kernel and opens it', async ({ page, request }) => {
  const lab = labName('kfork');
  const created = await request.post(`${BASE()}/api/v1/labs`, {
    data: { name: lab, policy: 'type1', template: 'seed-story' },
  });
  expect(created.status()).toBe(201);
  await page.goto(`${BASE()}/`);
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: lab, exact: true }) });
  const form = row.getByRole('form', { name: `Fork ${lab}` });
  await form.getByLabel('fork as').fill(`${lab}-old`);
  await form.getByLabel('kernel').selectOption('6.1');
  await form.getByRole('button', { name: `Fork ${lab}` }).click();
  await expect(page).toHaveURL(new RegExp(`/labs/${lab}-old$`));
  await expect(page.getByText('kernel 6.1').first()).toBeVisible();
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/wbinvd ON/);
});
