// Group commit: while one group of a lab's ops is being committed by the store worker, the ops that
// arrive meanwhile wait here and then go as the next group, in arrival order, through one non-atomic
// applyBatch: one SQLite commit (one fsync) serves them all, and the slower the disk, the larger the
// groups. Every op still gets its own event; nothing is acknowledged before it is durable. A client's
// batch is its own commit already: it is sent without waiting for what was sent before it.
import type { Op } from '@ioasid-lab/core';
import type { StoredEvent } from '@ioasid-lab/db';
import { labelled } from './client-label.ts';
import type { BatchText } from './store/encoded-events.ts';
import type { RemoteLab } from './store/remote.ts';

type OpEntry = { kind: 'op'; op: Op; resolve(event: StoredEvent): void; reject(error: unknown): void };
/** A client's batch; `send` makes the call that commits it (answering events, or their text). */
type BatchEntry = {
  kind: 'batch';
  send(): Promise<void>;
};
type Entry = OpEntry | BatchEntry;

/** A lab's batches at its store worker at once: the one being committed and the next, waiting behind it. */
const MAX_IN_FLIGHT = 2;

interface LabQueue {
  entries: Entry[];
  running: boolean;
}

export class OpQueue {
  readonly #queues = new Map<string, LabQueue>();
  #groups = 0;
  #grouped = 0;
  #applyMs = 0;

  /** Applies one op after everything submitted before it for this lab; `by` is who asked (X-Lab-Client). */
  apply(lab: RemoteLab, op: Op, by: string): Promise<StoredEvent> {
    // Each op carries who asked for it, so grouped ops keep their own label.
    const tagged = labelled(op, by);
    return new Promise((resolve, reject) => this.#enqueue(lab, { kind: 'op', op: tagged, resolve, reject }));
  }

  /** Applies a client's batch as its own transaction, in order with single ops around it. */
  applyBatch(lab: RemoteLab, ops: Op[], atomic: boolean, by: string): Promise<StoredEvent[]> {
    const tagged = ops.map((op) => labelled(op, by));
    return this.#batch(lab, () => lab.applyBatch(tagged, { atomic }));
  }

  /** As applyBatch, answering the events as JSON text with their counts (the batch route sends it on). */
  applyBatchText(lab: RemoteLab, ops: Op[], atomic: boolean, by: string): Promise<BatchText> {
    const tagged = ops.map((op) => labelled(op, by));
    return this.#batch(lab, () => lab.applyBatchText(tagged, { atomic }));
  }

  #batch<T>(lab: RemoteLab, call: () => Promise<T>): Promise<T> {
    return new Promise((resolve, reject) =>
      this.#enqueue(lab, { kind: 'batch', send: () => call().then(resolve, reject) }),
    );
  }

  /** Commits made for single ops, how many ops they carried, and time from sending to answer. */
  stats(): { commits: number; ops: number; applyMs: number } {
    return { commits: this.#groups, ops: this.#grouped, applyMs: Math.round(this.#applyMs) };
  }

  #enqueue(lab: RemoteLab, entry: Entry): void {
    let queue = this.#queues.get(lab.name);
    if (!queue) {
      queue = { entries: [], running: false };
      this.#queues.set(lab.name, queue);
    }
    queue.entries.push(entry);
    if (!queue.running) {
      queue.running = true;
      // setImmediate runs after this loop turn's I/O callbacks: every request already read joins.
      setImmediate(() => void this.#drain(lab, queue));
    }
  }

  async #drain(lab: RemoteLab, queue: LabQueue): Promise<void> {
    // Batches sent and not yet answered, oldest first.
    const inFlight: Promise<void>[] = [];
    for (;;) {
      if (queue.entries.length === 0) {
        // Running until the lab's batches are answered keeps the bound below across drains.
        if (inFlight.length === 0) break;
        await inFlight.shift();
        continue;
      }
      const entries = queue.entries;
      queue.entries = [];
      let index = 0;
      while (index < entries.length) {
        const entry = entries[index] as Entry;
        if (entry.kind === 'batch') {
          // A client's batch is its own transaction: it goes behind the one the worker is committing (a
          // lab's calls are answered in the order sent), so the worker does not idle between two batches
          // while this thread hears of the first and sends the second. At most MAX_IN_FLIGHT: one lab's
          // flood cannot queue ahead of the other labs of its worker.
          if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift();
          inFlight.push(entry.send());
          index += 1;
          continue;
        }
        let end = index;
        while (end < entries.length && (entries[end] as Entry).kind === 'op') end += 1;
        await this.#applyGroup(lab, entries.slice(index, end) as OpEntry[]);
        // The group was answered after every batch sent before it.
        inFlight.length = 0;
        index = end;
      }
    }
    queue.running = false;
    if (this.#queues.get(lab.name) === queue) this.#queues.delete(lab.name);
  }

  async #applyGroup(lab: RemoteLab, group: OpEntry[]): Promise<void> {
    const started = performance.now();
    try {
      const events =
        group.length === 1
          ? [await lab.apply((group[0] as OpEntry).op)]
          : await lab.applyBatch(group.map((g) => g.op));
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
  }
}
