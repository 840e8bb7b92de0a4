// Signatures: an effect named by what its objects are (IOMMU capabilities, a table's birth facts), not by
// their names or ids, so an effect in one VM's history and its counterpart in a twin VM's compare equal.
import type { CoreState, Effect } from '@ioasid-lab/core';

/** Creation-time facts of every HWPT, from its hwpt.created effect. */
export type HwptOrigins = Map<number, { iommu?: string; enforceCacheCoherency?: boolean }>;

export interface Catalog {
  iommu(name: string): string;
  device(name: string): string;
  hwpt(id: number): string;
  /** Drops what it remembers of a freed table (ids are never reused). */
  forget(id: number): void;
}

export function catalogOf(state: CoreState, origins: HwptOrigins): Catalog {
  const iommus = new Map(
    state.iommus.map((i) => [i.name, `${i.vendor}/snoopctl=${i.enforceCacheCoherency}`]),
  );
  const iommu = (name: string) => iommus.get(name) ?? `iommu:${name}`;
  const devices = new Map(
    state.devices.map((d) => [d.name, `${iommu(d.iommu)}/nosnoop=${d.noSnoop}/${d.kind}`]),
  );
  const hwpts = new Map(state.hwpts.map((h) => [h.id, { iommu: h.iommu, enforce: h.enforceCacheCoherency }]));
  const hwptNames = new Map<number, string>();
  return {
    iommu,
    device: (name) => devices.get(name) ?? `device:${name}`,
    hwpt: (id) => {
      let named = hwptNames.get(id);
      if (named === undefined) {
        // Creation-time facts: a table later downgraded was still born like its twin's.
        const origin = origins.get(id);
        const now = hwpts.get(id);
        const on = origin?.iommu ?? now?.iommu;
        const enforce = origin?.enforceCacheCoherency ?? now?.enforce;
        named = `${on === undefined ? '?' : iommu(on)}/enforce=${enforce}`;
        // Only cache once the table's birth is known; ids are never reused, so it never changes.
        if (origin) hwptNames.set(id, named);
      }
      return named;
    },
    forget: (id) => {
      hwptNames.delete(id);
    },
  };
}

export function signature(e: Effect, self: string, catalog: Catalog): string {
  let s = e.type;
  if (e.vm !== undefined) s += e.vm === self ? '|vm=self' : `|vm=${e.vm}`;
  if (e.device !== undefined) s += `|device=${catalog.device(e.device)}`;
  if (e.iommu !== undefined) s += `|iommu=${catalog.iommu(e.iommu)}`;
  if (e.hwpt !== undefined) s += `|hwpt=${catalog.hwpt(e.hwpt)}`;
  if (e.fromHwpt !== undefined) s += `|from=${catalog.hwpt(e.fromHwpt)}`;
  if (e.enforceCacheCoherency !== undefined) s += `|enforce=${e.enforceCacheCoherency}`;
  if (e.noncoherentDma !== undefined) s += `|noncoherent=${e.noncoherentDma}`;
  return s;
}
