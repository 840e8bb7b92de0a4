// The ops this package produces: the core's iommu.add, device.add and vm.create (docs/api.md, "Hardware" and
// "VMs") with every field filled in. Vocabularies come from the browser-safe @ioasid-lab/api, never the core.
import type { ReservedKind, Vendor } from '@ioasid-lab/api/vocab';

export type { Policy, ReservedKind, Vendor } from '@ioasid-lab/api/vocab';

export interface ReservedRegion {
  start: string;
  length: string;
  kind: ReservedKind;
}

export interface IommuAddOp {
  op: 'iommu.add';
  name: string;
  vendor: Vendor;
  enforceCacheCoherency: boolean;
  pageSizes: number[];
  iovaBits: 39 | 48 | 57;
  reserved: ReservedRegion[];
}

export interface DeviceAddOp {
  op: 'device.add';
  name: string;
  iommu: string;
  group: number;
  kind: 'pci';
  noSnoop: boolean;
}

export interface VmCreateOp {
  op: 'vm.create';
  name: string;
  memory: string;
  devices: string[];
}

export type HostOp = IommuAddOp | DeviceAddOp | VmCreateOp;

/** A 4xx for the API: the errno name and a message that names the offending field or element. */
export class HostImportError extends Error {
  constructor(
    readonly code: 'EINVAL' | 'ENOENT' | 'EOPNOTSUPP',
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'HostImportError';
  }
}

/** The name rule of labs, units, devices and VMs, as the core checks it. */
export { NAME_RE as NAME_PATTERN } from '@ioasid-lab/api/vocab';

/** `0000:02:00.0` -> `0000-02-00.0`: a valid lab name for a PCI function. */
export function deviceNameForBdf(bdf: string): string {
  return bdf.replace(/:/g, '-');
}

/** Domain:bus:slot.function as sysfs writes it; the domain may be wider than 4 digits (VMD). */
export const BDF_PATTERN = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-1][0-9a-f])\.([0-7])$/;

/** A BDF in sysfs spelling (lowercase, 4-digit domain), from `02:00.0`, `0000:02:00.0` or sysfs paths. */
export function normalizeBdf(text: string): string | null {
  const match = /^(?:([0-9a-fA-F]{1,8}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])$/.exec(text.trim());
  if (!match) return null;
  const [, domain = '0', bus = '', slot = '', fn = ''] = match;
  if (Number.parseInt(slot, 16) > 0x1f) return null;
  return `${domain.toLowerCase().padStart(4, '0')}:${bus.toLowerCase().padStart(2, '0')}:${slot.toLowerCase().padStart(2, '0')}.${fn}`;
}
