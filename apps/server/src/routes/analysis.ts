// /labs/:lab/explain and /labs/:lab/compare: why two VMs differ (or why one VM is as it is), and the lab
// under other policies and kernel profiles. Both are replays in scratch cores done by the history engine;
// this file only validates and shapes.
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CompareQuery,
  Comparison,
  ExplainQuery,
  Explanation,
  errorResponses,
  LabParams,
  VmExplanation,
} from '@ioasid-lab/api/schemas';
import { KERNELS, type Kernel, LabError, type Policy } from '@ioasid-lab/core';
import type { FastifyInstance } from 'fastify';

const tags = ['analysis'];

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
        response: { 200: Type.Union([Explanation, VmExplanation]), ...errorResponses },
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
