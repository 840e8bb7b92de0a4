// The edges of the dashboard: loading lines instead of blank views, a graph that does not jump on a live
// update, one refused count in Explain and Compare, a favicon, wall-clock times and whole error messages
// on the timeline, and exports that say what they show.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { BASE, createLab, labName, vmNode } from './helpers';

test('explain and compare say they are loading on a slow network', async ({ page, request }) => {
  const lab = labName('slow');
  await createLab(request, lab, 'shared', 'seed-story');
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route(/\/api\/v1\/labs\/[^/]+\/(explain\?|compare)/, async (route) => {
    await held;
    await route.continue();
  });
  await page.goto(`${BASE()}/labs/${lab}/explain?a=VM1&b=VM2`);
  await expect(page.getByRole('status').filter({ hasText: 'Explaining VM1 and VM2' })).toBeVisible();
  release();
  await expect(page.getByRole('region', { name: 'Verdict' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Explaining' })).toHaveCount(0);
  await page.unroute(/\/api\/v1\/labs\/[^/]+\/(explain\?|compare)/);

  let releaseCompare: () => void = () => undefined;
  const heldCompare = new Promise<void>((resolve) => {
    releaseCompare = resolve;
  });
  await page.route(/\/api\/v1\/labs\/[^/]+\/compare/, async (route) => {
    await heldCompare;
    await route.continue();
  });
  await page.goto(`${BASE()}/labs/${lab}/compare`);
  await expect(page.getByRole('status').filter({ hasText: 'Replaying' })).toBeVisible();
  releaseCompare();
  await expect(page.getByRole('region', { name: 'Policy shared' })).toBeVisible();
});

test('a live update that grows the graph does not move the nodes already there', async ({
  page,
  request,
}) => {
  const lab = labName('steady');
  await createLab(request, lab, 'shared', 'seed-story');
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${BASE()}/labs/${lab}`);
  const vm1 = vmNode(page, 'VM1');
  await expect(vm1).toBeVisible();
  const before = await vm1.boundingBox();
  await request.post(`${BASE()}/api/v1/labs/${lab}/devices`, { data: { name: 'C', iommu: 'iommu1' } });
  await request.post(`${BASE()}/api/v1/labs/${lab}/vms`, { data: { name: 'VM3', devices: ['C', 'B'] } });
  await expect(vmNode(page, 'VM3')).toBeVisible();
  const after = await vm1.boundingBox();
  expect(Math.abs((after?.y ?? 0) - (before?.y ?? 0))).toBeLessThan(1);
  expect(Math.abs((after?.x ?? 0) - (before?.x ?? 0))).toBeLessThan(1);
});

test('explain and compare give one refused count per policy', async ({ page, request }) => {
  const lab = labName('refusedcount');
  await createLab(request, lab, 'shared', 'seed-story');
  const state = (await (await request.get(`${BASE()}/api/v1/labs/${lab}/state`)).json()) as {
    vms: { name: string; ioas: number }[];
  };
  const ioas = state.vms[0]?.ioas;
  // Overlaps guest RAM at 0: refused with EEXIST, twice.
  for (let i = 0; i < 2; i++) {
    await request.post(`${BASE()}/api/v1/labs/${lab}/ioas/${ioas}/map`, { data: { iova: 0, length: 4096 } });
  }
  await page.goto(`${BASE()}/labs/${lab}/compare`);
  const shared = page.getByRole('region', { name: 'Policy shared' });
  await expect(shared).toContainText('2 refused');
  await page.goto(`${BASE()}/labs/${lab}/explain?a=VM1&b=VM2`);
  const row = page
    .getByRole('table', { name: 'Counterfactuals' })
    .getByRole('row', { name: /^shared \(this lab\)/ });
  await expect(row.getByRole('cell').last()).toHaveText('2');
});

test('favicon, wall-clock times and whole refusals on the timeline', async ({ page, request }) => {
  const lab = labName('tl-times');
  await createLab(request, lab, 'shared', 'seed-story');
  const icon = await request.get(`${BASE()}/icon.svg`);
  expect(icon.ok()).toBe(true);
  const state = (await (await request.get(`${BASE()}/api/v1/labs/${lab}/state`)).json()) as {
    vms: { ioas: number }[];
  };
  await request.post(`${BASE()}/api/v1/labs/${lab}/ioas/${state.vms[0]?.ioas}/map`, {
    data: { iova: 0, length: 4096 },
  });
  const failures: string[] = [];
  page.on('response', (r) => r.status() === 404 && failures.push(r.url()));
  await page.goto(`${BASE()}/labs/${lab}`);
  await expect(page.locator('link[rel="icon"]').first()).toHaveAttribute('href', /icon/);
  const timeline = page.getByRole('region', { name: 'Timeline' });
  const row = timeline.getByRole('row').filter({ hasText: 'EEXIST' });
  await expect(row.getByRole('cell').nth(1)).toHaveText(/^\d{2}:\d{2}:\d{2}$/);
  const cut = await row.locator('td.result').evaluate((td) => td.scrollWidth > td.clientWidth + 1);
  expect(cut).toBe(false);
  await expect(row).toContainText('overlaps');
  expect(failures).toEqual([]);
});

test('an exported SVG carries a caption and the legend', async ({ page, request }) => {
  const lab = labName('caption');
  await createLab(request, lab, 'shared', 'seed-story');
  await page.goto(`${BASE()}/labs/${lab}`);
  await expect(vmNode(page, 'VM1')).toBeVisible();
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export SVG' }).click(),
  ]);
  const path = join(import.meta.dirname, '..', 'artifacts', 'exports', `caption-${file.suggestedFilename()}`);
  await file.saveAs(path);
  const text = await readFile(path, 'utf8');
  expect(text).toContain(`lab ${lab} · policy shared · kernel 6.12 · seq 8`);
  expect(text).toContain('wbinvd ON: costs speed');
  expect(text).toContain("device on another unit's table");
});

test('the events view says who made each change', async ({ page, request }) => {
  const lab = labName('who');
  await createLab(request, lab, 'shared', 'seed-story');
  await request.post(`${BASE()}/api/v1/labs/${lab}/vms/VM2/devices`, {
    data: { device: 'B' },
    headers: { 'x-lab-client': 'notebook-7' },
  });
  await page.goto(`${BASE()}/labs/${lab}?sel=vm:VM2`);
  const unplug = page.getByRole('form', { name: 'Unplug' });
  await page.getByLabel('Action', { exact: true }).selectOption('Unplug');
  await unplug.getByLabel('device').selectOption('B');
  await unplug.getByRole('button', { name: 'Unplug' }).click();
  await expect(unplug.getByRole('status')).toContainText('done');
  await page.goto(`${BASE()}/labs/${lab}/events`);
  const table = page.getByRole('table', { name: 'Events' });
  await expect(table.getByRole('row').filter({ hasText: 'vm.attach' })).toContainText('notebook-7');
  await expect(table.getByRole('row').filter({ hasText: 'vm.detach vm=VM2' })).toContainText('web');
  await expect(table.getByRole('row').filter({ hasText: 'iommu.add name=iommu0' })).toContainText('template');
});
