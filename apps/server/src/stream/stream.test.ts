// The WebSocket stream through a real server: hello, gapless ordered coalesced events, resume with
// `since` after a reconnect (raw and through the client library), resync of a slow consumer.

import { LabStream, type StoredEvent, type WebSocketConstructor } from '@ioasid-lab/api/client';
import { toHex } from '@ioasid-lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type TestServer } from '../test/harness.ts';
import { StreamReader, streamUrl } from '../test/stream-reader.ts';

let server: TestServer;
let ioas = 0;
const lab = 'live';

beforeAll(async () => {
  // A small high-water mark makes a paused reader a slow consumer after a few hundred KiB.
  server = await startServer({
    stream: { highWaterBytes: 64 * 1024, lowWaterBytes: 16 * 1024, maxReplay: 20_000 },
  });
  await server.client.createLab({ name: lab, policy: 'iommufd', template: 'seed' });
  ioas = (await server.client.createVm(lab, { name: 'VM1', memory: '0x100000', devices: ['A'] })).ioas;
});
afterAll(async () => {
  await server?.close();
});

let nextIova = 0x100000000;
/** `count` map ops of 4 KiB at fresh addresses, applied in batches. */
async function mapMany(count: number, perBatch = 2000): Promise<void> {
  for (let done = 0; done < count; done += perBatch) {
    const ops = Array.from({ length: Math.min(perBatch, count - done) }, () => {
      nextIova += 0x1000;
      return { op: 'ioas.map' as const, ioas, iova: toHex(nextIova), length: '0x1000' };
    });
    await server.client.batch(lab, ops);
  }
}

function expectContiguous(seqs: number[], from: number): void {
  expect(seqs.length).toBeGreaterThan(0);
  seqs.forEach((seq, index) => {
    if (seq !== from + index) throw new Error(`seq ${seq} at index ${index}, expected ${from + index}`);
  });
}

describe('stream', () => {
  it('sends hello with the full state, then every event in seq order, coalesced under load', async () => {
    const reader = new StreamReader(streamUrl(server.base, lab));
    await reader.until(() => reader.messages.length > 0);
    const hello = reader.messages[0];
    expect(hello?.type).toBe('hello');
    const start = hello?.seq ?? -1;
    expect(hello?.state?.seq).toBe(start);
    expect((hello?.state as unknown as { vms: unknown[] } | undefined)?.vms).toHaveLength(1);

    for (let i = 0; i < 40; i += 1) {
      nextIova += 0x1000;
      await server.client.map(lab, ioas, { iova: toHex(nextIova), length: 4096 });
    }
    await mapMany(500, 250);
    const end = (await server.client.getLab(lab)).events;
    await reader.until(() => reader.eventSeqs().at(-1) === end);
    expectContiguous(reader.eventSeqs(), start + 1);
    const batches = reader.messages.filter((message) => message.type === 'events').length;
    // Coalescing happened: fewer batches than events, whatever the machine's speed (500 of them were
    // sent 250 at a time).
    expect(batches).toBeLessThan(reader.eventSeqs().length);
    await reader.close();
  });

  it('resumes after a reconnect with since: no gap, no repeat', async () => {
    const first = new StreamReader(streamUrl(server.base, lab));
    await first.until(() => first.messages.length > 0);
    await mapMany(10);
    const seen = await server.client.getLab(lab).then((summary) => summary.events);
    await first.until(() => first.eventSeqs().at(-1) === seen);
    await first.close();

    await mapMany(30);
    const latest = (await server.client.getLab(lab)).events;
    const second = new StreamReader(streamUrl(server.base, lab));
    await second.until(() => second.messages.length > 0);
    expect(second.messages[0]).toMatchObject({ type: 'hello', seq: latest });
    second.send({ type: 'since', seq: seen });
    await second.until(() => second.eventSeqs().at(-1) === latest);
    await mapMany(5);
    await second.until(() => second.eventSeqs().at(-1) === latest + 5);
    expectContiguous(second.eventSeqs(), seen + 1);

    second.send({ type: 'since', seq: latest + 999 });
    await second.until(() => second.messages.some((message) => message.type === 'error'));
    expect(second.messages.find((message) => message.type === 'error')?.error?.code).toBe('ERANGE');
    await second.close();
  });

  it('the client library reconnects by itself and hands over every event exactly once', async () => {
    const received: StoredEvent[] = [];
    let states = 0;
    const stream = new LabStream(lab, {
      baseUrl: server.base,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      maxBackoffMs: 100,
      onState: () => {
        states += 1;
      },
      onEvents: (events) => received.push(...events),
    });
    const waitFor = async (check: () => boolean) => {
      for (let i = 0; i < 400 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(check()).toBe(true);
    };
    await waitFor(() => stream.seq >= 0);
    const start = stream.seq;
    await mapMany(20);
    await waitFor(() => stream.seq === start + 20);
    // Drop every server-side socket of this lab: the client must notice, reconnect and resume.
    server.app.websocketServer.clients.forEach((socket: WebSocket) => {
      socket.terminate();
    });
    await mapMany(30);
    await waitFor(() => stream.seq === start + 50);
    stream.close();
    expectContiguous(
      received.map((event) => event.seq),
      start + 1,
    );
    expect(states).toBe(1);
  });

  it('gives a slow consumer a resync instead of an unbounded queue', async () => {
    const slow = new StreamReader(streamUrl(server.base, lab));
    await slow.until(() => slow.messages.length > 0);
    // Stop reading: the kernel buffers fill, then the server-side queue passes the high-water mark.
    (slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    await mapMany(30_000);
    (slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.resume();
    await slow.until(() => slow.messages.some((message) => message.type === 'resync'), 20_000, 'resync');
    const resync = slow.messages.find((message) => message.type === 'resync');
    expect(resync?.state?.seq).toBe(resync?.seq);
    await mapMany(3);
    const latest = (await server.client.getLab(lab)).events;
    await slow.until(() => slow.eventSeqs().at(-1) === latest);
    // After the resync, events continue from the resync's seq without a gap.
    const index = slow.messages.indexOf(resync as never);
    const after = slow.messages
      .slice(index + 1)
      .flatMap((message) => (message.events ?? []).map((event) => event.seq));
    expectContiguous(after, (resync?.seq ?? 0) + 1);
    // The backlog it skipped was never all queued: far fewer events were delivered than were made.
    expect(slow.eventSeqs().length).toBeLessThan(30_000);
    await slow.close();
  });

  it('replays a long absence across store pages, and resyncs one longer than maxReplay', async () => {
    await mapMany(16_000);
    const latest = (await server.client.getLab(lab)).events;
    const reader = new StreamReader(streamUrl(server.base, lab));
    await reader.until(() => reader.messages.length > 0);
    reader.send({ type: 'since', seq: latest - 15_000 });
    await reader.until(() => reader.eventSeqs().at(-1) === latest);
    expectContiguous(reader.eventSeqs(), latest - 14_999);
    reader.send({ type: 'since', seq: latest - 25_000 });
    await reader.until(() => reader.messages.some((message) => message.type === 'resync'));
    expect(reader.messages.find((message) => message.type === 'resync')?.seq).toBe(latest);
    await reader.close();
  });

  it('refuses unknown labs before the upgrade and closes streams of a deleted lab', async () => {
    const ghost = new StreamReader(streamUrl(server.base, 'ghost'));
    const error = await new Promise<Error>((resolve) => ghost.socket.once('error', resolve));
    expect(error.message).toContain('404');

    await server.client.createLab({ name: 'doomed', policy: 'shared' });
    const reader = new StreamReader(streamUrl(server.base, 'doomed'));
    await reader.until(() => reader.messages.length > 0);
    const statuses: string[] = [];
    const stream = new LabStream('doomed', {
      baseUrl: server.base,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      onStatus: (status) => statuses.push(status),
    });
    for (let i = 0; i < 200 && stream.seq < 0; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const closed = new Promise<number>((resolve) => reader.socket.once('close', (code) => resolve(code)));
    await server.client.deleteLab('doomed');
    expect(await closed).toBe(4404);
    // The client library stops instead of reconnecting to a lab that is gone.
    for (let i = 0; i < 200 && statuses.at(-1) !== 'closed'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(statuses).toEqual(['connecting', 'open', 'closed']);
  });
});
