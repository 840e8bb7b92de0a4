// "Import my host": a real 6.12 capture (packages/host/fixtures/vtd-sc-off, read by the snapshot script
// itself) uploaded with a libvirt domain and a QEMU command line, previewed, created and opened.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { BASE, labName, SCREENSHOTS, vmNode } from './helpers';

const root = join(import.meta.dirname, '..', '..');

function snapshotFile(fixture: string): string {
  const run = spawnSync(
    process.execPath,
    [join(root, 'packages/host/bin/snapshot.mjs'), '--root', join(root, 'packages/host/fixtures', fixture)],
    { encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  const file = join(mkdtempSync(join(tmpdir(), 'host-e2e-')), 'host.json');
  writeFileSync(file, run.stdout);
  return file;
}

const DOMAIN = `<domain type='kvm'>
  <name>guest1</name>
  <memory unit='GiB'>4</memory>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x00' slot='0x03' function='0x0'/></source>
    </hostdev>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x00' slot='0x02' function='0x0'/></source>
    </hostdev>
  </devices>
</domain>`;

test('a host snapshot and two VMs are previewed, created and opened as a lab', async ({ page }) => {
  const lab = labName('host');
  await page.goto(`${BASE()}/import`);
  await expect(page.getByRole('heading', { name: 'Import my host', level: 1 })).toBeVisible();
  await expect(page.getByText('npm run snapshot > host.json')).toBeVisible();
  await expect(
    page.getByText(`curl -sSO ${BASE()}/api/v1/host/snapshot.mjs && node snapshot.mjs > host.json`),
  ).toBeVisible();
  await expect(page.getByRole('button', { name: 'Copy snapshot command' })).toBeVisible();
  // The command fetches the very script the checkout has.
  const script = await page.request.get(`${BASE()}/api/v1/host/snapshot.mjs`);
  expect(await script.text()).toContain("export const SNAPSHOT_FORMAT = 'ioasid-lab/host-snapshot/v1';");

  await page.getByLabel('snapshot file').setInputFiles(snapshotFile('vtd-sc-off'));
  await expect(page.getByLabel('snapshot JSON')).toHaveValue(/ioasid-lab\/host-snapshot\/v1/);
  await page.getByLabel('lab name').fill(lab);
  await page.getByLabel('policy').selectOption('iommufd');
  // One VM from a file (virsh dumpxml guest1 > guest1.xml), one typed in.
  const xml = join(mkdtempSync(join(tmpdir(), 'host-e2e-')), 'guest1.xml');
  writeFileSync(xml, DOMAIN);
  await page.getByLabel('VM files').setInputFiles(xml);
  await expect(page.getByLabel('VM 1 source')).toHaveValue(DOMAIN);
  await page.getByRole('button', { name: 'Add a VM' }).click();
  await page
    .getByLabel('VM 2 source')
    .fill('qemu-system-x86_64 -name guest2 -m 2G -device vfio-pci,host=0000:00:1f.2');

  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview.getByRole('status')).toContainText('1 IOMMU unit, 5 groups, 7 devices, 2 VMs');
  await expect(preview.getByRole('status')).toContainText('kernel profile 6.12');
  const units = preview.getByRole('table', { name: 'IOMMU units' });
  await expect(units.getByRole('row', { name: /dmar0/ })).toContainText('cannot enforce');
  await expect(units).toContainText('ecap.SC[7] = 0');
  const groups = preview.getByRole('table', { name: 'IOMMU groups' });
  await expect(groups.getByRole('row')).toHaveCount(1 + 5);
  await expect(groups.getByRole('row', { name: /^4 / })).toContainText(
    '0000:00:1f.0, 0000:00:1f.2, 0000:00:1f.3',
  );
  await expect(groups).toContainText('direct-relaxable 0x0000000000000000–0x0000000000ffffff (not reserved)');
  await expect(preview.getByRole('table', { name: 'VMs' })).toContainText('0000-00-03.0 → 0000-00-02.0');
  await expect(preview.getByRole('list', { name: 'Skipped' })).toContainText('iommufd_selftest_iommu.0');
  await page.screenshot({ path: join(SCREENSHOTS, 'import-host-light.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(SCREENSHOTS, 'import-host-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // Every control the accessibility tree exposes has a name (as a11y.spec checks for the other views).
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
    nodes: { ignored: boolean; role?: { value: string }; name?: { value: string } }[];
  };
  const controls = nodes.filter(
    (n) => !n.ignored && ['button', 'textbox', 'combobox', 'link'].includes(n.role?.value ?? ''),
  );
  expect(controls.length).toBeGreaterThan(8);
  expect(controls.filter((n) => !(n.name?.value ?? '').trim()).map((n) => n.role?.value)).toEqual([]);

  await page.getByRole('button', { name: 'Create lab and open it' }).click();
  await expect(page).toHaveURL(new RegExp(`/labs/${lab}$`));
  // No snoop control on this host: both VMs emulate wbinvd.
  await expect(vmNode(page, 'guest1')).toHaveAccessibleName(/wbinvd on/i);
  await expect(vmNode(page, 'guest2')).toHaveAccessibleName(/wbinvd on/i);
});

test('a snapshot or a VM that cannot be read is refused with what is wrong, and nothing is created', async ({
  page,
  request,
}) => {
  const lab = labName('badhost');
  await page.goto(`${BASE()}/import`);
  await page.getByLabel('lab name').fill(lab);
  await page
    .getByLabel('snapshot JSON')
    .fill('{"format":"ioasid-lab/host-snapshot/v1","groups":[],"pciFunctions":[]}');
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('main').getByRole('alert')).toHaveText('EINVAL: snapshot.iommus is missing');

  await page.getByLabel('snapshot file').setInputFiles(snapshotFile('amd-vi'));
  await page.getByRole('button', { name: 'Add a VM' }).click();
  await page.getByLabel('VM 1 source').fill(DOMAIN.replace('</devices>', ''));
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('main').getByRole('alert')).toContainText('vms[0]: XML does not parse');
  await expect(page.getByRole('button', { name: 'Create lab and open it' })).toBeDisabled();

  // 00:02.0 is the AMD IOMMU's own function: it has no group, so it is not a lab device.
  await page.getByLabel('VM 1 source').fill(DOMAIN);
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('main').getByRole('alert')).toContainText('ENOENT: vms[0]: 0000:00:02.0');
  const response = await request.get(`${BASE()}/api/v1/labs/${lab}`);
  expect(response.status()).toBe(404);
});
