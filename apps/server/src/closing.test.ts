// A request that reaches the server after shutdown began (on a connection busy at that moment) gets
// 503 in the API's error shape, and the connection is closed so the shutdown can finish.

import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { expect, it, vi } from 'vitest';
import { startServer } from './test/harness.ts';

const FIRST = 'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
const SECOND_HEAD = 'GET /api/v1/labs HTTP/1.1\r\nHost: 127.0.0.1\r\n';

it('answers requests arriving during shutdown with 503 in the error shape', async () => {
  const server = await startServer();
  try {
    const url = new URL(server.base);
    // The server's side of the connection, to wait until it has read what the client wrote.
    let serverSide: Socket | undefined;
    server.app.server.once('connection', (peer: Socket) => {
      serverSide = peer;
    });
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    const ended = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(FIRST);
    await vi.waitFor(() => expect(received).toMatch(/^HTTP\/1\.1 200[\s\S]*\r\n\r\n\{.*\}$/), {
      timeout: 10_000,
    });
    // Half a request keeps the connection busy, so closing the server does not reap it as idle.
    socket.write(SECOND_HEAD);
    await vi.waitFor(() => expect(serverSide?.bytesRead).toBe(FIRST.length + SECOND_HEAD.length), {
      timeout: 10_000,
    });
    const closed = server.app.close();
    // preClose hooks (which start refusing requests) run before the listener stops.
    await vi.waitFor(() => expect(server.app.server.listening).toBe(false), { timeout: 10_000 });
    socket.write('\r\n');
    await ended;
    await closed;

    const second = received.slice(received.indexOf('HTTP/1.1', 1));
    expect(received.startsWith('HTTP/1.1 200')).toBe(true);
    expect(second.startsWith('HTTP/1.1 503')).toBe(true);
    expect(second.toLowerCase()).toContain('connection: close');
    expect(second.toLowerCase()).toContain('x-request-id:');
    const body = JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4));
    expect(body).toEqual({ error: { code: 'EBUSY', errno: 16, message: 'the server is shutting down' } });
  } finally {
    await server.close();
  }
});
