// The snapshot interval: the store's own while a snapshot point writes little, whole multiples of it as
// the bytes grow, and never shorter than it.
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_BYTES_PER_EVENT, snapshotInterval } from './snapshot-interval.ts';

describe('snapshotInterval', () => {
  it('keeps snapshotEvery for a small state and stretches in its multiples within the byte budget', () => {
    expect(snapshotInterval(500, 0)).toBe(500);
    expect(snapshotInterval(500, 500 * SNAPSHOT_BYTES_PER_EVENT)).toBe(500);
    expect(snapshotInterval(500, 500 * SNAPSHOT_BYTES_PER_EVENT + 1)).toBe(1000);
    // 1 MB written: 4,096 events at 256 bytes each, rounded up to a multiple of 500.
    expect(snapshotInterval(500, 1 << 20, 256)).toBe(4500);
    for (const bytes of [1, 10_000, 3_000_000, 50_000_000]) {
      const interval = snapshotInterval(500, bytes);
      expect(interval % 500).toBe(0);
      expect(bytes / interval).toBeLessThanOrEqual(SNAPSHOT_BYTES_PER_EVENT);
    }
  });

  it('never stretches with an unbounded budget', () => {
    expect(snapshotInterval(10, 50_000_000, Number.POSITIVE_INFINITY)).toBe(10);
  });
});
