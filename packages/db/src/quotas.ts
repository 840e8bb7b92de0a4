// Quotas of a shared lab server: labs per store, events per lab, page-table bytes per lab. Going past one
// answers ENOSPC (HTTP 409) with a message naming the limit and its setting, before anything is applied
// or recorded: a quota is the server's rule, not the kernel's, so it never becomes an event.
import { LabError, type Op } from '@ioasid-lab/core';
import type { StoredLab } from './store-types.ts';

export interface Quotas {
  /** Labs in the store (LAB_MAX_LABS); creating, forking or importing another answers ENOSPC. */
  maxLabs?: number;
  /** Events in one lab (LAB_MAX_EVENTS); an op or batch that would pass it answers ENOSPC. */
  maxEventsPerLab?: number;
  /**
   * Page-table bytes of one lab, all its HWPTs together (LAB_MAX_TABLE_BYTES): once the lab holds this
   * many, ops that can grow page tables answer ENOSPC (one op may end past it; the core's own per-lab
   * limit, 256 MiB, still refuses with ENOMEM what cannot fit).
   */
  maxTableBytes?: number;
}

export class QuotaError extends LabError {
  constructor(message: string) {
    super('ENOSPC', message);
  }
}

/** Ops that can allocate page tables. */
export const GROWING_OPS: ReadonlySet<Op['op']> = new Set([
  'ioas.map',
  'hwpt.alloc',
  'vm.create',
  'vm.attach',
  'device.hotplug',
  'device.replace',
] as Op['op'][]);

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, not ${raw}`);
  return value;
}

/** LAB_MAX_LABS, LAB_MAX_EVENTS, LAB_MAX_TABLE_BYTES; unset means no limit. */
export function quotasFromEnv(env: NodeJS.ProcessEnv = process.env): Quotas {
  return {
    maxLabs: positive(env, 'LAB_MAX_LABS'),
    maxEventsPerLab: positive(env, 'LAB_MAX_EVENTS'),
    maxTableBytes: positive(env, 'LAB_MAX_TABLE_BYTES'),
  };
}

export function checkLabCount(quotas: Quotas, labs: number): void {
  if (quotas.maxLabs !== undefined && labs >= quotas.maxLabs) {
    throw new QuotaError(
      `the server holds ${labs} labs, its limit of labs per server (LAB_MAX_LABS=${quotas.maxLabs}): delete one first`,
    );
  }
}

export function checkEventCount(quotas: Quotas, lab: string, seq: number, adding: number): void {
  if (quotas.maxEventsPerLab !== undefined && seq + adding > quotas.maxEventsPerLab) {
    throw new QuotaError(
      `lab ${lab} has ${seq} events; ${adding} more would pass the limit of ${quotas.maxEventsPerLab} events per lab (LAB_MAX_EVENTS): fork what you need into a new lab`,
    );
  }
}

export function checkTableBytes(quotas: Quotas, lab: string, bytes: number): void {
  if (quotas.maxTableBytes !== undefined && bytes >= quotas.maxTableBytes) {
    throw new QuotaError(
      `lab ${lab} holds ${bytes} bytes of page tables, its limit of page-table bytes per lab (LAB_MAX_TABLE_BYTES=${quotas.maxTableBytes}): unmap or destroy first`,
    );
  }
}

/** Page-table bytes of all the lab's HWPTs now. */
export function tableBytes(lab: Pick<StoredLab, 'state'>): number {
  return lab.state().hwpts.reduce((sum, hwpt) => sum + hwpt.stats.bytes, 0);
}

/** The per-lab quotas for `ops` about to be applied to `lab` (nothing applied or recorded when it throws). */
export function checkOps(quotas: Quotas, lab: StoredLab, ops: readonly Op[]): void {
  checkEventCount(quotas, lab.name, lab.seq, ops.length);
  if (quotas.maxTableBytes !== undefined && ops.some((op) => GROWING_OPS.has(op?.op))) {
    checkTableBytes(quotas, lab.name, tableBytes(lab));
  }
}
