// Fan-out across replicas with PostgreSQL's LISTEN/NOTIFY: every commit NOTIFYs `<lab id>:<seq>:<name>`
// on EVENTS_CHANNEL (store.ts, inside the transaction, so it arrives after the commit and in commit
// order). A replica listening here refreshes the labs it streams, which reads the events it has not
// delivered from the table: a notification lost (a dropped connection, a restart) costs nothing but
// latency, since the next one, the reconnect, or the periodic sweep catches up from the table.
import pg from 'pg';
import type { PgLabStore } from './store.ts';
import { EVENTS_CHANNEL } from './store.ts';

export interface FanoutOptions {
  /** Refresh every streamed lab this often even without notifications (default 2,000 ms). */
  sweepMs?: number;
  /** Called when the listening connection fails (it reconnects by itself). */
  onError?: (error: unknown) => void;
}

export class PgFanout {
  readonly #url: string;
  readonly #store: PgLabStore;
  readonly #options: FanoutOptions;
  #client: pg.Client | undefined;
  #stopped = false;
  #sweep: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  /** Labs with a refresh running, and those that need another one after it. */
  readonly #running = new Set<string>();
  readonly #again = new Set<string>();
  #connected = false;

  constructor(url: string, store: PgLabStore, options: FanoutOptions = {}) {
    this.#url = url;
    this.#store = store;
    this.#options = options;
  }

  get connected(): boolean {
    return this.#connected;
  }

  async start(): Promise<void> {
    await this.#connect();
    this.#sweep = setInterval(() => this.refreshAll(), this.#options.sweepMs ?? 2000);
    this.#sweep.unref();
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    client.on('notification', (message) => {
      if (message.channel !== EVENTS_CHANNEL || !message.payload) return;
      const [, seqText, ...name] = message.payload.split(':');
      const lab = name.join(':');
      const delivered = this.#store.deliveredSeq(lab);
      if (delivered !== undefined && Number(seqText) > delivered) this.refresh(lab);
    });
    const lost = (error?: unknown) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#connected = false;
      if (error) this.#options.onError?.(error);
      client.end().catch(() => undefined);
      this.#scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.#client = client;
    await client.connect();
    await client.query(`listen ${EVENTS_CHANNEL}`);
    this.#connected = true;
    // Whatever was committed while nobody listened is in the table.
    this.refreshAll();
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnect) return;
    this.#reconnect = setTimeout(() => {
      this.#reconnect = undefined;
      if (this.#stopped) return;
      this.#connect().catch((error) => {
        this.#client?.end().catch(() => undefined);
        this.#client = undefined;
        this.#options.onError?.(error);
        this.#scheduleReconnect();
      });
    }, 250);
    this.#reconnect.unref();
  }

  /** Catches one streamed lab up from the table (coalesced: at most one running and one queued per lab). */
  refresh(lab: string): void {
    if (this.#stopped) return;
    if (this.#running.has(lab)) {
      this.#again.add(lab);
      return;
    }
    this.#running.add(lab);
    this.#store
      .refresh(lab)
      .catch((error) => this.#options.onError?.(error))
      .finally(() => {
        this.#running.delete(lab);
        if (this.#again.delete(lab)) this.refresh(lab);
      });
  }

  refreshAll(): void {
    for (const lab of this.#store.subscribed()) this.refresh(lab);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#sweep) clearInterval(this.#sweep);
    if (this.#reconnect) clearTimeout(this.#reconnect);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
