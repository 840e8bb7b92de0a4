// Test support: explain computed the way it was before the history index was kept as events commit: for
// the VMs asked, an index folded from event 1 with signatures named against the current state, and the
// other inputs (replays, a scratch core) taken afresh. The reference that the kept, saved and reopened
// index is held to, byte for byte.
import {
  type CoreState,
  type Effect,
  type Kernel,
  Lab,
  type Op,
  type OpName,
  type Policy,
} from '@ioasid-lab/core';
import { explainVm, explainVms } from './explain.ts';
import {
  ATTACHING,
  DeviceIndex,
  HAZARD,
  type HistoryView,
  HwptIndex,
  type StoredLink,
  VM_FACTS,
  VmIndex,
  WBINVD,
} from './history-index.ts';
import type { LiveLab } from './live-lab.ts';
import { replayInto } from './replay.ts';
import type { Explanation, StoredEvent, VmExplanation } from './store-types.ts';

type Origins = Map<number, { iommu?: string; enforceCacheCoherency?: boolean }>;

interface Catalog {
  iommu(name: string): string;
  device(name: string): string;
  hwpt(id: number): string;
  forget(id: number): void;
}

function catalogOf(state: CoreState, origins: Origins): Catalog {
  const iommus = new Map(
    state.iommus.map((i) => [i.name, `${i.vendor}/snoopctl=${i.enforceCacheCoherency}`]),
  );
  const iommu = (name: string) => iommus.get(name) ?? `iommu:${name}`;
  const devices = new Map(
    state.devices.map((d) => [d.name, `${iommu(d.iommu)}/nosnoop=${d.noSnoop}/${d.kind}`]),
  );
  const hwpts = new Map(state.hwpts.map((h) => [h.id, { iommu: h.iommu, enforce: h.enforceCacheCoherency }]));
  const hwptNames = new Map<number, string>();
  return {
    iommu,
    device: (name) => devices.get(name) ?? `device:${name}`,
    hwpt: (id) => {
      let named = hwptNames.get(id);
      if (named === undefined) {
        const origin = origins.get(id);
        const now = hwpts.get(id);
        const on = origin?.iommu ?? now?.iommu;
        const enforce = origin?.enforceCacheCoherency ?? now?.enforce;
        named = `${on === undefined ? '?' : iommu(on)}/enforce=${enforce}`;
        if (origin) hwptNames.set(id, named);
      }
      return named;
    },
    forget: (id) => {
      hwptNames.delete(id);
    },
  };
}

function signature(e: Effect, self: string, catalog: Catalog): string {
  let s = e.type;
  if (e.vm !== undefined) s += e.vm === self ? '|vm=self' : `|vm=${e.vm}`;
  if (e.device !== undefined) s += `|device=${catalog.device(e.device)}`;
  if (e.iommu !== undefined) s += `|iommu=${catalog.iommu(e.iommu)}`;
  if (e.hwpt !== undefined) s += `|hwpt=${catalog.hwpt(e.hwpt)}`;
  if (e.fromHwpt !== undefined) s += `|from=${catalog.hwpt(e.fromHwpt)}`;
  if (e.enforceCacheCoherency !== undefined) s += `|enforce=${e.enforceCacheCoherency}`;
  if (e.noncoherentDma !== undefined) s += `|noncoherent=${e.noncoherentDma}`;
  return s;
}

function setFirst(map: Map<string, StoredLink>, sig: string, link: StoredLink): void {
  if (!map.has(sig)) map.set(sig, link);
}

function take(vm: VmIndex, seq: number, members: Effect[], catalog: Catalog): void {
  const sigs = members.map((e) => signature(e, vm.vm, catalog));
  const link: StoredLink = { seq, effects: members, sigs };
  members.forEach((e, i) => {
    const sig = sigs[i] as string;
    vm.signatures.add(sig);
    if (e.vm === vm.vm && VM_FACTS.has(e.type)) {
      setFirst(vm.factFirst, sig, link);
      if (e.type === 'vm.created') vm.created = link;
      if (WBINVD.has(e.type)) vm.wbinvd = link;
      if (HAZARD.has(e.type)) vm.hazard = link;
    }
    for (const id of [e.hwpt, e.fromHwpt]) {
      if (id === undefined) continue;
      const table = vm.hwpts.get(id) ?? new HwptIndex();
      vm.hwpts.set(id, table);
      setFirst(table.first, sig, link);
      if (e.device !== undefined) table.devices.add(e.device);
      if (id === e.hwpt && (e.type === 'hwpt.created' || e.type === 'hwpt.snoop_downgraded')) {
        table.tableLinks.push(link);
      }
    }
    if (e.vm === vm.vm && e.device !== undefined) {
      const device = vm.devices.get(e.device) ?? new DeviceIndex();
      vm.devices.set(e.device, device);
      setFirst(device.first, sig, link);
      if (e.type.startsWith('vm.kvm_file_') || ATTACHING.has(e.type)) device.lastMove.set(e.type, link);
    }
  });
}

function isMember(e: Effect, vm: VmIndex, owner: Map<number, number>): boolean {
  if (e.vm !== undefined) return e.vm === vm.vm;
  if (!e.type.startsWith('hwpt.') || e.hwpt === undefined) return false;
  return owner.get(e.hwpt) === vm.ioas;
}

/** The index of `vms` folded from every applied event, named against `state`. */
export function referenceHistory(
  state: CoreState,
  vms: readonly string[],
  rows: Iterable<{ seq: number; effects: Effect[] }>,
): HistoryView {
  const indexes = vms.map((vm) => new VmIndex(vm, state.vms.find((v) => v.name === vm)?.ioas ?? -1));
  const origins: Origins = new Map();
  const owner = new Map<number, number>();
  const catalog = catalogOf(state, origins);
  for (const row of rows) {
    for (const e of row.effects) {
      if (e.type === 'hwpt.created' && e.hwpt !== undefined) {
        origins.set(e.hwpt, { iommu: e.iommu, enforceCacheCoherency: e.enforceCacheCoherency });
        if (e.ioas !== undefined) owner.set(e.hwpt, e.ioas);
      }
    }
    for (const vm of indexes) {
      const members = row.effects.filter((e) => isMember(e, vm, owner));
      if (members.length > 0) take(vm, row.seq, members, catalog);
    }
    for (const e of row.effects) {
      if (e.type === 'hwpt.destroyed' && e.hwpt !== undefined) {
        for (const vm of indexes) vm.hwpts.delete(e.hwpt);
        owner.delete(e.hwpt);
        origins.delete(e.hwpt);
        catalog.forget(e.hwpt);
      }
    }
  }
  return { vms: new Map(indexes.map((index) => [index.vm, index])) };
}

function allEvents(lab: LiveLab): StoredEvent[] {
  const out: StoredEvent[] = [];
  while (out.length < lab.seq) {
    const page = lab.events(out.length, 10_000);
    if (page.length === 0) break;
    out.push(...page);
  }
  return out;
}

/** explain(a, b) (or explain(a)) of `lab` now, by the reference index and fresh replays. */
export function referenceExplain(lab: LiveLab, a: string, b?: string): Explanation | VmExplanation {
  const events = allEvents(lab);
  const applied = events.filter((e) => e.result.ok);
  const { seq: _seq, ...state } = lab.state();
  const core = Lab.create(lab.policy, undefined, lab.kernel);
  try {
    replayInto(
      core,
      applied.map((e) => ({ op: e.op, ...e.input }) as Op),
    );
    const input = {
      a,
      policy: lab.policy,
      kernel: lab.kernel,
      seq: lab.seq,
      state,
      history: (x: string, y: string) => referenceHistory(state, x === y ? [x] : [x, y], applied),
      opNames: (seqs: number[]) => {
        const names = new Map<number, OpName>();
        for (const seq of seqs) {
          const event = events[seq - 1];
          if (event) names.set(seq, event.op);
        }
        return names;
      },
      scratch: () => Lab.restore(core.serialize()),
      replayUnder: (policy: Policy, kernel?: Kernel) => lab.replayUnder(policy, kernel),
    };
    return b === undefined ? explainVm(input) : explainVms({ ...input, b });
  } finally {
    core.destroy();
  }
}
