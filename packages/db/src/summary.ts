// The bug-report paragraph of an explanation, written only from facts the replay produced.
import type { CoreState, Effect, Policy } from '@ioasid-lab/core';
import type { Explanation, VmExplanation, VmOutcome } from './store-types.ts';

function describeOutcome(vm: string, o: VmOutcome, noncoherent?: number): string {
  const wb = o.wbinvd
    ? `emulates wbinvd${noncoherent !== undefined ? ` (KVM non-coherent DMA count ${noncoherent})` : ''}`
    : 'does not emulate wbinvd';
  const hazard = o.coherencyHazard
    ? ', in a coherency hazard (KVM treats it as coherent while a device can do no-snoop DMA through a table without SNP)'
    : '';
  return `${vm} ${wb}${hazard}`;
}

/** One effect as a phrase of a bug report ("B attached to HWPT 2 of VM1"). */
export function describeEffect(e: Effect): string {
  const of = e.vm !== undefined ? ` of ${e.vm}` : '';
  const snp = e.enforceCacheCoherency === undefined ? '' : ` (SNP ${e.enforceCacheCoherency ? 'on' : 'off'})`;
  switch (e.type) {
    case 'device.attached':
      return `${e.device} attached to HWPT ${e.hwpt}${of}`;
    case 'device.detached':
      return `${e.device} detached from HWPT ${e.hwpt}${of}`;
    case 'device.replaced':
      return `${e.device} moved from HWPT ${e.fromHwpt} to HWPT ${e.hwpt}${of}`;
    case 'hwpt.created':
      return `HWPT ${e.hwpt} created on ${e.iommu}${snp}`;
    case 'hwpt.destroyed':
      return `HWPT ${e.hwpt} freed`;
    case 'hwpt.snoop_downgraded':
      return `HWPT ${e.hwpt} lost SNP when ${e.device} (behind ${e.iommu}, no snoop control) joined`;
    case 'hwpt.snoop_upgraded':
      return `HWPT ${e.hwpt} gained SNP${e.device !== undefined ? ` for ${e.device}` : ''}`;
    case 'vm.kvm_file_added':
      return `${e.device} added to ${e.vm}'s kvm-vfio device`;
    case 'vm.kvm_file_removed':
      return `${e.device} removed from ${e.vm}'s kvm-vfio device`;
    case 'vm.noncoherent_changed':
      return `${e.vm}'s non-coherent DMA count became ${e.noncoherentDma}`;
    case 'vm.wbinvd_on':
      return `${e.vm} turned wbinvd emulation on`;
    case 'vm.wbinvd_off':
      return `${e.vm} turned wbinvd emulation off`;
    case 'vm.hazard_on':
      return `${e.vm} entered a coherency hazard`;
    case 'vm.hazard_off':
      return `${e.vm} left its coherency hazard`;
    default: {
      const parts: string[] = [e.type];
      if (e.device !== undefined) parts.push(`device ${e.device}`);
      if (e.hwpt !== undefined) parts.push(`HWPT ${e.hwpt}`);
      if (e.vm !== undefined) parts.push(`VM ${e.vm}`);
      return parts.join(' ') + snp;
    }
  }
}

function devicesOf(state: CoreState, vm: string): string {
  const found = state.vms.find((v) => v.name === vm);
  if (!found || found.devices.length === 0) return `${vm} has no devices`;
  const items = found.devices.map((name) => {
    const device = state.devices.find((d) => d.name === name);
    const hwpt = state.hwpts.find((h) => h.id === device?.hwpt);
    const iommu = state.iommus.find((i) => i.name === device?.iommu);
    const snoopCtl = iommu?.enforceCacheCoherency ? 'snoop control' : 'no snoop control';
    const table = hwpt ? `HWPT ${hwpt.id} (SNP ${hwpt.enforceCacheCoherency ? 'on' : 'off'})` : 'no HWPT';
    return `${name} (${device?.iommu ?? '?'}, ${snoopCtl}${device?.noSnoop ? ', can issue no-snoop DMA' : ''}) on ${table}`;
  });
  return `${vm} has ${items.join(' and ')}`;
}

export function writeSummary(
  e: Omit<Explanation, 'summary'>,
  state: CoreState,
  kernelSentences: string[] = [],
): string {
  const nc = (vm: string) => state.vms.find((v) => v.name === vm)?.noncoherentDma;
  const sentences: string[] = [];
  sentences.push(
    `Under the ${e.policy} policy on kernel ${e.kernel} at event #${e.seq}, ${describeOutcome(e.a.vm, e.a, nc(e.a.vm))} and ${describeOutcome(e.b.vm, e.b, nc(e.b.vm))}.`,
  );
  sentences.push(`${devicesOf(state, e.a.vm)}; ${devicesOf(state, e.b.vm)}.`);
  if (e.diverges && e.firstDivergence) {
    const d = e.firstDivergence;
    sentences.push(
      `Their histories part at event #${d.seq} (${d.op}): ${describeEffect(d.effect)}, which has no counterpart in the other VM's history.`,
    );
    const steps = e.chain.map((link, i) => {
      // The first link is told from the first effect on the diverging device (or the diverging effect);
      // what came before it in that event is shared history.
      const own = link.effects.findIndex(
        (x) => x === d.effect || (d.effect.device && x.device === d.effect.device),
      );
      const from = i === 0 ? Math.max(0, own) : 0;
      return `#${link.seq} ${link.op}: ${link.effects.slice(from).map(describeEffect).join(', ')}`;
    });
    if (steps.length > 0) sentences.push(`Chain: ${steps.join('; ')}.`);
  } else if (e.diverges) {
    sentences.push(
      "They differ, yet every event in the differing VM's causal chain has a counterpart in the other's.",
    );
  } else {
    sentences.push(
      `They do not diverge: ${e.a.vm}'s state rests on events ${e.a.why.map((s) => `#${s}`).join(', ') || '(none)'}, ${e.b.vm}'s on ${e.b.why.map((s) => `#${s}`).join(', ') || '(none)'}.`,
    );
  }
  const cf = Object.entries(e.counterfactual)
    .map(([policy, r]) => {
      const part = (vm: string, o: VmOutcome | null) =>
        o ? `${vm} wbinvd ${o.wbinvd ? 'on' : 'off'}${o.coherencyHazard ? ' (hazard)' : ''}` : `${vm} absent`;
      return `${policy as Policy}: ${part(e.a.vm, r?.a ?? null)}, ${part(e.b.vm, r?.b ?? null)}`;
    })
    .join('; ');
  if (cf) sentences.push(`The same inputs replayed under other policies: ${cf}.`);
  sentences.push(...kernelSentences);
  const first = e.remedies[0];
  if (first) {
    sentences.push(
      `Replay found ${e.remedies.length} remed${e.remedies.length === 1 ? 'y' : 'ies'}; the shortest: ${first.description} (${first.ops.map((o) => o.op).join(', ')}), after which ${e.a.vm} wbinvd ${first.result.a.wbinvd ? 'on' : 'off'} and ${e.b.vm} wbinvd ${first.result.b.wbinvd ? 'on' : 'off'}.`,
    );
  } else if (e.diverges) {
    sentences.push('No candidate op sequence made the two VMs converge on replay.');
  }
  return sentences.join(' ');
}

/** Why one VM's wbinvd and hazard are what they are, told from its devices and tables now. */
function reasons(e: Omit<VmExplanation, 'summary'>, state: CoreState): string[] {
  const vm = e.a.vm;
  const found = state.vms.find((v) => v.name === vm);
  const devices = state.devices.filter((d) => found?.devices.includes(d.name));
  const snoopCtl = new Map(state.iommus.map((i) => [i.name, i.enforceCacheCoherency]));
  const snp = new Map(state.hwpts.map((h) => [h.id, h.enforceCacheCoherency]));
  const exposed = devices.filter((d) => d.noSnoop && d.hwpt !== null && snp.get(d.hwpt) === false);
  const incapable = devices.filter((d) => snoopCtl.get(d.iommu) === false).map((d) => d.name);
  const out: string[] = [];
  if (e.a.wbinvd) {
    if (e.policy === 'type1' && e.kernel === '6.1') {
      out.push(
        `KVM emulates wbinvd because 6.1 judges each VFIO group by its container, and at ${vm}'s last kvm-vfio file add or remove the container held a domain that did not enforce snoop control.`,
      );
    } else if (e.policy === 'shared' || e.policy === 'explicit') {
      const tables = [
        ...new Set(devices.filter((d) => d.hwpt !== null && snp.get(d.hwpt) === false).map((d) => d.hwpt)),
      ].map((id) => `HWPT ${id}`);
      out.push(`KVM emulates wbinvd because ${tables.join(' and ') || 'a table'} of ${vm} does not set SNP.`);
    } else if (incapable.length > 0) {
      out.push(
        `KVM emulates wbinvd because it judges each device by its IOMMU and ${incapable.join(', ')} ${incapable.length === 1 ? 'sits' : 'sit'} behind an IOMMU without snoop control.`,
      );
    }
    out.push('There is no coherency hazard while KVM emulates wbinvd.');
  } else if (e.a.coherencyHazard) {
    out.push(
      `It is in a coherency hazard because KVM treats it as coherent while ${exposed.map((d) => `${d.name} can do no-snoop DMA on HWPT ${d.hwpt} (no SNP)`).join(' and ')}.`,
    );
  } else if (exposed.length === 0) {
    out.push(
      devices.some((d) => d.noSnoop)
        ? 'No coherency hazard: every device that can do no-snoop DMA sits on a table with SNP.'
        : 'No coherency hazard: none of its devices can do no-snoop DMA.',
    );
  }
  return out;
}

/** The bug-report paragraph of a single-VM explanation. */
export function writeVmSummary(
  e: Omit<VmExplanation, 'summary'>,
  state: CoreState,
  kernelSentences: string[] = [],
): string {
  const vm = e.a.vm;
  const nc = state.vms.find((v) => v.name === vm)?.noncoherentDma;
  const sentences: string[] = [
    `Under the ${e.policy} policy on kernel ${e.kernel} at event #${e.seq}, ${describeOutcome(vm, e.a, nc)}.`,
    `${devicesOf(state, vm)}.`,
    ...reasons(e, state),
  ];
  if (e.cause) {
    sentences.push(
      `That state was set at event #${e.cause.seq} (${e.cause.op}): ${describeEffect(e.cause.effect)}.`,
    );
  }
  const steps = e.chain.map(
    (link) => `#${link.seq} ${link.op}: ${link.effects.map(describeEffect).join(', ')}`,
  );
  if (steps.length > 0) sentences.push(`It rests on: ${steps.join('; ')}.`);
  for (const l of e.latent) {
    sentences.push(
      `Latent hazard: ${l.device} can do no-snoop DMA on HWPT ${l.hwpt}, a table without SNP; unplugging ${l.trigger.device} would leave ${vm} coherent in KVM's eyes while ${l.device} bypasses the caches.`,
    );
  }
  const cf = Object.entries(e.counterfactual)
    .map(([policy, r]) => {
      const o = r?.a ?? null;
      return `${policy}: ${o ? `wbinvd ${o.wbinvd ? 'on' : 'off'}${o.coherencyHazard ? ' (hazard)' : ''}` : `${vm} absent`}`;
    })
    .join('; ');
  if (cf) sentences.push(`The same inputs replayed under other policies: ${cf}.`);
  sentences.push(...kernelSentences);
  const first = e.remedies[0];
  if (first) {
    sentences.push(
      `Replay found ${e.remedies.length} remed${e.remedies.length === 1 ? 'y' : 'ies'}; the shortest: ${first.description} (${first.ops.map((o) => o.op).join(', ')}), after which ${vm} wbinvd ${first.result.a.wbinvd ? 'on' : 'off'} with no hazard, latent or not.`,
    );
  }
  return sentences.join(' ');
}
