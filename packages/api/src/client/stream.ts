// LabStream: a lab's live WebSocket with reconnects that resume from the last seq seen ("since"),
// so callers get every event exactly once and in order, or a full state (hello / resync) instead.
import type { LabState, StoredEvent, StreamMessage } from './types.ts';

/** Must match the server's subprotocol (plugins/auth.ts). */
export const STREAM_PROTOCOL = 'ioasid-lab.v1';
/** Close code the server uses when the lab was deleted: reconnecting would be pointless. */
export const CLOSE_LAB_DELETED = 4404;

/** The browser's WebSocket constructor, or a compatible one (the `ws` package in Node 20). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

export type StreamStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StreamHandlers {
  /** A whole state: on first connect (hello), after a resync, or after a reconnect that could not resume. */
  onState?(state: LabState, reason: 'hello' | 'resync'): void;
  /** New events, gapless and in seq order. */
  onEvents?(events: StoredEvent[]): void;
  onStatus?(status: StreamStatus): void;
  onError?(error: { code: string; message: string }): void;
}

export interface StreamOptions extends StreamHandlers {
  /** Origin like "http://127.0.0.1:4100"; '' (default) means this page's origin. */
  baseUrl?: string;
  token?: string;
  WebSocket?: WebSocketConstructor;
  /** Reconnect after an unexpected close (default true), backing off up to maxBackoffMs. */
  reconnect?: boolean;
  maxBackoffMs?: number;
}

function streamUrl(baseUrl: string, lab: string): string {
  const path = `/api/v1/labs/${encodeURIComponent(lab)}/stream`;
  const origin = baseUrl || (globalThis as { location?: { origin: string } }).location?.origin || '';
  return `${origin.replace(/^http/, 'ws').replace(/\/+$/, '')}${path}`;
}

export class LabStream {
  readonly lab: string;
  #options: StreamOptions;
  #socket: WebSocket | null = null;
  #seq = -1;
  #resuming = false;
  #closed = false;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(lab: string, options: StreamOptions = {}) {
    this.lab = lab;
    this.#options = options;
    this.#connect();
  }

  /** The last seq the caller has been given (through a state or events); -1 before the first hello. */
  get seq(): number {
    return this.#seq;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#socket?.close(1000, 'client closed');
    this.#options.onStatus?.('closed');
  }

  #connect(): void {
    const Socket = this.#options.WebSocket ?? (globalThis.WebSocket as WebSocketConstructor | undefined);
    if (!Socket) throw new Error('no WebSocket implementation: pass options.WebSocket');
    const protocols = [STREAM_PROTOCOL];
    if (this.#options.token) protocols.push(`bearer.${this.#options.token}`);
    this.#options.onStatus?.(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const socket = new Socket(streamUrl(this.#options.baseUrl ?? '', this.lab), protocols);
    this.#socket = socket;
    socket.onopen = () => {
      this.#attempt = 0;
      this.#options.onStatus?.('open');
    };
    socket.onmessage = (message: MessageEvent) => {
      if (typeof message.data !== 'string') return;
      this.#receive(JSON.parse(message.data) as StreamMessage);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (this.#closed || this.#options.reconnect === false || event.code === CLOSE_LAB_DELETED) {
        this.#closed = true;
        this.#options.onStatus?.('closed');
        return;
      }
      const delay = Math.min(this.#options.maxBackoffMs ?? 5000, 250 * 2 ** this.#attempt);
      this.#attempt += 1;
      this.#options.onStatus?.('reconnecting');
      this.#timer = setTimeout(() => this.#connect(), delay);
    };
  }

  #receive(message: StreamMessage): void {
    switch (message.type) {
      case 'hello':
        if (this.#seq < 0 || message.seq === this.#seq) {
          // First connect, or nothing happened while away: nothing to resume.
          if (this.#seq < 0) {
            this.#seq = message.seq;
            this.#options.onState?.(message.state, 'hello');
          }
          return;
        }
        // Reconnected after missing events: ask for exactly those, in order.
        this.#resuming = true;
        this.#socket?.send(JSON.stringify({ type: 'since', seq: this.#seq }));
        return;
      case 'resync':
        this.#resuming = false;
        this.#seq = message.seq;
        this.#options.onState?.(message.state, 'resync');
        return;
      case 'events': {
        // Keep only the contiguous continuation of what the caller has; while resuming, live events
        // ahead of the replay are dropped here because the replay re-sends them in order.
        const fresh: StoredEvent[] = [];
        for (const event of message.events) {
          if (event.seq !== this.#seq + 1) continue;
          fresh.push(event);
          this.#seq = event.seq;
        }
        if (fresh.length > 0) {
          this.#resuming = false;
          this.#options.onEvents?.(fresh);
        } else if (!this.#resuming && (message.events[0]?.seq ?? 0) > this.#seq + 1) {
          this.#resuming = true;
          this.#socket?.send(JSON.stringify({ type: 'since', seq: this.#seq }));
        }
        return;
      }
      case 'error':
        this.#options.onError?.(message.error);
        return;
    }
  }
}
