// actionSpecs: prefilled names, why an action cannot run, the Map hint, and the requests they send.
import { describe, expect, it } from 'vitest';
import { actionSpecs, nextName, suggestedAction } from '../components/actions/action-specs';
import type { LabClient } from '../lib/api';
import { seedState } from './fixtures';

const spec = (title: string, sel: { kind: string; id: string } | null = null, state = seedState()) => {
  const found = actionSpecs('lab', state, sel).find((s) => s.title === title);
  if (!found) throw new Error(`no action ${title}`);
  return found;
};

/** The call a spec's request makes, recorded on a fake client. */
function sent(request: (c: LabClient) => Promise<unknown>): [string, unknown[]] {
  let call: [string, unknown[]] = ['', []];
  const client = new Proxy(
    {},
    {
      get:
        (_t, name) =>
        (...args: unknown[]) => {
          call = [String(name), args];
          return Promise.resolve();
        },
    },
  );
  void request(client as LabClient);
  return call;
}

describe('action specs', () => {
  it('names new objects: VMs from 1, units from 0, skipping taken names', () => {
    expect(nextName('VM', [], 1)).toBe('VM1');
    expect(nextName('VM', ['VM1', 'VM2'], 1)).toBe('VM3');
    expect(nextName('iommu', ['iommu0'])).toBe('iommu1');
    expect(spec('Create VM').fields.find((f) => f.name === 'name')?.value).toBe('VM3');
  });

  it('says why an action cannot run', () => {
    const empty = { ...seedState(), vms: [], ioas: [], hwpts: [], devices: [], iommus: [] };
    expect(spec('Add device', null, empty).disabledReason).toMatch(/IOMMU unit first/);
    expect(spec('Map', null, empty).disabledReason).toMatch(/Create a VM first/);
    expect(spec('Hot-plug').disabledReason).toBeNull();
    expect(spec('Unplug').disabledReason).toBeNull();
  });

  it('checks fields in plain words', () => {
    const map = spec('Map');
    const length = map.fields.find((f) => f.name === 'length');
    expect(length?.check?.('0', {})).toBe('must be more than 0');
    expect(length?.check?.('2M', {})).toBeNull();
    const boot = spec('Create VM').fields.find((f) => f.name === 'devices');
    expect(boot?.check?.('B', {})).toBeNull();
    expect(boot?.check?.('A', {})).toMatch(/no device named A/);
  });

  it('hints the leaves a Map gets', () => {
    const map = spec('Map', { kind: 'vm', id: 'VM2' });
    expect(map.hint?.({ ioas: '3', iova: '0x100000000', length: '2M' })).toBe(
      'Leaves in HWPT 4 (iommu0, 4K/2M/1G pages): 2M×1.',
    );
  });

  it('builds the request of the selection', () => {
    const unplug = spec('Unplug', { kind: 'dev', id: 'A' });
    expect(unplug.fields.find((f) => f.name === 'vm')?.options?.[0]).toBe('VM1');
    expect(sent(unplug.build({ vm: 'VM1', device: 'A' }))).toEqual(['detachDevice', ['lab', 'VM1', 'A']]);
    const map = spec('Map');
    expect(sent(map.build({ ioas: '1', iova: '4G', length: '2M', read: true, write: false }))).toEqual([
      'map',
      ['lab', 1, { iova: '0x100000000', length: '0x200000', read: true, write: false }],
    ]);
    expect(suggestedAction(seedState(), { kind: 'ioas', id: '1' })).toBe('Map');
  });
});
