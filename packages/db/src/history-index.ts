// A lab's history folded into per-VM indexes that later events only extend: every effect signature of a
// VM's history, the first event per signature filed under the object it concerns, and the latest facts
// `why` needs. Explain asks it questions about the current state without re-reading the whole log.
//
// The fold reads effects and nothing else, so it runs as events commit (the live lab has their effects
// decoded) and its result can be saved with the lab's snapshots: signatures are raw (names and each
// table's birth facts, see signature.ts), every VM name is followed, and a table's hwpt.* effects (which
// carry no VM) are filed under the VM whose IOAS owns the table. `view` then reads one VM's index against
// the state explain looks at: its signatures named by today's hardware, and only its current IOAS's
// tables' signatures. A change of hardware or of a VM's IOAS needs no event read again.
import type { CoreState, Effect } from '@ioasid-lab/core';
import { type HwptOrigin, Resolver, rawSignature, tableToken } from './signature.ts';

export const WBINVD = new Set(['vm.wbinvd_on', 'vm.wbinvd_off']);
export const HAZARD = new Set(['vm.hazard_on', 'vm.hazard_off']);
export const ATTACHING = new Set(['device.attached', 'device.replaced']);
export const VM_FACTS = new Set(['vm.created', 'vm.noncoherent_changed', ...WBINVD, ...HAZARD]);
/** A device's arrivals and departures, the latest of each kept per device. */
const MOVES = new Set(['vm.kvm_file_added', 'vm.kvm_file_removed', ...ATTACHING]);

/** The log fragments of the events the fold reads: effects naming a VM, and every hwpt.* effect. */
export const HISTORY_FRAGMENTS: readonly string[] = ['"vm":', '"type":"hwpt.'];

/** Version of the saved form; rows of another version are ignored (the index is folded again). */
const FORMAT = 1;

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

/** A table in a VM's raw history: as HwptIndex, with its few devices in a list. */
class TableHistory {
  readonly first = new Map<string, StoredLink>();
  readonly tableLinks: StoredLink[] = [];
  readonly devices: string[] = [];
}

/** One VM's history as explain reads it: signatures named against the current state. */
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
}

/** What explain reads: the index of each VM it asked for. */
export interface HistoryView {
  vms: Map<string, VmIndex>;
}

type Entries = [string, number][];

/** What a VM's history asks of the lab-wide fold state. */
interface FoldScope {
  /** The effect's raw signature in `self`'s history (signature.ts rawSignature). */
  signature(e: Effect, self: string): string;
  /** The IOAS a live table maps. */
  owner(id: number): number;
  /** `vm`'s history files something under table `id` (forgotten there when the table goes). */
  filed(id: number, vm: string): void;
}

/** The saved form of one VM name's history: links once each, referred to by position. */
interface VmHistoryJson {
  links: [number, Effect[], string[]][];
  named: string[];
  owned: [number, string[]][];
  factFirst: Entries;
  created: number | null;
  wbinvd: number | null;
  hazard: number | null;
  hwpts: [number, Entries, number[], string[]][];
  devices: [string, Entries, Entries][];
}

/**
 * One VM name's history in raw signatures, over all its lives (a VM destroyed and created again under the
 * same name keeps the events that name it, as explain always read them). hwpt.* effects are filed under
 * the VM whose IOAS owns their table, and their signatures kept per IOAS: only the current IOAS's count.
 * Those of an earlier life's IOAS stay in that life's links, where explain never reads them: a VM is
 * destroyed only once its IOAS has no table left (the core refuses otherwise), so none of those tables is
 * current, and explain keeps of a link only the effects about the VM itself or its current tables. Tables
 * are forgotten when destroyed (ids are never reused).
 */
class VmHistory {
  readonly vm: string;
  /** Raw signatures of the effects that name the VM. */
  readonly named = new Set<string>();
  /** Raw signatures of hwpt.* effects, per IOAS owning their table. */
  readonly owned = new Map<number, Set<string>>();
  readonly factFirst = new Map<string, StoredLink>();
  created?: StoredLink;
  wbinvd?: StoredLink;
  hazard?: StoredLink;
  readonly hwpts = new Map<number, TableHistory>();
  readonly devices = new Map<string, DeviceIndex>();
  /** Changed since it was last saved. */
  dirty = true;

  constructor(vm: string) {
    this.vm = vm;
  }

  #device(name: string): DeviceIndex {
    let found = this.devices.get(name);
    if (!found) {
      found = new DeviceIndex();
      this.devices.set(name, found);
    }
    return found;
  }

  #owned(ioas: number): Set<string> {
    let found = this.owned.get(ioas);
    if (!found) {
      found = new Set();
      this.owned.set(ioas, found);
    }
    return found;
  }

  /** Files one event's effects that concern this VM. */
  take(seq: number, members: Effect[], lab: FoldScope): void {
    const sigs: string[] = [];
    for (const e of members) sigs.push(lab.signature(e, this.vm));
    const link: StoredLink = { seq, effects: members, sigs };
    this.dirty = true;
    for (let i = 0; i < members.length; i++) {
      const e = members[i] as Effect;
      const sig = sigs[i] as string;
      if (e.vm === undefined) this.#owned(lab.owner(e.hwpt as number)).add(sig);
      else this.named.add(sig);
      if (e.vm === this.vm && VM_FACTS.has(e.type)) {
        setFirst(this.factFirst, sig, link);
        if (e.type === 'vm.created') this.created = link;
        if (WBINVD.has(e.type)) this.wbinvd = link;
        if (HAZARD.has(e.type)) this.hazard = link;
      }
      if (e.hwpt !== undefined) this.#file(e.hwpt, e, sig, link, lab);
      if (e.fromHwpt !== undefined) this.#file(e.fromHwpt, e, sig, link, lab);
      if (e.vm === this.vm && e.device !== undefined) {
        const device = this.#device(e.device);
        setFirst(device.first, sig, link);
        if (MOVES.has(e.type)) device.lastMove.set(e.type, link);
      }
    }
  }

  /** Files an effect under table `id` (its hwpt or the table it left). */
  #file(id: number, e: Effect, sig: string, link: StoredLink, lab: FoldScope): void {
    let filed = this.hwpts.get(id);
    if (!filed) {
      filed = new TableHistory();
      this.hwpts.set(id, filed);
      lab.filed(id, this.vm);
    }
    setFirst(filed.first, sig, link);
    if (e.device !== undefined && !filed.devices.includes(e.device)) filed.devices.push(e.device);
    if (id === e.hwpt && (e.type === 'hwpt.created' || e.type === 'hwpt.snoop_downgraded')) {
      filed.tableLinks.push(link);
    }
  }

  /** A freed table can never be current again: what was filed under it is no longer needed. */
  forgetHwpt(id: number): void {
    if (this.hwpts.delete(id)) this.dirty = true;
  }

  /** A destroyed IOAS can never be a VM's current one again. */
  forgetIoas(ioas: number): void {
    if (this.owned.delete(ioas)) this.dirty = true;
  }

  /** This history read against a state where the VM's IOAS is `index.ioas`. */
  view(index: VmIndex, resolver: Resolver): VmIndex {
    const named = new Map<StoredLink, StoredLink>();
    const link = (raw: StoredLink): StoredLink => {
      let found = named.get(raw);
      if (!found) {
        found = { seq: raw.seq, effects: raw.effects, sigs: raw.sigs.map((s) => resolver.resolve(s)) };
        named.set(raw, found);
      }
      return found;
    };
    // Raw signatures that name alike collapse: the first event of any of them is the first of the name.
    const firsts = (from: Map<string, StoredLink>, to: Map<string, StoredLink>): void => {
      for (const [raw, stored] of from) {
        const sig = resolver.resolve(raw);
        const had = to.get(sig);
        if (!had || stored.seq < had.seq) to.set(sig, link(stored));
      }
    };
    for (const raw of this.named) index.signatures.add(resolver.resolve(raw));
    for (const raw of this.owned.get(index.ioas) ?? []) index.signatures.add(resolver.resolve(raw));
    firsts(this.factFirst, index.factFirst);
    if (this.created) index.created = link(this.created);
    if (this.wbinvd) index.wbinvd = link(this.wbinvd);
    if (this.hazard) index.hazard = link(this.hazard);
    for (const [id, raw] of this.hwpts) {
      const table = new HwptIndex();
      firsts(raw.first, table.first);
      for (const stored of raw.tableLinks) table.tableLinks.push(link(stored));
      for (const device of raw.devices) table.devices.add(device);
      index.hwpts.set(id, table);
    }
    for (const [name, raw] of this.devices) {
      const device = new DeviceIndex();
      firsts(raw.first, device.first);
      for (const [type, stored] of raw.lastMove) device.lastMove.set(type, link(stored));
      index.devices.set(name, device);
    }
    return index;
  }

  toJSON(): VmHistoryJson {
    const links: StoredLink[] = [];
    const at = new Map<StoredLink, number>();
    const ref = (link: StoredLink): number => {
      let found = at.get(link);
      if (found === undefined) {
        found = links.length;
        links.push(link);
        at.set(link, found);
      }
      return found;
    };
    const entries = (map: Map<string, StoredLink>): Entries => [...map].map(([k, l]) => [k, ref(l)]);
    const maybe = (link: StoredLink | undefined) => (link ? ref(link) : null);
    return {
      factFirst: entries(this.factFirst),
      created: maybe(this.created),
      wbinvd: maybe(this.wbinvd),
      hazard: maybe(this.hazard),
      hwpts: [...this.hwpts].map(([id, t]) => [id, entries(t.first), t.tableLinks.map(ref), [...t.devices]]),
      devices: [...this.devices].map(([name, d]) => [name, entries(d.first), entries(d.lastMove)]),
      named: [...this.named],
      owned: [...this.owned].map(([ioas, sigs]) => [ioas, [...sigs]]),
      links: links.map((l) => [l.seq, l.effects, l.sigs]),
    };
  }

  static fromJSON(vm: string, json: VmHistoryJson): VmHistory {
    const history = new VmHistory(vm);
    const links = json.links.map(([seq, effects, sigs]): StoredLink => ({ seq, effects, sigs }));
    const link = (i: number) => links[i] as StoredLink;
    const fill = (map: Map<string, StoredLink>, entries: Entries) => {
      for (const [k, i] of entries) map.set(k, link(i));
    };
    fill(history.factFirst, json.factFirst);
    if (json.created !== null) history.created = link(json.created);
    if (json.wbinvd !== null) history.wbinvd = link(json.wbinvd);
    if (json.hazard !== null) history.hazard = link(json.hazard);
    for (const [id, first, tableLinks, devices] of json.hwpts) {
      const table = new TableHistory();
      history.hwpts.set(id, table);
      fill(table.first, first);
      for (const i of tableLinks) table.tableLinks.push(link(i));
      table.devices.push(...devices);
    }
    for (const [name, first, lastMove] of json.devices) {
      const device = history.#device(name);
      fill(device.first, first);
      fill(device.lastMove, lastMove);
    }
    for (const sig of json.named) history.named.add(sig);
    for (const [ioas, sigs] of json.owned) history.owned.set(ioas, new Set(sigs));
    history.dirty = false;
    return history;
  }
}

/** The saved lab-wide part: what the fold knows of live tables and IOASes. */
interface LabHistoryJson {
  format: number;
  seq: number;
  /** Live tables: id, token, IOAS, the VMs that filed something under it. */
  tables: [number, string | null, number | null, string[]][];
  spaces: [number, string][];
}

/** A live table as the fold knows it. */
interface LiveTable {
  /** How raw signatures name it: its creation-time facts (signature.ts tableToken); unset if not seen. */
  token: string | undefined;
  /** The IOAS it maps: hwpt.* effects carry no VM, the IOAS says whose they are. */
  ioas: number | undefined;
  /** The VM names whose history files something under it (forgotten there when it goes). */
  filed: string[];
}

/** One saved row: `vm` is '' for the lab-wide part. */
export interface HistoryRow {
  vm: string;
  seq: number;
  state: string;
}

/** What a save writes: rows, over the lab's saved ones or (`replace`) instead of them. */
export interface HistorySave {
  rows: HistoryRow[];
  replace: boolean;
}

const SELF = Symbol('self');

/** An effect's signature fields (its VM as SELF when it is the history's own) and its raw signature. */
interface Recent {
  vm: string | typeof SELF | undefined;
  device: string | undefined;
  iommu: string | undefined;
  hwpt: string | undefined;
  from: string | undefined;
  enforce: boolean | undefined;
  noncoherent: number | undefined;
  sig: string;
}

/** Distinct signatures a cache holds before it starts over (bounds a lab that keeps renaming hardware). */
const CACHED_SIGNATURES = 4096;

/**
 * Raw signatures by their fields: an effect shaped like one seen before gets the same string back, so the
 * fold builds and hashes a signature once per shape, not once per effect. Table tokens are interned (one
 * string per birth), names are short.
 */
class SignatureCache {
  /** Effects naming no VM, naming the VM whose history it is, naming another. */
  #anonymous = new Map<unknown, unknown>();
  #own = new Map<unknown, unknown>();
  #others = new Map<unknown, unknown>();
  #size = 0;

  /** Per effect type, the last one asked and its signature: runs of alike effects skip the lookups. */
  readonly #recent = new Map<string, Recent>();

  get(e: Effect, self: string, table: (id: number) => string): string {
    const vm = e.vm === undefined || e.vm !== self ? e.vm : SELF;
    const hwpt = e.hwpt === undefined ? undefined : table(e.hwpt);
    const from = e.fromHwpt === undefined ? undefined : table(e.fromHwpt);
    const recent = this.#recent.get(e.type);
    if (
      recent !== undefined &&
      recent.vm === vm &&
      recent.device === e.device &&
      recent.iommu === e.iommu &&
      recent.hwpt === hwpt &&
      recent.from === from &&
      recent.enforce === e.enforceCacheCoherency &&
      recent.noncoherent === e.noncoherentDma
    ) {
      return recent.sig;
    }
    const sig = this.#lookup(e, self, table, hwpt, from);
    this.#recent.set(e.type, {
      vm,
      device: e.device,
      iommu: e.iommu,
      hwpt,
      from,
      enforce: e.enforceCacheCoherency,
      noncoherent: e.noncoherentDma,
      sig,
    });
    return sig;
  }

  #lookup(
    e: Effect,
    self: string,
    table: (id: number) => string,
    hwpt: string | undefined,
    from: string | undefined,
  ): string {
    let node = e.vm === undefined ? this.#anonymous : e.vm === self ? this.#own : step(this.#others, e.vm);
    node = step(node, e.type);
    node = step(node, e.device);
    node = step(node, e.iommu);
    node = step(node, hwpt);
    node = step(node, from);
    const enforce = e.enforceCacheCoherency === undefined ? 0 : e.enforceCacheCoherency ? 1 : 2;
    const flags = e.noncoherentDma === undefined ? enforce : `${enforce}/${e.noncoherentDma}`;
    let sig = node.get(flags) as string | undefined;
    if (sig === undefined) {
      sig = rawSignature(e, self, table);
      if (++this.#size > CACHED_SIGNATURES) {
        this.#anonymous = new Map();
        this.#own = new Map();
        this.#others = new Map();
        this.#size = 0;
      } else node.set(flags, sig);
    }
    return sig;
  }
}

function step(node: Map<unknown, unknown>, key: unknown): Map<unknown, unknown> {
  let next = node.get(key) as Map<unknown, unknown> | undefined;
  if (!next) {
    next = new Map();
    node.set(key, next);
  }
  return next;
}

export class LabHistory {
  /** Events folded in so far. */
  seq = 0;
  /** Read from saved rows, or saved since: a save then writes only what changed. */
  #loaded = false;
  /** Every VM name's history; a saved one stays text until something reads or extends it. */
  readonly #vms = new Map<string, VmHistory | string>();
  /** What the fold knows of each live table. */
  readonly #tables = new Map<number, LiveTable>();
  /** Live IOAS -> the VM it was created for. */
  readonly #spaces = new Map<number, string>();
  readonly #table = (id: number): string => this.#tables.get(id)?.token ?? tableToken(id, undefined);
  /** IOMMU name -> the tokens of tables born on it not enforcing, enforcing: one string per birth. */
  readonly #born = new Map<string, [string, string]>();
  readonly #signatures = new SignatureCache();
  readonly #scope: FoldScope = {
    signature: (e, self) => this.#signatures.get(e, self, this.#table),
    owner: (id) => this.#tables.get(id)?.ioas as number,
    filed: (id, vm) => {
      const table = this.#tables.get(id);
      if (!table) this.#tables.set(id, { token: undefined, ioas: undefined, filed: [vm] });
      else if (!table.filed.includes(vm)) table.filed.push(vm);
    },
  };

  /** The token of a table born as hwpt.created `e` says; one string per distinct birth. */
  #token(id: number, e: HwptOrigin): string {
    const iommu = e.iommu;
    const enforce = e.enforceCacheCoherency;
    if (iommu === undefined || enforce === undefined) return tableToken(id, e);
    let known = this.#born.get(iommu);
    if (!known) {
      known = [
        tableToken(id, { iommu, enforceCacheCoherency: false }),
        tableToken(id, { iommu, enforceCacheCoherency: true }),
      ];
      if (this.#born.size < CACHED_SIGNATURES) this.#born.set(iommu, known);
    }
    return known[enforce ? 1 : 0];
  }

  /** The VM's history, read from its saved text on first use. */
  #vm(name: string, create: boolean): VmHistory | undefined {
    const found = this.#vms.get(name);
    if (typeof found === 'string') {
      const read = VmHistory.fromJSON(name, JSON.parse(found) as VmHistoryJson);
      this.#vms.set(name, read);
      return read;
    }
    if (found || !create) return found;
    const made = new VmHistory(name);
    this.#vms.set(name, made);
    return made;
  }

  /** Who an effect concerns: the VM it names, or for a hwpt.* effect the VM owning its table's IOAS. */
  #whose(e: Effect): string | undefined {
    if (e.vm !== undefined) return e.vm;
    if (e.hwpt === undefined || !e.type.startsWith('hwpt.')) return undefined;
    const ioas = this.#tables.get(e.hwpt)?.ioas;
    return ioas === undefined ? undefined : this.#spaces.get(ioas);
  }

  /** Folds one applied event's effects in (events in seq order; the caller advances `seq`). */
  fold(seq: number, effects: readonly Effect[]): void {
    let touched = false;
    for (const e of effects) {
      if (e.type === 'hwpt.created' && e.hwpt !== undefined) {
        const filed = this.#tables.get(e.hwpt)?.filed ?? [];
        this.#tables.set(e.hwpt, { token: this.#token(e.hwpt, e), ioas: e.ioas, filed });
      } else if ((e.type === 'vm.created' || e.type === 'ioas.created') && e.ioas !== undefined && e.vm) {
        this.#spaces.set(e.ioas, e.vm);
      }
      touched ||= e.vm !== undefined || e.type.startsWith('hwpt.');
    }
    if (!touched) return;
    // Most events concern one VM: group only when a second one shows up.
    let first: string | undefined;
    const members: Effect[] = [];
    let others: Map<string, Effect[]> | undefined;
    for (const e of effects) {
      const whose = this.#whose(e);
      if (whose === undefined) continue;
      if (first === undefined || whose === first) {
        first = whose;
        members.push(e);
      } else {
        others ??= new Map();
        const list = others.get(whose);
        if (list) list.push(e);
        else others.set(whose, [e]);
      }
    }
    if (first !== undefined) this.#vm(first, true)?.take(seq, members, this.#scope);
    for (const [name, list] of others ?? []) this.#vm(name, true)?.take(seq, list, this.#scope);
    this.#forgetDestroyed(effects);
  }

  #forgetDestroyed(effects: readonly Effect[]): void {
    for (const e of effects) {
      if (e.type === 'hwpt.destroyed' && e.hwpt !== undefined) {
        for (const name of this.#tables.get(e.hwpt)?.filed ?? []) this.#vm(name, false)?.forgetHwpt(e.hwpt);
        this.#tables.delete(e.hwpt);
      } else if (e.type === 'ioas.destroyed' && e.ioas !== undefined) {
        const name = this.#spaces.get(e.ioas);
        if (name !== undefined) this.#vm(name, false)?.forgetIoas(e.ioas);
        this.#spaces.delete(e.ioas);
      }
    }
  }

  /** The indexes of `vms` read against `state` (a VM it has no history of has an empty index). */
  view(state: CoreState, vms: readonly string[]): HistoryView {
    const resolver = new Resolver(state);
    const out = new Map<string, VmIndex>();
    for (const vm of vms) {
      const index = new VmIndex(vm, state.vms.find((v) => v.name === vm)?.ioas ?? -1);
      out.set(vm, this.#vm(vm, false)?.view(index, resolver) ?? index);
    }
    return { vms: out };
  }

  /**
   * What to save for the index as of `seq`: the lab-wide part and every VM history changed since the last
   * save, whose other rows still hold; all of it, replacing the lab's rows, when this index was not read
   * from them (built from the log, or a new lab's). Call saved() once it is written.
   */
  toSave(): HistorySave {
    const rows: HistoryRow[] = [];
    for (const [name, vm] of this.#vms) {
      if (typeof vm !== 'string' && vm.dirty) {
        rows.push({ vm: name, seq: this.seq, state: JSON.stringify(vm) });
      }
    }
    const lab: LabHistoryJson = {
      format: FORMAT,
      seq: this.seq,
      tables: [...this.#tables].map(([id, t]) => [id, t.token ?? null, t.ioas ?? null, t.filed]),
      spaces: [...this.#spaces],
    };
    rows.push({ vm: '', seq: this.seq, state: JSON.stringify(lab) });
    return { rows, replace: !this.#loaded };
  }

  /** What toSave gave is written: nothing is changed since. */
  saved(): void {
    for (const vm of this.#vms.values()) if (typeof vm !== 'string') vm.dirty = false;
    this.#loaded = true;
  }

  /** The index saved in `rows`, or undefined when there is none or it is of another format. */
  static fromRows(rows: readonly HistoryRow[]): LabHistory | undefined {
    const labRow = rows.find((r) => r.vm === '');
    if (!labRow) return undefined;
    const lab = JSON.parse(labRow.state) as LabHistoryJson;
    if (lab.format !== FORMAT) return undefined;
    const history = new LabHistory();
    history.#loaded = true;
    history.seq = lab.seq;
    for (const [id, token, ioas, filed] of lab.tables) {
      history.#tables.set(id, { token: token ?? undefined, ioas: ioas ?? undefined, filed });
    }
    for (const [ioas, vm] of lab.spaces) history.#spaces.set(ioas, vm);
    for (const row of rows) if (row.vm !== '') history.#vms.set(row.vm, row.state);
    return history;
  }
}
