// The ioctl-shaped structs of native/include/ioasid_lab.h as byte layouts, the encoder from an Op to one and
// the decoder of the core's result records. Offsets, sizes, constants and enum names come from
// abi-layout.ts, and each op's field encoder from op-encoders.generated.ts, both generated from the header
// (and checked against the compiled library), so the header is the only place they are written.
// An op that cannot be encoded (unknown name, wrong field types, bad u64) becomes a LabError EINVAL.
import { ENUMS, STRUCTS } from './abi-layout.ts';
import { bad, type Fields, view32, writeU32 } from './encode-fields.ts';
import { errnoCode, LabError } from './errors.ts';
import { encodeIoasMap, encodeIoasUnmap, OP_ENCODERS } from './op-encoders.generated.ts';
import type { AnyOp, Effect, OpResult } from './types.ts';

/** Writes one op's fields (the struct is zeroed and its size set) and returns its flags. */
type Encoder = (op: Fields, buf: Buffer) => number;

type CmdName = (typeof ENUMS.cmd)[number];
type StructName = keyof typeof STRUCTS;

/** enum ioasid_cmd: op name → command. */
export const CMD = Object.fromEntries(ENUMS.cmd.map((name, cmd) => [name, cmd])) as Record<CmdName, number>;

/** The struct of each command: `ioas.map` is struct ioasid_ioas_map. */
function structOf(name: CmdName): (typeof STRUCTS)[StructName] {
  return STRUCTS[name.replace('.', '_') as StructName];
}

/** sizeof() of each op struct, first (and current) version, by command. */
export const STRUCT_SIZE: Record<number, number> = Object.fromEntries(
  ENUMS.cmd.map((name, cmd) => [cmd, structOf(name).sizeof]),
);
/** The same sizes as an array indexed by command (an element load, where STRUCT_SIZE is a keyed one). */
const SIZES: number[] = ENUMS.cmd.map((name) => structOf(name).sizeof);
/** Op name → command, without `refuse` (not an op a caller may send). */
const CMD_OF = new Map<string, number>(Object.entries(CMD).filter(([name]) => name !== 'refuse'));

/** sizeof() of command cmd's struct. */
export function structSize(cmd: number): number {
  const size = SIZES[cmd];
  if (size === undefined) throw new LabError('EINVAL', `unknown command ${cmd}`);
  return size;
}
export const PAGETABLE_QUERY_SIZE = STRUCTS.pagetable_query.sizeof;
export const LIMITS_SIZE = STRUCTS.lab_limits.sizeof;
/** The largest op struct: the size of the reusable argument buffer. */
export const MAX_STRUCT_SIZE = Math.max(...SIZES);

const CMD_MAP = CMD['ioas.map'];
const CMD_UNMAP = CMD['ioas.unmap'];

/** One encoder per command, indexed by command number (an element load, not a string compare). */
const ENCODERS: Encoder[] = [];
for (const [name, encoder] of Object.entries(OP_ENCODERS)) ENCODERS[CMD[name as CmdName]] = encoder;

/**
 * Writes op's struct at buf[0..] (zeroing the struct's bytes first) and returns its command.
 * Throws LabError EINVAL for a malformed op.
 */
export function encodeOp(input: AnyOp, buf: Buffer): number {
  if (typeof input !== 'object' || input === null) bad('an op must be an object');
  const op = input as unknown as Fields;
  const name = op.op;
  const cmd = typeof name === 'string' ? CMD_OF.get(name) : undefined;
  if (cmd === undefined) bad(`unknown op ${JSON.stringify(name)}`);
  const size = SIZES[cmd] as number;
  if (buf.length < size) throw new RangeError(`${name} needs ${size} bytes, the buffer has ${buf.length}`);
  const w = view32(buf);
  if (w === null) {
    // Not 4-byte aligned: encode into an aligned buffer, then copy.
    const aligned = Buffer.alloc(size);
    encodeOp(input, aligned);
    aligned.copy(buf, 0, 0, size);
    return cmd;
  }
  // Small structs (the common ops) are zeroed by a loop: cheaper than a fill call at that size.
  if (size <= 256) for (let i = 0; i < size >>> 2; i++) w[i] = 0;
  else w.fill(0, 0, size >>> 2);
  writeU32(size, 0);
  // Map and unmap are most of every lab's ops: direct calls V8 can inline, where the table's call site
  // sees every encoder and stays an indirect call.
  let flags: number;
  try {
    if (cmd === CMD_MAP) flags = encodeIoasMap(op, buf);
    else if (cmd === CMD_UNMAP) flags = encodeIoasUnmap(op, buf);
    else flags = (ENCODERS[cmd] as Encoder)(op, buf);
  } catch (error) {
    // The field checks say what is wrong; the op's name says where (free until something throws).
    if (error instanceof LabError) throw new LabError(error.code, `${name}: ${error.message}`);
    throw error;
  }
  writeU32(flags, 4);
  return cmd;
}

/** enum ioasid_effect: effect type names by index. */
export const EFFECT_TYPES = ENUMS.effect;

function u32At(buf: Buffer, at: number): number {
  return (
    ((buf[at] as number) | ((buf[at + 1] as number) << 8) | ((buf[at + 2] as number) << 16)) +
    (buf[at + 3] as number) * 0x1000000
  );
}

/**
 * Hex strings of recent 64-bit values below 2^53 (every realistic IOVA and length): the same few addresses
 * and sizes come back op after op, and Number#toString(16) is the costliest step of a decode. A
 * direct-mapped table (two element loads; a Map lookup costs more than the rest of the decode); a miss
 * formats the value and takes the slot. The strings are ordinary, complete values either way.
 */
const SLOTS = 1024;
const hexKeys = new Float64Array(SLOTS).fill(-1);
const hexTexts: string[] = new Array<string>(SLOTS).fill('');

function hex64(buf: Buffer, offset: number): string {
  const lo = u32At(buf, offset);
  const hi = u32At(buf, offset + 4);
  if (hi >= 0x200000) return `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`;
  const value = hi * 0x100000000 + lo;
  // Page-aligned values differ above bit 12: fold those bits into the slot.
  const slot = (lo ^ (lo >>> 12) ^ (lo >>> 22) ^ hi) & (SLOTS - 1);
  if (hexKeys[slot] === value) return hexTexts[slot] as string;
  const text = `0x${value.toString(16)}`;
  hexKeys[slot] = value;
  hexTexts[slot] = text;
  return text;
}

/**
 * Names in effect records (latin1, at most 64 bytes), interned in the same kind of table: a lab's object
 * names repeat in every effect, and slicing a Buffer into a string is a call into C++. Found by a hash of
 * the bytes and checked byte for byte, so a collision only costs a slice.
 */
const nameTexts: string[] = new Array<string>(SLOTS).fill('');

function nameAt(buf: Buffer, at: number, length: number): string {
  let hash = length;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ (buf[at + i] as number), 0x01000193);
  const slot = (hash ^ (hash >>> 10) ^ (hash >>> 20)) & (SLOTS - 1);
  const known = nameTexts[slot] as string;
  if (known.length === length && length > 0) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (known.charCodeAt(i) !== buf[at + i]) {
        same = false;
        break;
      }
    }
    if (same) return known;
  }
  const name = buf.toString('latin1', at, at + length);
  nameTexts[slot] = name;
  return name;
}

/** enum ioasid_effect_key values, by the name each key has in an Effect. */
function keyOf(name: (typeof ENUMS.effect_key)[number]): number {
  return ENUMS.effect_key.indexOf(name);
}
const KEY_VM = keyOf('vm');
const KEY_DEVICE = keyOf('device');
const KEY_IOMMU = keyOf('iommu');
const KEY_HWPT = keyOf('hwpt');
const KEY_FROM_HWPT = keyOf('fromHwpt');
const KEY_IOAS = keyOf('ioas');
const KEY_IOVA = keyOf('iova');
const KEY_LENGTH = keyOf('length');
const KEY_ENFORCE_CC = keyOf('enforceCacheCoherency');
const KEY_NONCOHERENT = keyOf('noncoherentDma');

/** Where the last decodeResult stopped. */
let decodedEnd = 0;

/**
 * Decodes the one op result record (see ioasid_lab.h) at buf[at..]; sets decodedEnd past it.
 * Long: one function on purpose, the per-op hot path, where a call per effect or per field showed in the
 * FFI benchmark; its cases follow the header's record layout one to one.
 */
export function decodeResult(buf: Buffer, at: number): OpResult {
  const status = u32At(buf, at);
  if (status !== 0) {
    const length = (buf[at + 4] as number) | ((buf[at + 5] as number) << 8);
    const message = buf.toString('utf8', at + 6, at + 6 + length);
    decodedEnd = at + 6 + length;
    return { ok: false, errno: status, code: errnoCode(status), message, effects: [] };
  }
  const n = u32At(buf, at + 4);
  at += 8;
  // Most ops have one effect: a one-element literal skips growing an empty array's backing store.
  let effects: Effect[] = [];
  for (let e = 0; e < n; e++) {
    const type = buf[at] as number;
    const fields = buf[at + 1] as number;
    // The area effects (every map and unmap) always carry ioas, iova, length in that order: built as one
    // literal, with the same keys in the same order as the general path below would give.
    if (fields === 3 && buf[at + 2] === KEY_IOAS && buf[at + 7] === KEY_IOVA && buf[at + 16] === KEY_LENGTH) {
      const effect: Effect = {
        type: EFFECT_TYPES[type] ?? 'unknown',
        ioas: u32At(buf, at + 3),
        iova: hex64(buf, at + 8),
        length: hex64(buf, at + 17),
      };
      at += 25;
      if (e === 0) effects = [effect];
      else effects.push(effect);
      continue;
    }
    const effect: Effect = { type: EFFECT_TYPES[type] ?? 'unknown' };
    at += 2;
    // One case per enum ioasid_effect_key: named stores keep V8's objects fast (no keyed writes). The value
    // types per key are in the header's comment over the result records.
    for (let f = 0; f < fields; f++) {
      const key = buf[at++];
      switch (key) {
        case KEY_VM:
        case KEY_DEVICE:
        case KEY_IOMMU: {
          const length = buf[at] as number;
          const name = nameAt(buf, at + 1, length);
          at += 1 + length;
          if (key === KEY_VM) effect.vm = name;
          else if (key === KEY_DEVICE) effect.device = name;
          else effect.iommu = name;
          break;
        }
        case KEY_HWPT:
          effect.hwpt = u32At(buf, at);
          at += 4;
          break;
        case KEY_FROM_HWPT:
          effect.fromHwpt = u32At(buf, at);
          at += 4;
          break;
        case KEY_IOAS:
          effect.ioas = u32At(buf, at);
          at += 4;
          break;
        case KEY_IOVA:
          effect.iova = hex64(buf, at);
          at += 8;
          break;
        case KEY_LENGTH:
          effect.length = hex64(buf, at);
          at += 8;
          break;
        case KEY_ENFORCE_CC:
          effect.enforceCacheCoherency = buf[at] !== 0;
          at += 1;
          break;
        case KEY_NONCOHERENT:
          effect.noncoherentDma = u32At(buf, at);
          at += 4;
          break;
        default:
          bad(`corrupt effect record (key ${key})`);
      }
    }
    if (e === 0) effects = [effect];
    else effects.push(effect);
  }
  decodedEnd = at;
  return { ok: true, effects };
}

/**
 * Decodes `count` op result records (see ioasid_lab.h) from buf at offset. Hand-decoded rather than JSON:
 * this is the per-op hot path.
 */
export function decodeResults(buf: Buffer, offset: number, count: number): OpResult[] {
  const results: OpResult[] = [];
  let at = offset;
  for (let r = 0; r < count; r++) {
    results.push(decodeResult(buf, at));
    at = decodedEnd;
  }
  return results;
}

/** A REFUSE record: the core answers it with errno and message, so a batch keeps its shape. */
export function encodeRefusal(error: LabError, buf: Buffer): number {
  buf.writeUInt32LE(STRUCTS.refuse.sizeof, STRUCTS.refuse.size);
  buf.writeUInt32LE(error.errno, STRUCTS.refuse.err);
  buf.write(
    error.message,
    STRUCTS.refuse.message,
    STRUCTS.refuse.sizeof - STRUCTS.refuse.message - 1,
    'utf8',
  );
  return CMD.refuse;
}
