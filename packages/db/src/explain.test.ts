// explain() on the seed story and its variants under each policy, checked against docs/domain.md:
// divergence, the event that starts it, the chain, remedies that work when applied, counterfactuals.
import type { Op, Policy } from '@ioasid-lab/core';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { LabStore, StoredLab } from './store-types.ts';
import { SEED_HARDWARE } from './templates.ts';
import { openTempStore } from './testing.ts';

const stores: LabStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function lab(policy: Policy, template: 'seed' | 'seed-story', ops: Op[] = []): StoredLab {
  const { store } = openTempStore();
  stores.push(store);
  const created = store.createLab({ name: 'l', policy, template });
  if (ops.length > 0) created.applyBatch(ops);
  return created;
}

const VM1_FIRST = SEED_HARDWARE.length + 1;

describe('explain on the seed story', () => {
  it("shared: VM1 keeps wbinvd on, diverging at B's attach inside vm.create VM1", () => {
    const l = lab('shared', 'seed-story');
    const e = l.explain('VM1', 'VM2');
    expect(e.a).toMatchObject({ vm: 'VM1', wbinvd: true, coherencyHazard: false });
    expect(e.b).toMatchObject({ vm: 'VM2', wbinvd: false, coherencyHazard: false });
    expect(e.diverges).toBe(true);
    expect(e.firstDivergence).toMatchObject({ seq: VM1_FIRST, op: 'vm.create' });
    expect(e.firstDivergence?.effect.device).toBe('B');
    expect(e.firstDivergence?.effect.type).toBe('device.attached');
    expect(e.chain[0]?.seq).toBe(VM1_FIRST);
    expect(e.chain.flatMap((c) => c.effects.map((x) => x.type))).toContain('vm.wbinvd_on');
    expect(e.chain.map((c) => c.seq)).toContain(VM1_FIRST + 2);
    expect(e.a.why).toContain(VM1_FIRST);
    expect(e.b.why).toContain(VM1_FIRST + 1);
    expect(e.summary).toContain('VM1 emulates wbinvd');
    expect(e.summary).toContain(`#${VM1_FIRST}`);
    expect(e.summary).toContain('B attached to HWPT');
    expect(e.summary).toContain('lost SNP');
    expect(e.summary).toContain('replace A onto a fresh enforcing HWPT');
    expect(e.counterfactual.type1).toMatchObject({ a: { wbinvd: false }, b: { wbinvd: false } });
    expect(e.counterfactual.iommufd).toMatchObject({
      a: { wbinvd: false, coherencyHazard: false },
      b: { wbinvd: false },
    });
    expect(e.counterfactual.shared).toBeUndefined();
    expect(e.remedies.length).toBeGreaterThan(0);
    const first = e.remedies[0];
    expect(first?.result).toEqual({
      a: { wbinvd: false, coherencyHazard: false },
      b: { wbinvd: false, coherencyHazard: false },
    });
    // The remedy works for real, not only in the scratch replay.
    const applied = l.applyBatch(first?.ops ?? [], { atomic: true });
    expect(applied.every((ev) => ev.result.ok)).toBe(true);
    expect(l.state().vms.find((v) => v.name === 'VM1')?.wbinvd).toBe(false);
    expect(l.explain('VM1', 'VM2').diverges).toBe(false);
  });

  it.each(['type1', 'iommufd'] as const)('%s: VM1 and VM2 converge and explain says why', (policy) => {
    const e = lab(policy, 'seed-story').explain('VM1', 'VM2');
    expect(e.diverges).toBe(false);
    expect(e.firstDivergence).toBeNull();
    expect(e.chain).toEqual([]);
    expect(e.a).toMatchObject({ wbinvd: false, coherencyHazard: false });
    expect(e.b).toMatchObject({ wbinvd: false, coherencyHazard: false });
    expect(e.a.why).toContain(VM1_FIRST);
    expect(e.remedies).toEqual([]);
    expect(e.summary).toContain('do not diverge');
    expect(e.counterfactual.shared).toMatchObject({ a: { wbinvd: true }, b: { wbinvd: false } });
  });

  it("iommufd with VM1 booted [B, A]: wbinvd off but a coherency hazard, started by B's attach", () => {
    const l = lab('iommufd', 'seed', [
      { op: 'vm.create', name: 'VM1', devices: ['B', 'A'] },
      { op: 'vm.create', name: 'VM2', devices: ['A2'] },
      { op: 'vm.detach', vm: 'VM1', device: 'B' },
    ]);
    const e = l.explain('VM1', 'VM2');
    expect(e.a).toMatchObject({ wbinvd: false, coherencyHazard: true });
    expect(e.b).toMatchObject({ wbinvd: false, coherencyHazard: false });
    expect(e.diverges).toBe(true);
    expect(e.firstDivergence).toMatchObject({ seq: VM1_FIRST, op: 'vm.create' });
    expect(e.firstDivergence?.effect.device).toBe('B');
    expect(e.chain.flatMap((c) => c.effects.map((x) => x.type))).toContain('vm.hazard_on');
    expect(e.summary).toContain('coherency hazard');
    const first = e.remedies[0];
    expect(first?.result.a.coherencyHazard).toBe(false);
    l.applyBatch(first?.ops ?? [], { atomic: true });
    expect(l.state().vms.find((v) => v.name === 'VM1')).toMatchObject({
      wbinvd: false,
      coherencyHazard: false,
    });
    expect(e.counterfactual.type1).toMatchObject({ a: { wbinvd: false, coherencyHazard: false } });
  });

  it('shared, story told with separate attach events: the divergence is the vm.attach of B', () => {
    const l = lab('shared', 'seed', [
      { op: 'vm.create', name: 'VM1' },
      { op: 'vm.create', name: 'VM2' },
      { op: 'vm.attach', vm: 'VM1', device: 'A' },
      { op: 'vm.attach', vm: 'VM2', device: 'A2' },
      { op: 'vm.attach', vm: 'VM1', device: 'B' },
      { op: 'vm.detach', vm: 'VM1', device: 'B' },
    ]);
    const e = l.explain('VM2', 'VM1');
    expect(e.diverges).toBe(true);
    expect(e.b.wbinvd).toBe(true);
    expect(e.firstDivergence).toMatchObject({ seq: VM1_FIRST + 4, op: 'vm.attach' });
    expect(e.firstDivergence?.effect).toMatchObject({ device: 'B' });
    expect(e.remedies.length).toBeGreaterThan(0);
  });

  it('shared + replace A onto a fresh enforcing HWPT: VM1 turns wbinvd off, no divergence', () => {
    const l = lab('shared', 'seed-story', [
      { op: 'device.replace', vm: 'VM1', device: 'A', hwpt: 'new', enforceCacheCoherency: true },
    ]);
    const e = l.explain('VM1', 'VM2');
    expect(e.a).toMatchObject({ wbinvd: false, coherencyHazard: false });
    expect(e.diverges).toBe(false);
    expect(e.a.why).toContain(l.seq);
  });

  it('a long churn of VM2 across 1,000 fresh HWPTs keeps the answer and its size unchanged', () => {
    const churn: Op[] = [];
    for (let i = 0; i < 500; i++) {
      churn.push(
        { op: 'vm.detach', vm: 'VM2', device: 'A2' },
        { op: 'vm.attach', vm: 'VM2', device: 'A2' },
        { op: 'device.replace', vm: 'VM2', device: 'A2', hwpt: 'new', enforceCacheCoherency: true },
      );
    }
    const l = lab('shared', 'seed-story', churn);
    expect(l.state().hwpts.at(-1)?.id).toBeGreaterThan(1000);
    const e = l.explain('VM1', 'VM2');
    expect(e.diverges).toBe(true);
    expect(e.firstDivergence).toMatchObject({
      seq: VM1_FIRST,
      effect: { type: 'device.attached', device: 'B' },
    });
    expect(e.chain.map((c) => c.seq)).toEqual([VM1_FIRST, VM1_FIRST + 2]);
    // VM2's why: its creation, the latest moves of A2 and the birth of the table it sits on now.
    expect(e.b.why.length).toBeLessThan(8);
    expect(Math.max(...e.b.why)).toBe(l.seq);
  });

  it('answers again from the same seq without sharing objects, and anew once the seq moves', () => {
    const l = lab('shared', 'seed-story');
    const first = l.explain('VM1', 'VM2');
    first.remedies.length = 0;
    const again = l.explain('VM1', 'VM2');
    expect(again.remedies.length).toBeGreaterThan(0);
    expect(again).toEqual(l.explain('VM1', 'VM2'));
    l.apply({ op: 'device.replace', vm: 'VM1', device: 'A', hwpt: 'new', enforceCacheCoherency: true });
    expect(l.explain('VM1', 'VM2')).toMatchObject({ seq: again.seq + 1, diverges: false });
  });

  it('refuses unknown VMs and a VM compared with itself', () => {
    const l = lab('shared', 'seed-story');
    expect(() => l.explain('VM1', 'VM9')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => l.explain('VM1', 'VM1')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('counterfactual shadows', () => {
  it('after reopen, explain and compare from shadow snapshots equal a full replay', () => {
    const ops: Op[] = [
      { op: 'vm.attach', vm: 'VM2', device: 'B' },
      { op: 'vm.detach', vm: 'VM2', device: 'B' },
      { op: 'vm.attach', vm: 'VM1', device: 'nope' },
      { op: 'device.replace', vm: 'VM2', device: 'A2', hwpt: 'new', enforceCacheCoherency: false },
    ];
    // Long enough for shadow snapshots to be saved (20 intervals of 2 inputs pending).
    for (let i = 0; i < 30; i++) {
      ops.push({ op: 'vm.detach', vm: 'VM1', device: 'A' }, { op: 'vm.attach', vm: 'VM1', device: 'A' });
    }
    const snapshotted = openTempStore({ snapshotEvery: 2 });
    const plain = openTempStore({ snapshotEvery: 1_000_000 });
    stores.push(plain.store);
    snapshotted.store.createLab({ name: 'l', policy: 'shared', template: 'seed-story' }).applyBatch(ops);
    const reference = plain.store.createLab({ name: 'l', policy: 'shared', template: 'seed-story' });
    reference.applyBatch(ops);
    const reopened = snapshotted.reopen();
    stores.push(reopened);
    const l = reopened.getLab('l');
    expect(l.compare()).toEqual(reference.compare());
    expect(l.explain('VM1', 'VM2').counterfactual).toEqual(reference.explain('VM1', 'VM2').counterfactual);
    expect(l.explain('VM1', 'VM2').kernels).toEqual(reference.explain('VM1', 'VM2').kernels);
    // type1 refuses the attach of an unknown device and, having no replace, the replace (EOPNOTSUPP).
    expect(l.compare().policies.find((p) => p.policy === 'type1')?.refused).toBe(2);
    const saved = new Database(snapshotted.path, { readonly: true });
    const shadows = saved
      .prepare(
        'select policy, kernel, count(*) as n from shadow_snapshots group by policy, kernel order by policy, kernel',
      )
      .all();
    saved.close();
    // The replays explain reads: each other policy on the lab's kernel. shared reads no kernel rule, so
    // its replays under 6.1 and 6.6 are the lab's own and no shadow repeats them.
    expect(shadows).toEqual([
      { policy: 'explicit', kernel: '6.12', n: expect.any(Number) },
      { policy: 'iommufd', kernel: '6.12', n: expect.any(Number) },
      { policy: 'type1', kernel: '6.12', n: expect.any(Number) },
    ]);
  });
});

describe('shadows kept current as commits land', () => {
  it('equal a fresh replay of the inputs after single ops, refusals, batches and a rolled-back atomic batch', () => {
    const { store } = openTempStore({ snapshotEvery: 2 });
    const plain = openTempStore({ snapshotEvery: 1_000_000 }).store;
    stores.push(store, plain);
    const l = store.createLab({ name: 'l', policy: 'iommufd', template: 'seed-story' });
    let checks = 0;
    /** A lab made from l's inputs in one batch: its replays under each policy start from nothing. */
    const fresh = () => {
      const reference = plain.createLab({ name: `r${checks++}`, policy: 'iommufd', template: 'empty' });
      reference.applyBatch(l.export().ops);
      return reference;
    };
    // The policies' replays, without the seq they are taken at (l's log also holds rolled-back attempts).
    const policies = (lab: StoredLab) => lab.compare().policies;
    expect(policies(l)).toEqual(policies(fresh())); // the shadows are in memory from here on
    for (let i = 0; i < 40; i++) {
      l.apply({ op: 'vm.detach', vm: 'VM1', device: 'A' });
      l.apply({ op: 'vm.attach', vm: 'VM1', device: 'A' });
      if (i % 7 === 3) l.apply({ op: 'vm.attach', vm: 'VM1', device: 'nope' });
      if (i % 9 === 4) {
        const atomic = [
          { op: 'vm.detach', vm: 'VM2', device: 'B' },
          { op: 'vm.attach', vm: 'VM1', device: 'nope' },
        ] satisfies Op[];
        expect(l.applyBatch(atomic, { atomic: true }).at(-1)?.result.ok).toBe(false);
      }
      if (i === 20) {
        l.applyBatch([
          { op: 'device.replace', vm: 'VM2', device: 'A2', hwpt: 'new', enforceCacheCoherency: false },
          { op: 'vm.detach', vm: 'VM2', device: 'B' },
          { op: 'vm.attach', vm: 'VM2', device: 'B' },
        ]);
      }
      if (i % 10 === 9) expect(policies(l)).toEqual(policies(fresh()));
    }
    const reference = fresh();
    expect(l.explain('VM1', 'VM2').counterfactual).toEqual(reference.explain('VM1', 'VM2').counterfactual);
    expect(l.explain('VM1', 'VM2').kernels).toEqual(reference.explain('VM1', 'VM2').kernels);
    expect(l.compare().policies.find((p) => p.policy === 'type1')?.refused).toBeGreaterThan(0);
  });
});

describe('compare', () => {
  it('replays the inputs under each policy: wbinvd, HWPTs and table bytes per VM', () => {
    const l = lab('shared', 'seed-story');
    const booted = lab('shared', 'seed', [{ op: 'vm.create', name: 'VM1', devices: ['A', 'B'] }]);
    const now = l.compare(['type1', 'iommufd', 'shared']);
    const vm1 = (c: typeof now, p: Policy) =>
      c.policies.find((x) => x.policy === p)?.vms.find((v) => v.vm === 'VM1');
    expect(now.policies.map((p) => p.policy)).toEqual(['type1', 'iommufd', 'shared']);
    expect(vm1(now, 'type1')?.wbinvd).toBe(false);
    expect(vm1(now, 'iommufd')?.wbinvd).toBe(false);
    expect(vm1(now, 'shared')?.wbinvd).toBe(true);
    const whileBoth = booted.compare(['type1', 'iommufd', 'shared']);
    expect(vm1(whileBoth, 'type1')?.hwpts).toBe(2);
    expect(vm1(whileBoth, 'iommufd')?.hwpts).toBe(2);
    expect(vm1(whileBoth, 'shared')?.hwpts).toBe(1);
    expect(vm1(whileBoth, 'shared')?.tableBytes).toBeGreaterThan(0);
    expect(vm1(whileBoth, 'type1')?.tableBytes).toBeGreaterThan(vm1(whileBoth, 'shared')?.tableBytes ?? 0);
  });
});
