// Timeline: scrubbing shows the lab as it was (read-only), the bar leads back to live; deep link ?seq=N too.
// Also forks the lab at that past seq (the fork opens) and checks the fork holds only those events.
import { expect, test } from '@playwright/test';
import { actionForm, BASE, createLab, labName, vmNode } from './helpers';

test('scrubbing shows an earlier state, then returns to live', async ({ page, request }) => {
  const lab = labName('tl');
  await createLab(request, lab, 'shared', 'seed-story');
  await page.goto(`${BASE()}/labs/${lab}`);
  await expect(vmNode(page, 'VM1')).toBeVisible();
  await expect(vmNode(page, 'VM2')).toBeVisible();
  const scrubber = page.getByLabel('Timeline scrubber');
  const live = Number(await scrubber.getAttribute('max'));
  expect(live).toBeGreaterThan(3);

  // Back to before any VM existed: the hardware only.
  const events = (await (await request.get(`${BASE()}/api/v1/labs/${lab}/events`)).json()) as {
    events: { seq: number; op: string }[];
  };
  const firstVm = events.events.find((e) => e.op === 'vm.create');
  expect(firstVm).toBeDefined();
  const before = (firstVm?.seq ?? 1) - 1;
  await scrubber.fill(String(before));
  await expect(page.getByRole('status', { name: 'Viewing the past' })).toContainText(`viewing seq ${before}`);
  await expect(page).toHaveURL(new RegExp(`seq=${before}`));
  await expect(vmNode(page, 'VM1')).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^device A on iommu0$/ })).toBeVisible();
  const add = await actionForm(page, 'Add device');
  await expect(add.getByRole('button', { name: 'Add device' })).toBeDisabled();

  // Fork the lab as it was here: a new lab holding only these inputs.
  const fork = page.getByRole('form', { name: `Fork at seq ${before}` });
  await fork.getByRole('button', { name: `Fork at seq ${before}` }).click();
  // The fork opens; back in the history, the past view is still there.
  await expect(page).toHaveURL(new RegExp(`/labs/${lab}-at-${before}$`));
  await expect(page.getByRole('button', { name: /^device A on iommu0$/ })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('status', { name: 'Viewing the past' })).toContainText(`viewing seq ${before}`);
  const forked = await request.get(`${BASE()}/api/v1/labs/${lab}-at-${before}`);
  expect(forked.ok()).toBe(true);
  expect(((await forked.json()) as { events: number }).events).toBe(before);

  await page.getByRole('button', { name: 'Back to live' }).click();
  await expect(page.getByRole('status', { name: 'Viewing the past' })).toHaveCount(0);
  await expect(vmNode(page, 'VM1')).toBeVisible();
  await expect(page).not.toHaveURL(/seq=/);

  // The same past state from a deep link.
  await page.goto(`${BASE()}/labs/${lab}?seq=${before}`);
  await expect(page.getByRole('status', { name: 'Viewing the past' })).toContainText(`viewing seq ${before}`);
  await expect(vmNode(page, 'VM1')).toHaveCount(0);
  // The shortcut listens once the page has hydrated, which the server-rendered status can precede on a
  // busy machine: the keys are pressed again until the view is live (going live twice is going live).
  await expect(async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('l');
    await expect(vmNode(page, 'VM1')).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 10_000 });
  await expect(page.getByRole('status', { name: 'Viewing the past' })).toHaveCount(0);
});
