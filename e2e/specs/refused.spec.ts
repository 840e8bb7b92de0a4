// Refusals are shown where the user acted: a map over guest RAM is refused with EEXIST, inline,
// and the refusal is an event on the timeline.
import { expect, test } from '@playwright/test';
import { actionForm, BASE, createLab, labName } from './helpers';

test('a refused map shows EEXIST inline and on the timeline', async ({ page, request }) => {
  const lab = labName('refuse');
  await createLab(request, lab, 'shared', 'seed-story');
  await page.goto(`${BASE()}/labs/${lab}?sel=vm:VM1`);
  await expect(page.getByRole('region', { name: 'Details' })).toContainText('VM VM1');

  const map = await actionForm(page, 'Map');
  await map.getByLabel('IOVA').fill('0x0');
  await map.getByLabel('length').fill('0x1000');
  await map.getByRole('button', { name: 'Map' }).click();
  await expect(map.getByRole('alert')).toContainText('EEXIST');
  await expect(map.getByRole('alert')).toContainText('errno 17');
  await expect(page.getByRole('region', { name: 'Timeline' })).toContainText('EEXIST');

  // Copy as curl gives the same request for scripts.
  await map.getByRole('button', { name: 'Copy as curl' }).click();
  const curl = map.getByText(/^curl -sS -X POST/);
  await expect(curl).toContainText(`/api/v1/labs/${lab}/ioas/`);
  await expect(curl).toContainText('"iova":"0x0"');
});
