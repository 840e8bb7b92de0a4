// Field checks of the dashboard's forms, in plain words, run before anything is sent: names, 64-bit
// numbers (decimal, 0x-hex, K/M/G), lengths, seqs. Each returns null when the value is fine. Pure.
import { parseU64 } from './format';

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const NAME_HINT = 'use 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit';
const NUMBER_HINT = 'a number: decimal, 0x-hex, or with K/M/G (e.g. 2M)';

export function checkName(value: string): string | null {
  const v = value.trim();
  if (!v) return 'required';
  return NAME_RE.test(v) ? null : NAME_HINT;
}

/** The value as a bigint, or null when it is not a 64-bit number in any accepted spelling. */
export function u64Value(value: string): bigint | null {
  const v = parseU64(value);
  if (!/^(0x[0-9a-f]+|\d+)$/.test(v)) return null;
  const n = BigInt(v);
  return n < 1n << 64n ? n : null;
}

export function checkU64(value: string): string | null {
  if (!value.trim()) return 'required';
  return u64Value(value) === null ? NUMBER_HINT : null;
}

export function checkLength(value: string): string | null {
  const bad = checkU64(value);
  if (bad) return bad;
  return u64Value(value) === 0n ? 'must be more than 0' : null;
}

/** An optional seq between 0 and `max`. */
export function checkSeq(value: string, max: number): string | null {
  const v = value.trim();
  if (!v) return null;
  if (!/^\d+$/.test(v)) return 'a whole number (an event seq)';
  return Number(v) > max ? `at most ${max}, the lab's last event` : null;
}

/** A list of names separated by commas or spaces, each one of `known`. */
export function checkNames(value: string, known: string[]): string | null {
  const names = value.split(/[\s,]+/).filter(Boolean);
  const bad = names.find((n) => !known.includes(n));
  return bad ? `no device named ${bad} (there are: ${known.join(', ') || 'none'})` : null;
}
