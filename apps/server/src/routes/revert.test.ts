// Revert and reset: a lab returned to an earlier seq by new events; VM outcomes equal the past state's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../test/harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const outcomes = (state: { vms: { name: string; wbinvd: boolean; coherencyHazard: boolean }[] }) =>
  state.vms.map((v) => [v.name, v.wbinvd, v.coherencyHazard]);

describe('POST /labs/:lab/revert', () => {
  it('returns a changed lab to an earlier seq, appending events', async () => {
    const { client } = server;
    await client.createLab({ name: 'rv', policy: 'shared', template: 'seed-story' });
    const before = await client.state('rv');
    const vm1 = before.vms.find((v) => v.name === 'VM1');
    expect(vm1?.wbinvd).toBe(true);
    await client.replaceDevice('rv', 'VM1', 'A', { hwpt: 'new', enforceCacheCoherency: true });
    await client.map('rv', vm1?.ioas ?? 0, { iova: '0x100000000', length: '0x200000' });
    const changed = await client.state('rv');
    expect(changed.vms.find((v) => v.name === 'VM1')?.wbinvd).toBe(false);

    const result = await client.request<{ to: number; from: number; seq: number; events: number }>(
      'POST',
      '/labs/rv/revert',
      { to: before.seq },
    );
    expect(result.from).toBe(changed.seq);
    expect(result.seq).toBeGreaterThan(changed.seq);
    const after = await client.state('rv');
    expect(outcomes(after)).toEqual(outcomes(before));
    expect(after.hwpts.map((h) => [h.enforceCacheCoherency, h.devices])).toEqual(
      before.hwpts.map((h) => [h.enforceCacheCoherency, h.devices]),
    );
    expect(after.ioas.map((x) => x.areas)).toEqual(before.ioas.map((x) => x.areas));
    // Nothing was rewritten: the replace is still in the history.
    const events = await client.events('rv', { after: 0, limit: 1000 });
    expect(events.some((e) => e.op === 'device.replace')).toBe(true);
  });

  it('reset: true goes back to the end of the template', async () => {
    const { client } = server;
    await client.createLab({ name: 'rs', policy: 'shared', template: 'seed-story' });
    await client.detachDevice('rs', 'VM2', 'A2');
    await client.request('POST', '/labs/rs/revert', { reset: true });
    const state = await client.state('rs');
    expect(state.vms.find((v) => v.name === 'VM2')?.devices).toEqual(['A2']);
    expect(outcomes(state)).toEqual([
      ['VM1', true, false],
      ['VM2', false, false],
    ]);
  });

  it('refuses a seq outside the history', async () => {
    const { client } = server;
    await client.createLab({ name: 'rr', policy: 'type1', template: 'seed' });
    await expect(client.request('POST', '/labs/rr/revert', { to: 99 })).rejects.toMatchObject({
      code: 'ERANGE',
    });
  });
});
