'use client';
// A page table in the details panel: SNP, unit, IOAS, devices, sizes and leaves; inspector link, destroy.
// Numbers come from the core via the state; nothing is recomputed here.
import Link from 'next/link';
import { enc } from '../../lib/api';
import { bytes, pageSize } from '../../lib/format';
import { ActionForm } from '../actions/action-form';
import { Facts } from './facts';
import type { KindProps } from './kind-props';

export function HwptDetails({ lab, state, id, readOnly, onDone }: KindProps) {
  const href = (p: string) => `/labs/${enc(lab)}${p}`;
  const h = state.hwpts.find((x) => String(x.id) === id);
  if (!h) return <p className="muted">HWPT {id} does not exist at this seq.</p>;
  return (
    <section aria-label="Details">
      <h2>
        HWPT {h.id}{' '}
        <span className={`badge ${h.enforceCacheCoherency ? 'snp' : 'nosnp'}`}>
          {h.enforceCacheCoherency ? 'SNP' : 'no SNP'}
        </span>
      </h2>
      <Facts
        rows={[
          ['IOMMU', h.iommu],
          ['IOAS', h.ioas],
          ['made by', h.auto === false ? 'hwpt.alloc' : 'policy (auto)'],
          ['devices', `${h.devices.length}: ${h.devices.join(', ') || '—'}`],
          ['levels', h.levels ?? '—'],
          ['table pages', h.stats.tablePages],
          ['bytes', `${h.stats.bytes} (${bytes(h.stats.bytes)})`],
          ['leaves', `${h.stats.leaves} (${h.stats.snoopLeaves} with SNP)`],
          [
            'by size',
            Object.entries(h.stats.leavesBySize ?? {})
              .map(([s, n]) => `${pageSize(s)}: ${n}`)
              .join(' · ') || '—',
          ],
        ]}
      />
      <Link href={href(`/hwpts/${h.id}`)}>Open page-table inspector</Link>
      <ActionForm
        key={`destroy-${id}`}
        title="Destroy HWPT"
        danger
        fields={[]}
        disabled={readOnly}
        disabledReason={
          h.devices.length
            ? `Devices are attached (${h.devices.join(', ')}): replace or unplug them first.`
            : null
        }
        confirm={`HWPT ${h.id} and its ${h.stats.tablePages} table pages are freed.`}
        onDone={onDone}
        build={() => (c) => c.destroyHwpt(lab, h.id)}
      />
    </section>
  );
}
