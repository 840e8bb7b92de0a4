// POST /labs/:lab/batch: many ops in one request and one transaction, in order; `atomic` = all or none.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BatchBody, BatchResult, errorResponses, LabParams, MAX_BATCH_OPS } from '@ioasid-lab/api/schemas';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';

export default async function batchRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/labs/:lab/batch',
    {
      schema: {
        tags: ['ioas'],
        summary: 'Apply many ops in order; with `atomic: true` a refusal applies none of them',
        description:
          'Without `atomic`, refused ops are recorded as refused events and the rest still apply. ' +
          'With `atomic`, the first refusal is answered as an error carrying the seq of its event, ' +
          'and no op of the batch changes the lab.',
        params: LabParams,
        body: BatchBody,
        response: { 200: BatchResult, ...errorResponses },
      },
    },
    async (request) => {
      if (request.body.ops.length > MAX_BATCH_OPS) {
        throw new ApiError(
          'E2BIG',
          `batch of ${request.body.ops.length} ops exceeds the limit of ${MAX_BATCH_OPS}`,
        );
      }
      const atomic = request.body.atomic === true;
      const events = await app.ops.applyBatch(
        app.labs.getLab(request.params.lab),
        request.body.ops,
        atomic,
        request.labClient,
      );
      const refused = events.filter((event) => !event.result.ok).length;
      const failure = events.find((event) => !event.result.ok);
      if (atomic && failure && !failure.result.ok) {
        throw new ApiError(failure.result.code, `atomic batch not applied: ${failure.result.message}`, {
          seq: failure.seq,
        });
      }
      return { atomic, applied: events.length - refused, refused, events };
    },
  );
}
