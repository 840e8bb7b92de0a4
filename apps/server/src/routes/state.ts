// /labs/:lab/state and /labs/:lab/events: the lab at any seq, and its history page by page.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  EventList,
  EventsQuery,
  errorResponses,
  LabParams,
  LabState,
  StateQuery,
} from '@ioasid-lab/api/schemas';
import type { FastifyInstance } from 'fastify';

const tags = ['history'];

export default async function stateRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/labs/:lab/state',
    {
      schema: {
        tags,
        summary: 'The whole lab at event `at` (default: now)',
        params: LabParams,
        querystring: StateQuery,
        response: { 200: LabState, ...errorResponses },
      },
    },
    async (request) => app.labs.getLab(request.params.lab).state(request.query.at),
  );

  app.get(
    '/labs/:lab/events',
    {
      schema: {
        tags,
        summary: 'Events with seq > `after`, at most `limit`, in seq order',
        params: LabParams,
        querystring: EventsQuery,
        response: { 200: EventList, ...errorResponses },
      },
    },
    async (request) => {
      const { after, limit } = request.query;
      return { events: await app.labs.getLab(request.params.lab).events(after ?? 0, limit) };
    },
  );
}
