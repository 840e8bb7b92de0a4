// /labs/:lab/iommus: add an IOMMU unit (op iommu.add) and list the lab's units.
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CreatedBy, errorResponses, IommuBody, IommuState, LabParams } from '@ioasid-lab/api/schemas';
import type { FastifyInstance } from 'fastify';
import { applyAndDescribe, named } from '../ops.ts';

const tags = ['hardware'];

export default async function iommuRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/labs/:lab/iommus',
    {
      schema: {
        tags,
        summary: 'Add an IOMMU unit (defaults per vendor)',
        params: LabParams,
        body: IommuBody,
        response: { 201: CreatedBy(IommuState), ...errorResponses },
      },
    },
    async (request, reply) => {
      const lab = app.labs.getLab(request.params.lab);
      const op = { op: 'iommu.add', ...request.body } as const;
      return reply
        .status(201)
        .send(await applyAndDescribe(app.ops, lab, op, named('iommus', op.name), request.labClient));
    },
  );

  app.get(
    '/labs/:lab/iommus',
    {
      schema: {
        tags,
        summary: "The lab's IOMMU units",
        params: LabParams,
        response: { 200: Type.Object({ iommus: Type.Array(IommuState) }), ...errorResponses },
      },
    },
    async (request) => ({ iommus: (await app.labs.getLab(request.params.lab).state()).iommus }),
  );
}
