// Explain across kernel profiles: which profile rule makes one kernel's replay of a lab differ from another's,
// stated with the kernel function or commit it follows (docs/kernels.md). The outcomes themselves always come
// from replays in the core; this file only names the rule behind a difference the replays found.
import { KERNELS, type Kernel, type Policy } from '@ioasid-lab/core';
import type { VmOutcome } from './store-types.ts';

/**
 * The kernel-profile rules each policy reads in the core (packages/core/native/src/kernel.c's fields:
 * `type1_judge` is read only under type1 (policy_type1.c), `has_iommufd` and `iommufd_upgrade_at_attach`
 * only under iommufd (lab.c, hwpt.c); shared and explicit read none). Profiles that agree on the rules a
 * policy reads replay its inputs identically, so one replay answers for all of them: a lab keeps no shadow
 * that would repeat another. kernels.test.ts replays random histories under every profile to check it.
 */
const RULES_READ: Record<Policy, Record<Kernel, string>> = {
  type1: { '6.1': 'judge by container', '6.6': 'judge by group devices', '6.12': 'judge by group devices' },
  iommufd: { '6.1': 'no iommufd', '6.6': 'upgrade at attach', '6.12': 'enforce at allocation only' },
  shared: { '6.1': '', '6.6': '', '6.12': '' },
  explicit: { '6.1': '', '6.6': '', '6.12': '' },
};

/**
 * The profile whose replay stands for `kernel` under `policy`: the lab's own kernel (`own`) when they read
 * the same rules, else the first profile that does.
 */
export function replayKernel(policy: Policy, kernel: Kernel, own: Kernel): Kernel {
  const rules = RULES_READ[policy];
  if (rules[kernel] === rules[own]) return own;
  return KERNELS.find((k) => rules[k] === rules[kernel]) ?? kernel;
}

export interface KernelRule {
  /** The rule, with its kernel sources: what `kernels[k].rule` says. */
  rule: string;
  /**
   * The same rule as a clause of the summary, told from the other kernel's side (`device`: the device the
   * rule is about, if known; `other`: the kernel the sentence is about).
   */
  clause(device: string | undefined, other: Kernel): string;
}

const TYPE1_JUDGE: KernelRule = {
  rule:
    "KVM's judge of a VFIO group file: on 6.1 vfio_file_enforced_coherent asks the group's container " +
    '(VFIO_DMA_CC_IOMMU: vfio_domains_have_enforce_cache_coherency, every domain of the container enforces), ' +
    "and QEMU's legacy container removes a group's kvm-vfio file (vfio_kvm_device_del_group, " +
    'KVM_DEV_VFIO_FILE_DEL) before the group leaves the container; from 6.2 on vfio_group_enforced_coherent ' +
    "(drivers/vfio/group.c) judges each device of the group by its IOMMU's " +
    'IOMMU_CAP_ENFORCE_CACHE_COHERENCY and the container does not matter',
  clause: (device, other) => {
    if (!device) {
      // No unplug behind it: a file judged while the container held another group's domain, or before
      // the group joined one.
      const rule =
        'judges a type1 group by its container (vfio_file_enforced_coherent: every domain of the container enforces; a group in no container counts as coherent)';
      return other === '6.1'
        ? `6.1 ${rule}`
        : `${other} judges a type1 group by its devices' IOMMUs (vfio_group_enforced_coherent), while 6.1 ${rule}`;
    }
    const who = `${device}'s file before ${device}`;
    return other === '6.1'
      ? `6.1 judges a type1 group by its container, and QEMU removes ${who} leaves the container`
      : `${other} judges a type1 group by its devices' IOMMUs (vfio_group_enforced_coherent), while 6.1 judges it by its container, from which QEMU removes ${who} leaves it`;
  },
};

const IOMMUFD_ENFORCE_CC: KernelRule = {
  rule:
    'iommufd attach to an existing non-enforcing auto domain: before commit 2ccabf81ddff ("iommufd: Only ' +
    'enforce cache coherency in iommufd_hw_pagetable_alloc") the attach and replace paths call ' +
    'iommufd_hw_pagetable_enforce_cc to upgrade the domain for an enforce-capable device, and when the driver ' +
    'refuses (VT-d intel_iommu_enforce_cache_coherency: a device without snoop control on it, or a ' +
    'second-level table with mappings) the auto path moves on and allocates an enforcing domain; since that ' +
    'commit enforcement is decided only in iommufd_hwpt_paging_alloc, so the device joins the non-enforcing domain',
  clause: (device, other) =>
    other === '6.6'
      ? `before commit 2ccabf81ddff iommufd's attach tried to upgrade the non-enforcing domain (iommufd_hw_pagetable_enforce_cc), VT-d refused, and ${device ?? 'the device'} got its own enforcing domain; since then enforcement is decided only when a domain is allocated`
      : `since commit 2ccabf81ddff enforcement is decided only when a domain is allocated (iommufd_hwpt_paging_alloc), so an enforce-capable device joins an existing non-enforcing domain instead of getting its own`,
};

const GENERIC: KernelRule = {
  rule: 'the profiles differ in a rule of docs/kernels.md that this policy reaches',
  clause: () => 'the two profiles follow different kernel rules (docs/kernels.md)',
};

/**
 * The rule that separates `other` from `own` under `policy`. Only called when replays found the outcomes
 * differ, so every pair gets a rule; the named ones are the rules the profiles actually change.
 */
export function ruleBetween(policy: Policy, own: Kernel, other: Kernel): KernelRule {
  const pair = new Set([own, other]);
  if (policy === 'type1' && pair.has('6.1')) return TYPE1_JUDGE;
  if (policy === 'iommufd' && pair.has('6.6') && pair.has('6.12')) return IOMMUFD_ENFORCE_CC;
  return GENERIC;
}

export function sameOutcome(x: VmOutcome | null | undefined, y: VmOutcome | null | undefined): boolean {
  if (!x || !y) return !x && !y;
  return x.wbinvd === y.wbinvd && x.coherencyHazard === y.coherencyHazard;
}

/** What `vm` would do on another kernel, as a phrase ("would keep emulating wbinvd"). */
export function wouldPhrase(own: VmOutcome, other: VmOutcome, wasOn: boolean): string {
  const parts: string[] = [];
  if (other.wbinvd !== own.wbinvd) {
    parts.push(other.wbinvd ? (wasOn ? 'keep emulating wbinvd' : 'emulate wbinvd') : 'not emulate wbinvd');
  }
  if (other.coherencyHazard !== own.coherencyHazard) {
    parts.push(other.coherencyHazard ? 'be in a coherency hazard' : 'not be in a coherency hazard');
  }
  return `would ${parts.join(' and ')}`;
}
