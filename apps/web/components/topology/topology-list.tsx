'use client';
// The topology as a list for narrow screens: units → tables → devices, then VMs, with the canvas's badges,
// names and hover cards. Each object is a button that selects it, like a node on the canvas.
import type { ReactNode } from 'react';
import { bytes } from '../../lib/format';
import { nodeKey } from '../../lib/touched';
import type { LabState } from '../../lib/types';
import { latentOf, leafSizes, type NodeData, nodeCard, nodeLabel } from './labels';
import { listGroups } from './list-groups';

interface Props {
  state: LabState;
  selected: string | null;
  flash: ReadonlySet<string>;
  focus: ReadonlySet<string> | null;
  onSelect: (key: string) => void;
}

function Badge({ tone, children }: { tone: string; children: ReactNode }) {
  return <span className={`badge ${tone}`}>{children}</span>;
}

export function TopologyList({ state, selected, flash, focus, onSelect }: Props) {
  const item = (node: NodeData & { key: string }, body: ReactNode, note?: string) => {
    const cls = `tl-item${flash.has(node.key) ? ' flash' : ''}${focus && !focus.has(node.key) ? ' dim' : ''}`;
    return (
      <button
        type="button"
        className={cls}
        aria-label={nodeLabel(node)}
        aria-pressed={selected === node.key}
        title={nodeCard(node, note)}
        data-key={node.key}
        onClick={() => onSelect(node.key)}
      >
        {body}
      </button>
    );
  };
  const tableUnit = new Map(state.hwpts.map((h) => [h.id, h.iommu]));
  return (
    // biome-ignore lint/a11y/useSemanticElements: a list of object buttons, named as one group like the canvas.
    <div className="topo-list" role="group" aria-label="Lab topology (list)">
      {listGroups(state).map(({ unit, tables, loose }) => (
        <section key={unit.name} className="tl-unit">
          {item(
            { kind: 'iommu', data: unit, key: nodeKey('iommu', unit.name) },
            <>
              <b>{unit.name}</b> <span className="muted">{unit.vendor}</span>{' '}
              <Badge tone={unit.enforceCacheCoherency ? 'snp' : 'nosnp'}>
                {unit.enforceCacheCoherency ? 'SC' : 'no SC'}
              </Badge>
            </>,
          )}
          <ul>
            {tables.map(({ table, devices }) => (
              <li key={table.id}>
                {item(
                  { kind: 'hwpt', data: table, key: nodeKey('hwpt', table.id) },
                  <>
                    <b>HWPT {table.id}</b>{' '}
                    <Badge tone={table.enforceCacheCoherency ? 'snp' : 'nosnp'}>
                      {table.enforceCacheCoherency ? 'SNP' : 'no SNP'}
                    </Badge>{' '}
                    <span className="muted">
                      IOAS {table.ioas} · {leafSizes(table) || `${table.stats.leaves} leaves`} ·{' '}
                      {bytes(table.stats.bytes)}
                    </span>
                  </>,
                )}
                <ul>
                  {devices.map((d) => (
                    <li key={d.name}>
                      {item(
                        { kind: 'dev', data: d, key: nodeKey('dev', d.name) },
                        <>
                          {d.name} {d.noSnoop ? <Badge tone="off">NS</Badge> : null}{' '}
                          <span className="muted">
                            {d.vm ?? 'free'}
                            {d.iommu !== unit.name ? ` · from ${d.iommu}` : ''}
                          </span>
                        </>,
                        d.iommu !== unit.name ? unit.name : undefined,
                      )}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
            {loose.map((d) => (
              <li key={d.name}>
                {item(
                  { kind: 'dev', data: d, key: nodeKey('dev', d.name) },
                  <>
                    {d.name} {d.noSnoop ? <Badge tone="off">NS</Badge> : null}{' '}
                    <span className="muted">{d.vm ?? 'free'} · no table</span>
                  </>,
                )}
              </li>
            ))}
          </ul>
        </section>
      ))}
      <section className="tl-unit" aria-label="VMs">
        {state.vms.map((v) => (
          <div key={v.name}>
            {item(
              { kind: 'vm', data: v, key: nodeKey('vm', v.name) },
              <>
                <b>{v.name}</b>{' '}
                <Badge tone={v.wbinvd ? 'amber' : 'off'}>{v.wbinvd ? 'wbinvd ON' : 'wbinvd off'}</Badge>{' '}
                {v.coherencyHazard ? <Badge tone="red">HAZARD</Badge> : null}
                {!v.coherencyHazard && latentOf(v).length ? <Badge tone="latent">latent</Badge> : null}{' '}
                <span className="muted">
                  IOAS {v.ioas} · {v.devices.join(', ') || 'no devices'} · nc {v.noncoherentDma}
                  {v.devices.some((n) => {
                    const d = state.devices.find((x) => x.name === n);
                    return d?.hwpt != null && tableUnit.get(d.hwpt) !== d.iommu;
                  })
                    ? ' · a device on another unit’s table'
                    : ''}
                </span>
              </>,
            )}
          </div>
        ))}
      </section>
    </div>
  );
}
