'use client';
// Latent hazards of a lab's VMs (a hazard one unplug away), asked of the server's single-VM explain each
// time the live seq moves. Small labs only: each answer replays, and the badge is for the few VMs a person
// watches; past views and labs with many VMs show none.
import { useEffect, useState } from 'react';
import { api, enc } from './api';
import type { LabState, VmExplanation } from './types';

export const LATENT_MAX_VMS = 8;

export type LatentHazards = ReadonlyMap<string, VmExplanation['latent']>;
const NONE: LatentHazards = new Map();

export function useLatent(lab: string, state: LabState | null, live: boolean): LatentHazards {
  const [latent, setLatent] = useState<LatentHazards>(NONE);
  const seq = state?.seq ?? 0;
  const vms = state && live && state.vms.length <= LATENT_MAX_VMS ? state.vms.map((v) => v.name) : [];
  const key = vms.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: the VM list is read through its key.
  useEffect(() => {
    if (!key) {
      setLatent(NONE);
      return;
    }
    let current = true;
    Promise.all(
      vms.map((vm) =>
        api
          .request<VmExplanation>('GET', `/labs/${enc(lab)}/explain?a=${enc(vm)}`)
          .then((x): [string, VmExplanation['latent']] => [vm, x.latent ?? []])
          .catch((): [string, VmExplanation['latent']] => [vm, []]),
      ),
    ).then((pairs) => current && setLatent(new Map(pairs.filter(([, l]) => l.length > 0))));
    return () => {
      current = false;
    };
  }, [lab, key, seq]);
  return latent;
}

/** The state with each VM's latent hazards attached (`latent`), so the topology can badge them. */
export function withLatent(state: LabState | null, latent: LatentHazards): LabState | null {
  if (!state || latent.size === 0) return state;
  return {
    ...state,
    vms: state.vms.map((v) => (latent.has(v.name) ? { ...v, latent: latent.get(v.name) } : v)),
  };
}

/** One line on a latent hazard: "unplug B from VM1 → A on HWPT 2 (no SNP)". */
export function latentText(l: VmExplanation['latent'][number]): string {
  return `unplug ${l.trigger.device} from ${l.trigger.vm} → ${l.device} on HWPT ${l.hwpt} (no SNP) while KVM sees coherent DMA`;
}
