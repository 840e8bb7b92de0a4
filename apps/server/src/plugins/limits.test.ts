// Connections and requests are bounded: a slow or half-sent request is answered 408 and closed, an idle
// keep-alive connection is closed, and connections over the caps (overall, per client address) get a
// 503 in the API's error shape at once instead of hanging or eating file descriptors.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { call, startServer, type TestServer } from '../test/harness.ts';

let server: TestServer | undefined;
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.length = 0;
  await server?.close();
  server = undefined;
});

const sockets: Socket[] = [];

/** A raw connection recording what the server sends and when it closes. */
async function raw(base: string): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname);
  sockets.push(socket);
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => received, closed };
}

function bodyOf(reply: string): { error: { code: string; message: string } } {
  return JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
}

describe('timeouts', () => {
  it('answers a request whose body never finishes with 408 in the error shape and closes it', async () => {
    server = await startServer({ limits: { requestTimeoutMs: 1500, headersTimeoutMs: 1000 } });
    const slow = await raw(server.base);
    slow.socket.write(
      'POST /api/v1/labs HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"na',
    );
    await slow.closed;
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(slow.received()).error.code).toBe('EBUSY');
    // Nothing was created from the half request.
    expect((await server.client.listLabs()).map((lab) => lab.name)).toEqual(['seed']);
  });

  it('closes a connection whose headers never finish', async () => {
    server = await startServer({ limits: { requestTimeoutMs: 1500, headersTimeoutMs: 1000 } });
    const slow = await raw(server.base);
    slow.socket.write('GET /api/v1/labs HTTP/1.1\r\nHost: 127.0.0.1\r\nx-slow: ');
    await slow.closed;
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('connection caps', () => {
  it('answers 503 EBUSY at once past the overall cap, and serves again once a connection closes', async () => {
    server = await startServer({ limits: { maxConnections: 4, maxPerClient: 100 } });
    const held = [];
    for (let i = 0; i < 4; i += 1) held.push(await raw(server.base));
    const over = await raw(server.base);
    await over.closed;
    expect(over.received()).toMatch(/^HTTP\/1\.1 503 /);
    expect(over.received().toLowerCase()).toContain('retry-after: 1');
    expect(bodyOf(over.received()).error).toMatchObject({ code: 'EBUSY', errno: 16 });
    expect(bodyOf(over.received()).error.message).toContain('open connections');

    held[0]?.socket.destroy();
    const s = server;
    await vi.waitFor(async () => expect((await call(s.base, 'GET', '/health')).status).toBe(200), {
      timeout: 10_000,
    });
  });

  it('caps connections per client address too', async () => {
    server = await startServer({ limits: { maxConnections: 100, maxPerClient: 3 } });
    for (let i = 0; i < 3; i += 1) await raw(server.base);
    const over = await raw(server.base);
    await over.closed;
    expect(over.received()).toMatch(/^HTTP\/1\.1 503 /);
    expect(bodyOf(over.received()).error.message).toContain('per-client');
  });
});
