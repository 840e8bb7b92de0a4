// POST /batch: ops in order in one request; atomic means all or none, and a refusal is still recorded.
import { toHex } from '@ioasid-lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from '../test/harness.ts';

let server: TestServer;
let ioas = 0;
const lab = 'batch';

beforeAll(async () => {
  server = await startServer();
  await server.client.createLab({ name: lab, policy: 'iommufd', template: 'seed' });
  ioas = (await server.client.createVm(lab, { name: 'VM1', memory: '0x100000', devices: ['A'] })).ioas;
});
afterAll(async () => {
  await server?.close();
});

const map = (iova: number) => ({ op: 'ioas.map', ioas, iova: toHex(iova), length: '0x1000' });

describe('batch', () => {
  it('applies every op in order and reports each one', async () => {
    const before = (await server.client.getLab(lab)).events;
    const response = await call(server.base, 'POST', `/labs/${lab}/batch`, {
      ops: [
        map(0x10000000),
        map(0x10001000),
        { op: 'ioas.unmap', ioas, iova: '0x10000000', length: '0x1000' },
      ],
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ atomic: false, applied: 3, refused: 0 });
    expect(response.body.events.map((event: { seq: number }) => event.seq)).toEqual([
      before + 1,
      before + 2,
      before + 3,
    ]);
    expect(response.body.events.map((event: { op: string }) => event.op)).toEqual([
      'ioas.map',
      'ioas.map',
      'ioas.unmap',
    ]);
  });

  it('without atomic, records refusals and still applies the rest', async () => {
    const result = await server.client.batch(lab, [
      map(0x20000000) as never,
      map(0x20000000) as never,
      map(0x20001000) as never,
    ]);
    expect(result).toMatchObject({ atomic: false, applied: 2, refused: 1 });
    expect(result.events[1]?.result).toMatchObject({ ok: false, code: 'EEXIST' });
    const areas = (await server.client.state(lab)).ioas.find((space) => space.id === ioas)?.areas ?? [];
    expect(areas.map((area) => area.iova)).toEqual(expect.arrayContaining(['0x20000000', '0x20001000']));
  });

  it('with atomic, a refusal applies none and answers the errno with the seq of the recorded refusal', async () => {
    const before = await server.client.state(lab);
    const response = await call(server.base, 'POST', `/labs/${lab}/batch`, {
      atomic: true,
      ops: [map(0x30000000), map(0x30001000), map(0x30000000), map(0x30002000)],
    });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({ code: 'EEXIST', errno: 17, seq: before.seq + 1 });
    const after = await server.client.state(lab);
    expect(after.seq).toBe(before.seq + 1);
    expect({ ...after, seq: 0 }).toEqual({ ...before, seq: 0 });
    const [recorded] = await server.client.events(lab, { after: before.seq });
    expect(recorded?.result).toMatchObject({ ok: false, code: 'EEXIST' });
  });

  it('with atomic, all succeed together', async () => {
    const result = await server.client.batch(lab, [map(0x40000000) as never, map(0x40001000) as never], {
      atomic: true,
    });
    expect(result).toMatchObject({ atomic: true, applied: 2, refused: 0 });
  });

  it('accepts every kind of op', async () => {
    await server.client.createLab({ name: 'kinds', policy: 'explicit' });
    const ops = [
      { op: 'iommu.add', name: 'u0', vendor: 'amd-vi', enforceCacheCoherency: true },
      { op: 'device.add', name: 'd0', iommu: 'u0' },
      { op: 'device.add', name: 'd1', iommu: 'u0' },
      { op: 'device.remove', name: 'd1' },
      { op: 'vm.create', name: 'v0', memory: 0x100000 },
      { op: 'hwpt.alloc', ioas: 1, iommu: 'u0', enforceCacheCoherency: true },
      { op: 'vm.attach', vm: 'v0', device: 'd0', hwpt: 2 },
      { op: 'ioas.map', ioas: 1, iova: '0x40000000', length: 4096 },
      { op: 'ioas.unmap', ioas: 1, iova: '0x40000000', length: 4096 },
      { op: 'device.replace', vm: 'v0', device: 'd0', hwpt: 'new', enforceCacheCoherency: false },
      { op: 'hwpt.destroy', hwpt: 2 },
      { op: 'vm.detach', vm: 'v0', device: 'd0' },
      // Replace onto "new" made a user HWPT (3): it outlives the detach and holds the IOAS until destroyed.
      { op: 'hwpt.destroy', hwpt: 3 },
      { op: 'vm.destroy', vm: 'v0' },
    ] as const;
    const result = await server.client.batch('kinds', [...ops], { atomic: true });
    expect(result.events.map((event) => [event.op, event.result.ok])).toEqual(ops.map((op) => [op.op, true]));
    expect(result).toMatchObject({ atomic: true, applied: ops.length, refused: 0 });
  });

  it('answers the events the log holds, as JSON with its content type, a refusal counted', async () => {
    const before = (await server.client.getLab(lab)).events;
    const response = await fetch(`${server.base}/api/v1/labs/${lab}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-lab-client': 'batch-test' },
      body: JSON.stringify({ ops: [map(0x30000000), map(0x30000000)] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await response.text();
    const body = JSON.parse(text);
    // One compact document, the same bytes as serializing what it holds.
    expect(text).toBe(JSON.stringify(body));
    expect(body).toMatchObject({ atomic: false, applied: 1, refused: 1 });
    const logged = await server.client.events(lab, { after: before, limit: 10 });
    expect(body.events).toEqual(logged);
    expect(body.events.map((event: { client?: string }) => event.client)).toEqual([
      'batch-test',
      'batch-test',
    ]);
  });
});
