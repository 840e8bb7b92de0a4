// Writes conformance/scenarios/**.jsonl: the scenarios recorded on real kernels and replayed through the
// core. Each is a header line and one op a line in the lab's batch-op vocabulary (docs/api.md), plus the
// replay-only ops ioas.ranges and device.info. References: "$VM1" is VM1's IOAS, "$h1" the first HWPT the
// scenario met. The machine (QEMU q35, one emulated VT-d unit, aw-bits 39) has nic0 and nic1 (e1000e on
// the root bus, a group each) and nic2, nic3 (e1000 behind a PCIe-to-PCI bridge, one group).
// Usage: npx tsx conformance/scripts/scenarios.ts   (rewrites the directory; the recordings name each
// scenario's hash, so a changed scenario must be recorded again)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

type Op = Record<string, unknown> & { op: string };
type Machine = 'vtd-sc' | 'vtd-nosc';
interface Spec {
  name: string;
  family: string;
  title: string;
  policy?: 'iommufd' | 'type1';
  machine?: Machine;
  kernels?: string[];
  needs?: string[];
  ops: Op[];
}

const root = join(import.meta.dirname, '..', 'scenarios');
const PAGE = 0x1000;
const U64_MAX = '0xffffffffffffffff';
const RAM = 0x10000;
const hex = (n: number | bigint) => `0x${n.toString(16)}`;

function hardware(machine: Machine): Op[] {
  return [
    {
      op: 'iommu.add',
      name: 'vtd',
      vendor: 'intel-vtd',
      enforceCacheCoherency: machine === 'vtd-sc',
      iovaBits: 39,
      pageSizes: [4096, 2097152, 1073741824],
    },
    { op: 'device.add', name: 'nic0', iommu: 'vtd', group: 1, noSnoop: true },
    { op: 'device.add', name: 'nic1', iommu: 'vtd', group: 2, noSnoop: true },
    { op: 'device.add', name: 'nic2', iommu: 'vtd', group: 3, noSnoop: true },
    { op: 'device.add', name: 'nic3', iommu: 'vtd', group: 3, noSnoop: true },
  ];
}

// Op builders.
const vm = (name = 'VM1', devices: string[] = [], memory = RAM): Op => ({
  op: 'vm.create',
  name,
  memory,
  ...(devices.length ? { devices } : {}),
});
const attach = (device: string, vmName = 'VM1', hwpt?: string | number): Op => ({
  op: 'vm.attach',
  vm: vmName,
  device,
  ...(hwpt !== undefined ? { hwpt } : {}),
});
const detach = (device: string, vmName = 'VM1'): Op => ({ op: 'vm.detach', vm: vmName, device });
const map = (iova: number | bigint | string, length: number | bigint | string, extra: object = {}): Op => ({
  op: 'ioas.map',
  ioas: '$VM1',
  iova: typeof iova === 'string' ? iova : hex(iova),
  length: typeof length === 'string' ? length : hex(length),
  ...extra,
});
const unmap = (iova: number | bigint | string, length: number | bigint | string, extra: object = {}): Op => ({
  op: 'ioas.unmap',
  ioas: '$VM1',
  iova: typeof iova === 'string' ? iova : hex(iova),
  length: typeof length === 'string' ? length : hex(length),
  ...extra,
});
const unmapAll = (ioas = '$VM1'): Op => ({ op: 'ioas.unmap', ioas, iova: 0, length: U64_MAX });
const ranges = (ioas = '$VM1'): Op => ({ op: 'ioas.ranges', ioas });
const copy = (iova: number, srcIova: number, length: number, extra: object = {}): Op => ({
  op: 'ioas.copy',
  ioas: '$VM1',
  iova: hex(iova),
  srcIoas: '$VM1',
  srcIova: hex(srcIova),
  length: hex(length),
  ...extra,
});
const allow = (list: [number | bigint, number | bigint][], extra: object = {}): Op => ({
  op: 'ioas.allow',
  ioas: '$VM1',
  ranges: list.map(([start, last]) => ({ start: hex(start), last: hex(last) })),
  ...extra,
});
const hwptAlloc = (extra: object = {}): Op => ({ op: 'hwpt.alloc', ioas: '$VM1', iommu: 'vtd', ...extra });
const hwptDestroy = (hwpt: string | number): Op => ({ op: 'hwpt.destroy', hwpt });
const replace = (device: string, hwpt: string | number, vmName = 'VM1'): Op => ({
  op: 'device.replace',
  vm: vmName,
  device,
  hwpt,
});
const info = (device: string): Op => ({ op: 'device.info', device });
const vmDestroy = (name = 'VM1'): Op => ({ op: 'vm.destroy', vm: name });

const specs: Spec[] = [];
const add = (spec: Spec) => specs.push(spec);
const APERTURE = 1n << 39n;

// ---- hardware ----
for (const machine of ['vtd-sc', 'vtd-nosc'] as const) {
  add({
    name: `hardware/unit-${machine}`,
    family: 'hardware',
    title: `what the ${machine} machine's VT-d unit reports matches the lab's description`,
    machine,
    ops: [vm(), ranges(), attach('nic0'), info('nic0'), ranges()],
  });
}

// ---- map ----
add({
  name: 'map/overlap-eexist',
  family: 'map',
  title: 'a map overlapping an existing area is EEXIST',
  ops: [vm(), map(0x100000, 0x4000), map(0x101000, 0x2000), map(0x103000, 0x2000), map(0xff000, 0x2000)],
});
add({
  name: 'map/adjacent-ok',
  family: 'map',
  title: 'areas that touch but do not overlap are accepted',
  ops: [vm(), map(0x100000, 0x2000), map(0x102000, 0x2000), map(0xfe000, 0x2000), unmap(0xfe000, 0x6000)],
});
add({
  name: 'map/msi-window-attached-einval',
  family: 'map',
  title: 'with a domain attached, a map in the MSI window is EINVAL',
  ops: [vm(), attach('nic0'), map(0xfee00000, PAGE), map(0xfeeff000, PAGE), map(0xfed00000, 0x200000)],
});
add({
  name: 'map/aperture-einval',
  family: 'map',
  title: 'with a domain attached, a map past the 39-bit aperture is EINVAL; the last page is fine',
  ops: [
    vm(),
    attach('nic0'),
    map(APERTURE, PAGE),
    map(APERTURE - 0x1000n, 0x2000),
    map(APERTURE - 0x1000n, PAGE),
  ],
});
add({
  name: 'map/misaligned-iova-einval',
  family: 'map',
  title: 'with a domain attached, an IOVA not aligned to 4 KiB is EINVAL',
  ops: [vm(), attach('nic0'), map(0x10000800, PAGE), map(0x10000001, PAGE)],
});
add({
  name: 'map/misaligned-length-einval',
  family: 'map',
  title: 'with a domain attached, a length not a multiple of 4 KiB is EINVAL',
  ops: [vm(), attach('nic0'), map(0x10000000, 0x800), map(0x10000000, 0x1800)],
});
add({
  name: 'map/length-zero-einval',
  family: 'map',
  title: 'a map of length 0 is EINVAL, with or without a domain',
  ops: [vm(), map(0x100000, 0), attach('nic0'), map(0x100000, 0)],
});
add({
  name: 'map/no-access-einval',
  family: 'map',
  title: 'a map neither readable nor writable is EINVAL',
  ops: [vm(), map(0x100000, PAGE, { read: false, write: false })],
});
add({
  name: 'map/read-only-write-only',
  family: 'map',
  title: 'read-only and write-only maps are accepted',
  ops: [
    vm(),
    attach('nic0'),
    map(0x100000, PAGE, { write: false }),
    map(0x200000, PAGE, { read: false }),
    unmapAll(),
  ],
});
add({
  name: 'map/wrap-eoverflow',
  family: 'map',
  title: 'iova + length wrapping past 2^64 is EOVERFLOW',
  ops: [vm(), map('0xfffffffffffff000', 0x2000), map(0x100000, U64_MAX)],
});
add({
  name: 'map/top-page-no-domain',
  family: 'map',
  title: 'with no domain the last page below 2^64 is mappable',
  ops: [vm(), map('0xfffffffffffff000', PAGE), unmap('0xfffffffffffff000', PAGE)],
});
add({
  name: 'map/unknown-ioas-enoent',
  family: 'map',
  title: 'a map into an IOAS that does not exist is ENOENT',
  ops: [vm(), { ...map(0x100000, PAGE), ioas: 9999 }],
});
add({
  name: 'map/before-domain-msi-then-attach-eaddrinuse',
  family: 'map',
  title: 'before any domain the MSI window is mappable; the attach that would reserve it is EADDRINUSE',
  ops: [vm(), map(0xfee00000, PAGE), ranges(), attach('nic0'), unmap(0xfee00000, PAGE), attach('nic0')],
});
add({
  name: 'map/before-domain-misaligned-then-attach-eaddrinuse',
  family: 'map',
  title: 'before any domain a sub-page IOVA is mappable; the attach that needs 4 KiB alignment is EADDRINUSE',
  ops: [vm(), map(0x10000800, PAGE), attach('nic0'), unmapAll(), attach('nic0'), ranges()],
});
add({
  name: 'map/before-domain-past-aperture-then-attach-eaddrinuse',
  family: 'map',
  title: 'an area past the aperture mapped before any domain makes the attach EADDRINUSE',
  ops: [vm(), map(1n << 40n, PAGE), attach('nic0'), hwptAlloc()],
});
add({
  name: 'map/large-aligned-with-domain',
  family: 'map',
  title: '2 MiB-aligned 2 MiB areas map and unmap with a domain attached',
  ops: [
    vm(),
    attach('nic0'),
    map(0x40000000, 0x200000),
    map(0x40200000, 0x200000),
    unmap(0x40000000, 0x400000),
  ],
});
add({
  name: 'map/after-detach-no-constraints',
  family: 'map',
  title: 'after the last device leaves, the MSI window and sub-page IOVAs are mappable again',
  ops: [
    vm(),
    attach('nic0'),
    map(0xfee00000, PAGE),
    detach('nic0'),
    map(0xfee00000, PAGE),
    map(0x10000800, PAGE),
  ],
});

// ---- unmap ----
add({
  name: 'unmap/nothing-enoent',
  family: 'unmap',
  title: 'an unmap where nothing is mapped is ENOENT',
  ops: [vm(), unmap(0x100000, PAGE), unmap(0x20000, 0x10000)],
});
add({
  name: 'unmap/empty-ioas',
  family: 'unmap',
  title: 'unmap-all succeeds on an empty IOAS; a plain unmap there is ENOENT',
  ops: [vm(), unmapAll(), unmapAll(), unmap(0, PAGE)],
});
add({
  name: 'unmap/cut-area-enoent',
  family: 'unmap',
  title: 'an unmap covering part of an area is ENOENT and removes nothing',
  ops: [vm(), map(0x100000, 0x4000), unmap(0x101000, PAGE), unmap(0x100000, 0x2000), unmap(0x100000, 0x4000)],
});
add({
  name: 'unmap/cut-after-whole-enoent',
  family: 'unmap',
  title: 'an unmap covering one whole area and cutting the next is ENOENT and removes neither',
  ops: [vm(), map(0x100000, PAGE), map(0x200000, 0x4000), unmap(0x100000, 0x102000), unmap(0x100000, PAGE)],
});
add({
  name: 'unmap/cut-before-whole-enoent',
  family: 'unmap',
  title: 'an unmap cutting its first area and covering the next whole one is ENOENT and removes neither',
  ops: [vm(), map(0x100000, 0x4000), map(0x200000, PAGE), unmap(0x101000, 0x101000), unmap(0x200000, PAGE)],
});
add({
  name: 'unmap/whole-areas-and-holes',
  family: 'unmap',
  title: 'an unmap covering whole areas and the holes between them removes them all',
  ops: [vm(), map(0x100000, PAGE), map(0x200000, 0x4000), unmap(0x80000, 0x300000), unmap(0x100000, PAGE)],
});
add({
  name: 'unmap/all-with-domain',
  family: 'unmap',
  title: 'unmap-all with a domain attached removes RAM and every area',
  ops: [vm(), attach('nic0'), map(0x100000, 0x2000), unmapAll(), unmap(0, RAM)],
});
add({
  name: 'unmap/exact',
  family: 'unmap',
  title: 'an unmap of exactly one area reports its length',
  ops: [vm(), attach('nic0'), map(0x100000, 0x3000), unmap(0x100000, 0x3000), unmap(0x100000, 0x3000)],
});
add({
  name: 'unmap/length-zero',
  family: 'unmap',
  title: 'an unmap of length 0',
  ops: [vm(), unmap(0, 0)],
});
add({
  name: 'unmap/unknown-ioas-enoent',
  family: 'unmap',
  title: 'an unmap in an IOAS that does not exist is ENOENT',
  ops: [vm(), { ...unmapAll(), ioas: 9999 }],
});
add({
  name: 'unmap/misaligned-with-domain',
  family: 'unmap',
  title: 'an unmap at a sub-page IOVA with a domain attached',
  ops: [vm(), attach('nic0'), map(0x100000, 0x2000), unmap(0x100800, PAGE), unmap(0x100000, 0x2000)],
});

// ---- copy ----
add({
  name: 'copy/same-ioas',
  family: 'copy',
  title: 'an area copied to a fixed IOVA of the same IOAS',
  ops: [vm(), map(0x100000, 0x4000), copy(0x400000, 0x100000, 0x4000), unmap(0x400000, 0x4000)],
});
add({
  name: 'copy/subrange',
  family: 'copy',
  title: 'copying one page out of the middle of an area',
  ops: [vm(), map(0x100000, 0x4000), copy(0x400000, 0x101000, PAGE), unmap(0x400000, PAGE)],
});
add({
  name: 'copy/dst-overlap-eexist',
  family: 'copy',
  title: 'a copy onto an existing area is EEXIST',
  ops: [vm(), map(0x100000, 0x4000), copy(0x102000, 0x100000, 0x2000), copy(0x0, 0x100000, 0x2000)],
});
add({
  name: 'copy/src-unmapped-enoent',
  family: 'copy',
  title: 'a copy from where nothing is mapped is ENOENT',
  ops: [vm(), copy(0x400000, 0x100000, PAGE)],
});
add({
  name: 'copy/src-partial-enoent',
  family: 'copy',
  title: 'a copy whose source runs past the area is ENOENT',
  ops: [vm(), map(0x100000, 0x2000), copy(0x400000, 0x101000, 0x2000), copy(0x400000, 0x100000, 0x3000)],
});
add({
  name: 'copy/src-two-areas',
  family: 'copy',
  title: 'a copy whose source spans two adjacent areas',
  ops: [vm(), map(0x100000, 0x2000), map(0x102000, 0x2000), copy(0x400000, 0x101000, 0x2000)],
});
add({
  name: 'copy/into-msi-attached-einval',
  family: 'copy',
  title: 'with a domain attached, a copy into the MSI window is EINVAL',
  ops: [vm(), attach('nic0'), map(0x100000, PAGE), copy(0xfee00000, 0x100000, PAGE)],
});
add({
  name: 'copy/unknown-src-ioas-enoent',
  family: 'copy',
  title: 'a copy from an IOAS that does not exist is ENOENT',
  ops: [vm(), { ...copy(0x400000, 0x100000, PAGE), srcIoas: 9999 }],
});
add({
  name: 'copy/length-zero-einval',
  family: 'copy',
  title: 'a copy of length 0 is EINVAL',
  ops: [vm(), map(0x100000, PAGE), copy(0x400000, 0x100000, 0)],
});
add({
  name: 'copy/with-domain',
  family: 'copy',
  title: 'a copy with a domain attached is mapped in the domain too; unmap reports it',
  ops: [
    vm(),
    attach('nic0'),
    map(0x100000, 0x2000),
    copy(0x400000, 0x100000, 0x2000),
    unmap(0x400000, 0x2000),
  ],
});
add({
  name: 'copy/read-only',
  family: 'copy',
  title: 'a read-only copy of a read-write area',
  ops: [vm(), map(0x100000, 0x2000), copy(0x400000, 0x100000, 0x2000, { write: false })],
});

// ---- IOVA ranges, allowed and reserved ----
add({
  name: 'ranges/no-domain',
  family: 'ranges',
  title: 'with no domain the whole 64-bit space is usable at byte alignment',
  ops: [vm(), ranges()],
});
add({
  name: 'ranges/attached',
  family: 'ranges',
  title: 'an attached VT-d domain narrows the ranges to its aperture less the MSI window',
  ops: [vm(), attach('nic0'), ranges()],
});
add({
  name: 'ranges/after-detach',
  family: 'ranges',
  title: 'when the last device leaves, the ranges widen again',
  ops: [vm(), attach('nic0'), detach('nic0'), ranges()],
});
add({
  name: 'ranges/hwpt-alloc-only',
  family: 'ranges',
  title: 'an allocated but unattached HWPT narrows the ranges to its aperture (no MSI reservation yet)',
  ops: [vm(), hwptAlloc(), ranges(), attach('nic0', 'VM1', '$h1'), ranges()],
});
add({
  name: 'ranges/two-devices',
  family: 'ranges',
  title: 'two devices on one domain give the same ranges as one',
  ops: [vm(), attach('nic0'), attach('nic1'), ranges(), detach('nic0'), ranges()],
});
add({
  name: 'allow/ranges',
  family: 'allow',
  title: 'allowed ranges replace the usable ranges',
  ops: [vm(), allow([[0x100000, 0x1fffff]]), ranges(), allow([]), ranges()],
});
add({
  name: 'allow/map-outside-einval',
  family: 'allow',
  title: 'a map outside the allowed ranges is EINVAL',
  ops: [vm(), unmapAll(), allow([[0x100000, 0x1fffff]]), map(0x300000, PAGE), map(0x100000, PAGE)],
});
add({
  name: 'allow/over-existing-area',
  family: 'allow',
  title: 'allowing ranges that leave an existing area outside',
  ops: [vm(), map(0x300000, PAGE), allow([[0x100000, 0x1fffff]]), ranges()],
});
add({
  name: 'allow/over-reserved-eaddrinuse',
  family: 'allow',
  title: 'an allowed range over the MSI reservation is EADDRINUSE',
  ops: [vm(), attach('nic0'), allow([[0xfee00000, 0xfeefffff]]), allow([[0xfe000000, 0xfeffffff]]), ranges()],
});
add({
  name: 'allow/reservation-inside-eaddrinuse',
  family: 'allow',
  title: 'an attach whose MSI reservation falls inside an allowed range is EADDRINUSE',
  ops: [vm(), allow([[0, 0xffffffff]]), attach('nic0'), allow([]), attach('nic0'), ranges()],
});
add({
  name: 'allow/beyond-aperture-then-attach',
  family: 'allow',
  title:
    'an allowed range reaching past the 39-bit aperture makes the attach that reserves the rest EADDRINUSE',
  ops: [
    vm(),
    allow([[0, (1n << 40n) - 1n]]),
    attach('nic0'),
    allow([[0, 0xfedfffff]]),
    attach('nic0'),
    ranges(),
  ],
});
add({
  name: 'allow/reversed-range',
  family: 'allow',
  title: 'an allowed range whose start is past its last',
  ops: [vm(), allow([[0x200000, 0x100000]])],
});
add({
  name: 'allow/overlapping-ranges',
  family: 'allow',
  title: 'two overlapping allowed ranges',
  ops: [
    vm(),
    unmapAll(),
    allow([
      [0x100000, 0x2fffff],
      [0x200000, 0x3fffff],
    ]),
    ranges(),
  ],
});
add({
  name: 'allow/unknown-ioas-enoent',
  family: 'allow',
  title: 'allowed ranges on an IOAS that does not exist are ENOENT',
  ops: [vm(), { ...allow([[0x100000, 0x1fffff]]), ioas: 9999 }],
});

// ---- HWPT alloc and destroy ----
add({
  name: 'hwpt/alloc',
  family: 'hwpt',
  title: 'IOMMU_HWPT_ALLOC on an IOAS gives a HWPT distinct from the auto domain',
  ops: [vm(), hwptAlloc(), attach('nic1'), hwptAlloc()],
});
add({
  name: 'hwpt/destroy-twice',
  family: 'hwpt',
  title: 'a destroyed HWPT is ENOENT the second time',
  ops: [vm(), hwptAlloc(), hwptDestroy('$h1'), hwptDestroy('$h1')],
});
add({
  name: 'hwpt/destroy-busy',
  family: 'hwpt',
  title: 'a HWPT with a device attached is EBUSY to destroy',
  ops: [
    vm(),
    hwptAlloc(),
    attach('nic0', 'VM1', '$h1'),
    hwptDestroy('$h1'),
    detach('nic0'),
    hwptDestroy('$h1'),
  ],
});
add({
  name: 'hwpt/destroy-unknown-enoent',
  family: 'hwpt',
  title: 'destroying an id that was never allocated is ENOENT',
  ops: [vm(), hwptDestroy(9999)],
});
add({
  name: 'hwpt/destroy-ioas-id',
  family: 'hwpt',
  title: "hwpt.destroy with the IOAS's id (IOMMU_DESTROY takes any object id)",
  ops: [vm(), hwptDestroy(1)],
});
add({
  name: 'hwpt/destroy-auto-busy',
  family: 'hwpt',
  title: 'an auto domain with its device attached is EBUSY to destroy',
  ops: [vm(), attach('nic0'), hwptDestroy('$h1')],
});
add({
  name: 'hwpt/alloc-unknown-ioas-enoent',
  family: 'hwpt',
  title: 'a HWPT for an IOAS that does not exist is ENOENT',
  ops: [vm(), hwptAlloc({ ioas: 9999 })],
});
add({
  name: 'hwpt/alloc-misaligned-area-eaddrinuse',
  family: 'hwpt',
  title: 'a HWPT cannot be allocated over an IOAS holding a sub-page area',
  ops: [vm(), map(0x10000800, PAGE), hwptAlloc(), unmap(0x10000800, PAGE), hwptAlloc()],
});
add({
  name: 'hwpt/alloc-msi-area',
  family: 'hwpt',
  title: 'a HWPT allocated over an IOAS with an area in the MSI window (the reservation comes with a device)',
  ops: [vm(), map(0xfee00000, PAGE), hwptAlloc(), attach('nic0', 'VM1', '$h1')],
});
add({
  name: 'hwpt/user-never-auto',
  family: 'hwpt',
  title: 'the auto-domain path never picks a user-allocated HWPT',
  ops: [vm(), hwptAlloc(), attach('nic0'), attach('nic1', 'VM1', '$h1'), hwptDestroy('$h1')],
});
add({
  name: 'hwpt/destroy-then-attach-enoent',
  family: 'hwpt',
  title: 'attaching to a destroyed HWPT is ENOENT',
  ops: [vm(), hwptAlloc(), hwptDestroy('$h1'), attach('nic0', 'VM1', '$h1')],
});

// ---- versioned structs ----
for (const abi of ['short', 'tail', 'flags'] as const) {
  const expect = { short: 'EINVAL', tail: 'E2BIG', flags: 'EOPNOTSUPP' }[abi];
  add({
    name: `abi/map-${abi}`,
    family: 'abi',
    title: `IOMMU_IOAS_MAP with a ${abi} struct is ${expect}`,
    ops: [vm(), map(0x100000, PAGE, { abi }), map(0x100000, PAGE)],
  });
  // IOMMU_IOAS_UNMAP has no flags word (size, ioas_id, iova, length): only the size variants apply.
  if (abi !== 'flags')
    add({
      name: `abi/unmap-${abi}`,
      family: 'abi',
      title: `IOMMU_IOAS_UNMAP with a ${abi} struct is ${expect}`,
      ops: [vm(), unmapAll(), unmap(0, RAM, { abi })],
    });
  add({
    name: `abi/hwpt-alloc-${abi}`,
    family: 'abi',
    title: `IOMMU_HWPT_ALLOC with a ${abi} struct is ${expect}`,
    ops: [vm(), hwptAlloc({ abi }), hwptAlloc()],
  });
}
add({
  name: 'abi/copy-flags',
  family: 'abi',
  title: 'IOMMU_IOAS_COPY with an unknown flag is EOPNOTSUPP',
  ops: [vm(), copy(0x400000, 0, PAGE, { abi: 'flags' })],
});
add({
  name: 'abi/allow-tail',
  family: 'abi',
  title: 'IOMMU_IOAS_ALLOW_IOVAS with nonzero bytes past the struct is E2BIG',
  ops: [vm(), allow([[0, 0xffffffff]], { abi: 'tail' })],
});

// ---- attach, replace, detach ----
for (const machine of ['vtd-sc', 'vtd-nosc'] as const) {
  const sfx = machine === 'vtd-sc' ? '' : '-nosc';
  add({
    name: `attach/auto-share${sfx}`,
    family: 'attach',
    title: 'two devices behind one unit share the auto domain',
    machine,
    ops: [vm(), attach('nic0'), attach('nic1'), attach('nic2')],
  });
  add({
    name: `attach/boot-with-devices${sfx}`,
    family: 'attach',
    title: 'a VM booted with two devices puts both on one auto domain',
    machine,
    ops: [vm('VM1', ['nic0', 'nic1']), ranges()],
  });
  add({
    name: `attach/two-vms${sfx}`,
    family: 'attach',
    title: 'devices of two VMs get a domain each',
    machine,
    ops: [vm('VM1', ['nic0']), vm('VM2', ['nic1'])],
  });
  add({
    name: `replace/new${sfx}`,
    family: 'replace',
    title: "replace onto a new HWPT frees the device's old auto HWPT",
    machine,
    ops: [vm(), attach('nic0'), replace('nic0', 'new'), hwptDestroy('$h1'), ranges()],
  });
  add({
    name: `replace/shared-old-stays${sfx}`,
    family: 'replace',
    title: 'replace keeps the old auto HWPT while another device uses it',
    machine,
    ops: [
      vm(),
      attach('nic0'),
      attach('nic1'),
      replace('nic1', 'new'),
      hwptDestroy('$h1'),
      replace('nic0', '$h2'),
      hwptDestroy('$h1'),
    ],
  });
  add({
    name: `plug/unplug-order${sfx}`,
    family: 'plug',
    title:
      'unplug in either order and plug again: the last unplug frees the domain, the next plug makes a new one',
    machine,
    ops: [
      vm('VM1', ['nic0', 'nic1']),
      detach('nic0'),
      attach('nic0'),
      detach('nic1'),
      detach('nic0'),
      hwptDestroy('$h1'),
      attach('nic1'),
    ],
  });
}
add({
  name: 'attach/owned-by-other-vm',
  family: 'attach',
  title: 'a device attached in one VM plugged into another',
  ops: [vm('VM1', ['nic0']), vm('VM2'), attach('nic0', 'VM2')],
});
add({
  name: 'attach/twice-same-vm',
  family: 'attach',
  title: 'a device plugged twice into the same VM',
  ops: [vm('VM1', ['nic0']), attach('nic0')],
});
add({
  name: 'attach/group-sibling-other-vm-ebusy',
  family: 'attach',
  title: 'a device whose group sibling is in another VM is EBUSY',
  ops: [vm('VM1', ['nic2']), vm('VM2'), attach('nic3', 'VM2')],
});
add({
  name: 'attach/group-siblings-same-vm',
  family: 'attach',
  title: 'two devices of one group in one VM share its domain',
  ops: [vm(), attach('nic2'), attach('nic3'), detach('nic2'), detach('nic3')],
});
add({
  name: 'attach/group-sibling-other-hwpt-einval',
  family: 'attach',
  title: 'a device whose group sits on another HWPT is EINVAL',
  ops: [vm(), attach('nic2'), hwptAlloc({ device: 'nic2' }), attach('nic3', 'VM1', '$h2')],
});
add({
  name: 'attach/detach-reattach',
  family: 'attach',
  title: 'after the only device leaves, its auto domain is gone and a new plug makes another',
  ops: [vm(), attach('nic0'), detach('nic0'), hwptDestroy('$h1'), attach('nic0')],
});
add({
  name: 'attach/user-hwpt',
  family: 'attach',
  title: 'an attach to a user HWPT reports that HWPT',
  ops: [vm(), hwptAlloc(), attach('nic0', 'VM1', '$h1'), attach('nic1', 'VM1', '$h1')],
});
add({
  name: 'attach/unknown-hwpt-enoent',
  family: 'attach',
  title: 'an attach to an id that is not a HWPT is ENOENT',
  ops: [vm(), attach('nic0', 'VM1', 9999)],
});
add({
  name: 'attach/hwpt-of-other-ioas',
  family: 'attach',
  title: 'two VMs, one device on each; the second VM boots empty',
  ops: [vm('VM1', ['nic0']), vm('VM2'), attach('nic1', 'VM2'), detach('nic0'), attach('nic0', 'VM2')],
});
add({
  name: 'replace/onto-user-hwpt',
  family: 'replace',
  title: 'replace onto a user HWPT; the old auto HWPT is freed',
  ops: [vm(), attach('nic0'), hwptAlloc(), replace('nic0', '$h2'), hwptDestroy('$h1'), hwptDestroy('$h2')],
});
add({
  name: 'replace/same-hwpt',
  family: 'replace',
  title: 'replace onto the HWPT the device already uses is a no-op',
  ops: [vm(), attach('nic0'), replace('nic0', '$h1'), hwptDestroy('$h1')],
});
add({
  name: 'replace/unknown-hwpt-enoent',
  family: 'replace',
  title: 'replace onto an id that is not a HWPT is ENOENT',
  ops: [vm(), attach('nic0'), replace('nic0', 9999)],
});
add({
  name: 'replace/group-sibling',
  family: 'replace',
  title: 'replacing one device of a two-device group moves the group',
  ops: [
    vm(),
    attach('nic2'),
    attach('nic3'),
    replace('nic2', 'new'),
    hwptDestroy('$h1'),
    detach('nic3'),
    detach('nic2'),
  ],
});
add({
  name: 'replace/then-detach-frees',
  family: 'replace',
  title: 'after replace and detach, both HWPTs are gone',
  ops: [vm(), attach('nic0'), replace('nic0', 'new'), detach('nic0'), hwptDestroy('$h2'), hwptDestroy('$h1')],
});
add({
  name: 'vm/destroy-busy',
  family: 'vm',
  title: 'destroying a VM (its IOAS) with a device attached is EBUSY',
  ops: [vm('VM1', ['nic0']), vmDestroy(), detach('nic0'), vmDestroy()],
});
add({
  name: 'vm/destroy-with-user-hwpt',
  family: 'vm',
  title: 'destroying a VM whose IOAS has a user HWPT',
  ops: [vm(), hwptAlloc(), vmDestroy(), hwptDestroy('$h1'), vmDestroy()],
});
add({
  name: 'vm/boot-failure-rolls-back',
  family: 'vm',
  title: 'a VM whose second device cannot attach does not boot, and the first device is free again',
  ops: [vm('VM1', ['nic2']), vm('VM2', ['nic0', 'nic3']), attach('nic0')],
});
add({
  name: 'vm/ram-above-msi',
  family: 'vm',
  title: 'guest RAM mapped at IOVA 0 with a device attached',
  ops: [vm('VM1', ['nic0'], 0x200000), ranges(), unmap(0, 0x200000)],
});

// ---- the unit without snoop control (iommufd) ----
add({
  name: 'nosc/hwpt-alloc-attach',
  family: 'nosc',
  title: 'a unit without snoop control: HWPT alloc and attach work, non-enforcing',
  machine: 'vtd-nosc',
  ops: [vm(), hwptAlloc(), attach('nic0', 'VM1', '$h1'), attach('nic1'), info('nic0')],
});
add({
  name: 'nosc/map-msi-einval',
  family: 'nosc',
  title: 'a unit without snoop control reserves the MSI window the same way',
  machine: 'vtd-nosc',
  ops: [vm(), attach('nic0'), map(0xfee00000, PAGE), ranges()],
});

// ---- type1 (recorded on 6.12 and 6.1) ----
const both = ['6.12', '6.1'];
const t1 = (spec: Omit<Spec, 'policy' | 'kernels'>) => add({ ...spec, policy: 'type1', kernels: both });
for (const machine of ['vtd-sc', 'vtd-nosc'] as const) {
  const sfx = machine === 'vtd-sc' ? 'sc' : 'nosc';
  t1({
    name: `type1/cc-attach-${sfx}`,
    family: 'type1-cc',
    title: `VFIO_DMA_CC_IOMMU on a container whose group sits behind the ${sfx} unit`,
    machine,
    ops: [vm(), attach('nic0'), attach('nic1')],
  });
  t1({
    name: `type1/cc-group-leaves-${sfx}`,
    family: 'type1-cc',
    title: 'the coherency extension before and after a group leaves the container',
    machine,
    ops: [vm(), attach('nic0'), attach('nic1'), detach('nic1'), detach('nic0'), attach('nic0')],
  });
  t1({
    name: `type1/boot-with-devices-${sfx}`,
    family: 'type1-cc',
    title: 'a type1 VM booted with two groups',
    machine,
    ops: [vm('VM1', ['nic0', 'nic1']), ranges()],
  });
  t1({
    name: `type1/ranges-${sfx}`,
    family: 'type1-map',
    title: 'VFIO_IOMMU_GET_INFO IOVA ranges and page sizes',
    machine,
    ops: [vm(), attach('nic0'), ranges()],
  });
  t1({
    name: `type1/group-siblings-${sfx}`,
    family: 'type1-attach',
    title: 'two devices of one group in one container',
    machine,
    ops: [vm(), attach('nic2'), attach('nic3'), detach('nic3'), detach('nic2')],
  });
}
t1({
  name: 'type1/map-overlap-eexist',
  family: 'type1-map',
  title: 'a type1 map overlapping a mapping is EEXIST',
  machine: 'vtd-sc',
  ops: [vm(), attach('nic0'), map(0x100000, 0x4000), map(0x101000, 0x2000), map(0x104000, PAGE)],
});
t1({
  name: 'type1/map-msi-einval',
  family: 'type1-map',
  title: 'a type1 map in the MSI window is EINVAL',
  machine: 'vtd-sc',
  ops: [vm(), attach('nic0'), map(0xfee00000, PAGE), map(0xfed00000, 0x200000)],
});
t1({
  name: 'type1/map-aperture-einval',
  family: 'type1-map',
  title: 'a type1 map past the aperture is EINVAL',
  machine: 'vtd-sc',
  ops: [vm(), attach('nic0'), map(APERTURE, PAGE), map(APERTURE - 0x1000n, PAGE)],
});
t1({
  name: 'type1/map-misaligned-einval',
  family: 'type1-map',
  title: 'a type1 map at a sub-page IOVA or length is EINVAL',
  machine: 'vtd-sc',
  ops: [vm(), attach('nic0'), map(0x10000800, PAGE), map(0x10000000, 0x800)],
});
t1({
  name: 'type1/map-zero-and-no-access',
  family: 'type1-map',
  title: 'a type1 map of length 0, or neither readable nor writable',
  machine: 'vtd-sc',
  ops: [vm(), attach('nic0'), map(0x100000, 0), map(0x100000, PAGE, { read: false, write: false })],
});
t1({
  name: 'type1/map-wrap',
  family: 'type1-map',
  title: 'a type1 map whose iova + length wraps',
  machine: 'vtd-sc',
  ops: [vm(), attach('nic0'), map('0xfffffffffffff000', 0x2000)],
});
t1({
  name: 'type1/map-before-attach',
  family: 'type1-map',
  title: 'a type1 map into a container no group has joined yet',
  machine: 'vtd-sc',
  ops: [vm(), map(0x100000, PAGE), attach('nic0'), map(0x100000, PAGE)],
});
t1({
  name: 'type1/unmap-nothing',
  family: 'type1-unmap',
  title: 'a type1 unmap where nothing is mapped',
  machine: 'vtd-sc',
  ops: [vm(), attach('nic0'), unmap(0x100000, PAGE)],
});
t1({
  name: 'type1/unmap-cut',
  family: 'type1-unmap',
  title: 'a type1 unmap cutting a mapping',
  machine: 'vtd-sc',
  ops: [vm(), attach('nic0'), map(0x100000, 0x4000), unmap(0x101000, PAGE), unmap(0x100000, 0x4000)],
});
t1({
  name: 'type1/unmap-whole-and-holes',
  family: 'type1-unmap',
  title: 'a type1 unmap over whole mappings and holes',
  machine: 'vtd-sc',
  ops: [vm(), attach('nic0'), map(0x100000, PAGE), map(0x200000, 0x4000), unmap(0x80000, 0x300000)],
});
t1({
  name: 'type1/unmap-all',
  family: 'type1-unmap',
  title: "the lab's unmap-all as VFIO_DMA_UNMAP_FLAG_ALL",
  machine: 'vtd-sc',
  ops: [vm(), attach('nic0'), map(0x100000, 0x2000), unmapAll(), unmapAll()],
});
t1({
  name: 'type1/device-busy-other-vm',
  family: 'type1-attach',
  title: 'a group already in one container plugged into another VM is EBUSY',
  machine: 'vtd-sc',
  ops: [vm('VM1', ['nic0']), vm('VM2'), attach('nic0', 'VM2')],
});
t1({
  name: 'type1/group-sibling-other-vm',
  family: 'type1-attach',
  title: "a device whose group is in another VM's container is EBUSY",
  machine: 'vtd-sc',
  ops: [vm('VM1', ['nic2']), vm('VM2'), attach('nic3', 'VM2')],
});
t1({
  name: 'type1/two-vms',
  family: 'type1-attach',
  title: 'two type1 VMs with a group each',
  machine: 'vtd-sc',
  ops: [vm('VM1', ['nic0']), vm('VM2', ['nic1']), detach('nic0'), attach('nic0', 'VM2')],
});

// ---- KVM (kvm-vfio FILE_ADD/DEL); the guests have no /dev/kvm, see docs/conformance.md ----
for (const [policy, kernels] of [
  ['type1', ['6.12', '6.1']],
  ['iommufd', ['6.12']],
] as const) {
  add({
    name: `kvm/noncoherent-${policy}`,
    family: 'kvm',
    title: "KVM's non-coherent DMA flag across kvm-vfio FILE_ADD and FILE_DEL",
    policy,
    kernels: [...kernels],
    machine: 'vtd-nosc',
    needs: ['kvm'],
    ops: [vm('VM1', ['nic0', 'nic1']), detach('nic1'), detach('nic0')],
  });
}

rmSync(root, { recursive: true, force: true });
for (const spec of specs) {
  const machine = spec.machine ?? 'vtd-sc';
  const header = {
    scenario: spec.name,
    family: spec.family,
    title: spec.title,
    policy: spec.policy ?? 'iommufd',
    machine,
    kernels: spec.kernels ?? ['6.12'],
    ...(spec.needs ? { needs: spec.needs } : {}),
  };
  const file = join(root, `${spec.name}.jsonl`);
  mkdirSync(dirname(file), { recursive: true });
  const lines = [header, ...hardware(machine), ...spec.ops].map((line) => JSON.stringify(line));
  writeFileSync(file, `${lines.join('\n')}\n`);
}
const count = (kernel: string) => specs.filter((s) => (s.kernels ?? ['6.12']).includes(kernel)).length;
console.log(`${specs.length} scenarios (${count('6.12')} on 6.12, ${count('6.1')} on 6.1)`);
