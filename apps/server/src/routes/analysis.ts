// /labs/:lab/explain and /labs/:lab/compare: why two VMs differ (or why one VM is as it is), and the lab
// under other policies and kernel profiles. Both are replays in scratch cores done by the history engine;
// this file only validates and shapes.
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, LabParams, Name } from '@ioasid-lab/api/schemas';
import { KERNELS, type Kernel, LabError, type Policy } from '@ioasid-lab/core';
import type { FastifyInstance } from 'fastify';

const tags = ['analysis'];
const POLICY_LIST = '^(type1|iommufd|shared|explicit)(,(type1|iommufd|shared|explicit)){0,3}$';

const ExplainQuery = Type.Object(
  {
    a: Name,
    b: Type.Optional(Name),
  },
  { additionalProperties: false },
);
const CompareQuery = Type.Object(
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

/** `kernels=6.1,6.12` → the profiles; an unknown one is a 400 naming the allowed values. */
function parseKernels(text: string | undefined): Kernel[] | undefined {
  if (text === undefined) return undefined;
  const kernels = text.split(',');
  for (const kernel of kernels) {
    if (!KERNELS.includes(kernel as Kernel)) {
      throw new LabError('EINVAL', `kernel ${kernel} is unknown: one of ${KERNELS.join(', ')}`);
    }
  }
  return [...new Set(kernels as Kernel[])];
}

const Outcome = Type.Object({ wbinvd: Type.Boolean(), coherencyHazard: Type.Boolean() });
const KernelOutcomes = Type.Record(
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
const Explanation = Type.Object({
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
const VmExplanationSchema = Type.Object({
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
const Comparison = Type.Object({
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

export default async function analysisRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/labs/:lab/explain',
    {
      schema: {
        tags,
        summary:
          'Why VM `a` and VM `b` differ in wbinvd / coherency hazard (or, without `b`, why VM `a` is as it is, and its latent hazards), with remedies, counterfactuals and kernel profiles',
        params: LabParams,
        querystring: ExplainQuery,
        response: { 200: Type.Union([Explanation, VmExplanationSchema]), ...errorResponses },
      },
    },
    async (request) => {
      const { a, b } = request.query;
      const lab = request.params.lab;
      return b === undefined ? app.labs.call(lab, 'explain', a) : app.labs.call(lab, 'explain', a, b);
    },
  );

  app.get(
    '/labs/:lab/compare',
    {
      schema: {
        tags,
        summary:
          "The lab's inputs replayed under each policy (and each kernel profile of `kernels`): per VM wbinvd, HWPTs and table bytes",
        params: LabParams,
        querystring: CompareQuery,
        response: { 200: Comparison, ...errorResponses },
      },
    },
    async (request) => {
      const policies = request.query.policies?.split(',') as Policy[] | undefined;
      const kernels = parseKernels(request.query.kernels);
      return app.labs.call(
        request.params.lab,
        'compare',
        policies ? [...new Set(policies)] : undefined,
        kernels,
      );
    },
  );
}
