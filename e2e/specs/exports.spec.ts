// Exports: the lab's JSON (which imports back as a new lab), the topology as SVG and as PNG — all parse.
// Each file is kept under e2e/artifacts/exports so a reviewer can open it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { BASE, createLab, labName, vmNode } from './helpers';

const EXPORTS = join(import.meta.dirname, '..', 'artifacts', 'exports');

/** Clicks an export button and keeps a copy of the file under e2e/artifacts/exports/. */
async function download(page: Page, button: string): Promise<{ name: string; path: string }> {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: button }).click(),
  ]);
  const path = join(EXPORTS, file.suggestedFilename());
  await file.saveAs(path);
  return { name: file.suggestedFilename(), path };
}

test('exports download files that parse, and the JSON imports as a new lab', async ({ page, request }) => {
  const lab = labName('exp');
  await createLab(request, lab, 'shared', 'seed-story');
  await page.goto(`${BASE()}/labs/${lab}`);
  await expect(vmNode(page, 'VM1')).toBeVisible();

  const json = await download(page, 'Export JSON');
  expect(json.name).toBe(`${lab}.json`);
  const exported = JSON.parse(await readFile(json.path, 'utf8')) as { format: string; ops: { op: string }[] };
  expect(exported.format).toBe('ioasid-lab/v1');
  expect(exported.ops.map((o) => o.op)).toContain('vm.create');

  const svg = await download(page, 'Export SVG');
  expect(svg.name).toBe(`${lab}-topology.svg`);
  const svgText = await readFile(svg.path, 'utf8');
  const parsed = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      root: doc.documentElement.nodeName,
      text: doc.documentElement.textContent ?? '',
    };
  }, svgText);
  expect(parsed.error).toBeNull();
  expect(parsed.root).toBe('svg');
  expect(parsed.text).toContain('VM1');
  expect(parsed.text).toContain('wbinvd ON');

  const png = await download(page, 'Export PNG');
  expect(png.name).toBe(`${lab}-topology.png`);
  const bytes = await readFile(png.path);
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.readUInt32BE(16)).toBeGreaterThan(100); // IHDR width
  expect(bytes.readUInt32BE(20)).toBeGreaterThan(100); // IHDR height

  // The JSON export imports back as a new lab with the same VMs.
  const copy = `${lab}-copy`;
  await page.goto(`${BASE()}/`);
  const form = page.getByRole('form', { name: 'Import lab' });
  await form.getByLabel('export file').setInputFiles(json.path);
  await form.getByLabel('name').fill(copy);
  await form.getByRole('button', { name: 'Import lab' }).click();
  // The import opens the new lab.
  await expect(page).toHaveURL(new RegExp(`/labs/${copy}$`));
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/wbinvd ON/);
});
