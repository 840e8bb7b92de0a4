// A VM's history read from the event log: the applied events whose effects touch the VM, its IOAS's
// HWPTs or the devices it owned, found by growing the set of objects from the VM outwards.
import type { CoreState, Effect } from '@ioasid-lab/core';
import type { StoredEvent } from './store-types.ts';

/** Fetches applied events whose effects JSON contains any fragment (a superset is fine). */
export type EventsMentioning = (fragments: string[]) => StoredEvent[];

export interface VmHistory {
  vm: string;
  ioas: number;
  /** Events touching this VM, each with only the effects that touch it, in seq order. */
  events: StoredEvent[];
  /** HWPTs that ever belonged to this VM's IOAS. */
  hwpts: Set<number>;
}

/** Creation-time facts of every HWPT seen, from its hwpt.created effect. */
export type HwptOrigins = Map<number, { iommu?: string; enforceCacheCoherency?: boolean; seq: number }>;

const MAX_ROUNDS = 5;

function isMember(effect: Effect, vm: string, ioas: number, hwpts: Set<number>): boolean {
  if (effect.vm !== undefined) return effect.vm === vm;
  // Mappings are the bulk of long histories and never decide coherency on their own.
  if (effect.type.startsWith('area.')) return false;
  if (effect.hwpt !== undefined && hwpts.has(effect.hwpt)) return true;
  if (effect.fromHwpt !== undefined && hwpts.has(effect.fromHwpt)) return true;
  return effect.ioas === ioas;
}

function learn(effect: Effect, vm: string, ioas: number, hwpts: Set<number>, devices: Set<string>): void {
  if (effect.type === 'hwpt.created' && effect.ioas === ioas && effect.hwpt !== undefined)
    hwpts.add(effect.hwpt);
  if (effect.vm === vm || effect.ioas === ioas) {
    if (effect.hwpt !== undefined) hwpts.add(effect.hwpt);
    if (effect.fromHwpt !== undefined) hwpts.add(effect.fromHwpt);
    if (effect.device !== undefined) devices.add(effect.device);
  }
}

/** Builds the histories of several VMs with a few log queries shared between them. */
export function vmHistories(
  state: CoreState,
  vms: string[],
  fetch: EventsMentioning,
): { histories: Map<string, VmHistory>; origins: HwptOrigins } {
  const byseq = new Map<number, StoredEvent>();
  const asked = new Set<string>();
  const targets = vms.map((vm) => {
    const found = state.vms.find((v) => v.name === vm);
    const hwpts = new Set(state.hwpts.filter((h) => h.ioas === found?.ioas).map((h) => h.id));
    return { vm, ioas: found?.ioas ?? -1, hwpts, devices: new Set(found?.devices ?? []) };
  });
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const fragments: string[] = [];
    const want = (fragment: string) => {
      if (!asked.has(fragment)) {
        asked.add(fragment);
        fragments.push(fragment);
      }
    };
    for (const t of targets) {
      want(`"vm":${JSON.stringify(t.vm)}`);
      for (const d of t.devices) want(`"device":${JSON.stringify(d)}`);
      // "hwpt":1 also matches "hwpt":12; the exact membership test below drops the extras.
      for (const h of t.hwpts) want(`"hwpt":${h}`);
    }
    if (fragments.length === 0) break;
    for (const event of fetch(fragments)) byseq.set(event.seq, event);
    const all = [...byseq.values()].sort((x, y) => x.seq - y.seq);
    for (const t of targets) {
      for (const event of all) for (const e of event.effects) learn(e, t.vm, t.ioas, t.hwpts, t.devices);
    }
  }
  const all = [...byseq.values()].sort((x, y) => x.seq - y.seq);
  const origins: HwptOrigins = new Map();
  for (const event of all) {
    for (const e of event.effects) {
      if (e.type === 'hwpt.created' && e.hwpt !== undefined) {
        origins.set(e.hwpt, {
          iommu: e.iommu,
          enforceCacheCoherency: e.enforceCacheCoherency,
          seq: event.seq,
        });
      }
    }
  }
  const histories = new Map<string, VmHistory>();
  for (const t of targets) {
    const events: StoredEvent[] = [];
    for (const event of all) {
      const effects = event.effects.filter((e) => isMember(e, t.vm, t.ioas, t.hwpts));
      if (effects.length > 0) events.push({ ...event, effects });
    }
    histories.set(t.vm, { vm: t.vm, ioas: t.ioas, events, hwpts: t.hwpts });
  }
  return { histories, origins };
}
