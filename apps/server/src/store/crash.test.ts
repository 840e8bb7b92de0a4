// Crash recovery of the real process: SIGKILL main.ts under concurrent durable load on two labs, restart
// on the same file, and check every acknowledged answer against the log, and that no batch is partial.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '@ioasid-lab/core';
import { describe, expect, it } from 'vitest';
import { call, type Json, startServer, tempDir } from '../test/harness.ts';
import { killLeftovers, startMain } from '../test/main-process.ts';

/** What an answer promised: the event at `seq` of `lab` has this op, input IOVA and outcome. */
interface Ack {
  lab: string;
  seq: number;
  op: string;
  iova: string;
  ok: boolean;
  code?: string;
}

/** A batch's own IOVA range: after recovery, its maps in the range are all in the log or none is. */
interface BatchRange {
  lab: string;
  first: bigint;
  pages: number;
}

const PAGE = 0x1000n;
const LABS = ['crash-a', 'crash-b'];
const LOOPS = 24;
const KILL_AFTER_ACKS = 700;

/** The Ack an event of `lab` stands for: what the answer said and what the log must hold. */
const ackOf = (lab: string, event: Json): Ack => ({
  lab,
  seq: event.seq,
  op: event.op,
  iova: event.input.iova,
  ok: event.result.ok,
  ...(event.result.ok ? {} : { code: event.result.code }),
});

const mapOp = (ioas: number, iova: bigint) => ({ op: 'ioas.map', ioas, iova: toHex(iova), length: '0x1000' });

describe('SIGKILL under load', () => {
  it('loses no acknowledged event and leaves no batch half-applied', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'lab.db');
    try {
      const main = await startMain(dbPath);
      const ioasOf = new Map<string, number>();
      for (const lab of LABS) {
        expect(
          (await call(main.base, 'POST', '/labs', { name: lab, policy: 'iommufd', template: 'seed' })).status,
        ).toBe(201);
        const vm = await call(main.base, 'POST', `/labs/${lab}/vms`, { name: 'VM', memory: '0x100000' });
        expect(vm.status).toBe(201);
        ioasOf.set(lab, vm.body.ioas);
      }

      const acks: Ack[] = [];
      const batches: BatchRange[] = [];
      let nextPage = 0x100000n;
      // Every map gets IOVA pages nobody else uses, with a gap, so ranges never touch.
      const allocate = (pages: number) => {
        const first = nextPage * PAGE;
        nextPage += BigInt(pages + 1);
        return first;
      };
      // The loops never stop on their own: each one writes until a request of its own fails, which can
      // only happen once the server is dead. So the kill always lands while every loop has a request
      // on the wire, whatever the machine's speed, and every loop ends with exactly one unanswered request.
      let killSent = false;
      let inFlight = 0;
      let unanswered = 0;
      let failure: unknown;
      let reachedKillPoint: () => void = () => {};
      const killPoint = new Promise<void>((resolve) => {
        reachedKillPoint = resolve;
      });
      const ackEvent = (lab: string, event: Json) => acks.push(ackOf(lab, event));
      // A map refused with EEXIST is acknowledged by its error's seq, which must be in the log too.
      const ackRefusedMap = (lab: string, seq: number, iova: bigint) =>
        acks.push({ lab, seq, op: 'ioas.map', iova: toHex(iova), ok: false, code: 'EEXIST' });

      // One loop = one client doing one request at a time; its own mapped pages are its to unmap.
      const loop = async (index: number) => {
        const lab = LABS[index % LABS.length] as string;
        const ioas = ioasOf.get(lab) as number;
        const mine: bigint[] = [];
        for (let step = 0; ; step += 1) {
          const kind = step % 6;
          if (acks.length >= KILL_AFTER_ACKS) reachedKillPoint();
          inFlight += 1;
          try {
            if (kind === 3 && mine.length > 0) {
              const iova = mine.shift() as bigint;
              const r = await call(main.base, 'POST', `/labs/${lab}/ioas/${ioas}/unmap`, {
                iova: toHex(iova),
                length: '0x1000',
              });
              expect(r.status).toBe(200);
              ackEvent(lab, r.body);
            } else if (kind === 4) {
              // Non-atomic batch of fresh maps: all of them apply, in one transaction.
              const first = allocate(8);
              batches.push({ lab, first, pages: 8 });
              const ops = Array.from({ length: 8 }, (_, i) => mapOp(ioas, first + BigInt(i) * PAGE));
              const r = await call(main.base, 'POST', `/labs/${lab}/batch`, { ops });
              expect(r.status).toBe(200);
              for (const event of r.body.events) ackEvent(lab, event);
            } else if (kind === 5) {
              // Atomic batch; every other one ends on a page still mapped, so it is refused whole.
              const first = allocate(6);
              batches.push({ lab, first, pages: 6 });
              const ops = Array.from({ length: 6 }, (_, i) => mapOp(ioas, first + BigInt(i) * PAGE));
              const clash = mine.length > 0 && step % 12 === 5 ? mine[0] : undefined;
              if (clash !== undefined) ops.push(mapOp(ioas, clash));
              const r = await call(main.base, 'POST', `/labs/${lab}/batch`, { ops, atomic: true });
              if (clash === undefined) {
                expect(r.status).toBe(200);
                for (const event of r.body.events) ackEvent(lab, event);
              } else {
                expect(r.status).toBe(409);
                ackRefusedMap(lab, r.body.error.seq, clash);
              }
            } else if (kind === 2 && mine.length > 0) {
              // A refused single op is durable too: the refusal's seq must be in the log.
              const clash = mine[0] as bigint;
              const r = await call(main.base, 'POST', `/labs/${lab}/ioas/${ioas}/map`, {
                iova: toHex(clash),
                length: '0x1000',
              });
              expect(r.status).toBe(409);
              ackRefusedMap(lab, r.body.error.seq, clash);
            } else {
              const iova = allocate(1);
              const r = await call(main.base, 'POST', `/labs/${lab}/ioas/${ioas}/map`, {
                iova: toHex(iova),
                length: '0x1000',
              });
              expect(r.status).toBe(200);
              ackEvent(lab, r.body);
              mine.push(iova);
            }
          } catch (error) {
            // After the kill, requests fail with connection errors: not acknowledged, nothing promised.
            // Before it, any failure is the test's failure, and it ends the wait for the kill point.
            if (!killSent) {
              failure ??= error;
              reachedKillPoint();
            } else unanswered += 1;
            return;
          } finally {
            inFlight -= 1;
          }
        }
      };

      const exited = new Promise((resolve) => main.child.once('exit', resolve));
      const loops = Array.from({ length: LOOPS }, (_, i) => loop(i));
      await killPoint;
      if (failure !== undefined) {
        main.child.kill('SIGKILL');
        await Promise.all(loops).catch(() => {});
        throw failure;
      }
      // Requests that were on the wire when the signal went out (answers already written by the server
      // may still arrive afterwards; they are acknowledgements like any other and are checked below).
      const onTheWireAtKill = inFlight;
      killSent = true;
      main.child.kill('SIGKILL');
      await exited;
      await Promise.all(loops);
      if (failure !== undefined) throw failure;
      expect(onTheWireAtKill).toBe(LOOPS);
      // Every loop wrote until the dead server refused it: exactly one unanswered request per loop.
      expect(unanswered).toBe(LOOPS);

      const again = await startServer({ dir, dbPath });
      try {
        for (const lab of LABS) {
          const log: Json[] = [];
          for (let after = 0; ; ) {
            const page = await again.client.events(lab, { after, limit: 10_000 });
            if (page.length === 0) break;
            log.push(...page);
            after = page.at(-1)?.seq ?? after;
          }
          // Gapless: the log is 1..n with nothing missing in between.
          expect(log.map((event) => event.seq)).toEqual(log.map((_, i) => i + 1));
          const bySeq = new Map(log.map((event) => [event.seq as number, event]));
          const labAcks = acks.filter((ack) => ack.lab === lab);
          expect(labAcks.length).toBeGreaterThan(100);
          for (const ack of labAcks) {
            const event = bySeq.get(ack.seq);
            expect(event, `acknowledged seq ${ack.seq} of ${lab}`).toBeDefined();
            expect(ackOf(lab, event)).toEqual(ack);
          }
          const mapped = new Set(
            log
              .filter((event) => event.op === 'ioas.map' && event.result.ok)
              .map((event) => event.input.iova),
          );
          for (const batch of batches.filter((b) => b.lab === lab)) {
            let present = 0;
            for (let i = 0; i < batch.pages; i += 1) {
              if (mapped.has(toHex(batch.first + BigInt(i) * PAGE))) present += 1;
            }
            expect([0, batch.pages], `batch at ${toHex(batch.first)}`).toContain(present);
          }
        }
      } finally {
        await again.stop();
      }
    } finally {
      killLeftovers();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
