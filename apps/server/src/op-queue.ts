// Group commit: ops that arrive for one lab while the event loop is busy are applied together in
// arrival order through one non-atomic applyBatch, so one SQLite commit (one fsync) serves them all.
// Every op still gets its own event and result; nothing is acknowledged before it is durable.
import type { Op } from '@ioasid-lab/core';
import type { StoredEvent, StoredLab } from '@ioasid-lab/db';

type Entry =
  | { kind: 'op'; op: Op; resolve(event: StoredEvent): void; reject(error: unknown): void }
  | {
      kind: 'batch';
      ops: Op[];
      atomic: boolean;
      resolve(events: StoredEvent[]): void;
      reject(error: unknown): void;
    };

export class OpQueue {
  readonly #pending = new Map<StoredLab, Entry[]>();
  #groups = 0;
  #grouped = 0;
  #applyMs = 0;

  /** Applies one op after everything submitted before it for this lab. */
  apply(lab: StoredLab, op: Op): Promise<StoredEvent> {
    return new Promise((resolve, reject) => this.#enqueue(lab, { kind: 'op', op, resolve, reject }));
  }

  /** Applies a client's batch as its own transaction, in order with single ops around it. */
  applyBatch(lab: StoredLab, ops: Op[], atomic: boolean): Promise<StoredEvent[]> {
    return new Promise((resolve, reject) =>
      this.#enqueue(lab, { kind: 'batch', ops, atomic, resolve, reject }),
    );
  }

  /** Commits made for single ops, how many ops they carried, and time spent applying them. */
  stats(): { commits: number; ops: number; applyMs: number } {
    return { commits: this.#groups, ops: this.#grouped, applyMs: Math.round(this.#applyMs) };
  }

  #enqueue(lab: StoredLab, entry: Entry): void {
    const queue = this.#pending.get(lab);
    if (queue) {
      queue.push(entry);
      return;
    }
    this.#pending.set(lab, [entry]);
    // setImmediate runs after this loop turn's I/O callbacks: every request already read joins the group.
    setImmediate(() => this.#drain(lab));
  }

  #drain(lab: StoredLab): void {
    const entries = this.#pending.get(lab) ?? [];
    this.#pending.delete(lab);
    let index = 0;
    while (index < entries.length) {
      const entry = entries[index] as Entry;
      if (entry.kind === 'batch') {
        try {
          entry.resolve(lab.applyBatch(entry.ops, { atomic: entry.atomic }));
        } catch (error) {
          entry.reject(error);
        }
        index += 1;
        continue;
      }
      let end = index;
      while (end < entries.length && (entries[end] as Entry).kind === 'op') end += 1;
      const group = entries.slice(index, end) as Extract<Entry, { kind: 'op' }>[];
      const started = performance.now();
      try {
        const events =
          group.length === 1 ? [lab.apply(group[0]?.op as Op)] : lab.applyBatch(group.map((g) => g.op));
        this.#groups += 1;
        this.#grouped += group.length;
        group.forEach((g, i) => {
          const event = events[i];
          if (event) g.resolve(event);
          else g.reject(new Error('the store returned fewer events than ops'));
        });
      } catch (error) {
        for (const g of group) g.reject(error);
      }
      this.#applyMs += performance.now() - started;
      index = end;
    }
  }
}
