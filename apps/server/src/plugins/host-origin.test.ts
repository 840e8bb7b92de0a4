// Pages elsewhere must not read or change labs: in loopback mode only loopback Host names are served
// (DNS rebinding), a WebSocket or a state-changing request from a foreign Origin is refused, and the
// browser session cookie is an opaque id that can be revoked, never the token itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from '../test/harness.ts';
import { StreamReader, streamUrl } from '../test/stream-reader.ts';

const TOKEN = 'origin-test-token-0123456789';

/** A request with headers fetch will not let a script set (Host), over a raw HTTP request. */
async function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: { error?: { code: string } } | null }> {
  const { request } = await import('node:http');
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path: `/api/v1${path}`, headers, setHost: false },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function streamRefusal(url: string, headers: Record<string, string>): Promise<string> {
  const reader = new StreamReader(url, { headers });
  const outcome = await new Promise<string>((resolve) => {
    reader.socket.once('error', (error) => resolve(error.message));
    reader.socket.once('open', () => resolve('opened'));
  });
  await reader.close();
  return outcome;
}

describe('loopback mode', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ corsOrigins: ['http://localhost:3000'] });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses a foreign Host name (DNS rebinding) and changes nothing', async () => {
    const port = new URL(server.base).port;
    const created = await rawRequest(
      server.base,
      'POST',
      '/labs',
      { host: `evil.example:${port}`, 'content-type': 'application/json' },
      JSON.stringify({ name: 'rebound', policy: 'shared' }),
    );
    expect(created.status).toBe(403);
    expect(created.body?.error?.code).toBe('EPERM');
    const read = await rawRequest(server.base, 'GET', '/labs/seed/state', { host: `evil.example:${port}` });
    expect(read.status).toBe(403);
    expect((await call(server.base, 'GET', '/labs/rebound')).status).toBe(404);
    // Loopback names are served, with or without the port.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`]) {
      expect((await rawRequest(server.base, 'GET', '/health', { host })).status).toBe(200);
    }
  });

  it('refuses a stream opened from a foreign Origin; its own origin and LAB_CORS_ORIGIN are fine', async () => {
    const url = streamUrl(server.base, 'seed');
    expect(await streamRefusal(url, { origin: 'https://evil.example' })).toContain('403');
    expect(await streamRefusal(url, { origin: 'null' })).toContain('403');
    expect(await streamRefusal(url, { origin: new URL(server.base).origin })).toBe('opened');
    expect(await streamRefusal(url, { origin: 'http://localhost:3000' })).toBe('opened');
    // Scripts and tools send no Origin at all.
    expect(await streamRefusal(url, {})).toBe('opened');
  });

  it('refuses changes sent from a foreign Origin, allows reads', async () => {
    const foreign = { origin: 'https://evil.example' };
    const post = await call(server.base, 'POST', '/labs', { name: 'csrf', policy: 'shared' }, foreign);
    expect(post.status).toBe(403);
    expect(post.body.error.code).toBe('EPERM');
    expect((await call(server.base, 'GET', '/labs/csrf')).status).toBe(404);
    const own = await call(
      server.base,
      'POST',
      '/labs',
      { name: 'mine', policy: 'shared' },
      { origin: new URL(server.base).origin },
    );
    expect(own.status).toBe(201);
    expect((await call(server.base, 'GET', '/labs', undefined, foreign)).status).toBe(200);
    // Behind a TLS proxy the browser's origin is https on the same host: still the server's own.
    const proxied = await call(
      server.base,
      'POST',
      '/labs',
      { name: 'proxied', policy: 'shared' },
      { origin: `https://${new URL(server.base).host}` },
    );
    expect(proxied.status).toBe(201);
    const otherPort = await call(
      server.base,
      'POST',
      '/labs',
      { name: 'port', policy: 'shared' },
      { origin: 'http://127.0.0.1:1' },
    );
    expect(otherPort.status).toBe(403);
  });
});

describe('token mode session', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ token: TOKEN });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function signIn(): Promise<string> {
    const reply = await call(server.base, 'POST', '/session', { token: TOKEN });
    expect(reply.status).toBe(204);
    return (reply.headers.get('set-cookie') ?? '').split(';')[0] as string;
  }

  it('the cookie is an opaque id, not the token, and expires within a day', async () => {
    const reply = await call(server.base, 'POST', '/session', { token: TOKEN });
    const cookie = reply.headers.get('set-cookie') ?? '';
    expect(cookie).not.toContain(TOKEN);
    expect(cookie).not.toContain(encodeURIComponent(TOKEN));
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(24 * 3600);
    // The token itself in the cookie is no credential.
    const raw = await call(server.base, 'GET', '/labs', undefined, {
      cookie: `ioasid_lab_session=${encodeURIComponent(TOKEN)}`,
    });
    expect(raw.status).toBe(403);
  });

  it('a session works until it is revoked, and only that session is', async () => {
    const first = await signIn();
    const second = await signIn();
    expect(first).not.toBe(second);
    expect((await call(server.base, 'GET', '/labs', undefined, { cookie: first })).status).toBe(200);
    const out = await call(server.base, 'DELETE', '/session', undefined, { cookie: first });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await call(server.base, 'GET', '/labs', undefined, { cookie: first })).status).toBe(403);
    expect((await call(server.base, 'GET', '/labs', undefined, { cookie: second })).status).toBe(200);
  });

  it('a valid session still cannot open a stream from a foreign Origin', async () => {
    const cookie = await signIn();
    const url = streamUrl(server.base, 'seed');
    expect(await streamRefusal(url, { cookie, origin: 'https://evil.example' })).toContain('403');
    expect(await streamRefusal(url, { cookie, origin: new URL(server.base).origin })).toBe('opened');
  });
});
