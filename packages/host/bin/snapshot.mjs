#!/usr/bin/env node
// ioasid-lab host snapshot: reads the parts of sysfs a host import needs and prints one JSON document.
//
//   node snapshot.mjs [--root DIR] > host.json
//
// Self-contained (Node 20+, no dependencies, no checkout needed): copy this one file to the host and run
// it as any user. It only reads; nothing is written. DIR (default /) is a sysfs root: the live system, or
// a captured tree in which symlinks are stored as one-line `NAME.link` files (the link's last path
// element) and directory listings as `devices.list`, with `uname-r` and `cmdline` at the top.
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { release } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SNAPSHOT_FORMAT = 'ioasid-lab/host-snapshot/v1';

/** Unit attribute folders the kernel's drivers create under /sys/class/iommu/<unit>/. */
const VENDOR_FOLDERS = [
  ['intel-iommu', 'intel-vtd', ['cap', 'ecap', 'version', 'address']],
  ['amd-iommu', 'amd-vi', ['cap', 'features']],
];

function readText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readTrimmed(path) {
  const text = readText(path);
  return text === null ? null : text.trim();
}

/** The last path element of a symlink: a live link, or a captured `NAME.link` file. */
function readLinkName(path) {
  const captured = readTrimmed(`${path}.link`);
  if (captured !== null) return captured || null;
  try {
    if (!lstatSync(path).isSymbolicLink()) return null;
    return basename(readlinkSync(path));
  } catch {
    return null;
  }
}

/** Entries of `dir/devices`: a captured `devices.list`, or the live directory. */
function listDevices(dir) {
  const captured = readText(join(dir, 'devices.list'));
  if (captured !== null)
    return captured
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  try {
    return readdirSync(join(dir, 'devices')).sort();
  } catch {
    return [];
  }
}

function listDir(dir) {
  try {
    return readdirSync(dir).sort(compareNatural);
  } catch {
    return [];
  }
}

function compareNatural(a, b) {
  return a.localeCompare(b, 'en', { numeric: true });
}

function isDirectory(path) {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** One line of /sys/kernel/iommu_groups/N/reserved_regions: "0x00000000fee00000 0x00000000feefffff msi". */
function parseRegion(line) {
  const [start, end, type] = line.trim().split(/\s+/);
  return { start, end, type };
}

function readUnit(sys, name, notes) {
  const dir = join(sys, 'class/iommu', name);
  const modalias = readTrimmed(join(dir, 'device/modalias'));
  if (name.startsWith('iommufd_selftest') || modalias === 'platform:iommufd_selftest_iommu') {
    return {
      ignored: {
        unit: name,
        reason: 'the iommufd selftest mock unit (CONFIG_IOMMUFD_TEST), not hardware',
      },
    };
  }
  const unit = { name, vendor: null, registers: {}, devices: listDevices(dir) };
  for (const [folder, vendor, attributes] of VENDOR_FOLDERS) {
    if (!isDirectory(join(dir, folder))) continue;
    unit.vendor = vendor;
    for (const attribute of attributes) {
      const value = readTrimmed(join(dir, folder, attribute));
      if (value !== null) unit.registers[attribute] = value;
      else notes.push(`${name}: ${folder}/${attribute} could not be read`);
    }
  }
  if (unit.vendor === null && name.startsWith('smmu3.')) {
    // arm-smmu-v3 registers no attributes; its coherency (ARM_SMMU_FEAT_COHERENCY) comes from firmware:
    // the device tree's dma-coherent property is visible, the ACPI IORT flag is not (root-only table).
    unit.vendor = 'arm-smmuv3';
    const ofNode = join(dir, 'device/of_node');
    unit.registers.dmaCoherent = existsSync(ofNode) ? existsSync(join(ofNode, 'dma-coherent')) : null;
  }
  if (unit.vendor === null) {
    const driver = readLinkName(join(dir, 'device/driver'));
    if (driver) unit.driver = driver;
  }
  return { unit };
}

function readGroup(sys, id) {
  const dir = join(sys, 'kernel/iommu_groups', id);
  const regions = readText(join(dir, 'reserved_regions'));
  return {
    id: Number(id),
    type: readTrimmed(join(dir, 'type')),
    devices: listDevices(dir),
    reservedRegions:
      regions === null
        ? null
        : regions
            .split('\n')
            .filter((line) => line.trim())
            .map(parseRegion),
  };
}

function readFunction(sys, bdf) {
  const dir = join(sys, 'bus/pci/devices', bdf);
  const group = readLinkName(join(dir, 'iommu_group'));
  return {
    bdf,
    vendor: readTrimmed(join(dir, 'vendor')),
    device: readTrimmed(join(dir, 'device')),
    class: readTrimmed(join(dir, 'class')),
    driver: readLinkName(join(dir, 'driver')),
    group: group === null || !/^\d+$/.test(group) ? null : Number(group),
    iommu: readLinkName(join(dir, 'iommu')),
  };
}

function readKernel(root, notes) {
  const captured = readTrimmed(join(root, 'uname-r')) ?? readTrimmed(join(root, 'proc/sys/kernel/osrelease'));
  if (captured) return captured;
  if (resolve(root) === '/') return release();
  notes.push(`no uname-r or proc/sys/kernel/osrelease under ${root}: kernel unknown`);
  return null;
}

/** Reads a sysfs root (live or captured) into the snapshot document. Never writes. */
export function readSnapshot(root = '/') {
  const sys = join(root, 'sys');
  if (!isDirectory(sys)) throw new Error(`${root} has no sys/ directory: not a sysfs root`);
  const notes = [];
  const iommus = [];
  const ignored = [];
  for (const name of listDir(join(sys, 'class/iommu'))) {
    const read = readUnit(sys, name, notes);
    if (read.ignored) ignored.push(read.ignored);
    else iommus.push(read.unit);
  }
  const groups = listDir(join(sys, 'kernel/iommu_groups'))
    .filter((id) => /^\d+$/.test(id))
    .map((id) => readGroup(sys, id));
  const pciFunctions = listDir(join(sys, 'bus/pci/devices')).map((bdf) => readFunction(sys, bdf));
  const cmdline = readTrimmed(join(root, 'cmdline')) ?? readTrimmed(join(root, 'proc/cmdline'));
  if (iommus.length === 0)
    notes.push('no IOMMU unit in sys/class/iommu (is the IOMMU enabled on this host?)');
  return {
    format: SNAPSHOT_FORMAT,
    capturedAt: new Date().toISOString(),
    kernel: readKernel(root, notes),
    cmdline,
    iommus,
    groups,
    pciFunctions,
    ignored,
    notes,
  };
}

function main(argv) {
  let root = '/';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--root' && argv[i + 1] !== undefined) root = argv[++i];
    else if (arg.startsWith('--root=')) root = arg.slice('--root='.length);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: node snapshot.mjs [--root DIR]   (prints the host snapshot as JSON)\n');
      return 0;
    } else {
      process.stderr.write(`snapshot: unknown argument ${arg} (usage: snapshot [--root DIR])\n`);
      return 2;
    }
  }
  try {
    process.stdout.write(`${JSON.stringify(readSnapshot(root), null, 2)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`snapshot: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
