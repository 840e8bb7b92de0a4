// Model my host: a sysfs snapshot becomes a lab (POST /labs/import-host) and a libvirt domain or a QEMU
// command line becomes a VM of it (POST /labs/:lab/vms/import). Both go through the lab's ordinary ops
// (iommu.add, device.add, vm.create) so history, replay, explain and forks treat them like any other input.
// docs/host-import.md says what is read and how each capability is decoded.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Static, Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, LabParams, LabSummary, Name, OneOf, Policy, VmState } from '@ioasid-lab/api/schemas';
import { KERNELS, type Policy as PolicyName } from '@ioasid-lab/api/vocab';
import {
  HostImportError,
  type HostOp,
  type HostPlan,
  parseLibvirtDomain,
  parseQemuCommandLine,
  planHostImport,
  type VmSpec,
  vmCreateOp,
} from '@ioasid-lab/host';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { applyOrThrow, withEvent } from '../ops.ts';

const tags = ['import'];
const closed = { additionalProperties: false } as const;
const EXPORT_FORMAT = 'ioasid-lab/v1';
/** libvirt and QEMU by default assign through the VFIO container; a lab that does not say otherwise runs type1. */
const DEFAULT_POLICY: PolicyName = 'type1';

const Kernel = OneOf(KERNELS, {
  description: 'Kernel profile; default: the nearest not newer than the snapshot',
});

const VmSourceBody = Type.Object(
  {
    libvirt: Type.Optional(
      Type.String({ maxLength: 262_144, description: 'A libvirt <domain> XML document' }),
    ),
    qemu: Type.Optional(Type.String({ maxLength: 262_144, description: 'A QEMU command line' })),
    name: Type.Optional(Name),
  },
  closed,
);

const ImportHostBody = Type.Object(
  {
    name: Name,
    policy: Type.Optional(Policy),
    kernel: Type.Optional(Kernel),
    snapshot: Type.Unknown({
      description: 'The JSON the snapshot command prints (ioasid-lab/host-snapshot/v1)',
    }),
    vms: Type.Optional(
      Type.Array(VmSourceBody, {
        maxItems: 64,
        description: 'VMs to boot on the imported host, in this order',
      }),
    ),
    dryRun: Type.Optional(Type.Boolean({ description: 'Answer the plan (200) without creating the lab' })),
  },
  closed,
);

const HostPlanSchema = Type.Object({
  policy: Policy,
  kernel: Type.String(),
  kernelProfile: Type.Object({
    profile: Type.String(),
    from: Type.Union([Type.String(), Type.Null()]),
    rule: Type.String(),
  }),
  units: Type.Array(
    Type.Object({ name: Type.String(), vendor: Type.String(), decoded: Type.Array(Type.Unknown()) }),
  ),
  groups: Type.Array(Type.Object({ id: Type.Integer(), devices: Type.Array(Type.String()) })),
  devices: Type.Array(Type.Object({ name: Type.String(), bdf: Type.String(), group: Type.Integer() })),
  skipped: Type.Array(Type.Object({ bdf: Type.String(), reason: Type.String() })),
  ignored: Type.Array(Type.Object({ unit: Type.String(), reason: Type.String() })),
  notes: Type.Array(Type.String()),
  vms: Type.Array(
    Type.Object({ name: Type.String(), devices: Type.Array(Type.String()), memory: Type.String() }),
  ),
  ops: Type.Integer({ description: 'How many ops the import records' }),
});

const ImportVmBody = Type.Object(
  {
    libvirt: Type.Optional(
      Type.String({ maxLength: 262_144, description: 'A libvirt <domain> XML document' }),
    ),
    qemu: Type.Optional(Type.String({ maxLength: 262_144, description: 'A QEMU command line' })),
    name: Type.Optional(Name),
    dryRun: Type.Optional(Type.Boolean({ description: 'Answer the op (200) without applying it' })),
  },
  closed,
);

const VmSource = Type.Object({
  format: Type.Union([Type.Literal('libvirt'), Type.Literal('qemu')]),
  backend: Type.String(),
  memory: Type.String(),
  hostdevs: Type.Array(Type.Object({ bdf: Type.String(), device: Type.String(), element: Type.String() })),
  notes: Type.Array(Type.String()),
});

function apiError(error: unknown): never {
  if (error instanceof HostImportError) throw new ApiError(error.code, error.message);
  throw error;
}

function planBody(plan: HostPlan, policy: PolicyName) {
  return {
    policy,
    kernel: plan.kernelProfile.profile,
    kernelProfile: plan.kernelProfile,
    units: plan.units,
    groups: plan.groups,
    devices: plan.devices,
    skipped: plan.skipped,
    ignored: plan.ignored,
    notes: plan.notes,
    ops: plan.ops.length,
  };
}

function sourceBody(spec: VmSpec, policy: string) {
  const notes = [...spec.notes];
  if (spec.backend === 'iommufd' && policy !== 'iommufd') {
    notes.push(
      `the VM uses the iommufd backend; this lab runs ${policy}: fork it under iommufd to see that backend`,
    );
  }
  if (spec.backend === 'vfio' && policy === 'iommufd') {
    notes.push(
      'the VM uses the VFIO container (type1); this lab runs iommufd: fork it under type1 to see that backend',
    );
  }
  return {
    format: spec.source,
    backend: spec.backend,
    memory: spec.memory,
    hostdevs: spec.hostdevs.map((h) => ({ ...h, device: h.bdf.replace(/:/g, '-') })),
    notes,
  };
}

interface VmInput {
  libvirt?: string;
  qemu?: string;
  name?: string;
}

/** One VM source into its spec and vm.create op against `devices`; errors name `where` first. */
function importVm(input: VmInput, devices: string[], policy: string, where = '') {
  const prefix = where ? `${where}: ` : '';
  const { libvirt, qemu, name } = input;
  if ((libvirt === undefined) === (qemu === undefined)) {
    throw new ApiError(
      'EINVAL',
      `${prefix}give exactly one of "libvirt" (domain XML) and "qemu" (a command line)`,
    );
  }
  try {
    const spec = libvirt !== undefined ? parseLibvirtDomain(libvirt) : parseQemuCommandLine(qemu as string);
    return { op: vmCreateOp(spec, devices, name), source: sourceBody(spec, policy) };
  } catch (error) {
    if (error instanceof HostImportError) throw new ApiError(error.code, `${prefix}${error.message}`);
    throw error;
  }
}

/** The plan of a host import and of its VMs: the ops it records and the reply's body, lab summary aside. */
function planImport(request: Static<typeof ImportHostBody>) {
  const { policy = DEFAULT_POLICY, kernel, snapshot, vms = [] } = request;
  let plan: HostPlan;
  try {
    plan = planHostImport(snapshot, { kernel });
  } catch (error) {
    apiError(error);
  }
  const deviceNames = plan.devices.map((device) => device.name);
  const imported = vms.map((vm, i) => importVm(vm, deviceNames, policy, `vms[${i}]`));
  const vmNames = new Set<string>();
  imported.forEach(({ op }, i) => {
    if (vmNames.has(op.name)) throw new ApiError('EINVAL', `vms[${i}]: a second VM named ${op.name}`);
    vmNames.add(op.name);
  });
  const ops: HostOp[] = [...plan.ops, ...imported.map(({ op }) => op)];
  const body = {
    ...planBody(plan, policy),
    vms: imported.map(({ op, source }) => ({
      name: op.name,
      devices: op.devices,
      memory: op.memory,
      source,
    })),
    ops: ops.length,
  };
  return { plan, ops, body };
}

/** The lab `name` recorded from a planned import's ops; its summary. */
async function createImportedLab(
  app: FastifyInstance,
  name: string,
  policy: PolicyName,
  plan: HostPlan,
  ops: HostOp[],
) {
  const exported = {
    format: EXPORT_FORMAT,
    name,
    policy,
    kernel: plan.kernelProfile.profile,
    ops,
  } as unknown as Parameters<FastifyInstance['labs']['importLab']>[2];
  const summary = await app.labs.importLab(name, policy, exported);
  // Every op of a host import must hold; one that the core refused means the lab is not the host.
  const events = await app.labs.getLab(name).events(0, ops.length);
  const refused = events.find((event) => !event.result.ok);
  if (refused && !refused.result.ok) {
    await app.labs.deleteLab(name);
    app.streams.closeLab(name);
    const vm = refused.op === 'vm.create' ? ` (vms[${refused.seq - plan.ops.length - 1}])` : '';
    throw new ApiError(
      refused.result.code,
      `the host could not be modelled: ${refused.op}${vm} refused: ${refused.result.message}`,
    );
  }
  return summary;
}

/**
 * One VM source into the op against `labName`'s devices and policy; applied unless dryRun, with the event
 * and the VM it created (no event for a dry run). `by` is the request's X-Lab-Client label.
 */
async function importVmIntoLab(
  app: FastifyInstance,
  labName: string,
  body: Static<typeof ImportVmBody>,
  by: string,
) {
  const lab = app.labs.getLab(labName);
  const state = await lab.state();
  const { op, source } = importVm(
    body,
    state.devices.map((device) => device.name),
    state.policy,
  );
  if (body.dryRun) return { op, source, event: null, vm: null };
  const event = await applyOrThrow(app.ops, lab, op, by);
  const vm = (await lab.state()).vms.find((candidate) => candidate.name === op.name);
  if (!vm) throw new ApiError('ENOENT', `vm ${op.name} is gone after its own vm.create`, { seq: event.seq });
  return { op, source, event, vm };
}

/** The snapshot script itself, served so that a host without a checkout can fetch it with curl. */
const SNAPSHOT_SCRIPT = readFileSync(
  fileURLToPath(import.meta.resolve('@ioasid-lab/host/snapshot.mjs')),
  'utf8',
);

export default async function importHostRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/host/snapshot.mjs',
    {
      schema: {
        tags,
        summary:
          'The snapshot script (Node 20+, no dependencies): `node snapshot.mjs > host.json` on the host',
        response: { 200: Type.String(), ...errorResponses },
      },
    },
    async (_request, reply) =>
      reply
        .type('text/javascript; charset=utf-8')
        .header('content-disposition', 'attachment; filename="snapshot.mjs"')
        .send(SNAPSHOT_SCRIPT),
  );

  app.post(
    '/labs/import-host',
    {
      schema: {
        tags,
        summary:
          "A new lab from a host's sysfs snapshot: its IOMMU units, groups, reserved regions and PCI functions",
        body: ImportHostBody,
        response: {
          200: HostPlanSchema,
          201: Type.Intersect([LabSummary, HostPlanSchema]),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { name, policy = DEFAULT_POLICY, dryRun } = request.body;
      const { plan, ops, body } = planImport(request.body);
      if (dryRun) return reply.status(200).send(body);
      const summary = await createImportedLab(app, name, policy, plan, ops);
      return reply.status(201).send({ ...summary, ...body });
    },
  );

  app.post(
    '/labs/:lab/vms/import',
    {
      schema: {
        tags,
        summary:
          'A VM from a libvirt domain XML or a QEMU command line, booted with its assigned functions in order',
        params: LabParams,
        body: ImportVmBody,
        response: {
          200: Type.Object({ op: Type.Unknown(), source: VmSource }),
          201: Type.Intersect([VmState, Type.Object({ source: VmSource })]),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { op, source, event, vm } = await importVmIntoLab(
        app,
        request.params.lab,
        request.body,
        request.labClient,
      );
      if (!event) return reply.status(200).send({ op, source });
      return reply.status(201).send({ ...withEvent(vm, event), source });
    },
  );
}
