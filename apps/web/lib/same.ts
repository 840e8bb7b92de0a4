// Structural equality for the small JSON objects of a lab's state; cheaper than stringifying both sides.
// Lets memoised nodes skip re-rendering when a refreshed state carries the same facts.

export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** `next` with every list item that equals its counterpart in `prev` replaced by the `prev` object. */
export function shareState<S extends Record<string, unknown>>(
  prev: S | null,
  next: S,
  keys: Record<string, string>,
): S {
  if (!prev) return next;
  const out: Record<string, unknown> = { ...next };
  for (const [list, idField] of Object.entries(keys)) {
    const before = prev[list];
    const after = next[list];
    if (!Array.isArray(before) || !Array.isArray(after)) continue;
    const old = new Map(before.map((item) => [(item as Record<string, unknown>)[idField], item]));
    let changed = before.length !== after.length;
    const merged = after.map((item, i) => {
      const twin = old.get((item as Record<string, unknown>)[idField]);
      const kept = twin !== undefined && same(twin, item) ? twin : item;
      if (kept !== before[i]) changed = true;
      return kept;
    });
    out[list] = changed ? merged : before;
  }
  return out as S;
}
