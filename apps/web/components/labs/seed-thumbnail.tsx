'use client';
// A live thumbnail of a lab's topology for the landing page: boxes coloured by state (SNP, wbinvd,
// HAZARD), edges, and names, drawn from the live stream; the whole picture links to the lab.
import { useMemo } from 'react';
import { layoutLab } from '../../lib/layout';
import type { LabState } from '../../lib/types';
import { edgePaths } from '../topology/edges';
import { TOPOLOGY_CSS } from '../topology/topology-css';

/** Names on filled boxes keep their contrast: dark on amber, the badge text colour on red. */
const THUMB_CSS = `.tn.lod.vm.wbinvd text { fill: #1b1300; } .tn.lod.vm.hazard text { fill: var(--on-red); }`;

function nodeName(n: ReturnType<typeof layoutLab>['nodes'][number]): string {
  switch (n.kind) {
    case 'iommu':
    case 'dev':
      return n.data.name;
    case 'vm':
      return `${n.data.name}${n.data.wbinvd ? ' wbinvd ON' : ''}${n.data.coherencyHazard ? ' HAZARD' : ''}`;
    case 'hwpt':
      return `HWPT ${n.data.id} ${n.data.enforceCacheCoherency ? 'SNP' : 'no SNP'}`;
    case 'ioas':
      return `IOAS ${n.data.id}`;
  }
}

export function SeedThumbnail({ state }: { state: LabState }) {
  const layout = useMemo(() => layoutLab(state), [state]);
  const paths = useMemo(() => edgePaths(layout, null), [layout]);
  return (
    <svg
      className="thumb"
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      role="img"
      aria-label={`Live topology of the seed lab at seq ${state.seq}`}
    >
      <style>{`${TOPOLOGY_CSS}${THUMB_CSS}`}</style>
      {paths.map((p) => (
        <path key={p.kind} className={`edge ${p.kind}`} d={p.d} />
      ))}
      {layout.nodes.map((n) => {
        const tone =
          n.kind === 'hwpt' || n.kind === 'iommu' ? (n.data.enforceCacheCoherency ? ' snp' : ' nosnp') : '';
        const st =
          n.kind === 'vm' ? (n.data.coherencyHazard ? ' hazard' : n.data.wbinvd ? ' wbinvd' : '') : '';
        return (
          <g key={n.key} className={`tn lod ${n.kind}${tone}${st}`} transform={`translate(${n.x},${n.y})`}>
            <rect className="box" width={n.w} height={n.h} rx={4} />
            <text className="title" x={6} y={18}>
              {nodeName(n)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
