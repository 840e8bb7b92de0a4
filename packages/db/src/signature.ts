// Signatures: an effect named by what its objects are (IOMMU capabilities, a table's birth facts), not by
// their names or ids, so an effect in one VM's history and its counterpart in a twin VM's compare equal.
// The history index files raw signatures, which read nothing but the log (device and IOMMU names, each
// table's birth facts); a Resolver names them against the state explain reads, so a change of hardware
// renames them without any event being read again.
import type { CoreState, Effect } from '@ioasid-lab/core';

/** Creation-time facts of a HWPT, from its hwpt.created effect. */
export interface HwptOrigin {
  iommu?: string;
  enforceCacheCoherency?: boolean;
}

/**
 * A table in a raw signature: its birth facts ("true:iommu0"), or, when they are not both known, its id and
 * what is known ("#7:iommu0:"), which the resolver completes from the state. Names hold no ':' or '|'.
 */
export function tableToken(id: number, origin: HwptOrigin | undefined): string {
  const iommu = origin?.iommu;
  const enforce = origin?.enforceCacheCoherency;
  if (iommu !== undefined && enforce !== undefined) return `${enforce}:${iommu}`;
  return `#${id}:${iommu ?? ''}:${enforce ?? ''}`;
}

/** The effect's signature with device, IOMMU and table names left for a Resolver to name. */
export function rawSignature(e: Effect, self: string, table: (id: number) => string): string {
  let s = e.type;
  if (e.vm !== undefined) s += e.vm === self ? '|vm=self' : `|vm=${e.vm}`;
  if (e.device !== undefined) s += `|device=${e.device}`;
  if (e.iommu !== undefined) s += `|iommu=${e.iommu}`;
  if (e.hwpt !== undefined) s += `|hwpt=${table(e.hwpt)}`;
  if (e.fromHwpt !== undefined) s += `|from=${table(e.fromHwpt)}`;
  if (e.enforceCacheCoherency !== undefined) s += `|enforce=${e.enforceCacheCoherency}`;
  if (e.noncoherentDma !== undefined) s += `|noncoherent=${e.noncoherentDma}`;
  return s;
}

/**
 * Names raw signatures against one state: an IOMMU by vendor and snoop control, a device by its IOMMU,
 * no-snoop and kind, a table by its IOMMU at birth and whether it was born enforcing.
 */
export class Resolver {
  readonly #iommus: Map<string, string>;
  readonly #devices: Map<string, string>;
  readonly #hwpts: Map<number, { iommu: string; enforce: boolean }>;
  readonly #named = new Map<string, string>();

  constructor(state: CoreState) {
    this.#iommus = new Map(
      state.iommus.map((i) => [i.name, `${i.vendor}/snoopctl=${i.enforceCacheCoherency}`]),
    );
    this.#devices = new Map(
      state.devices.map((d) => [d.name, `${this.iommu(d.iommu)}/nosnoop=${d.noSnoop}/${d.kind}`]),
    );
    this.#hwpts = new Map(
      state.hwpts.map((h) => [h.id, { iommu: h.iommu, enforce: h.enforceCacheCoherency }]),
    );
  }

  iommu(name: string): string {
    return this.#iommus.get(name) ?? `iommu:${name}`;
  }

  device(name: string): string {
    return this.#devices.get(name) ?? `device:${name}`;
  }

  /** A table token (tableToken) named by its creation-time facts; the state fills in what the log lacked. */
  table(token: string): string {
    if (!token.startsWith('#')) {
      const colon = token.indexOf(':');
      return `${this.iommu(token.slice(colon + 1))}/enforce=${token.slice(0, colon)}`;
    }
    const [id, iommu, enforce] = token.slice(1).split(':');
    const now = this.#hwpts.get(Number(id));
    const on = iommu || now?.iommu;
    const enforced = enforce ? enforce === 'true' : now?.enforce;
    return `${on === undefined ? '?' : this.iommu(on)}/enforce=${enforced}`;
  }

  /** The signature a raw signature stands for in this state. */
  resolve(raw: string): string {
    let named = this.#named.get(raw);
    if (named !== undefined) return named;
    const parts = raw.split('|');
    named = parts[0] as string;
    for (let i = 1; i < parts.length; i++) {
      const part = parts[i] as string;
      const eq = part.indexOf('=');
      const key = part.slice(0, eq);
      const value = part.slice(eq + 1);
      if (key === 'device') named += `|device=${this.device(value)}`;
      else if (key === 'iommu') named += `|iommu=${this.iommu(value)}`;
      else if (key === 'hwpt' || key === 'from') named += `|${key}=${this.table(value)}`;
      else named += `|${part}`;
    }
    this.#named.set(raw, named);
    return named;
  }
}
