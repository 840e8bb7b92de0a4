'use client';
// A device in the details panel: unit, group, no-snoop and KVM needs, where it is attached; remove.
// Remove is refused with EBUSY while the device is attached; the errno shows inline.
import { enc, labPath } from '../../lib/api';
import { ActionForm } from '../actions/action-form';
import { Facts } from './facts';
import type { KindProps } from './kind-props';

export function DeviceDetails({ lab, state, id, readOnly, onDone }: KindProps) {
  const base = labPath(lab);
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
        onDone={onDone}
        build={() => ({ method: 'DELETE', path: `${base}/devices/${enc(d.name)}` })}
      />
    </section>
  );
}
