// Filters of the left rail turned into the set of node keys to keep bright (null = no filter).
// Filters combine as an intersection; an empty set means nothing matches, null means no filter.
import { nodeKey } from '../../lib/touched';
import type { LabState } from '../../lib/types';

export interface Filters {
  vm: string;
  iommu: string;
  hazardOnly: boolean;
  search: string;
}

function addVm(state: LabState, vm: string, keys: Set<string>) {
  const v = state.vms.find((x) => x.name === vm);
  if (!v) return;
  keys.add(nodeKey('vm', v.name));
  keys.add(nodeKey('ioas', v.ioas));
  for (const d of state.devices.filter((x) => x.vm === vm)) {
    keys.add(nodeKey('dev', d.name));
    keys.add(nodeKey('iommu', d.iommu));
    if (d.hwpt !== null) keys.add(nodeKey('hwpt', d.hwpt));
  }
  for (const h of state.hwpts.filter((x) => x.ioas === v.ioas)) keys.add(nodeKey('hwpt', h.id));
}

export function focusSet(state: LabState, f: Filters): Set<string> | null {
  let result: Set<string> | null = null;
  const intersect = (keys: Set<string>) => {
    result = result === null ? keys : new Set([...result].filter((k) => keys.has(k)));
  };
  if (f.vm) {
    const keys = new Set<string>();
    addVm(state, f.vm, keys);
    intersect(keys);
  }
  if (f.hazardOnly) {
    const keys = new Set<string>();
    for (const v of state.vms.filter((x) => x.coherencyHazard)) addVm(state, v.name, keys);
    intersect(keys);
  }
  if (f.iommu) {
    const keys = new Set<string>([nodeKey('iommu', f.iommu)]);
    for (const d of state.devices.filter((x) => x.iommu === f.iommu)) {
      keys.add(nodeKey('dev', d.name));
      if (d.vm) keys.add(nodeKey('vm', d.vm));
    }
    for (const h of state.hwpts.filter((x) => x.iommu === f.iommu)) {
      keys.add(nodeKey('hwpt', h.id));
      keys.add(nodeKey('ioas', h.ioas));
    }
    intersect(keys);
  }
  const q = f.search.trim().toLowerCase();
  if (q) {
    const keys = new Set<string>();
    for (const u of state.iommus) if (u.name.toLowerCase().includes(q)) keys.add(nodeKey('iommu', u.name));
    for (const d of state.devices) if (d.name.toLowerCase().includes(q)) keys.add(nodeKey('dev', d.name));
    for (const v of state.vms) if (v.name.toLowerCase().includes(q)) keys.add(nodeKey('vm', v.name));
    for (const h of state.hwpts) if (`hwpt ${h.id}`.includes(q)) keys.add(nodeKey('hwpt', h.id));
    for (const a of state.ioas) if (`ioas ${a.id}`.includes(q)) keys.add(nodeKey('ioas', a.id));
    intersect(keys);
  }
  return result;
}
