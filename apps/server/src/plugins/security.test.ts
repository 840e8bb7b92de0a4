// Security defaults through the API: bearer token (REST and WebSocket), rate limit, safe binding.
import { Agent, get as httpGet } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertSafeBinding, isLoopbackHost, UnsafeBindError } from '../config.ts';
import { call, type Json, startServer, type TestServer, tempDir } from '../test/harness.ts';
import { runMainToExit } from '../test/main-process.ts';
import { StreamReader, streamUrl } from '../test/stream-reader.ts';

const TOKEN = 'test-token-0123456789abcdef';

describe('bearer token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ token: TOKEN });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers 401 without a token and 403 with a wrong one, in the error shape', async () => {
    const missing = await call(server.base, 'GET', '/labs');
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({ code: 'EPERM', errno: 1 });
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await call(server.base, 'GET', '/labs', undefined, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('EPERM');
    const health = await call(server.base, 'GET', '/health');
    expect(health.status).toBe(401);
  });

  it('accepts the right token on REST, through the client too', async () => {
    const ok = await call(server.base, 'GET', '/labs', undefined, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect((await server.client.listLabs()).map((lab) => lab.name)).toContain('seed');
  });

  it('guards the WebSocket the same way (header or subprotocol)', async () => {
    const refused = new StreamReader(streamUrl(server.base, 'seed'));
    const error = await new Promise<Error>((resolve) => refused.socket.once('error', resolve));
    expect(error.message).toContain('401');

    const wrong = new StreamReader(streamUrl(server.base, 'seed'), {
      headers: { authorization: 'Bearer nope' },
    });
    expect((await new Promise<Error>((resolve) => wrong.socket.once('error', resolve))).message).toContain(
      '403',
    );

    const byHeader = new StreamReader(streamUrl(server.base, 'seed'), {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await byHeader.until(() => byHeader.messages.length > 0);
    expect(byHeader.messages[0]?.type).toBe('hello');
    await byHeader.close();

    const byProtocol = new StreamReader(streamUrl(server.base, 'seed'), {
      protocols: ['ioasid-lab.v1', `bearer.${TOKEN}`],
    });
    await byProtocol.until(() => byProtocol.messages.length > 0);
    expect(byProtocol.messages[0]?.type).toBe('hello');
    // The token is never echoed back as the chosen subprotocol.
    expect(byProtocol.socket.protocol).toBe('ioasid-lab.v1');
    await byProtocol.close();
  });
});

describe('session cookie for browsers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ token: TOKEN });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('shows a login page to a browser, guards docs and the document too', async () => {
    const page = await fetch(`${server.base}/`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('action="/api/v1/session"');
    expect((await fetch(`${server.base}/docs`)).status).toBe(401);
    expect((await call(server.base, 'GET', '/openapi.json')).status).toBe(401);
  });

  it('trades the token for an HttpOnly cookie that then works for REST and the stream', async () => {
    const wrong = await call(server.base, 'POST', '/session', { token: 'nope' });
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const form = await fetch(`${server.base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(TOKEN)}`,
      redirect: 'manual',
    });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe('/');
    const cookie = form.headers.get('set-cookie') ?? '';
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const pair = cookie.split(';')[0] as string;

    expect((await call(server.base, 'GET', '/labs', undefined, { cookie: pair })).status).toBe(200);
    expect(
      (await call(server.base, 'GET', '/labs', undefined, { cookie: 'ioasid_lab_session=bad' })).status,
    ).toBe(403);
    const reader = new StreamReader(streamUrl(server.base, 'seed'), { headers: { cookie: pair } });
    await reader.until(() => reader.messages.length > 0);
    expect(reader.messages[0]?.type).toBe('hello');
    await reader.close();
  });
});

describe('rate limit', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ rateLimit: { max: 5, windowMs: 60_000 } });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A GET over `agent`'s one keep-alive connection: on loopback, each connection is a client. */
  function get(agent: Agent, path: string): Promise<{ status: number; body: Json; retryAfter?: string }> {
    const url = new URL(server.base);
    return new Promise((resolve, reject) => {
      httpGet({ host: url.hostname, port: url.port, path: `/api/v1${path}`, agent }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text),
            retryAfter: res.headers['retry-after'] as string | undefined,
          }),
        );
      }).on('error', reject);
    });
  }

  it('answers 429 in the error shape once a client exceeds its budget', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof get>> | null = null;
      for (let i = 0; i < 7; i += 1) {
        last = await get(agent, '/labs');
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429]);
      expect(last?.body.error.code).toBe('EBUSY');
      expect(last?.retryAfter).toBeDefined();
      // Unknown routes are limited too, so probing them is no way around the budget.
      expect((await get(agent, '/no-such-route')).status).toBe(429);
    } finally {
      agent.destroy();
    }
  });

  it('on loopback one program spending its budget does not lock out another (own connection)', async () => {
    const runaway = new Agent({ keepAlive: true, maxSockets: 1 });
    const browser = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 6; i += 1) await get(runaway, '/labs');
      expect((await get(runaway, '/labs')).status).toBe(429);
      expect((await get(browser, '/labs')).status).toBe(200);
    } finally {
      runaway.destroy();
      browser.destroy();
    }
  });
});

describe('binding', () => {
  it('tells loopback from network addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com'])
      expect(isLoopbackHost(host)).toBe(false);
    expect(() => assertSafeBinding('0.0.0.0', undefined)).toThrow(UnsafeBindError);
    expect(() => assertSafeBinding('0.0.0.0', 'a-secret-of-16-chars')).not.toThrow();
    // A short token off loopback is refused (LAB_TOKEN=a was accepted once).
    expect(() => assertSafeBinding('0.0.0.0', 'a')).toThrow(/at least 16/);
    expect(() => assertSafeBinding('0.0.0.0', '0123456789abcde')).toThrow(UnsafeBindError);
    expect(() => assertSafeBinding('127.0.0.1', 'a')).not.toThrow();
  });

  it('refuses to start on a non-loopback HOST without LAB_TOKEN', async () => {
    const dir = tempDir();
    const { code, output } = await runMainToExit(join(dir, 'lab.db'), { HOST: '0.0.0.0' });
    expect(code).toBe(1);
    expect(output).toContain('refusing to listen on non-loopback HOST 0.0.0.0 without LAB_TOKEN');
    expect(output).not.toContain('LISTENING');
  });

  it('buildApp refuses the same when told its host', async () => {
    await expect(startServer({ host: '0.0.0.0', token: undefined })).rejects.toThrow(UnsafeBindError);
  });
});
