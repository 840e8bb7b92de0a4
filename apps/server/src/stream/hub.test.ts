// The hub's hard per-socket bound, against a stand-in socket whose queue the test controls: a message
// that would take the queue past maxBufferedBytes is not queued, and the client is closed with 1013 and
// dropped if the close handshake does not finish.
import { describe, expect, it, vi } from 'vitest';
import type { RemoteLab } from '../store/remote.ts';
import { CLOSE_TOO_SLOW, StreamHub, type StreamSocket } from './hub.ts';

class FakeSocket implements StreamSocket {
  bufferedAmount = 0;
  readyState = 1;
  sent: string[] = [];
  closedWith: number | undefined;
  terminated = false;
  send(data: string | Buffer): void {
    this.sent.push(data.toString());
    this.bufferedAmount += data.length;
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

function fakeLab(stateBytes: number): RemoteLab {
  const state = { seq: 1, padding: 'x'.repeat(stateBytes) };
  return {
    name: 'fake',
    subscribe: () => () => undefined,
    state: async () => state,
    seq: async () => 1,
    events: async () => [],
  } as unknown as RemoteLab;
}

describe('hard per-socket bound', () => {
  it('does not queue past maxBufferedBytes: closes with 1013, then drops the socket', async () => {
    const hub = new StreamHub({ maxBufferedBytes: 64 * 1024, closeGraceMs: 50 });
    const socket = new FakeSocket();
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
