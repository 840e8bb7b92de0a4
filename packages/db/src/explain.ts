// explain(a, b): why two VMs of a lab do or do not differ in wbinvd/hazard, from the event log's effects
// and replays (counterfactual policies, remedies on scratch copies). Pure over the core and the log.
import { type CoreState, type Lab, LabError, type OpName, POLICIES, type Policy } from '@ioasid-lab/core';
import { CausalView } from './causality.ts';
import type { HistoryIndex } from './history-index.ts';
import { candidatesFor, findRemedies } from './remedies.ts';
import { vmOutcome } from './replay.ts';
import type { ChainLink, Explanation, VmOutcome, VmVerdict } from './store-types.ts';
import { writeSummary } from './summary.ts';

export interface ExplainInput {
  policy: Policy;
  seq: number;
  state: CoreState;
  a: string;
  b: string;
  /** The lab's history indexed up to `seq` for (at least) a and b. */
  history(a: string, b: string): HistoryIndex;
  /** Op names of these events. */
  opNames(seqs: number[]): Map<number, OpName>;
  /** A copy of the live core to try remedies on; the caller's explain frees it. */
  scratch(): Lab;
  replayUnder(policy: Policy): { state: CoreState; refused: number };
}

function badness(o: VmOutcome): number {
  // A hazard costs correctness, wbinvd costs speed: the hazard is the state to explain first.
  return (o.coherencyHazard ? 2 : 0) + (o.wbinvd ? 1 : 0);
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
  let firstDivergence: Explanation['firstDivergence'] = null;
  let chain: ChainLink[] = [];
  if (diverges) {
    const aIsOdd = badness(oa) >= badness(ob);
    const [odd, other, oddWhy] = aIsOdd ? [viewA, indexB, whyA] : [viewB, indexA, whyB];
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
    if (start && effect) {
      const from = start.seq;
      // From the first divergence on, the links that carry the odd VM's `why` (bounded on long histories).
      chain = [start, ...oddWhy.filter((link) => link.seq > from)];
      firstDivergence = { seq: from, op: '' as OpName, effect };
    }
  }
  const names = input.opNames([...new Set([...whyA, ...whyB, ...chain].map((l) => l.seq))]);
  for (const link of [...whyA, ...whyB, ...chain]) link.op = names.get(link.seq) ?? link.op;
  if (firstDivergence) firstDivergence.op = names.get(firstDivergence.seq) ?? firstDivergence.op;
  const verdictA: VmVerdict = { vm: a, ...oa, why: whyA.map((l) => l.seq) };
  const verdictB: VmVerdict = { vm: b, ...ob, why: whyB.map((l) => l.seq) };

  const remedies =
    badness(oa) + badness(ob) === 0
      ? []
      : findRemedies(
          [
            ...(badness(oa) > 0 ? candidatesFor(state, a) : []),
            ...(badness(ob) > 0 ? candidatesFor(state, b) : []),
          ],
          input.scratch,
          a,
          b,
        );

  const counterfactual: Explanation['counterfactual'] = {};
  for (const policy of POLICIES) {
    if (policy === input.policy) continue;
    const replay = input.replayUnder(policy);
    counterfactual[policy] = {
      a: vmOutcome(replay.state, a),
      b: vmOutcome(replay.state, b),
      refused: replay.refused,
    };
  }

  const body: Omit<Explanation, 'summary'> = {
    seq: input.seq,
    policy: input.policy,
    a: verdictA,
    b: verdictB,
    diverges,
    firstDivergence,
    chain,
    remedies,
    counterfactual,
  };
  return { ...body, summary: writeSummary(body, state) };
}
