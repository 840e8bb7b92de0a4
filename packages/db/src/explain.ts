// explain(a, b): why two VMs of a lab do or do not differ in wbinvd/hazard, from the event log's effects
// and replays (counterfactual policies, remedies on scratch copies). Pure over the core and the log.
import { type CoreState, type Lab, LabError, POLICIES, type Policy } from '@ioasid-lab/core';
import { catalogOf, causalChain, causalKeys, firstUnmatched, lastFlip, whySeqs } from './causality.ts';
import { candidatesFor, findRemedies } from './remedies.ts';
import { vmOutcome } from './replay.ts';
import type { Explanation, VmOutcome, VmVerdict } from './store-types.ts';
import { writeSummary } from './summary.ts';
import { type EventsMentioning, vmHistories } from './vm-history.ts';

export interface ExplainInput {
  policy: Policy;
  seq: number;
  state: CoreState;
  a: string;
  b: string;
  eventsMentioning: EventsMentioning;
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

  const { histories, origins } = vmHistories(state, [a, b], input.eventsMentioning);
  const ha = histories.get(a);
  const hb = histories.get(b);
  if (!ha || !hb) throw new Error('history missing for an existing VM');
  const keysA = causalKeys(state, a);
  const keysB = causalKeys(state, b);
  const chainA = causalChain(ha, keysA);
  const chainB = causalChain(hb, keysB);
  const verdictA: VmVerdict = { vm: a, ...oa, why: whySeqs(chainA, keysA) };
  const verdictB: VmVerdict = { vm: b, ...ob, why: whySeqs(chainB, keysB) };

  const diverges = oa.wbinvd !== ob.wbinvd || oa.coherencyHazard !== ob.coherencyHazard;
  let firstDivergence: Explanation['firstDivergence'] = null;
  let chain: Explanation['chain'] = [];
  if (diverges) {
    const aIsOdd = badness(oa) >= badness(ob);
    const [odd, oddChain, other] = aIsOdd ? [a, chainA, hb] : [b, chainB, ha];
    const catalog = catalogOf(state, origins);
    firstDivergence = firstUnmatched(oddChain, odd, other, catalog);
    if (!firstDivergence) {
      // Same events on both sides: name the event that last set the differing fact instead.
      const what = oa.coherencyHazard !== ob.coherencyHazard ? 'hazard' : 'wbinvd';
      const seq = lastFlip(oddChain, odd, what);
      const link = oddChain.find((l) => l.seq === seq);
      const effect = link?.effects.find((e) => e.vm === odd && e.type.startsWith(`vm.${what}_`));
      if (link && effect) firstDivergence = { seq: link.seq, op: link.op, effect };
    }
    const from = firstDivergence?.seq ?? 0;
    chain = oddChain.filter((link) => link.seq >= from);
  }

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
