// Hostile input across the API: malformed JSON and URLs, router refusals, huge numbers, hostile names,
// wrong content types and charsets, coerced query strings. Every reply is in the API's error shape with
// the request id and security headers, nothing answers 5xx, and no state changes.
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../test/harness.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request: the path goes on the wire exactly as given (no URL normalisation). */
// One connection reused: on loopback each connection is its own rate-limit client.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  const url = new URL(base);
  return new Promise<Reply>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers, agent }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const tally = { requests: 0, fiveHundreds: 0 };

/** Asserts the API error shape, the hooks' headers, a 4xx status; counts the request. */
function expectApiError(reply: Reply, status?: number): { code: string; errno?: number; message: string } {
  tally.requests += 1;
  if (reply.status >= 500) tally.fiveHundreds += 1;
  if (status !== undefined) expect(reply.status, reply.body).toBe(status);
  expect(reply.status, reply.body).toBeGreaterThanOrEqual(400);
  expect(reply.status, reply.body).toBeLessThan(500);
  const parsed = JSON.parse(reply.body) as { error: { code: string; errno?: number; message: string } };
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(typeof parsed.error.code).toBe('string');
  expect(parsed.error.code).toMatch(/^E[A-Z0-9]+$/);
  expect(typeof parsed.error.message).toBe('string');
  expect(reply.headers['x-request-id']).toBeTruthy();
  expect(reply.headers['x-content-type-options']).toBe('nosniff');
  expect(reply.headers['content-security-policy']).toBeTruthy();
  return parsed.error;
}

let server: TestServer;
let ioas = 0;
let snapshot = '';

/**
 * Every lab's state. Refused ops are still events in the history (docs/api.md), so the event counts and
 * seqs may grow; what must not change is the state itself.
 */
async function everything(): Promise<string> {
  const labs = JSON.parse((await send(server.base, 'GET', '/api/v1/labs')).body) as {
    labs: { name: string; events?: number }[];
  };
  const states: unknown[] = [];
  for (const lab of labs.labs) {
    delete lab.events;
    const state = JSON.parse((await send(server.base, 'GET', `/api/v1/labs/${lab.name}/state`)).body);
    delete state.seq;
    states.push(state);
  }
  return JSON.stringify({ labs, states });
}

beforeAll(async () => {
  server = await startServer();
  await server.client.createLab({ name: 'target', policy: 'iommufd', template: 'seed' });
  ioas = (await server.client.createVm('target', { name: 'VM1', memory: '0x100000', devices: ['A'] })).ioas;
  snapshot = await everything();
});
afterAll(async () => {
  // The figures SECURITY.md quotes.
  console.log(`hostile requests: ${tally.requests}, 5xx: ${tally.fiveHundreds}`);
  agent.destroy();
  await server?.close();
});

const json = { 'content-type': 'application/json' };

describe('router refusals (frameworkErrors) in the API error shape, through every hook', () => {
  it('bad percent-encoding is 400 EINVAL with request id and security headers', async () => {
    for (const path of ['/api/v1/labs/%E0%A4%A', '/api/v1/labs/%', '/api/v1/labs/seed%zz/state', '/%c0']) {
      const error = expectApiError(await send(server.base, 'GET', path), 400);
      expect(error.code).toBe('EINVAL');
    }
    expectApiError(await send(server.base, 'POST', '/api/v1/labs/%ff%/vms', json, '{}'), 400);
  });

  it('an overlong path parameter is 414 in the error shape', async () => {
    const error = expectApiError(
      await send(server.base, 'GET', `/api/v1/labs/${'a'.repeat(201)}/state`),
      414,
    );
    expect(error.code).toBe('EINVAL');
  });

  it('router refusals still pass the auth check and the rate limit', async () => {
    const guarded = await startServer({
      token: 'hostile-suite-token-0123456789',
      rateLimit: { max: 3, windowMs: 60_000 },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const reply = await send(guarded.base, 'GET', '/api/v1/labs/%E0%A4%A');
        expectApiError(reply);
        statuses.push(reply.status);
      }
      // Unauthenticated: 401 until the budget is spent, then 429.
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await guarded.close();
    }
  });
});

describe('malformed bodies', () => {
  const bodies = [
    '{',
    '{"name":',
    '[]',
    'null',
    '"str"',
    '1',
    '{"name":"x","policy":"shared",}',
    '{"__proto__":{"admin":true},"name":"p","policy":"shared"}',
    '{"constructor":{"prototype":{"x":1}},"name":"c","policy":"shared"}',
    '\u0000\u0001',
    '{"name":"x","policy":"shared"}garbage',
    `{"name":"${'x'.repeat(5000)}","policy":"shared"}`,
    '{"name":"x","policy":"shared","template":"../../etc/passwd"}',
    '{"name":"x","policy":"nope"}',
    '{"name":["x"],"policy":"shared"}',
  ];
  it('every create-lab body that is not a valid lab is a 4xx error shape', async () => {
    for (const body of bodies) expectApiError(await send(server.base, 'POST', '/api/v1/labs', json, body));
  });

  it('map bodies with hostile numbers are refused', async () => {
    const path = `/api/v1/labs/target/ioas/${ioas}/map`;
    const numbers = [
      '"0x1ffffffffffffffff"',
      '"18446744073709551616"',
      '1e400',
      '-1',
      '"-0x1000"',
      '1.5',
      '"0x"',
      '"0xg"',
      '" 4096"',
      '"4096 "',
      'true',
      '{}',
      '[]',
      '"NaN"',
      '"Infinity"',
      '9007199254740993',
      `"0x${'f'.repeat(300)}"`,
    ];
    for (const value of numbers) {
      expectApiError(await send(server.base, 'POST', path, json, `{"iova":${value},"length":4096}`));
      expectApiError(await send(server.base, 'POST', path, json, `{"iova":"0x100000000","length":${value}}`));
    }
  });

  it('a body over 1 MiB is 413', async () => {
    expectApiError(
      await send(server.base, 'POST', '/api/v1/labs', json, `{"name":"${'x'.repeat(1_100_000)}"}`),
      413,
    );
  });
});

describe('hostile names', () => {
  const names = [
    '..',
    '.hidden',
    '-dash',
    'a'.repeat(65),
    '<script>alert(1)</script>',
    'a b',
    'ünï',
    'a%00b',
    'a\\b',
    "a'b",
    'CON',
    '%2e%2e',
    '😀',
  ];
  it('refused or not found, never created, never 5xx', async () => {
    for (const name of names) {
      const reply = await send(
        server.base,
        'POST',
        '/api/v1/labs',
        json,
        JSON.stringify({ name, policy: 'shared' }),
      );
      // CON is a valid name elsewhere; only the obviously hostile ones must be refused.
      if (name === 'CON') {
        tally.requests += 1;
        expect(reply.status).toBe(201);
        await send(server.base, 'DELETE', '/api/v1/labs/CON');
        continue;
      }
      expectApiError(reply, 400);
      expectApiError(await send(server.base, 'GET', `/api/v1/labs/${encodeURIComponent(name)}/state`));
      expectApiError(
        await send(
          server.base,
          'POST',
          '/api/v1/labs/target/vms',
          json,
          JSON.stringify({ name, memory: 4096 }),
        ),
      );
    }
  });
});

describe('content types and charsets', () => {
  it('refuses bodies that are not JSON, and non-UTF-8 charsets with 415', async () => {
    const body = JSON.stringify({ name: 'typed', policy: 'shared' });
    for (const type of [
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
    ]) {
      expectApiError(await send(server.base, 'POST', '/api/v1/labs', { 'content-type': type }, body));
    }
    for (const charset of ['utf-16', 'UTF-16LE', 'latin1', 'iso-8859-1', '""']) {
      const error = expectApiError(
        await send(
          server.base,
          'POST',
          '/api/v1/labs',
          { 'content-type': `application/json; charset=${charset}` },
          body,
        ),
        415,
      );
      expect(error.code).toBe('EINVAL');
    }
    // UTF-8 spelled either way is fine.
    const ok = await send(
      server.base,
      'POST',
      '/api/v1/labs',
      { 'content-type': 'application/json; charset=UTF-8' },
      body,
    );
    expect(ok.status).toBe(201);
    await send(server.base, 'DELETE', '/api/v1/labs/typed');
  });
});

describe('query strings', () => {
  it('numbers in the query are decimal: 0x10, 1e1, " 5" are refused, not coerced', async () => {
    for (const at of ['0x10', '1e1', '%205', '5%20', '0b1', '+5', '']) {
      expectApiError(await send(server.base, 'GET', `/api/v1/labs/target/state?at=${at}`), 400);
    }
    expect((await send(server.base, 'GET', '/api/v1/labs/target/state?at=1')).status).toBe(200);
    for (const limit of ['0x10', '1e2', '-1', '999999999999999999999']) {
      expectApiError(await send(server.base, 'GET', `/api/v1/labs/target/events?limit=${limit}`), 400);
    }
    expectApiError(await send(server.base, 'GET', `/api/v1/labs/target/hwpts/0x1`));
  });
});

describe('afterwards', () => {
  it('no state changed and nothing answered 5xx', async () => {
    expect(await everything()).toBe(snapshot);
    expect(tally.fiveHundreds).toBe(0);
    expect(tally.requests).toBeGreaterThan(100);
  });
});
