// The lab's vocabularies, stated once: policies, vendors, device and region kinds, KVM orderings, templates,
// effect types and the name rule. Plain values, browser-safe; schemas, types, the core and the UI's forms
// all derive from these lists. Those that are enums of the C ABI (packages/core/native/include/ioasid_lab.h)
// come from vocab.generated.ts, generated from the header: to change one, edit the header and run
// `npm run build` in packages/core. The rest (templates, IOVA widths, the name rule) are stated here.
import * as header from './vocab.generated.ts';

/** The attach policies a lab can run (docs/domain.md, "Policies"), as the C ABI's `enum ioasid_policy`. */
export const POLICIES = header.POLICIES;
export type Policy = (typeof POLICIES)[number];

/**
 * Kernel profiles: whose rules a lab follows (docs/kernels.md), in release order as the C ABI's
 * `enum ioasid_kernel`. "6.6" stands for 6.2 up to commit 2ccabf81ddff.
 */
export const KERNELS = header.KERNELS;
export type Kernel = (typeof KERNELS)[number];
export const DEFAULT_KERNEL: Kernel = '6.12';

/** IOMMU vendors, in the order of the C ABI's `enum ioasid_vendor`. */
export const VENDORS = header.VENDORS;
export type Vendor = (typeof VENDORS)[number];

/** Kinds of an IOMMU's reserved region, in the order of the C ABI's `enum ioasid_resv_kind`. */
export const RESERVED_KINDS = header.RESERVED_KINDS;
export type ReservedKind = (typeof RESERVED_KINDS)[number];

/** A PCI function or a mediated device, in the order of the C ABI's `enum ioasid_device_kind`. */
export const DEVICE_KINDS = header.DEVICE_KINDS;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/**
 * Whether opening the device needs a KVM already associated: no, vfio-ap, Intel GVT-g (the C ABI's
 * `enum ioasid_requires_kvm`).
 */
export const REQUIRES_KVM = header.REQUIRES_KVM;
export type RequiresKvm = (typeof REQUIRES_KVM)[number];

/**
 * When hot-plug announces the device to the VM's kvm-vfio device, relative to opening it (the C ABI's
 * `enum ioasid_announce`).
 */
export const ANNOUNCE_KVM = header.ANNOUNCE_KVM;
export type AnnounceKvm = (typeof ANNOUNCE_KVM)[number];

/** IOVA widths an IOMMU unit can have. */
export const IOVA_BITS = [39, 48, 57] as const;
export type IovaBits = (typeof IOVA_BITS)[number];

/** What a new lab starts from. */
export const TEMPLATES = ['empty', 'seed', 'seed-story'] as const;
export type Template = (typeof TEMPLATES)[number];

/** Effect types, indexed as the C ABI's `enum ioasid_effect`. */
export const EFFECT_TYPES = header.EFFECT_TYPES;
export type EffectType = (typeof EFFECT_TYPES)[number];

/**
 * The name rule for labs, IOMMUs, devices and VMs. It also rules out path tricks ("..", "/") and
 * "__proto__" (no leading "_").
 */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
export const NAME_RE = new RegExp(NAME_PATTERN);
