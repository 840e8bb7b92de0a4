// Causality over a VM's indexed history, for the state now: the events that made its wbinvd/hazard what
// they are (`why`), and the first event of its causal chain with no counterpart in another VM's history.
// Bounded by devices, tables and signatures, never by the length of the history.
import type { CoreState, Effect, OpName } from '@ioasid-lab/core';
import { ATTACHING, type StoredLink, VM_FACTS, type VmIndex } from './history-index.ts';
import type { ChainLink } from './store-types.ts';

export class CausalView {
  readonly index: VmIndex;
  /** Its devices now, the tables they sit on, and devices that shared those tables (B in the seed). */
  readonly devices: Set<string>;
  readonly hwpts: Set<number>;
  readonly involved: Set<string>;

  constructor(index: VmIndex, state: CoreState) {
    this.index = index;
    const found = state.vms.find((v) => v.name === index.vm);
    this.devices = new Set(found?.devices ?? []);
    this.hwpts = new Set<number>();
    for (const d of state.devices) if (this.devices.has(d.name) && d.hwpt !== null) this.hwpts.add(d.hwpt);
    this.involved = new Set(this.devices);
    for (const id of this.hwpts) for (const d of index.hwpts.get(id)?.devices ?? []) this.involved.add(d);
    // A device whose kvm-vfio file left after wbinvd last turned on, while it stays on: KVM judged the VM
    // again then and kept wbinvd (6.1 judges a type1 group by its container, which QEMU leaves only after
    // FILE_DEL), so that departure is part of why.
    const lastOn = index.wbinvd;
    if (found?.wbinvd && lastOn) {
      for (const [name, device] of index.devices) {
        const left = device.lastMove.get('vm.kvm_file_removed');
        if (left && left.seq > lastOn.seq && !this.devices.has(name)) this.involved.add(name);
      }
    }
  }

  /** Whether an effect of this VM's history bears on its state now. */
  causal(e: Effect): boolean {
    const vm = this.index.vm;
    if (e.vm === vm && VM_FACTS.has(e.type)) return true;
    if (e.hwpt !== undefined && this.hwpts.has(e.hwpt)) return true;
    if (e.fromHwpt !== undefined && this.hwpts.has(e.fromHwpt)) return true;
    return e.vm === vm && e.device !== undefined && this.involved.has(e.device);
  }

  /** A stored event as a chain link: only its causal effects; `op` is filled in by the caller. */
  link(stored: StoredLink): ChainLink {
    return { seq: stored.seq, op: '' as OpName, effects: stored.effects.filter((e) => this.causal(e)) };
  }

  /** Creation, the last flips, each involved device's last arrival/departure, its tables' birth/downgrades. */
  whyLinks(): ChainLink[] {
    const idx = this.index;
    const stored: (StoredLink | undefined)[] = [idx.created, idx.wbinvd, idx.hazard];
    for (const d of this.involved) stored.push(...(idx.devices.get(d)?.lastMove.values() ?? []));
    for (const id of this.hwpts) stored.push(...(idx.hwpts.get(id)?.tableLinks ?? []));
    const bySeq = new Map<number, StoredLink>();
    for (const s of stored) if (s) bySeq.set(s.seq, s);
    return [...bySeq.values()].sort((x, y) => x.seq - y.seq).map((s) => this.link(s));
  }

  /** The stored event that last set the VM's wbinvd or hazard. */
  lastFlip(what: 'wbinvd' | 'hazard'): StoredLink | undefined {
    return what === 'wbinvd' ? this.index.wbinvd : this.index.hazard;
  }

  /**
   * The earliest causal effect whose signature the other VM's history lacks; inside that event an
   * unmatched attach is named in preference (the act the other effects follow from).
   */
  firstUnmatched(other: VmIndex): { link: ChainLink; effect: Effect } | null {
    const idx = this.index;
    const tables: Map<string, StoredLink>[] = [idx.factFirst];
    for (const id of this.hwpts) {
      const table = idx.hwpts.get(id);
      if (table) tables.push(table.first);
    }
    for (const d of this.involved) {
      const device = idx.devices.get(d);
      if (device) tables.push(device.first);
    }
    let best: StoredLink | undefined;
    for (const table of tables) {
      for (const [sig, stored] of table) {
        if (!other.signatures.has(sig) && (!best || stored.seq < best.seq)) best = stored;
      }
    }
    if (!best) return null;
    const chosen = best;
    const unmatched = chosen.effects.filter(
      (e, i) => this.causal(e) && !other.signatures.has(chosen.sigs[i] as string),
    );
    const effect = unmatched.find((e) => ATTACHING.has(e.type)) ?? unmatched[0];
    return effect ? { link: this.link(chosen), effect } : null;
  }
}
