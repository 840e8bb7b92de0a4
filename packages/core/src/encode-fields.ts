// The checks and stores that the generated op encoders (op-encoders.generated.ts) are made of: each takes
// a JSON value and its key, refuses a wrong one with LabError EINVAL, and writes it into the op struct.
// Encoding is synchronous, so the struct being written lives in a module slot.
import { CONSTANTS } from './abi-layout.ts';
import { LabError } from './errors.ts';
import { parseU64 } from './u64.ts';

export type Fields = Record<string, unknown>;

/** A refused field; encodeOp adds the op's name to the message. */
export function bad(message: string): never {
  throw new LabError('EINVAL', message);
}

// Field helpers take the value (a named property load at the call site, which V8 keeps fast) and its key.
export function str(value: unknown, what: string): string {
  if (typeof value !== 'string') bad(`${what} must be a string`);
  return value;
}

export function optBool(value: unknown, what: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') bad(`${what} must be a boolean`);
  return value;
}

export function u32(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    bad(`${what} must be an integer 0..2^32-1`);
  }
  return value;
}

/** The index of value in an enum's wire names. */
export function enumIndex(value: unknown, what: string, values: readonly string[]): number {
  const index = typeof value === 'string' ? values.indexOf(value) : -1;
  if (index < 0) bad(`${what} must be one of ${values.join(', ')}`);
  return index;
}

/** An array of at most `capacity` items (the length of the struct's array). */
export function listOf(value: unknown, what: string, capacity: number): unknown[] {
  if (!Array.isArray(value)) bad(`${what} must be an array`);
  if (value.length > capacity) bad(`${what}: at most ${capacity} items`);
  return value;
}

/** An element of a list of structs. */
export function itemOf(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null) bad(`an item of ${what} must be an object`);
  return value as Fields;
}

const PAGE_SIZE_BITS = new Map([
  [4096, CONSTANTS.PGSIZE_4K],
  [2097152, CONSTANTS.PGSIZE_2M],
  [1073741824, CONSTANTS.PGSIZE_1G],
]);
/** A page size no unit supports: a bit the core refuses. */
const PAGE_SIZE_UNKNOWN = CONSTANTS.PGSIZE_1G << 1;

/** Page sizes in bytes as IOASID_PGSIZE_* bits. */
export function pageSizeBits(value: unknown, what: string): number {
  if (!Array.isArray(value)) bad(`${what} must be an array`);
  let bits = 0;
  for (const size of value) bits |= PAGE_SIZE_BITS.get(size as number) ?? PAGE_SIZE_UNKNOWN;
  return bits;
}

// Struct fields are written through a Uint32Array view of the target buffer: one store per field instead
// of Buffer.writeUInt32LE's checked byte-by-byte path (about ten times cheaper, measured). Every field of
// the structs is at a multiple of 4; the host is little-endian like the core's records (checked below).
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('a little-endian host is required');

/** The buffer being encoded and its 32-bit view. */
let w32: Uint32Array = new Uint32Array(0);
let w32Of: Buffer | null = null;

/**
 * Makes buf the target of the writes below and returns its 32-bit view, or null when buf does not start
 * on a 4-byte boundary (a slice of Node's pool).
 */
export function view32(buf: Buffer): Uint32Array | null {
  if (buf !== w32Of) {
    // Checked only here, for a new buffer: reading byteOffset costs more than the whole struct's stores.
    if (buf.byteOffset & 3) return null;
    w32 = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
    w32Of = buf;
  }
  return w32;
}

/** Writes a u64 field; safe-integer numbers skip the BigInt round trip (the common, hot case). */
export function writeU64(offset: number, input: unknown, what: string): void {
  let lo: number;
  let hi: number;
  if (typeof input === 'number' && Number.isSafeInteger(input) && input >= 0) {
    // ToUint32 is the low word of any safe integer; `%` by 2^32 would be a float modulus (a libm call).
    lo = input >>> 0;
    hi = (input - lo) / 0x100000000;
  } else {
    const value = parseU64(input as never, what);
    lo = Number(value & 0xffffffffn);
    hi = Number(value >> 32n);
  }
  w32[offset >>> 2] = lo;
  w32[(offset >>> 2) + 1] = hi;
}

/** Arguments in Buffer.writeUInt32LE's order. */
export function writeU32(value: number, offset: number): void {
  w32[offset >>> 2] = value;
}

/**
 * UTF-8 bytes of recently encoded names: ops name the same few objects over and over, and encoding a
 * string is a call into C++ (two, with the length check). Cleared when full rather than kept in LRU order:
 * a refill costs one encoding per name.
 */
const nameBytes = new Map<string, Uint8Array>();
const NAME_CACHE_MAX = 1024;

export function writeName(buf: Buffer, offset: number, name: string, what: string): void {
  let bytes = nameBytes.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name, 'utf8');
    if (bytes.length === 0 || bytes.length > CONSTANTS.NAME_LEN) bad(`${what} "${name}" must be 1..64 bytes`);
    if (nameBytes.size >= NAME_CACHE_MAX) nameBytes.clear();
    nameBytes.set(name, bytes);
  }
  buf.set(bytes, offset);
}
