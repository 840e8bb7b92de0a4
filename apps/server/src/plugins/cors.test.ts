// CORS: off by default; with LAB_CORS_ORIGIN only the configured origins get CORS headers, preflights
// are answered before auth, and errors (401 included) stay readable by the allowed page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corsOriginsFromEnv } from '../config.ts';
import { startServer, type TestServer } from '../test/harness.ts';

const ALLOWED = 'http://localhost:3000';

describe('CORS off (default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    delete process.env.LAB_CORS_ORIGIN;
    server = await startServer();
  });
  afterAll(() => server.close());

  it('sends no CORS headers and does not answer preflights', async () => {
    const plain = await fetch(`${server.base}/api/v1/health`, { headers: { origin: ALLOWED } });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.base}/api/v1/labs`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(404);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS from LAB_CORS_ORIGIN', () => {
  let server: TestServer;
  const token = 'cors-secret';
  beforeAll(async () => {
    process.env.LAB_CORS_ORIGIN = `${ALLOWED}, https://lab.example`;
    try {
      server = await startServer({ token });
    } finally {
      delete process.env.LAB_CORS_ORIGIN;
    }
  });
  afterAll(() => server.close());

  it('answers a preflight from an allowed origin without a token', async () => {
    const response = await fetch(`${server.base}/api/v1/labs`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://lab.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://lab.example');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('marks answers to an allowed origin, errors included, and exposes the request id', async () => {
    const ok = await fetch(`${server.base}/api/v1/labs`, {
      headers: { origin: ALLOWED, authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(ok.headers.get('access-control-expose-headers')).toBe('x-request-id');
    const refused = await fetch(`${server.base}/api/v1/labs`, { headers: { origin: ALLOWED } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect((await refused.json()).error.code).toBeTypeOf('string');
  });

  it('gives other origins nothing: no headers, and their preflight falls to auth', async () => {
    const other = await fetch(`${server.base}/api/v1/labs`, {
      headers: { origin: 'http://evil.example', authorization: `Bearer ${token}` },
    });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.base}/api/v1/labs`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'DELETE' },
    });
    expect(preflight.status).toBe(401);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a setting that is not a list of origins', () => {
    expect(corsOriginsFromEnv('http://a.example,https://b.example:8443')).toEqual([
      'http://a.example',
      'https://b.example:8443',
    ]);
    expect(() => corsOriginsFromEnv('*')).toThrow(/LAB_CORS_ORIGIN/);
    expect(() => corsOriginsFromEnv('http://a.example/path')).toThrow(/LAB_CORS_ORIGIN/);
    expect(() => corsOriginsFromEnv('file:///etc')).toThrow(/LAB_CORS_ORIGIN/);
  });
});
