// The lab's vocabularies, stated once: policies, vendors, device and region kinds, KVM orderings, templates,
// effect types and the name rule. Plain values, browser-safe; schemas, types, the core and the UI's forms
// all derive from these lists.

/** The attach policies a lab can run (docs/domain.md, "Policies"). */
export const POLICIES = ['type1', 'iommufd', 'shared', 'explicit'] as const;
export type Policy = (typeof POLICIES)[number];

/**
 * Kernel profiles: whose rules a lab follows (docs/kernels.md), in release order as the C ABI's
 * `enum ioasid_kernel`. "6.6" stands for 6.2 up to commit 2ccabf81ddff.
 */
export const KERNELS = ['6.1', '6.6', '6.12'] as const;
export type Kernel = (typeof KERNELS)[number];
export const DEFAULT_KERNEL: Kernel = '6.12';

/** IOMMU vendors, in the order of the C ABI's enum. */
export const VENDORS = ['intel-vtd', 'amd-vi', 'arm-smmuv3'] as const;
export type Vendor = (typeof VENDORS)[number];

/** Kinds of an IOMMU's reserved region, in the order of the C ABI's enum. */
export const RESERVED_KINDS = ['msi', 'reserved', 'direct'] as const;
export type ReservedKind = (typeof RESERVED_KINDS)[number];

/** A PCI function or a mediated device, in the order of the C ABI's enum. */
export const DEVICE_KINDS = ['pci', 'mdev'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Whether opening the device needs a KVM already associated: no, vfio-ap, Intel GVT-g. */
export const REQUIRES_KVM = ['none', 'ap', 'kvmgt'] as const;
export type RequiresKvm = (typeof REQUIRES_KVM)[number];

/** When hot-plug announces the device to the VM's kvm-vfio device, relative to opening it. */
export const ANNOUNCE_KVM = ['before', 'after', 'never'] as const;
export type AnnounceKvm = (typeof ANNOUNCE_KVM)[number];

/** IOVA widths an IOMMU unit can have. */
export const IOVA_BITS = [39, 48, 57] as const;
export type IovaBits = (typeof IOVA_BITS)[number];

/** What a new lab starts from. */
export const TEMPLATES = ['empty', 'seed', 'seed-story'] as const;
export type Template = (typeof TEMPLATES)[number];

/** Effect types, indexed as the C ABI's `enum ioasid_effect`. */
export const EFFECT_TYPES = [
  'iommu.added',
  'device.added',
  'device.removed',
  'vm.created',
  'vm.destroyed',
  'ioas.created',
  'ioas.destroyed',
  'ioas.allowed_changed',
  'area.mapped',
  'area.unmapped',
  'hwpt.created',
  'hwpt.destroyed',
  'hwpt.snoop_downgraded',
  'device.attached',
  'device.detached',
  'device.replaced',
  'vm.kvm_file_added',
  'vm.kvm_file_removed',
  'vm.noncoherent_changed',
  'vm.wbinvd_on',
  'vm.wbinvd_off',
  'vm.hazard_on',
  'vm.hazard_off',
  'hwpt.snoop_upgraded',
] as const;
export type EffectType = (typeof EFFECT_TYPES)[number];

/**
 * The name rule for labs, IOMMUs, devices and VMs. It also rules out path tricks ("..", "/") and
 * "__proto__" (no leading "_").
 */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
export const NAME_RE = new RegExp(NAME_PATTERN);
