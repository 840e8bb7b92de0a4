// compare(): turns replays of one lab's inputs under several policies (and kernel profiles) into docs/api.md's
// comparison rows.
// Pure over CoreState: every number comes from the replayed core, none is recomputed here.
import type { CoreState, Kernel, Policy } from '@ioasid-lab/core';
import type { Comparison, PolicyComparison } from './store-types.ts';

export interface PolicyReplay {
  policy: Policy;
  kernel: Kernel;
  state: CoreState;
  refused: number;
}

export function comparePolicy({ policy, kernel, state, refused }: PolicyReplay): PolicyComparison {
  const vms = state.vms.map((vm) => {
    const hwpts = state.hwpts.filter((h) => h.ioas === vm.ioas);
    return {
      vm: vm.name,
      wbinvd: vm.wbinvd,
      coherencyHazard: vm.coherencyHazard,
      hwpts: hwpts.length,
      tableBytes: hwpts.reduce((sum, h) => sum + h.stats.bytes, 0),
    };
  });
  return {
    policy,
    kernel,
    refused,
    vms,
    hwpts: state.hwpts.length,
    tableBytes: state.hwpts.reduce((sum, h) => sum + h.stats.bytes, 0),
  };
}

export function compareReplays(seq: number, replays: PolicyReplay[]): Comparison {
  return { seq, policies: replays.map(comparePolicy) };
}
