// The server's shell: health, OpenAPI and /docs, error shape for bad input of every kind, headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from './test/harness.ts';

describe('server shell on an ephemeral port', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('reports health with the core ABI version', async () => {
    const { status, body } = await call(server.base, 'GET', '/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', core: { abi: expect.any(Number) } });
    expect(typeof body.version).toBe('string');
  });

  it('answers unknown API routes with the error shape', async () => {
    const response = await call(server.base, 'GET', '/nope');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      error: { code: 'ENOENT', errno: 2, message: 'no route GET /api/v1/nope' },
    });
    const post = await call(server.base, 'POST', '/labs/seed/nothing', {});
    expect(post.status).toBe(404);
    expect(post.body.error.code).toBe('ENOENT');
  });

  it('serves an OpenAPI 3.1 document generated from the route schemas', async () => {
    const { status, body } = await call(server.base, 'GET', '/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const paths = Object.keys(body.paths);
    for (const path of [
      '/api/v1/labs',
      '/api/v1/labs/{lab}',
      '/api/v1/labs/{lab}/fork',
      '/api/v1/labs/{lab}/export',
      '/api/v1/labs/import',
      '/api/v1/labs/{lab}/iommus',
      '/api/v1/labs/{lab}/devices',
      '/api/v1/labs/{lab}/devices/{dev}',
      '/api/v1/labs/{lab}/vms',
      '/api/v1/labs/{lab}/vms/{vm}',
      '/api/v1/labs/{lab}/vms/{vm}/devices',
      '/api/v1/labs/{lab}/vms/{vm}/devices/{dev}',
      '/api/v1/labs/{lab}/vms/{vm}/devices/{dev}/replace',
      '/api/v1/labs/{lab}/ioas/{ioas}/map',
      '/api/v1/labs/{lab}/ioas/{ioas}/unmap',
      '/api/v1/labs/{lab}/hwpts',
      '/api/v1/labs/{lab}/hwpts/{id}',
      '/api/v1/labs/{lab}/hwpts/{id}/pagetable',
      '/api/v1/labs/{lab}/state',
      '/api/v1/labs/{lab}/events',
      '/api/v1/labs/{lab}/explain',
      '/api/v1/labs/{lab}/compare',
      '/api/v1/labs/{lab}/batch',
      '/api/v1/labs/{lab}/stream',
    ]) {
      expect(paths).toContain(path);
    }
    const mapBody =
      body.paths['/api/v1/labs/{lab}/ioas/{ioas}/map'].post.requestBody.content['application/json'].schema;
    expect(mapBody.required).toEqual(['iova', 'length']);
  });

  it('serves a browsable /docs page', async () => {
    const response = await fetch(`${server.base}/docs`, { redirect: 'follow' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('swagger');
  });

  it('sets security headers and a request id on every response, and no CORS headers', async () => {
    const response = await fetch(`${server.base}/api/v1/health`, {
      headers: { origin: 'http://evil.example' },
    });
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a body over 1 MiB with 413 and the error shape', async () => {
    const big = JSON.stringify({ name: 'x', policy: 'shared', pad: 'a'.repeat(1024 * 1024) });
    const { status, body } = await call(server.base, 'POST', '/labs', big);
    expect(status).toBe(413);
    expect(body.error.code).toBe('E2BIG');
  });

  it('answers malformed JSON, wrong content type and prototype keys with 400 EINVAL', async () => {
    const broken = await call(server.base, 'POST', '/labs', '{"name": ');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('EINVAL');

    const response = await fetch(`${server.base}/api/v1/labs`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'name=x',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('EINVAL');

    const proto = await call(
      server.base,
      'POST',
      '/labs',
      '{"name":"p1","policy":"shared","__proto__":{"x":1}}',
    );
    expect(proto.status).toBe(400);
    expect(proto.body.error.code).toBe('EINVAL');
  });

  it('validates names in bodies and paths (no path tricks, no __proto__)', async () => {
    for (const name of ['__proto__', '..', '.hidden', 'a/b', 'x'.repeat(65), '']) {
      const { status, body } = await call(server.base, 'POST', '/labs', { name, policy: 'shared' });
      expect(status, name).toBe(400);
      expect(body.error.code).toBe('EINVAL');
    }
    const path = await call(server.base, 'GET', '/labs/__proto__/state');
    expect(path.status).toBe(400);
    expect(path.body.error).toMatchObject({ code: 'EINVAL', errno: 22 });
    const encoded = await call(server.base, 'GET', '/labs/..%2F..%2Fetc/state');
    expect(encoded.status).toBe(400);
  });
});
