// touchedKeys: the nodes an event's effects touched, for the flash on live updates.
import { describe, expect, it } from 'vitest';
import { nodeKey, touchedKeys } from '../lib/touched';
import type { LabEvent } from '../lib/types';

const event = (effects: Record<string, unknown>[]): LabEvent =>
  ({
    seq: 1,
    at: '2026-01-01T00:00:00.000Z',
    op: 'vm.detach',
    input: {},
    result: { ok: true },
    effects,
  }) as unknown as LabEvent;

describe('touchedKeys', () => {
  it('maps effects to node keys, both tables of a replace included', () => {
    const keys = touchedKeys([
      event([
        { type: 'device.replaced', vm: 'VM1', device: 'A', hwpt: 5, fromHwpt: 2 },
        { type: 'area.mapped', ioas: 1, iova: '0x0', length: '0x1000' },
      ]),
    ]);
    expect(keys.sort()).toEqual(['dev:A', 'hwpt:2', 'hwpt:5', 'ioas:1', 'vm:VM1']);
  });

  it('names a unit only for unit effects, and nothing for no events', () => {
    expect(touchedKeys([event([{ type: 'iommu.added', iommu: 'iommu9' }])])).toEqual([
      nodeKey('iommu', 'iommu9'),
    ]);
    expect(touchedKeys([event([{ type: 'device.added', device: 'C', iommu: 'iommu9' }])])).toEqual(['dev:C']);
    expect(touchedKeys([])).toEqual([]);
  });
});
