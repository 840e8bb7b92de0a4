// Row layout of a lab's topology: IOMMU units, devices, page tables, IOAS, VMs top to bottom.
// Deterministic and incremental-friendly: devices keep their IOMMU block, the rows below follow their parents.
import { nodeKey } from './touched';
import type { DeviceState, HwptState, IoasState, IommuState, LabState, VmState } from './types';

export type NodeKind = 'iommu' | 'dev' | 'hwpt' | 'ioas' | 'vm';

export type LaidNode =
  | { kind: 'iommu'; key: string; x: number; y: number; w: number; h: number; data: IommuState }
  | { kind: 'dev'; key: string; x: number; y: number; w: number; h: number; data: DeviceState; note?: string }
  | { kind: 'hwpt'; key: string; x: number; y: number; w: number; h: number; data: HwptState }
  | { kind: 'ioas'; key: string; x: number; y: number; w: number; h: number; data: IoasState }
  | { kind: 'vm'; key: string; x: number; y: number; w: number; h: number; data: VmState; note?: string };

export interface LaidEdge {
  from: string;
  to: string;
  /** iommu: device → unit; snp / nosnp: device → page table; mirror: table → IOAS; owner: IOAS → VM. */
  kind: 'iommu' | 'snp' | 'nosnp' | 'mirror' | 'owner';
  /** A device attached to a table of another IOMMU unit than its own. */
  cross?: boolean;
}

export interface Layout {
  nodes: LaidNode[];
  byKey: Map<string, LaidNode>;
  edges: LaidEdge[];
  width: number;
  height: number;
  /** What positions and edges were computed from; a later state of the same shape reuses them. */
  shape?: LayoutShape;
}

/** The unit and device lists (by identity: shareState keeps an unchanged list) and how the rows below link. */
interface LayoutShape {
  iommus: IommuState[];
  devices: DeviceState[];
  links: string;
}

export const SIZE: Record<NodeKind, { w: number; h: number }> = {
  iommu: { w: 150, h: 44 },
  dev: { w: 104, h: 44 },
  hwpt: { w: 168, h: 74 },
  ioas: { w: 120, h: 40 },
  vm: { w: 190, h: 62 },
};
export const ROW_Y: Record<NodeKind, number> = { iommu: 40, dev: 160, hwpt: 290, ioas: 440, vm: 560 };
export const ROW_LABEL: Record<NodeKind, string> = {
  iommu: 'IOMMU units',
  dev: 'devices',
  hwpt: 'page tables',
  ioas: 'IOAS',
  vm: 'VMs',
};
const GAP = 16;
export const LEFT = 110;

/** Places items at their wished centre x, in that order, pushing right to avoid overlap. */
function sweep<T>(items: { item: T; want: number }[], width: number): Map<T, number> {
  const sorted = [...items].sort((a, b) => a.want - b.want);
  const out = new Map<T, number>();
  let next = LEFT;
  for (const { item, want } of sorted) {
    const left = Math.max(want - width / 2, next);
    out.set(item, left);
    next = left + width + GAP;
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** What the placement phases share: nodes and edges so far, each node's centre x, the next free x. */
interface Placing {
  state: LabState;
  nodes: LaidNode[];
  edges: LaidEdge[];
  centre: Map<string, number>;
  cursor: number;
}

/** Devices in blocks per IOMMU unit, in state order; the unit sits over its block. */
function placeUnitsAndDevices(p: Placing): void {
  const devicesByIommu = new Map<string, DeviceState[]>();
  for (const d of p.state.devices) {
    const list = devicesByIommu.get(d.iommu) ?? [];
    list.push(d);
    devicesByIommu.set(d.iommu, list);
  }
  const tableUnit = new Map(p.state.hwpts.map((h) => [h.id, h.iommu]));
  for (const unit of p.state.iommus) {
    const start = p.cursor;
    for (const d of devicesByIommu.get(unit.name) ?? []) {
      const key = nodeKey('dev', d.name);
      // The note names the unit of the device's table when that is not the device's own unit.
      const other = d.hwpt !== null ? tableUnit.get(d.hwpt) : undefined;
      const note = other && other !== d.iommu ? other : undefined;
      p.nodes.push({ kind: 'dev', key, x: p.cursor, y: ROW_Y.dev, ...SIZE.dev, data: d, note });
      p.centre.set(key, p.cursor + SIZE.dev.w / 2);
      p.edges.push({ from: key, to: nodeKey('iommu', unit.name), kind: 'iommu' });
      p.cursor += SIZE.dev.w + GAP;
    }
    const blockWidth = Math.max(p.cursor - start - GAP, SIZE.iommu.w);
    const x = start + blockWidth / 2 - SIZE.iommu.w / 2;
    const key = nodeKey('iommu', unit.name);
    p.nodes.push({ kind: 'iommu', key, x, y: ROW_Y.iommu, ...SIZE.iommu, data: unit });
    p.centre.set(key, x + SIZE.iommu.w / 2);
    p.cursor = Math.max(p.cursor, start + blockWidth + GAP) + GAP;
  }
}

/** Page tables under the devices attached to them (or their unit when empty). */
function placeTables(p: Placing): void {
  const wish = p.state.hwpts.map((h) => {
    const xs = h.devices
      .map((d) => p.centre.get(nodeKey('dev', d)))
      .filter((x): x is number => x !== undefined);
    return { item: h, want: xs.length ? mean(xs) : (p.centre.get(nodeKey('iommu', h.iommu)) ?? p.cursor) };
  });
  const unitOf = new Map(p.state.devices.map((d) => [d.name, d.iommu]));
  for (const [h, x] of sweep(wish, SIZE.hwpt.w)) {
    const key = nodeKey('hwpt', h.id);
    p.nodes.push({ kind: 'hwpt', key, x, y: ROW_Y.hwpt, ...SIZE.hwpt, data: h });
    p.centre.set(key, x + SIZE.hwpt.w / 2);
    for (const d of h.devices) {
      const cross = unitOf.get(d) !== h.iommu;
      p.edges.push({
        from: nodeKey('dev', d),
        to: key,
        kind: h.enforceCacheCoherency ? 'snp' : 'nosnp',
        cross,
      });
    }
    p.edges.push({ from: key, to: nodeKey('ioas', h.ioas), kind: 'mirror' });
  }
}

/** IOAS under their tables, else under their VM's devices; VMs under their IOAS. */
function placeSpacesAndVms(p: Placing): void {
  const { state, centre } = p;
  const vmByName = new Map(state.vms.map((v) => [v.name, v]));
  const ioasWish = state.ioas.map((a) => {
    const xs = state.hwpts
      .filter((h) => h.ioas === a.id)
      .map((h) => centre.get(nodeKey('hwpt', h.id)))
      .filter((x): x is number => x !== undefined);
    if (!xs.length && a.vm) {
      for (const d of vmByName.get(a.vm)?.devices ?? []) {
        const x = centre.get(nodeKey('dev', d));
        if (x !== undefined) xs.push(x);
      }
    }
    return { item: a, want: xs.length ? mean(xs) : p.cursor };
  });
  for (const [a, x] of sweep(ioasWish, SIZE.ioas.w)) {
    const key = nodeKey('ioas', a.id);
    p.nodes.push({ kind: 'ioas', key, x, y: ROW_Y.ioas, ...SIZE.ioas, data: a });
    centre.set(key, x + SIZE.ioas.w / 2);
    if (a.vm) p.edges.push({ from: key, to: nodeKey('vm', a.vm), kind: 'owner' });
  }
  const vmWish = state.vms.map((v) => ({ item: v, want: centre.get(nodeKey('ioas', v.ioas)) ?? p.cursor }));
  const hwptById = new Map(state.hwpts.map((h) => [h.id, h]));
  for (const [v, x] of sweep(vmWish, SIZE.vm.w)) {
    const note = hazardReason(state, v, hwptById);
    p.nodes.push({ kind: 'vm', key: nodeKey('vm', v.name), x, y: ROW_Y.vm, ...SIZE.vm, data: v, note });
  }
}

/** Nodes that did not move and carry the same data keep their identity, so memoised views skip them. */
function keepIdentity(nodes: LaidNode[], previous: Layout): void {
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i] as LaidNode;
    const old = previous.byKey.get(n.key);
    const sameNote = !('note' in n) || (old && 'note' in old && old.note === n.note);
    if (old && old.x === n.x && old.y === n.y && old.data === n.data && sameNote) nodes[i] = old;
  }
}

/** Every fact of tables, IOAS and VMs that a position, an edge or a device note depends on, in order. */
function links(state: LabState): string {
  const parts: string[] = [];
  for (const h of state.hwpts)
    parts.push(`h${h.id}:${h.ioas}:${h.iommu}:${h.enforceCacheCoherency}:${h.devices.join(',')}`);
  for (const a of state.ioas) parts.push(`a${a.id}:${a.vm ?? ''}`);
  for (const v of state.vms) parts.push(`v${v.name}:${v.ioas}`);
  return parts.join('\n');
}

/**
 * The previous layout with only the data of tables, IOAS and VMs swapped in: under a stream of maps a
 * 10,000-device lab changes page-table stats, not where anything sits, and laying it all out again took
 * most of a frame. Edges stay the same array, so edge paths (which depend on positions only) are kept.
 */
function reuseLayout(state: LabState, previous: Layout, shape: LayoutShape): Layout {
  const hwptById = new Map(state.hwpts.map((h) => [h.id, h]));
  const ioasById = new Map(state.ioas.map((a) => [a.id, a]));
  const vmByName = new Map(state.vms.map((v) => [v.name, v]));
  const nodes = previous.nodes.map((n): LaidNode => {
    if (n.kind === 'hwpt') {
      const data = hwptById.get(n.data.id) ?? n.data;
      return data === n.data ? n : { ...n, data };
    }
    if (n.kind === 'ioas') {
      const data = ioasById.get(n.data.id) ?? n.data;
      return data === n.data ? n : { ...n, data };
    }
    if (n.kind === 'vm') {
      const data = vmByName.get(n.data.name) ?? n.data;
      return data === n.data ? n : { ...n, data, note: hazardReason(state, data, hwptById) };
    }
    return n;
  });
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  return { ...previous, nodes, byKey, shape };
}

export function layoutLab(state: LabState, previous?: Layout | null): Layout {
  const shape: LayoutShape = { iommus: state.iommus, devices: state.devices, links: links(state) };
  const before = previous?.shape;
  if (
    previous &&
    before &&
    before.iommus === shape.iommus &&
    before.devices === shape.devices &&
    before.links === shape.links
  )
    return reuseLayout(state, previous, shape);
  const p: Placing = { state, nodes: [], edges: [], centre: new Map(), cursor: LEFT };
  placeUnitsAndDevices(p);
  placeTables(p);
  placeSpacesAndVms(p);
  if (previous) keepIdentity(p.nodes, previous);
  const byKey = new Map(p.nodes.map((n) => [n.key, n]));
  const width = Math.max(LEFT + 200, ...p.nodes.map((n) => n.x + n.w)) + 40;
  return {
    nodes: p.nodes,
    byKey,
    edges: p.edges.filter((e) => byKey.has(e.from) && byKey.has(e.to)),
    width,
    height: 660,
    shape,
  };
}

/** One line on why a VM is in a coherency hazard: a no-snoop device behind a table without SNP. */
export function hazardReason(
  state: LabState,
  vm: VmState,
  hwpts: Map<number, HwptState>,
): string | undefined {
  if (!vm.coherencyHazard) return undefined;
  for (const d of state.devices) {
    if (d.vm !== vm.name || !d.noSnoop || d.hwpt === null) continue;
    const table = hwpts.get(d.hwpt);
    if (table && !table.enforceCacheCoherency) return `${d.name}: no-snoop, HWPT ${table.id} no SNP`;
  }
  return 'KVM sees coherent DMA, a device can snoop-bypass';
}
