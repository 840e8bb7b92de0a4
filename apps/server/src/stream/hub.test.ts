// The hub against a stand-in socket whose queue and write completions the test controls: the hard
// per-socket bound (a message that would take the queue past maxBufferedBytes is not queued, and the
// client is closed with 1013 and dropped if the close handshake does not finish), and when batches go:
// at once on an idle stream, together while the previous batch is still being written.

import type { StoredEvent } from '@ioasid-lab/db';
import { describe, expect, it, vi } from 'vitest';
import { type EncodedEvents, encodeEvents } from '../store/encoded-events.ts';
import type { BatchListener, RemoteLab } from '../store/remote.ts';
import { CLOSE_TOO_SLOW, StreamHub, type StreamSocket } from './hub.ts';

class FakeSocket implements StreamSocket {
  bufferedAmount = 0;
  readyState = 1;
  sent: string[] = [];
  closedWith: number | undefined;
  terminated = false;
  /** Write completions not yet reported; `finishWrites` reports them, as the kernel taking the bytes would. */
  unfinished: ((error?: Error) => void)[] = [];
  /** When false, sent bytes stay queued (a peer that does not read). */
  drains = true;
  send(data: string | Buffer, _options: { binary?: boolean }, sent?: (error?: Error) => void): void {
    this.sent.push(data.toString());
    if (!this.drains) this.bufferedAmount += data.length;
    if (sent) this.unfinished.push(sent);
  }
  finishWrites(): void {
    const callbacks = this.unfinished;
    this.unfinished = [];
    for (const callback of callbacks) callback();
  }
  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 2;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
}

function fakeLab(
  stateBytes: number,
  onSubscribe?: (push: BatchListener) => void,
  head = { seq: 1 },
): RemoteLab {
  const state = { head, padding: 'x'.repeat(stateBytes) };
  return {
    name: 'fake',
    subscribe: (listener: BatchListener) => {
      onSubscribe?.(listener);
      return () => undefined;
    },
    // The seq the lab is at when a client joins: `head`, which a test may move.
    state: async () => ({ seq: head.seq, padding: state.padding }),
    seq: async () => head.seq,
    events: async () => [],
  } as unknown as RemoteLab;
}

describe('hard per-socket bound', () => {
  it('does not queue past maxBufferedBytes: closes with 1013, then drops the socket', async () => {
    const hub = new StreamHub({ maxBufferedBytes: 64 * 1024, closeGraceMs: 50 });
    const socket = new FakeSocket();
    socket.drains = false;
    // The peer has read nothing: 60 KiB are still queued from before.
    socket.bufferedAmount = 60 * 1024;
    hub.attach(fakeLab(10 * 1024), socket);
    await vi.waitFor(() => expect(socket.closedWith).toBe(CLOSE_TOO_SLOW));
    expect(socket.sent).toHaveLength(0);
    expect(socket.bufferedAmount).toBe(60 * 1024);
    await vi.waitFor(() => expect(socket.terminated).toBe(true));
  });

  it('sends as usual below the bound', async () => {
    const hub = new StreamHub({ maxBufferedBytes: 64 * 1024 });
    const socket = new FakeSocket();
    hub.attach(fakeLab(10 * 1024), socket);
    await vi.waitFor(() => expect(socket.sent).toHaveLength(1));
    expect(JSON.parse(socket.sent[0] as string).type).toBe('hello');
    expect(socket.closedWith).toBeUndefined();
  });
});

/** An event with seq `seq` (the hub reads only seq; the rest is carried through). */
function event(seq: number): StoredEvent {
  return { seq } as StoredEvent;
}

function eventSeqs(socket: FakeSocket): number[][] {
  return socket.sent
    .map((text) => JSON.parse(text) as { type: string; events?: { seq: number }[] })
    .filter((message) => message.type === 'events')
    .map((message) => (message.events ?? []).map((e) => e.seq));
}

describe('when batches go', () => {
  async function joined(coalesceMs: number) {
    let push: BatchListener = () => {};
    const hub = new StreamHub({ coalesceMs });
    const socket = new FakeSocket();
    hub.attach(
      fakeLab(0, (listener) => {
        push = listener;
      }),
      socket,
    );
    await vi.waitFor(() => expect(socket.sent).toHaveLength(1));
    // Each push is one commit, encoded as the store worker encodes it.
    return { socket, push: (events: StoredEvent[]) => push(encodeEvents(events) as EncodedEvents) };
  }

  it('sends an event at once on an idle stream, without waiting out the coalescing window', async () => {
    // A window of a minute: only the idle path can deliver within this test.
    const { socket, push } = await joined(60_000);
    push([event(2)]);
    await vi.waitFor(() => expect(eventSeqs(socket)).toEqual([[2]]));
    socket.finishWrites();
    push([event(3)]);
    await vi.waitFor(() => expect(eventSeqs(socket)).toEqual([[2], [3]]));
  });

  it('batches what arrives while the last batch is being written, and sends it when the write is done', async () => {
    const { socket, push } = await joined(60_000);
    push([event(2)]);
    await vi.waitFor(() => expect(eventSeqs(socket)).toEqual([[2]]));
    // The write of [2] is not done: these wait, in order, as one batch.
    push([event(3)]);
    push([event(4), event(5)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(eventSeqs(socket)).toEqual([[2]]);
    socket.finishWrites();
    await vi.waitFor(() => expect(eventSeqs(socket)).toEqual([[2], [3, 4, 5]]));
  });

  it('does not wait longer than the coalescing window for a write that never finishes', async () => {
    const { socket, push } = await joined(30);
    push([event(2)]);
    await vi.waitFor(() => expect(eventSeqs(socket)).toEqual([[2]]));
    push([event(3)]);
    // The write of [2] never reports back: [3] still goes, once the 30 ms window has passed.
    await vi.waitFor(() => expect(eventSeqs(socket)).toEqual([[2], [3]]));
  });
});

describe('a client whose cursor sits inside the pending batches', () => {
  it('gets only the events after its cursor, while a client level with the batch gets it whole', async () => {
    let push: BatchListener = () => {};
    const head = { seq: 1 };
    const lab = fakeLab(0, (listener) => (push = listener), head);
    const hub = new StreamHub({ coalesceMs: 60_000 });
    const early = new FakeSocket();
    hub.attach(lab, early);
    await vi.waitFor(() => expect(early.sent).toHaveLength(1));
    push(encodeEvents([event(2)]) as EncodedEvents);
    await vi.waitFor(() => expect(eventSeqs(early)).toEqual([[2]]));
    // The write of [2] is not done: these two commits wait as one batch.
    push(encodeEvents([event(3)]) as EncodedEvents);
    push(encodeEvents([event(4), event(5)]) as EncodedEvents);
    // A client joins having seen event 3 (the lab's state it read already held it).
    head.seq = 3;
    const late = new FakeSocket();
    hub.attach(lab, late);
    await vi.waitFor(() => expect(late.sent).toHaveLength(1));
    early.finishWrites();
    await vi.waitFor(() => expect(eventSeqs(early)).toEqual([[2], [3, 4, 5]]));
    await vi.waitFor(() => expect(eventSeqs(late)).toEqual([[4, 5]]));
  });
});
