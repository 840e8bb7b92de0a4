// Every error code of docs/api.md reached through the API, with its HTTP status, errno and message; refused
// ops carry the seq of the event that recorded them and change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Json, startServer, type TestServer } from '../test/harness.ts';

let server: TestServer;
const lab = 'errs';
let ioas = 0;

beforeAll(async () => {
  server = await startServer();
  await server.client.createLab({ name: lab, policy: 'iommufd', template: 'seed' });
  ioas = (await server.client.createVm(lab, { name: 'VM1', devices: ['A'] })).ioas;
});
afterAll(async () => {
  await server?.close();
});

/** Asserts the error shape and returns the error object. */
function expectError(response: { status: number; body: Json }, status: number, code: string, errno?: number) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
  if (errno !== undefined) expect(response.body.error.errno).toBe(errno);
  expect(typeof response.body.error.message).toBe('string');
  return response.body.error as { code: string; errno: number; message: string; seq?: number };
}

describe('400', () => {
  it('EINVAL for a schema violation, naming the field', async () => {
    const error = expectError(
      await call(server.base, 'POST', `/labs/${lab}/ioas/${ioas}/map`, { iova: 'x', length: 1 }),
      400,
      'EINVAL',
      22,
    );
    expect(error.message).toContain('iova');
    expect(error.seq).toBeUndefined();
    const unknownField = expectError(
      await call(server.base, 'POST', `/labs/${lab}/iommus`, {
        name: 'u',
        vendor: 'intel-vtd',
        enforceCacheCoherency: true,
        colour: 1,
      }),
      400,
      'EINVAL',
    );
    expect(unknownField.message).toContain('colour');
    expectError(
      await call(server.base, 'POST', `/labs/${lab}/batch`, { ops: [{ op: 'nope' }] }),
      400,
      'EINVAL',
    );
    expectError(await call(server.base, 'GET', `/labs/${lab}/events?limit=0`), 400, 'EINVAL');
  });

  it('EINVAL from the core carries the seq of the refused event', async () => {
    const before = (await server.client.getLab(lab)).events;
    const error = expectError(
      await call(server.base, 'POST', `/labs/${lab}/ioas/${ioas}/map`, { iova: '0x1000', length: 0 }),
      400,
      'EINVAL',
      22,
    );
    expect(error.seq).toBe(before + 1);
    const [event] = await server.client.events(lab, { after: before });
    expect(event).toMatchObject({
      seq: before + 1,
      op: 'ioas.map',
      result: { ok: false, code: 'EINVAL', errno: 22 },
    });
  });

  it('EOVERFLOW when iova + length wraps', async () => {
    const error = expectError(
      await call(server.base, 'POST', `/labs/${lab}/ioas/${ioas}/map`, {
        iova: '0xfffffffffffff000',
        length: '0x2000',
      }),
      400,
      'EOVERFLOW',
      75,
    );
    expect(typeof error.seq).toBe('number');
  });

  it('ERANGE for a seq outside the history', async () => {
    expectError(await call(server.base, 'GET', `/labs/${lab}/state?at=999999`), 400, 'ERANGE', 34);
  });

  it('E2BIG for a batch over the op limit', async () => {
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'vm.destroy', vm: 'x' }));
    expectError(await call(server.base, 'POST', `/labs/${lab}/batch`, { ops }), 400, 'E2BIG', 7);
  });
});

describe('404', () => {
  it('ENOENT for unknown labs, objects and ranges with nothing mapped', async () => {
    expectError(await call(server.base, 'GET', '/labs/ghost'), 404, 'ENOENT', 2);
    expectError(await call(server.base, 'GET', `/labs/${lab}/hwpts/4242`), 404, 'ENOENT');
    const unmap = expectError(
      await call(server.base, 'POST', `/labs/${lab}/ioas/${ioas}/unmap`, {
        iova: '0x7000000000',
        length: '0x1000',
      }),
      404,
      'ENOENT',
      2,
    );
    expect(typeof unmap.seq).toBe('number');
    expectError(await call(server.base, 'DELETE', `/labs/${lab}/vms/VM1/devices/B`), 404, 'ENOENT');
  });
});

describe('409', () => {
  it('EEXIST for an overlapping map (message names the range) and a taken lab name', async () => {
    await server.client.map(lab, ioas, { iova: '0x200000000', length: '0x4000' });
    const error = expectError(
      await call(server.base, 'POST', `/labs/${lab}/ioas/${ioas}/map`, {
        iova: '0x200001000',
        length: '0x2000',
      }),
      409,
      'EEXIST',
      17,
    );
    expect(error.message).toContain('0x200001000');
    expectError(await call(server.base, 'POST', '/labs', { name: lab, policy: 'shared' }), 409, 'EEXIST');
  });

  it('EBUSY for destroying a VM with devices and removing an attached device', async () => {
    expectError(await call(server.base, 'DELETE', `/labs/${lab}/vms/VM1`), 409, 'EBUSY', 16);
    expectError(await call(server.base, 'DELETE', `/labs/${lab}/devices/A`), 409, 'EBUSY', 16);
  });

  it('EADDRINUSE when a new domain cannot hold an area mapped before it', async () => {
    const { ioas: bare } = await server.client.createVm(lab, { name: 'VM2', memory: 0x100000 });
    // With no domain attached yet, the MSI window is not reserved and the map succeeds.
    await server.client.map(lab, bare, { iova: '0xfee00000', length: '0x1000' });
    const error = expectError(
      await call(server.base, 'POST', `/labs/${lab}/vms/VM2/devices`, { device: 'A2' }),
      409,
      'EADDRINUSE',
      98,
    );
    expect(typeof error.seq).toBe('number');
  });

  it('ESRCH when a kvmgt device is opened before the VM announced its KVM', async () => {
    await server.client.addDevice(lab, { name: 'gvt', iommu: 'iommu0', kind: 'mdev', requiresKvm: 'kvmgt' });
    await server.client.createVm(lab, { name: 'VM3', memory: 0x100000 });
    expectError(
      await call(server.base, 'POST', `/labs/${lab}/vms/VM3/devices`, {
        device: 'gvt',
        announceKvm: 'after',
      }),
      409,
      'ESRCH',
      3,
    );
  });

  it('ENOSPC when a lab reaches its object limit', async () => {
    await server.client.createLab({ name: 'full', policy: 'iommufd' });
    await server.client.addIommu('full', { name: 'u0', vendor: 'intel-vtd', enforceCacheCoherency: true });
    // The core's default bound is 16,384 objects per lab: the IOMMU and 16,383 devices fit, in two batches
    // (a batch takes at most 10,000 ops), and the rest are refused.
    const ops = Array.from({ length: 16_400 }, (_, i) => ({
      op: 'device.add' as const,
      name: `d${i}`,
      iommu: 'u0',
    }));
    const first = await server.client.batch('full', ops.slice(0, 10_000));
    expect(first.refused).toBe(0);
    const second = await server.client.batch('full', ops.slice(10_000));
    expect(second.refused).toBe(ops.length - 16_383);
    const error = expectError(
      await call(server.base, 'POST', '/labs/full/devices', { name: 'one-more', iommu: 'u0' }),
      409,
      'ENOSPC',
      28,
    );
    expect(error.message).toContain('its limit of 16384 objects');
  });
});

describe('422, and never a 500 or HTML', () => {
  it('EOPNOTSUPP for an export format this server cannot replay', async () => {
    const exported = await server.client.exportLab(lab);
    expectError(
      await call(server.base, 'POST', '/labs/import', {
        name: 'future',
        export: { ...exported, format: 'ioasid-lab/v9' },
      }),
      422,
      'EOPNOTSUPP',
      95,
    );
  });

  it('answers garbage in every shape with JSON 4xx', async () => {
    const attempts: [string, string, unknown][] = [
      ['POST', `/labs/${lab}/ioas/abc/map`, { iova: 0, length: 4096 }],
      ['POST', `/labs/${lab}/ioas/${ioas}/map`, { iova: 2 ** 60, length: 4096 }],
      ['POST', `/labs/${lab}/ioas/${ioas}/map`, { iova: -1, length: 4096 }],
      ['POST', `/labs/${lab}/ioas/${ioas}/map`, [1, 2, 3]],
      ['POST', `/labs/${lab}/ioas/${ioas}/map`, 'null'],
      ['POST', `/labs/${lab}/vms/VM1/devices/A/replace`, { hwpt: 'old' }],
      ['GET', `/labs/${lab}/hwpts/1/pagetable?iova=zz`, undefined],
      ['GET', `/labs/${lab}/explain?b=VM1`, undefined],
      ['GET', `/labs/${lab}/compare?kernels=6.1,linux`, undefined],
      ['GET', `/labs/${lab}/explain?a=VM1&b=nobody`, undefined],
      ['GET', `/labs/${lab}/compare?policies=type9`, undefined],
      ['GET', `/labs/${lab}/stream`, undefined],
      ['PUT', '/labs', { name: 'x' }],
    ];
    for (const [method, path, body] of attempts) {
      const response = await call(server.base, method, path, body);
      expect(response.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${method} ${path}`).toBeLessThan(500);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(typeof response.body.error.code).toBe('string');
    }
  });
});
