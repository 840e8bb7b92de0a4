// The recorded kernel answers (conformance/recorded/) replayed through the compiled core: every op's errno
// and observables must match, or the difference must be listed in conformance/deviations.json with a
// reason. Scenarios that could not run on the guests are listed with their reason, never passed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Deviation,
  type Difference,
  loadAll,
  loadDeviations,
  loadRecording,
  loadScenario,
  type Outcome,
  profileOf,
  ReplayError,
  replay,
} from './replay.ts';

const deviations = loadDeviations();
const all = loadAll();
const outcomes: Outcome[] = [];
const used = new Set<string>();

const show = (d: Difference) =>
  `line ${d.line} ${d.op} ${d.field}: kernel ${JSON.stringify(d.kernelValue)}, lab ${JSON.stringify(d.labValue)}`;

describe('recorded kernel answers replayed through the core', () => {
  it('has recordings from Linux 6.12 and 6.1', () => {
    const kernels = new Set(all.map(({ recording }) => recording.kernel.split('.').slice(0, 2).join('.')));
    expect([...kernels].sort()).toEqual(['6.1', '6.12']);
  });

  for (const { recording, scenario } of all) {
    const title = `${recording.kernel} ${recording.machine} ${scenario.name}`;
    if (recording.header.notRun) {
      // Not a test: listed in the summary test below with its reason.
      continue;
    }
    it(title, () => {
      const outcome = replay(recording, scenario, deviations);
      outcomes.push(outcome);
      for (const d of outcome.differences) if (d.deviation) used.add(d.deviation);
      const unexplained = outcome.differences.filter((d) => !d.deviation);
      expect(unexplained.map(show), `${scenario.name} differs from ${recording.kernel}`).toEqual([]);
      expect(outcome.compared).toBeGreaterThan(0);
    });
  }

  it('lists every scenario that did not run, with its reason', () => {
    const notRun = all.filter(({ recording }) => recording.header.notRun);
    for (const { recording } of notRun) expect(recording.header.notRun).toMatch(/\S{10}/);
    expect(notRun.every(({ scenario }) => scenario.header.needs?.includes('kvm'))).toBe(true);
  });

  // Runs after every replay above (a file's tests run in order): a deviation nothing needs is stale.
  it('every deviation in deviations.json still occurs', () => {
    expect(outcomes.length).toBe(all.filter(({ recording }) => !recording.header.notRun).length);
    expect(deviations.filter((d: Deviation) => !used.has(d.id)).map((d) => d.id)).toEqual([]);
  });
});

describe('bad input fails naming the file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conformance-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const header =
    '{"scenario":"x","family":"x","title":"x","policy":"iommufd","machine":"vtd-sc","kernels":["6.12"]}';

  it('a scenario line that is not JSON', () => {
    const file = join(dir, 'broken.jsonl');
    writeFileSync(file, `${header}\n{"op":"vm.create","name":"VM1"\n`);
    expect(() => loadScenario(file)).toThrow(ReplayError);
    expect(() => loadScenario(file)).toThrow(/broken\.jsonl:2: not JSON/);
  });

  it('an unknown op', () => {
    const file = join(dir, 'unknown.jsonl');
    writeFileSync(file, `${header}\n{"op":"vm.create","name":"VM1"}\n\n{"op":"ioas.frobnicate","ioas":1}\n`);
    expect(() => loadScenario(file)).toThrow(/unknown\.jsonl:4: unknown op "ioas\.frobnicate"/);
  });

  it('a scenario without its header', () => {
    const file = join(dir, 'headless.jsonl');
    writeFileSync(file, '{"op":"vm.create","name":"VM1"}\n');
    expect(() => loadScenario(file)).toThrow(/headless\.jsonl:1: the first line must be the header/);
  });

  it('a recording whose kernel has no profile', () => {
    const file = join(dir, 'old.jsonl');
    writeFileSync(
      file,
      '{"kernel":"5.15.0","machine":"vtd-sc","scenario":"x.jsonl","sha256":"0","line":1,"header":true}\n',
    );
    const recording = loadRecording(file);
    expect(() => profileOf(recording)).toThrow(/old\.jsonl:1: kernel 5\.15\.0 has no profile/);
  });

  it('a recording line that is not JSON', () => {
    const file = join(dir, 'torn.jsonl');
    writeFileSync(
      file,
      '{"kernel":"6.12.1","machine":"vtd-sc","scenario":"x.jsonl","sha256":"0","line":1,"header":true}\n{"kernel":\n',
    );
    expect(() => loadRecording(file)).toThrow(/torn\.jsonl:2: not JSON/);
  });

  it('a recording of another version of its scenario', () => {
    const scenarioFile = join(dir, 'changed.jsonl');
    writeFileSync(scenarioFile, `${header}\n{"op":"vm.create","name":"VM1","memory":4096}\n`);
    const file = join(dir, 'changed-rec.jsonl');
    writeFileSync(
      file,
      '{"kernel":"6.12.1","machine":"vtd-sc","scenario":"changed.jsonl","sha256":"0","line":1,"header":true}\n' +
        '{"kernel":"6.12.1","machine":"vtd-sc","scenario":"changed.jsonl","sha256":"0","line":2,"op":"vm.create","errno":"ok"}\n',
    );
    expect(() => replay(loadRecording(file), loadScenario(scenarioFile), [])).toThrow(
      /changed-rec\.jsonl:1: recorded from another version/,
    );
  });
});
