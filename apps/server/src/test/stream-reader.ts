// A WebSocket test client that records every stream message and lets a test wait for a condition.
import { WebSocket } from 'ws';

export interface Recorded {
  type: string;
  seq?: number;
  state?: { seq: number };
  events?: { seq: number }[];
  error?: { code: string };
}

export class StreamReader {
  readonly socket: WebSocket;
  readonly messages: Recorded[] = [];
  readonly receivedAt: number[] = [];
  #waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}) {
    this.socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
    this.socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as Recorded);
      this.receivedAt.push(Date.now());
      this.#poke();
    });
    this.socket.on('close', () => this.#poke());
  }

  /** Seqs of all events received, in arrival order. */
  eventSeqs(): number[] {
    return this.messages.flatMap((message) => (message.events ?? []).map((event) => event.seq));
  }

  /** Resolves once `check` holds (re-checked on every message), or rejects after `ms`. */
  until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      this.#waiters.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  opened(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }

  #poke(): void {
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.check()) return true;
      waiter.resolve();
      return false;
    });
  }
}

/** ws://host/api/v1/labs/<lab>/stream for a test server's http base. */
export function streamUrl(base: string, lab: string): string {
  return `${base.replace(/^http/, 'ws')}/api/v1/labs/${lab}/stream`;
}
