// Capability decoders: what Linux 6.12 derives from each unit's registers, as sysfs shows them. Every
// decoded value carries the register bits it came from, so a user can check it against the spec.
//
// VT-d (drivers/iommu/intel/iommu.h, iommu.c): ECAP.SC bit 7 is IOMMU_CAP_ENFORCE_CACHE_COHERENCY
// (intel_iommu_capable); the domain's address width is min(width of the largest SAGAW level the kernel
// picks, MGAW) (paging_domain_alloc); its page sizes are 4 KiB plus fls(CAP.SLLPS) superpage levels.
// AMD-Vi (drivers/iommu/amd/iommu.c): amd_iommu_capable returns true for ENFORCE_CACHE_COHERENCY
// unconditionally (every v1 PTE carries IOMMU_PTE_FC); the v1 table's aperture is ~0ULL (dma_max_address).
// SMMUv3 (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c): 6.12's arm_smmu_capable does not report
// ENFORCE_CACHE_COHERENCY at all; ARM_SMMU_FEAT_COHERENCY only answers IOMMU_CAP_CACHE_COHERENCY, without
// which vfio and iommufd refuse to bind a device.
import { KERNELS, type Kernel } from '@ioasid-lab/api/vocab';
import type { Vendor } from './types.ts';

export const GIB = 1 << 30;
export const PAGE_4K = 4096;
export const PAGE_2M = 2 * 1024 * 1024;
export const PAGE_1G = GIB;

export type IovaBits = 39 | 48 | 57;
export const LAB_IOVA_BITS: readonly IovaBits[] = [39, 48, 57];

/** One decoded field: the register, the bits, the raw field value and what the kernel makes of it. */
export interface DecodedField {
  register: string;
  field: string;
  bits: string;
  value: string;
  meaning: string;
}

export interface DecodedUnit {
  vendor: Vendor;
  enforceCacheCoherency: boolean;
  /** IOMMU_CAP_CACHE_COHERENCY: false means vfio and iommufd refuse to bind the unit's devices. */
  cacheCoherency: boolean | null;
  pageSizes: number[];
  /** The lab's width: the kernel's domain width, or the widest lab width not above it. */
  iovaBits: IovaBits;
  /** The domain width the kernel computes, in bits (64 for AMD-Vi's v1 table). */
  kernelIovaBits: number;
  fields: DecodedField[];
  notes: string[];
}

export class DecodeError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** A register as sysfs prints it: hex without 0x (VT-d, AMD), tolerated with 0x. */
export function parseHexRegister(text: unknown, field: string): bigint {
  if (typeof text !== 'string' || !/^(0x)?[0-9a-fA-F]{1,16}$/.test(text.trim())) {
    throw new DecodeError(field, `${field} must be a hex register value, got ${JSON.stringify(text)}`);
  }
  const trimmed = text.trim();
  return BigInt(trimmed.startsWith('0x') ? trimmed : `0x${trimmed}`);
}

function bits(value: bigint, shift: number, width: number): number {
  return Number((value >> BigInt(shift)) & ((1n << BigInt(width)) - 1n));
}

function fls(value: number): number {
  return value === 0 ? 0 : 32 - Math.clz32(value);
}

/** The widest lab width not above the kernel's (the lab's aperture never exceeds the real one). */
export function labIovaBits(kernelBits: number): IovaBits {
  let chosen: IovaBits = 39;
  for (const width of LAB_IOVA_BITS) if (width <= kernelBits) chosen = width;
  return chosen;
}

/** SAGAW bit n means an AGAW of 30 + 9 (n) bits: bit 1 = 39, bit 2 = 48, bit 3 = 57 (agaw_to_width). */
function agawToWidth(agaw: number): number {
  return Math.min(30 + agaw * 9, 64);
}

/** Intel VT-d from `intel-iommu/cap` and `intel-iommu/ecap`. */
export function decodeVtd(capText: unknown, ecapText: unknown, unit = 'unit'): DecodedUnit {
  const cap = parseHexRegister(capText, `${unit}.registers.cap`);
  const ecap = parseHexRegister(ecapText, `${unit}.registers.ecap`);
  const fields: DecodedField[] = [];
  const notes: string[] = [];

  const sc = bits(ecap, 7, 1);
  fields.push({
    register: 'ecap',
    field: 'SC',
    bits: '7',
    value: String(sc),
    meaning: sc
      ? 'snoop control: IOMMU_CAP_ENFORCE_CACHE_COHERENCY (ecap_sc_support); PTEs can carry DMA_PTE_SNP'
      : 'no snoop control: a domain on this unit cannot block no-snoop DMA',
  });
  const kernelIovaBits = vtdDomainWidth(cap, ecap, unit, fields);
  const iovaBits = labIovaBits(kernelIovaBits);
  if (iovaBits !== kernelIovaBits) {
    notes.push(
      `${unit}: the kernel's domain width is ${kernelIovaBits} bits; the lab models ${iovaBits} (the widest of 39/48/57 not above it)`,
    );
  }
  const pageSizes = vtdPageSizes(cap, fields);

  return {
    vendor: 'intel-vtd',
    enforceCacheCoherency: sc === 1,
    cacheCoherency: true,
    pageSizes,
    iovaBits,
    kernelIovaBits,
    fields,
    notes,
  };
}

/** The VT-d domain's address width in bits, as paging_domain_alloc computes it; its fields go to `fields`. */
function vtdDomainWidth(cap: bigint, ecap: bigint, unit: string, fields: DecodedField[]): number {
  // __iommu_calculate_sagaw: second-level SAGAW unless scalable mode with first-level support.
  const smts = bits(ecap, 43, 1);
  const flts = bits(ecap, 47, 1);
  const slts = bits(ecap, 46, 1);
  const fl5lp = bits(cap, 60, 1);
  const slSagaw = bits(cap, 8, 5);
  const flSagaw = 0b100 | (fl5lp ? 0b1000 : 0);
  let sagaw = slSagaw;
  let sagawRule = 'second-level SAGAW (legacy mode, or no first-level translation)';
  if (smts && flts) {
    sagaw = slts ? flSagaw & slSagaw : flSagaw;
    sagawRule = slts
      ? 'scalable mode with both levels: first-level widths AND SAGAW'
      : 'scalable mode, first level only: 48 bits, 57 with CAP.FL5LP';
  }
  fields.push({
    register: 'cap',
    field: 'SAGAW',
    bits: '12:8',
    value: `0x${slSagaw.toString(16)}`,
    meaning: `supported widths ${[1, 2, 3]
      .filter((n) => slSagaw & (1 << n))
      .map((n) => agawToWidth(n))
      .join('/')} bits; ${sagawRule}`,
  });
  if (smts) {
    fields.push({
      register: 'ecap',
      field: 'SMTS/SLTS/FLTS',
      bits: '43/46/47',
      value: `${smts}/${slts}/${flts}`,
      meaning: 'scalable mode and the translation levels it offers',
    });
  }
  // width_to_agaw(57) = 3: the largest supported AGAW at or below 57 bits.
  let agaw = -1;
  for (let n = 3; n >= 0; n--) {
    if (sagaw & (1 << n)) {
      agaw = n;
      break;
    }
  }
  if (agaw < 0) throw new DecodeError(`${unit}.registers.cap`, `${unit}: SAGAW 0x0 offers no address width`);
  const mgaw = bits(cap, 16, 6) + 1;
  fields.push({
    register: 'cap',
    field: 'MGAW',
    bits: '21:16',
    value: `0x${(mgaw - 1).toString(16)}`,
    meaning: `maximum guest address width ${mgaw} bits (cap_mgaw = field + 1)`,
  });
  return Math.min(agawToWidth(agaw), mgaw);
}

/** 4 KiB plus fls(CAP.SLLPS) superpage levels (iommu_superpage_capability); its field goes to `fields`. */
function vtdPageSizes(cap: bigint, fields: DecodedField[]): number[] {
  const sllps = bits(cap, 34, 4);
  const superpage = fls(sllps);
  const pageSizes = [PAGE_4K];
  if (superpage >= 1) pageSizes.push(PAGE_2M);
  if (superpage >= 2) pageSizes.push(PAGE_1G);
  fields.push({
    register: 'cap',
    field: 'SLLPS',
    bits: '37:34',
    value: `0x${sllps.toString(16)}`,
    meaning: `second-level large pages: ${superpage >= 2 ? '2 MiB and 1 GiB' : superpage === 1 ? '2 MiB' : 'none'} (iommu_superpage_capability: fls of the field)`,
  });
  return pageSizes;
}

/** AMD-Vi from `amd-iommu/cap` (the PCI capability header) and `amd-iommu/features` (EFR:EFR2). */
export function decodeAmd(capText: unknown, featuresText: unknown, unit = 'unit'): DecodedUnit {
  const cap = parseHexRegister(capText, `${unit}.registers.cap`);
  if (
    typeof featuresText !== 'string' ||
    !/^[0-9a-fA-F]{1,16}:[0-9a-fA-F]{1,16}$/.test(featuresText.trim())
  ) {
    throw new DecodeError(
      `${unit}.registers.features`,
      `${unit}.registers.features must be "EFR:EFR2" in hex, got ${JSON.stringify(featuresText)}`,
    );
  }
  const [efrText = '0'] = featuresText.trim().split(':');
  const efr = BigInt(`0x${efrText}`);
  const fields: DecodedField[] = [
    {
      register: 'features',
      field: 'IOMMU_CAP_ENFORCE_CACHE_COHERENCY',
      bits: '-',
      value: '1',
      meaning:
        'amd_iommu_capable reports it unconditionally: the v1 page table sets IOMMU_PTE_FC (force coherent, PTE bit 60) in every entry',
    },
    {
      register: 'cap',
      field: 'NpCache',
      bits: '26',
      value: String(bits(cap, 26, 1)),
      meaning: 'the IOMMU caches not-present entries (IOMMU_CAP_NPCACHE): map flushes needed',
    },
    {
      register: 'cap',
      field: 'EFRSup',
      bits: '27',
      value: String(bits(cap, 27, 1)),
      meaning: 'the extended feature register is present (IOMMU_CAP_EFR)',
    },
    {
      register: 'features',
      field: 'GT',
      bits: '4',
      value: String(bits(efr, 4, 1)),
      meaning: 'guest translation (v2 page table) supported; 6.12 uses the v1 table by default',
    },
  ];
  return {
    vendor: 'amd-vi',
    enforceCacheCoherency: true,
    cacheCoherency: true,
    // AMD_IOMMU_PGSIZES: every power of two from 4 KiB to 2^51 except 512 GiB; the lab's three are in it.
    pageSizes: [PAGE_4K, PAGE_2M, PAGE_1G],
    iovaBits: 57,
    kernelIovaBits: 64,
    fields,
    notes: [
      `${unit}: the v1 page table's aperture is 64 bits (dma_max_address); the lab models 57, its widest`,
    ],
  };
}

/** Arm SMMUv3: no registers in sysfs; `dmaCoherent` is the device tree's dma-coherent (null: unknown). */
export function decodeSmmuV3(dmaCoherent: unknown, unit = 'unit'): DecodedUnit {
  if (dmaCoherent !== true && dmaCoherent !== false && dmaCoherent !== null && dmaCoherent !== undefined) {
    throw new DecodeError(
      `${unit}.registers.dmaCoherent`,
      `${unit}.registers.dmaCoherent must be true, false or null`,
    );
  }
  const known = dmaCoherent === true || dmaCoherent === false;
  const notes = [`${unit}: the input address size (IDR5) is not in sysfs; the lab models 48 bits`];
  if (!known) {
    notes.push(
      `${unit}: coherency comes from the ACPI IORT (COHACC override), which sysfs does not show; taken as coherent`,
    );
  }
  return {
    vendor: 'arm-smmuv3',
    enforceCacheCoherency: false,
    cacheCoherency: known ? (dmaCoherent as boolean) : null,
    pageSizes: [PAGE_4K, PAGE_2M, PAGE_1G],
    iovaBits: 48,
    kernelIovaBits: 48,
    fields: [
      {
        register: 'of_node/dma-coherent',
        field: 'ARM_SMMU_FEAT_COHERENCY',
        bits: '-',
        value: known ? String(Number(dmaCoherent)) : 'unknown',
        meaning:
          'answers IOMMU_CAP_CACHE_COHERENCY only; 6.12 arm_smmu_capable has no IOMMU_CAP_ENFORCE_CACHE_COHERENCY case, so it is false',
      },
    ],
    notes,
  };
}

export type RegionType = 'direct' | 'direct-relaxable' | 'reserved' | 'msi';
export const REGION_TYPES: readonly RegionType[] = ['direct', 'direct-relaxable', 'reserved', 'msi'];

export interface KernelProfileChoice {
  profile: KernelProfile;
  /** The version the profile was chosen from (null when the snapshot had none). */
  from: string | null;
  rule: string;
}

/** The core's kernel profiles (docs/api.md: a lab's `kernel`), oldest first. */
export type KernelProfile = Kernel;
export const KERNEL_PROFILES: readonly KernelProfile[] = KERNELS;

function versionKey(text: string): [number, number] | null {
  const match = /^(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/**
 * The releases each profile stands for (docs/kernels.md): 6.1 and before (VFIO containers, KVM judges a
 * group by its container); 6.2 to 6.6 (KVM judges the group's devices; iommufd upgrades a domain at
 * attach); 6.7 and later (commit 2ccabf81ddff, first in v6.7: enforcement decided at allocation only).
 */
const PROFILE_RANGES: readonly { profile: KernelProfile; from: [number, number]; says: string }[] = [
  {
    profile: '6.12',
    from: [6, 7],
    says: '6.7 and later carry 2ccabf81ddff (enforcement decided at allocation)',
  },
  {
    profile: '6.6',
    from: [6, 2],
    says: '6.2 to 6.6: KVM judges the group by its devices; iommufd upgrades at attach',
  },
  { profile: '6.1', from: [0, 0], says: '6.1 and before: KVM judges a VFIO group by its container' },
];

/** The profile whose rules `release` (`uname -r`) follows, unless one is requested. */
export function kernelProfileFor(release: string | null, requested?: KernelProfile): KernelProfileChoice {
  if (requested) return { profile: requested, from: release, rule: 'requested' };
  const version = release ? versionKey(release) : null;
  if (version === null) {
    return {
      profile: KERNEL_PROFILES[KERNEL_PROFILES.length - 1] as KernelProfile,
      from: release,
      rule: 'kernel version unknown: the newest profile',
    };
  }
  const [major, minor] = version;
  const range = PROFILE_RANGES.find(({ from: [m, n] }) => major > m || (major === m && minor >= n));
  const chosen = range ?? (PROFILE_RANGES[PROFILE_RANGES.length - 1] as (typeof PROFILE_RANGES)[number]);
  const older = major < 6 || (major === 6 && minor < 1) ? ` (${release} is older than every profile)` : '';
  return { profile: chosen.profile, from: release, rule: `${major}.${minor}: ${chosen.says}${older}` };
}
