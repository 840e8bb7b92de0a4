// Benchmarks of the event store: batched appends vs a raw prepared insert, state(at) and explain on a
// 100,000-event lab, and the snapshot interval trade-off. Prints figures and ratios measured in one run.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, type Op, type OpResult } from '@ioasid-lab/core';
import { toRow } from '../src/codec.ts';
import { openDatabase } from '../src/database.ts';
import { EventLog } from '../src/event-log.ts';
import { parseOps, replayInto } from '../src/replay.ts';
import { openLabStore, SNAPSHOT_EVERY } from '../src/store.ts';
import { SEED_HARDWARE, SEED_STORY } from '../src/templates.ts';

const dir = mkdtempSync(join(tmpdir(), 'ioasid-bench-'));
const LONG = 100_000;
const APPEND_ROWS = 20_000;
const APPEND_BATCH = 500;
const PAIRS = 15;

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
function time<T>(fn: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: ms(start), value };
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] as number;
}
const f = (x: number, d = 2) => x.toFixed(d);

/** Ops on VM2's IOAS: maps then unmaps of distinct areas, with an overlapping map refused now and then. */
function longOps(ioas: number, count: number): Op[] {
  const ops: Op[] = [];
  for (let i = 0; ops.length < count; i++) {
    const base = 0x100000000 + (i % 64) * 0x100000;
    for (let k = 0; k < 4 && ops.length < count; k++) {
      ops.push({ op: 'ioas.map', ioas, iova: base + k * 0x2000, length: 0x1000 });
    }
    if (i % 25 === 0 && ops.length < count) ops.push({ op: 'ioas.map', ioas, iova: base, length: 0x1000 });
    for (let k = 0; k < 4 && ops.length < count; k++) {
      ops.push({ op: 'ioas.unmap', ioas, iova: base + k * 0x2000, length: 0x1000 });
    }
  }
  return ops;
}

function benchAppend(): void {
  // The same (op, result) pairs for both sides, with the core's real effects.
  const core = Lab.create('shared');
  core.applyBatch([...SEED_HARDWARE, ...SEED_STORY]);
  const ioas = core.state().vms[1]?.ioas ?? 2;
  const ops = longOps(ioas, APPEND_ROWS);
  const results: OpResult[] = core.applyBatch(ops);
  core.destroy();
  const at = Date.now();

  const runRaw = (n: number) => {
    const db = openDatabase(join(dir, `raw-${n}.db`));
    db.sqlite.prepare("insert into labs (name, policy, created_at) values ('raw', 'shared', 0)").run();
    const insert = db.sqlite.prepare(
      'insert into events (lab_id, seq, at, op, errno, code, message, effects, aborted) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const batch = db.sqlite.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const r = results[i] as OpResult;
        insert.run(
          1,
          i + 1,
          at,
          JSON.stringify(ops[i]),
          r.ok ? 0 : r.errno,
          r.ok ? null : r.code,
          r.ok ? null : r.message,
          JSON.stringify(r.effects),
          0,
        );
      }
    });
    const t = time(() => {
      for (let i = 0; i < ops.length; i += APPEND_BATCH) batch(i, Math.min(ops.length, i + APPEND_BATCH));
    });
    db.close();
    return t.ms;
  };
  const runStore = (n: number) => {
    const db = openDatabase(join(dir, `store-${n}.db`));
    db.sqlite.prepare("insert into labs (name, policy, created_at) values ('store', 'shared', 0)").run();
    const log = new EventLog(db.sqlite);
    const t = time(() => {
      for (let i = 0; i < ops.length; i += APPEND_BATCH) {
        const rows = [];
        for (let j = i; j < Math.min(ops.length, i + APPEND_BATCH); j++) {
          rows.push(toRow(j + 1, at, ops[j] as Op, results[j] as OpResult));
        }
        log.append(1, rows);
      }
    });
    db.close();
    return t.ms;
  };
  // Pairs run back to back share the machine's conditions; the ratio is the median of the pairs' ratios.
  const raw: number[] = [];
  const store: number[] = [];
  const ratios: number[] = [];
  for (let n = 0; n < PAIRS; n++) {
    // ABBA order so neither side always runs first (fsync timing drifts with other load on the disk).
    const storeFirst = n % 2 === 1;
    const s1 = storeFirst ? runStore(n) : 0;
    const r = runRaw(n);
    const s2 = storeFirst ? s1 : runStore(n);
    raw.push(r);
    store.push(s2);
    ratios.push(r / s2);
  }
  const rawRate = APPEND_ROWS / (median(raw) / 1000);
  const storeRate = APPEND_ROWS / (median(store) / 1000);
  console.log(
    `append ${APPEND_ROWS} events in batches of ${APPEND_BATCH} (${PAIRS} pairs, WAL, synchronous=FULL)`,
  );
  console.log(`  raw prepared insert  : median ${f(median(raw))} ms  ${f(rawRate, 0)} events/s`);
  console.log(`  store EventLog.append: median ${f(median(store))} ms  ${f(storeRate, 0)} events/s`);
  console.log(
    `  store/raw throughput : median of pair ratios ${f(median(ratios))} ` +
      `(min ${f(Math.min(...ratios))}, max ${f(Math.max(...ratios))}; target >= 0.80)`,
  );
}

function benchApplyPath(): void {
  const rows = 20_000;
  const run = (shadows: boolean, n: number) => {
    const store = openLabStore({
      path: join(dir, `path-${shadows}-${n}.db`),
      counterfactualShadows: shadows,
    });
    const lab = store.createLab({ name: 'p', policy: 'shared', template: 'seed-story' });
    const ops = longOps(lab.state().vms[1]?.ioas ?? 2, rows);
    const t = time(() => {
      for (let i = 0; i < ops.length; i += APPEND_BATCH) lab.applyBatch(ops.slice(i, i + APPEND_BATCH));
    });
    store.close();
    return t.ms;
  };
  const without: number[] = [];
  const withShadows: number[] = [];
  for (let n = 0; n < 3; n++) {
    without.push(run(false, n));
    withShadows.push(run(true, n));
  }
  console.log(
    `\nlab.applyBatch of ${rows} ops in batches of ${APPEND_BATCH} (core + log + snapshots, median of 3)`,
  );
  console.log(
    `  without counterfactual shadows: ${f(median(without))} ms  ${f(rows / (median(without) / 1000), 0)} ops/s`,
  );
  console.log(
    `  with shadows (default)        : ${f(median(withShadows))} ms  ${f(rows / (median(withShadows) / 1000), 0)} ops/s` +
      `  (x${f(median(withShadows) / median(without))})`,
  );
}

function benchHistory(): void {
  const path = join(dir, 'long.db');
  const store = openLabStore({ path });
  const lab = store.createLab({ name: 'long', policy: 'shared', template: 'seed-story' });
  const ioas = lab.state().vms[1]?.ioas ?? 2;
  const ops = longOps(ioas, LONG - lab.seq);
  const build = time(() => {
    for (let i = 0; i < ops.length; i += 1000) lab.applyBatch(ops.slice(i, i + 1000));
  });
  console.log(
    `\nlong lab: ${lab.seq} events built through applyBatch (core + log) in ${f(build.ms, 0)} ms ` +
      `(${f(ops.length / (build.ms / 1000), 0)} events/s), snapshot every ${SNAPSHOT_EVERY}`,
  );

  const samples: number[] = [];
  for (let i = 0; i < 60; i++) {
    const at = 1 + Math.floor((((i * 7919) % 1000) / 1000) * (lab.seq - 1));
    samples.push(time(() => lab.state(at)).ms);
  }
  const full = time(() => {
    const core = Lab.create('shared');
    const log = new EventLog(openDatabase(path).sqlite);
    const labId = log.labByName('long')?.id ?? 1;
    replayInto(core, parseOps(log.okOpsBetween(labId, 0, lab.seq - 1)));
    const state = core.state();
    core.destroy();
    log.sqlite.close();
    return state;
  });
  console.log(
    `state(at) over 60 seqs: median ${f(median(samples))} ms, p95 ${f(pct(samples, 0.95))} ms, ` +
      `max ${f(Math.max(...samples))} ms (target < 50 ms)`,
  );
  console.log(
    `  baseline, replay from event 1 without snapshots: ${f(full.ms, 0)} ms ` +
      `(snapshots are ${f(full.ms / median(samples), 0)}x faster)`,
  );

  const first = time(() => lab.explain('VM1', 'VM2'));
  const cached = time(() => lab.explain('VM1', 'VM2')).ms;
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    // A new event each time, so every call computes (no answer is cached for a new seq).
    lab.apply({ op: 'ioas.map', ioas, iova: 0x200000000 + i * 0x1000, length: 0x1000 });
    warm.push(time(() => lab.explain('VM1', 'VM2')).ms);
  }
  const reopen = time(() => {
    store.close();
    return openLabStore({ path });
  });
  const afterReopen = time(() => reopen.value.getLab('long').explain('VM1', 'VM2'));
  reopen.value.close();
  const noShadows = openLabStore({ path, counterfactualShadows: false });
  const fullReplay = time(() => {
    // Baseline: counterfactuals replayed from event 1 (what explain costs without shadow snapshots).
    noShadows.getLab('long').compare(['type1', 'iommufd', 'explicit']);
  });
  noShadows.close();
  console.log(
    `explain(VM1, VM2) on ${lab.seq} events (target < 500 ms): first call ${f(first.ms)} ms, ` +
      `after each new event median ${f(median(warm))} ms, first call after reopen ${f(afterReopen.ms)} ms, ` +
      `same seq again (cached) ${f(cached, 3)} ms; ` +
      `diverges=${first.value.diverges}, firstDivergence=#${first.value.firstDivergence?.seq}`,
  );
  console.log(
    `  baseline, counterfactuals replayed from event 1 (no shadow snapshots): ${f(fullReplay.ms)} ms ` +
      `for the replays alone`,
  );
  console.log(`reopen (rebuild from latest snapshot + later events): ${f(reopen.ms)} ms`);
  const forkStore = openLabStore({ path });
  const fork = time(() => forkStore.getLab('long').fork('long-type1', 'type1'));
  console.log(
    `fork of all ${fork.value.seq} inputs under type1 (replay + log + snapshots): ${f(fork.ms, 0)} ms`,
  );
  forkStore.close();

  const relive = openLabStore({ path });
  const live = relive.getLab('long');
  // Snapshot interval: worst state(at) = restore + N replayed ops; append overhead = snapshot / N events.
  const core = Lab.create('shared');
  core.applyBatch([...SEED_HARDWARE, ...SEED_STORY]);
  const perOp = full.ms / lab.seq;
  const snap = time(() => live.state(live.seq)).ms;
  relive.close();
  const serialize = time(() => core.serialize());
  const restore = time(() => Lab.restore(serialize.value));
  restore.value.destroy();
  core.destroy();
  console.log(
    `snapshot: serialize ${f(serialize.ms, 3)} ms (${serialize.value.length} bytes), restore ${f(restore.ms, 3)} ms, ` +
      `replay ${f(perOp * 1000, 2)} µs/op, live state() ${f(snap, 3)} ms`,
  );
  for (const n of [100, 250, 500, 1000, 2000, 5000]) {
    console.log(
      `  N=${String(n).padStart(4)}: worst state(at) ≈ ${f(restore.ms + n * perOp, 2)} ms replay, ` +
        `snapshot cost per event ≈ ${f(((serialize.ms + 0.05) / n) * 1000, 3)} µs`,
    );
  }
}

/**
 * A lab whose 100,000 events all touch VM2: its device detached and re-attached over and over (each attach
 * makes a fresh auto table), and every tenth time replaced onto a spare enforcing table first. The spare is
 * allocated once by hand: a replace onto "new" would allocate a user HWPT each time (IOMMU_HWPT_ALLOC), and
 * those outlive their device until destroyed by an id that differs under the other policies' replays.
 */
function benchChurn(): void {
  const store = openLabStore({ path: join(dir, 'churn.db') });
  const lab = store.createLab({ name: 'churn', policy: 'shared', template: 'seed-story' });
  const ioas = lab.state().vms.find((vm) => vm.name === 'VM2')?.ioas ?? 0;
  const spare = lab.apply({ op: 'hwpt.alloc', ioas, iommu: 'iommu0', enforceCacheCoherency: true });
  const hwpt = spare.effects.find((e) => e.type === 'hwpt.created')?.hwpt;
  if (hwpt === undefined) throw new Error('hwpt.alloc made no table');
  const ops: Op[] = [];
  for (let i = 0; ops.length < LONG - lab.seq; i++) {
    if (i % 10 === 0) ops.push({ op: 'device.replace', vm: 'VM2', device: 'A2', hwpt });
    ops.push({ op: 'vm.detach', vm: 'VM2', device: 'A2' }, { op: 'vm.attach', vm: 'VM2', device: 'A2' });
  }
  for (let i = 0; i < ops.length; i += 1000) lab.applyBatch(ops.slice(i, i + 1000));
  // First call: the history index is built from event 1; later calls only fold in the new events.
  const first = time(() => lab.explain('VM1', 'VM2'));
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    lab.apply({ op: 'ioas.map', ioas: 1, iova: 0x200000000 + i * 0x1000, length: 0x1000 });
    runs.push(time(() => lab.explain('VM1', 'VM2')).ms);
  }
  console.log(
    `explain(VM1, VM2) on ${lab.seq} events that all touch VM2 (worst case: every event is history, ` +
      `target < 500 ms): first call ${f(first.ms)} ms, after each new event median ${f(median(runs))} ms; ` +
      `diverges=${first.value.diverges}`,
  );
  store.close();
}

benchAppend();
benchApplyPath();
benchHistory();
benchChurn();
