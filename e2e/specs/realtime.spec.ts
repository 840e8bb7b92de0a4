// Real time: two browser contexts on one lab; what one does, the other sees within a second, no reload.
// Both contexts keep their documents; the second sees the change through its WebSocket.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { actionForm, BASE, createLab, labName, vmNode } from './helpers';

test('an action in one browser appears in another within a second', async ({ browser, request }) => {
  const lab = labName('rt');
  await createLab(request, lab, 'shared', 'seed');
  const alice = await browser.newContext();
  const bob = await browser.newContext();
  try {
    const a = await alice.newPage();
    const b = await bob.newPage();
    await a.goto(`${BASE()}/labs/${lab}`);
    await b.goto(`${BASE()}/labs/${lab}`);
    await expect(a.getByRole('status', { name: 'Lab sequence' })).toContainText('live');
    await expect(b.getByRole('status', { name: 'Lab sequence' })).toContainText('live');
    await expect(vmNode(b, 'VM9')).toHaveCount(0);

    const form = await actionForm(a, 'Create VM');
    await form.getByLabel('name', { exact: true }).fill('VM9');
    await form.getByLabel('boot devices').fill('A2');
    const clicked = Date.now();
    await form.getByRole('button', { name: 'Create VM' }).click();

    // Latency is recorded as a figure above (the benchmark's business); the check only waits for the change.
    await expect(vmNode(b, 'VM9')).toBeVisible({ timeout: 10_000 });
    const latencyMs = Date.now() - clicked;
    await writeFile(
      join(import.meta.dirname, '..', 'artifacts', 'bench-realtime.json'),
      `${JSON.stringify({ clickToOtherBrowserMs: latencyMs }, null, 2)}\n`,
    );
    console.log('real time: click in one browser to visible in the other', latencyMs, 'ms');
    // What the event touched is marked as changed for about a second, then calms down.
    await expect(b.getByRole('button', { name: /^IOAS \d+, 1 area/ }).last()).toHaveAttribute(
      'data-changed',
      'true',
    );
    await expect(vmNode(b, 'VM9')).not.toHaveAttribute('data-changed', 'true', { timeout: 10_000 });
    await expect(b.getByRole('button', { name: /^device A2 on iommu0 in VM9/ })).toBeVisible();
    // The page was not reloaded: the other context still has the same document.
    expect(await b.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
  } finally {
    await alice.close();
    await bob.close();
  }
});
