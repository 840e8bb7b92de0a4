// Kernel profiles in the event store: a lab's kernel through create, reopen, fork, export and import; explain
// across kernels (the rule that differs), compare per policy × kernel, and the single-VM explain (cause, latent
// hazards, remedies checked by replay). Real SQLite files, real cores.
import { KERNELS, Lab, type Op, POLICIES, type Policy } from '@ioasid-lab/core';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { replayKernel } from './kernels.ts';
import type { LabStore, StoredLab, VmExplanation } from './store-types.ts';
import { SEED_HARDWARE, SEED_STORY } from './templates.ts';
import { openTempStore } from './testing.ts';
import { randomOp, vmCreate } from './testing-ops.ts';

const stores: LabStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function temp() {
  const opened = openTempStore();
  stores.push(opened.store);
  return opened;
}

const VM1_FIRST = SEED_HARDWARE.length + 1;
const BOOT_B_FIRST: Op[] = [{ op: 'vm.create', name: 'VM1', devices: ['B', 'A'] }];

describe("a lab's kernel in the store", () => {
  it('is chosen at create (default 6.12), listed, in state, and kept across a reopen', () => {
    // Snapshots every 2 events: the reopen and past states restore them, and must keep the kernel.
    const opened = openTempStore({ snapshotEvery: 2 });
    opened.store.createLab({ name: 'plain', policy: 'type1', template: 'seed-story' });
    opened.store.createLab({ name: 'old', policy: 'type1', kernel: '6.1', template: 'seed-story' });
    const store = opened.reopen();
    stores.push(store);
    expect(store.listLabs().map((l) => [l.name, l.kernel])).toEqual([
      ['plain', '6.12'],
      ['old', '6.1'],
    ]);
    expect(store.getLab('old').state()).toMatchObject({ kernel: '6.1', policy: 'type1' });
    expect(
      store
        .getLab('old')
        .state()
        .vms.find((v) => v.name === 'VM1')?.wbinvd,
    ).toBe(true);
    expect(
      store
        .getLab('plain')
        .state()
        .vms.find((v) => v.name === 'VM1')?.wbinvd,
    ).toBe(false);
    const past = store.getLab('old').state(VM1_FIRST + 1);
    expect(past).toMatchObject({ seq: VM1_FIRST + 1, kernel: '6.1' });
    expect(past.vms.find((v) => v.name === 'VM1')?.noncoherentDma).toBe(1);
    // Before the first snapshot a past state is a fresh core: it too follows the lab's kernel.
    expect(store.getLab('old').state(1).kernel).toBe('6.1');
    // The reopened live core agrees with a replay from event 1 under the lab's kernel.
    const fresh = store.getLab('old').fork('old-copy');
    expect(fresh.state()).toEqual({ ...store.getLab('old').state(), seq: fresh.seq });
  });

  it('refuses an unknown kernel (EINVAL naming the allowed ones) and iommufd on 6.1 (EOPNOTSUPP)', () => {
    const { store } = temp();
    expect(() => store.createLab({ name: 'x', policy: 'type1', kernel: '5.4' as never })).toThrow(
      expect.objectContaining({ code: 'EINVAL', message: expect.stringContaining('6.1, 6.6, 6.12') }),
    );
    expect(() => store.createLab({ name: 'x', policy: 'iommufd', kernel: '6.1' })).toThrow(
      expect.objectContaining({ code: 'EOPNOTSUPP', message: expect.stringContaining('6.1') }),
    );
    expect(store.hasLab('x')).toBe(false);
    expect(store.listLabs()).toEqual([]);
  });

  it('fork replays under another kernel; export and import carry it', () => {
    const { store } = temp();
    const src = store.createLab({ name: 'src', policy: 'type1', template: 'seed-story' });
    const old = src.fork('old', undefined, undefined, '6.1');
    expect(old.summary()).toMatchObject({ policy: 'type1', kernel: '6.1', events: src.seq });
    expect(old.state().vms.find((v) => v.name === 'VM1')).toMatchObject({ wbinvd: true, noncoherentDma: 1 });
    expect(src.fork('same').kernel).toBe('6.12');
    expect(() =>
      store.createLab({ name: 'fd', policy: 'iommufd' }).fork('fd61', undefined, undefined, '6.1'),
    ).toThrow(expect.objectContaining({ code: 'EOPNOTSUPP' }));
    const exported = old.export();
    expect(exported.kernel).toBe('6.1');
    expect(store.importLab('back', undefined, exported).kernel).toBe('6.1');
    expect(store.importLab('moved', undefined, exported, '6.6').kernel).toBe('6.6');
    const { kernel: _none, ...legacy } = exported;
    expect(store.importLab('legacy', undefined, legacy).kernel).toBe('6.12');
    expect(store.getLab('back').state()).toEqual({ ...old.state(), seq: old.seq });
  });
});

describe('explain across kernels', () => {
  it('type1 on 6.1 diverges like shared; kernels says 6.6 and 6.12 converge and why', () => {
    const { store } = temp();
    const l = store.createLab({ name: 'l', policy: 'type1', kernel: '6.1', template: 'seed-story' });
    const e = l.explain('VM1', 'VM2');
    expect(e.kernel).toBe('6.1');
    expect(e.a).toMatchObject({ wbinvd: true, coherencyHazard: false });
    expect(e.diverges).toBe(true);
    // The divergence starts at B's attach inside vm.create VM1, and the chain includes B's unplug, which
    // re-judged VM1 while B's domain was still in the container.
    expect(e.firstDivergence).toMatchObject({ seq: VM1_FIRST, op: 'vm.create' });
    expect(e.firstDivergence?.effect).toMatchObject({ type: 'device.attached', device: 'B' });
    expect(e.chain.map((c) => c.seq)).toEqual([VM1_FIRST, VM1_FIRST + 2]);
    const unplug = e.chain[1]?.effects.map((x) => `${x.type}:${x.device}`);
    expect(unplug?.indexOf('vm.kvm_file_removed:B')).toBeLessThan(unplug?.indexOf('device.detached:B') ?? -1);
    for (const k of ['6.6', '6.12'] as const) {
      expect(e.kernels[k]?.a).toEqual({ wbinvd: false, coherencyHazard: false });
      expect(e.kernels[k]?.rule).toContain('vfio_group_enforced_coherent');
    }
    expect(e.kernels['6.1']).toEqual({
      a: { wbinvd: true, coherencyHazard: false },
      b: { wbinvd: false, coherencyHazard: false },
      refused: 0,
    });
    expect(e.counterfactual.iommufd).toBeUndefined();
    expect(e.summary).toContain('On 6.12 VM1 would not emulate wbinvd');
    // No replace under type1; the unplug and re-plug of A is offered, and works when applied.
    expect(e.remedies.flatMap((r) => r.ops.map((o) => o.op))).not.toContain('device.replace');
    const replug = e.remedies.find((r) => r.ops.map((o) => o.op).join() === 'vm.detach,vm.attach');
    expect(replug?.result.a).toEqual({ wbinvd: false, coherencyHazard: false });
    l.applyBatch(replug?.ops ?? [], { atomic: true });
    expect(l.explain('VM1', 'VM2').diverges).toBe(false);
  });

  it.each([
    ['6.6', 2, { wbinvd: false, coherencyHazard: false }],
    ['6.12', 1, { wbinvd: false, coherencyHazard: true }],
  ] as const)('iommufd, VM1 booted [B, A], on %s: %i tables, then %j', (kernel, tables, after) => {
    const { store } = temp();
    const l = store.createLab({ name: 'l', policy: 'iommufd', kernel, template: 'seed' });
    l.applyBatch(BOOT_B_FIRST);
    expect(l.state().hwpts).toHaveLength(tables);
    l.applyBatch([
      { op: 'vm.create', name: 'VM2', devices: ['A2'] },
      { op: 'vm.detach', vm: 'VM1', device: 'B' },
    ]);
    const e = l.explain('VM1', 'VM2');
    expect(e.a).toMatchObject(after);
    const other = kernel === '6.6' ? '6.12' : '6.6';
    expect(e.kernels[other]?.a?.coherencyHazard).toBe(!after.coherencyHazard);
    expect(e.kernels[other]?.rule).toContain('2ccabf81ddff');
    expect(e.kernels['6.1']).toBeUndefined();
  });

  it('compare takes kernels: one row per policy × kernel that has the policy', () => {
    const { store } = temp();
    const l = store.createLab({ name: 'l', policy: 'shared', template: 'seed-story' });
    const c = l.compare(['type1', 'iommufd'], [...KERNELS]);
    expect(c.policies.map((p) => `${p.policy}@${p.kernel}`)).toEqual([
      'type1@6.1',
      'type1@6.6',
      'type1@6.12',
      'iommufd@6.6',
      'iommufd@6.12',
    ]);
    const vm1 = (policy: Policy, kernel: string) =>
      c.policies.find((p) => p.policy === policy && p.kernel === kernel)?.vms.find((v) => v.vm === 'VM1');
    expect(vm1('type1', '6.1')?.wbinvd).toBe(true);
    expect(vm1('type1', '6.12')?.wbinvd).toBe(false);
  });
});

describe('profiles that read the same rules for a policy share one replay', () => {
  function replay(policy: Policy, kernel: (typeof KERNELS)[number], ops: Op[]) {
    let core: Lab;
    try {
      core = Lab.create(policy, undefined, kernel);
    } catch {
      return null;
    }
    try {
      const results = core.applyBatch(ops).map((r) => (r.ok ? r.effects : r.code));
      const { kernel: _k, ...state } = core.state();
      return { results, state };
    } finally {
      core.destroy();
    }
  }

  it('random histories replay identically under profiles replayKernel calls equivalent (200 runs)', () => {
    let compared = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...POLICIES),
        // Half the runs start from the seed story (VM1 booted [A, B], B unplugged): histories where the
        // profiles' rules show.
        fc.boolean(),
        fc.tuple(
          vmCreate(fc.constant('VM1')),
          vmCreate(fc.constant('VM2')),
          fc.array(randomOp, { maxLength: 25 }),
        ),
        (policy, story, [vm1, vm2, rest]) => {
          const ops: Op[] = [...SEED_HARDWARE, ...(story ? SEED_STORY : [vm1, vm2]), ...rest];
          for (const own of KERNELS) {
            for (const kernel of KERNELS) {
              const stand = replayKernel(policy, kernel, own);
              if (stand === kernel) continue;
              compared++;
              expect(replay(policy, kernel, ops)).toEqual(replay(policy, stand, ops));
            }
          }
        },
      ),
      { numRuns: 200 },
    );
    expect(compared).toBeGreaterThan(200);
  });

  it('a type1 lab keeps a shadow for 6.1 only; a shared lab none per kernel', () => {
    const ops: Op[] = [];
    for (let i = 0; i < 25; i++) {
      ops.push({ op: 'vm.detach', vm: 'VM1', device: 'A' }, { op: 'vm.attach', vm: 'VM1', device: 'A' });
    }
    const opened = openTempStore({ snapshotEvery: 2 });
    stores.push(opened.store);
    opened.store.createLab({ name: 't', policy: 'type1', template: 'seed-story' }).applyBatch(ops);
    const saved = new Database(opened.path, { readonly: true });
    const kernels = saved
      .prepare("select distinct kernel from shadow_snapshots where policy = 'type1' order by kernel")
      .pluck()
      .all();
    saved.close();
    expect(kernels).toEqual(['6.1']);
    const l = opened.store.getLab('t');
    expect(l.explain('VM1', 'VM2').kernels['6.6']).toEqual(l.explain('VM1', 'VM2').kernels['6.12']);
    // Each re-plug of A was a FILE_DEL and FILE_ADD after B's domain left the container: 6.1 judged again.
    expect(l.explain('VM1', 'VM2').kernels['6.1']?.a?.wbinvd).toBe(false);
    expect(l.compare(['type1'], ['6.1']).policies[0]?.vms.find((v) => v.vm === 'VM1')?.wbinvd).toBe(false);
  });
});

describe('explain with one VM', () => {
  function bootedBA(kernel: '6.6' | '6.12' = '6.12'): StoredLab {
    const { store } = temp();
    const l = store.createLab({ name: 'l', policy: 'iommufd', kernel, template: 'seed' });
    l.applyBatch(BOOT_B_FIRST);
    return l;
  }

  it('finds the latent hazard by replay: A on B table, triggered by unplugging B', () => {
    const l = bootedBA();
    const x = l.explain('VM1') as VmExplanation;
    expect(x).not.toHaveProperty('b');
    expect(x.a).toMatchObject({ vm: 'VM1', wbinvd: true, coherencyHazard: false });
    const table = l.state().devices.find((d) => d.name === 'A')?.hwpt;
    expect(x.latent).toEqual([
      { device: 'A', hwpt: table, trigger: { op: 'vm.detach', vm: 'VM1', device: 'B' } },
    ]);
    expect(x.cause).toMatchObject({ seq: VM1_FIRST, op: 'vm.create', effect: { type: 'vm.wbinvd_on' } });
    expect(x.summary).toContain('B sits behind an IOMMU without snoop control');
    expect(x.summary).toContain('unplugging B would leave VM1 coherent');
    // The trigger does what explain said.
    l.apply({ op: 'vm.detach', vm: 'VM1', device: 'B' });
    const now = l.explain('VM1') as VmExplanation;
    expect(now.a).toMatchObject({ wbinvd: false, coherencyHazard: true });
    expect(now.cause).toMatchObject({
      seq: VM1_FIRST + 1,
      op: 'vm.detach',
      effect: { type: 'vm.hazard_on' },
    });
    expect(now.latent).toEqual([]);
    expect(now.summary).toContain('A can do no-snoop DMA on HWPT');
    expect(now.summary).toContain('On 6.6 VM1 would not be in a coherency hazard');
  });

  it('on 6.6 the same boot has no latent hazard: A got its own enforcing table', () => {
    const x = bootedBA('6.6').explain('VM1') as VmExplanation;
    expect(x.latent).toEqual([]);
    // Nothing latent to fix: a remedy can only turn wbinvd off, here by unplugging B.
    expect(x.remedies.map((r) => r.result.a)).toEqual(
      x.remedies.map(() => ({ wbinvd: false, coherencyHazard: false })),
    );
    expect(x.remedies[0]?.ops).toEqual([{ op: 'vm.detach', vm: 'VM1', device: 'B' }]);
    expect(x.kernels['6.12']?.a).toEqual({ wbinvd: true, coherencyHazard: false });
  });

  it('a device that cannot issue no-snoop DMA on a table without SNP is no latent hazard', () => {
    const { store } = temp();
    const l = store.createLab({ name: 'l', policy: 'iommufd', template: 'empty' });
    l.applyBatch([
      ...SEED_HARDWARE.filter((op) => op.op === 'iommu.add'),
      { op: 'device.add', name: 'A', iommu: 'iommu0', noSnoop: false },
      { op: 'device.add', name: 'B', iommu: 'iommu1', noSnoop: true },
      ...BOOT_B_FIRST,
    ]);
    const x = l.explain('VM1') as VmExplanation;
    expect(l.state().hwpts).toHaveLength(1);
    expect(x.latent).toEqual([]);
    l.apply({ op: 'vm.detach', vm: 'VM1', device: 'B' });
    expect(l.state().vms[0]).toMatchObject({ wbinvd: false, coherencyHazard: false });
  });

  it('remedies remove the latent hazard when applied, and are checked by replay', () => {
    const l = bootedBA();
    const x = l.explain('VM1') as VmExplanation;
    expect(x.remedies.length).toBeGreaterThan(0);
    for (const remedy of x.remedies) {
      expect(remedy.result.a.coherencyHazard).toBe(false);
    }
    const first = x.remedies[0];
    expect(first?.ops[0]).toMatchObject({ op: 'device.replace', device: 'A' });
    l.applyBatch(first?.ops ?? [], { atomic: true });
    expect((l.explain('VM1') as VmExplanation).latent).toEqual([]);
    l.apply({ op: 'vm.detach', vm: 'VM1', device: 'B' });
    expect(l.state().vms[0]).toMatchObject({ wbinvd: false, coherencyHazard: false });
  });

  it('a VM that never emulated wbinvd has no cause and needs no remedy', () => {
    const { store } = temp();
    const l = store.createLab({ name: 'l', policy: 'type1', template: 'seed' });
    l.apply({ op: 'vm.create', name: 'VM1', devices: ['A'] });
    const x = l.explain('VM1') as VmExplanation;
    expect(x.a).toMatchObject({ wbinvd: false, coherencyHazard: false });
    expect(x.cause).toBeNull();
    expect(x.latent).toEqual([]);
    expect(x.remedies).toEqual([]);
    expect(() => l.explain('VM9')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
