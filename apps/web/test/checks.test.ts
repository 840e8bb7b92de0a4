// Form checks, server messages in plain words, and the leaf plan behind the Map hint.
import { describe, expect, it } from 'vitest';
import { leafPlan } from '../lib/leaf-plan';
import { friendlyMessage } from '../lib/messages';
import { checkLength, checkName, checkSeq, checkU64, u64Value } from '../lib/validate';

const G = 1024 ** 3;
const M = 1024 ** 2;
const sizes = [4096, 2 * M, G];

describe('checks', () => {
  it('names, numbers, lengths and seqs', () => {
    expect(checkName('lab-1')).toBeNull();
    expect(checkName('bad name')).toMatch(/letters, digits/);
    expect(checkName('')).toBe('required');
    expect(u64Value('2M')).toBe(2n * 1024n * 1024n);
    expect(u64Value('0x10')).toBe(16n);
    expect(checkU64('0xzz')).toMatch(/a number/);
    expect(checkLength('0x0')).toBe('must be more than 0');
    expect(checkSeq('', 5)).toBeNull();
    expect(checkSeq('9', 5)).toMatch(/at most 5/);
    expect(checkSeq('x', 5)).toMatch(/whole number/);
  });

  it('server validation messages in plain words', () => {
    expect(friendlyMessage('body/length must be integer')).toEqual({
      field: 'length',
      text: 'length: a whole number',
    });
    expect(friendlyMessage('body/name must match pattern "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"').text).toMatch(
      /^name: use 1 to 64 letters/,
    );
    expect(friendlyMessage("body must have required property 'name'")).toEqual({
      field: 'name',
      text: 'name: required',
    });
    expect(friendlyMessage('iova 0x0+0x1000 overlaps area 0x0+0x40000000')).toEqual({
      text: 'iova 0x0+0x1000 overlaps area 0x0+0x40000000',
    });
  });
});

describe('leafPlan', () => {
  it('takes the largest aligned page first', () => {
    expect(leafPlan(0n, 2n * BigInt(M), sizes)).toEqual([[2 * M, 1n]]);
    expect(leafPlan(0n, BigInt(G) + 4096n, sizes)).toEqual([
      [G, 1n],
      [4096, 1n],
    ]);
    // Small pages up to the next 2M boundary, then 2M pages, then small pages again.
    expect(leafPlan(BigInt(M) - 4096n, 4n * BigInt(M), sizes)).toEqual([
      [2 * M, 1n],
      [4096, 512n],
    ]);
    expect(leafPlan(4096n, 1n << 40n, sizes)?.[0]?.[0]).toBe(G);
  });

  it('is null for a misaligned or empty range', () => {
    expect(leafPlan(1n, 4096n, sizes)).toBeNull();
    expect(leafPlan(0n, 4097n, sizes)).toBeNull();
    expect(leafPlan(0n, 0n, sizes)).toBeNull();
  });
});
