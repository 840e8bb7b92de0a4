// Fan-out of one lab's events to its stream clients: one encoding per batch, per-client cursors so
// nothing is skipped or repeated, resync for slow readers. Events go out at once while the stream is
// idle; while the last batch is still being written to a client that keeps up, new events wait and go
// together as the next batch, and no event waits longer than coalesceMs (50 ms).
// The store lives in a worker, so reads are async: a client being caught up is skipped by the
// flush and its catch-up loop runs until it has reached the newest event the channel has seen.

import { CLOSE_LAB_DELETED } from '@ioasid-lab/api/client';
import type { LabState, StoredEvent } from '@ioasid-lab/db';
import { type EncodedEvents, joinedJson } from '../store/encoded-events.ts';
import type { RemoteLab } from '../store/remote.ts';

/** The part of a WebSocket the hub needs (the `ws` package's WebSocket satisfies it). */
export interface StreamSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  /** `sent` runs once the data has been handed to the kernel (or the socket failed). */
  send(data: string | Buffer, options: { binary?: boolean }, sent?: (error?: Error) => void): void;
  close(code?: number, reason?: string): void;
  /** Drops the connection at once (the `ws` socket has it); used when a close frame cannot get through. */
  terminate?(): void;
}

export interface HubOptions {
  /** The longest an event waits for the previous batch's writes before it is sent anyway. */
  coalesceMs: number;
  /** Bytes queued on a socket beyond which the client is a slow consumer and gets a resync later. */
  highWaterBytes: number;
  /** A slow consumer gets its resync once its queue has drained below this. */
  lowWaterBytes: number;
  /**
   * Bytes all stream sockets together may queue: with many clients each one's high-water mark shrinks
   * to its share (never below 64 KiB), so the server's memory does not grow with the client count.
   */
  totalBufferBytes: number;
  /** A `since` further back than this many events is answered with a resync, not a replay. */
  maxReplay: number;
  /** Events per message when catching a client up from the log (each page checks backpressure first). */
  catchUpPage: number;
  /**
   * Bytes queued on a socket beyond which the client is cut off (close 1013, then dropped if the close
   * frame cannot get through): the hard per-connection bound, whatever the client asks for.
   */
  maxBufferedBytes: number;
  /** Control messages (`since`) a client may send in a burst, refilled at `controlPerSecond`. */
  controlBurst: number;
  controlPerSecond: number;
  /** How long a socket closed for misbehaviour may take to finish its close handshake. */
  closeGraceMs: number;
}

/** The most events one StoredLab.events() call returns. */
const STORE_PAGE = 10_000;
const OPEN = 1;

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  coalesceMs: 50,
  highWaterBytes: 2 * 1024 * 1024,
  lowWaterBytes: 256 * 1024,
  totalBufferBytes: 128 * 1024 * 1024,
  maxReplay: 10_000,
  catchUpPage: 1000,
  maxBufferedBytes: 16 * 1024 * 1024,
  controlBurst: 20,
  controlPerSecond: 5,
  closeGraceMs: 5000,
};

export interface StreamStats {
  clients: number;
  /** Bytes queued on all stream sockets now. */
  bufferedNow: number;
  /** The largest queue one socket reached right after a send. */
  bufferedPeak: number;
  /** Clients with a replay, resync or `since` in progress or queued. */
  busy: number;
  /** Messages received from clients since the server started. */
  controlMessages: number;
}

/** Close codes: 1008 policy violation (control-message flood), 1013 try again later (too slow). */
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_SLOW = 1013;

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
  /** The newest `since` not yet started: later ones replace it, so a flood queues one task, not many. */
  queuedSince: number | null;
  /** Control-message budget (token bucket). */
  tokens: number;
  refilledAt: number;
  /** Largest bufferedAmount seen right after a send (for tests and the load measurement). */
  peakBuffered: number;
}

/** Closes a misbehaving client, and drops it if the close handshake does not finish in time. */
function cutOff(socket: StreamSocket, code: number, reason: string, graceMs: number): void {
  if (socket.readyState !== OPEN) return;
  socket.close(code, reason);
  if (socket.terminate) {
    const timer = setTimeout(() => {
      if (socket.readyState !== 3) socket.terminate?.();
    }, graceMs);
    timer.unref?.();
  }
}

function send(client: Client, message: ServerMessage, options: HubOptions): void {
  sendRaw(client, JSON.stringify(message), options);
}

/** Sends `data` (a text frame); false when nothing was queued (socket closed, or cut off as too slow). */
function sendRaw(
  client: Client,
  data: string | Buffer,
  options: HubOptions,
  sent?: (error?: Error) => void,
): boolean {
  const socket = client.socket;
  if (socket.readyState !== OPEN) return false;
  // The hard bound: whatever happened before, never queue past maxBufferedBytes on one socket.
  if (socket.bufferedAmount + data.length > options.maxBufferedBytes) {
    cutOff(socket, CLOSE_TOO_SLOW, 'stream client too slow', options.closeGraceMs);
    return false;
  }
  socket.send(data, { binary: false }, sent);
  if (socket.bufferedAmount > client.peakBuffered) client.peakBuffered = socket.bufferedAmount;
  return true;
}

/** The writes of one flush to clients that were keeping up, and how many are not done yet. */
interface Flight {
  unsent: number;
}

/** One lab's subscribers. Subscribed to the lab only while it has clients. */
class LabChannel {
  readonly #lab: RemoteLab;
  readonly #options: HubOptions;
  readonly #clients = new Set<Client>();
  /** Commits pushed since the last flush, as the worker encoded them: sent on without parsing. */
  #pending: EncodedEvents[] = [];
  /** The longest-wait flush (coalesceMs after the last), set while a batch's writes are not done. */
  #timer: NodeJS.Timeout | null = null;
  /** The flush at the end of this loop turn, for events that arrive while the stream is idle. */
  #immediate: NodeJS.Immediate | null = null;
  #lastFlush = 0;
  /** The last flush's writes; the next flush waits for them (or for coalesceMs). */
  #flight: Flight = { unsent: 0 };
  /** Newest seq the channel has heard of (from pushed events or a state it read). */
  #latest = 0;
  #unsubscribe: (() => void) | null = null;
  #disposed = false;
  /** Joins waiting for their state: the channel must not dispose under them. */
  #joining = 0;
  readonly #onEmpty: () => void;

  /** The high-water mark now (the client's share of the total budget) and the matching low-water mark. */
  readonly #marks: () => { high: number; low: number };

  constructor(
    lab: RemoteLab,
    options: HubOptions,
    onEmpty: () => void,
    marks: () => { high: number; low: number },
  ) {
    this.#marks = marks;
    this.#lab = lab;
    this.#options = options;
    this.#onEmpty = onEmpty;
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Adds this channel's clients to `stats`. */
  addStats(stats: StreamStats): void {
    for (const client of this.#clients) {
      stats.clients += 1;
      stats.bufferedNow += client.socket.bufferedAmount;
      stats.bufferedPeak = Math.max(stats.bufferedPeak, client.peakBuffered);
      if (client.busy || client.queuedSince !== null) stats.busy += 1;
    }
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
      queuedSince: null,
      tokens: this.#options.controlBurst,
      refilledAt: Date.now(),
      peakBuffered: 0,
    };
    this.#latest = Math.max(this.#latest, state.seq);
    this.#clients.add(client);
    send(client, { type: 'hello', seq: state.seq, state }, this.#options);
    return client;
  }

  leave(client: Client): void {
    this.#clients.delete(client);
    this.#disposeIfIdle();
  }

  #disposeIfIdle(): void {
    if (this.#clients.size === 0 && this.#joining === 0 && !this.#disposed) this.#dispose();
  }

  /** Takes one control message from the client's budget; false (and the client is cut off) when spent. */
  allowControl(client: Client): boolean {
    const now = Date.now();
    const { controlBurst, controlPerSecond } = this.#options;
    client.tokens = Math.min(
      controlBurst,
      client.tokens + ((now - client.refilledAt) / 1000) * controlPerSecond,
    );
    client.refilledAt = now;
    if (client.tokens >= 1) {
      client.tokens -= 1;
      return true;
    }
    cutOff(client.socket, CLOSE_POLICY, 'too many control messages', this.#options.closeGraceMs);
    return false;
  }

  /** Resume after a reconnect: replay what the client missed, or resync when that is too much. */
  since(client: Client, requested: number): void {
    // Only the newest request matters: one that arrives while another waits replaces it.
    const alreadyQueued = client.queuedSince !== null;
    client.queuedSince = requested;
    if (alreadyQueued) return;
    this.#serially(client, async () => {
      const seq = client.queuedSince ?? requested;
      client.queuedSince = null;
      // A client that is not reading gets nothing more now: once its queue drains it gets one resync
      // (the whole state, which also answers its `since`), however many times it asked meanwhile.
      if (client.socket.bufferedAmount > this.#marks().high) {
        client.behind = true;
        this.#schedule(this.#options.coalesceMs);
        return;
      }
      const latest = await this.#lab.seq();
      if (!Number.isSafeInteger(seq) || seq < 0 || seq > latest) {
        send(
          client,
          {
            type: 'error',
            error: { code: 'ERANGE', errno: 34, message: `since ${String(seq)} is outside 0..${latest}` },
          },
          this.#options,
        );
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

  /**
   * Sends the client everything after its cursor up to the newest event the channel knows of, one page
   * at a time, and only while the socket drains: past the high-water mark the client is marked behind
   * and gets a resync (the whole state, once) when its queue has drained, instead of more pages.
   */
  async #catchUp(client: Client): Promise<void> {
    // #latest may grow while we read; loop until the client is level with it. No await sits between
    // the last check and the caller clearing `busy`, so no event can slip between the two.
    const pageSize = Math.max(1, Math.min(STORE_PAGE, this.#options.catchUpPage));
    while (client.cursor < this.#latest && client.socket.readyState === OPEN) {
      if (client.socket.bufferedAmount > this.#marks().high) {
        client.behind = true;
        this.#schedule(this.#options.coalesceMs);
        return;
      }
      const page = await this.#lab.events(client.cursor, Math.min(pageSize, this.#latest - client.cursor));
      const last = page.at(-1);
      if (!last) return;
      send(client, { type: 'events', events: page }, this.#options);
      client.cursor = last.seq;
    }
  }

  #onEvents(batch: EncodedEvents): void {
    this.#pending.push(batch);
    this.#latest = Math.max(this.#latest, batch.last);
    if (this.#flight.unsent === 0) this.#flushSoon();
    else this.#schedule(Math.max(0, this.#lastFlush + this.#options.coalesceMs - Date.now()));
  }

  /** Flushes after this loop turn: events pushed in the same turn (one worker message or several) go together. */
  #flushSoon(): void {
    if (this.#immediate || this.#disposed) return;
    this.#immediate = setImmediate(() => {
      this.#immediate = null;
      this.#flush();
    });
  }

  #schedule(wait: number): void {
    if (this.#timer || this.#disposed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#flush();
    }, wait);
  }

  /** A write of `flight` is done: when it was the flush's last, what waited meanwhile goes now. */
  #written(flight: Flight): void {
    flight.unsent -= 1;
    if (flight.unsent === 0 && flight === this.#flight && this.#pending.length > 0) this.#flushSoon();
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#lastFlush = Date.now();
    // Only the newest flush's writes are waited for: a client stuck on an older one holds nobody back.
    const flight: Flight = { unsent: 0 };
    this.#flight = flight;
    const written = () => this.#written(flight);
    const batches = this.#pending;
    this.#pending = [];
    const first = batches[0]?.first;
    const last = batches.at(-1)?.last;
    // The batches' events as one JSON array, joined once for the clients of either kind below.
    let joined: string | null = null;
    const joinedText = () => {
      joined ??= joinedJson(batches);
      return joined;
    };
    // Encoded once for every client whose cursor sits right before the batch; sent as a text frame.
    let shared: Buffer | null = null;
    let parsed: StoredEvent[] | null = null;
    let waiting = false;
    for (const client of this.#clients) {
      if (client.busy) continue;
      if (client.behind) {
        if (client.socket.bufferedAmount <= this.#marks().low) {
          this.#serially(client, () => this.#resync(client));
        } else waiting = true;
        continue;
      }
      if (client.socket.bufferedAmount > this.#marks().high) {
        // Queueing more would grow without bound; drop the backlog for this client and resync it
        // with the whole state once it has read what it already has.
        client.behind = true;
        waiting = true;
        continue;
      }
      if (first === undefined || last === undefined || client.cursor >= last) continue;
      if (client.cursor === first - 1) {
        // The same text as JSON.stringify({ type: 'events', events }) gives: the worker's encoding joined.
        shared ??= Buffer.from(`{"type":"events","events":${joinedText()}}`);
        // A client with nothing queued is keeping up: the next batch waits for this write to finish.
        // Counted before the send, so a callback can never see the count below its true value.
        const keepingUp = client.socket.bufferedAmount === 0;
        if (keepingUp) flight.unsent += 1;
        if (!sendRaw(client, shared, this.#options, keepingUp ? written : undefined) && keepingUp) {
          flight.unsent -= 1;
        }
        client.cursor = last;
      } else if (client.cursor >= first) {
        const cursor = client.cursor;
        // Parsed once a flush, however many clients sit inside the batch.
        parsed ??= JSON.parse(joinedText()) as StoredEvent[];
        const events = parsed.filter((event) => event.seq > cursor);
        send(client, { type: 'events', events }, this.#options);
        client.cursor = last;
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
    send(client, { type: 'resync', seq: state.seq, state }, this.#options);
    await this.#catchUp(client);
  }

  #dispose(): void {
    this.#disposed = true;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#immediate = null;
    this.#pending = [];
    this.#onEmpty();
  }
}

/** All labs' channels; the stream route asks it to attach sockets. */
export class StreamHub {
  readonly #channels = new Map<string, LabChannel>();
  readonly #options: HubOptions;
  #controlMessages = 0;
  #marksAt = -1;
  #cachedMarks = { high: 0, low: 0 };

  /** Each client's share of the total budget, capped by the configured marks; recomputed per flush tick. */
  #marks(): { high: number; low: number } {
    const now = Date.now();
    if (now !== this.#marksAt) {
      this.#marksAt = now;
      let clients = 0;
      for (const channel of this.#channels.values()) clients += channel.size;
      const share = Math.floor(this.#options.totalBufferBytes / Math.max(1, clients));
      const high = Math.max(64 * 1024, Math.min(this.#options.highWaterBytes, share));
      this.#cachedMarks = { high, low: Math.min(this.#options.lowWaterBytes, Math.floor(high / 4)) };
    }
    return this.#cachedMarks;
  }

  constructor(options: Partial<HubOptions> = {}) {
    this.#options = { ...DEFAULT_HUB_OPTIONS, ...options };
  }

  /** Sends hello and returns the handlers for the socket's messages and close. */
  attach(lab: RemoteLab, socket: StreamSocket): { onMessage(data: string): void; onClose(): void } {
    let channel = this.#channels.get(lab.name);
    if (!channel) {
      const created = new LabChannel(
        lab,
        this.#options,
        () => {
          if (this.#channels.get(lab.name) === created) this.#channels.delete(lab.name);
        },
        () => this.#marks(),
      );
      channel = created;
      this.#channels.set(lab.name, channel);
    }
    const owner = channel;
    const joined = owner.join(socket);
    return {
      onMessage: (data) => {
        void joined.then((client) => {
          if (!client) return;
          this.#controlMessages += 1;
          const message = parseClientMessage(data);
          // Every message, valid or not, is charged to the client's control budget.
          if (!owner.allowControl(client)) return;
          if (message === null) {
            send(
              client,
              {
                type: 'error',
                error: { code: 'EINVAL', errno: 22, message: 'expected {"type":"since","seq":N}' },
              },
              this.#options,
            );
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

  /** Streams open, bytes queued, the largest single-socket queue seen, control messages received. */
  stats(): StreamStats {
    const stats: StreamStats = {
      clients: 0,
      bufferedNow: 0,
      bufferedPeak: 0,
      busy: 0,
      controlMessages: this.#controlMessages,
    };
    for (const channel of this.#channels.values()) channel.addStats(stats);
    return stats;
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
