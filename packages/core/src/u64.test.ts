import { describe, expect, it } from 'vitest';
import { LabError } from './errors.ts';
import { parseU64, toHex, U64_MAX } from './u64.ts';

describe('parseU64 / toHex', () => {
  it('accepts numbers, decimal and hex strings and bigints', () => {
    expect(parseU64(4096)).toBe(4096n);
    expect(parseU64('4294967296')).toBe(4294967296n);
    expect(parseU64('0xFEE00000')).toBe(0xfee00000n);
    expect(parseU64('0xffffffffffffffff')).toBe(U64_MAX);
    expect(parseU64(7n)).toBe(7n);
  });
  it('refuses negative, fractional, oversized and junk input with EINVAL', () => {
    for (const bad of [-1, 1.5, '0x1ffffffffffffffff', '18446744073709551616', 'abc', '', '0x', ' 1'])
      expect(() => parseU64(bad as never)).toThrow(LabError);
  });
  it('prints lowercase hex', () => {
    expect(toHex(0xfee00000n)).toBe('0xfee00000');
    expect(toHex(0)).toBe('0x0');
  });
});
