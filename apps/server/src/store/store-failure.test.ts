// The store worker dying: the server replaces it (labs rebuilt from the file, streams fed again), and
// after too many deaths it fails closed, every call a 503 in the API error shape, never a silent loss.
import { toHex } from '@ioasid-lab/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { call, type Json, startServer, type TestServer } from '../test/harness.ts';
import { StreamReader, streamUrl } from '../test/stream-reader.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function labWithVm(s: TestServer, name: string): Promise<number> {
  expect((await call(s.base, 'POST', '/labs', { name, policy: 'iommufd', template: 'seed' })).status).toBe(
    201,
  );
  const vm = await call(s.base, 'POST', `/labs/${name}/vms`, { name: 'VM', memory: '0x100000' });
  expect(vm.status).toBe(201);
  return vm.body.ioas;
}

const map = (s: TestServer, lab: string, ioas: number, page: number) =>
  call(s.base, 'POST', `/labs/${lab}/ioas/${ioas}/map`, {
    iova: toHex(0x100000000 + page * 0x1000),
    length: '0x1000',
  });

async function untilHealthy(s: TestServer): Promise<Json> {
  for (let i = 0; i < 200; i += 1) {
    const health = await call(s.base, 'GET', '/health');
    if (health.status === 200) return health.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the store never came back');
}

describe('store worker death', () => {
  it('restarts the worker: in-flight calls answer 503 or were applied, state and streams carry on', async () => {
    server = await startServer();
    const s = server;
    const ioas = await labWithVm(s, 'phoenix');
    for (let page = 0; page < 5; page += 1) expect((await map(s, 'phoenix', ioas, page)).status).toBe(200);
    const before = await call(s.base, 'GET', '/labs/phoenix/state');
    const reader = new StreamReader(streamUrl(s.base, 'phoenix'));
    await reader.until(() => reader.messages.length > 0);

    // Requests on the wire while the worker is terminated: each is answered, applied or 503.
    const inFlight = Array.from({ length: 20 }, (_, i) => map(s, 'phoenix', ioas, 100 + i));
    await s.app.labs.worker.terminate();
    const answers = await Promise.all(inFlight);
    for (const answer of answers) {
      expect([200, 503]).toContain(answer.status);
      if (answer.status === 503) expect(answer.body.error).toMatchObject({ code: 'EIO' });
    }

    const health = await untilHealthy(s);
    expect(health.store).toEqual({ state: 'ok', restarts: 1 });
    // The rebuilt lab holds everything acknowledged, and every 200 answer is in its log.
    const after = await call(s.base, 'GET', '/labs/phoenix/state');
    expect(after.body.seq).toBeGreaterThanOrEqual(
      before.body.seq + answers.filter((a) => a.status === 200).length,
    );
    const log = await s.client.events('phoenix', { limit: 10_000 });
    for (const answer of answers.filter((a) => a.status === 200)) {
      expect(log.find((event) => event.seq === answer.body.seq)?.input).toMatchObject({
        iova: answer.body.input.iova,
      });
    }
    // Work goes on after the restart, and the open stream sees it (re-subscribed on the new worker).
    const next = await map(s, 'phoenix', ioas, 500);
    expect(next.status).toBe(200);
    expect(next.body.seq).toBe(after.body.seq + 1);
    await reader.until(() => reader.eventSeqs().includes(next.body.seq));
    // No gap on the stream either: whatever was committed around the death was fetched from the log.
    const seqs = reader.eventSeqs();
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
    await reader.close();
  });

  it('fails closed after repeated deaths: 503 in the error shape for calls and health', async () => {
    server = await startServer();
    const s = server;
    const ioas = await labWithVm(s, 'doomed');
    for (let death = 0; death < 4; death += 1) {
      await untilHealthy(s);
      await s.app.labs.worker.terminate();
    }
    await vi.waitFor(() => expect(s.app.labs.health().state).toBe('failed'), { timeout: 10_000 });
    const health = await call(s.base, 'GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body).toEqual({
      error: { code: 'EIO', errno: 5, message: 'the lab store has failed; restart the server' },
      store: { state: 'failed', restarts: 3 },
    });
    const refused = await map(s, 'doomed', ioas, 1);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('EIO');
    const listed = await call(s.base, 'GET', '/labs');
    expect(listed.status).toBe(503);
  });
});
