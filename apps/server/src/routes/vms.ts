// /labs/:lab/vms: create (boot with devices), list, destroy VMs; hot-plug, hot-unplug and replace.
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AttachBody,
  CreatedBy,
  DeviceState,
  errorResponses,
  LabParams,
  Name,
  ReplaceBody,
  StoredEvent as StoredEventSchema,
  VmBody,
  VmState,
} from '@ioasid-lab/api/schemas';
import type { StoredEvent } from '@ioasid-lab/db';
import type { FastifyInstance } from 'fastify';
import { applyOrThrow, withEvent } from '../ops.ts';
import type { RemoteLab } from '../store/remote.ts';

const tags = ['vms'];
const closed = { additionalProperties: false } as const;
const VmParams = Type.Object({ lab: Name, vm: Name }, closed);
const VmDeviceParams = Type.Object({ lab: Name, vm: Name, dev: Name }, closed);

/** The device as it is after `event`, with the event's seq and effects. */
async function deviceAfter(lab: RemoteLab, name: string, event: StoredEvent) {
  const device = (await lab.state()).devices.find((candidate) => candidate.name === name);
  return withEvent(device ?? { name }, event);
}

export default async function vmRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

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
      const event = await applyOrThrow(app.ops, lab, { op: 'vm.create', ...request.body });
      const vm = (await lab.state()).vms.find((candidate) => candidate.name === request.body.name);
      return reply.status(201).send(withEvent(vm ?? { name: request.body.name }, event));
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

  app.delete(
    '/labs/:lab/vms/:vm',
    {
      schema: {
        tags,
        summary: 'Destroy a VM with no devices attached (EBUSY otherwise)',
        params: VmParams,
        response: { 200: StoredEventSchema, ...errorResponses },
      },
    },
    async (request) =>
      applyOrThrow(app.ops, app.labs.getLab(request.params.lab), { op: 'vm.destroy', vm: request.params.vm }),
  );

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
      const lab = app.labs.getLab(request.params.lab);
      const event = await applyOrThrow(app.ops, lab, {
        op: 'vm.attach',
        vm: request.params.vm,
        ...request.body,
      });
      return deviceAfter(lab, request.body.device, event);
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
      const { lab: labName, vm, dev } = request.params;
      const lab = app.labs.getLab(labName);
      const event = await applyOrThrow(app.ops, lab, { op: 'vm.detach', vm, device: dev });
      return deviceAfter(lab, dev, event);
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
      const { lab: labName, vm, dev } = request.params;
      const lab = app.labs.getLab(labName);
      const event = await applyOrThrow(app.ops, lab, {
        op: 'device.replace',
        vm,
        device: dev,
        ...request.body,
      });
      return deviceAfter(lab, dev, event);
    },
  );
}
