// User-timing marks the speed benchmark reads: when lab data arrived and when its topology was painted.
// Marks are cheap and visible in the browser's performance panel too.

export const MARK_DATA = 'ioasid:data';
export const MARK_PAINT = 'ioasid:paint';

export function markData(seq: number): void {
  performance.mark(MARK_DATA, { detail: { seq } });
}

/** Marks the first frame after a commit of the topology, and measures it from the latest data mark. */
export function markPainted(nodes: number): void {
  requestAnimationFrame(() => {
    performance.mark(MARK_PAINT, { detail: { nodes } });
    const data = performance.getEntriesByName(MARK_DATA).at(-1);
    if (data)
      performance.measure('ioasid:data-to-paint', {
        start: data.startTime,
        end: performance.now(),
        detail: { nodes },
      });
  });
}
