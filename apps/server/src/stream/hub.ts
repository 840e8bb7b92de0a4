// Fan-out of one lab's events to its stream clients: one serialisation per batch, batches coalesced
// at most every 50 ms, per-client cursors so nothing is skipped or repeated, resync for slow readers.
import type { LabState, StoredEvent, StoredLab } from '@ioasid-lab/db';
import { CLOSE_LAB_DELETED } from '../client/stream.ts';

/** The part of a WebSocket the hub needs (the `ws` package's WebSocket satisfies it). */
export interface StreamSocket {
  readonly bufferedAmount: number;
  send(data: string | Buffer, options?: { binary?: boolean }): void;
  close(code?: number, reason?: string): void;
}

export interface HubOptions {
  /** Minimum gap between two `events` messages to one client. */
  coalesceMs: number;
  /** Bytes queued on a socket beyond which the client is a slow consumer and gets a resync later. */
  highWaterBytes: number;
  /** A slow consumer gets its resync once its queue has drained below this. */
  lowWaterBytes: number;
  /** A `since` further back than this many events is answered with a resync, not a replay. */
  maxReplay: number;
}

/** The most events one StoredLab.events() call returns. */
const STORE_PAGE = 10_000;

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  coalesceMs: 50,
  highWaterBytes: 4 * 1024 * 1024,
  lowWaterBytes: 256 * 1024,
  maxReplay: 10_000,
};

export type ServerMessage =
  | { type: 'hello'; seq: number; state: LabState }
  | { type: 'events'; events: StoredEvent[] }
  | { type: 'resync'; seq: number; state: LabState }
  | { type: 'error'; error: { code: string; errno?: number; message: string } };

interface Client {
  socket: StreamSocket;
  /** Last seq this client has been sent (or told about through a hello/resync state). */
  cursor: number;
  /** Set when the client fell behind: no events until it has been sent a resync. */
  behind: boolean;
}

/** One lab's subscribers. Subscribed to the lab only while it has clients. */
class LabChannel {
  readonly #lab: StoredLab;
  readonly #options: HubOptions;
  readonly #clients = new Set<Client>();
  #pending: StoredEvent[] = [];
  #timer: NodeJS.Timeout | null = null;
  #lastFlush = 0;
  #unsubscribe: (() => void) | null = null;
  readonly #onEmpty: () => void;

  constructor(lab: StoredLab, options: HubOptions, onEmpty: () => void) {
    this.#lab = lab;
    this.#options = options;
    this.#onEmpty = onEmpty;
  }

  get size(): number {
    return this.#clients.size;
  }

  join(socket: StreamSocket): Client {
    if (!this.#unsubscribe) this.#unsubscribe = this.#lab.subscribe((events) => this.#onEvents(events));
    const state = this.#lab.state();
    const client: Client = { socket, cursor: state.seq, behind: false };
    this.#clients.add(client);
    socket.send(JSON.stringify({ type: 'hello', seq: state.seq, state } satisfies ServerMessage));
    return client;
  }

  leave(client: Client): void {
    this.#clients.delete(client);
    if (this.#clients.size === 0) this.#dispose();
  }

  /** Resume after a reconnect: replay what the client missed, or resync when that is too much. */
  since(client: Client, seq: number): void {
    const latest = this.#lab.seq;
    if (!Number.isSafeInteger(seq) || seq < 0 || seq > latest) {
      send(client, {
        type: 'error',
        error: { code: 'ERANGE', errno: 34, message: `since ${String(seq)} is outside 0..${latest}` },
      });
      return;
    }
    if (latest - seq > this.#options.maxReplay) {
      this.#resync(client);
      return;
    }
    client.behind = false;
    client.cursor = seq;
    // The store commits before it notifies, so this read already holds anything still pending here;
    // the flush filters those out by cursor.
    const missed = this.#eventsBetween(seq, latest);
    if (missed.length > 0) {
      send(client, { type: 'events', events: missed });
      client.cursor = (missed.at(-1) as StoredEvent).seq;
    }
  }

  /** Ends every client's stream (the lab was deleted or the server is stopping). */
  closeAll(code: number, reason: string): void {
    for (const client of this.#clients) client.socket.close(code, reason);
    this.#clients.clear();
    this.#dispose();
  }

  #onEvents(events: StoredEvent[]): void {
    for (const event of events) this.#pending.push(event);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastFlush + this.#options.coalesceMs - Date.now());
    this.#timer = setTimeout(() => this.#flush(), wait);
  }

  #flush(): void {
    this.#timer = null;
    this.#lastFlush = Date.now();
    const batch = this.#pending;
    this.#pending = [];
    // Encoded once for every client whose cursor sits right before the batch; sent as a text frame.
    let shared: Buffer | null = null;
    let waiting = false;
    for (const client of this.#clients) {
      if (client.behind) {
        if (client.socket.bufferedAmount <= this.#options.lowWaterBytes) this.#resync(client);
        else waiting = true;
        continue;
      }
      if (client.socket.bufferedAmount > this.#options.highWaterBytes) {
        // Queueing more would grow without bound; drop the backlog for this client and resync it
        // with the whole state once it has read what it already has.
        client.behind = true;
        waiting = true;
        continue;
      }
      const first = batch[0];
      if (!first) continue;
      if (client.cursor === first.seq - 1) {
        shared ??= Buffer.from(JSON.stringify({ type: 'events', events: batch } satisfies ServerMessage));
        client.socket.send(shared, { binary: false });
        client.cursor = (batch.at(-1) as StoredEvent).seq;
      } else {
        this.#deliverFrom(client, batch);
      }
    }
    // Slow consumers are re-checked even when the lab is quiet, so their resync is not held back.
    if (waiting || this.#pending.length > 0) this.#schedule();
  }

  /** A client whose cursor is not just before the batch (after `since`): send only what it lacks. */
  #deliverFrom(client: Client, batch: StoredEvent[]): void {
    const first = batch[0] as StoredEvent;
    let events = batch.filter((event) => event.seq > client.cursor);
    if (client.cursor < first.seq - 1) {
      // Never skip: fetch the gap from the log (bounded, else the client resyncs).
      const gap = first.seq - 1 - client.cursor;
      if (gap > this.#options.maxReplay) {
        this.#resync(client);
        return;
      }
      events = [...this.#eventsBetween(client.cursor, first.seq - 1), ...batch];
    }
    if (events.length === 0) return;
    send(client, { type: 'events', events });
    client.cursor = (events.at(-1) as StoredEvent).seq;
  }

  /** Events (after, upTo] from the log, read in the store's page size. */
  #eventsBetween(after: number, upTo: number): StoredEvent[] {
    const events: StoredEvent[] = [];
    for (let cursor = after; cursor < upTo; ) {
      const page = this.#lab.events(cursor, Math.min(STORE_PAGE, upTo - cursor));
      const last = page.at(-1);
      if (!last) break;
      events.push(...page);
      cursor = last.seq;
    }
    return events;
  }

  #resync(client: Client): void {
    const state = this.#lab.state();
    client.behind = false;
    client.cursor = state.seq;
    send(client, { type: 'resync', seq: state.seq, state });
  }

  #dispose(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = [];
    this.#onEmpty();
  }
}

function send(client: Client, message: ServerMessage): void {
  client.socket.send(JSON.stringify(message));
}

/** All labs' channels; the stream route asks it to attach sockets. */
export class StreamHub {
  readonly #channels = new Map<string, LabChannel>();
  readonly #options: HubOptions;

  constructor(options: Partial<HubOptions> = {}) {
    this.#options = { ...DEFAULT_HUB_OPTIONS, ...options };
  }

  /** Sends hello and returns the handlers for the socket's messages and close. */
  attach(lab: StoredLab, socket: StreamSocket): { onMessage(data: string): void; onClose(): void } {
    let channel = this.#channels.get(lab.name);
    if (!channel) {
      const created = new LabChannel(lab, this.#options, () => {
        if (this.#channels.get(lab.name) === created) this.#channels.delete(lab.name);
      });
      channel = created;
      this.#channels.set(lab.name, channel);
    }
    const owner = channel;
    const client = owner.join(socket);
    return {
      onMessage: (data) => {
        const message = parseClientMessage(data);
        if (message === null) {
          send(client, {
            type: 'error',
            error: { code: 'EINVAL', errno: 22, message: 'expected {"type":"since","seq":N}' },
          });
          return;
        }
        owner.since(client, message.seq);
      },
      onClose: () => owner.leave(client),
    };
  }

  /** Closes the streams of a lab that no longer exists. */
  closeLab(name: string): void {
    this.#channels.get(name)?.closeAll(CLOSE_LAB_DELETED, 'lab deleted');
  }

  closeAll(): void {
    for (const channel of [...this.#channels.values()]) channel.closeAll(1001, 'server stopping');
  }

  clientCount(name: string): number {
    return this.#channels.get(name)?.size ?? 0;
  }
}

function parseClientMessage(data: string): { type: 'since'; seq: number } | null {
  if (data.length > 4096) return null;
  try {
    const message = JSON.parse(data) as { type?: unknown; seq?: unknown };
    if (message?.type === 'since' && typeof message.seq === 'number')
      return { type: 'since', seq: message.seq };
  } catch {
    // fall through: not JSON
  }
  return null;
}
