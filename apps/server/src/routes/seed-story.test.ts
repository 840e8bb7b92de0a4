// The seed scenario of docs/domain.md driven through REST under every policy: the product's regression test.
import type { Policy } from '@ioasid-lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../test/harness.ts';
import { playSeedStory, seedOutcome } from '../test/seed-story.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

const story = (lab: string, policy: Policy, vm1Devices: string[]) =>
  playSeedStory(server.client, lab, policy, vm1Devices);

/** Both VMs' wbinvd and hazard (the kernel is the default here). */
async function outcome(lab: string) {
  const { vm1, vm2 } = await seedOutcome(server.client, lab);
  return { vm1, vm2 };
}

describe('seed story via REST', () => {
  it.each([
    ['type1', 2],
    ['iommufd', 2],
    ['explicit', 2],
  ] as const)('%s: VM1 and VM2 converge once B leaves', async (policy, tables) => {
    expect(await story(`story-${policy}`, policy, ['A', 'B'])).toBe(tables);
    expect(await outcome(`story-${policy}`)).toEqual({
      vm1: { wbinvd: false, hazard: false },
      vm2: { wbinvd: false, hazard: false },
    });
  });

  it('shared: VM1 keeps emulating wbinvd for life, VM2 never does; explain names why', async () => {
    expect(await story('story-shared', 'shared', ['A', 'B'])).toBe(1);
    expect(await outcome('story-shared')).toEqual({
      vm1: { wbinvd: true, hazard: false },
      vm2: { wbinvd: false, hazard: false },
    });
    const explanation = await server.client.explain('story-shared', 'VM1', 'VM2');
    expect(explanation.diverges).toBe(true);
    expect(explanation.firstDivergence).not.toBeNull();
    expect(explanation.summary.length).toBeGreaterThan(20);
    const compare = await server.client.compare('story-shared', ['type1', 'shared']);
    const vm1Under = (policy: string) =>
      compare.policies.find((entry) => entry.policy === policy)?.vms.find((vm) => vm.vm === 'VM1')?.wbinvd;
    expect(vm1Under('type1')).toBe(false);
    expect(vm1Under('shared')).toBe(true);
  });

  it('shared + replace A onto a fresh enforcing HWPT: VM1 converges', async () => {
    await story('story-replace', 'shared', ['A', 'B']);
    const replaced = await server.client.replaceDevice('story-replace', 'VM1', 'A', {
      hwpt: 'new',
      enforceCacheCoherency: true,
    });
    expect(replaced.hwpt).not.toBeNull();
    expect(await outcome('story-replace')).toEqual({
      vm1: { wbinvd: false, hazard: false },
      vm2: { wbinvd: false, hazard: false },
    });
  });

  it('iommufd with VM1 booted {B, A}: wbinvd off but a coherency hazard, on one shared table', async () => {
    expect(await story('story-order', 'iommufd', ['B', 'A'])).toBe(1);
    expect(await outcome('story-order')).toEqual({
      vm1: { wbinvd: false, hazard: true },
      vm2: { wbinvd: false, hazard: false },
    });
  });

  it('the fresh database holds the seed lab: seed-story under shared, already divergent', async () => {
    const seed = await server.client.getLab('seed');
    expect(seed.policy).toBe('shared');
    expect(await outcome('seed')).toEqual({
      vm1: { wbinvd: true, hazard: false },
      vm2: { wbinvd: false, hazard: false },
    });
  });
});
