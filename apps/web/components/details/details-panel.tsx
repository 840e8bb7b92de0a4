'use client';
// The details panel: the lab's summary, or every field of the selected object with its links and actions.
// Each kind of object has its own component in this folder.
import { bytes } from '../../lib/format';
import type { LabState } from '../../lib/types';
import type { Selection } from '../actions/action-specs';
import { ResetDemo } from '../lab/reset-demo';
import { DeviceDetails } from './device-details';
import { Facts } from './facts';
import { HwptDetails } from './hwpt-details';
import { IoasDetails } from './ioas-details';
import { IommuDetails } from './iommu-details';
import { VmDetails } from './vm-details';

interface Props {
  lab: string;
  state: LabState;
  selection: Selection | null;
  readOnly: boolean;
  onDone: () => void;
}

const BY_KIND = {
  vm: VmDetails,
  dev: DeviceDetails,
  hwpt: HwptDetails,
  ioas: IoasDetails,
  iommu: IommuDetails,
};

export function DetailsPanel({ lab, state, selection, readOnly, onDone }: Props) {
  if (!selection) {
    const hazards = state.vms.filter((v) => v.coherencyHazard).length;
    const wb = state.vms.filter((v) => v.wbinvd).length;
    return (
      <section aria-label="Details">
        <h2>Lab {lab}</h2>
        <Facts
          rows={[
            ['policy', state.policy],
            ['seq', state.seq],
            ['IOMMUs', state.iommus.length],
            ['devices', state.devices.length],
            ['VMs', `${state.vms.length} (${wb} wbinvd ON, ${hazards} hazard)`],
            [
              'page tables',
              `${state.hwpts.length} · ${bytes(state.hwpts.reduce((a, h) => a + h.stats.bytes, 0))}`,
            ],
          ]}
        />
        <p className="muted">Select a node to see its fields and actions.</p>
        <ResetDemo lab={lab} readOnly={readOnly} onDone={onDone} />
      </section>
    );
  }
  const Kind = BY_KIND[selection.kind as keyof typeof BY_KIND];
  if (!Kind) return null;
  return <Kind lab={lab} state={state} id={selection.id} readOnly={readOnly} onDone={onDone} />;
}
