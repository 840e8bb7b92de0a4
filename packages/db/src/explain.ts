// explain(a, b): why two VMs of a lab do or do not differ in wbinvd/hazard, from the event log's effects
// and replays (counterfactual policies and kernels, remedies on scratch copies). explain(a): one VM, with
// the event behind its state and the hazards one unplug would create. Pure over the core and the log.
import {
  type CoreState,
  type Effect,
  KERNELS,
  type Kernel,
  type Lab,
  LabError,
  type OpName,
  POLICIES,
  type Policy,
} from '@ioasid-lab/core';
import { CausalView } from './causality.ts';
import type { HistoryView, VmIndex } from './history-index.ts';
import { ruleBetween, sameOutcome, wouldPhrase } from './kernels.ts';
import { candidatesFor, findRemedies, findVmRemedies, latentHazards } from './remedies.ts';
import { vmOutcome } from './replay.ts';
import type {
  ChainLink,
  Explanation,
  KernelOutcome,
  VmExplanation,
  VmOutcome,
  VmVerdict,
} from './store-types.ts';
import { writeSummary, writeVmSummary } from './summary.ts';

export interface ExplainInput {
  policy: Policy;
  kernel: Kernel;
  seq: number;
  state: CoreState;
  a: string;
  b: string;
  /** The lab's history indexed up to `seq` for (at least) a and b. */
  history(a: string, b: string): HistoryView;
  /** Op names of these events. */
  opNames(seqs: number[]): Map<number, OpName>;
  /** A copy of the live core to try remedies on; the caller's explain frees it. */
  scratch(): Lab;
  /** This lab's inputs replayed under `policy` (and `kernel`, default the lab's); null: not on that kernel. */
  replayUnder(policy: Policy, kernel?: Kernel): { state: CoreState; refused: number } | null;
}

export type VmExplainInput = Omit<ExplainInput, 'b'>;

/** A sentence per kernel profile whose replay differs from the lab's own, naming the rule behind it. */
interface KernelDifference {
  kernel: Kernel;
  vm: string;
  phrase: string;
  clause: string;
}

/**
 * `kernels` of an explanation: the lab's inputs replayed with its policy under every kernel profile (one
 * that lacks the policy is absent); `rule` where a VM's outcome differs from the lab's own kernel.
 */
function kernelOutcomes(
  input: VmExplainInput,
  vms: { vm: string; own: VmOutcome; index: VmIndex }[],
  withB: boolean,
): { kernels: Partial<Record<Kernel, KernelOutcome>>; differences: KernelDifference[] } {
  const kernels: Partial<Record<Kernel, KernelOutcome>> = {};
  const differences: KernelDifference[] = [];
  for (const kernel of KERNELS) {
    const replay = input.replayUnder(input.policy, kernel);
    if (!replay) continue;
    const outcomes = vms.map((v) => vmOutcome(replay.state, v.vm));
    const entry: KernelOutcome = { a: outcomes[0] ?? null, refused: replay.refused };
    if (withB) entry.b = outcomes[1] ?? null;
    if (kernel !== input.kernel) {
      const rule = ruleBetween(input.policy, input.kernel, kernel);
      vms.forEach((v, i) => {
        const other = outcomes[i];
        if (sameOutcome(v.own, other)) return;
        entry.rule = rule.rule;
        if (!other) return;
        const wasOn = v.index.wbinvd !== undefined || v.own.wbinvd;
        differences.push({
          kernel,
          vm: v.vm,
          phrase: wouldPhrase(v.own, other, wasOn),
          clause: rule.clause(ruleDevice(input.policy, input.state, v.vm, v.index), kernel),
        });
      });
    }
    kernels[kernel] = entry;
  }
  return { kernels, differences };
}

/** The device a rule's clause is about: the VM's last unplugged device (type1), its exposed device (iommufd). */
function ruleDevice(policy: Policy, state: CoreState, vm: string, index: VmIndex): string | undefined {
  const now = new Set(state.vms.find((v) => v.name === vm)?.devices ?? []);
  if (policy === 'type1') {
    let last: { device: string; seq: number } | undefined;
    for (const [device, moves] of index.devices) {
      const removed = moves.lastMove.get('vm.kvm_file_removed');
      if (removed && !now.has(device) && (!last || removed.seq > last.seq))
        last = { device, seq: removed.seq };
    }
    return last?.device;
  }
  const snoopCtl = new Map(state.iommus.map((i) => [i.name, i.enforceCacheCoherency]));
  const hwpts = new Map(state.hwpts.map((h) => [h.id, h]));
  return state.devices.find(
    (d) =>
      now.has(d.name) &&
      d.noSnoop &&
      snoopCtl.get(d.iommu) === true &&
      d.hwpt !== null &&
      hwpts.get(d.hwpt)?.enforceCacheCoherency === false,
  )?.name;
}

function kernelSentences(differences: KernelDifference[]): string[] {
  return differences.map((d) => `On ${d.kernel} ${d.vm} ${d.phrase}: ${d.clause}.`);
}

function badness(o: VmOutcome): number {
  // A hazard costs correctness, wbinvd costs speed: the hazard is the state to explain first.
  return (o.coherencyHazard ? 2 : 0) + (o.wbinvd ? 1 : 0);
}

/** One VM's side of a pair explanation: its causal view, its history index and the links behind its state. */
interface Side {
  view: CausalView;
  index: VmIndex;
  why: ChainLink[];
}

/** Where two diverging VMs part: the odd VM's first unmatched event (or its last flip) and the chain after it. */
function findDivergence(
  oa: VmOutcome,
  ob: VmOutcome,
  sideA: Side,
  sideB: Side,
): { firstDivergence: Explanation['firstDivergence']; chain: ChainLink[] } {
  const aIsOdd = badness(oa) >= badness(ob);
  const [odd, other, oddWhy] = aIsOdd
    ? [sideA.view, sideB.index, sideA.why]
    : [sideB.view, sideA.index, sideB.why];
  const found = odd.firstUnmatched(other);
  let start = found?.link;
  let effect = found?.effect;
  if (!start) {
    // Same events on both sides: name the event that last set the differing fact instead.
    const what = oa.coherencyHazard !== ob.coherencyHazard ? 'hazard' : 'wbinvd';
    const flip = odd.lastFlip(what);
    start = flip ? odd.link(flip) : undefined;
    effect = start?.effects.find((e) => e.vm === odd.index.vm && e.type.startsWith(`vm.${what}_`));
  }
  if (!start || !effect) return { firstDivergence: null, chain: [] };
  const from = start.seq;
  // From the first divergence on, the links that carry the odd VM's `why` (bounded on long histories).
  return {
    firstDivergence: { seq: from, op: '' as OpName, effect },
    chain: [start, ...oddWhy.filter((link) => link.seq > from)],
  };
}

/** Fills in the op name of every link (and of the first divergence) from the log, in one look-up. */
function nameOps(
  input: ExplainInput,
  links: ChainLink[],
  firstDivergence: Explanation['firstDivergence'],
): void {
  const names = input.opNames([...new Set(links.map((l) => l.seq))]);
  for (const link of links) link.op = names.get(link.seq) ?? link.op;
  if (firstDivergence) firstDivergence.op = names.get(firstDivergence.seq) ?? firstDivergence.op;
}

/** Ops that would clear wbinvd or the hazard of whichever of the two VMs has one, tried on scratch copies. */
function pairRemedies(input: ExplainInput, oa: VmOutcome, ob: VmOutcome): Explanation['remedies'] {
  const { state, a, b } = input;
  if (badness(oa) + badness(ob) === 0) return [];
  return findRemedies(
    [
      ...(badness(oa) > 0 ? candidatesFor(state, a) : []),
      ...(badness(ob) > 0 ? candidatesFor(state, b) : []),
    ],
    input.scratch,
    a,
    b,
  );
}

/** Both VMs under each other policy, the lab's inputs replayed (a policy the kernel lacks is absent). */
function pairCounterfactual(input: ExplainInput): Explanation['counterfactual'] {
  const counterfactual: Explanation['counterfactual'] = {};
  for (const policy of POLICIES) {
    if (policy === input.policy) continue;
    const replay = input.replayUnder(policy);
    if (!replay) continue;
    counterfactual[policy] = {
      a: vmOutcome(replay.state, input.a),
      b: vmOutcome(replay.state, input.b),
      refused: replay.refused,
    };
  }
  return counterfactual;
}

export function explainVms(input: ExplainInput): Explanation {
  const { state, a, b } = input;
  if (a === b) throw new LabError('EINVAL', `explain needs two different VMs, got ${a} twice`);
  const oa = vmOutcome(state, a);
  const ob = vmOutcome(state, b);
  if (!oa) throw new LabError('ENOENT', `no VM named ${a}`);
  if (!ob) throw new LabError('ENOENT', `no VM named ${b}`);

  const history = input.history(a, b);
  const indexA = history.vms.get(a);
  const indexB = history.vms.get(b);
  if (!indexA || !indexB) throw new Error('history index misses a VM it was built for');
  const viewA = new CausalView(indexA, state);
  const viewB = new CausalView(indexB, state);
  const whyA = viewA.whyLinks();
  const whyB = viewB.whyLinks();

  const diverges = oa.wbinvd !== ob.wbinvd || oa.coherencyHazard !== ob.coherencyHazard;
  const { firstDivergence, chain } = diverges
    ? findDivergence(
        oa,
        ob,
        { view: viewA, index: indexA, why: whyA },
        { view: viewB, index: indexB, why: whyB },
      )
    : { firstDivergence: null, chain: [] };
  nameOps(input, [...whyA, ...whyB, ...chain], firstDivergence);
  const verdictA: VmVerdict = { vm: a, ...oa, why: whyA.map((l) => l.seq) };
  const verdictB: VmVerdict = { vm: b, ...ob, why: whyB.map((l) => l.seq) };

  const remedies = pairRemedies(input, oa, ob);
  const counterfactual = pairCounterfactual(input);
  const { kernels, differences } = kernelOutcomes(
    input,
    [
      { vm: a, own: oa, index: indexA },
      { vm: b, own: ob, index: indexB },
    ],
    true,
  );

  const body: Omit<Explanation, 'summary'> = {
    seq: input.seq,
    policy: input.policy,
    kernel: input.kernel,
    a: verdictA,
    b: verdictB,
    diverges,
    firstDivergence,
    chain,
    remedies,
    counterfactual,
    kernels,
  };
  return { ...body, summary: writeSummary(body, state, kernelSentences(differences)) };
}

/** The flip effect of `vm` in a stored link (`prefix`: "vm.wbinvd_" or "vm.hazard_"). */
function flipIn(link: ChainLink, vm: string, prefix: string): Effect | undefined {
  return link.effects.find((e) => e.vm === vm && e.type.startsWith(prefix));
}

/** explain(a) with no b: one VM's state, the event that set it, latent hazards, remedies and kernels. */
export function explainVm(input: VmExplainInput): VmExplanation {
  const { state, a } = input;
  const own = vmOutcome(state, a);
  if (!own) throw new LabError('ENOENT', `no VM named ${a}`);
  const index = input.history(a, a).vms.get(a);
  if (!index) throw new Error('history index misses the VM it was built for');
  const view = new CausalView(index, state);
  const why = view.whyLinks();

  // The cause: the event that last set the fact that matters most now (hazard, then wbinvd); with
  // neither on, the later of the two flips that turned them off.
  const hazardFlip = index.hazard;
  const wbinvdFlip = index.wbinvd;
  let flip = own.coherencyHazard ? hazardFlip : own.wbinvd ? wbinvdFlip : undefined;
  let prefix = own.coherencyHazard ? 'vm.hazard_' : 'vm.wbinvd_';
  if (!own.coherencyHazard && !own.wbinvd) {
    flip = [hazardFlip, wbinvdFlip]
      .filter((f) => f !== undefined)
      .sort((x, y) => (y?.seq ?? 0) - (x?.seq ?? 0))[0];
    prefix = flip === hazardFlip ? 'vm.hazard_' : 'vm.wbinvd_';
  }
  let cause: VmExplanation['cause'] = null;
  if (flip) {
    const link = view.link(flip);
    const effect = flipIn(link, a, prefix);
    if (effect) cause = { seq: link.seq, op: '' as OpName, effect };
  }
  const names = input.opNames([...new Set([...why.map((l) => l.seq), ...(cause ? [cause.seq] : [])])]);
  for (const link of why) link.op = names.get(link.seq) ?? link.op;
  if (cause) cause.op = names.get(cause.seq) ?? cause.op;

  const latent = latentHazards(state, a, input.scratch);
  const remedies = findVmRemedies(candidatesFor(state, a), input.scratch, a, own, latent.length);

  const counterfactual: VmExplanation['counterfactual'] = {};
  for (const policy of POLICIES) {
    if (policy === input.policy) continue;
    const replay = input.replayUnder(policy);
    if (!replay) continue;
    counterfactual[policy] = { a: vmOutcome(replay.state, a), refused: replay.refused };
  }
  const { kernels, differences } = kernelOutcomes(input, [{ vm: a, own, index }], false);

  const body: Omit<VmExplanation, 'summary'> = {
    seq: input.seq,
    policy: input.policy,
    kernel: input.kernel,
    a: { vm: a, ...own, why: why.map((l) => l.seq) },
    cause,
    chain: why,
    latent,
    remedies,
    counterfactual,
    kernels,
  };
  return { ...body, summary: writeVmSummary(body, state, kernelSentences(differences)) };
}
