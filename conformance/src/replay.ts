// Replays what a real kernel answered (conformance/recorded/) through the core and lists every
// difference. A scenario is a JSON-lines file in the lab's batch-op vocabulary (docs/api.md): a header line,
// then one op a line. The probe ran it on Linux inside QEMU; the recording holds one line per op with
// the kernel's errno and what it said back. Here the same ops go through the compiled core, with the
// hardware the guest's VT-d unit reported, under the kernel profile of the recording's `uname -r`.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  type AnyOp,
  CMD,
  encodeOp,
  KERNELS,
  type Kernel,
  Lab,
  MAX_STRUCT_SIZE,
  type OpResult,
  structSize,
} from '@ioasid-lab/core';

export const ROOT = join(import.meta.dirname, '..');
export const SCENARIOS = join(ROOT, 'scenarios');
export const RECORDED = join(ROOT, 'recorded');

/** Ops the core runs, and ops only the probe and the replay know (they read the core's state). */
export const CORE_OPS: ReadonlySet<string> = new Set(Object.keys(CMD).filter((name) => name !== 'refuse'));
export const OBSERVE_OPS: ReadonlySet<string> = new Set(['ioas.ranges', 'device.info']);
/** Fields the probe adds to an op that the core does not take. */
const PROBE_FIELDS = ['abi', 'via'];
const POLICIES = ['iommufd', 'type1'] as const;
type ScenarioPolicy = (typeof POLICIES)[number];
export const MACHINES = ['vtd-sc', 'vtd-nosc'] as const;

export class ReplayError extends Error {}

function fail(file: string, line: number, message: string): never {
  throw new ReplayError(`${relative(ROOT, file)}:${line}: ${message}`);
}

export interface ScenarioHeader {
  scenario: string;
  family: string;
  title: string;
  policy: ScenarioPolicy;
  machine: (typeof MACHINES)[number];
  kernels: string[];
  /** Set when the scenario cannot run without something the guests lack (e.g. "kvm"). */
  needs?: string[];
}

export interface ScenarioOp {
  line: number;
  op: Record<string, unknown> & { op: string };
}

export interface Scenario {
  file: string;
  /** Path under conformance/scenarios, the scenario's name in recordings. */
  name: string;
  sha256: string;
  header: ScenarioHeader;
  ops: ScenarioOp[];
}

function parseLine(file: string, line: number, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fail(file, line, `not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(file, line, 'not a JSON object');
  return value as Record<string, unknown>;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Reads and checks a scenario file; every problem names the file and line. */
export function loadScenario(file: string): Scenario {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const ops: ScenarioOp[] = [];
  let header: ScenarioHeader | undefined;
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim() || raw.startsWith('#')) return;
    const value = parseLine(file, line, raw);
    if (!header) {
      const h = value as Partial<ScenarioHeader>;
      if (typeof h.scenario !== 'string')
        fail(file, line, 'the first line must be the header {"scenario", ...}');
      if (typeof h.family !== 'string' || typeof h.title !== 'string')
        fail(file, line, 'the header needs "family" and "title"');
      if (!POLICIES.includes(h.policy as ScenarioPolicy))
        fail(file, line, `policy must be one of ${POLICIES.join(', ')}`);
      if (!MACHINES.includes(h.machine as (typeof MACHINES)[number]))
        fail(file, line, `machine must be one of ${MACHINES.join(', ')}`);
      if (!Array.isArray(h.kernels) || h.kernels.length === 0)
        fail(file, line, 'kernels must list the kernels to record on');
      header = h as ScenarioHeader;
      return;
    }
    if (typeof value.op !== 'string') fail(file, line, 'an op line needs "op"');
    if (!CORE_OPS.has(value.op) && !OBSERVE_OPS.has(value.op))
      fail(file, line, `unknown op ${JSON.stringify(value.op)}`);
    ops.push({ line, op: value as ScenarioOp['op'] });
  });
  if (!header) fail(file, 1, 'empty scenario');
  return { file, name: relative(SCENARIOS, file), sha256: sha256(text), header, ops };
}

export function listFiles(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path, suffix));
    else if (entry.name.endsWith(suffix)) out.push(path);
  }
  return out.sort();
}

/** One line of a recording: what the probe printed for a scenario line, plus where it ran. */
export interface RecordedLine {
  kernel: string;
  machine: string;
  scenario: string;
  sha256: string;
  line: number;
  header?: boolean;
  op?: string;
  errno?: string | null;
  kernelCall?: boolean;
  notRun?: string;
  [key: string]: unknown;
}

export interface Recording {
  file: string;
  kernel: string;
  machine: string;
  scenario: string;
  sha256: string;
  header: RecordedLine;
  byLine: Map<number, RecordedLine>;
}

export function loadRecording(file: string): Recording {
  const lines = readFileSync(file, 'utf8').split('\n');
  const byLine = new Map<number, RecordedLine>();
  let header: RecordedLine | undefined;
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    const value = parseLine(file, line, raw) as RecordedLine;
    for (const key of ['kernel', 'machine', 'scenario', 'sha256'] as const) {
      if (typeof value[key] !== 'string') fail(file, line, `recorded line lacks "${key}"`);
      if (header && value[key] !== header[key]) fail(file, line, `"${key}" differs from the first line`);
    }
    if (!header) {
      if (!value.header) fail(file, line, 'the first recorded line must be the probe header');
      header = value;
      return;
    }
    if (typeof value.line !== 'number') fail(file, line, 'recorded line lacks "line"');
    byLine.set(value.line, value);
  });
  if (!header) fail(file, 1, 'empty recording');
  return {
    file,
    kernel: header.kernel,
    machine: header.machine,
    scenario: header.scenario,
    sha256: header.sha256,
    header,
    byLine,
  };
}

/** `uname -r` → the core's kernel profile, or a ReplayError naming the recording's first line. */
export function profileOf(recording: Pick<Recording, 'file' | 'kernel'>): Kernel {
  const match = /^(\d+)\.(\d+)/.exec(recording.kernel);
  const profile = match ? `${match[1]}.${match[2]}` : recording.kernel;
  if (!(KERNELS as readonly string[]).includes(profile))
    fail(
      recording.file,
      1,
      `kernel ${recording.kernel} has no profile in the core (profiles: ${KERNELS.join(', ')})`,
    );
  return profile as Kernel;
}

export interface Deviation {
  id: string;
  /** core-bug: the kernel is right and the core should follow; by-design: the lab means to differ. */
  kind: 'core-bug' | 'by-design';
  field: string;
  reason: string;
  kernel?: string;
  scenario?: string;
  line?: number;
  op?: string;
  kernelValue?: unknown;
  labValue?: unknown;
}

export interface Difference {
  line: number;
  op: string;
  field: string;
  kernelValue: unknown;
  labValue: unknown;
  deviation?: string;
}

export interface Outcome {
  recording: string;
  scenario: string;
  family: string;
  kernel: string;
  profile: string;
  machine: string;
  /** Ops whose kernel answer was compared, and how many of them agreed on every field. */
  compared: number;
  agreed: number;
  /** Ops with no kernel counterpart under the policy (hardware description, lab-only rules). */
  unchecked: number;
  differences: Difference[];
  notRun?: string;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function hex(value: unknown): string {
  return `0x${BigInt(value as string).toString(16)}`;
}

function ranges(list: unknown): { start: string; last: string }[] {
  return ((list as { start: string; last: string }[] | undefined) ?? []).map((r) => ({
    start: hex(r.start),
    last: hex(r.last),
  }));
}

function deviationFor(
  deviations: Deviation[],
  recording: Recording,
  scenario: Scenario,
  difference: Difference,
): Deviation | undefined {
  const profile = /^(\d+\.\d+)/.exec(recording.kernel)?.[1];
  return deviations.find(
    (d) =>
      d.field === difference.field &&
      (d.kernel === undefined || d.kernel === profile) &&
      (d.scenario === undefined || d.scenario === scenario.name) &&
      (d.line === undefined || d.line === difference.line) &&
      (d.op === undefined || d.op === difference.op) &&
      (d.kernelValue === undefined || same(d.kernelValue, difference.kernelValue)) &&
      (d.labValue === undefined || same(d.labValue, difference.labValue)),
  );
}

/** Sends an op with a versioned-struct variant ("short", "tail", "flags") through the raw ioctl path. */
function applyAbi(lab: Lab, op: AnyOp, abi: string): OpResult {
  const arg = Buffer.alloc(MAX_STRUCT_SIZE);
  const cmd = encodeOp(op, arg);
  const size = structSize(cmd);
  let bytes = Buffer.from(arg.subarray(0, size));
  if (abi === 'short') bytes.writeUInt32LE(4, 0);
  else if (abi === 'tail') {
    bytes = Buffer.concat([bytes, Buffer.alloc(8, 0xa5)]);
    bytes.writeUInt32LE(size + 8, 0);
  } else if (abi === 'flags') bytes.writeUInt32LE((bytes.readUInt32LE(4) | 0x80000000) >>> 0, 4);
  return lab.rawIoctl(cmd, bytes).result;
}

/**
 * HWPT names: "hN" for the N-th HWPT the scenario met, in op order, on both sides, so a recording and
 * the core can be compared although their HWPT ids differ.
 */
class HwptLabels {
  readonly #ids: number[] = [];

  label(id: number | undefined): string {
    if (id === undefined) return 'h?';
    let index = this.#ids.indexOf(id);
    if (index < 0) index = this.#ids.push(id) - 1;
    return `h${index + 1}`;
  }

  /** "$hN" in a scenario → the core's id of that HWPT (an id no object has when it is not known yet). */
  resolve(ref: unknown): unknown {
    if (typeof ref !== 'string' || !/^\$h\d+$/.test(ref)) return ref;
    return this.#ids[Number(ref.slice(2)) - 1] ?? 0xfffffff;
  }
}

type Raw = ScenarioOp['op'];
type Seen = Record<string, unknown>;
type LabState = ReturnType<Lab['state']>;

/** A device's group on each side, by name, for the group partition check. */
interface GroupEntry {
  name: string;
  lab: number;
  kernel: number;
}

/** The scenario's op as the core takes it: probe-only fields dropped, "$VM" and "$hN" turned into ids. */
function coreOp(raw: Raw, state: LabState, labels: HwptLabels): Record<string, unknown> {
  const ioasOf = (ref: unknown): unknown => {
    if (typeof ref !== 'string' || !ref.startsWith('$')) return ref;
    return state.vms.find((vm) => vm.name === ref.slice(1))?.ioas ?? 0xfffffff;
  };
  const op: Record<string, unknown> = { ...raw };
  for (const key of PROBE_FIELDS) delete op[key];
  if (op.op === 'hwpt.alloc') delete op.device;
  if ('ioas' in op) op.ioas = ioasOf(op.ioas);
  if ('srcIoas' in op) op.srcIoas = ioasOf(op.srcIoas);
  if ('hwpt' in op) op.hwpt = labels.resolve(op.hwpt);
  return op;
}

/** What the core says to an op only the probe knows (ioas.ranges, device.info): read from its state. */
function observeState(raw: Raw, op: Record<string, unknown>, state: LabState, seen: Seen): void {
  if (raw.op === 'ioas.ranges') {
    const ioas = state.ioas.find((i) => i.id === op.ioas);
    seen.errno = ioas ? 'ok' : 'ENOENT';
    if (ioas) {
      seen.alignment = ioas.iovaAlignment ?? 1;
      seen.ranges = ranges(ioas.iovaRanges);
    }
  } else {
    const device = state.devices.find((d) => d.name === op.device);
    const iommu = state.iommus.find((u) => u.name === device?.iommu);
    seen.errno = device?.vm ? 'ok' : 'ENOENT';
    if (iommu) seen.snoopControl = iommu.enforceCacheCoherency;
  }
}

/** The HWPT ids iommufd hands back (pt_id and friends), as labels; type1 has none. */
function observeHwpts(lab: Lab, raw: Raw, result: OpResult, policy: string, labels: HwptLabels, seen: Seen) {
  if (policy === 'iommufd') {
    // What VFIO_DEVICE_ATTACH_IOMMUFD_PT answers in pt_id: the HWPT the device is on afterwards.
    const after = result.ok ? lab.state() : undefined;
    const on = (device: unknown) =>
      labels.label(after?.devices.find((d) => d.name === device)?.hwpt ?? undefined);
    if (raw.op === 'vm.create')
      seen.hwpts = result.ok && Array.isArray(raw.devices) ? raw.devices.map(on) : [];
    if ((raw.op === 'vm.attach' || raw.op === 'device.replace') && result.ok) seen.hwpt = on(raw.device);
    if (raw.op === 'hwpt.alloc' && result.ok)
      seen.hwpt = labels.label(result.effects.find((e) => e.type === 'hwpt.created')?.hwpt);
  } else if (raw.op === 'vm.create') seen.hwpts = [];
}

/** An IOMMU unit as the core describes it, in the shape the probe prints for the guest's VT-d unit. */
function observeUnit(lab: Lab, name: unknown): Seen | undefined {
  const unit = lab.state().iommus.find((u) => u.name === name);
  if (!unit) return undefined;
  return {
    snoopControl: unit.enforceCacheCoherency,
    iovaBits: unit.iovaBits,
    pageSizes: unit.pageSizes,
    msi: ranges(
      unit.reserved
        .filter((r) => r.kind === 'msi')
        .map((r) => ({ start: r.start, last: hex(BigInt(r.start) + BigInt(r.length) - 1n) })),
    ),
  };
}

/** Applies an op the core runs and notes what it answered, in the fields the recording carries. */
function applyOp(
  lab: Lab,
  raw: Raw,
  op: Record<string, unknown>,
  policy: string,
  labels: HwptLabels,
  seen: Seen,
) {
  const abi = typeof raw.abi === 'string' ? raw.abi : undefined;
  const result = abi ? applyAbi(lab, op as AnyOp, abi) : lab.apply(op as AnyOp);
  seen.errno = result.ok ? 'ok' : result.code;
  observeHwpts(lab, raw, result, policy, labels, seen);
  if (raw.op === 'ioas.unmap' && result.ok) {
    const total = result.effects
      .filter((e) => e.type === 'area.unmapped')
      .reduce((sum, e) => sum + BigInt(e.length ?? 0), 0n);
    seen.unmapped = `0x${total.toString(16)}`;
  }
  if (raw.op === 'iommu.add' && result.ok) {
    const unit = observeUnit(lab, raw.name);
    if (unit) seen.unit = unit;
  }
  if (raw.op === 'device.add' && result.ok) {
    const device = lab.state().devices.find((d) => d.name === raw.name);
    if (device) seen.group = device.group;
  }
}

/** The type1 coherency extension: every domain of the container enforces (VFIO_DMA_CC_IOMMU). */
function observeType1Coherency(lab: Lab, raw: Raw, seen: Seen): void {
  const name = raw.vm ?? raw.name;
  const after = lab.state();
  const vm =
    after.vms.find((v) => v.name === name) ??
    after.vms.find((v) => typeof raw.ioas === 'string' && v.name === raw.ioas.slice(1));
  if (!vm) return;
  const hwpts = after.hwpts.filter((h) => h.ioas === vm.ioas);
  seen.cc = hwpts.length > 0 && hwpts.every((h) => h.enforceCacheCoherency) ? 1 : 0;
}

/** What the kernel said, in the same shape as what the core is seen to say. */
function kernelAnswer(raw: Raw, recorded: RecordedLine): Seen {
  const kernel: Seen = {};
  if (recorded.errno !== null && recorded.errno !== undefined) kernel.errno = recorded.errno;
  for (const key of ['hwpt', 'hwpts', 'unmapped', 'cc', 'alignment', 'snoopControl'] as const)
    if (key in recorded) kernel[key] = recorded[key];
  if ('ranges' in recorded) kernel.ranges = ranges(recorded.ranges);
  if (raw.op === 'iommu.add' && recorded.unit) {
    const unit = recorded.unit as {
      snoopControl: boolean;
      mgaw: number;
      pageSizes: number[];
      reserved: { start: string; last: string; kind: string }[];
    };
    kernel.unit = {
      snoopControl: unit.snoopControl,
      iovaBits: unit.mgaw,
      pageSizes: unit.pageSizes,
      msi: ranges(unit.reserved.filter((r) => r.kind === 'msi')),
    };
  }
  return kernel;
}

/**
 * Lab groups must partition the devices as the kernel's IOMMU groups do: compare, for each device,
 * which earlier devices share its group on each side.
 */
function compareGroups(
  recording: Recording,
  raw: Raw,
  recorded: RecordedLine,
  groups: GroupEntry[],
  seen: Seen,
  kernel: Seen,
): void {
  if (recorded.present !== true) fail(recording.file, 1, `the machine has no device ${raw.name}`);
  const name = String(raw.name);
  const labGroup = seen.group as number;
  const kernelGroup = recorded.group as number;
  kernel.group = groups.filter((g) => g.kernel === kernelGroup).map((g) => g.name);
  seen.group = groups.filter((g) => g.lab === labGroup).map((g) => g.name);
  groups.push({ name, lab: labGroup, kernel: kernelGroup });
}

/** Counts one op into the outcome: unchecked, agreed, or one difference per field that differs. */
function tally(
  outcome: Outcome,
  context: { recording: Recording; scenario: Scenario; deviations: Deviation[] },
  line: number,
  raw: Raw,
  recorded: RecordedLine,
  kernel: Seen,
  seen: Seen,
): void {
  const fields = Object.keys(kernel);
  if ((recorded.errno === null || recorded.errno === undefined) && fields.length === 0) {
    outcome.unchecked++;
    return;
  }
  outcome.compared++;
  let agreed = true;
  for (const field of fields) {
    if (same(kernel[field], seen[field])) continue;
    const difference: Difference = {
      line,
      op: raw.op,
      field,
      kernelValue: kernel[field],
      labValue: seen[field] ?? null,
    };
    const deviation = deviationFor(context.deviations, context.recording, context.scenario, difference);
    if (deviation) difference.deviation = deviation.id;
    outcome.differences.push(difference);
    agreed = false;
  }
  if (agreed) outcome.agreed++;
}

/** The recorded answer for a scenario line, checked to be for the same op. */
function recordedAnswer(recording: Recording, scenario: Scenario, line: number, raw: Raw): RecordedLine {
  const recorded = recording.byLine.get(line);
  if (!recorded) fail(recording.file, 1, `no recorded answer for ${scenario.name}:${line}`);
  if (recorded.op !== raw.op)
    fail(recording.file, 1, `${scenario.name}:${line} is ${raw.op}, the recording says ${recorded.op}`);
  return recorded;
}

function emptyOutcome(recording: Recording, scenario: Scenario, profile: Kernel): Outcome {
  return {
    recording: relative(ROOT, recording.file),
    scenario: scenario.name,
    family: scenario.header.family,
    kernel: recording.kernel,
    profile,
    machine: recording.machine,
    compared: 0,
    agreed: 0,
    unchecked: 0,
    differences: [],
  };
}

/** Replays one recording through the core. Throws ReplayError on bad input (file and line named). */
export function replay(recording: Recording, scenario: Scenario, deviations: Deviation[]): Outcome {
  const profile = profileOf(recording);
  const outcome = emptyOutcome(recording, scenario, profile);
  if (recording.sha256 !== scenario.sha256)
    fail(recording.file, 1, `recorded from another version of ${scenario.name}: run npm run conformance`);
  if (recording.header.notRun) {
    outcome.notRun = recording.header.notRun;
    return outcome;
  }
  const policy = scenario.header.policy;
  const lab = Lab.create(policy, undefined, profile);
  const labels = new HwptLabels();
  const groups: GroupEntry[] = [];
  const context = { recording, scenario, deviations };
  try {
    for (const { line, op: raw } of scenario.ops) {
      const recorded = recordedAnswer(recording, scenario, line, raw);
      const state = lab.state();
      const op = coreOp(raw, state, labels);
      const seen: Seen = {};
      if (OBSERVE_OPS.has(raw.op)) observeState(raw, op, state, seen);
      else applyOp(lab, raw, op, policy, labels, seen);
      if (policy === 'type1') observeType1Coherency(lab, raw, seen);
      const kernel = kernelAnswer(raw, recorded);
      if (raw.op === 'device.add') compareGroups(recording, raw, recorded, groups, seen, kernel);
      tally(outcome, context, line, raw, recorded, kernel, seen);
    }
  } finally {
    lab.destroy();
  }
  return outcome;
}

export function loadDeviations(file = join(ROOT, 'deviations.json')): Deviation[] {
  const list = JSON.parse(readFileSync(file, 'utf8')) as { deviations: Deviation[] };
  list.deviations.forEach((d, index) => {
    if (!d.id || !d.field || !d.reason || (d.kind !== 'core-bug' && d.kind !== 'by-design'))
      throw new ReplayError(
        `deviations.json: entry ${index} needs id, kind (core-bug or by-design), field and reason`,
      );
  });
  return list.deviations;
}

/** Every recording under recorded/, each with its scenario. */
export function loadAll(): { recording: Recording; scenario: Scenario }[] {
  const scenarios = new Map(listFiles(SCENARIOS, '.jsonl').map((file) => [relative(SCENARIOS, file), file]));
  return listFiles(RECORDED, '.jsonl').map((file) => {
    const recording = loadRecording(file);
    const path = scenarios.get(recording.scenario);
    if (!path) fail(file, 1, `scenario ${recording.scenario} does not exist`);
    return { recording, scenario: loadScenario(path) };
  });
}
