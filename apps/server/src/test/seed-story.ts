// The seed story of docs/domain.md through the REST client, for the tests that run it under each policy
// and kernel profile: VM1 booted with the given devices, VM2 with [A2], then B hot-unplugged from VM1.
import type { Kernel, Policy } from '@ioasid-lab/core';
import type { TestServer } from './harness.ts';

type Client = TestServer['client'];

/** Under explicit nothing is automatic: tables are allocated and devices attached to them by hand. */
async function bootExplicit(client: Client, lab: string): Promise<void> {
  const vm1 = await client.createVm(lab, { name: 'VM1' });
  const snoop = await client.allocHwpt(lab, { ioas: vm1.ioas, iommu: 'iommu0', enforceCacheCoherency: true });
  const plain = await client.allocHwpt(lab, {
    ioas: vm1.ioas,
    iommu: 'iommu1',
    enforceCacheCoherency: false,
  });
  await client.attachDevice(lab, 'VM1', { device: 'A', hwpt: snoop.id });
  await client.attachDevice(lab, 'VM1', { device: 'B', hwpt: plain.id });
  const vm2 = await client.createVm(lab, { name: 'VM2' });
  const table = await client.allocHwpt(lab, { ioas: vm2.ioas, iommu: 'iommu0', enforceCacheCoherency: true });
  await client.attachDevice(lab, 'VM2', { device: 'A2', hwpt: table.id });
}

/**
 * Creates `lab` from the seed hardware under `policy` (and `kernel`, else the default), plays the story
 * and returns how many tables VM1 had while it held both A and B.
 */
export async function playSeedStory(
  client: Client,
  lab: string,
  policy: Policy,
  vm1Devices: string[],
  kernel?: Kernel,
): Promise<number> {
  await client.createLab({ name: lab, policy, template: 'seed', ...(kernel ? { kernel } : {}) });
  if (policy === 'explicit') await bootExplicit(client, lab);
  else {
    await client.createVm(lab, { name: 'VM1', devices: vm1Devices });
    await client.createVm(lab, { name: 'VM2', devices: ['A2'] });
  }
  const during = await client.state(lab);
  const ioas = during.vms.find((vm) => vm.name === 'VM1')?.ioas;
  const tables = during.hwpts.filter((hwpt) => hwpt.ioas === ioas).length;
  await client.detachDevice(lab, 'VM1', 'B');
  return tables;
}

/** The lab's kernel and both VMs' wbinvd and hazard, as the seed tables state them. */
export async function seedOutcome(client: Client, lab: string) {
  const state = await client.state(lab);
  const vm = (name: string) => {
    const found = state.vms.find((candidate) => candidate.name === name);
    return { wbinvd: found?.wbinvd, hazard: found?.coherencyHazard };
  };
  return { kernel: state.kernel, vm1: vm('VM1'), vm2: vm('VM2') };
}
