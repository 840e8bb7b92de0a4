// /labs/:lab/devices: add a device behind an IOMMU unit, list devices, remove an unattached one.
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CreatedBy,
  DeviceBody,
  DeviceParams,
  DeviceState,
  errorResponses,
  LabParams,
  StoredEvent,
} from '@ioasid-lab/api/schemas';
import type { FastifyInstance } from 'fastify';
import { applyAndDescribe, applyOrThrow, named } from '../ops.ts';

const tags = ['hardware'];

export default async function deviceRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/labs/:lab/devices',
    {
      schema: {
        tags,
        summary: 'Add a device (PCI function or mdev) behind an IOMMU unit',
        params: LabParams,
        body: DeviceBody,
        response: { 201: CreatedBy(DeviceState), ...errorResponses },
      },
    },
    async (request, reply) => {
      const lab = app.labs.getLab(request.params.lab);
      const op = { op: 'device.add', ...request.body } as const;
      return reply
        .status(201)
        .send(await applyAndDescribe(app.ops, lab, op, named('devices', op.name), request.labClient));
    },
  );

  app.get(
    '/labs/:lab/devices',
    {
      schema: {
        tags,
        summary: "The lab's devices",
        params: LabParams,
        response: { 200: Type.Object({ devices: Type.Array(DeviceState) }), ...errorResponses },
      },
    },
    async (request) => ({ devices: (await app.labs.getLab(request.params.lab).state()).devices }),
  );

  app.delete(
    '/labs/:lab/devices/:dev',
    {
      schema: {
        tags,
        summary: 'Remove an unattached device (EBUSY if attached)',
        params: DeviceParams,
        response: { 200: StoredEvent, ...errorResponses },
      },
    },
    async (request) =>
      applyOrThrow(
        app.ops,
        app.labs.getLab(request.params.lab),
        {
          op: 'device.remove',
          name: request.params.dev,
        },
        request.labClient,
      ),
  );
}
