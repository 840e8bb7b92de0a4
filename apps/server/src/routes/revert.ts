// POST /labs/:lab/revert: the lab back to its state at an earlier seq (or its template's end: "reset the
// demo"), as new events appended to its history; see ../revert.ts.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, LabParams, RevertBody, RevertResult } from '@ioasid-lab/api/schemas';
import { templateOps } from '@ioasid-lab/db';
import type { FastifyInstance } from 'fastify';
import { revertLab } from '../revert.ts';

export default async function revertRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/labs/:lab/revert',
    {
      schema: {
        tags: ['history'],
        summary: 'Return the lab to its state at seq `to` (or `reset: true`: the end of its template)',
        description:
          'Appends ordinary events (unplug, destroy, then the inputs up to `to` again), so the history ' +
          'stays append-only. IOAS and HWPT ids are new ones.',
        params: LabParams,
        body: RevertBody,
        response: { 200: RevertResult, ...errorResponses },
      },
    },
    async (request) => {
      const lab = app.labs.getLab(request.params.lab);
      let to = request.body.to ?? 0;
      if (request.body.reset) to = templateOps((await lab.summary()).template).length;
      return revertLab(app.ops, lab, to, request.labClient);
    },
  );
}
