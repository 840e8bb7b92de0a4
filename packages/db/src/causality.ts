// Causality, in one streaming pass over the log: for each VM, the events that made its wbinvd/hazard what
// they are (`why`), and for the odd VM the first event of its causal chain with no counterpart in the
// other VM's history. Memory stays bounded by devices and tables, not by the length of the history.
import type { CoreState, Effect, OpName } from '@ioasid-lab/core';
import { type Catalog, catalogOf, type HwptOrigins, signature } from './signature.ts';
import type { ChainLink } from './store-types.ts';

const WBINVD = new Set(['vm.wbinvd_on', 'vm.wbinvd_off']);
const HAZARD = new Set(['vm.hazard_on', 'vm.hazard_off']);
const ATTACHING = new Set(['device.attached', 'device.replaced']);
const VM_FACTS = new Set(['vm.created', 'vm.noncoherent_changed', ...WBINVD, ...HAZARD]);

/** One applied event as the scan reads it; `op` is filled in afterwards, only for the links kept. */
export interface ScanRow {
  seq: number;
  effects: Effect[];
}

export type Role = 'odd' | 'other' | 'plain';

/** What the scan learns about one VM. */
export class VmScan {
  readonly vm: string;
  readonly ioas: number;
  readonly role: Role;
  /** Its devices now, the tables they sit on, and devices that shared those tables (B in the seed). */
  readonly devices: Set<string>;
  readonly hwpts: Set<number>;
  readonly involved: Set<string>;
  /** other: every effect signature of its history. */
  readonly signatures = new Set<string>();
  /** odd: the earliest causal link carrying each signature. */
  readonly firstCausal = new Map<string, ChainLink>();
  created?: ChainLink;
  wbinvd?: ChainLink;
  hazard?: ChainLink;
  readonly lastMove = new Map<string, ChainLink>();
  readonly tableLinks: ChainLink[] = [];

  constructor(state: CoreState, vm: string, role: Role) {
    const found = state.vms.find((v) => v.name === vm);
    this.vm = vm;
    this.role = role;
    this.ioas = found?.ioas ?? -1;
    this.devices = new Set(found?.devices ?? []);
    this.hwpts = new Set<number>();
    for (const d of state.devices) if (this.devices.has(d.name) && d.hwpt !== null) this.hwpts.add(d.hwpt);
    this.involved = new Set(this.devices);
  }

  #causal(e: Effect): boolean {
    if (e.vm === this.vm && VM_FACTS.has(e.type)) return true;
    if (e.hwpt !== undefined && this.hwpts.has(e.hwpt)) return true;
    if (e.fromHwpt !== undefined && this.hwpts.has(e.fromHwpt)) return true;
    return e.vm === this.vm && e.device !== undefined && this.involved.has(e.device);
  }

  /** Feeds one event's effects that belong to this VM's history. */
  take(seq: number, members: Effect[], catalog: Catalog): void {
    for (const e of members) {
      if (e.device !== undefined && e.hwpt !== undefined && this.hwpts.has(e.hwpt))
        this.involved.add(e.device);
    }
    if (this.role === 'other') for (const e of members) this.signatures.add(signature(e, this.vm, catalog));
    const causal = members.filter((e) => this.#causal(e));
    if (causal.length === 0) return;
    const link: ChainLink = { seq, op: '' as OpName, effects: causal };
    for (const e of causal) {
      if (this.role === 'odd') {
        const s = signature(e, this.vm, catalog);
        if (!this.firstCausal.has(s)) this.firstCausal.set(s, link);
      }
      if (e.vm === this.vm && e.type === 'vm.created') this.created = link;
      if (e.vm === this.vm && WBINVD.has(e.type)) this.wbinvd = link;
      if (e.vm === this.vm && HAZARD.has(e.type)) this.hazard = link;
      if (e.device !== undefined && (e.type.startsWith('vm.kvm_file_') || ATTACHING.has(e.type))) {
        this.lastMove.set(`${e.type}:${e.device}`, link);
      }
      if (e.hwpt !== undefined && this.hwpts.has(e.hwpt)) {
        if (e.type === 'hwpt.created' || e.type === 'hwpt.snoop_downgraded') this.tableLinks.push(link);
      }
    }
  }

  /** Links behind `why`: creation, last flips, each device's last move, its tables' birth and downgrades. */
  whyLinks(): ChainLink[] {
    const links = [this.created, this.wbinvd, this.hazard, ...this.lastMove.values(), ...this.tableLinks];
    const bySeq = new Map<number, ChainLink>();
    for (const link of links) if (link) bySeq.set(link.seq, link);
    return [...bySeq.values()].sort((x, y) => x.seq - y.seq);
  }

  /** The earliest causal effect whose signature the other VM's history lacks; an attach is preferred. */
  firstUnmatched(other: VmScan, catalog: Catalog): { link: ChainLink; effect: Effect } | null {
    let best: ChainLink | undefined;
    for (const [sig, link] of this.firstCausal) {
      if (!other.signatures.has(sig) && (!best || link.seq < best.seq)) best = link;
    }
    if (!best) return null;
    const unmatched = best.effects.filter((e) => !other.signatures.has(signature(e, this.vm, catalog)));
    const effect = unmatched.find((e) => ATTACHING.has(e.type)) ?? unmatched[0];
    return effect ? { link: best, effect } : null;
  }
}

function isMember(e: Effect, scan: VmScan, owner: Map<number, number>): boolean {
  if (e.vm !== undefined) return e.vm === scan.vm;
  // Mappings are the bulk of long histories and never decide coherency on their own.
  if (!e.type.startsWith('hwpt.') || e.hwpt === undefined) return false;
  return owner.get(e.hwpt) === scan.ioas;
}

/** The log fragments whose events can matter to these VMs (effects naming them, and every hwpt.* effect). */
export function scanFragments(vms: string[]): string[] {
  return [...vms.map((vm) => `"vm":${JSON.stringify(vm)}`), '"type":"hwpt.'];
}

/** Streams rows (in seq order) through the scans. Returns the catalog it built for signatures. */
export function scanHistory(state: CoreState, rows: Iterable<ScanRow>, scans: VmScan[]): Catalog {
  const origins: HwptOrigins = new Map();
  const catalog = catalogOf(state, origins);
  // HWPT -> IOAS: hwpt.* effects carry no VM, so their table's IOAS says whose history they are.
  const owner = new Map<number, number>();
  for (const row of rows) {
    for (const e of row.effects) {
      if (e.type === 'hwpt.created' && e.hwpt !== undefined) {
        origins.set(e.hwpt, { iommu: e.iommu, enforceCacheCoherency: e.enforceCacheCoherency });
        if (e.ioas !== undefined) owner.set(e.hwpt, e.ioas);
      }
    }
    for (const scan of scans) {
      const members = row.effects.filter((e) => isMember(e, scan, owner));
      if (members.length > 0) scan.take(row.seq, members, catalog);
    }
  }
  return catalog;
}
