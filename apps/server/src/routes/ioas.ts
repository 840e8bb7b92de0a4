// /labs/:lab/ioas: list address spaces; map and unmap IOVA ranges (the hot path of the API).
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  errorResponses,
  IoasParams,
  IoasState,
  LabParams,
  MapBody,
  StoredEvent,
  UnmapBody,
} from '@ioasid-lab/api/schemas';
import type { FastifyInstance } from 'fastify';
import { applyOrThrow } from '../ops.ts';

const tags = ['ioas'];

export default async function ioasRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/labs/:lab/ioas',
    {
      schema: {
        tags,
        summary: "The lab's I/O address spaces and their areas",
        params: LabParams,
        response: { 200: Type.Object({ ioas: Type.Array(IoasState) }), ...errorResponses },
      },
    },
    async (request) => ({ ioas: (await app.labs.getLab(request.params.lab).state()).ioas }),
  );

  app.post(
    '/labs/:lab/ioas/:ioas/map',
    {
      schema: {
        tags,
        summary: 'Map [iova, iova+length) (read/write default true)',
        params: IoasParams,
        body: MapBody,
        response: { 200: StoredEvent, ...errorResponses },
      },
    },
    async (request) =>
      applyOrThrow(
        app.ops,
        app.labs.getLab(request.params.lab),
        {
          op: 'ioas.map',
          ioas: request.params.ioas,
          ...request.body,
        },
        request.labClient,
      ),
  );

  app.post(
    '/labs/:lab/ioas/:ioas/unmap',
    {
      schema: {
        tags,
        summary: 'Unmap whole areas in the range (iova 0, length 0xffffffffffffffff unmaps all)',
        params: IoasParams,
        body: UnmapBody,
        response: { 200: StoredEvent, ...errorResponses },
      },
    },
    async (request) =>
      applyOrThrow(
        app.ops,
        app.labs.getLab(request.params.lab),
        {
          op: 'ioas.unmap',
          ioas: request.params.ioas,
          ...request.body,
        },
        request.labClient,
      ),
  );
}
