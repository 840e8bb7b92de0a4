// The contract against itself: every schema built from a vocabulary accepts exactly that vocabulary, the
// name rule accepts and refuses what docs/api.md says, and the batch op union names every op once.
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { AnyOp, DeviceBody, IommuBody, Name, Policy, Template, Vendor } from './schemas/index.ts';
import { DEVICE_KINDS, NAME_PATTERN, POLICIES, REQUIRES_KVM, TEMPLATES, VENDORS } from './vocab.ts';

describe('schemas from vocabularies', () => {
  it('accept every value of their vocabulary and nothing else', () => {
    for (const [schema, values] of [
      [Policy, POLICIES],
      [Vendor, VENDORS],
      [Template, TEMPLATES],
    ] as const) {
      for (const value of values) expect(Value.Check(schema, value)).toBe(true);
      expect(Value.Check(schema, 'other')).toBe(false);
    }
  });

  it('use the vocabularies inside request bodies', () => {
    const iommu = { name: 'u', vendor: VENDORS[1], enforceCacheCoherency: true };
    expect(Value.Check(IommuBody, iommu)).toBe(true);
    expect(Value.Check(IommuBody, { ...iommu, vendor: 'via' })).toBe(false);
    for (const kind of DEVICE_KINDS) {
      for (const requiresKvm of REQUIRES_KVM) {
        expect(Value.Check(DeviceBody, { name: 'd', iommu: 'u', kind, requiresKvm })).toBe(true);
      }
    }
  });
});

describe('names', () => {
  it('follow NAME_PATTERN', () => {
    expect((Name as { pattern?: string }).pattern).toBe(NAME_PATTERN);
    for (const good of ['A', 'vm1', 'A2', 'a.b-c_d', 'x'.repeat(64)])
      expect(Value.Check(Name, good)).toBe(true);
    for (const bad of ['', '..', '_proto', '-a', 'a/b', 'x'.repeat(65)])
      expect(Value.Check(Name, bad)).toBe(false);
  });
});

describe('batch ops', () => {
  it('name each op once, discriminated by `op`', () => {
    const names = (AnyOp as unknown as { oneOf: { properties: { op: { const: string } } }[] }).oneOf.map(
      (branch) => branch.properties.op.const,
    );
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('ioas.map');
    expect(names).toContain('device.replace');
  });
});
