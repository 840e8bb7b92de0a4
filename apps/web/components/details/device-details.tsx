'use client';
import { ActionForm } from '../actions/action-form';
import { Facts } from './facts';
import type { KindProps } from './kind-props';

export function DeviceDetails({ lab, state, id, readOnly, onDone }: KindProps) {
  const d = state.devices.find((x) => x.name === id);
  if (!d) return <p className="muted">Device {id} does not exist at this seq.</p>;
  return (
    <section aria-label="Details">
      <h2>Device {d.name}</h2>
      <Facts
        rows={[
          ['IOMMU', d.iommu],
          ['group', d.group],
          ['kind', d.kind ?? 'pci'],
          ['no-snoop DMA', d.noSnoop ? 'yes' : 'no'],
          ['needs KVM', d.requiresKvm],
          ['VM', d.vm ?? '—'],
          ['HWPT', d.hwpt ?? '—'],
        ]}
      />
      <ActionForm
        key={`remove-${id}`}
        title="Remove device"
        danger
        fields={[]}
        disabled={readOnly}
        disabledReason={d.vm ? `Unplug it from ${d.vm} first: an attached device cannot be removed.` : null}
        confirm={`Device ${d.name} is removed from the lab (a new event; revert brings it back).`}
        onDone={onDone}
        build={() => (c) => c.removeDevice(lab, d.name)}
      />
    </section>
  );
}
