// layoutLab: rows, edges (with the other-unit flag), stable positions when the lab grows, hazard notes.
import { describe, expect, it } from 'vitest';
import { layoutLab, ROW_Y } from '../lib/layout';
import { seedState } from './fixtures';

describe('layoutLab', () => {
  it('puts each kind on its row and links devices, tables, address spaces and VMs', () => {
    const layout = layoutLab(seedState());
    for (const n of layout.nodes) expect(n.y).toBe(ROW_Y[n.kind]);
    expect(layout.byKey.get('vm:VM1')).toBeDefined();
    const kinds = layout.edges.map((e) => `${e.from}>${e.to}:${e.kind}`);
    expect(kinds).toContain('dev:A>hwpt:2:nosnp');
    expect(kinds).toContain('dev:A2>hwpt:4:snp');
    expect(kinds).toContain('hwpt:2>ioas:1:mirror');
    expect(kinds).toContain('ioas:1>vm:VM1:owner');
    expect(Number.isFinite(layout.width) && layout.width > 0).toBe(true);
  });

  it('flags a device attached to another unit’s table', () => {
    const state = seedState();
    state.devices[2] = { ...state.devices[2], vm: 'VM1', hwpt: 2 } as (typeof state.devices)[number];
    state.hwpts[0] = { ...state.hwpts[0], devices: ['A', 'B'] } as (typeof state.hwpts)[number];
    const layout = layoutLab(state);
    const cross = layout.edges.filter((e) => e.cross);
    expect(cross.map((e) => e.from)).toEqual(['dev:B']);
    const b = layout.byKey.get('dev:B');
    expect(b && 'note' in b ? b.note : undefined).toBe('iommu0');
  });

  it('keeps existing nodes where they were, and their identity, when a device is added at the end', () => {
    const base = seedState();
    const first = layoutLab(base);
    // The live view shares unchanged objects between states (lib/same.ts), so they are the same objects.
    const grown = { ...base, devices: [...base.devices] };
    grown.devices.push({
      name: 'C',
      iommu: 'iommu1',
      group: 4,
      noSnoop: false,
      requiresKvm: 'none',
      vm: null,
      hwpt: null,
    } as (typeof grown.devices)[number]);
    const second = layoutLab(grown, first);
    for (const key of ['dev:A', 'hwpt:2', 'vm:VM1', 'vm:VM2']) {
      expect(second.byKey.get(key)?.x).toBe(first.byKey.get(key)?.x);
    }
    expect(second.byKey.get('dev:A')).toBe(first.byKey.get('dev:A'));
  });

  it('reuses positions and edges when only data changed, and lays out again when links change', () => {
    const base = seedState();
    const first = layoutLab(base);
    // A map grows a table's stats and a VM turns hazardous: nothing moves, the nodes carry the new data.
    const mapped = { ...base, hwpts: [...base.hwpts], vms: [...base.vms] };
    const table = { ...base.hwpts[0], stats: { ...base.hwpts[0]?.stats, bytes: 1 << 20 } };
    mapped.hwpts[0] = table as (typeof mapped.hwpts)[number];
    mapped.vms[0] = { ...base.vms[0], coherencyHazard: true } as (typeof mapped.vms)[number];
    const second = layoutLab(mapped, first);
    expect(second.edges).toBe(first.edges);
    expect(second.byKey.get('dev:A')).toBe(first.byKey.get('dev:A'));
    const hwpt = second.byKey.get(`hwpt:${table.id}`);
    expect(hwpt?.data).toBe(table);
    expect(hwpt?.x).toBe(first.byKey.get(`hwpt:${table.id}`)?.x);
    const vm = second.byKey.get('vm:VM1');
    expect(vm && 'note' in vm ? vm.note : '').toBe('A: no-snoop, HWPT 2 no SNP');
    expect(second).toEqual(layoutLab(mapped));
    // A table that loses a device is a change of links: a fresh layout, fresh edges.
    const detached = { ...mapped, hwpts: [...mapped.hwpts] };
    detached.hwpts[0] = { ...table, devices: [] } as (typeof detached.hwpts)[number];
    const third = layoutLab(detached, second);
    expect(third.edges).not.toBe(second.edges);
    expect(third.edges.some((e) => e.to === `hwpt:${table.id}` && e.from.startsWith('dev:'))).toBe(false);
  });

  it('notes why a VM is in a hazard', () => {
    const state = seedState();
    state.vms[0] = { ...state.vms[0], wbinvd: false, coherencyHazard: true } as (typeof state.vms)[number];
    const vm = layoutLab(state).byKey.get('vm:VM1');
    expect(vm && 'note' in vm ? vm.note : '').toBe('A: no-snoop, HWPT 2 no SNP');
  });
});
