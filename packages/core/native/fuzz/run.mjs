#!/usr/bin/env node
// Runs the libFuzzer harnesses of the core: builds them (make), then fuzzes each for --time seconds (default
// 60) on the committed seed corpus plus build/corpus/<harness> (new inputs land there; crashes in
// build/crashes/<harness>). Prints executions and crashes per harness and one line "N passed, N failed"
// (a harness passes when it ran without a crash). Known core bugs (known/) are re-run first and reported,
// not counted as new failures; one that no longer reproduces is reported too, so the entry gets removed.
// --keep-going fuzzes in libFuzzer's fork mode past crashes (long runs), then re-runs every crash input
// and sorts it into known bugs and new ones.
//   node packages/core/native/fuzz/run.mjs [--time S] [--runs N] [--keep-going] [harness ...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const HARNESSES = ['fuzz_ioctl', 'fuzz_batch', 'fuzz_restore', 'fuzz_ops'];
/** Crashes found by fuzzing that are bugs of the core, reported upstream; see SECURITY.md. */
const KNOWN = [
  // Empty: the one found so far (a damaged snapshot with overlapping areas restored into tables whose leaf
  // counters disagreed with their walk) is fixed; its input is in corpus/fuzz_restore as a regression seed.
];

const args = process.argv.slice(2);
let time = 60;
let runs = -1;
let keepGoing = false;
const chosen = [];
for (let i = 0; i < args.length; i += 1) {
  if (args[i] === '--time') time = Number(args[++i]);
  else if (args[i] === '--keep-going') keepGoing = true;
  else if (args[i] === '--runs') runs = Number(args[++i]);
  else chosen.push(args[i]);
}
const names = chosen.length > 0 ? chosen : HARNESSES;

const build = spawnSync('make', ['-s', '-C', here, 'all'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('fuzz: building the harnesses failed (clang-14 and libclang-rt-14-dev installed?)');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

function fuzz(name, extra) {
  const result = spawnSync(join(here, 'build', name), extra, {
    cwd: here,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`;
}

let passed = 0;
let failed = 0;
for (const name of names) {
  const known = KNOWN.filter((entry) => entry.harness === name);
  for (const entry of known) {
    const output = fuzz(name, [entry.reproducer]);
    if (entry.signature.test(output))
      console.log(`${name}: known core bug still reproduces: ${entry.what} (${entry.reproducer})`);
    else
      console.log(`${name}: known core bug no longer reproduces (${entry.reproducer}): remove it from KNOWN`);
  }
  const corpus = join('build', 'corpus', name);
  const crashes = join('build', 'crashes', name);
  mkdirSync(join(here, corpus), { recursive: true });
  mkdirSync(join(here, crashes), { recursive: true });
  const before = new Set(readdirSync(join(here, crashes)));
  const output = fuzz(name, [
    ...(keepGoing ? ['-fork=1', '-ignore_crashes=1', '-ignore_timeouts=1', '-ignore_ooms=1'] : []),
    `-max_total_time=${time}`,
    `-runs=${runs}`,
    '-print_final_stats=1',
    '-timeout=10',
    '-rss_limit_mb=2048',
    `-artifact_prefix=${crashes}/`,
    corpus,
    ...(existsSync(join(here, 'corpus', name)) ? [join('corpus', name)] : []),
  ]);
  if (keepGoing) {
    // Fork mode: progress lines "#N: cov: ..."; the last one has the total.
    const executions = Number([...output.matchAll(/^#(\d+):/gm)].at(-1)?.[1] ?? 0);
    const found = readdirSync(join(here, crashes)).filter((file) => !before.has(file));
    let fresh = 0;
    const seen = new Map();
    for (const file of found) {
      const again = fuzz(name, [join(crashes, file)]);
      const entry = known.find((k) => k.signature.test(again));
      const key = entry
        ? entry.what
        : (again.split('\n').find((line) => /invariant|ERROR|runtime error/.test(line)) ?? file);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (!entry) fresh += 1;
    }
    if (fresh === 0) passed += 1;
    else failed += 1;
    console.log(
      `${name}: ${executions} executions in ${time} s, ${found.length} crash inputs (${fresh} not known)`,
    );
    for (const [key, count] of seen) console.log(`  ${count} x ${key}`);
    continue;
  }
  const executions = Number(/stat::number_of_executed_units:\s*(\d+)/.exec(output)?.[1] ?? 0);
  const rss = /stat::peak_rss_mb:\s*(\d+)/.exec(output)?.[1] ?? '?';
  const crashed = /ERROR: libFuzzer|ERROR: AddressSanitizer|runtime error|invariant broken/.test(output);
  const artifact = /Test unit written to (\S+)/.exec(output)?.[1];
  const knownHit = crashed && known.find((entry) => entry.signature.test(output));
  if (!crashed) {
    passed += 1;
    console.log(`${name}: ${executions} executions, no crash (peak RSS ${rss} MB)`);
  } else if (knownHit) {
    passed += 1;
    console.log(
      `${name}: ${executions} executions, stopped on the known core bug (${knownHit.what}); input ${artifact ?? '?'}`,
    );
  } else {
    failed += 1;
    const why = output
      .split('\n')
      .filter((line) => /ERROR|invariant|runtime error|SUMMARY/.test(line))
      .slice(0, 6);
    console.log(
      `${name}: CRASH after ${executions} executions; reproducer ${artifact ?? '?'}\n  ${why.join('\n  ')}`,
    );
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
