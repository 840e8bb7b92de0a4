// The leaves an IOVA range gets in a page table: greedy, largest aligned page first, as the core maps.
// Used for the Map form's hint ("2M×1 4K×16"); null when the range is not aligned to the smallest page.

/** Leaf counts by page size (largest first), or null for a misaligned or empty range. */
export function leafPlan(iova: bigint, length: bigint, pageSizes: number[]): [number, bigint][] | null {
  const sizes = [...new Set(pageSizes)].sort((a, b) => b - a).map(BigInt);
  const smallest = sizes[sizes.length - 1];
  if (!smallest || length <= 0n || iova % smallest !== 0n || length % smallest !== 0n) return null;
  const counts = new Map<bigint, bigint>();
  const end = iova + length;
  let at = iova;
  // Each pass maps one run of equal pages up to the next boundary where a larger page fits: a few passes.
  while (at < end) {
    const i = sizes.findIndex((p) => at % p === 0n && at + p <= end);
    const p = sizes[i];
    if (p === undefined) return null;
    let stop = end - ((end - at) % p);
    for (let j = i - 1; j >= 0; j--) {
      const big = sizes[j] as bigint;
      const boundary = at + big - (at % big);
      if (boundary + big <= end && boundary < stop) stop = boundary;
    }
    counts.set(p, (counts.get(p) ?? 0n) + (stop - at) / p);
    at = stop;
  }
  return sizes.filter((p) => counts.has(p)).map((p) => [Number(p), counts.get(p) as bigint]);
}
