// One topology node drawn in SVG: its box, title, facts and badges, focusable and named for screen readers.
// Memoised on a content signature so a live update re-renders only what changed.
import { memo } from 'react';
import { bytes } from '../../lib/format';
import type { LaidNode } from '../../lib/layout';
import { same } from '../../lib/same';
import { latentOf, leafSizes, nodeCard, nodeLabel } from './labels';
import { Tag } from './tag';

export { nodeLabel };

interface Props {
  node: LaidNode;
  selected: boolean;
  flashing: boolean;
  dimmed: boolean;
  /** False when zoomed out so far that text would be sub-pixel: the box alone, coloured by state. */
  detail: boolean;
  onSelect: (key: string) => void;
  onOpen: (key: string) => void;
}

function IommuBody({ node, r }: { node: Extract<LaidNode, { kind: 'iommu' }>; r: number }) {
  const u = node.data;
  return (
    <>
      <text className="title" x={6} y={16}>
        {u.name}
      </text>
      <text className="muted" x={6} y={34}>
        {u.vendor} · {u.iovaBits}b
      </text>
      <Tag
        x={r}
        y={4}
        text={u.enforceCacheCoherency ? 'SC' : 'no SC'}
        tone={u.enforceCacheCoherency ? 'snp' : 'nosnp'}
      />
    </>
  );
}

function DeviceBody({ node, r }: { node: Extract<LaidNode, { kind: 'dev' }>; r: number }) {
  const d = node.data;
  return (
    <>
      <text className="title" x={6} y={16}>
        {d.name}
      </text>
      <text className="muted" x={6} y={34}>
        {d.vm ?? 'free'}
        {d.requiresKvm !== 'none' ? ` · ${d.requiresKvm}` : ''}
      </text>
      {d.noSnoop ? <Tag x={r} y={4} text="NS" tone="off" /> : null}
    </>
  );
}

function HwptBody({ node, r }: { node: Extract<LaidNode, { kind: 'hwpt' }>; r: number }) {
  const h = node.data;
  const sizes = leafSizes(h);
  return (
    <>
      <text className="title" x={6} y={16}>
        HWPT {h.id}
      </text>
      <Tag
        x={r}
        y={4}
        text={h.enforceCacheCoherency ? 'SNP' : 'no SNP'}
        tone={h.enforceCacheCoherency ? 'snp' : 'nosnp'}
      />
      <text className="muted" x={6} y={33}>
        {h.iommu} · {h.devices.length} dev{h.auto === false ? ' · user' : ''}
      </text>
      <text x={6} y={49}>
        {sizes || `${h.stats.leaves} leaves`}
      </text>
      <text className="muted" x={6} y={65}>
        {bytes(h.stats.bytes)} · {h.stats.tablePages} pg
      </text>
    </>
  );
}

function IoasBody({ node }: { node: Extract<LaidNode, { kind: 'ioas' }> }) {
  const a = node.data;
  return (
    <>
      <text className="title" x={6} y={16}>
        IOAS {a.id}
      </text>
      <text className="muted" x={6} y={32}>
        {a.areas.length} area{a.areas.length === 1 ? '' : 's'}
      </text>
    </>
  );
}

function VmBody({ node, r }: { node: Extract<LaidNode, { kind: 'vm' }>; r: number }) {
  const v = node.data;
  const latent = latentOf(v);
  return (
    <>
      <text className="title" x={6} y={16}>
        {v.name}
      </text>
      <Tag x={r} y={4} text={v.wbinvd ? 'wbinvd ON' : 'wbinvd off'} tone={v.wbinvd ? 'amber' : 'off'} />
      <text className="muted" x={6} y={36}>
        {v.devices.length} dev · nc {v.noncoherentDma}
      </text>
      {v.coherencyHazard ? (
        <>
          <Tag x={r} y={24} text="HAZARD" tone="red" />
          <text className="hazard-note" x={6} y={54}>
            <title>{node.note}</title>
            {node.note && node.note.length > 28 ? `${node.note.slice(0, 27)}…` : node.note}
          </text>
        </>
      ) : latent.length ? (
        <>
          <Tag x={r} y={24} text="latent" tone="latent" />
          <text className="hazard-note" x={6} y={54}>
            unplug {latent[0]?.trigger.device} → hazard
          </text>
        </>
      ) : null}
    </>
  );
}

function Body({ node }: { node: LaidNode }) {
  const r = node.w - 6;
  switch (node.kind) {
    case 'iommu':
      return <IommuBody node={node} r={r} />;
    case 'dev':
      return <DeviceBody node={node} r={r} />;
    case 'hwpt':
      return <HwptBody node={node} r={r} />;
    case 'ioas':
      return <IoasBody node={node} />;
    case 'vm':
      return <VmBody node={node} r={r} />;
  }
}

function NodeViewInner({ node, selected, flashing, dimmed, detail, onSelect, onOpen }: Props) {
  const tone =
    node.kind === 'hwpt' || node.kind === 'iommu'
      ? node.data.enforceCacheCoherency
        ? ' snp'
        : ' nosnp'
      : '';
  const state =
    node.kind === 'vm' ? (node.data.coherencyHazard ? ' hazard' : node.data.wbinvd ? ' wbinvd' : '') : '';
  const cls = `tn ${node.kind}${tone}${state}${selected ? ' sel' : ''}${flashing ? ' flash' : ''}${dimmed ? ' dim' : ''}${detail ? '' : ' lod'}`;
  return (
    // biome-ignore lint/a11y/useSemanticElements: an SVG group cannot be a <button>; role and keys make it one.
    <g
      className={cls}
      // Zoomed out, the box is placed by its own x/y: a transform per node is a paint property node per node,
      // and with 10,000 boxes on screen every repaint spent 50-100 ms re-layerizing them.
      transform={detail ? `translate(${node.x},${node.y})` : undefined}
      role="button"
      tabIndex={0}
      aria-label={nodeLabel(node)}
      aria-pressed={selected}
      data-key={node.key}
      data-changed={flashing ? 'true' : undefined}
      onClick={(e) => {
        e.stopPropagation();
        onSelect(node.key);
      }}
      onDoubleClick={() => onOpen(node.key)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onSelect(node.key);
        }
      }}
    >
      <rect
        className="box"
        x={detail ? undefined : node.x}
        y={detail ? undefined : node.y}
        width={node.w}
        height={node.h}
        rx={4}
      />
      {detail ? (
        <>
          {/* The hover card: only when labels are drawn, so an overview of a big lab stays cheap. */}
          <title>{nodeCard(node, node.kind === 'dev' ? node.note : undefined)}</title>
          <Body node={node} />
        </>
      ) : null}
    </g>
  );
}

export const NodeView = memo(
  NodeViewInner,
  (a, b) =>
    a.selected === b.selected &&
    a.flashing === b.flashing &&
    a.dimmed === b.dimmed &&
    a.detail === b.detail &&
    a.node.x === b.node.x &&
    a.node.y === b.node.y &&
    ('note' in a.node ? a.node.note : undefined) === ('note' in b.node ? b.node.note : undefined) &&
    a.onSelect === b.onSelect &&
    a.onOpen === b.onOpen &&
    same(a.node.data, b.node.data),
);
