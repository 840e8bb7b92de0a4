// Kernel profiles through REST: docs/kernels.md's seed table for every row under each profile, `kernel` on
// create, fork, import and export, the kernel comparison in explain and compare, and the single-VM explain.
import { KERNELS, type Kernel, type Policy } from '@ioasid-lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from '../test/harness.ts';
import { playSeedStory, seedOutcome } from '../test/seed-story.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

async function story(lab: string, policy: Policy, kernel: Kernel, vm1Devices: string[]): Promise<number> {
  const tables = await playSeedStory(server.client, lab, policy, vm1Devices, kernel);
  expect((await server.client.getLab(lab)).kernel).toBe(kernel);
  return tables;
}

const outcome = (lab: string) => seedOutcome(server.client, lab);

const converged = { vm1: { wbinvd: false, hazard: false }, vm2: { wbinvd: false, hazard: false } };

describe("docs/kernels.md's seed table, per kernel profile, through REST", () => {
  // [policy, VM1 boot order, kernel, VM1 tables while {A,B}, end state]
  const rows: [Policy, string[], Kernel, number, object][] = [
    [
      'type1',
      ['A', 'B'],
      '6.1',
      2,
      { vm1: { wbinvd: true, hazard: false }, vm2: { wbinvd: false, hazard: false } },
    ],
    ['type1', ['A', 'B'], '6.6', 2, converged],
    ['type1', ['A', 'B'], '6.12', 2, converged],
    ['iommufd', ['A', 'B'], '6.6', 2, converged],
    ['iommufd', ['A', 'B'], '6.12', 2, converged],
    ['iommufd', ['B', 'A'], '6.6', 2, converged],
    [
      'iommufd',
      ['B', 'A'],
      '6.12',
      1,
      { vm1: { wbinvd: false, hazard: true }, vm2: { wbinvd: false, hazard: false } },
    ],
    ...KERNELS.map((k): [Policy, string[], Kernel, number, object] => [
      'shared',
      ['A', 'B'],
      k,
      1,
      { vm1: { wbinvd: true, hazard: false }, vm2: { wbinvd: false, hazard: false } },
    ]),
    ...KERNELS.map((k): [Policy, string[], Kernel, number, object] => [
      'explicit',
      ['A', 'B'],
      k,
      2,
      converged,
    ]),
  ];
  it.each(rows)(
    '%s, VM1 booted %j, kernel %s: %i tables while {A,B}',
    async (policy, order, kernel, tables, end) => {
      const lab = `row-${policy}-${order.join('')}-${kernel.replace('.', '_')}`;
      expect(await story(lab, policy, kernel, order)).toBe(tables);
      expect(await outcome(lab)).toEqual({ kernel, ...end });
    },
  );

  it.each(KERNELS)('shared + replace A onto a fresh enforcing HWPT converges on %s', async (kernel) => {
    const lab = `row-shared-replace-${kernel.replace('.', '_')}`;
    await story(lab, 'shared', kernel, ['A', 'B']);
    await server.client.replaceDevice(lab, 'VM1', 'A', { hwpt: 'new', enforceCacheCoherency: true });
    expect(await outcome(lab)).toEqual({ kernel, ...converged });
  });

  it('iommufd on 6.1 is refused: 422 EOPNOTSUPP naming the kernel, and no lab is made', async () => {
    const { status, body } = await call(server.base, 'POST', '/labs', {
      name: 'no-iommufd',
      policy: 'iommufd',
      kernel: '6.1',
      template: 'seed',
    });
    expect(status).toBe(422);
    expect(body.error).toMatchObject({ code: 'EOPNOTSUPP', errno: 95 });
    expect(body.error.message).toContain('6.1');
    expect((await call(server.base, 'GET', '/labs/no-iommufd')).status).toBe(404);
  });

  it('type1 has no replace on any kernel: 422 EOPNOTSUPP, recorded as a refused event', async () => {
    await server.client.createLab({ name: 'type1-replace', policy: 'type1', template: 'seed' });
    await server.client.createVm('type1-replace', { name: 'VM1', devices: ['A'] });
    const { status, body } = await call(
      server.base,
      'POST',
      '/labs/type1-replace/vms/VM1/devices/A/replace',
      {
        hwpt: 'new',
      },
    );
    expect(status).toBe(422);
    expect(body.error).toMatchObject({ code: 'EOPNOTSUPP', seq: expect.any(Number) });
  });
});

describe('kernel on labs', () => {
  it('defaults to 6.12 and is reported by GET /labs, GET /labs/:lab and state', async () => {
    const { status, body } = await call(server.base, 'POST', '/labs', { name: 'k-default', policy: 'type1' });
    expect(status).toBe(201);
    expect(body.kernel).toBe('6.12');
    await server.client.createLab({ name: 'k-61', policy: 'type1', kernel: '6.1' });
    const list = (await call(server.base, 'GET', '/labs')).body.labs;
    expect(list.find((l: { name: string }) => l.name === 'k-default').kernel).toBe('6.12');
    expect(list.find((l: { name: string }) => l.name === 'k-61').kernel).toBe('6.1');
    expect((await call(server.base, 'GET', '/labs/k-61')).body).toMatchObject({
      policy: 'type1',
      kernel: '6.1',
    });
    expect((await call(server.base, 'GET', '/labs/k-61/state')).body).toMatchObject({
      seq: 0,
      kernel: '6.1',
    });
  });

  it.each([
    ['POST', '/labs', { name: 'k-bad', policy: 'type1', kernel: '5.4' }],
    ['POST', '/labs/k-default/fork', { name: 'k-bad', kernel: '6.2' }],
    [
      'POST',
      '/labs/import',
      {
        name: 'k-bad',
        kernel: 'latest',
        export: { format: 'ioasid-lab/v1', name: 'x', policy: 'type1', ops: [] },
      },
    ],
    [
      'POST',
      '/labs/import',
      {
        name: 'k-bad',
        export: { format: 'ioasid-lab/v1', name: 'x', policy: 'type1', kernel: '4.19', ops: [] },
      },
    ],
    ['GET', '/labs/k-default/compare?kernels=6.1,5.10', undefined],
  ])('an unknown kernel is a 400 EINVAL naming the allowed values: %s %s', async (method, path, body) => {
    const response = await call(server.base, method, path, body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('EINVAL');
    expect(response.body.error.message).toContain('kernel');
    expect(response.body.error.message).toContain('6.1, 6.6, 6.12');
    expect((await call(server.base, 'GET', '/labs/k-bad')).status).toBe(404);
  });

  it('fork may change the kernel: the inputs replay under the other profile', async () => {
    await server.client.createLab({ name: 'fork-src', policy: 'type1', template: 'seed-story' });
    expect(await outcome('fork-src')).toEqual({ kernel: '6.12', ...converged });
    const forked = await call(server.base, 'POST', '/labs/fork-src/fork', { name: 'fork-61', kernel: '6.1' });
    expect(forked.status).toBe(201);
    expect(forked.body).toMatchObject({ name: 'fork-61', policy: 'type1', kernel: '6.1' });
    expect(await outcome('fork-61')).toEqual({
      kernel: '6.1',
      vm1: { wbinvd: true, hazard: false },
      vm2: { wbinvd: false, hazard: false },
    });
    // Without `kernel` a fork keeps the source's profile.
    const same = await call(server.base, 'POST', '/labs/fork-61/fork', { name: 'fork-61-again', at: 7 });
    expect(same.body).toMatchObject({ kernel: '6.1', events: 7 });
    // A profile that lacks the policy refuses the fork.
    await server.client.createLab({ name: 'fork-fd', policy: 'iommufd', template: 'seed' });
    const refused = await call(server.base, 'POST', '/labs/fork-fd/fork', {
      name: 'fork-fd-61',
      kernel: '6.1',
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('EOPNOTSUPP');
    expect(refused.body.error.message).toContain('6.1');
    // ...unless the fork changes the policy too.
    const both = await call(server.base, 'POST', '/labs/fork-fd/fork', {
      name: 'fork-fd-t1-61',
      policy: 'type1',
      kernel: '6.1',
    });
    expect(both.body).toMatchObject({ policy: 'type1', kernel: '6.1', events: 5 });
  });

  it('export carries the kernel and import keeps it, unless import names another', async () => {
    await server.client.createLab({ name: 'exp-61', policy: 'type1', kernel: '6.1', template: 'seed-story' });
    const exported = (await call(server.base, 'GET', '/labs/exp-61/export')).body;
    expect(exported).toMatchObject({ format: 'ioasid-lab/v1', policy: 'type1', kernel: '6.1' });
    const kept = await call(server.base, 'POST', '/labs/import', { name: 'imp-61', export: exported });
    expect(kept.status).toBe(201);
    expect(kept.body).toMatchObject({ kernel: '6.1', events: exported.ops.length });
    expect(await outcome('imp-61')).toEqual(await outcome('exp-61'));
    const moved = await call(server.base, 'POST', '/labs/import', {
      name: 'imp-612',
      kernel: '6.12',
      export: exported,
    });
    expect(moved.body.kernel).toBe('6.12');
    expect(await outcome('imp-612')).toEqual({ kernel: '6.12', ...converged });
    // An export made before kernel profiles has none: it replays under 6.12.
    const { kernel: _dropped, ...old } = exported;
    const legacy = await call(server.base, 'POST', '/labs/import', { name: 'imp-old', export: old });
    expect(legacy.body.kernel).toBe('6.12');
  });
});

describe('explain and compare across kernels', () => {
  it("type1 on 6.12: kernels says 6.1 would keep VM1 emulating wbinvd, and names 6.1's rule", async () => {
    await server.client.createLab({ name: 'x-t1', policy: 'type1', template: 'seed-story' });
    const x = await server.client.explain('x-t1', 'VM1', 'VM2');
    expect(x.kernel).toBe('6.12');
    expect(x.diverges).toBe(false);
    expect(Object.keys(x.kernels).sort()).toEqual(['6.1', '6.12', '6.6']);
    expect(x.kernels['6.1']).toMatchObject({
      a: { wbinvd: true, coherencyHazard: false },
      b: { wbinvd: false, coherencyHazard: false },
    });
    expect(x.kernels['6.1']?.rule).toContain('vfio_file_enforced_coherent');
    expect(x.kernels['6.1']?.rule).toContain('vfio_group_enforced_coherent');
    expect(x.kernels['6.1']?.rule).toContain('vfio_kvm_device_del_group');
    expect(x.kernels['6.6']).toEqual({ a: x.kernels['6.12']?.a, b: x.kernels['6.12']?.b, refused: 0 });
    expect(x.summary).toContain(
      "On 6.1 VM1 would keep emulating wbinvd: 6.1 judges a type1 group by its container, and QEMU removes B's file before B leaves the container",
    );
  });

  it('iommufd {B, A} on 6.12: the hazard is absent before 2ccabf81ddff, and 6.1 (no iommufd) is absent', async () => {
    await story('x-fd', 'iommufd', '6.12', ['B', 'A']);
    const x = await server.client.explain('x-fd', 'VM1', 'VM2');
    expect(x.a).toMatchObject({ wbinvd: false, coherencyHazard: true });
    expect(x.kernels['6.1']).toBeUndefined();
    expect(x.kernels['6.6']?.a).toEqual({ wbinvd: false, coherencyHazard: false });
    expect(x.kernels['6.6']?.rule).toContain('2ccabf81ddff');
    expect(x.kernels['6.6']?.rule).toContain('iommufd_hw_pagetable_enforce_cc');
    expect(x.kernels['6.12']?.rule).toBeUndefined();
    expect(x.summary).toContain('On 6.6 VM1 would not be in a coherency hazard');
  });

  it('compare?kernels replays every policy under every kernel that has it', async () => {
    const c = (await call(server.base, 'GET', '/labs/x-t1/compare?policies=type1,iommufd&kernels=6.1,6.12'))
      .body;
    expect(c.policies.map((p: { policy: string; kernel: string }) => `${p.policy}@${p.kernel}`)).toEqual([
      'type1@6.1',
      'type1@6.12',
      'iommufd@6.12',
    ]);
    const vm1 = (policy: string, kernel: string) =>
      c.policies
        .find((p: { policy: string; kernel: string }) => p.policy === policy && p.kernel === kernel)
        .vms.find((v: { vm: string }) => v.vm === 'VM1');
    expect(vm1('type1', '6.1').wbinvd).toBe(true);
    expect(vm1('type1', '6.12').wbinvd).toBe(false);
    // Without kernels: one row per policy, under the lab's kernel.
    const plain = await server.client.compare('x-t1', ['type1', 'shared']);
    expect(plain.policies.map((p) => [p.policy, p.kernel])).toEqual([
      ['type1', '6.12'],
      ['shared', '6.12'],
    ]);
  });
});

describe('single-VM explain', () => {
  it('a lab with one VM is explained: iommufd VM1 booted [B, A] has a latent hazard, unplugging B', async () => {
    await server.client.createLab({ name: 'one-vm', policy: 'iommufd', template: 'seed' });
    const created = await server.client.createVm('one-vm', { name: 'VM1', devices: ['B', 'A'] });
    const { status, body: x } = await call(server.base, 'GET', '/labs/one-vm/explain?a=VM1');
    expect(status).toBe(200);
    expect(x).not.toHaveProperty('b');
    expect(x).not.toHaveProperty('diverges');
    expect(x.a).toMatchObject({ vm: 'VM1', wbinvd: true, coherencyHazard: false });
    expect(x.cause).toMatchObject({
      seq: created.seq,
      op: 'vm.create',
      effect: { type: 'vm.wbinvd_on', vm: 'VM1' },
    });
    const state = await server.client.state('one-vm');
    const shared = state.devices.find((d) => d.name === 'A')?.hwpt;
    expect(state.devices.find((d) => d.name === 'B')?.hwpt).toBe(shared);
    expect(x.latent).toEqual([
      { device: 'A', hwpt: shared, trigger: { op: 'vm.detach', vm: 'VM1', device: 'B' } },
    ]);
    expect(x.summary).toContain('unplugging B');
    expect(x.kernels['6.6'].a).toEqual({ wbinvd: true, coherencyHazard: false });
    // The remedy, applied for real, leaves no latent hazard, and the unplug then leaves no hazard.
    expect(x.remedies.length).toBeGreaterThan(0);
    const [remedy] = x.remedies;
    expect(remedy.result.a.coherencyHazard).toBe(false);
    const applied = await server.client.batch('one-vm', remedy.ops, { atomic: true });
    expect(applied.refused).toBe(0);
    const after = (await call(server.base, 'GET', '/labs/one-vm/explain?a=VM1')).body;
    expect(after.latent).toEqual([]);
    await server.client.detachDevice('one-vm', 'VM1', 'B');
    expect((await server.client.state('one-vm')).vms[0]).toMatchObject({
      wbinvd: false,
      coherencyHazard: false,
    });
  });

  it('without the remedy the trigger does what explain said: a hazard, and explain names the unplug', async () => {
    await server.client.createLab({ name: 'one-vm-b', policy: 'iommufd', template: 'seed' });
    await server.client.createVm('one-vm-b', { name: 'VM1', devices: ['B', 'A'] });
    const unplug = await server.client.detachDevice('one-vm-b', 'VM1', 'B');
    const x = await server.client.explainVm('one-vm-b', 'VM1');
    expect(x.a).toMatchObject({ wbinvd: false, coherencyHazard: true });
    expect(x.cause).toMatchObject({ seq: unplug.seq, op: 'vm.detach', effect: { type: 'vm.hazard_on' } });
    expect(x.latent).toEqual([]);
    expect(x.remedies.map((r) => r.ops[0]?.op)).toContain('device.replace');
  });

  it('type1 never offers replace; on 6.1 it offers an unplug and re-plug, which works when applied', async () => {
    await server.client.createLab({ name: 'rem-61', policy: 'type1', kernel: '6.1', template: 'seed-story' });
    const pair = await server.client.explain('rem-61', 'VM1', 'VM2');
    expect(pair.diverges).toBe(true);
    const one = await server.client.explainVm('rem-61', 'VM1');
    const ops = [...pair.remedies, ...one.remedies].flatMap((r) => r.ops.map((o) => o.op));
    expect(ops).not.toContain('device.replace');
    const replug = one.remedies.find((r) => r.ops.map((o) => o.op).join() === 'vm.detach,vm.attach');
    expect(replug?.result.a).toEqual({ wbinvd: false, coherencyHazard: false });
    expect(pair.kernels['6.12']?.rule).toContain('vfio_group_enforced_coherent');
    await server.client.batch('rem-61', replug?.ops ?? [], { atomic: true });
    expect(await outcome('rem-61')).toEqual({ kernel: '6.1', ...converged });
  });

  it('an unknown VM is a 404, as with two', async () => {
    const { status, body } = await call(server.base, 'GET', '/labs/one-vm/explain?a=VM9');
    expect(status).toBe(404);
    expect(body.error.code).toBe('ENOENT');
  });
});
