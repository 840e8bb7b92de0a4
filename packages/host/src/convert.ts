// A host snapshot (bin/snapshot.mjs's JSON) into the lab's ordinary ops: one iommu.add per hardware unit,
// one device.add per PCI function in an IOMMU group (named by its BDF, in its sysfs group), so history,
// replay and explain treat an imported host like any other lab. Everything the import could not model is
// listed with the reason; nothing is dropped silently.
import {
  type DecodedField,
  type DecodedUnit,
  DecodeError,
  decodeAmd,
  decodeSmmuV3,
  decodeVtd,
  type KernelProfile,
  type KernelProfileChoice,
  kernelProfileFor,
  REGION_TYPES,
  type RegionType,
} from './decode.ts';
import {
  BDF_PATTERN,
  type DeviceAddOp,
  deviceNameForBdf,
  HostImportError,
  type HostOp,
  type IommuAddOp,
  NAME_PATTERN,
  type ReservedKind,
  type ReservedRegion,
  type Vendor,
} from './types.ts';

export const SNAPSHOT_FORMAT = 'ioasid-lab/host-snapshot/v1';
/** The core's limit on reserved regions per unit (IOASID_MAX_RESERVED). */
export const MAX_RESERVED_PER_UNIT = 8;
export const NO_IOMMU_REASON = 'no IOMMU: bypasses translation, cannot be assigned';
export const DIRECT_REASON =
  'its group has a firmware-required 1:1 region (direct: an RMRR or IVMD); the kernel refuses to hand such a group to VFIO or iommufd (require_direct in __iommu_device_set_domain)';

export interface SnapshotRegion {
  start: string;
  end: string;
  type: string;
}

export interface GroupReport {
  id: number;
  type: string | null;
  unit: string | null;
  devices: string[];
  reservedRegions: (SnapshotRegion & { applied: boolean; why?: string })[];
}

export interface UnitReport {
  name: string;
  vendor: Vendor;
  enforceCacheCoherency: boolean;
  cacheCoherency: boolean | null;
  pageSizes: number[];
  iovaBits: number;
  kernelIovaBits: number;
  reserved: ReservedRegion[];
  registers: Record<string, unknown>;
  decoded: DecodedField[];
  groups: number[];
  notes: string[];
}

export interface HostPlan {
  kernel: string | null;
  kernelProfile: KernelProfileChoice;
  ops: HostOp[];
  units: UnitReport[];
  groups: GroupReport[];
  /** Lab device names, in op order. */
  devices: {
    name: string;
    bdf: string;
    unit: string;
    group: number;
    vendorId: string | null;
    deviceId: string | null;
    class: string | null;
    driver: string | null;
  }[];
  skipped: { bdf: string; reason: string }[];
  ignored: { unit: string; reason: string }[];
  notes: string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(field: string, message: string, code: 'EINVAL' | 'ENOENT' = 'EINVAL'): never {
  throw new HostImportError(code, field, message);
}

function arrayField(object: Json, key: string, field: string): unknown[] {
  const value = object[key];
  if (value === undefined) fail(field, `${field} is missing`);
  if (!Array.isArray(value)) fail(field, `${field} must be an array`);
  return value;
}

function stringOrNull(value: unknown, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') fail(field, `${field} must be a string or null`);
  return value;
}

const HEX64 = /^0x[0-9a-fA-F]{1,16}$/;

function parseRegion(value: unknown, field: string): SnapshotRegion & { first: bigint; last: bigint } {
  if (!isObject(value)) fail(field, `${field} must be { start, end, type }`);
  const { start, end, type } = value;
  if (typeof start !== 'string' || !HEX64.test(start))
    fail(`${field}.start`, `${field}.start must be 0x-hex`);
  if (typeof end !== 'string' || !HEX64.test(end)) fail(`${field}.end`, `${field}.end must be 0x-hex`);
  if (typeof type !== 'string' || !REGION_TYPES.includes(type as RegionType)) {
    fail(
      `${field}.type`,
      `${field}.type must be one of ${REGION_TYPES.join(', ')}, got ${JSON.stringify(type)}`,
    );
  }
  const first = BigInt(start);
  const last = BigInt(end);
  if (last < first) fail(field, `${field} ends (${end}) before it starts (${start})`);
  return { start, end, type, first, last };
}

function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/** How the lab reserves a sysfs region type; null for direct-relaxable, which VFIO and iommufd skip. */
function labKind(type: string): ReservedKind | null {
  switch (type) {
    case 'msi':
      return 'msi';
    case 'reserved':
      return 'reserved';
    case 'direct':
      return 'direct';
    default:
      return null;
  }
}

function decodeUnit(unit: Json, field: string, name: string): DecodedUnit {
  const registers = isObject(unit.registers)
    ? unit.registers
    : fail(`${field}.registers`, `${field}.registers must be an object`);
  try {
    switch (unit.vendor) {
      case 'intel-vtd':
        return decodeVtd(registers.cap, registers.ecap, name);
      case 'amd-vi':
        return decodeAmd(registers.cap, registers.features, name);
      case 'arm-smmuv3':
        return decodeSmmuV3(registers.dmaCoherent, name);
      default:
        fail(`${field}.vendor`, `${field}.vendor ${JSON.stringify(unit.vendor)} is not one the lab models`);
    }
  } catch (error) {
    if (error instanceof DecodeError) {
      throw new HostImportError(
        'EINVAL',
        error.field.replace(`${name}.`, `${field}.`),
        error.message.replaceAll(`${name}.`, `${field}.`),
      );
    }
    throw error;
  }
}

export interface PlanOptions {
  kernel?: KernelProfile;
}

/** A unit's reserved regions, keyed by first-last-kind so that a region several groups report counts once. */
type RegionSet = Map<string, { first: bigint; last: bigint; kind: ReservedKind }>;

/** The snapshot once read: what the device pass needs to place each PCI function. */
interface ReadSnapshot {
  units: Map<string, UnitReport>;
  functions: Map<string, Json>;
  /** Each function's index in snapshot.pciFunctions, to name its fields in errors. */
  functionIndex: Map<string, number>;
  groups: GroupReport[];
  groupOf: Map<string, number>;
  /** Groups with a firmware-required 1:1 region: none of their functions can be assigned. */
  directGroups: Set<number>;
}

const NO_SNOOP_NOTE =
  'every function is modelled as able to issue no-snoop DMA: the Enable No Snoop bit lives in the PCIe capability, past the config bytes an unprivileged reader sees, and an assigned device is driven by the guest';

/**
 * The ops and the report of a host import. Throws HostImportError (EINVAL naming the field for a snapshot
 * that does not parse, ENOENT when it holds no unit the lab can model).
 */
export function planHostImport(snapshot: unknown, options: PlanOptions = {}): HostPlan {
  assertSnapshot(snapshot);
  const kernel = stringOrNull(snapshot.kernel, 'snapshot.kernel');
  const rawUnits = arrayField(snapshot, 'iommus', 'snapshot.iommus');
  const rawGroups = arrayField(snapshot, 'groups', 'snapshot.groups');
  const rawFunctions = arrayField(snapshot, 'pciFunctions', 'snapshot.pciFunctions');
  const ignored = readIgnored(snapshot.ignored);
  const { units, unitDevices } = readUnits(rawUnits, ignored);
  if (units.size === 0) failWithoutUnits(snapshot, rawUnits.length);
  const { functions, functionIndex } = readFunctions(rawFunctions);
  const { groups, groupOf, unitRegions, directGroups } = readGroups(rawGroups, functions, unitDevices, units);
  for (const unit of units.values()) {
    reserveUnitRegions(unit, unitRegions.get(unit.name), groups, directGroups);
  }
  const { devices, skipped } = planDevices({
    units,
    functions,
    functionIndex,
    groups,
    groupOf,
    directGroups,
  });
  const ops = hostOps(units, devices);
  for (const unit of units.values()) unit.groups.sort((a, b) => a - b);

  return {
    kernel,
    kernelProfile: kernelProfileFor(kernel, options.kernel),
    ops,
    units: [...units.values()],
    groups,
    devices,
    skipped,
    ignored,
    notes: [
      ...(devices.length > 0 ? [NO_SNOOP_NOTE] : []),
      ...(Array.isArray(snapshot.notes)
        ? snapshot.notes.filter((n): n is string => typeof n === 'string')
        : []),
    ],
  };
}

function assertSnapshot(snapshot: unknown): asserts snapshot is Json {
  if (!isObject(snapshot))
    fail('snapshot', 'snapshot must be a JSON object (the output of the snapshot command)');
  if (snapshot.format !== undefined && snapshot.format !== SNAPSHOT_FORMAT) {
    fail(
      'snapshot.format',
      `snapshot.format must be ${SNAPSHOT_FORMAT}, got ${JSON.stringify(snapshot.format)}`,
    );
  }
}

/** The units the snapshot script itself could not read, with its reasons. */
function readIgnored(value: unknown): HostPlan['ignored'] {
  const ignored: HostPlan['ignored'] = [];
  if (value === undefined) return ignored;
  if (!Array.isArray(value)) fail('snapshot.ignored', 'snapshot.ignored must be an array');
  value.forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.unit !== 'string' || typeof entry.reason !== 'string') {
      fail(`snapshot.ignored[${i}]`, `snapshot.ignored[${i}] must be { unit, reason }`);
    }
    ignored.push({ unit: entry.unit, reason: entry.reason });
  });
  return ignored;
}

/**
 * Units: decoded when the lab models their vendor, otherwise added to `ignored` with the reason. Every
 * unit's device list is kept, modelled or not, to place groups whose functions have no iommu link.
 */
function readUnits(rawUnits: unknown[], ignored: HostPlan['ignored']) {
  const units = new Map<string, UnitReport>();
  const unitDevices = new Map<string, string[]>();
  rawUnits.forEach((raw, i) => {
    const field = `snapshot.iommus[${i}]`;
    if (!isObject(raw)) fail(field, `${field} must be an object`);
    const name = raw.name;
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      fail(`${field}.name`, `${field}.name must be a unit name like dmar0 ([A-Za-z0-9][A-Za-z0-9_.-]{0,63})`);
    }
    if (units.has(name) || ignored.some((entry) => entry.unit === name))
      fail(`${field}.name`, `unit ${name} appears twice`);
    if (raw.devices !== undefined && !Array.isArray(raw.devices))
      fail(`${field}.devices`, `${field}.devices must be an array`);
    unitDevices.set(
      name,
      (raw.devices as unknown[] | undefined)?.filter((d): d is string => typeof d === 'string') ?? [],
    );
    if (raw.vendor === null || raw.vendor === undefined) {
      const driver = typeof raw.driver === 'string' ? ` (driver ${raw.driver})` : '';
      ignored.push({
        unit: name,
        reason: `vendor not modelled${driver}: the lab models Intel VT-d, AMD-Vi and Arm SMMUv3`,
      });
      return;
    }
    units.set(name, unitReport(raw, field, name));
  });
  return { units, unitDevices };
}

/** A modelled unit's report, from its decoded registers; its groups and regions are filled in later. */
function unitReport(raw: Json, field: string, name: string): UnitReport {
  const decoded = decodeUnit(raw, field, name);
  return {
    name,
    vendor: decoded.vendor,
    enforceCacheCoherency: decoded.enforceCacheCoherency,
    cacheCoherency: decoded.cacheCoherency,
    pageSizes: decoded.pageSizes,
    iovaBits: decoded.iovaBits,
    kernelIovaBits: decoded.kernelIovaBits,
    reserved: [],
    registers: raw.registers as Record<string, unknown>,
    decoded: decoded.fields,
    groups: [],
    notes: decoded.notes,
  };
}

/** No unit the lab can model: ENOENT, saying when the kernel command line turned the IOMMU off. */
function failWithoutUnits(snapshot: Json, rawUnitCount: number): never {
  const off =
    typeof snapshot.cmdline === 'string' ? /\b(intel_iommu|amd_iommu)=off\b/.exec(snapshot.cmdline) : null;
  fail(
    'snapshot.iommus',
    rawUnitCount === 0
      ? `snapshot.iommus is empty: the host shows no IOMMU unit (${off ? `its kernel command line has ${off[0]}` : 'is the IOMMU enabled in firmware and on the kernel command line?'})`
      : 'snapshot.iommus holds no unit the lab can model (see ignored units)',
    'ENOENT',
  );
}

/** PCI functions by BDF, with each one's index in snapshot.pciFunctions. */
function readFunctions(rawFunctions: unknown[]) {
  const functions = new Map<string, Json>();
  const functionIndex = new Map<string, number>();
  rawFunctions.forEach((raw, i) => {
    const field = `snapshot.pciFunctions[${i}]`;
    if (!isObject(raw)) fail(field, `${field} must be an object`);
    if (typeof raw.bdf !== 'string' || !BDF_PATTERN.test(raw.bdf)) {
      fail(`${field}.bdf`, `${field}.bdf must be a BDF like 0000:00:02.0, got ${JSON.stringify(raw.bdf)}`);
    }
    if (
      raw.group !== null &&
      raw.group !== undefined &&
      !(Number.isInteger(raw.group) && (raw.group as number) >= 0)
    ) {
      fail(`${field}.group`, `${field}.group must be a group number or null`);
    }
    stringOrNull(raw.iommu, `${field}.iommu`);
    if (functions.has(raw.bdf)) fail(`${field}.bdf`, `${raw.bdf} appears twice`);
    functions.set(raw.bdf, raw);
    functionIndex.set(raw.bdf, i);
  });
  return { functions, functionIndex };
}

/**
 * Groups: each group's unit (from its functions' iommu links, else the unit's device list), its
 * regions; a unit reserves the union of its groups' regions the lab can model.
 */
function readGroups(
  rawGroups: unknown[],
  functions: Map<string, Json>,
  unitDevices: Map<string, string[]>,
  units: Map<string, UnitReport>,
) {
  const groups: GroupReport[] = [];
  const groupOf = new Map<string, number>();
  const unitRegions = new Map<string, RegionSet>();
  const seenGroups = new Set<number>();
  const directGroups = new Set<number>();
  rawGroups.forEach((raw, i) => {
    const field = `snapshot.groups[${i}]`;
    if (!isObject(raw)) fail(field, `${field} must be an object`);
    const id = groupId(raw, field, seenGroups);
    const members = arrayField(raw, 'devices', `${field}.devices`).map((d, j) =>
      typeof d === 'string' ? d : fail(`${field}.devices[${j}]`, `${field}.devices[${j}] must be a string`),
    );
    const regionsRaw =
      raw.reservedRegions === null ? [] : arrayField(raw, 'reservedRegions', `${field}.reservedRegions`);
    const regions = regionsRaw.map((r, j) => parseRegion(r, `${field}.reservedRegions[${j}]`));
    for (const bdf of members) groupOf.set(bdf, id);
    const unit = groupUnit(members, id, field, functions, unitDevices);
    const report = units.get(unit ?? '');
    // A direct (1:1, firmware-required) region makes the whole group unusable for VFIO and iommufd: claiming
    // it attaches the blocking domain, which __iommu_device_set_domain refuses for a require_direct device.
    const requiresDirect = regions.some((region) => region.type === 'direct');
    const regionReports = regions.map((region) => regionReport(region, requiresDirect, report !== undefined));
    if (requiresDirect) directGroups.add(id);
    if (report) {
      report.groups.push(id);
      const regionsOfUnit = unitRegions.get(report.name) ?? new Map();
      unitRegions.set(report.name, regionsOfUnit);
      if (!requiresDirect) addModelledRegions(regionsOfUnit, regions);
    }
    groups.push({
      id,
      type: stringOrNull(raw.type, `${field}.type`),
      unit,
      devices: members,
      reservedRegions: regionReports,
    });
  });
  return { groups, groupOf, unitRegions, directGroups };
}

function groupId(raw: Json, field: string, seenGroups: Set<number>): number {
  const id = raw.id;
  if (!Number.isInteger(id) || (id as number) < 0 || (id as number) > 0xfffffffe) {
    fail(`${field}.id`, `${field}.id must be a group number`);
  }
  if (seenGroups.has(id as number)) fail(`${field}.id`, `group ${id} appears twice`);
  seenGroups.add(id as number);
  return id as number;
}

/** The one unit a group's members sit behind (by iommu link, else a unit's device list), or null. */
function groupUnit(
  members: string[],
  id: number,
  field: string,
  functions: Map<string, Json>,
  unitDevices: Map<string, string[]>,
): string | null {
  const unitNames = new Set<string>();
  for (const bdf of members) {
    const fn = functions.get(bdf);
    const link = fn && typeof fn.iommu === 'string' ? fn.iommu : null;
    const listed = [...unitDevices].find(([, list]) => list.includes(bdf))?.[0] ?? null;
    const unit = link ?? listed;
    if (unit) unitNames.add(unit);
  }
  if (unitNames.size > 1) {
    fail(`${field}`, `group ${id} spans units ${[...unitNames].join(', ')}: a group never spans two units`);
  }
  return unitNames.size === 1 ? ([...unitNames][0] as string) : null;
}

/** How one of a group's regions is reported: applied to its unit, or not and why. */
function regionReport(
  { first: _first, last: _last, ...region }: ReturnType<typeof parseRegion>,
  requiresDirect: boolean,
  unitModelled: boolean,
): GroupReport['reservedRegions'][number] {
  const kind = labKind(region.type);
  if (kind === null) {
    return {
      ...region,
      applied: false,
      why: 'direct-relaxable: VFIO and iommufd leave it out of a user domain (iopt_table_enforce_dev_resv_regions)',
    };
  }
  if (requiresDirect) {
    return { ...region, applied: false, why: DIRECT_REASON };
  }
  return { ...region, applied: unitModelled };
}

function addModelledRegions(regionsOfUnit: RegionSet, regions: ReturnType<typeof parseRegion>[]): void {
  for (const region of regions) {
    const kind = labKind(region.type);
    if (kind === null) continue;
    regionsOfUnit.set(`${region.first}-${region.last}-${kind}`, {
      first: region.first,
      last: region.last,
      kind,
    });
  }
}

/** The unit's reserved regions in address order, within the core's limit, and a note when its groups differ. */
function reserveUnitRegions(
  unit: UnitReport,
  regionSet: RegionSet | undefined,
  groups: GroupReport[],
  directGroups: Set<number>,
): void {
  const regions = [...(regionSet?.values() ?? [])].sort((a, b) =>
    a.first < b.first ? -1 : a.first > b.first ? 1 : 0,
  );
  if (regions.length > MAX_RESERVED_PER_UNIT) {
    fail(
      'snapshot.groups',
      `unit ${unit.name} has ${regions.length} distinct reserved regions; the lab keeps at most ${MAX_RESERVED_PER_UNIT} per unit`,
    );
  }
  unit.reserved = regions.map((r) => ({
    start: hex(r.first),
    length: hex(r.last - r.first + 1n),
    kind: r.kind,
  }));
  // The lab keeps reserved regions per unit; say so when the unit's groups do not all agree.
  const perGroup = groups
    .filter((g) => g.unit === unit.name && !directGroups.has(g.id))
    .map((g) =>
      g.reservedRegions
        .filter((r) => r.applied)
        .map((r) => `${r.start}-${r.end}-${r.type}`)
        .sort()
        .join(','),
    );
  if (new Set(perGroup).size > 1) {
    unit.notes.push(
      `${unit.name}: its groups report different reserved regions; the lab reserves their union on every domain of the unit`,
    );
  }
}

/** Devices: every PCI function in a group behind a modelled unit; the rest are skipped with the reason. */
function planDevices(snapshot: ReadSnapshot) {
  const devices: HostPlan['devices'] = [];
  const skipped: HostPlan['skipped'] = [];
  const sortedBdfs = [...new Set([...snapshot.functions.keys(), ...snapshot.groupOf.keys()])].sort();
  for (const bdf of sortedBdfs) {
    const placed = placeFunction(bdf, snapshot);
    if ('reason' in placed) {
      skipped.push({ bdf, reason: placed.reason });
      continue;
    }
    const { fn, unit, group } = placed;
    if (!unit.groups.includes(group)) unit.groups.push(group);
    const field = `snapshot.pciFunctions[${snapshot.functionIndex.get(bdf)}]`;
    devices.push({
      name: deviceNameForBdf(bdf),
      bdf,
      unit: unit.name,
      group,
      vendorId: stringOrNull(fn.vendor, `${field}.vendor`),
      deviceId: stringOrNull(fn.device, `${field}.device`),
      class: stringOrNull(fn.class, `${field}.class`),
      driver: stringOrNull(fn.driver, `${field}.driver`),
    });
  }
  return { devices, skipped };
}

/** Where a BDF goes: its PCI function, unit and group, or why the lab cannot assign it. */
function placeFunction(
  bdf: string,
  snapshot: ReadSnapshot,
): { fn: Json; unit: UnitReport; group: number } | { reason: string } {
  const fn = snapshot.functions.get(bdf);
  const groupFromFunction = fn && Number.isInteger(fn.group) ? (fn.group as number) : null;
  const group = groupFromFunction ?? snapshot.groupOf.get(bdf) ?? null;
  if (!fn) {
    return {
      reason: 'not a PCI function (a platform device in an IOMMU group); the lab imports PCI functions',
    };
  }
  if (group === null) return { reason: NO_IOMMU_REASON };
  const groupReport = snapshot.groups.find((g) => g.id === group);
  const unitName = (typeof fn.iommu === 'string' ? fn.iommu : null) ?? groupReport?.unit ?? null;
  const unit = unitName ? snapshot.units.get(unitName) : undefined;
  if (!unit) {
    return {
      reason: unitName
        ? `its IOMMU unit ${unitName} is not modelled (see ignored units)`
        : `group ${group} has no IOMMU unit in the snapshot`,
    };
  }
  if (snapshot.directGroups.has(group)) return { reason: DIRECT_REASON };
  if (unit.cacheCoherency === false) {
    return {
      reason: `${unit.name} lacks IOMMU_CAP_CACHE_COHERENCY: vfio and iommufd refuse to bind the device`,
    };
  }
  if (!groupReport) {
    fail('snapshot.groups', `${bdf} is in group ${group}, which snapshot.groups does not list`);
  }
  return { fn, unit, group };
}

/** The lab ops: every unit first (a device.add names its unit), then the devices in BDF order. */
function hostOps(units: Map<string, UnitReport>, devices: HostPlan['devices']): HostOp[] {
  return [
    ...[...units.values()].map(
      (unit): IommuAddOp => ({
        op: 'iommu.add',
        name: unit.name,
        vendor: unit.vendor,
        enforceCacheCoherency: unit.enforceCacheCoherency,
        pageSizes: unit.pageSizes,
        iovaBits: unit.iovaBits as 39 | 48 | 57,
        reserved: unit.reserved,
      }),
    ),
    ...devices.map(
      (device): DeviceAddOp => ({
        op: 'device.add',
        name: device.name,
        iommu: device.unit,
        group: device.group,
        kind: 'pci',
        noSnoop: true,
      }),
    ),
  ];
}
