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
  if (q) intersect(new Set(searchKeys(state, q)));
  return result;
}

/** Keys of every object matching `query`: names by substring; tables and address spaces as "hwpt 3",
 * "hwpt3" or "#3" (a prefix matches too, so "hwpt" finds every table). */
export function searchKeys(state: LabState, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const named = (kind: 'vm' | 'dev' | 'iommu', list: { name: string }[]) =>
    list.filter((x) => x.name.toLowerCase().includes(q)).map((x) => nodeKey(kind, x.name));
  const numbered = (kind: 'hwpt' | 'ioas', list: { id: number }[]) =>
    list
      .filter((x) => [`${kind} ${x.id}`, `${kind}${x.id}`, `#${x.id}`].some((alias) => alias.startsWith(q)))
      .map((x) => nodeKey(kind, x.id));
  return [
    ...named('vm', state.vms),
    ...named('dev', state.devices),
    ...named('iommu', state.iommus),
    ...numbered('hwpt', state.hwpts),
    ...numbered('ioas', state.ioas),
  ];
}

/** The object Enter in the search box selects: an exact name or "hwpt 3" first, else the first match. */
export function searchFirst(state: LabState, query: string): string | null {
  const keys = searchKeys(state, query);
  const q = query
    .trim()
    .toLowerCase()
    .replace(/^(hwpt|ioas)\s*/, '$1:')
    .replace(/^#/, '');
  const exact = keys.find((k) => {
    const key = k.toLowerCase();
    return key === q || key.slice(key.indexOf(':') + 1) === q;
  });
  return exact ?? keys[0] ?? null;
}
