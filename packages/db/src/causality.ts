// Causality over a VM's history: which events made its wbinvd/hazard what they are (`why`), the causal
// chain of its current state, and the first event in that chain with no counterpart in another VM's history.
import type { CoreState, Effect } from '@ioasid-lab/core';
import type { ChainLink, StoredEvent } from './store-types.ts';
import type { HwptOrigins, VmHistory } from './vm-history.ts';

const FLIPS = {
  wbinvd: ['vm.wbinvd_on', 'vm.wbinvd_off'],
  hazard: ['vm.hazard_on', 'vm.hazard_off'],
} as const;

const ATTACHING = new Set(['device.attached', 'device.replaced']);

/** The objects the VM's current coherency depends on: the VM, its devices, and the HWPTs they sit on. */
export interface CausalKeys {
  vm: string;
  devices: Set<string>;
  hwpts: Set<number>;
}

export function causalKeys(state: CoreState, vm: string): CausalKeys {
  const found = state.vms.find((v) => v.name === vm);
  const devices = new Set(found?.devices ?? []);
  const hwpts = new Set<number>();
  for (const d of state.devices) if (devices.has(d.name) && d.hwpt !== null) hwpts.add(d.hwpt);
  return { vm, devices, hwpts };
}

function touches(e: Effect, keys: CausalKeys): boolean {
  if (e.vm === keys.vm) return true;
  if (e.hwpt !== undefined && keys.hwpts.has(e.hwpt)) return true;
  if (e.fromHwpt !== undefined && keys.hwpts.has(e.fromHwpt)) return true;
  return e.vm === undefined && e.device !== undefined && keys.devices.has(e.device);
}

/** The VM's history narrowed to effects on the objects its current state depends on. */
export function causalChain(history: VmHistory, keys: CausalKeys): ChainLink[] {
  const chain: ChainLink[] = [];
  for (const event of history.events) {
    const effects = event.effects.filter((e) => touches(e, keys) && !e.type.startsWith('area.'));
    if (effects.length > 0) chain.push({ seq: event.seq, op: event.op, effects });
  }
  return chain;
}

function lastSeqWith(chain: ChainLink[], vm: string, types: readonly string[]): number | undefined {
  for (let i = chain.length - 1; i >= 0; i--) {
    const link = chain[i] as ChainLink;
    if (link.effects.some((e) => e.vm === vm && types.includes(e.type))) return link.seq;
  }
  return undefined;
}

/** The event that last set the VM's wbinvd (or hazard), if any did. */
export function lastFlip(chain: ChainLink[], vm: string, what: keyof typeof FLIPS): number | undefined {
  return lastSeqWith(chain, vm, FLIPS[what]);
}

/**
 * `why`: the VM's creation, the last events that set its wbinvd and hazard, later device-set changes that
 * left them as they were, and for what it has now: each device's latest attach and each HWPT's creation
 * and snoop downgrades.
 */
export function whySeqs(chain: ChainLink[], keys: CausalKeys): number[] {
  const seqs = new Set<number>();
  const created = lastSeqWith(chain, keys.vm, ['vm.created']);
  if (created !== undefined) seqs.add(created);
  const wbinvd = lastFlip(chain, keys.vm, 'wbinvd');
  const hazard = lastFlip(chain, keys.vm, 'hazard');
  if (wbinvd !== undefined) seqs.add(wbinvd);
  if (hazard !== undefined) seqs.add(hazard);
  const since = Math.max(wbinvd ?? 0, hazard ?? 0);
  const lastAttach = new Map<string, number>();
  for (const link of chain) {
    for (const e of link.effects) {
      if (link.seq > since && e.vm === keys.vm && e.type.startsWith('vm.kvm_file_')) seqs.add(link.seq);
      if (ATTACHING.has(e.type) && e.device !== undefined && keys.devices.has(e.device)) {
        lastAttach.set(e.device, link.seq);
      }
      if (e.hwpt !== undefined && keys.hwpts.has(e.hwpt)) {
        if (e.type === 'hwpt.created' || e.type === 'hwpt.snoop_downgraded') seqs.add(link.seq);
      }
    }
  }
  for (const seq of lastAttach.values()) seqs.add(seq);
  return [...seqs].sort((x, y) => x - y);
}

/** Names objects by what they are, not what they are called, so a VM and its twin compare equal. */
export interface Catalog {
  iommu(name: string): string;
  device(name: string): string;
  hwpt(id: number): string;
}

export function catalogOf(state: CoreState, origins: HwptOrigins): Catalog {
  const iommus = new Map(
    state.iommus.map((i) => [i.name, `${i.vendor}/snoopctl=${i.enforceCacheCoherency}`]),
  );
  const iommu = (name: string) => iommus.get(name) ?? `iommu:${name}`;
  const devices = new Map(
    state.devices.map((d) => [d.name, `${iommu(d.iommu)}/nosnoop=${d.noSnoop}/${d.kind}`]),
  );
  const hwpts = new Map(state.hwpts.map((h) => [h.id, { iommu: h.iommu, enforce: h.enforceCacheCoherency }]));
  return {
    iommu,
    device: (name) => devices.get(name) ?? `device:${name}`,
    hwpt: (id) => {
      // Creation-time facts: a table later downgraded was still born like its twin's.
      const origin = origins.get(id);
      const now = hwpts.get(id);
      const on = origin?.iommu ?? now?.iommu;
      const enforce = origin?.enforceCacheCoherency ?? now?.enforce;
      return `${on === undefined ? '?' : iommu(on)}/enforce=${enforce}`;
    },
  };
}

export function signature(e: Effect, self: string, catalog: Catalog): string {
  const parts: string[] = [e.type];
  if (e.vm !== undefined) parts.push(e.vm === self ? 'vm=self' : `vm=${e.vm}`);
  if (e.device !== undefined) parts.push(`device=${catalog.device(e.device)}`);
  if (e.iommu !== undefined) parts.push(`iommu=${catalog.iommu(e.iommu)}`);
  if (e.hwpt !== undefined) parts.push(`hwpt=${catalog.hwpt(e.hwpt)}`);
  if (e.fromHwpt !== undefined) parts.push(`from=${catalog.hwpt(e.fromHwpt)}`);
  if (e.enforceCacheCoherency !== undefined) parts.push(`enforce=${e.enforceCacheCoherency}`);
  if (e.noncoherentDma !== undefined) parts.push(`noncoherent=${e.noncoherentDma}`);
  return parts.join('|');
}

/**
 * The earliest effect in `chain` (the differing VM's) with no counterpart in `other`'s history. Inside that
 * event an unmatched attach is named in preference: it is the act the other effects follow from.
 */
export function firstUnmatched(
  chain: ChainLink[],
  self: string,
  other: VmHistory,
  catalog: Catalog,
): { seq: number; op: StoredEvent['op']; effect: Effect } | null {
  const seen = new Set<string>();
  for (const event of other.events) for (const e of event.effects) seen.add(signature(e, other.vm, catalog));
  for (const link of chain) {
    const unmatched = link.effects.filter((e) => !seen.has(signature(e, self, catalog)));
    const first = unmatched[0];
    if (!first) continue;
    const attach = unmatched.find((e) => ATTACHING.has(e.type));
    return { seq: link.seq, op: link.op, effect: attach ?? first };
  }
  return null;
}
