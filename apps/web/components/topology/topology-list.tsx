'use client';
// The topology as a list for narrow screens: units → tables → devices, then VMs, with the canvas's badges,
// names and hover cards. Each object is a button that selects it, like a node on the canvas.
import type { ReactNode } from 'react';
import { bytes } from '../../lib/format';
import { nodeKey } from '../../lib/touched';
import type { DeviceState, LabState, VmState } from '../../lib/types';
import { latentOf, leafSizes, type NodeData, nodeCard, nodeLabel } from './labels';
import { listGroups, type UnitGroup } from './list-groups';

interface Props {
  state: LabState;
  selected: string | null;
  flash: ReadonlySet<string>;
  focus: ReadonlySet<string> | null;
  onSelect: (key: string) => void;
}

type ItemProps = Omit<Props, 'state'> & {
  node: NodeData & { key: string };
  note?: string;
  children: ReactNode;
};

function Badge({ tone, children }: { tone: string; children: ReactNode }) {
  return <span className={`badge ${tone}`}>{children}</span>;
}

/** One object as a button: named and carded like its node on the canvas. */
function Item({ node, note, children, selected, flash, focus, onSelect }: ItemProps) {
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
      {children}
    </button>
  );
}

type Shared = Omit<Props, 'state'>;

function DeviceItem({
  d,
  unit,
  suffix,
  ...shared
}: Shared & { d: DeviceState; unit: string; suffix: string }) {
  const other = d.iommu !== unit;
  return (
    <li>
      <Item
        {...shared}
        node={{ kind: 'dev', data: d, key: nodeKey('dev', d.name) }}
        note={other ? unit : undefined}
      >
        {d.name} {d.noSnoop ? <Badge tone="off">NS</Badge> : null}{' '}
        <span className="muted">
          {d.vm ?? 'free'}
          {other ? ` · from ${d.iommu}` : ''}
          {suffix}
        </span>
      </Item>
    </li>
  );
}

function UnitSection({ group, ...shared }: Shared & { group: UnitGroup }) {
  const { unit, tables, loose } = group;
  return (
    <section className="tl-unit">
      <Item {...shared} node={{ kind: 'iommu', data: unit, key: nodeKey('iommu', unit.name) }}>
        <b>{unit.name}</b> <span className="muted">{unit.vendor}</span>{' '}
        <Badge tone={unit.enforceCacheCoherency ? 'snp' : 'nosnp'}>
          {unit.enforceCacheCoherency ? 'SC' : 'no SC'}
        </Badge>
      </Item>
      <ul>
        {tables.map(({ table, devices }) => (
          <li key={table.id}>
            <Item {...shared} node={{ kind: 'hwpt', data: table, key: nodeKey('hwpt', table.id) }}>
              <b>HWPT {table.id}</b>{' '}
              <Badge tone={table.enforceCacheCoherency ? 'snp' : 'nosnp'}>
                {table.enforceCacheCoherency ? 'SNP' : 'no SNP'}
              </Badge>{' '}
              <span className="muted">
                IOAS {table.ioas} · {leafSizes(table) || `${table.stats.leaves} leaves`} ·{' '}
                {bytes(table.stats.bytes)}
              </span>
            </Item>
            <ul>
              {devices.map((d) => (
                <DeviceItem key={d.name} {...shared} d={d} unit={unit.name} suffix="" />
              ))}
            </ul>
          </li>
        ))}
        {loose.map((d) => (
          <DeviceItem key={d.name} {...shared} d={d} unit={unit.name} suffix=" · no table" />
        ))}
      </ul>
    </section>
  );
}

function VmItem({ v, crossed, ...shared }: Shared & { v: VmState; crossed: boolean }) {
  return (
    <Item {...shared} node={{ kind: 'vm', data: v, key: nodeKey('vm', v.name) }}>
      <b>{v.name}</b> <Badge tone={v.wbinvd ? 'amber' : 'off'}>{v.wbinvd ? 'wbinvd ON' : 'wbinvd off'}</Badge>{' '}
      {v.coherencyHazard ? <Badge tone="red">HAZARD</Badge> : null}
      {!v.coherencyHazard && latentOf(v).length ? <Badge tone="latent">latent</Badge> : null}{' '}
      <span className="muted">
        IOAS {v.ioas} · {v.devices.join(', ') || 'no devices'} · nc {v.noncoherentDma}
        {crossed ? ' · a device on another unit’s table' : ''}
      </span>
    </Item>
  );
}

export function TopologyList({ state, ...shared }: Props) {
  const tableUnit = new Map(state.hwpts.map((h) => [h.id, h.iommu]));
  const crossed = (v: VmState) =>
    state.devices.some((d) => d.vm === v.name && d.hwpt !== null && tableUnit.get(d.hwpt) !== d.iommu);
  return (
    // biome-ignore lint/a11y/useSemanticElements: a list of object buttons, named as one group like the canvas.
    <div className="topo-list" role="group" aria-label="Lab topology (list)">
      {listGroups(state).map((group) => (
        <UnitSection key={group.unit.name} {...shared} group={group} />
      ))}
      <section className="tl-unit" aria-label="VMs">
        {state.vms.map((v) => (
          <div key={v.name}>
            <VmItem {...shared} v={v} crossed={crossed(v)} />
          </div>
        ))}
      </section>
    </div>
  );
}
