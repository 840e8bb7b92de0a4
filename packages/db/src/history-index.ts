// A lab's history folded into per-VM indexes that later events only extend: every effect signature of a
// VM's history, the first event per signature filed under the object it concerns, and the latest facts
// `why` needs. Explain asks it questions about the current state without re-reading the whole log.
import type { CoreState, Effect } from '@ioasid-lab/core';
import { type Catalog, catalogOf, type HwptOrigins, signature } from './signature.ts';

export const WBINVD = new Set(['vm.wbinvd_on', 'vm.wbinvd_off']);
export const HAZARD = new Set(['vm.hazard_on', 'vm.hazard_off']);
export const ATTACHING = new Set(['device.attached', 'device.replaced']);
export const VM_FACTS = new Set(['vm.created', 'vm.noncoherent_changed', ...WBINVD, ...HAZARD]);

/** One applied event as the index reads it. */
export interface ScanRow {
  seq: number;
  effects: Effect[];
}

/** An event as one VM's history holds it: the effects that concern the VM, with their signatures. */
export interface StoredLink {
  seq: number;
  effects: Effect[];
  sigs: string[];
}

function setFirst(map: Map<string, StoredLink>, sig: string, link: StoredLink): void {
  if (!map.has(sig)) map.set(sig, link);
}

/** Per table: first link per signature, its birth and downgrades, and every device that touched it. */
export class HwptIndex {
  readonly first = new Map<string, StoredLink>();
  readonly tableLinks: StoredLink[] = [];
  readonly devices = new Set<string>();
}

/** Per device (effects naming the VM): first link per signature and its latest arrival/departure. */
export class DeviceIndex {
  readonly first = new Map<string, StoredLink>();
  readonly lastMove = new Map<string, StoredLink>();
}

export class VmIndex {
  readonly vm: string;
  readonly ioas: number;
  readonly signatures = new Set<string>();
  readonly factFirst = new Map<string, StoredLink>();
  created?: StoredLink;
  wbinvd?: StoredLink;
  hazard?: StoredLink;
  readonly hwpts = new Map<number, HwptIndex>();
  readonly devices = new Map<string, DeviceIndex>();

  constructor(vm: string, ioas: number) {
    this.vm = vm;
    this.ioas = ioas;
  }

  #hwpt(id: number): HwptIndex {
    let found = this.hwpts.get(id);
    if (!found) {
      found = new HwptIndex();
      this.hwpts.set(id, found);
    }
    return found;
  }

  #device(name: string): DeviceIndex {
    let found = this.devices.get(name);
    if (!found) {
      found = new DeviceIndex();
      this.devices.set(name, found);
    }
    return found;
  }

  take(seq: number, members: Effect[], catalog: Catalog): void {
    const sigs = members.map((e) => signature(e, this.vm, catalog));
    const link: StoredLink = { seq, effects: members, sigs };
    members.forEach((e, i) => {
      const sig = sigs[i] as string;
      this.signatures.add(sig);
      if (e.vm === this.vm && VM_FACTS.has(e.type)) {
        setFirst(this.factFirst, sig, link);
        if (e.type === 'vm.created') this.created = link;
        if (WBINVD.has(e.type)) this.wbinvd = link;
        if (HAZARD.has(e.type)) this.hazard = link;
      }
      for (const id of [e.hwpt, e.fromHwpt]) {
        if (id === undefined) continue;
        const table = this.#hwpt(id);
        setFirst(table.first, sig, link);
        if (e.device !== undefined) table.devices.add(e.device);
        if (id === e.hwpt && (e.type === 'hwpt.created' || e.type === 'hwpt.snoop_downgraded')) {
          table.tableLinks.push(link);
        }
      }
      if (e.vm === this.vm && e.device !== undefined) {
        const device = this.#device(e.device);
        setFirst(device.first, sig, link);
        if (e.type.startsWith('vm.kvm_file_') || ATTACHING.has(e.type)) device.lastMove.set(e.type, link);
      }
    });
  }

  /** A freed table can never be current again: what was filed under it is no longer needed. */
  forgetHwpt(id: number): void {
    this.hwpts.delete(id);
  }
}

function isMember(e: Effect, vm: VmIndex, owner: Map<number, number>): boolean {
  if (e.vm !== undefined) return e.vm === vm.vm;
  // Mappings are the bulk of long histories and never decide coherency on their own.
  if (!e.type.startsWith('hwpt.') || e.hwpt === undefined) return false;
  return owner.get(e.hwpt) === vm.ioas;
}

/** What the indexes depend on besides the log: the hardware's capabilities and each VM's IOAS. */
function fingerprintOf(state: CoreState, vms: readonly string[]): string {
  return JSON.stringify([
    state.iommus.map((i) => [i.name, i.vendor, i.enforceCacheCoherency]),
    state.devices.map((d) => [d.name, d.iommu, d.noSnoop, d.kind]),
    vms.map((vm) => [vm, state.vms.find((v) => v.name === vm)?.ioas ?? -1]),
  ]);
}

export class HistoryIndex {
  /** Events folded in so far. */
  seq = 0;
  readonly vms: Map<string, VmIndex>;
  readonly catalog: Catalog;
  readonly #fingerprint: string;
  readonly #origins: HwptOrigins = new Map();
  /** HWPT -> IOAS: hwpt.* effects carry no VM, so their table's IOAS says whose history they are. */
  readonly #owner = new Map<number, number>();

  constructor(state: CoreState, vms: readonly string[]) {
    this.vms = new Map(
      vms.map((vm) => [vm, new VmIndex(vm, state.vms.find((v) => v.name === vm)?.ioas ?? -1)]),
    );
    this.catalog = catalogOf(state, this.#origins);
    this.#fingerprint = fingerprintOf(state, vms);
  }

  /** True when this index answers for these VMs in this state (else build a new one). */
  fits(state: CoreState, vms: readonly string[]): boolean {
    return (
      vms.every((vm) => this.vms.has(vm)) && fingerprintOf(state, [...this.vms.keys()]) === this.#fingerprint
    );
  }

  /** The log fragments whose events can matter: effects naming a tracked VM, and every hwpt.* effect. */
  fragments(): string[] {
    return [...[...this.vms.keys()].map((vm) => `"vm":${JSON.stringify(vm)}`), '"type":"hwpt.'];
  }

  /** Folds rows (in seq order, all after `seq`) into the indexes. */
  fold(rows: Iterable<ScanRow>): void {
    const vms = [...this.vms.values()];
    for (const row of rows) {
      for (const e of row.effects) {
        if (e.type === 'hwpt.created' && e.hwpt !== undefined) {
          this.#origins.set(e.hwpt, { iommu: e.iommu, enforceCacheCoherency: e.enforceCacheCoherency });
          if (e.ioas !== undefined) this.#owner.set(e.hwpt, e.ioas);
        }
      }
      for (const vm of vms) {
        const members = row.effects.filter((e) => isMember(e, vm, this.#owner));
        if (members.length > 0) vm.take(row.seq, members, this.catalog);
      }
      for (const e of row.effects) {
        if (e.type === 'hwpt.destroyed' && e.hwpt !== undefined) {
          for (const vm of vms) vm.forgetHwpt(e.hwpt);
          this.#owner.delete(e.hwpt);
          this.#origins.delete(e.hwpt);
          this.catalog.forget(e.hwpt);
        }
      }
      this.seq = row.seq;
    }
  }
}
