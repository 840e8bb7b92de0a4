// Deletes across replicas on PostgreSQL: a lab deleted through one replica closes its streams on every
// other replica too, with the close code of a local delete. The deleting worker NOTIFYs
// `<replica>:<lab name>` on DELETES_CHANNEL after the delete committed; one store worker per replica
// (shard 0, or the only one) LISTENs on a connection of its own pool and tells its main thread, which
// closes the lab's streams (plugins/store.ts). A replica ignores its own notifications: its route closed
// the streams already. A notification lost (the listening connection dropped, the NOTIFY failed after the
// delete) costs latency only: every worker also checks, every SWEEP_MS, that the labs it streams exist.
import type { PgLabStore } from '@ioasid-lab/db/pg';

export const DELETES_CHANNEL = 'ioasid_lab_deleted';
/** How often a worker checks that the labs it streams still exist. */
export const SWEEP_MS = 2000;
const RECONNECT_MS = 250;

type Pool = PgLabStore['pool'];
/** What the listener uses of a connection checked out of the pool. */
interface PoolClient {
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  query(text: string): Promise<unknown>;
  release(destroy?: Error | boolean): void;
}

/** Tells the other replicas that `lab` was deleted (after the delete committed). */
export async function notifyDeleted(pool: Pool, replica: string, lab: string): Promise<void> {
  await pool.query('select pg_notify($1, $2)', [DELETES_CHANNEL, `${replica}:${lab}`]);
}

/** The labs among `names` that no longer exist. */
export async function missingLabs(pool: Pool, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const { rows } = await pool.query<{ name: string }>('select name from labs where name = any($1)', [names]);
  const present = new Set(rows.map((row) => row.name));
  return names.filter((name) => !present.has(name));
}

/** LISTENs on DELETES_CHANNEL on a connection taken from `pool` for good; reconnects when it drops. */
export class DeleteListener {
  readonly #pool: Pool;
  readonly #replica: string;
  readonly #onDeleted: (lab: string) => void;
  #client: PoolClient | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(pool: Pool, replica: string, onDeleted: (lab: string) => void) {
    this.#pool = pool;
    this.#replica = replica;
    this.#onDeleted = onDeleted;
  }

  async start(): Promise<void> {
    const client: PoolClient = await this.#pool.connect();
    client.on('notification', (message) => {
      if (this.#stopped || message.channel !== DELETES_CHANNEL || !message.payload) return;
      const colon = message.payload.indexOf(':');
      if (colon < 0 || message.payload.slice(0, colon) === this.#replica) return;
      this.#onDeleted(message.payload.slice(colon + 1));
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client));
    this.#client = client;
    try {
      await client.query(`listen ${DELETES_CHANNEL}`);
    } catch (error) {
      this.#lost(client, error);
      throw error;
    }
    if (this.#stopped) this.#drop(client);
  }

  #lost(client: PoolClient, error?: unknown): void {
    if (this.#client !== client) return;
    this.#drop(client, error);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped || this.#reconnect) return;
    this.#reconnect = setTimeout(() => {
      this.#reconnect = undefined;
      if (!this.#stopped) this.start().catch(() => this.#schedule());
    }, RECONNECT_MS);
    this.#reconnect.unref();
  }

  /** Gives the connection back to the pool destroyed: it holds a LISTEN and may be broken. */
  #drop(client: PoolClient, error?: unknown): void {
    if (this.#client === client) this.#client = undefined;
    try {
      client.release(error instanceof Error ? error : true);
    } catch {
      // released already
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#reconnect) clearTimeout(this.#reconnect);
    if (this.#client) this.#drop(this.#client);
  }
}
