// Who made a change: X-Lab-Client is kept per event and reported as `client`; exports leave it out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientLabel } from './client-label.ts';
import { startServer, type TestServer } from './test/harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const post = (path: string, body: unknown, client?: string) =>
  fetch(`${server.base}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(client ? { 'x-lab-client': client } : {}) },
    body: JSON.stringify(body),
  });

describe('X-Lab-Client', () => {
  it('labels each event with the client that asked, "api" by default', async () => {
    await server.client.createLab({ name: 'who', policy: 'shared', template: 'seed' });
    expect((await post('/labs/who/vms', { name: 'VM1', devices: ['A'] }, 'notebook-7')).status).toBe(201);
    expect((await post('/labs/who/vms', { name: 'VM2', devices: ['A2'] })).status).toBe(201);
    const events = await server.client.events('who', { after: 0, limit: 100 });
    const created = events.filter((e) => e.op === 'vm.create');
    expect(created.map((e) => e.client)).toEqual(['notebook-7', 'api']);
    expect(created.every((e) => !('by' in e.input))).toBe(true);
    // Template events were made by no request.
    expect(events[0]?.client).toBeUndefined();
  });

  it('keeps the label out of exports, which import again', async () => {
    const exported = await server.client.exportLab('who');
    expect(JSON.stringify(exported)).not.toContain('notebook-7');
    await server.client.importLab({ name: 'who-copy', export: exported });
    const copy = await server.client.state('who-copy');
    expect(copy.vms.map((v) => v.name)).toEqual(['VM1', 'VM2']);
  });

  it('accepts printable labels up to 64 characters only', () => {
    expect(clientLabel(' web ')).toBe('web');
    expect(clientLabel(undefined)).toBe('api');
    expect(clientLabel('x'.repeat(65))).toBe('api');
    expect(clientLabel('bad\u0001')).toBe('api');
  });
});
