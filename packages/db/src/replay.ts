// Replay: rebuilding a core instance from a snapshot and logged ops, and reading VM outcomes from state.
// Every past state, fork, counterfactual and remedy in the store is one of these replays.
import { type CoreState, Lab, LabError, type Op } from '@ioasid-lab/core';
import type { VmOutcome } from './store-types.ts';

/** Ops per FFI call when replaying: large enough to amortise the call, small enough to bound buffers. */
const REPLAY_CHUNK = 2048;

export function parseOps(json: readonly string[]): Op[] {
  return json.map((text) => JSON.parse(text) as Op);
}

/** Applies ops in order (refusals included, they change nothing) and returns how many were refused. */
export function replayInto(core: Lab, ops: readonly Op[]): number {
  // One op (a single-op commit mirrored into a shadow): a plain apply, without a batch's record buffer.
  if (ops.length === 1) return core.apply(ops[0] as Op).ok ? 0 : 1;
  let refused = 0;
  // Only the count of refusals is wanted: the core keeps no result records (countRefused).
  for (let start = 0; start < ops.length; start += REPLAY_CHUNK) {
    refused += core.countRefused(Lab.encodeOps(ops.slice(start, start + REPLAY_CHUNK)));
  }
  return refused;
}

/**
 * Re-applies ops the log says were applied. A refusal here means the core is not deterministic (or the
 * log is corrupt): say so loudly rather than return a state that never existed.
 */
export function replayApplied(core: Lab, ops: readonly Op[], fromSeq: number): void {
  const refused = replayInto(core, ops);
  if (refused > 0) {
    throw new Error(`replay after seq ${fromSeq} refused ${refused} op(s) the log records as applied`);
  }
}

/** A core restored from a snapshot, or null when the core refuses it (written by another core version). */
export function restoreOrNull(snapshot: Buffer): Lab | null {
  try {
    return Lab.restore(snapshot);
  } catch (error) {
    if (error instanceof LabError) return null;
    throw error;
  }
}

export function vmOutcome(state: CoreState, vm: string): VmOutcome | null {
  const found = state.vms.find((v) => v.name === vm);
  return found ? { wbinvd: found.wbinvd, coherencyHazard: found.coherencyHazard } : null;
}

/** Runs `fn` with a core and always frees it, so scratch replays never leak native memory. */
export function withCore<T>(core: Lab, fn: (core: Lab) => T): T {
  try {
    return fn(core);
  } finally {
    core.destroy();
  }
}
