// Cases ported from the kernel's tools/testing/selftests/iommu/iommufd.c, each named
// <fixture>.<variant>.<test> as kselftest reports it. The mock domain becomes a VT-d unit
// (4 KiB pages, MSI window reserved); "two domains" uses a second unit without snoop control,
// which iommufd puts in a second, non-enforcing domain. Differences from the kernel are noted inline.
import { afterEach, describe, expect, it } from 'vitest';
import { type AnyOp, CMD, encodeOp, Lab, type OpResult, STRUCT_SIZE } from './index.ts';

const PAGE = 4096;
const BASE = 1 << 24; // MOCK_APERTURE_START
const U64_MAX = '0xffffffffffffffff';

const labs: Lab[] = [];
afterEach(() => {
  for (const lab of labs.splice(0)) lab.destroy();
});

function expectOk(result: OpResult): OpResult {
  if (!result.ok) throw new Error(`refused: ${result.code} ${result.message}`);
  return result;
}

function expectErrno(result: OpResult, code: string): void {
  expect(result.ok ? 'ok' : result.code).toBe(code);
}

interface Fixture {
  lab: Lab;
  ioas: number;
  hwpts: number[];
  devices: string[];
}

/** A lab with an empty IOAS (a 1-page VM whose RAM is unmapped) and `domains` devices attached to it. */
function fixture(domains: number, options: { reserved?: { start: number; length: number }[] } = {}): Fixture {
  const lab = Lab.create('iommufd');
  labs.push(lab);
  const reserved = options.reserved?.map((r) => ({ ...r, kind: 'reserved' as const }));
  for (const result of lab.applyBatch([
    { op: 'iommu.add', name: 'mock0', vendor: 'intel-vtd', enforceCacheCoherency: true },
    { op: 'iommu.add', name: 'mock1', vendor: 'intel-vtd', enforceCacheCoherency: false },
    ...(reserved
      ? [
          {
            op: 'iommu.add',
            name: 'mockr',
            vendor: 'intel-vtd',
            enforceCacheCoherency: true,
            reserved,
          } as AnyOp,
        ]
      : []),
    { op: 'device.add', name: 'dev0', iommu: 'mock0' },
    { op: 'device.add', name: 'dev1', iommu: 'mock1' },
    { op: 'device.add', name: 'spare', iommu: 'mock0' },
    { op: 'vm.create', name: 'vm', memory: PAGE },
  ])) {
    expectOk(result);
  }
  const ioas = lab.state().vms[0]?.ioas as number;
  expectOk(lab.apply({ op: 'ioas.unmap', ioas, iova: 0, length: U64_MAX }));
  const devices = ['dev0', 'dev1'].slice(0, domains);
  for (const device of devices) expectOk(lab.apply({ op: 'vm.attach', vm: 'vm', device }));
  const hwpts = lab.state().hwpts.map((h) => h.id);
  expect(hwpts).toHaveLength(domains);
  return { lab, ioas, hwpts, devices };
}

const map = (f: Fixture, iova: number | bigint, length: number, extra: Partial<AnyOp> = {}) =>
  f.lab.apply({ op: 'ioas.map', ioas: f.ioas, iova: BigInt(iova), length, ...extra } as AnyOp);
const unmap = (f: Fixture, iova: number | bigint | string, length: number | string) =>
  f.lab.apply({
    op: 'ioas.unmap',
    ioas: f.ioas,
    iova: typeof iova === 'number' ? BigInt(iova) : iova,
    length,
  });

/** Leaves of hwpt cover exactly [iova, iova+length) with the given rights. */
function expectMapped(f: Fixture, hwpt: number, iova: number, length: number, write = true): void {
  const page = f.lab.pagetable(hwpt, { iova, length, limit: 4096 });
  let cursor = BigInt(iova);
  for (const leaf of page.leaves) {
    expect(BigInt(leaf.iova)).toBe(cursor);
    expect(leaf.read).toBe(true);
    expect(leaf.write).toBe(write);
    cursor += BigInt(leaf.size);
  }
  expect(cursor).toBe(BigInt(iova + length));
}

/** A struct of cmd with the given size, built from op (trailing bytes set to `extra`). */
function rawStruct(op: AnyOp, size: number, extra = 0): Buffer {
  const buf = Buffer.alloc(Math.max(size, 8) + 8);
  const cmd = encodeOp(op, buf);
  const real = STRUCT_SIZE[cmd] as number;
  if (size > real) buf.fill(extra, real, size);
  buf.writeUInt32LE(size, 0);
  return buf.subarray(0, Math.max(size, 4));
}

describe('iommufd', () => {
  it('iommufd.cmd_fail', () => {
    const f = fixture(0);
    // object id is invalid
    expectErrno(f.lab.apply({ op: 'hwpt.destroy', hwpt: 0 }), 'ENOENT');
    // Unknown ioctl: the kernel says ENOTTY; the lab's dispatcher refuses with EINVAL.
    const { rc } = f.lab.rawIoctl(99, Buffer.alloc(16));
    expect(rc).toBe(-22);
  });

  const lengthCases: [string, AnyOp][] = [
    ['destroy', { op: 'hwpt.destroy', hwpt: 0 }],
    ['hwpt_alloc', { op: 'hwpt.alloc', ioas: 1, iommu: 'mock0' }],
    ['ioas_map', { op: 'ioas.map', ioas: 1, iova: BASE, length: PAGE }],
    ['ioas_copy', { op: 'ioas.copy', ioas: 1, iova: BASE + PAGE, srcIoas: 1, srcIova: BASE, length: PAGE }],
    ['ioas_unmap', { op: 'ioas.unmap', ioas: 1, iova: BASE, length: PAGE }],
    ['ioas_allow_iovas', { op: 'ioas.allow', ioas: 1, ranges: [] }],
  ];
  for (const [name, op] of lengthCases) {
    it(`iommufd.cmd_length.${name}`, () => {
      const cmd = CMD[op.op as keyof typeof CMD];
      const size = STRUCT_SIZE[cmd] as number;
      // Each sub-check on a fresh lab so a successful op does not change the next one's answer.
      const run = (bytes: Buffer) => fixture(0).lab.rawIoctl(cmd, bytes).rc;
      expect(run(rawStruct(op, size - 1, 0xff))).toBe(-22); // EINVAL
      expect(run(rawStruct(op, size + 1, 0xff))).toBe(-7); // E2BIG
      expect(run(rawStruct(op, size + 1, 0))).toBe(run(rawStruct(op, size)));
    });
  }

  it('iommufd.cmd_ex_fail', () => {
    const f = fixture(0);
    const op: AnyOp = { op: 'hwpt.destroy', hwpt: 0 };
    const size = STRUCT_SIZE[CMD['hwpt.destroy']] as number;
    // object id is invalid and command is longer
    expect(f.lab.rawIoctl(CMD['hwpt.destroy'], rawStruct(op, size + 8, 0)).rc).toBe(-2);
    // future area is non-zero
    expect(f.lab.rawIoctl(CMD['hwpt.destroy'], rawStruct(op, size + 8, 1)).rc).toBe(-7);
    // Original command "works"
    expect(f.lab.rawIoctl(CMD['hwpt.destroy'], rawStruct(op, size)).rc).toBe(-2);
    // Short command fails
    expect(f.lab.rawIoctl(CMD['hwpt.destroy'], rawStruct(op, size - 1)).rc).toBe(-22);
  });
});

const IOAS_VARIANTS: [string, number][] = [
  ['no_domain', 0],
  ['mock_domain', 1],
  ['two_mock_domain', 2],
];

for (const [variant, domains] of IOAS_VARIANTS) {
  describe(`iommufd_ioas.${variant}`, () => {
    const name = (test: string) => `iommufd_ioas.${variant}.${test}`;

    it(name('ioas_destroy'), () => {
      const f = fixture(domains);
      // IOAS cannot be freed while a device has a HWPT using it
      if (domains) expectErrno(f.lab.apply({ op: 'vm.destroy', vm: 'vm' }), 'EBUSY');
      else expectOk(f.lab.apply({ op: 'vm.destroy', vm: 'vm' }));
    });

    it(name('hwpt_attach'), () => {
      const f = fixture(domains);
      // Create a device attached directly to a hwpt
      const hwpt = f.hwpts[0] ?? 0;
      const result = f.lab.apply({ op: 'vm.attach', vm: 'vm', device: 'spare', hwpt });
      if (domains) expectOk(result);
      else expectErrno(result, 'ENOENT');
    });

    it(name('ioas_area_destroy'), () => {
      const f = fixture(domains);
      // Adding an area does not change ability to destroy
      expectOk(map(f, BASE, PAGE));
      if (domains) expectErrno(f.lab.apply({ op: 'vm.destroy', vm: 'vm' }), 'EBUSY');
      else expectOk(f.lab.apply({ op: 'vm.destroy', vm: 'vm' }));
    });

    it(name('ioas_area_auto_destroy'), () => {
      const f = fixture(domains);
      // Can allocate and automatically free an IOAS table with many areas
      for (let i = 0; i !== 10; i++) expectOk(map(f, BASE + i * PAGE, PAGE));
      f.lab.destroy();
      labs.splice(labs.indexOf(f.lab), 1);
    });

    it(name('area'), () => {
      const f = fixture(domains);
      // Unmap fails if nothing is mapped
      for (let i = 0; i !== 10; i++) expectErrno(unmap(f, i * PAGE, PAGE), 'ENOENT');
      // Unmap works
      for (let i = 0; i !== 10; i++) expectOk(map(f, BASE + i * PAGE, PAGE));
      for (let i = 0; i !== 10; i++) expectOk(unmap(f, BASE + i * PAGE, PAGE));
      // Split fails
      expectOk(map(f, BASE + 16 * PAGE, PAGE * 2));
      expectErrno(unmap(f, BASE + 16 * PAGE, PAGE), 'ENOENT');
      expectErrno(unmap(f, BASE + 17 * PAGE, PAGE), 'ENOENT');
      // Over map fails
      expectErrno(map(f, BASE + 16 * PAGE, PAGE * 2), 'EEXIST');
      expectErrno(map(f, BASE + 16 * PAGE, PAGE), 'EEXIST');
      expectErrno(map(f, BASE + 17 * PAGE, PAGE), 'EEXIST');
      expectErrno(map(f, BASE + 15 * PAGE, PAGE * 2), 'EEXIST');
      expectErrno(map(f, BASE + 15 * PAGE, PAGE * 3), 'EEXIST');
      // unmap all works
      expectOk(unmap(f, 0, U64_MAX));
      // Unmap all succeeds on an empty IOAS
      expectOk(unmap(f, 0, U64_MAX));
      for (const hwpt of f.hwpts) expect(f.lab.pagetable(hwpt).leaves).toEqual([]);
    });

    it(name('unmap_fully_contained_areas'), () => {
      const f = fixture(domains);
      const base = BASE + 4 * PAGE;
      for (let i = 0; i !== 4; i++) expectOk(map(f, base + i * 16 * PAGE, 8 * PAGE));
      // Unmap not fully contained area doesn't work
      expectErrno(unmap(f, base - 4 * PAGE, 8 * PAGE), 'ENOENT');
      expectErrno(unmap(f, base + 3 * 16 * PAGE + 8 * PAGE - 4 * PAGE, 8 * PAGE), 'ENOENT');
      // Unmap fully contained areas works
      const result = expectOk(unmap(f, base - 4 * PAGE, 3 * 16 * PAGE + 8 * PAGE + 4 * PAGE));
      const unmapped = result.effects
        .filter((e) => e.type === 'area.unmapped')
        .reduce((sum, e) => sum + Number(e.length), 0);
      expect(unmapped).toBe(32 * PAGE);
    });

    it(name('area_allowed'), () => {
      const f = fixture(domains, { reserved: [{ start: BASE + PAGE, length: PAGE }] });
      // Reserved intersects an allowed: the device's reservation comes at attach time
      expectOk(
        f.lab.apply({ op: 'ioas.allow', ioas: f.ioas, ranges: [{ start: BASE, last: BASE + PAGE * 600 }] }),
      );
      expectOk(f.lab.apply({ op: 'device.add', name: 'resv', iommu: 'mockr' }));
      expectErrno(f.lab.apply({ op: 'vm.attach', vm: 'vm', device: 'resv' }), 'EADDRINUSE');
      expectOk(f.lab.apply({ op: 'ioas.allow', ioas: f.ioas, ranges: [] }));
      // Allowed intersects a reserved
      expectOk(f.lab.apply({ op: 'vm.attach', vm: 'vm', device: 'resv' }));
      expectErrno(
        f.lab.apply({ op: 'ioas.allow', ioas: f.ioas, ranges: [{ start: BASE, last: BASE + PAGE * 600 }] }),
        'EADDRINUSE',
      );
    });

    it(name('copy_area'), () => {
      const f = fixture(domains);
      expectOk(map(f, BASE, PAGE));
      // Copy inside a single IOAS
      expectOk(
        f.lab.apply({
          op: 'ioas.copy',
          ioas: f.ioas,
          iova: BASE + PAGE,
          srcIoas: f.ioas,
          srcIova: BASE,
          length: PAGE,
        }),
      );
      // Copy between IOAS's
      expectOk(f.lab.apply({ op: 'vm.create', name: 'dst', memory: PAGE }));
      const dst = f.lab.state().vms[1]?.ioas as number;
      expectOk(f.lab.apply({ op: 'ioas.unmap', ioas: dst, iova: 0, length: U64_MAX }));
      expectOk(
        f.lab.apply({ op: 'ioas.copy', ioas: dst, iova: 0, srcIoas: f.ioas, srcIova: BASE, length: PAGE }),
      );
      for (const hwpt of f.hwpts) expectMapped(f, hwpt, BASE, 2 * PAGE);
    });

    it(name('iova_ranges'), () => {
      const f = fixture(domains, { reserved: [{ start: PAGE, length: PAGE }] });
      const ioas = () => f.lab.state().ioas.find((i) => i.id === f.ioas);
      // Range can be read
      if (!domains) {
        expect(ioas()?.iovaRanges).toEqual([{ start: '0x0', last: U64_MAX }]);
        expect(ioas()?.iovaAlignment).toBe(1);
      } else {
        // The VT-d unit's MSI window and its 48-bit aperture are reserved.
        expect(ioas()?.iovaRanges).toEqual([
          { start: '0x0', last: '0xfedfffff' },
          { start: '0xfef00000', last: '0xffffffffffff' },
        ]);
        expect(ioas()?.iovaAlignment).toBe(PAGE);
      }
      // 2 ranges: a device reserving [PAGE, 2*PAGE) joins
      expectOk(f.lab.apply({ op: 'device.add', name: 'resv', iommu: 'mockr' }));
      expectOk(
        f.lab.apply({ op: 'vm.attach', vm: 'vm', device: 'resv', ...(domains ? { hwpt: f.hwpts[0] } : {}) }),
      );
      expect(ioas()?.iovaRanges?.slice(0, 2)).toEqual([
        { start: '0x0', last: '0xfff' },
        { start: '0x2000', last: domains ? '0xfedfffff' : '0xffffffffffff' },
      ]);
    });

    it(name('ioas_iova_alloc'), () => {
      const f = fixture(domains);
      for (const length of [1, 2, 2048, 4095, 4096, 4097, 6144, 8191]) {
        const result = map(f, BASE, length);
        if (domains && length % PAGE) {
          expectErrno(result, 'EINVAL');
        } else {
          expectOk(result);
          expectOk(unmap(f, BASE, length));
        }
      }
    });

    it(name('ioas_align_change'), () => {
      // We cannot upgrade the alignment when a domain and map are present.
      if (domains) return;
      const f = fixture(domains);
      // Byte-granular before any domain: a map at a 2 KiB offset is fine.
      expectOk(map(f, BASE, PAGE));
      expectOk(map(f, BASE + PAGE + 2048, PAGE));
      // Confirm misalignment is rejected during alignment upgrade (a domain joining).
      expectErrno(f.lab.apply({ op: 'vm.attach', vm: 'vm', device: 'dev0' }), 'EADDRINUSE');
      expectOk(unmap(f, BASE + PAGE + 2048, PAGE));
      expectOk(f.lab.apply({ op: 'vm.attach', vm: 'vm', device: 'dev0' }));
      // Misalignment is rejected at map time
      expectErrno(map(f, BASE + PAGE + 2048, PAGE), 'EINVAL');
    });

    it(name('copy_sweep'), () => {
      const f = fixture(domains);
      expectOk(f.lab.apply({ op: 'vm.create', name: 'dst', memory: PAGE }));
      const dst = f.lab.state().vms[1]?.ioas as number;
      expectOk(f.lab.apply({ op: 'ioas.unmap', ioas: dst, iova: 0, length: U64_MAX }));
      const copyLength = 2048; // MOCK_PAGE_SIZE; dst has no domain, so it may be byte granular
      const lastIova = BASE + 16 * PAGE - 1;
      expectOk(map(f, BASE, lastIova - BASE + 1));
      for (let iova = BASE - PAGE; iova <= lastIova; iova += 511 * 7) {
        const result = f.lab.apply({
          op: 'ioas.copy',
          ioas: dst,
          iova: BASE,
          srcIoas: f.ioas,
          srcIova: iova,
          length: copyLength,
        });
        if (iova < BASE || iova + copyLength - 1 > lastIova) {
          expectErrno(result, 'ENOENT');
        } else {
          expectOk(result);
          expectOk(f.lab.apply({ op: 'ioas.unmap', ioas: dst, iova: BASE, length: copyLength }));
        }
      }
    });
  });
}

const DOMAIN_VARIANTS: [string, number][] = [
  ['one_domain', 1],
  ['two_domains', 2],
];

for (const [variant, domains] of DOMAIN_VARIANTS) {
  describe(`iommufd_mock_domain.${variant}`, () => {
    const name = (test: string) => `iommufd_mock_domain.${variant}.${test}`;

    it(name('basic'), () => {
      const f = fixture(domains);
      // Simple one page map, checked in every domain
      expectOk(map(f, BASE, PAGE));
      for (const hwpt of f.hwpts) expectMapped(f, hwpt, BASE, PAGE);
      // The enforcing domain carries SNP, the other does not
      const snoop = f.hwpts.map((hwpt) => f.lab.pagetable(hwpt).leaves[0]?.snoop);
      expect(snoop).toEqual(domains === 1 ? [true] : [true, false]);
    });

    it(name('ro_unshare'), () => {
      const f = fixture(domains);
      expectOk(map(f, BASE, PAGE, { write: false }));
      for (const hwpt of f.hwpts) expectMapped(f, hwpt, BASE, PAGE, false);
    });

    it(name('all_aligns'), () => {
      const f = fixture(domains);
      const bufSize = 8 * PAGE;
      // Map every combination of page size and alignment within a big region
      for (let start = 0; start < bufSize; start += PAGE) {
        for (let end = start + PAGE; end <= bufSize; end += PAGE) {
          expectOk(map(f, BASE + start, end - start));
          for (const hwpt of f.hwpts) expectMapped(f, hwpt, BASE + start, end - start);
          expectOk(unmap(f, BASE + start, end - start));
        }
      }
      for (const hwpt of f.hwpts)
        expect(f.lab.state().hwpts.find((h) => h.id === hwpt)?.stats.leaves).toBe(0);
    });

    it(name('all_aligns_copy'), () => {
      const f = fixture(domains);
      const bufSize = 8 * PAGE;
      for (let start = 0; start < bufSize; start += 2 * PAGE) {
        for (let end = start + PAGE; end <= bufSize; end += 3 * PAGE) {
          expectOk(map(f, BASE + start, end - start));
          // Add and destroy a domain while the area exists
          const created = expectOk(f.lab.apply({ op: 'hwpt.alloc', ioas: f.ioas, iommu: 'mock0' }));
          const hwpt = created.effects[0]?.hwpt as number;
          expectMapped(f, hwpt, BASE + start, end - start);
          expectOk(f.lab.apply({ op: 'hwpt.destroy', hwpt }));
          expectOk(unmap(f, BASE + start, end - start));
        }
      }
    });

    it(name('replace'), () => {
      const f = fixture(domains);
      const fresh = expectOk(
        f.lab.apply({
          op: 'device.replace',
          vm: 'vm',
          device: 'dev0',
          hwpt: 'new',
          enforceCacheCoherency: true,
        }),
      );
      // Replacing causes the prior auto HWPT to be deallocated, thus we should get ENOENT when we try to use it.
      expect(fresh.effects.map((e) => e.type)).toContain('hwpt.destroyed');
      expectErrno(
        f.lab.apply({ op: 'device.replace', vm: 'vm', device: 'dev0', hwpt: f.hwpts[0] as number }),
        'ENOENT',
      );
      const current = f.lab.state().devices.find((d) => d.name === 'dev0')?.hwpt as number;
      // Replacing onto the HWPT it already uses is a no-op
      expect(
        expectOk(f.lab.apply({ op: 'device.replace', vm: 'vm', device: 'dev0', hwpt: current })).effects,
      ).toEqual([]);
      if (domains >= 2) {
        // The non-enforcing domain of dev1 accepts dev0 (mock0 can run without snooping)
        expectOk(f.lab.apply({ op: 'device.replace', vm: 'vm', device: 'dev0', hwpt: f.hwpts[1] as number }));
        expectOk(f.lab.apply({ op: 'device.replace', vm: 'vm', device: 'dev0', hwpt: f.hwpts[1] as number }));
        // ...but an enforcing domain refuses dev1, whose unit has no snoop control
        const alloc = expectOk(f.lab.apply({ op: 'hwpt.alloc', ioas: f.ioas, iommu: 'mock0' }));
        expectErrno(
          f.lab.apply({
            op: 'device.replace',
            vm: 'vm',
            device: 'dev1',
            hwpt: alloc.effects[0]?.hwpt as number,
          }),
          'EINVAL',
        );
      }
    });

    it(name('alloc_hwpt'), () => {
      const f = fixture(domains);
      for (const device of f.devices) {
        const iommu = device === 'dev0' ? 'mock0' : 'mock1';
        // Unknown flags
        const op: AnyOp = { op: 'hwpt.alloc', ioas: f.ioas, iommu };
        const bytes = rawStruct(op, STRUCT_SIZE[CMD['hwpt.alloc']] as number);
        bytes.writeUInt32LE(0x80000000, 4);
        expect(f.lab.rawIoctl(CMD['hwpt.alloc'], bytes).rc).toBe(-95); // EOPNOTSUPP
        const h0 = expectOk(f.lab.apply(op)).effects[0]?.hwpt as number;
        const h1 = expectOk(f.lab.apply(op)).effects[0]?.hwpt as number;
        // Do a hw_pagetable rotation test
        const original = f.lab.state().devices.find((d) => d.name === device)?.hwpt as number;
        expectOk(f.lab.apply({ op: 'device.replace', vm: 'vm', device, hwpt: h0 }));
        expectErrno(f.lab.apply({ op: 'hwpt.destroy', hwpt: h0 }), 'EBUSY');
        expectOk(f.lab.apply({ op: 'device.replace', vm: 'vm', device, hwpt: h1 }));
        expectErrno(f.lab.apply({ op: 'hwpt.destroy', hwpt: h1 }), 'EBUSY');
        expectOk(f.lab.apply({ op: 'device.replace', vm: 'vm', device, hwpt: h0 }));
        expectOk(f.lab.apply({ op: 'hwpt.destroy', hwpt: h1 }));
        // A second device straight onto the user HWPT, then all go
        expect(original).not.toBe(h0);
        expectOk(f.lab.apply({ op: 'vm.detach', vm: 'vm', device }));
        expectOk(f.lab.apply({ op: 'hwpt.destroy', hwpt: h0 }));
        expectOk(f.lab.apply({ op: 'vm.attach', vm: 'vm', device }));
      }
    });
  });
}

describe('vfio_compat_mock_domain.Ver1v2', () => {
  it('vfio_compat_mock_domain.Ver1v2.map', () => {
    const f = fixture(1);
    const bufferSize = 16 * PAGE;
    // Simple map/unmap
    expectOk(map(f, BASE, bufferSize));
    expectOk(unmap(f, BASE, bufferSize));
    // UNMAP_FLAG_ALL: iova 0, length 2^64-1
    expectOk(map(f, BASE, bufferSize));
    expectOk(unmap(f, 0, U64_MAX));
    // Small pages, unmapped in shuffled order
    const pages = Array.from({ length: 16 }, (_, i) => BASE + i * PAGE);
    for (const iova of pages) expectOk(map(f, iova, PAGE));
    const shuffled = [...pages].sort((a, b) => ((a * 2654435761) % 97) - ((b * 2654435761) % 97));
    for (const iova of shuffled) expectOk(unmap(f, iova, PAGE));
    expect(f.lab.state().hwpts[0]?.stats.leaves).toBe(0);
  });

  it('vfio_compat_mock_domain.Ver1v2.huge_map', () => {
    const f = fixture(1);
    const bufSize = 2 * 2 * 1024 * 1024; // HUGEPAGE_SIZE * 2
    expectOk(map(f, BASE, bufSize));
    // Huge pages map as 2 MiB leaves
    expect(f.lab.pagetable(f.hwpts[0] as number).leaves.map((l) => l.size)).toEqual([2097152, 2097152]);
    // type1v2 always fails to cut up a larger mapping
    const piece = bufSize / 16;
    for (let i = 0; i !== 16; i++) expectErrno(unmap(f, BASE + i * piece, piece), 'ENOENT');
    expect(f.lab.state().ioas[0]?.areas).toHaveLength(1);
  });
});
