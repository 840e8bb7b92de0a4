// Revert: brings a lab back to the state it had at an earlier seq as ordinary new events, so its history
// stays append-only. VMs, their page tables and devices the target lacks are torn down, then the inputs
// applied up to that seq run again, with IOAS and HWPT ids mapped to the ones the re-run allocates.
import type { Effect, Op } from '@ioasid-lab/core';
import type { LabState, StoredEvent } from '@ioasid-lab/db';
import { ApiError } from './errors.ts';
import type { OpQueue } from './op-queue.ts';
import type { RemoteLab } from './store/remote.ts';

type AnyFields = Record<string, unknown>;

/** Devices present now and at the target with the same hardware facts: they stay, with their groups. */
export function keptDevices(now: LabState, target: LabState): Set<string> {
  const before = new Map(target.devices.map((d) => [d.name, d]));
  const kept = new Set<string>();
  for (const d of now.devices) {
    const t = before.get(d.name);
    if (t && t.iommu === d.iommu && t.noSnoop === d.noSnoop && t.requiresKvm === d.requiresKvm)
      kept.add(d.name);
  }
  return kept;
}

/** Unplug every device, free user-allocated tables, destroy every VM, remove devices not kept. */
export function teardownOps(now: LabState, kept: Set<string>): Op[] {
  const ops: AnyFields[] = [];
  for (const vm of now.vms) {
    for (const device of [...vm.devices].reverse()) ops.push({ op: 'vm.detach', vm: vm.name, device });
  }
  for (const h of now.hwpts) if (h.auto === false) ops.push({ op: 'hwpt.destroy', hwpt: h.id });
  for (const vm of now.vms) ops.push({ op: 'vm.destroy', vm: vm.name });
  for (const d of now.devices) if (!kept.has(d.name)) ops.push({ op: 'device.remove', name: d.name });
  return ops as unknown as Op[];
}

/** The applied inputs up to the target that must run again (hardware that is still there is skipped). */
export function rerunEvents(applied: StoredEvent[], now: LabState, kept: Set<string>): StoredEvent[] {
  const units = new Set(now.iommus.map((u) => u.name));
  return applied.filter((e) => {
    const name = (e.input as AnyFields).name;
    if (e.op === 'iommu.add') return !units.has(String(name));
    if (e.op === 'device.add' || e.op === 'device.remove') return !kept.has(String(name));
    return true;
  });
}

const ID_FIELDS: Record<string, 'ioas' | 'hwpt'> = { ioas: 'ioas', srcIoas: 'ioas', hwpt: 'hwpt' };

/** The op of `event` with its IOAS and HWPT ids translated through `ids` ("ioas:3" → new id). */
export function mapIds(event: StoredEvent, ids: Map<string, number>): Op {
  const op: AnyFields = { op: event.op, ...(event.input as AnyFields) };
  for (const [field, kind] of Object.entries(ID_FIELDS)) {
    const value = op[field];
    if (typeof value === 'number') op[field] = ids.get(`${kind}:${value}`) ?? value;
  }
  return op as unknown as Op;
}

function allocations(effects: Effect[]): string[] {
  const out: string[] = [];
  for (const e of effects) {
    if (e.type === 'ioas.created' && e.ioas !== undefined) out.push(`ioas:${e.ioas}`);
    if (e.type === 'hwpt.created' && e.hwpt !== undefined) out.push(`hwpt:${e.hwpt}`);
  }
  return out;
}

async function appliedUpTo(lab: RemoteLab, to: number): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let after = 0;
  while (after < to) {
    const page = await lab.events(after, Math.min(10_000, to - after));
    if (page.length === 0) break;
    for (const e of page) if (e.seq <= to && e.result.ok) out.push(e);
    after = page[page.length - 1]?.seq ?? to;
  }
  return out;
}

export interface RevertResult {
  to: number;
  from: number;
  seq: number;
  events: number;
}

/**
 * Runs the revert through the lab's op queue: the teardown as one atomic batch, then each input again.
 * A refusal on the way stops it with that errno; what ran is history like any other events.
 */
export async function revertLab(
  queue: OpQueue,
  lab: RemoteLab,
  to: number,
  by: string,
): Promise<RevertResult> {
  const from = await lab.seq();
  if (!Number.isInteger(to) || to < 0 || to > from) {
    throw new ApiError('ERANGE', `seq ${to} is outside this lab's history 0..${from}`);
  }
  const [now, target, applied] = await Promise.all([lab.state(), lab.state(to), appliedUpTo(lab, to)]);
  const kept = keptDevices(now, target);
  let events = 0;
  const teardown = teardownOps(now, kept);
  if (teardown.length > 0) {
    const done = await queue.applyBatch(lab, teardown, true, by);
    const failure = done.find((e) => !e.result.ok);
    if (failure && !failure.result.ok) {
      throw new ApiError(failure.result.code, `revert could not tear down: ${failure.result.message}`, {
        seq: failure.seq,
      });
    }
    events += done.length;
  }
  const ids = new Map<string, number>();
  for (const original of rerunEvents(applied, now, kept)) {
    const event = await queue.apply(lab, mapIds(original, ids), by);
    events += 1;
    if (!event.result.ok) {
      throw new ApiError(
        event.result.code,
        `revert stopped re-running event ${original.seq} (${original.op}): ${event.result.message}`,
        { seq: event.seq },
      );
    }
    const before = allocations(original.effects);
    const after = allocations(event.effects);
    before.forEach((key, i) => {
      const made = after[i];
      if (made) ids.set(key, Number(made.slice(made.indexOf(':') + 1)));
    });
  }
  return { to, from, seq: await lab.seq(), events };
}
