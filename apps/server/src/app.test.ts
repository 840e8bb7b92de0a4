import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';

describe('server skeleton on an ephemeral port', () => {
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    app = await buildApp();
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
  });

  it('reports health with the core ABI version', async () => {
    const response = await fetch(`${base}/api/v1/health`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ status: 'ok', core: { abi: 1 } });
    expect(typeof body.version).toBe('string');
  });

  it('answers unknown API routes with the error shape', async () => {
    const response = await fetch(`${base}/api/v1/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: 'ENOENT', errno: 2, message: 'no route GET /api/v1/nope' },
    });
  });
});
