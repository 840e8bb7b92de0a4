#!/usr/bin/env node
// Runs every suite (C unit tests plain and sanitized, Vitest, Playwright) and ends with one
// summary line "N passed, N failed" that CI reads. Exits non-zero if anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const artifacts = join(root, 'test-results');
mkdirSync(artifacts, { recursive: true });
const totals = { passed: 0, failed: 0 };
const suites = [];

function run(command, args, options = {}) {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    ...options,
  });
  process.stdout.write(result.stdout ?? '');
  return result;
}

function record(name, passed, failed, status) {
  // A suite that crashed before reporting counts as one failure, so it can never pass silently.
  if (status !== 0 && failed === 0) failed = 1;
  totals.passed += passed;
  totals.failed += failed;
  suites.push(`${name}: ${passed} passed, ${failed} failed`);
}

function ensureChromium() {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(path)) return true;
  if (process.getuid?.() === 0) {
    console.log("Chromium is missing: installing Debian's chromium with apt-get (running as root).");
    run('sh', ['-c', 'apt-get update && apt-get install -y chromium'], { stdio: 'inherit' });
    if (existsSync(path)) return true;
  }
  console.error(
    `\nChromium not found at ${path}. Install it with: sudo apt-get install -y chromium\n` +
      '(or set CHROMIUM_PATH to a Chromium binary). The end-to-end tests need it.',
  );
  return false;
}

// 0. Static checks, one count each: Biome over the whole repo, tsc over every package, the size of every
// function (none over 100 lines, none over 80 without a comment saying why), and the workspaces' dependency
// graph (apps on packages, the web app on @ioasid-lab/api alone, no cycle).
for (const [name, command, args] of [
  ['Biome (lint and format)', 'npx', ['biome', 'check', '.']],
  ['TypeScript (tsc, every package)', 'npx', ['turbo', 'run', 'typecheck', '--output-logs=errors-only']],
  ['Function sizes', 'node', ['scripts/function-length.mjs']],
  ['Workspace dependencies', 'node', ['scripts/dependency-graph.mjs']],
]) {
  const { status } = run(command, args);
  record(name, status === 0 ? 1 : 0, status === 0 ? 0 : 1, status);
}

// 1. C unit tests, plain and under ASan+UBSan; each binary prints "N passed, N failed".
{
  const result = run('make', ['-s', '-C', 'packages/core/native', 'test']);
  let passed = 0;
  let failed = 0;
  for (const match of (result.stdout ?? '').matchAll(/^(\d+) passed, (\d+) failed$/gm)) {
    passed += Number(match[1]);
    failed += Number(match[2]);
  }
  record('C unit tests', passed, failed, result.status);
}

// 1b. A short smoke of each libFuzzer harness of the core (npm run fuzz runs them longer).
{
  const clang = spawnSync('sh', ['-c', 'command -v clang-14 || command -v clang']).status === 0;
  if (!clang && process.getuid?.() === 0) {
    console.log(
      'clang is missing: installing clang-14 and libclang-rt-14-dev with apt-get (running as root).',
    );
    run(
      'sh',
      ['-c', 'apt-get update && apt-get install -y --no-install-recommends clang-14 libclang-rt-14-dev'],
      {
        stdio: 'inherit',
      },
    );
  }
  const result = run('node', ['packages/core/native/fuzz/run.mjs', '--time', '15']);
  const summary = /^(\d+) passed, (\d+) failed$/m.exec(result.stdout ?? '');
  record(
    'Fuzz smoke (libFuzzer, 15 s each)',
    Number(summary?.[1] ?? 0),
    Number(summary?.[2] ?? 0),
    result.status,
  );
}

// 2. Vitest over every TypeScript package (unit, property and server integration tests).
{
  const report = join(artifacts, 'vitest.json');
  const result = run('npx', [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile=${report}`,
  ]);
  let passed = 0;
  let failed = 0;
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    passed = json.numPassedTests;
    failed =
      json.numFailedTests +
      (json.numTotalTestSuites && json.success === false && json.numFailedTests === 0 ? 1 : 0);
  }
  record('Vitest', passed, failed, result.status);
}

// 3. The core's Vitest suites again, through koffi, against the ASan+UBSan build of the library.
{
  const result = run('bash', ['packages/core/native/test-sanitized.sh'], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes from Vitest's summary
  const output = (result.stdout ?? '').replace(/\u001b\[[0-9;]*m/g, '');
  const summary = /^\s*Tests\s+(?:(\d+) failed \| )?(\d+) passed/m.exec(output);
  record('Core under ASan+UBSan', Number(summary?.[2] ?? 0), Number(summary?.[1] ?? 0), result.status);
}

// 4. Playwright end to end in Debian's Chromium.
if (ensureChromium()) {
  const report = join(root, 'e2e', 'artifacts', 'results.json');
  const result = run('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts'], {
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  });
  let passed = 0;
  let failed = 0;
  if (existsSync(report)) {
    const stats = JSON.parse(readFileSync(report, 'utf8')).stats;
    passed = stats.expected;
    failed = stats.unexpected + stats.flaky;
  }
  record('Playwright', passed, failed, result.status);
} else {
  record('Playwright', 0, 1, 1);
}

console.log(`\n${suites.join('\n')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed === 0 ? 0 : 1);
