'use client';
// The details panel: every field of the selected object, links to its views, its destructive actions.
import Link from 'next/link';
import { enc, labPath } from '../../lib/api';
import { bytes, pageSize } from '../../lib/format';
import type { LabState } from '../../lib/types';
import { ActionForm } from '../actions/action-form';
import type { Selection } from '../actions/action-specs';

interface Props {
  lab: string;
  state: LabState;
  selection: Selection | null;
  readOnly: boolean;
  onDone: () => void;
}

function Facts({ rows }: { rows: [string, React.ReactNode][] }) {
  return (
    <dl className="facts">
      {rows.map(([k, v]) => (
        <div key={k} style={{ display: 'contents' }}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function DetailsPanel({ lab, state, selection, readOnly, onDone }: Props) {
  const base = labPath(lab);
  const href = (p: string) => `/labs/${enc(lab)}${p}`;
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
      </section>
    );
  }
  const { kind, id } = selection;
  if (kind === 'vm') {
    const v = state.vms.find((x) => x.name === id);
    if (!v) return <p className="muted">VM {id} does not exist at this seq.</p>;
    const other = state.vms.find((x) => x.name !== id)?.name;
    return (
      <section aria-label="Details">
        <h2>
          VM {v.name}{' '}
          <span className={`badge ${v.wbinvd ? 'amber' : 'off'}`}>
            {v.wbinvd ? 'wbinvd ON' : 'wbinvd off'}
          </span>{' '}
          {v.coherencyHazard ? <span className="badge red">HAZARD</span> : null}
        </h2>
        {v.coherencyHazard ? (
          <p className="refused">
            Coherency hazard: KVM treats this VM as coherent while a device can do no-snoop DMA through a
            table without SNP.
          </p>
        ) : null}
        <Facts
          rows={[
            ['IOAS', v.ioas],
            ['memory', v.memory ?? '—'],
            [
              'devices',
              v.devices.length
                ? v.devices
                    .map((name) => {
                      const d = state.devices.find((x) => x.name === name);
                      const h = state.hwpts.find((x) => x.id === d?.hwpt);
                      const snp = h ? (h.enforceCacheCoherency ? 'SNP' : 'no SNP') : 'no table';
                      return `${name}${d?.noSnoop ? ' (no-snoop)' : ''} → ${h ? `HWPT ${h.id} ${snp}` : snp}`;
                    })
                    .join('; ')
                : '—',
            ],
            ['non-coherent', v.noncoherentDma],
            ['wbinvd', v.wbinvd ? 'emulated (costs speed)' : 'off'],
          ]}
        />
        {other ? (
          <Link href={href(`/explain?a=${enc(v.name)}&b=${enc(other)}`)}>
            Explain {v.name} vs {other}
          </Link>
        ) : null}
        <ActionForm
          key={`destroy-${id}`}
          title="Destroy VM"
          danger
          fields={[]}
          disabled={readOnly}
          onDone={onDone}
          build={() => ({ method: 'DELETE', path: `${base}/vms/${enc(v.name)}` })}
        />
      </section>
    );
  }
  if (kind === 'dev') {
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
  if (kind === 'hwpt') {
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
          onDone={onDone}
          build={() => ({ method: 'DELETE', path: `${base}/hwpts/${h.id}` })}
        />
      </section>
    );
  }
  if (kind === 'ioas') {
    const a = state.ioas.find((x) => String(x.id) === id);
    if (!a) return <p className="muted">IOAS {id} does not exist at this seq.</p>;
    return (
      <section aria-label="Details">
        <h2>IOAS {a.id}</h2>
        <Facts rows={[['VM', a.vm ?? '—']]} />
        <table className="mono">
          <thead>
            <tr>
              <th>IOVA</th>
              <th>length</th>
              <th>R</th>
              <th>W</th>
            </tr>
          </thead>
          <tbody>
            {a.areas.map((ar) => (
              <tr key={ar.iova}>
                <td>{ar.iova}</td>
                <td>{ar.length}</td>
                <td>{ar.read ? '✓' : ''}</td>
                <td>{ar.write ? '✓' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    );
  }
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
