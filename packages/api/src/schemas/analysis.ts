// Response and query shapes of the analysis endpoints: explain (two VMs, or one alone) and compare, across
// policies and kernel profiles. Objects stay open so the history engine can add facts without breaking v1.
import { Type } from 'typebox';
import { KERNELS, POLICIES } from '../vocab.ts';
import { Name } from './common.ts';

const ONE_POLICY = `(${POLICIES.join('|')})`;
/** A comma-separated list of policies, each at most once in practice (the route drops repeats). */
const POLICY_LIST = `^${ONE_POLICY}(,${ONE_POLICY}){0,${POLICIES.length - 1}}$`;

export const ExplainQuery = Type.Object(
  {
    a: Name,
    b: Type.Optional(Name),
  },
  { additionalProperties: false },
);
export const CompareQuery = Type.Object(
  {
    policies: Type.Optional(Type.String({ pattern: POLICY_LIST, examples: ['type1,iommufd,shared'] })),
    kernels: Type.Optional(
      Type.String({
        maxLength: 64,
        examples: ['6.1,6.12'],
        description: `Comma-separated kernel profiles (${KERNELS.join(', ')}); default: the lab's`,
      }),
    ),
  },
  { additionalProperties: false },
);

export const Outcome = Type.Object({ wbinvd: Type.Boolean(), coherencyHazard: Type.Boolean() });
export const KernelOutcomes = Type.Record(
  Type.String(),
  Type.Object({
    a: Type.Union([Outcome, Type.Null()]),
    b: Type.Optional(Type.Union([Outcome, Type.Null()])),
    refused: Type.Integer(),
    rule: Type.Optional(
      Type.String({ description: 'The rule that differs, with its kernel function or commit' }),
    ),
  }),
  { description: "The lab's inputs replayed with its policy under every kernel profile that has it" },
);
const Effect = Type.Object({ type: Type.String() });
export const Explanation = Type.Object({
  seq: Type.Integer(),
  kernel: Type.String(),
  a: Type.Object({
    vm: Name,
    wbinvd: Type.Boolean(),
    coherencyHazard: Type.Boolean(),
    why: Type.Array(Type.Integer()),
  }),
  b: Type.Object({
    vm: Name,
    wbinvd: Type.Boolean(),
    coherencyHazard: Type.Boolean(),
    why: Type.Array(Type.Integer()),
  }),
  diverges: Type.Boolean(),
  firstDivergence: Type.Union([
    Type.Object({ seq: Type.Integer(), op: Type.String(), effect: Type.Object({ type: Type.String() }) }),
    Type.Null(),
  ]),
  chain: Type.Array(
    Type.Object({ seq: Type.Integer(), op: Type.String(), effects: Type.Array(Type.Object({})) }),
  ),
  summary: Type.String(),
  remedies: Type.Array(
    Type.Object({ ops: Type.Array(Type.Object({})), result: Type.Object({ a: Outcome, b: Outcome }) }),
  ),
  counterfactual: Type.Record(Type.String(), Type.Object({})),
  kernels: KernelOutcomes,
});
export const VmExplanation = Type.Object({
  seq: Type.Integer(),
  kernel: Type.String(),
  a: Type.Object({
    vm: Name,
    wbinvd: Type.Boolean(),
    coherencyHazard: Type.Boolean(),
    why: Type.Array(Type.Integer()),
  }),
  cause: Type.Union([Type.Object({ seq: Type.Integer(), op: Type.String(), effect: Effect }), Type.Null()], {
    description: "The event that set the VM's current wbinvd or hazard state",
  }),
  chain: Type.Array(
    Type.Object({ seq: Type.Integer(), op: Type.String(), effects: Type.Array(Type.Object({})) }),
  ),
  latent: Type.Array(
    Type.Object({
      device: Name,
      hwpt: Type.Integer(),
      trigger: Type.Object({ op: Type.Literal('vm.detach'), vm: Name, device: Name }),
    }),
    { description: 'Devices one unplug (the trigger, found by replay) would leave in a coherency hazard' },
  ),
  summary: Type.String(),
  remedies: Type.Array(
    Type.Object({ ops: Type.Array(Type.Object({})), result: Type.Object({ a: Outcome }) }),
  ),
  counterfactual: Type.Record(Type.String(), Type.Object({})),
  kernels: KernelOutcomes,
});
export const Comparison = Type.Object({
  seq: Type.Integer(),
  policies: Type.Array(
    Type.Object({
      policy: Type.String(),
      kernel: Type.String(),
      refused: Type.Integer(),
      vms: Type.Array(
        Type.Object({
          vm: Name,
          wbinvd: Type.Boolean(),
          coherencyHazard: Type.Boolean(),
          hwpts: Type.Integer(),
          tableBytes: Type.Integer(),
        }),
      ),
    }),
  ),
});
