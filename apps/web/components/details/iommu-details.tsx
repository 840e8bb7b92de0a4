'use client';
// An IOMMU unit in the details panel: vendor, snoop control, IOVA width, page sizes, reserved regions.
// Read-only: units are added, never changed, in the lab.
import { pageSize } from '../../lib/format';
import { Facts } from './facts';
import type { KindProps } from './kind-props';

export function IommuDetails({ state, id }: KindProps) {
  const u = state.iommus.find((x) => x.name === id);
  if (!u) return <p className="muted">IOMMU {id} does not exist at this seq.</p>;
  return (
    <section aria-label="Details">
      <h2>
        IOMMU {u.name}{' '}
        <span className={`badge ${u.enforceCacheCoherency ? 'snp' : 'nosnp'}`}>
          {u.enforceCacheCoherency ? 'snoop control' : 'no snoop control'}
        </span>
      </h2>
      <Facts
        rows={[
          ['vendor', u.vendor],
          ['IOVA bits', u.iovaBits],
          ['page sizes', u.pageSizes.map(pageSize).join(' ')],
          ['reserved', u.reserved.map((r) => `${r.kind} ${r.start}+${r.length}`).join(', ') || '—'],
          ['devices', state.devices.filter((d) => d.iommu === u.name).length],
        ]}
      />
    </section>
  );
}
