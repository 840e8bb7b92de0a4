// /labs/:lab/hwpts: allocate and destroy hardware page tables, list them, read one's leaves.
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CreatedBy,
  errorResponses,
  HwptAllocBody,
  HwptParams,
  HwptState,
  LabParams,
  LeafPage,
  PagetableQuery,
  StoredEvent,
} from '@ioasid-lab/api/schemas';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { applyAndDescribe, applyOrThrow, createdHwpt } from '../ops.ts';
import type { TypedApp } from './typed-app.ts';

const tags = ['hwpts'];

export default async function hwptRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  hwptCollectionRoutes(app);
  oneHwptRoutes(app);
  pagetableRoute(app);
}

/** POST and GET /labs/:lab/hwpts: allocate a HWPT, and the lab's HWPTs. */
function hwptCollectionRoutes(app: TypedApp): void {
  app.post(
    '/labs/:lab/hwpts',
    {
      schema: {
        tags,
        summary: 'Allocate a HWPT for an IOAS on an IOMMU unit (the only way under `explicit`)',
        params: LabParams,
        body: HwptAllocBody,
        response: { 201: CreatedBy(HwptState), ...errorResponses },
      },
    },
    async (request, reply) => {
      const lab = app.labs.getLab(request.params.lab);
      const op = { op: 'hwpt.alloc', ...request.body } as const;
      return reply
        .status(201)
        .send(await applyAndDescribe(app.ops, lab, op, createdHwpt(), request.labClient));
    },
  );

  app.get(
    '/labs/:lab/hwpts',
    {
      schema: {
        tags,
        summary: "The lab's HWPTs with their page-table statistics",
        params: LabParams,
        response: { 200: Type.Object({ hwpts: Type.Array(HwptState) }), ...errorResponses },
      },
    },
    async (request) => ({ hwpts: (await app.labs.getLab(request.params.lab).state()).hwpts }),
  );
}

/** GET and DELETE /labs/:lab/hwpts/:id: one HWPT. */
function oneHwptRoutes(app: TypedApp): void {
  app.get(
    '/labs/:lab/hwpts/:id',
    {
      schema: {
        tags,
        summary: 'One HWPT',
        params: HwptParams,
        response: { 200: HwptState, ...errorResponses },
      },
    },
    async (request) => {
      const { lab, id } = request.params;
      const hwpt = (await app.labs.getLab(lab).state()).hwpts.find((candidate) => candidate.id === id);
      if (!hwpt) throw new ApiError('ENOENT', `no hwpt ${id} in lab ${lab}`);
      return hwpt;
    },
  );

  app.delete(
    '/labs/:lab/hwpts/:id',
    {
      schema: {
        tags,
        summary: 'Destroy a HWPT (EBUSY while devices use it)',
        params: HwptParams,
        response: { 200: StoredEvent, ...errorResponses },
      },
    },
    async (request) =>
      applyOrThrow(
        app.ops,
        app.labs.getLab(request.params.lab),
        {
          op: 'hwpt.destroy',
          hwpt: request.params.id,
        },
        request.labClient,
      ),
  );
}

/** GET /labs/:lab/hwpts/:id/pagetable: a HWPT's leaves, paged. */
function pagetableRoute(app: TypedApp): void {
  app.get(
    '/labs/:lab/hwpts/:id/pagetable',
    {
      schema: {
        tags,
        summary: 'Leaves of the page table in [iova, iova+length), at most `limit`, paged by `next`',
        params: HwptParams,
        querystring: PagetableQuery,
        response: { 200: LeafPage, ...errorResponses },
      },
    },
    async (request) => {
      const { iova, length, limit, at } = request.query;
      return app.labs.getLab(request.params.lab).pagetable(request.params.id, { iova, length, limit }, at);
    },
  );
}
