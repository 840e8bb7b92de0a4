// /labs/:lab/explain and /labs/:lab/compare: why two VMs differ, and the lab under other policies.
// Both are replays in scratch cores done by the history engine; this file only validates and shapes.
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, LabParams, Name } from '@ioasid-lab/api/schemas';
import type { Policy } from '@ioasid-lab/core';
import type { FastifyInstance } from 'fastify';

const tags = ['analysis'];
const POLICY_LIST = '^(type1|iommufd|shared|explicit)(,(type1|iommufd|shared|explicit)){0,3}$';

const ExplainQuery = Type.Object({ a: Name, b: Name }, { additionalProperties: false });
const CompareQuery = Type.Object(
  { policies: Type.Optional(Type.String({ pattern: POLICY_LIST, examples: ['type1,iommufd,shared'] })) },
  { additionalProperties: false },
);

const Outcome = Type.Object({ wbinvd: Type.Boolean(), coherencyHazard: Type.Boolean() });
const Explanation = Type.Object({
  seq: Type.Integer(),
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
});
const Comparison = Type.Object({
  seq: Type.Integer(),
  policies: Type.Array(
    Type.Object({
      policy: Type.String(),
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
          'Why VM `a` and VM `b` differ in wbinvd / coherency hazard, with remedies and counterfactuals',
        params: LabParams,
        querystring: ExplainQuery,
        response: { 200: Explanation, ...errorResponses },
      },
    },
    async (request) => app.labs.getLab(request.params.lab).explain(request.query.a, request.query.b),
  );

  app.get(
    '/labs/:lab/compare',
    {
      schema: {
        tags,
        summary: "The lab's inputs replayed under each policy: per VM wbinvd, HWPTs and table bytes",
        params: LabParams,
        querystring: CompareQuery,
        response: { 200: Comparison, ...errorResponses },
      },
    },
    async (request) => {
      const policies = request.query.policies?.split(',') as Policy[] | undefined;
      return app.labs.getLab(request.params.lab).compare(policies ? [...new Set(policies)] : undefined);
    },
  );
}
