// The server on PostgreSQL (LAB_DB=postgres://…) against a real throwaway cluster: the API and stream on
// one replica, then two replicas (real main.ts processes) on one database: writes through both while
// streams on both check gapless seq order, one replica SIGKILLed mid-load, every acknowledged event
// found on the survivor; and a lab deleted through one replica closes its streams on the other. Fails
// (does not skip) when PostgreSQL is not installed.
import { CLOSE_LAB_DELETED } from '@ioasid-lab/api/client';
import { toHex } from '@ioasid-lab/core';
import { shardOf } from '@ioasid-lab/db';
import { PgLabStore } from '@ioasid-lab/db/pg';
import { type PgCluster, startCluster } from '@ioasid-lab/db/pg-cluster';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, type Json, startServer, type TestServer } from '../test/harness.ts';
import { killLeftovers, startMain } from '../test/main-process.ts';
import { StreamReader, streamUrl } from '../test/stream-reader.ts';
import { DeleteListener, notifyDeleted } from './pg-deletes.ts';

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startCluster();
}, 120_000);
afterAll(() => {
  killLeftovers();
  cluster?.stop();
});

function expectGapless(seqs: number[], from: number, to: number): void {
  const expected = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  if (seqs.length !== expected.length || seqs.some((seq, i) => seq !== expected[i])) {
    const firstBad = seqs.findIndex((seq, i) => seq !== expected[i]);
    throw new Error(
      `stream seqs not ${from}..${to} in order: at ${firstBad} got ${seqs[firstBad]} (${seqs.length} events)`,
    );
  }
}

describe('one server on PostgreSQL', () => {
  it('serves the API and the stream, and seeds a fresh database once', async () => {
    const url = await cluster.createDatabase();
    const server = await startServer({ dbPath: url });
    try {
      const { base } = server;
      const health = await call(base, 'GET', '/health');
      expect(health.status).toBe(200);
      const labs = await call(base, 'GET', '/labs');
      expect(labs.body.labs.map((l: Json) => l.name)).toEqual(['seed']);
      const explain = await call(base, 'GET', '/labs/seed/explain?a=VM1&b=VM2');
      expect(explain.status).toBe(200);
      expect(explain.body.firstDivergence).toBeTruthy();

      expect(
        (await call(base, 'POST', '/labs', { name: 'pg', policy: 'iommufd', template: 'seed' })).status,
      ).toBe(201);
      const vm = await call(base, 'POST', '/labs/pg/vms', {
        name: 'VM1',
        memory: '0x100000',
        devices: ['A'],
      });
      expect(vm.status).toBe(201);
      const reader = new StreamReader(streamUrl(base, 'pg'));
      await reader.until(() => reader.messages.some((m) => m.type === 'hello'), 10_000, 'hello');
      const start = reader.messages.find((m) => m.type === 'hello')?.seq ?? -1;
      expect(start).toBe(6);
      const mapped = await call(base, 'POST', `/labs/pg/ioas/${vm.body.ioas}/map`, {
        iova: '0x40000000',
        length: 4096,
      });
      expect(mapped.status).toBe(200);
      const again = await call(base, 'POST', `/labs/pg/ioas/${vm.body.ioas}/map`, {
        iova: '0x40000000',
        length: 4096,
      });
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'EEXIST', seq: 8 });
      const forked = await call(base, 'POST', '/labs/pg/fork', { name: 'pg2', policy: 'shared' });
      expect(forked.status).toBe(201);
      // A fork replays the inputs, the refused map included.
      const state = await call(base, 'GET', '/labs/pg2/state');
      expect(state.body.seq).toBe(8);
      await reader.until(() => reader.eventSeqs().includes(8), 10_000, 'events 7..8');
      expectGapless(reader.eventSeqs(), 7, 8);
      reader.socket.close();
    } finally {
      await server.close();
    }
  });
});

interface Ack {
  seq: number;
  iova: string;
}

describe('two replicas on one PostgreSQL database', () => {
  it('stream every event gapless on both, and the survivor of a SIGKILL has every acknowledged event', async () => {
    const url = await cluster.createDatabase();
    // Two shards each keep the machine's load down; the router and shards are still in play.
    const env = { LAB_STORE_SHARDS: '2' };
    const [one, two] = [await startMain(url, env), await startMain(url, env)];
    try {
      const lab = 'team';
      expect(
        (await call(one.base, 'POST', '/labs', { name: lab, policy: 'iommufd', template: 'seed' })).status,
      ).toBe(201);
      // Created on one, visible on the other at once (no sticky sessions needed).
      const vm = await call(two.base, 'POST', `/labs/${lab}/vms`, { name: 'VM1', memory: '0x100000' });
      expect(vm.status).toBe(201);
      const ioas = vm.body.ioas as number;
      const readers = [
        new StreamReader(streamUrl(one.base, lab)),
        new StreamReader(streamUrl(two.base, lab)),
      ];
      for (const reader of readers) await reader.until(() => reader.messages.some((m) => m.type === 'hello'));
      const from = 7;

      const acks: Ack[] = [];
      let page = 0x100000;
      let stopAfter = Number.POSITIVE_INFINITY;
      let killed = false;
      // 8 writers per replica, each writing until its replica fails or the budget is spent.
      const writer = async (base: string) => {
        for (;;) {
          if (acks.length >= stopAfter) return;
          const iova = toHex(BigInt(page++) * 0x1000n);
          let reply: Awaited<ReturnType<typeof call>>;
          try {
            reply = await call(base, 'POST', `/labs/${lab}/ioas/${ioas}/map`, { iova, length: 4096 });
          } catch {
            return; // the replica is gone
          }
          if (reply.status !== 200) {
            if (killed) return;
            throw new Error(`map answered ${reply.status}: ${JSON.stringify(reply.body)}`);
          }
          acks.push({ seq: reply.body.seq, iova });
        }
      };
      // Phase 1: both replicas write; both streams see one gapless log.
      stopAfter = 300;
      await Promise.all([...Array(8)].flatMap(() => [writer(one.base), writer(two.base)]));
      const last = Math.max(...acks.map((a) => a.seq));
      expect(new Set(acks.map((a) => a.seq)).size).toBe(acks.length);
      for (const reader of readers) {
        await reader.until(() => reader.eventSeqs().at(-1) === last, 20_000, `stream up to ${last}`);
        expectGapless(reader.eventSeqs(), from, last);
      }

      // Phase 2: SIGKILL replica one mid-load; writers on two keep going until the budget.
      stopAfter = acks.length + 600;
      const load = Promise.all([...Array(8)].flatMap(() => [writer(one.base), writer(two.base)]));
      const killAt = acks.length + 150;
      await readers[1]?.until(() => acks.length >= killAt, 20_000, 'load before the kill');
      killed = true;
      one.child.kill('SIGKILL');
      await load;
      const survivorSeq = (await call(two.base, 'GET', `/labs/${lab}/state`)).body.seq as number;
      const logged = new Map<number, Json>();
      for (let after = 0; after < survivorSeq; ) {
        const page = await call(two.base, 'GET', `/labs/${lab}/events?after=${after}&limit=1000`);
        for (const event of page.body.events) logged.set(event.seq, event);
        after = page.body.events.at(-1)?.seq ?? survivorSeq;
      }
      expect(logged.size).toBe(survivorSeq);
      for (const ack of acks) {
        const event = logged.get(ack.seq);
        expect(event, `acknowledged seq ${ack.seq}`).toBeDefined();
        expect(event.op).toBe('ioas.map');
        expect(BigInt(event.input.iova)).toBe(BigInt(ack.iova));
      }
      // The survivor's stream saw every event, in order, including the dead replica's last commits.
      const reader = readers[1];
      await reader?.until(
        () => reader.eventSeqs().at(-1) === survivorSeq,
        20_000,
        `survivor stream to ${survivorSeq}`,
      );
      expectGapless(reader?.eventSeqs() ?? [], from, survivorSeq);
      for (const r of readers) r.socket.close();
    } finally {
      one.child.kill('SIGKILL');
      two.child.kill('SIGTERM');
      killLeftovers();
    }
  }, 180_000);
});

/** A server with `shards` store workers (LAB_STORE_SHARDS is read when its store opens). */
async function serverWithShards(dbPath: string, shards: number): Promise<TestServer> {
  const saved = process.env.LAB_STORE_SHARDS;
  process.env.LAB_STORE_SHARDS = String(shards);
  try {
    return await startServer({ dbPath });
  } finally {
    if (saved === undefined) delete process.env.LAB_STORE_SHARDS;
    else process.env.LAB_STORE_SHARDS = saved;
  }
}

describe('a lab deleted through one replica', () => {
  it("closes the lab's streams on the other replica with the code of a local delete", async () => {
    const url = await cluster.createDatabase();
    // Two shards each: the lab lives on shard 1, the replica's deletes are heard on shard 0.
    const one = await serverWithShards(url, 2);
    const two = await serverWithShards(url, 2);
    try {
      let lab = 'gone';
      for (let i = 0; shardOf(lab, 2) !== 1; i++) lab = `gone${i}`;
      expect(
        (await call(one.base, 'POST', '/labs', { name: lab, policy: 'iommufd', template: 'seed' })).status,
      ).toBe(201);
      const reader = new StreamReader(streamUrl(two.base, lab));
      let closedWith: number | undefined;
      reader.socket.on('close', (code) => {
        closedWith = code;
      });
      await reader.until(() => reader.messages.some((m) => m.type === 'hello'), 10_000, 'hello');

      expect((await call(one.base, 'DELETE', `/labs/${lab}`)).status).toBe(204);
      await vi.waitFor(() => expect(closedWith).toBe(CLOSE_LAB_DELETED), { timeout: 10_000, interval: 20 });
      expect((await call(two.base, 'GET', `/labs/${lab}/state`)).status).toBe(404);
    } finally {
      await one.close();
      await two.close();
    }
  }, 120_000);

  it("is heard by every other replica's listener, not by the deleting replica's own", async () => {
    const url = await cluster.createDatabase();
    const store = await PgLabStore.open({ url, poolSize: 3 });
    const heard: Record<string, string[]> = { a: [], b: [] };
    const listeners = ['a', 'b'].map(
      (replica) => new DeleteListener(store.pool, replica, (lab) => heard[replica]?.push(lab)),
    );
    try {
      for (const listener of listeners) await listener.start();
      await notifyDeleted(store.pool, 'a', 'x:1');
      await notifyDeleted(store.pool, 'b', 'y');
      await vi.waitFor(() => expect(heard).toEqual({ a: ['y'], b: ['x:1'] }), {
        timeout: 10_000,
        interval: 20,
      });
    } finally {
      for (const listener of listeners) listener.stop();
      await store.close();
    }
  });
});
