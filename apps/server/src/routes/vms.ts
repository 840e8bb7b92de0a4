// /labs/:lab/vms: create (boot with devices), list, destroy VMs; hot-plug, hot-unplug and replace.
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AttachBody,
  CreatedBy,
  DeviceState,
  errorResponses,
  LabParams,
  ReplaceBody,
  StoredEvent,
  VmBody,
  VmDeviceParams,
  VmParams,
  VmState,
} from '@ioasid-lab/api/schemas';
import type { Op } from '@ioasid-lab/core';
import type { FastifyInstance } from 'fastify';
import { applyAndDescribe, applyOrThrow, named } from '../ops.ts';
import type { TypedApp } from './typed-app.ts';

const tags = ['vms'];

export default async function vmRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  vmCollectionRoutes(app);
  destroyVmRoute(app);
  hotplugRoutes(app);
}

/** POST and GET /labs/:lab/vms: boot a VM with its devices, and the lab's VMs. */
function vmCollectionRoutes(app: TypedApp): void {
  app.post(
    '/labs/:lab/vms',
    {
      schema: {
        tags,
        summary: 'Create a VM: its IOAS, guest RAM mapped at IOVA 0, then attach `devices` in order',
        params: LabParams,
        body: VmBody,
        response: { 201: CreatedBy(VmState), ...errorResponses },
      },
    },
    async (request, reply) => {
      const lab = app.labs.getLab(request.params.lab);
      const op = { op: 'vm.create', ...request.body } as const;
      return reply
        .status(201)
        .send(await applyAndDescribe(app.ops, lab, op, named('vms', op.name), request.labClient));
    },
  );

  app.get(
    '/labs/:lab/vms',
    {
      schema: {
        tags,
        summary: "The lab's VMs",
        params: LabParams,
        response: { 200: Type.Object({ vms: Type.Array(VmState) }), ...errorResponses },
      },
    },
    async (request) => ({ vms: (await app.labs.getLab(request.params.lab).state()).vms }),
  );
}

/** DELETE /labs/:lab/vms/:vm: destroy an empty VM. */
function destroyVmRoute(app: TypedApp): void {
  app.delete(
    '/labs/:lab/vms/:vm',
    {
      schema: {
        tags,
        summary: 'Destroy a VM with no devices attached (EBUSY otherwise)',
        params: VmParams,
        response: { 200: StoredEvent, ...errorResponses },
      },
    },
    async (request) =>
      applyOrThrow(
        app.ops,
        app.labs.getLab(request.params.lab),
        { op: 'vm.destroy', vm: request.params.vm },
        request.labClient,
      ),
  );
}

/** Applies a hot-plug op on behalf of the request and answers its device as the state now holds it. */
function applyToDevice(
  app: TypedApp,
  request: { params: { lab: string }; labClient: string },
  op: Extract<Op, { device: string }>,
) {
  const lab = app.labs.getLab(request.params.lab);
  return applyAndDescribe(app.ops, lab, op, named('devices', op.device), request.labClient);
}

/** /labs/:lab/vms/:vm/devices: hot-plug, hot-unplug and replace a VM's device. */
function hotplugRoutes(app: TypedApp): void {
  app.post(
    '/labs/:lab/vms/:vm/devices',
    {
      schema: {
        tags,
        summary: "Hot-plug: announce to the VM's kvm-vfio, bind, attach per policy or to `hwpt`",
        params: VmParams,
        body: AttachBody,
        response: { 200: CreatedBy(DeviceState), ...errorResponses },
      },
    },
    async (request) => {
      return applyToDevice(app, request, { op: 'vm.attach', vm: request.params.vm, ...request.body });
    },
  );

  app.delete(
    '/labs/:lab/vms/:vm/devices/:dev',
    {
      schema: {
        tags,
        summary: 'Hot-unplug a device from the VM',
        params: VmDeviceParams,
        response: { 200: CreatedBy(DeviceState), ...errorResponses },
      },
    },
    async (request) => {
      const { vm, dev } = request.params;
      return applyToDevice(app, request, { op: 'vm.detach', vm, device: dev });
    },
  );

  app.post(
    '/labs/:lab/vms/:vm/devices/:dev/replace',
    {
      schema: {
        tags,
        summary: 'Atomically move the device onto another HWPT of the same IOAS ("new" allocates one)',
        params: VmDeviceParams,
        body: ReplaceBody,
        response: { 200: CreatedBy(DeviceState), ...errorResponses },
      },
    },
    async (request) => {
      const { vm, dev } = request.params;
      return applyToDevice(app, request, { op: 'device.replace', vm, device: dev, ...request.body });
    },
  );
}
