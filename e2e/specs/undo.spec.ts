// No dead ends: Apply asks first and can be undone; a lab can be reverted to a past seq and a template lab
// reset, each as new events (the history only grows).
import { expect, test } from '@playwright/test';
import { BASE, createLab, labName, vmNode } from './helpers';

async function eventCount(request: import('@playwright/test').APIRequestContext, lab: string) {
  const r = await request.get(`${BASE()}/api/v1/labs/${lab}`);
  return ((await r.json()) as { events: number }).events;
}

test('Apply asks first, and Undo reverts the remedy', async ({ page, request }) => {
  const lab = labName('undo');
  await createLab(request, lab, 'shared', 'seed-story');
  await page.goto(`${BASE()}/labs/${lab}/explain?a=VM1&b=VM2`);
  const verdict = page.getByRole('region', { name: 'Verdict' });
  await expect(verdict).toContainText('VM1 emulates wbinvd and VM2 does not');
  const remedy = page.getByRole('listitem', { name: /Remedy: .*replace/i }).first();

  await remedy.getByRole('button', { name: /^Apply/ }).click();
  const ask = page.getByRole('alertdialog', { name: /^Apply: / });
  await expect(ask).toContainText('Undo');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toHaveCount(0);
  expect(await eventCount(request, lab)).toBe(8);

  await remedy.getByRole('button', { name: /^Apply/ }).click();
  await page
    .getByRole('alertdialog', { name: /^Apply: / })
    .getByRole('button', { name: 'Apply' })
    .click();
  await expect(verdict).toContainText('VM1 and VM2 agree: neither emulates wbinvd');
  await page
    .getByRole('status', { name: 'Remedy applied' })
    .getByRole('button', { name: 'Undo: revert to seq 8' })
    .click();
  await expect(verdict).toContainText('VM1 emulates wbinvd and VM2 does not');
  // Nothing was rewritten: the replace and the revert are both in the history.
  expect(await eventCount(request, lab)).toBeGreaterThan(9);
});

test('revert to a past seq from the past bar, then reset the demo', async ({ page, request }) => {
  const lab = labName('revert');
  await createLab(request, lab, 'shared', 'seed-story');
  // seq 6 is VM1 booted with A and B; VM2 came at 7.
  await page.goto(`${BASE()}/labs/${lab}?seq=6`);
  await expect(page.getByRole('status', { name: 'Viewing the past' })).toContainText('viewing seq 6');
  await page.getByRole('button', { name: 'Revert to seq 6' }).click();
  const ask = page.getByRole('alertdialog', { name: 'Revert to seq 6?' });
  await expect(ask).toContainText('nothing in the history is removed');
  await ask.getByRole('button', { name: 'Revert to seq 6' }).click();
  await expect(page.getByRole('status', { name: 'Viewing the past' })).toHaveCount(0);
  await expect(vmNode(page, 'VM2')).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^HWPT \d+ no SNP, 2 devices/ })).toBeVisible();
  expect(await eventCount(request, lab)).toBeGreaterThan(8);

  await page.getByRole('button', { name: 'Reset the demo' }).click();
  await page
    .getByRole('alertdialog', { name: 'Reset the demo?' })
    .getByRole('button', { name: 'Reset the demo' })
    .click();
  await expect(vmNode(page, 'VM2')).toHaveAccessibleName(/^VM VM2 wbinvd off/);
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/^VM VM1 wbinvd ON/);
});

test('destroying and removing ask first, and say why when they cannot run', async ({ page, request }) => {
  const lab = labName('ask');
  await createLab(request, lab, 'shared', 'seed-story');
  await page.goto(`${BASE()}/labs/${lab}?sel=vm:VM1`);
  const details = page.getByRole('region', { name: 'Details' });
  await expect(details.getByRole('button', { name: 'Destroy VM' })).toBeDisabled();
  await expect(details).toContainText('Unplug its devices first (A)');
  await page.goto(`${BASE()}/labs/${lab}?sel=dev:B`);
  await page.getByRole('region', { name: 'Details' }).getByRole('button', { name: 'Remove device' }).click();
  const ask = page.getByRole('alertdialog', { name: 'Remove device?' });
  await expect(ask).toBeVisible();
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('button', { name: /^device B on iommu1/ })).toBeVisible();
});
