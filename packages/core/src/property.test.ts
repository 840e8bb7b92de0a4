// Property tests: random op sequences under every policy, held against the reference model in model.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alignNewIoas, domainViewOf, predictDomain } from './domain-model.ts';
import { type AnyOp, KERNELS, type Kernel, Lab, type OpResult, POLICIES, type Policy } from './index.ts';
import { applyAreas, areasOf, checkInvariants, predictMap, predictUnmap } from './model.ts';
import { toHex } from './u64.ts';

const HARDWARE: AnyOp[] = [
  { op: 'iommu.add', name: 'sc', vendor: 'intel-vtd', enforceCacheCoherency: true },
  { op: 'iommu.add', name: 'nosc', vendor: 'intel-vtd', enforceCacheCoherency: false },
  {
    op: 'iommu.add',
    name: 'small',
    vendor: 'intel-vtd',
    enforceCacheCoherency: true,
    pageSizes: [4096],
    iovaBits: 39,
  },
  { op: 'iommu.add', name: 'amd', vendor: 'amd-vi', enforceCacheCoherency: true },
  { op: 'device.add', name: 'A', iommu: 'sc', noSnoop: true },
  { op: 'device.add', name: 'A2', iommu: 'sc', noSnoop: true },
  { op: 'device.add', name: 'B', iommu: 'nosc', noSnoop: true },
  { op: 'device.add', name: 'C', iommu: 'small', group: 7 },
  { op: 'device.add', name: 'C2', iommu: 'small', group: 7 },
  { op: 'device.add', name: 'D', iommu: 'amd', noSnoop: true },
  // Two VMs whose IOAS ids are 1 and 2, so random ops hit them.
  { op: 'vm.create', name: 'VM1', memory: 0x200000 },
  { op: 'vm.create', name: 'VM2', memory: 0x1000 },
];

const vmName = fc.constantFrom('VM1', 'VM2', 'VM3');
const deviceName = fc.constantFrom('A', 'A2', 'B', 'C', 'C2', 'D');
const objectId = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 8 }) },
  { weight: 1, arbitrary: fc.constant(0) },
);
const MB = 1 << 20;
const iova = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 1024 }).map((n) => 0x400000 + n * 0x1000) },
  fc.constantFrom(
    0,
    0x1000,
    0x200000,
    0x800,
    0xfee00000,
    0x40000000,
    2 ** 39 - 0x1000,
    2 ** 39,
    '0xfffffffffffff000',
    '0xffffffffffffffff',
  ),
  fc.integer({ min: 0, max: 64 }).map((n) => n * 0x100000),
  fc.integer({ min: 0, max: 2048 }).map((n) => n * 0x1000),
);
const length = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 64 }).map((n) => n * 0x1000) },
  fc.constantFrom(0, 0x800, 0x1000, 0x2000, 0x200000, 0x201000, 0x400000, '0xffffffffffffffff'),
  fc.integer({ min: 1, max: 512 }).map((n) => n * 0x1000),
);

const opArb: fc.Arbitrary<AnyOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('vm.create' as const),
      name: vmName,
      memory: fc.constantFrom(4096, 2 * MB, 4 * MB + 4096),
      devices: fc.subarray(['A', 'A2', 'B', 'C', 'D']),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('vm.destroy' as const), vm: vmName }) },
  {
    weight: 8,
    arbitrary: fc.record(
      {
        op: fc.constant('vm.attach' as const),
        vm: vmName,
        device: deviceName,
        hwpt: objectId,
        announceKvm: fc.constantFrom('before', 'after', 'never') as fc.Arbitrary<
          'before' | 'after' | 'never'
        >,
      },
      { requiredKeys: ['op', 'vm', 'device'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('vm.detach' as const), vm: vmName, device: deviceName }),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        op: fc.constant('device.replace' as const),
        vm: vmName,
        device: deviceName,
        hwpt: fc.oneof(objectId, fc.constant('new' as const)),
        enforceCacheCoherency: fc.boolean(),
      },
      { requiredKeys: ['op', 'vm', 'device', 'hwpt'] },
    ),
  },
  {
    weight: 6,
    arbitrary: fc.record(
      {
        op: fc.constant('ioas.map' as const),
        ioas: objectId,
        iova,
        length,
        read: fc.boolean(),
        write: fc.boolean(),
      },
      { requiredKeys: ['op', 'ioas', 'iova', 'length'] },
    ),
  },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('ioas.unmap' as const), ioas: objectId, iova, length }),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        op: fc.constant('hwpt.alloc' as const),
        ioas: objectId,
        iommu: fc.constantFrom('sc', 'nosc', 'small', 'amd'),
        enforceCacheCoherency: fc.boolean(),
      },
      { requiredKeys: ['op', 'ioas', 'iommu'] },
    ),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('hwpt.destroy' as const), hwpt: objectId }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('device.remove' as const), name: fc.constantFrom('A2', 'C2') }),
  },
);

/** Commands that pick their targets from the lab's state when they run, so most of them hit something. */
type Command =
  | { kind: 'raw'; op: AnyOp }
  | {
      kind: 'attach';
      vm: string;
      device: string;
      hwpt: number | null;
      announceKvm: 'before' | 'after' | 'never';
    }
  | { kind: 'detach'; pick: number }
  | { kind: 'replace'; pick: number; target: number | null; enforce: boolean | null }
  | { kind: 'map'; ioas: number; iova: number; pages: number; read: boolean; write: boolean }
  | { kind: 'unmap'; ioas: number; pick: number; span: number }
  | { kind: 'alloc'; ioas: number; iommu: string; enforce: boolean | null }
  | { kind: 'destroyHwpt'; pick: number };

const pick = fc.nat({ max: 31 });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: opArb.map((op) => ({ kind: 'raw' as const, op })) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('attach' as const),
      vm: fc.constantFrom('VM1', 'VM2'),
      device: deviceName,
      hwpt: fc.option(pick, { freq: 2 }),
      announceKvm: fc.constantFrom('before', 'before', 'after', 'never') as fc.Arbitrary<
        'before' | 'after' | 'never'
      >,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('detach' as const), pick }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('replace' as const),
      pick,
      target: fc.option(pick),
      enforce: fc.option(fc.boolean()),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('map' as const),
      ioas: pick,
      iova: fc.integer({ min: 0, max: 2047 }),
      pages: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constantFrom(512, 1024, 513)),
      read: fc.boolean(),
      write: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('unmap' as const),
      ioas: pick,
      pick,
      span: fc.integer({ min: 0, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('alloc' as const),
      ioas: pick,
      iommu: fc.constantFrom('sc', 'nosc', 'small', 'amd'),
      enforce: fc.option(fc.boolean()),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('destroyHwpt' as const), pick }) },
);

function at<T>(items: T[], index: number): T | undefined {
  return items.length ? items[index % items.length] : undefined;
}

/** Turns a command into a concrete op against the current state. */
function resolve(lab: Lab, command: Command): AnyOp {
  const state = lab.state();
  const ioasId = (n: number) => at(state.ioas, n)?.id ?? 99;
  const hwptId = (n: number) => at(state.hwpts, n)?.id ?? 99;
  const attached = state.devices.filter((d) => d.vm !== null);
  switch (command.kind) {
    case 'raw':
      return command.op;
    case 'attach': {
      const op: AnyOp = {
        op: 'vm.attach',
        vm: command.vm,
        device: command.device,
        announceKvm: command.announceKvm,
      };
      return command.hwpt === null ? op : { ...op, hwpt: hwptId(command.hwpt) };
    }
    case 'detach': {
      const device = at(attached, command.pick);
      return { op: 'vm.detach', vm: device?.vm ?? 'VM1', device: device?.name ?? 'A' };
    }
    case 'replace': {
      const device = at(attached, command.pick);
      const base = { op: 'device.replace' as const, vm: device?.vm ?? 'VM1', device: device?.name ?? 'A' };
      if (command.target !== null) return { ...base, hwpt: hwptId(command.target) };
      return command.enforce === null
        ? { ...base, hwpt: 'new' }
        : { ...base, hwpt: 'new', enforceCacheCoherency: command.enforce };
    }
    case 'map':
      return {
        op: 'ioas.map',
        ioas: ioasId(command.ioas),
        iova: 0x400000 + command.iova * 0x1000,
        length: command.pages * 0x1000,
        read: command.read,
        write: command.write,
      };
    case 'unmap': {
      const ioas = at(state.ioas, command.ioas);
      const areas = ioas?.areas ?? [];
      const first = at(areas, command.pick);
      if (!ioas || !first)
        return { op: 'ioas.unmap', ioas: ioasId(command.ioas), iova: 0, length: '0xffffffffffffffff' };
      // span 0: exactly one area; 1..2: from it over the next areas (and the holes); 3: cut it in half.
      const index = areas.indexOf(first);
      const lastArea = areas[Math.min(index + command.span, areas.length - 1)] ?? first;
      const start = BigInt(first.iova);
      const end = BigInt(lastArea.iova) + BigInt(lastArea.length);
      const length = command.span === 3 ? BigInt(first.length) / 2n || 1n : end - start;
      return { op: 'ioas.unmap', ioas: ioas.id, iova: toHex(start), length: toHex(length) };
    }
    case 'alloc': {
      const op: AnyOp = { op: 'hwpt.alloc', ioas: ioasId(command.ioas), iommu: command.iommu };
      return command.enforce === null ? op : { ...op, enforceCacheCoherency: command.enforce };
    }
    case 'destroyHwpt':
      return { op: 'hwpt.destroy', hwpt: hwptId(command.pick) };
  }
}

function big(value: unknown): bigint {
  return BigInt(value as string | number);
}

/** Runs ops one at a time, checking each against the models; returns every result. */
function runChecked(
  policy: Policy,
  kernel: Kernel,
  commands: Command[],
): { lab: Lab; ops: AnyOp[]; results: OpResult[] } {
  const lab = Lab.create(policy, undefined, kernel);
  for (const op of HARDWARE) expect(lab.apply(op).ok).toBe(true);
  const results: OpResult[] = [];
  const ops: AnyOp[] = [];
  for (const command of commands) {
    const op = resolve(lab, command);
    ops.push(op);
    const before = lab.state();
    const snapshot = lab.serialize();
    const result = lab.apply(op);
    results.push(result);
    const after = lab.state();
    // The domain model, from the same state: the same errno, and when accepted the same tables, the
    // same device placement and the same KVM view.
    const predicted = predictDomain(policy, kernel, before, op);
    expect(result.ok ? 'ok' : result.code, `${kernel} ${JSON.stringify(op)}`).toBe(predicted.code);
    if (result.ok && predicted.code === 'ok') {
      expect(domainViewOf(before, after), `${kernel} ${JSON.stringify(op)}`).toEqual(
        alignNewIoas(predicted.view, before, after),
      );
    }
    if (op.op === 'ioas.map') {
      const read = op.read ?? true;
      const write = op.write ?? true;
      const predicted = predictMap(before, op.ioas, big(op.iova), big(op.length), read, write);
      expect(result.ok ? 'ok' : result.code, `${JSON.stringify(op)}`).toBe(predicted);
      if (result.ok) {
        const expected = applyAreas(areasOf(before, op.ioas), {
          kind: 'map',
          iova: big(op.iova),
          length: big(op.length),
          read,
          write,
        });
        expect(areasOf(after, op.ioas)).toEqual(expected);
      }
    } else if (op.op === 'ioas.unmap') {
      const predicted = predictUnmap(before, op.ioas, big(op.iova), big(op.length));
      expect(result.ok ? 'ok' : result.code, `${JSON.stringify(op)}`).toBe(predicted);
      if (result.ok) {
        const expected = applyAreas(areasOf(before, op.ioas), {
          kind: 'unmap',
          iova: big(op.iova),
          length: big(op.length),
        });
        expect(areasOf(after, op.ioas)).toEqual(expected);
      }
    }
    if (!result.ok) {
      // Refused ops leave the lab as it was, byte for byte.
      expect(after).toEqual(before);
      expect(lab.serialize().equals(snapshot)).toBe(true);
    } else {
      checkInvariants(lab, after);
    }
  }
  return { lab, ops, results };
}

// At least 200 sequences per policy and kernel profile; bounded so the package's tests stay well under a
// minute.
const RUNS = 200;

/** Every policy under every kernel that has it (iommufd arrived in 6.2). */
const COMBINATIONS = POLICIES.flatMap((policy) =>
  KERNELS.filter((kernel) => policy !== 'iommufd' || kernel !== '6.1').map((kernel) => ({ policy, kernel })),
);

describe('random op sequences against the models', () => {
  for (const { policy, kernel } of COMBINATIONS) {
    it(`${policy} on ${kernel}: models, invariants, refusals change nothing, replay and restore agree`, () => {
      fc.assert(
        fc.property(
          fc.array(commandArb, { minLength: 1, maxLength: 40 }),
          fc.nat({ max: 30 }),
          (commands, cut) => {
            const { lab, ops, results } = runChecked(policy, kernel, commands);
            try {
              // Replay: the same ops give the same results and state, byte for byte.
              const replay = Lab.create(policy, undefined, kernel);
              try {
                replay.applyBatch(HARDWARE);
                expect(JSON.stringify(replay.applyBatch(ops))).toBe(JSON.stringify(results));
                expect(JSON.stringify(replay.state())).toBe(JSON.stringify(lab.state()));
              } finally {
                replay.destroy();
              }
              // Restore at a cut point, then the tail: the same future.
              const split = Math.min(cut, ops.length);
              const head = Lab.create(policy, undefined, kernel);
              try {
                head.applyBatch(HARDWARE);
                head.applyBatch(ops.slice(0, split));
                const restored = Lab.restore(head.serialize());
                try {
                  expect(restored.state()).toEqual(head.state());
                  const tail = ops.slice(split);
                  expect(JSON.stringify(restored.applyBatch(tail))).toBe(
                    JSON.stringify(head.applyBatch(tail)),
                  );
                  expect(JSON.stringify(restored.state())).toBe(JSON.stringify(lab.state()));
                } finally {
                  restored.destroy();
                }
              } finally {
                head.destroy();
              }
            } finally {
              lab.destroy();
            }
          },
        ),
        { numRuns: RUNS },
      );
    });
  }

  for (const policy of POLICIES) {
    it(`${policy}: an atomic batch is all or nothing`, () => {
      fc.assert(
        fc.property(
          fc.array(opArb, { maxLength: 12 }),
          fc.array(opArb, { minLength: 1, maxLength: 12 }),
          (prefix, batch) => {
            const lab = Lab.create(policy);
            try {
              lab.applyBatch(HARDWARE);
              lab.applyBatch(prefix);
              const before = lab.serialize();
              const results = lab.applyBatch(batch, { atomic: true });
              const refusedAt = results.findIndex((r) => !r.ok);
              if (refusedAt >= 0) {
                expect(results).toHaveLength(refusedAt + 1);
                expect(lab.serialize().equals(before)).toBe(true);
              } else {
                expect(results).toHaveLength(batch.length);
                checkInvariants(lab);
              }
            } finally {
              lab.destroy();
            }
          },
        ),
        { numRuns: RUNS },
      );
    });
  }

  for (const policy of POLICIES) {
    it(`${policy}: ops encoded once run alike on two cores; counting refusals leaves the same state`, () => {
      fc.assert(
        fc.property(
          fc.array(opArb, { maxLength: 12 }),
          fc.array(opArb, { minLength: 1, maxLength: 40 }),
          (prefix, ops) => {
            const full = Lab.create(policy);
            const counted = Lab.create(policy);
            try {
              for (const lab of [full, counted]) lab.applyBatch([...HARDWARE, ...prefix]);
              const encoded = Lab.encodeOps(ops);
              const results = full.applyEncoded(encoded);
              expect(results).toHaveLength(ops.length);
              expect(counted.countRefused(encoded)).toBe(results.filter((result) => !result.ok).length);
              expect(counted.serialize().equals(full.serialize())).toBe(true);
            } finally {
              full.destroy();
              counted.destroy();
            }
          },
        ),
        { numRuns: RUNS },
      );
    });
  }
});
