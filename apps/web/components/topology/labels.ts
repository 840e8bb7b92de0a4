// Words for topology objects: the accessible name of each node and the hover card that explains its
// abbreviations (SC, NS, nc, leaf sizes), shared by the canvas, the narrow list view and the legend.
import { bytes, pageSize } from '../../lib/format';
import type { LaidEdge, NodeKind } from '../../lib/layout';
import type { DeviceState, HwptState, IoasState, IommuState, VmExplanation, VmState } from '../../lib/types';
import { latentText } from '../../lib/use-latent';

/** A VM as the topology draws it: its state, plus latent hazards when the lab view asked for them. */
export type ShownVm = VmState & { latent?: VmExplanation['latent'] };

export function latentOf(vm: VmState): VmExplanation['latent'] {
  return (vm as ShownVm).latent ?? [];
}

export type NodeData =
  | { kind: 'iommu'; data: IommuState }
  | { kind: 'dev'; data: DeviceState }
  | { kind: 'hwpt'; data: HwptState }
  | { kind: 'ioas'; data: IoasState }
  | { kind: 'vm'; data: VmState };

export function nodeLabel(node: NodeData): string {
  switch (node.kind) {
    case 'iommu':
      return `IOMMU ${node.data.name} ${node.data.vendor} ${node.data.enforceCacheCoherency ? 'SC' : 'no SC'}`;
    case 'dev':
      return `device ${node.data.name} on ${node.data.iommu}${node.data.vm ? ` in ${node.data.vm}` : ''}${node.data.hwpt !== null ? ` HWPT ${node.data.hwpt}` : ''}`;
    case 'hwpt':
      return `HWPT ${node.data.id} ${node.data.enforceCacheCoherency ? 'SNP' : 'no SNP'}, ${node.data.devices.length} devices`;
    case 'ioas':
      return `IOAS ${node.data.id}, ${node.data.areas.length} areas`;
    case 'vm':
      return `VM ${node.data.name} wbinvd ${node.data.wbinvd ? 'ON' : 'off'}${node.data.coherencyHazard ? ' HAZARD' : ''}${latentOf(node.data).length ? ' latent hazard' : ''}`;
  }
}

/** Leaf counts by page size, e.g. "2M×512 1G×1". */
export function leafSizes(h: HwptState): string {
  return Object.entries(h.stats.leavesBySize ?? {})
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${pageSize(s)}×${n}`)
    .join(' ');
}

/** The hover card of a node: every abbreviation on it in words. `tableUnit` is the unit of a device's table. */
export function nodeCard(node: NodeData, tableUnit?: string): string {
  switch (node.kind) {
    case 'iommu': {
      const u = node.data;
      return [
        `IOMMU unit ${u.name} (${u.vendor}, ${u.iovaBits}-bit IOVA, pages ${u.pageSizes.map(pageSize).join('/')})`,
        u.enforceCacheCoherency
          ? 'SC: snoop control: its page tables can force every DMA to snoop the CPU caches'
          : 'no SC: no snoop control: tables on this unit cannot set SNP',
      ].join('\n');
    }
    case 'dev': {
      const d = node.data;
      const lines = [`device ${d.name} (${d.kind ?? 'pci'}), PCI group ${d.group}, behind ${d.iommu}`];
      lines.push(d.noSnoop ? 'NS: can issue no-snoop DMA (bypasses CPU caches)' : 'always snoops');
      if (d.requiresKvm !== 'none') lines.push(`needs KVM at open (${d.requiresKvm})`);
      lines.push(d.vm ? `in ${d.vm}, on HWPT ${d.hwpt ?? '—'}` : 'free: in no VM');
      if (tableUnit && tableUnit !== d.iommu) lines.push(`its table belongs to ${tableUnit}, another unit`);
      return lines.join('\n');
    }
    case 'hwpt': {
      const h = node.data;
      const sizes = leafSizes(h);
      return [
        `HWPT ${h.id} on ${h.iommu}, mirrors IOAS ${h.ioas}${h.auto === false ? ', allocated by the user' : ''}`,
        h.enforceCacheCoherency
          ? 'SNP: every entry carries the snoop bit, devices cannot bypass caches'
          : 'no SNP: entries lack the snoop bit, no-snoop DMA goes through',
        `devices: ${h.devices.join(', ') || 'none'}`,
        `leaves: ${sizes ? `${sizes} (size×count)` : h.stats.leaves}; ${bytes(h.stats.bytes)} in ${h.stats.tablePages} table pages`,
      ].join('\n');
    }
    case 'ioas':
      return `IOAS ${node.data.id}: the I/O address space of ${node.data.vm ?? 'no VM'}, ${node.data.areas.length} mapped areas`;
    case 'vm': {
      const v = node.data;
      const lines = [
        `VM ${v.name}: ${v.devices.length} devices`,
        `nc ${v.noncoherentDma}: KVM's non-coherent DMA count`,
        v.wbinvd
          ? 'wbinvd ON: KVM emulates guest WBINVD (costs speed)'
          : 'wbinvd off: KVM treats the VM as coherent',
      ];
      if (v.coherencyHazard)
        lines.push('HAZARD: KVM thinks it is coherent, but a device can bypass the caches');
      for (const l of latentOf(v)) lines.push(`latent hazard: ${latentText(l)}`);
      return lines.join('\n');
    }
  }
}

/** What an edge means, for its hover card and the legend. */
export const EDGE_MEANING: Record<LaidEdge['kind'] | 'cross', string> = {
  iommu: 'device behind its IOMMU unit',
  snp: 'device attached to a table with SNP',
  nosnp: 'device attached to a table without SNP (dashed)',
  mirror: 'table mirrors the IOAS',
  owner: 'IOAS of the VM',
  cross: "device on another unit's table (dotted)",
};

export const ROW_KINDS: NodeKind[] = ['iommu', 'dev', 'hwpt', 'ioas', 'vm'];
