// Fan-out of one lab's events to its stream clients: one encoding per batch, batches coalesced at
// most every 50 ms, per-client cursors so nothing is skipped or repeated, resync for slow readers.
// The store lives in a worker, so reads are async: a client being caught up is skipped by the
// flush and its catch-up loop runs until it has reached the newest event the channel has seen.
import type { LabState, StoredEvent } from '@ioasid-lab/db';
import { CLOSE_LAB_DELETED } from '../client/stream.ts';
import type { RemoteLab } from '../store/remote.ts';

/** The part of a WebSocket the hub needs (the `ws` package's WebSocket satisfies it). */
export interface StreamSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
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
const OPEN = 1;

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
  /** An async replay or resync is running for this client; flushes leave it alone meanwhile. */
  busy: boolean;
  /** Serialises this client's own requests (`since`) and catch-ups. */
  chain: Promise<void>;
}

function send(client: Client, message: ServerMessage): void {
  if (client.socket.readyState === OPEN) client.socket.send(JSON.stringify(message));
}

/** One lab's subscribers. Subscribed to the lab only while it has clients. */
class LabChannel {
  readonly #lab: RemoteLab;
  readonly #options: HubOptions;
  readonly #clients = new Set<Client>();
  #pending: StoredEvent[] = [];
  #timer: NodeJS.Timeout | null = null;
  #lastFlush = 0;
  /** Newest seq the channel has heard of (from pushed events or a state it read). */
  #latest = 0;
  #unsubscribe: (() => void) | null = null;
  #disposed = false;
  /** Joins waiting for their state: the channel must not dispose under them. */
  #joining = 0;
  readonly #onEmpty: () => void;

  constructor(lab: RemoteLab, options: HubOptions, onEmpty: () => void) {
    this.#lab = lab;
    this.#options = options;
    this.#onEmpty = onEmpty;
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Sends hello; resolves to the client, or null if the socket closed or the lab vanished meanwhile. */
  async join(socket: StreamSocket): Promise<Client | null> {
    // Subscribe before reading the state: the worker answers in order, so every event committed
    // after the state was read reaches this channel; earlier ones are dropped by the cursor.
    this.#unsubscribe ??= this.#lab.subscribe((events) => this.#onEvents(events));
    let state: LabState | null = null;
    this.#joining += 1;
    try {
      state = await this.#lab.state();
    } catch {
      // The lab was deleted between the upgrade and now.
    } finally {
      this.#joining -= 1;
    }
    if (!state || this.#disposed || socket.readyState !== OPEN) {
      if (socket.readyState === OPEN) socket.close(CLOSE_LAB_DELETED, 'lab deleted');
      this.#disposeIfIdle();
      return null;
    }
    const client: Client = {
      socket,
      cursor: state.seq,
      behind: false,
      busy: false,
      chain: Promise.resolve(),
    };
    this.#latest = Math.max(this.#latest, state.seq);
    this.#clients.add(client);
    send(client, { type: 'hello', seq: state.seq, state });
    return client;
  }

  leave(client: Client): void {
    this.#clients.delete(client);
    this.#disposeIfIdle();
  }

  #disposeIfIdle(): void {
    if (this.#clients.size === 0 && this.#joining === 0 && !this.#disposed) this.#dispose();
  }

  /** Resume after a reconnect: replay what the client missed, or resync when that is too much. */
  since(client: Client, seq: number): void {
    this.#serially(client, async () => {
      const latest = await this.#lab.seq();
      if (!Number.isSafeInteger(seq) || seq < 0 || seq > latest) {
        send(client, {
          type: 'error',
          error: { code: 'ERANGE', errno: 34, message: `since ${String(seq)} is outside 0..${latest}` },
        });
        return;
      }
      if (latest - seq > this.#options.maxReplay) {
        await this.#resync(client);
        return;
      }
      client.behind = false;
      client.cursor = seq;
      this.#latest = Math.max(this.#latest, latest);
      await this.#catchUp(client);
    });
  }

  /** Ends every client's stream (the lab was deleted or the server is stopping). */
  closeAll(code: number, reason: string): void {
    for (const client of this.#clients) client.socket.close(code, reason);
    this.#clients.clear();
    this.#dispose();
  }

  /** Runs `task` for this client after its earlier ones, with the flush keeping away meanwhile. */
  #serially(client: Client, task: () => Promise<void>): void {
    client.chain = client.chain.then(async () => {
      client.busy = true;
      try {
        await task();
      } catch {
        // The lab went away or the store closed: the socket is being closed too.
      } finally {
        client.busy = false;
      }
    });
  }

  /** Sends the client everything after its cursor up to the newest event the channel knows of. */
  async #catchUp(client: Client): Promise<void> {
    // #latest may grow while we read; loop until the client is level with it. No await sits between
    // the last check and the caller clearing `busy`, so no event can slip between the two.
    while (client.cursor < this.#latest && client.socket.readyState === OPEN) {
      const page = await this.#lab.events(client.cursor, Math.min(STORE_PAGE, this.#latest - client.cursor));
      const last = page.at(-1);
      if (!last) return;
      send(client, { type: 'events', events: page });
      client.cursor = last.seq;
    }
  }

  #onEvents(events: StoredEvent[]): void {
    const last = events.at(-1);
    if (!last) return;
    for (const event of events) this.#pending.push(event);
    this.#latest = Math.max(this.#latest, last.seq);
    this.#schedule(Math.max(0, this.#lastFlush + this.#options.coalesceMs - Date.now()));
  }

  #schedule(wait: number): void {
    if (this.#timer || this.#disposed) return;
    this.#timer = setTimeout(() => this.#flush(), wait);
  }

  #flush(): void {
    this.#timer = null;
    this.#lastFlush = Date.now();
    const batch = this.#pending;
    this.#pending = [];
    const first = batch[0];
    const last = batch.at(-1);
    // Encoded once for every client whose cursor sits right before the batch; sent as a text frame.
    let shared: Buffer | null = null;
    let waiting = false;
    for (const client of this.#clients) {
      if (client.busy) continue;
      if (client.behind) {
        if (client.socket.bufferedAmount <= this.#options.lowWaterBytes) {
          this.#serially(client, () => this.#resync(client));
        } else waiting = true;
        continue;
      }
      if (client.socket.bufferedAmount > this.#options.highWaterBytes) {
        // Queueing more would grow without bound; drop the backlog for this client and resync it
        // with the whole state once it has read what it already has.
        client.behind = true;
        waiting = true;
        continue;
      }
      if (!first || !last || client.cursor >= last.seq) continue;
      if (client.cursor === first.seq - 1) {
        shared ??= Buffer.from(JSON.stringify({ type: 'events', events: batch } satisfies ServerMessage));
        if (client.socket.readyState === OPEN) client.socket.send(shared, { binary: false });
        client.cursor = last.seq;
      } else if (client.cursor >= first.seq) {
        send(client, { type: 'events', events: batch.filter((event) => event.seq > client.cursor) });
        client.cursor = last.seq;
      } else {
        // A gap before this batch (never expected, but never skipped): fetch it from the log.
        this.#serially(client, () => this.#catchUp(client));
      }
    }
    // Slow consumers are re-checked even when the lab is quiet, so their resync is not held back.
    if (waiting || this.#pending.length > 0) this.#schedule(this.#options.coalesceMs);
  }

  async #resync(client: Client): Promise<void> {
    const state = await this.#lab.state();
    client.behind = false;
    client.cursor = state.seq;
    this.#latest = Math.max(this.#latest, state.seq);
    send(client, { type: 'resync', seq: state.seq, state });
    await this.#catchUp(client);
  }

  #dispose(): void {
    this.#disposed = true;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = [];
    this.#onEmpty();
  }
}

/** All labs' channels; the stream route asks it to attach sockets. */
export class StreamHub {
  readonly #channels = new Map<string, LabChannel>();
  readonly #options: HubOptions;

  constructor(options: Partial<HubOptions> = {}) {
    this.#options = { ...DEFAULT_HUB_OPTIONS, ...options };
  }

  /** Sends hello and returns the handlers for the socket's messages and close. */
  attach(lab: RemoteLab, socket: StreamSocket): { onMessage(data: string): void; onClose(): void } {
    let channel = this.#channels.get(lab.name);
    if (!channel) {
      const created = new LabChannel(lab, this.#options, () => {
        if (this.#channels.get(lab.name) === created) this.#channels.delete(lab.name);
      });
      channel = created;
      this.#channels.set(lab.name, channel);
    }
    const owner = channel;
    const joined = owner.join(socket);
    return {
      onMessage: (data) => {
        void joined.then((client) => {
          if (!client) return;
          const message = parseClientMessage(data);
          if (message === null) {
            send(client, {
              type: 'error',
              error: { code: 'EINVAL', errno: 22, message: 'expected {"type":"since","seq":N}' },
            });
            return;
          }
          owner.since(client, message.seq);
        });
      },
      onClose: () => {
        void joined.then((client) => client && owner.leave(client));
      },
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
