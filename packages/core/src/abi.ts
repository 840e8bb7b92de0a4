// The ioctl-shaped structs of native/include/ioasid_lab.h as byte layouts, and the encoder from an Op to one.
// An op that cannot be encoded (unknown name, wrong field types, bad u64) becomes a LabError EINVAL.
import { errnoCode, LabError } from './errors.ts';
import type { AnyOp, Effect, OpResult } from './types.ts';
import { parseU64 } from './u64.ts';

export const CMD = {
  refuse: 0,
  'iommu.add': 1,
  'device.add': 2,
  'device.remove': 3,
  'vm.create': 4,
  'vm.destroy': 5,
  'vm.attach': 6,
  'vm.detach': 7,
  'device.replace': 8,
  'ioas.map': 9,
  'ioas.unmap': 10,
  'hwpt.alloc': 11,
  'hwpt.destroy': 12,
  'ioas.copy': 13,
  'ioas.allow': 14,
} as const;

/** sizeof() of each op struct, first (and current) version. */
export const STRUCT_SIZE: Record<number, number> = {
  0: 256,
  1: 280,
  2: 152,
  3: 72,
  4: 2136,
  5: 72,
  6: 144,
  7: 136,
  8: 144,
  9: 32,
  10: 32,
  11: 80,
  12: 16,
  13: 40,
  14: 272,
};
/** The same sizes as an array indexed by command (an element load, where STRUCT_SIZE is a keyed one). */
const SIZES: number[] = Object.values(CMD).map((cmd) => STRUCT_SIZE[cmd] as number);
/** Op name → command, without `refuse` (not an op a caller may send). */
const CMD_OF = new Map<string, number>(Object.entries(CMD).filter(([name]) => name !== 'refuse'));

/** sizeof() of command cmd's struct. */
export function structSize(cmd: number): number {
  const size = SIZES[cmd];
  if (size === undefined) throw new LabError('EINVAL', `unknown command ${cmd}`);
  return size;
}
export const PAGETABLE_QUERY_SIZE = 32;
export const LIMITS_SIZE = 24;
export const NAME_LEN = 64;
export const MAX_RESERVED = 8;
export const MAX_VM_DEVICES = 32;
export const MAX_ALLOWED = 16;
export const MAX_STRUCT_SIZE = 2136;

const VENDORS = ['intel-vtd', 'amd-vi', 'arm-smmuv3'];
const RESV_KINDS = ['msi', 'reserved', 'direct'];
const DEVICE_KINDS = ['pci', 'mdev'];
const REQUIRES_KVM = ['none', 'ap', 'kvmgt'];
const ANNOUNCE = ['before', 'after', 'never'];
const PAGE_SIZE_BITS = new Map([
  [4096, 1],
  [2097152, 2],
  [1073741824, 4],
]);

/** The op being encoded, for error messages (encoding is synchronous, so one slot is enough). */
let encoding = '';

function bad(message: string): never {
  throw new LabError('EINVAL', encoding ? `${encoding}: ${message}` : message);
}

// Field helpers take the value (a named property load at the call site, which V8 keeps fast) and its name.
function str(value: unknown, what: string): string {
  if (typeof value !== 'string') bad(`${what} must be a string`);
  return value;
}

function optBool(value: unknown, what: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') bad(`${what} must be a boolean`);
  return value;
}

function u32(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    bad(`${what} must be an integer 0..2^32-1`);
  }
  return value;
}

function oneOf(value: unknown, what: string, values: string[], fallback: number): number {
  if (value === undefined) return fallback;
  const index = typeof value === 'string' ? values.indexOf(value) : -1;
  if (index < 0) bad(`${what} must be one of ${values.join(', ')}`);
  return index;
}

// Struct fields are written through a Uint32Array view of the target buffer: one store per field instead
// of Buffer.writeUInt32LE's checked byte-by-byte path (about ten times cheaper, measured). Every field of
// the structs is at a multiple of 4; the host is little-endian like the core's records (checked below).
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('a little-endian host is required');

/** The buffer being encoded and its 32-bit view (encoding is synchronous, so one slot is enough). */
let w32: Uint32Array = new Uint32Array(0);
let w32Of: Buffer | null = null;

/** buf's 32-bit view, or null when buf does not start on a 4-byte boundary (a slice of Node's pool). */
function view32(buf: Buffer): Uint32Array | null {
  if (buf !== w32Of) {
    // Checked only here, for a new buffer: reading byteOffset costs more than the whole struct's stores.
    if (buf.byteOffset & 3) return null;
    w32 = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
    w32Of = buf;
  }
  return w32;
}

/** Writes a u64 field; safe-integer numbers skip the BigInt round trip (the common, hot case). */
function writeU64(offset: number, input: unknown, what: string): void {
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
function writeU32(value: number, offset: number): void {
  w32[offset >>> 2] = value;
}

/**
 * UTF-8 bytes of recently encoded names: ops name the same few objects over and over, and encoding a
 * string is a call into C++ (two, with the length check). Cleared when full rather than kept in LRU order:
 * a refill costs one encoding per name.
 */
const nameBytes = new Map<string, Uint8Array>();
const NAME_CACHE_MAX = 1024;

function writeName(buf: Buffer, offset: number, name: string, what: string): void {
  let bytes = nameBytes.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name, 'utf8');
    if (bytes.length === 0 || bytes.length > NAME_LEN) bad(`${what} name "${name}" must be 1..64 bytes`);
    if (nameBytes.size >= NAME_CACHE_MAX) nameBytes.clear();
    nameBytes.set(name, bytes);
  }
  buf.set(bytes, offset);
}

/**
 * Writes op's struct at buf[0..] (zeroing the struct's bytes first) and returns its command.
 * Throws LabError EINVAL for a malformed op.
 */
export function encodeOp(input: AnyOp, buf: Buffer): number {
  encoding = '';
  if (typeof input !== 'object' || input === null) bad('an op must be an object');
  const op = input as unknown as Record<string, unknown>;
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
  encoding = name as string;
  writeU32(size, 0);
  let flags = 0;
  // By command number: a jump table, where a switch on the name compares strings case by case.
  switch (cmd) {
    case 1: {
      // iommu.add
      writeName(buf, 8, str(op.name, 'name'), 'iommu');
      const vendor = oneOf(op.vendor, 'vendor', VENDORS, -1);
      if (vendor < 0) bad('vendor must be one of intel-vtd, amd-vi, arm-smmuv3');
      writeU32(vendor, 72);
      if (optBool(op.enforceCacheCoherency, 'enforceCacheCoherency')) flags |= 1;
      if (op.pageSizes !== undefined) {
        if (!Array.isArray(op.pageSizes)) bad('pageSizes must be an array');
        let bits = 0;
        for (const size of op.pageSizes) bits |= PAGE_SIZE_BITS.get(size as number) ?? 8;
        flags |= 2;
        writeU32(bits, 76);
      }
      if (op.iovaBits !== undefined) {
        flags |= 4;
        writeU32(u32(op.iovaBits, 'iovaBits'), 80);
      }
      if (op.reserved !== undefined) {
        if (!Array.isArray(op.reserved)) bad('reserved must be an array');
        if (op.reserved.length > MAX_RESERVED) bad(`at most ${MAX_RESERVED} reserved regions`);
        flags |= 8;
        writeU32(op.reserved.length, 84);
        op.reserved.forEach((region: Record<string, unknown>, i: number) => {
          if (typeof region !== 'object' || region === null) bad('a reserved region must be an object');
          const base = 88 + i * 24;
          writeU64(base, region.start, 'reserved start');
          writeU64(base + 8, region.length, 'reserved length');
          const kind = RESV_KINDS.indexOf(region.kind as string);
          if (kind < 0) bad('reserved kind must be one of msi, reserved, direct');
          writeU32(kind, base + 16);
        });
      }
      break;
    }
    case 2: // device.add
      writeName(buf, 8, str(op.name, 'name'), 'device');
      writeName(buf, 72, str(op.iommu, 'iommu'), 'iommu');
      if (op.group !== undefined) {
        flags |= 2;
        writeU32(u32(op.group, 'group'), 136);
      }
      writeU32(oneOf(op.kind, 'kind', DEVICE_KINDS, 0), 140);
      writeU32(oneOf(op.requiresKvm, 'requiresKvm', REQUIRES_KVM, 0), 144);
      if (optBool(op.noSnoop, 'noSnoop')) flags |= 1;
      break;
    case 3: // device.remove
      writeName(buf, 8, str(op.name, 'name'), 'device');
      break;
    case 4: {
      // vm.create
      writeName(buf, 8, str(op.name, 'name'), 'vm');
      if (op.memory !== undefined) {
        flags |= 1;
        writeU64(72, op.memory, 'memory');
      }
      const devices = op.devices ?? [];
      if (!Array.isArray(devices)) bad('devices must be an array of names');
      if (devices.length > MAX_VM_DEVICES) bad(`at most ${MAX_VM_DEVICES} devices`);
      writeU32(devices.length, 80);
      devices.forEach((device: unknown, i: number) => {
        if (typeof device !== 'string') bad('devices must be an array of names');
        writeName(buf, 88 + i * NAME_LEN, device, 'device');
      });
      break;
    }
    case 5: // vm.destroy
      writeName(buf, 8, str(op.vm, 'vm'), 'vm');
      break;
    case 6: // vm.attach
      writeName(buf, 8, str(op.vm, 'vm'), 'vm');
      writeName(buf, 72, str(op.device, 'device'), 'device');
      if (op.hwpt !== undefined) {
        flags |= 1;
        writeU32(u32(op.hwpt, 'hwpt'), 136);
      }
      writeU32(oneOf(op.announceKvm, 'announceKvm', ANNOUNCE, 0), 140);
      break;
    case 7: // vm.detach
      writeName(buf, 8, str(op.vm, 'vm'), 'vm');
      writeName(buf, 72, str(op.device, 'device'), 'device');
      break;
    case 8: {
      // device.replace
      writeName(buf, 8, str(op.vm, 'vm'), 'vm');
      writeName(buf, 72, str(op.device, 'device'), 'device');
      if (op.hwpt === 'new') flags |= 1;
      else writeU32(u32(op.hwpt, 'hwpt'), 136);
      const enforce = optBool(op.enforceCacheCoherency, 'enforceCacheCoherency');
      if (enforce !== undefined) flags |= 2 | (enforce ? 4 : 0);
      break;
    }
    case 9: // ioas.map
    case 10: // ioas.unmap
      writeU32(u32(op.ioas, 'ioas'), 8);
      writeU64(16, op.iova, 'iova');
      writeU64(24, op.length, 'length');
      if (cmd === CMD['ioas.map']) {
        if (optBool(op.read, 'read') !== false) flags |= 1;
        if (optBool(op.write, 'write') !== false) flags |= 2;
      }
      break;
    case 11: {
      // hwpt.alloc
      writeU32(u32(op.ioas, 'ioas'), 8);
      writeName(buf, 16, str(op.iommu, 'iommu'), 'iommu');
      const enforce = optBool(op.enforceCacheCoherency, 'enforceCacheCoherency');
      if (enforce !== undefined) flags |= 1 | (enforce ? 2 : 0);
      break;
    }
    case 12: // hwpt.destroy
      writeU32(u32(op.hwpt, 'hwpt'), 8);
      break;
    case 13: // ioas.copy
      writeU32(u32(op.ioas, 'ioas'), 8);
      writeU32(u32(op.srcIoas, 'srcIoas'), 12);
      writeU64(16, op.iova, 'iova');
      writeU64(24, op.srcIova, 'srcIova');
      writeU64(32, op.length, 'length');
      if (optBool(op.read, 'read') !== false) flags |= 1;
      if (optBool(op.write, 'write') !== false) flags |= 2;
      break;
    case 14: {
      // ioas.allow
      writeU32(u32(op.ioas, 'ioas'), 8);
      if (!Array.isArray(op.ranges)) bad('ranges must be an array');
      if (op.ranges.length > MAX_ALLOWED) bad(`at most ${MAX_ALLOWED} ranges`);
      writeU32(op.ranges.length, 12);
      op.ranges.forEach((range: Record<string, unknown>, i: number) => {
        if (typeof range !== 'object' || range === null) bad('a range must be an object');
        writeU64(16 + i * 16, range.start, 'start');
        writeU64(24 + i * 16, range.last, 'last');
      });
      break;
    }
  }
  writeU32(flags, 4);
  encoding = '';
  return cmd;
}

/** enum ioasid_effect: effect type names by index. */
export const EFFECT_TYPES = [
  'iommu.added',
  'device.added',
  'device.removed',
  'vm.created',
  'vm.destroyed',
  'ioas.created',
  'ioas.destroyed',
  'ioas.allowed_changed',
  'area.mapped',
  'area.unmapped',
  'hwpt.created',
  'hwpt.destroyed',
  'hwpt.snoop_downgraded',
  'device.attached',
  'device.detached',
  'device.replaced',
  'vm.kvm_file_added',
  'vm.kvm_file_removed',
  'vm.noncoherent_changed',
  'vm.wbinvd_on',
  'vm.wbinvd_off',
  'vm.hazard_on',
  'vm.hazard_off',
  'hwpt.snoop_upgraded',
] as const;

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

/** Where the last decodeResult stopped. */
let decodedEnd = 0;

/** Decodes the one op result record (see ioasid_lab.h) at buf[at..]; sets decodedEnd past it. */
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
    if (fields === 3 && buf[at + 2] === 5 && buf[at + 7] === 6 && buf[at + 16] === 7) {
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
    // One case per enum ioasid_effect_key: named stores keep V8's objects fast (no keyed writes).
    for (let f = 0; f < fields; f++) {
      const key = buf[at++];
      switch (key) {
        case 0:
        case 1:
        case 2: {
          const length = buf[at] as number;
          const name = nameAt(buf, at + 1, length);
          at += 1 + length;
          if (key === 0) effect.vm = name;
          else if (key === 1) effect.device = name;
          else effect.iommu = name;
          break;
        }
        case 3:
          effect.hwpt = u32At(buf, at);
          at += 4;
          break;
        case 4:
          effect.fromHwpt = u32At(buf, at);
          at += 4;
          break;
        case 5:
          effect.ioas = u32At(buf, at);
          at += 4;
          break;
        case 6:
          effect.iova = hex64(buf, at);
          at += 8;
          break;
        case 7:
          effect.length = hex64(buf, at);
          at += 8;
          break;
        case 8:
          effect.enforceCacheCoherency = buf[at] !== 0;
          at += 1;
          break;
        case 9:
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
  buf.writeUInt32LE(structSize(CMD.refuse), 0);
  buf.writeUInt32LE(error.errno, 8);
  buf.write(error.message, 16, 239, 'utf8');
  return CMD.refuse;
}
