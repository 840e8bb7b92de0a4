// 64-bit quantities (IOVAs, lengths): parsed from JSON numbers, decimal or 0x-hex strings, and bigints;
// returned as lowercase 0x-hex strings, as docs/api.md requires.
import { LabError } from './errors.ts';
import type { Hex, U64Input } from './types.ts';

export const U64_MAX = (1n << 64n) - 1n;

/** Parses a 64-bit unsigned value; throws LabError EINVAL for anything else (negative, fractional, junk). */
export function parseU64(input: U64Input, what = 'value'): bigint {
  let value: bigint;
  if (typeof input === 'bigint') value = input;
  else if (typeof input === 'number') {
    if (!Number.isSafeInteger(input))
      throw new LabError('EINVAL', `${what} ${input} is not an exact integer`);
    value = BigInt(input);
  } else if (typeof input === 'string' && /^(0x[0-9a-fA-F]{1,16}|[0-9]{1,20})$/.test(input)) {
    value = BigInt(input);
  } else {
    throw new LabError(
      'EINVAL',
      `${what} ${JSON.stringify(input)} is not a number, decimal or 0x-hex string`,
    );
  }
  if (value < 0n || value > U64_MAX) throw new LabError('EINVAL', `${what} ${input} is outside 0..2^64-1`);
  return value;
}

export function toHex(value: bigint | number): Hex {
  return `0x${value.toString(16)}`;
}
