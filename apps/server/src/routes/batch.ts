// POST /labs/:lab/batch: many ops in one request and one transaction, in order; `atomic` = all or none.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BatchBody, BatchResult, errorResponses, LabParams, MAX_BATCH_OPS } from '@ioasid-lab/api/schemas';
import type { StoredEvent } from '@ioasid-lab/db';
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
    async (request, reply) => {
      if (request.body.ops.length > MAX_BATCH_OPS) {
        throw new ApiError(
          'E2BIG',
          `batch of ${request.body.ops.length} ops exceeds the limit of ${MAX_BATCH_OPS}`,
        );
      }
      const atomic = request.body.atomic === true;
      // The events come as the store worker encoded them: sent on as they are, not parsed and re-encoded
      // (the same bytes JSON.stringify gives, which is what BatchResult's events serialize with).
      const batch = await app.ops.applyBatchText(
        app.labs.getLab(request.params.lab),
        request.body.ops,
        atomic,
        request.labClient,
      );
      if (atomic && batch.refused > 0) {
        const failure = (JSON.parse(batch.json) as StoredEvent[]).find((event) => !event.result.ok);
        if (failure && !failure.result.ok) {
          throw new ApiError(failure.result.code, `atomic batch not applied: ${failure.result.message}`, {
            seq: failure.seq,
          });
        }
      }
      const applied = batch.count - batch.refused;
      const body = `{"atomic":${atomic},"applied":${applied},"refused":${batch.refused},"events":${batch.json}}`;
      // A string with a JSON content type is sent as it is; the reply's type describes the parsed object.
      return reply.type('application/json; charset=utf-8').send(body as never);
    },
  );
}
