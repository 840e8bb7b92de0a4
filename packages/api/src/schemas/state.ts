// Response shapes of a lab's state, events and stored-lab summaries (docs/api.md, "State, history").
// Objects stay open (extra fields allowed) so the core can add facts without breaking v1 clients.
import { type Static, Type } from 'typebox';
import { RESERVED_KINDS } from '../vocab.ts';
import { Hex, Kernel, Name, OneOf, Policy, Seq, Vendor } from './common.ts';
import { VM_STORED_FIELDS } from './vm-fields.generated.ts';

const ReservedOut = Type.Object({
  start: Hex,
  length: Hex,
  kind: OneOf(RESERVED_KINDS),
});

export const IommuState = Type.Object({
  name: Name,
  vendor: Vendor,
  enforceCacheCoherency: Type.Boolean(),
  pageSizes: Type.Array(Type.Integer()),
  iovaBits: Type.Integer(),
  reserved: Type.Array(ReservedOut),
});

export const DeviceState = Type.Object({
  name: Name,
  iommu: Name,
  group: Type.Integer(),
  kind: Type.String(),
  noSnoop: Type.Boolean(),
  requiresKvm: Type.String(),
  vm: Type.Union([Name, Type.Null()]),
  hwpt: Type.Union([Type.Integer(), Type.Null()]),
});

/** A VM: its name and IOAS, the facts the core stores for it (vm_fields.h, generated), and wbinvd. */
export const VmState = Type.Object({
  name: Name,
  ioas: Type.Integer(),
  ...VM_STORED_FIELDS,
  wbinvd: Type.Boolean({ description: 'KVM emulates WBINVD for the VM: noncoherentDma is 1' }),
});

export const AreaState = Type.Object({ iova: Hex, length: Hex, read: Type.Boolean(), write: Type.Boolean() });
const IovaRangeOut = Type.Object({ start: Hex, last: Hex });
export const IoasState = Type.Object({
  id: Type.Integer(),
  vm: Type.Union([Name, Type.Null()]),
  areas: Type.Array(AreaState),
  iovaRanges: Type.Optional(
    Type.Array(IovaRangeOut, {
      description:
        'IOMMU_IOAS_IOVA_RANGES: where a map may go (allowed ranges less reserved regions and apertures)',
    }),
  ),
  iovaAlignment: Type.Optional(
    Type.Integer({ description: "Smallest page of the IOAS's domains (1 with none)" }),
  ),
  allowedIovas: Type.Optional(
    Type.Array(IovaRangeOut, { description: 'Set by ioas.allow; empty means everything is allowed' }),
  ),
});

export const HwptState = Type.Object({
  id: Type.Integer(),
  ioas: Type.Integer(),
  iommu: Name,
  enforceCacheCoherency: Type.Boolean(),
  auto: Type.Boolean({ description: "true when the lab's policy made it, false when hwpt.alloc did" }),
  levels: Type.Integer(),
  devices: Type.Array(Name),
  stats: Type.Object({
    tablePages: Type.Integer(),
    bytes: Type.Integer(),
    leaves: Type.Integer(),
    snoopLeaves: Type.Integer(),
    leavesBySize: Type.Record(Type.String(), Type.Integer(), {
      description: 'Leaves by size in bytes ("4096", "2097152", "1073741824")',
    }),
    tablePagesByLevel: Type.Array(Type.Integer(), { description: 'Table pages per level (1 = leaf level)' }),
  }),
});

export const LabState = Type.Object({
  seq: Seq,
  policy: Policy,
  kernel: Kernel,
  iommus: Type.Array(IommuState),
  devices: Type.Array(DeviceState),
  vms: Type.Array(VmState),
  ioas: Type.Array(IoasState),
  hwpts: Type.Array(HwptState),
});
export type LabStateBody = Static<typeof LabState>;

export const Effect = Type.Object({ type: Type.String({ examples: ['hwpt.created'] }) });

export const EventResult = Type.Union([
  Type.Object({ ok: Type.Literal(true) }),
  Type.Object({
    ok: Type.Literal(false),
    errno: Type.Integer(),
    code: Type.String(),
    message: Type.String(),
  }),
]);

export const StoredEvent = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  at: Type.String({ description: 'ISO 8601' }),
  op: Type.String({ examples: ['ioas.map'] }),
  input: Type.Object({}, { description: "The op's fields as given" }),
  result: EventResult,
  effects: Type.Array(Effect),
  client: Type.Optional(
    Type.String({
      description: 'Who made the change: the X-Lab-Client header of its request ("web" for the dashboard)',
    }),
  ),
});

export const EventList = Type.Object({ events: Type.Array(StoredEvent) });

export const LabSummary = Type.Object({
  name: Name,
  policy: Policy,
  kernel: Kernel,
  template: Type.Optional(Type.String()),
  events: Type.Integer(),
  createdAt: Type.String(),
});
