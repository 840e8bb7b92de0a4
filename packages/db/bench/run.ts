// Benchmarks of the event store: batched appends vs a raw prepared insert, the write cost of the history
// index, state(at) and explain on a 100,000-event lab (typical, and one whose every event concerns the VM
// explained), and the snapshot interval trade-off. Prints figures and ratios measured in one run.
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
/** explain's first call on a 100,000-event lab, after a reopen of the store. */
const EXPLAIN_TARGET_MS = 100;

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
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

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

/**
 * Ops that all concern VM2 (whose IOAS is `ioas`): its device detached and re-attached over and over (each
 * attach makes a fresh auto table), and every tenth time replaced onto the spare enforcing table `spare`.
 */
function churnOps(spare: number, count: number): Op[] {
  const ops: Op[] = [];
  for (let i = 0; ops.length < count; i++) {
    if (i % 10 === 0) ops.push({ op: 'device.replace', vm: 'VM2', device: 'A2', hwpt: spare });
    ops.push({ op: 'vm.detach', vm: 'VM2', device: 'A2' }, { op: 'vm.attach', vm: 'VM2', device: 'A2' });
  }
  return ops.slice(0, count);
}

/** A spare enforcing table on VM2's IOAS, allocated by hand (see benchChurn). */
function spareTable(
  lab: { apply(op: Op): { effects: { type: string; hwpt?: number }[] } },
  ioas: number,
): number {
  const spare = lab.apply({ op: 'hwpt.alloc', ioas, iommu: 'iommu0', enforceCacheCoherency: true });
  const hwpt = spare.effects.find((e) => e.type === 'hwpt.created')?.hwpt;
  if (hwpt === undefined) throw new Error('hwpt.alloc made no table');
  return hwpt;
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

/** A store with one lab ready for `workload`'s ops, the history index kept or not, shadows off. */
function writeLab(name: string, workload: 'maps' | 'churn', index: boolean, count: number) {
  const store = openLabStore({
    path: join(dir, `${name}.db`),
    counterfactualShadows: false,
    historyIndex: index,
  });
  const lab = store.createLab({ name: 'w', policy: 'shared', template: 'seed-story' });
  const ioas = lab.state().vms.find((vm) => vm.name === 'VM2')?.ioas ?? 2;
  const ops = workload === 'maps' ? longOps(ioas, count) : churnOps(spareTable(lab, ioas), count);
  return { store, lab, ops };
}

/** Wall and CPU time of `fn`. */
function timed(fn: () => void): { wall: number; cpu: number } {
  const cpu = process.cpuUsage();
  const t = time(fn);
  const used = process.cpuUsage(cpu);
  return { wall: t.ms, cpu: (used.user + used.system) / 1000 };
}

/**
 * Runs `run(kept, n)` for both settings in ABBA pairs; ratios are medians of the pairs' ratios (not kept
 * over kept: 1 is no cost), of wall time and of this process's CPU time (the work added, less disturbed
 * by other load on the machine).
 */
function keptPairs(pairs: number, run: (kept: boolean, n: number) => { wall: number; cpu: number }) {
  const kept: number[] = [];
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let n = 0; n < pairs; n++) {
    const keptFirst = n % 2 === 0;
    const a = run(keptFirst, n);
    const b = run(!keptFirst, n);
    const [k, w] = keptFirst ? [a, b] : [b, a];
    kept.push(k.wall);
    wall.push(w.wall / k.wall);
    cpu.push(w.cpu / k.cpu);
  }
  return {
    kept: median(kept),
    wall: median(wall),
    min: Math.min(...wall),
    max: Math.max(...wall),
    cpu: median(cpu),
  };
}

/**
 * What keeping the history index as events commit costs the write path, against historyIndex: false
 * (explain then folds the log), counterfactual shadows off so nothing else dilutes the difference. Durable
 * ops one commit each, the worst case (every event concerns VM2 and makes or frees a table); then batches
 * of 500, where the commit no longer hides the CPU: typical ops (maps and unmaps, whose effects name no
 * VM) and the worst case.
 */
function benchIndexWriteCost(): void {
  const single = 300;
  const durable = keptPairs(4, (kept, n) => {
    const { store, lab, ops } = writeLab(`durable-${kept}-${n}`, 'churn', kept, single);
    const t = timed(() => {
      for (const op of ops) lab.apply(op);
    });
    store.close();
    return t;
  });
  console.log(`\nhistory index on the write path (shadows off; not kept: historyIndex false; ABBA pairs)`);
  console.log(
    `  durable ops, one commit each, every event an attach or detach of VM2's device: kept ` +
      `${f(single / (durable.kept / 1000), 0)} ops/s; kept/not kept throughput ${f(durable.wall)} ` +
      `(min ${f(durable.min)}, max ${f(durable.max)}), CPU ${f(durable.cpu)}`,
  );
  const rows = 20_000;
  for (const workload of ['maps', 'churn'] as const) {
    const r = keptPairs(6, (kept, n) => {
      const { store, lab, ops } = writeLab(`batch-${workload}-${kept}-${n}`, workload, kept, rows);
      const t = timed(() => {
        for (let i = 0; i < ops.length; i += APPEND_BATCH) lab.applyBatch(ops.slice(i, i + APPEND_BATCH));
      });
      store.close();
      return t;
    });
    console.log(
      `  batches of ${APPEND_BATCH}, ${workload === 'maps' ? 'maps and unmaps' : 'attach/detach churn'}: ` +
        `kept ${f(rows / (r.kept / 1000), 0)} ops/s; kept/not kept throughput ${f(r.wall)} ` +
        `(min ${f(r.min)}, max ${f(r.max)}), CPU ${f(r.cpu)}`,
    );
  }
}

/** explain(VM1, VM2)'s first call on lab `name` after each of three opens of the store at `path`. */
function firstAfterReopen(path: string, name: string, options: { historyIndex?: boolean } = {}) {
  const ms: number[] = [];
  let answer = '';
  for (let i = 0; i < 3; i++) {
    const store = openLabStore({ path, ...options });
    const t = time(() => store.getLab(name).explain('VM1', 'VM2'));
    store.close();
    ms.push(t.ms);
    const json = JSON.stringify(t.value);
    if (answer && json !== answer) throw new Error(`explain after reopen ${i} answered differently`);
    answer = json;
  }
  return { ms, answer };
}

function reopenFigure({ ms }: { ms: number[] }): string {
  const m = median(ms);
  return (
    `median ${f(m)} ms of ${ms.map((x) => f(x, 1)).join(', ')} ` +
    `(target < ${EXPLAIN_TARGET_MS} ms) ${verdict(m < EXPLAIN_TARGET_MS)}`
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
  reopen.value.close();
  const afterReopen = firstAfterReopen(path, 'long');
  const unkept = firstAfterReopen(path, 'long', { historyIndex: false });
  const noShadows = openLabStore({ path, counterfactualShadows: false });
  const fullReplay = time(() => {
    // Baseline: counterfactuals replayed from event 1 (what explain costs without shadow snapshots).
    noShadows.getLab('long').compare(['type1', 'iommufd', 'explicit']);
  });
  noShadows.close();
  console.log(
    `explain(VM1, VM2) on ${lab.seq} events: first call ${f(first.ms)} ms, ` +
      `after each new event median ${f(median(warm))} ms, same seq again (cached) ${f(cached, 3)} ms; ` +
      `diverges=${first.value.diverges}, firstDivergence=#${first.value.firstDivergence?.seq}`,
  );
  console.log(
    `  first call after reopen: ${reopenFigure(afterReopen)}; ` +
      `baseline, history index folded from event 1 (historyIndex: false): median ${f(median(unkept.ms))} ms`,
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
  const path = join(dir, 'churn.db');
  const store = openLabStore({ path });
  const lab = store.createLab({ name: 'churn', policy: 'shared', template: 'seed-story' });
  const ioas = lab.state().vms.find((vm) => vm.name === 'VM2')?.ioas ?? 0;
  const ops = churnOps(spareTable(lab, ioas), LONG - lab.seq - 1);
  for (let i = 0; i < ops.length; i += 1000) lab.applyBatch(ops.slice(i, i + 1000));
  // The history index is kept as events commit: the first call reads it, it does not fold the log.
  const first = time(() => lab.explain('VM1', 'VM2'));
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    lab.apply({ op: 'ioas.map', ioas: 1, iova: 0x200000000 + i * 0x1000, length: 0x1000 });
    runs.push(time(() => lab.explain('VM1', 'VM2')).ms);
  }
  const live = JSON.stringify(lab.explain('VM1', 'VM2'));
  store.close();
  // After a restart: the index saved at the last snapshot point, plus the events after it.
  const afterReopen = firstAfterReopen(path, 'churn');
  // Baseline: the index folded from event 1 on the first call, as explain did before it was kept.
  const unkept = firstAfterReopen(path, 'churn', { historyIndex: false });
  if (afterReopen.answer !== live || unkept.answer !== live) {
    throw new Error('explain after reopen differs from the live lab');
  }
  console.log(
    `explain(VM1, VM2) on ${lab.seq} events that all touch VM2 (worst case: every event is history): ` +
      `first call ${f(first.ms)} ms, after each new event median ${f(median(runs))} ms; ` +
      `diverges=${first.value.diverges}`,
  );
  console.log(
    `  first call after reopen: ${reopenFigure(afterReopen)}; ` +
      `baseline, history index folded from event 1 (historyIndex: false): median ${f(median(unkept.ms))} ms`,
  );
}

/**
 * A lab that grows: 60,000 maps of distinct 4 KiB areas in 250-op batches (the server bench's saturation
 * load), so each snapshot is larger than the last. Against the same load with snapshots off (an interval
 * past the end) in the same run: what snapshots cost such a lab, and how far apart they end up.
 */
function benchGrowingLab(): void {
  const GROW = 60_000;
  const run = (name: string, options: { snapshotEvery?: number; snapshotBytesPerEvent?: number } = {}) => {
    const path = join(dir, `${name}.db`);
    const store = openLabStore({ path, ...options });
    const lab = store.createLab({ name, policy: 'iommufd', template: 'seed' });
    lab.apply({ op: 'vm.create', name: 'vm', memory: 4096, devices: ['A'] });
    const ioas = lab.state().vms.find((vm) => vm.name === 'vm')?.ioas ?? 0;
    const ops: Op[] = Array.from({ length: GROW }, (_, i) => ({
      op: 'ioas.map',
      ioas,
      iova: 0x100000000 + i * 0x2000,
      length: 0x1000,
    }));
    const { ms } = time(() => {
      for (let i = 0; i < ops.length; i += 250) lab.applyBatch(ops.slice(i, i + 250));
    });
    store.close();
    const raw = openDatabase(path).sqlite;
    const seqs = raw.prepare('select seq from snapshots order by seq').pluck().all() as number[];
    const bytes = raw
      .prepare('select coalesce(max(length(state)), 0) from snapshots')
      .pluck()
      .get() as number;
    raw.close();
    const gaps = seqs.slice(1).map((seq, i) => seq - (seqs[i] as number));
    const widest = Math.max(0, ...gaps);
    // The worst state(at): the seq just before the snapshot that ends the widest interval.
    const worstAt = (seqs[gaps.indexOf(widest) + 1] ?? 1) - 1;
    return { ms, snapshots: seqs.length, widest, bytes, path, name, worstAt };
  };
  // Three rounds of three configurations, interleaved: no snapshot points (so no shadows either), the
  // default (the interval stretched by size), and a fixed interval of SNAPSHOT_EVERY.
  const rounds = [0, 1, 2].map((r) => ({
    floor: run(`grow-floor-${r}`, { snapshotEvery: 1e9 }),
    stretched: run(`grow-stretched-${r}`),
    fixed: run(`grow-fixed-${r}`, { snapshotBytesPerEvent: Number.POSITIVE_INFINITY }),
  }));
  const floor = median(rounds.map((r) => r.floor.ms));
  const stretched = median(rounds.map((r) => r.stretched.ms));
  const fixed = median(rounds.map((r) => r.fixed.ms));
  const last = rounds.at(-1)?.stretched as ReturnType<typeof run>;
  const reopened = openLabStore({ path: last.path });
  const worst = time(() => reopened.getLab(last.name).state(last.worstAt)).ms;
  reopened.close();
  console.log(
    `\na lab growing to ${GROW} areas in batches of 250 (core + log + snapshots + shadows, median of 3 interleaved rounds)`,
  );
  console.log(
    `  interval stretched by size (default): ${f(stretched, 0)} ms; fixed at ${SNAPSHOT_EVERY}: ${f(fixed, 0)} ms ` +
      `(stretched ${f(fixed / stretched)}x as fast); no snapshot points at all: ${f(floor, 0)} ms`,
  );
  console.log(
    `  ${last.snapshots} snapshots, the largest ${last.bytes} bytes; widest interval ${last.widest} events ` +
      `(${SNAPSHOT_EVERY} for a small state); state(at) at its end: ${f(worst)} ms (target < 50 ms)`,
  );
}

benchAppend();
benchApplyPath();
benchIndexWriteCost();
benchHistory();
benchChurn();
benchGrowingLab();
