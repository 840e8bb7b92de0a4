// Stream clients that misbehave: one that stops reading while asking for replays again and again must not
// make the server queue without bound, a flood of control messages is cut off with 1008, and a stopping
// server ends streams with 1001 (going away), not 1005.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type TestServer, tempDir } from '../test/harness.ts';
import { killLeftovers, startMain } from '../test/main-process.ts';
import { streamUrl } from '../test/stream-reader.ts';

const HIGH_WATER = 256 * 1024;

let server: TestServer;
let latest = 0;

beforeAll(async () => {
  server = await startServer({
    stream: {
      highWaterBytes: HIGH_WATER,
      lowWaterBytes: 64 * 1024,
      maxReplay: 100_000,
      // The backpressure test sends many `since` messages on purpose; the flood test uses its own server.
      controlBurst: 10_000,
      controlPerSecond: 10_000,
    },
  });
  await server.client.createLab({ name: 'big', policy: 'iommufd', template: 'seed' });
  const vm = await server.client.createVm('big', { name: 'VM1', memory: '0x100000', devices: ['A'] });
  const ops = Array.from({ length: 3000 }, (_, i) => ({
    op: 'ioas.map' as const,
    ioas: vm.ioas,
    iova: `0x${(0x100000000 + i * 0x1000).toString(16)}`,
    length: '0x1000',
  }));
  await server.client.batch('big', ops);
  latest = (await server.client.state('big')).seq;
});
afterAll(async () => {
  await server?.close();
  killLeftovers();
});

interface Received {
  type: string;
  seq?: number;
  events?: { seq: number }[];
}

function open(url: string): Promise<{ socket: WebSocket; messages: Received[]; closed: Promise<number> }> {
  const socket = new WebSocket(url);
  const messages: Received[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as Received));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => resolve({ socket, messages, closed }));
  });
}

describe('stream backpressure', () => {
  it('a client that stops reading and asks for 60 full replays is bounded, then resynced', async () => {
    const before = server.app.streams.stats().controlMessages;
    const { socket, messages } = await open(streamUrl(server.base, 'big'));
    await vi.waitFor(() => expect(messages[0]?.type).toBe('hello'), { timeout: 10_000 });
    // Stop reading: the server's writes pile up in its socket buffer once the kernel's are full.
    socket.pause();
    // One at a time, each handled before the next is sent, so none is merged with another.
    const hub = server.app.streams;
    for (let i = 1; i <= 60; i += 1) {
      socket.send(JSON.stringify({ type: 'since', seq: 0 }));
      await vi.waitFor(
        () => {
          const stats = hub.stats();
          expect(stats.controlMessages - before).toBe(i);
          expect(stats.busy).toBe(0);
        },
        { timeout: 10_000, interval: 10 },
      );
    }
    // 60 replays of ~3,000 events would queue tens of MiB; the queue stops near the high-water mark
    // (one catch-up page past it at most).
    const stats = hub.stats();
    expect(stats.bufferedPeak).toBeLessThan(HIGH_WATER + 1024 * 1024);
    expect(stats.bufferedNow).toBeLessThan(HIGH_WATER + 1024 * 1024);

    // Once it reads again it gets what was queued, then a resync, and ends level with the lab.
    socket.resume();
    await vi.waitFor(
      () => {
        const last = messages.at(-1);
        expect(messages.some((message) => message.type === 'resync')).toBe(true);
        expect(last?.type === 'resync' ? last.seq : last?.events?.at(-1)?.seq).toBe(latest);
      },
      { timeout: 30_000, interval: 50 },
    );
    socket.close();
  });
});

describe('control-message rate limit', () => {
  it('closes a stream that floods control messages with 1008, and only that one', async () => {
    const strict = await startServer({ stream: { controlBurst: 20, controlPerSecond: 5 } });
    try {
      const calm = await open(streamUrl(strict.base, 'seed'));
      const flood = await open(streamUrl(strict.base, 'seed'));
      await vi.waitFor(() => expect(flood.messages[0]?.type).toBe('hello'));
      for (let i = 0; i < 200; i += 1) flood.socket.send(JSON.stringify({ type: 'since', seq: 0 }));
      expect(await flood.closed).toBe(1008);
      // A client within its budget is untouched.
      calm.socket.send(JSON.stringify({ type: 'since', seq: 0 }));
      await vi.waitFor(() => expect(calm.messages.length).toBeGreaterThanOrEqual(2));
      expect(calm.socket.readyState).toBe(WebSocket.OPEN);
      calm.socket.close();
    } finally {
      await strict.close();
    }
  });
});

describe('shutdown', () => {
  it('ends open streams with 1001 (going away) on SIGTERM', async () => {
    const main = await startMain(`${tempDir()}/lab.db`);
    const { messages, closed } = await open(streamUrl(main.base, 'seed'));
    await vi.waitFor(() => expect(messages[0]?.type).toBe('hello'));
    main.child.kill('SIGTERM');
    expect(await closed).toBe(1001);
  });
});
