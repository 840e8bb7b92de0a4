// The ioctl-shaped structs of native/include/ioasid_lab.h as byte layouts, and the encoder from an Op to one.
// Offsets, sizes, constants and enum names come from abi-layout.ts, generated from the header (and checked
// against the compiled library), so the header is the only place they are written.
// An op that cannot be encoded (unknown name, wrong field types, bad u64) becomes a LabError EINVAL.
import { CONSTANTS, ENUMS, STRUCTS } from './abi-layout.ts';
import { errnoCode, LabError } from './errors.ts';
import type { AnyOp, Effect, OpResult } from './types.ts';
import { parseU64 } from './u64.ts';

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
export const NAME_LEN = CONSTANTS.NAME_LEN;
export const MAX_RESERVED = CONSTANTS.MAX_RESERVED;
export const MAX_VM_DEVICES = CONSTANTS.MAX_VM_DEVICES;
export const MAX_ALLOWED = CONSTANTS.MAX_ALLOWED;
/** The largest op struct: the size of the reusable argument buffer. */
export const MAX_STRUCT_SIZE = Math.max(...SIZES);

const VENDORS: readonly string[] = ENUMS.vendor;
const RESV_KINDS: readonly string[] = ENUMS.resv_kind;
const DEVICE_KINDS: readonly string[] = ENUMS.device_kind;
const REQUIRES_KVM: readonly string[] = ENUMS.requires_kvm;
const ANNOUNCE: readonly string[] = ENUMS.announce;
const PAGE_SIZE_BITS = new Map([
  [4096, CONSTANTS.PGSIZE_4K],
  [2097152, CONSTANTS.PGSIZE_2M],
  [1073741824, CONSTANTS.PGSIZE_1G],
]);
/** A page size no unit supports: a bit the core refuses. */
const PAGE_SIZE_UNKNOWN = CONSTANTS.PGSIZE_1G << 1;
const C = CONSTANTS;

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

function oneOf(value: unknown, what: string, values: readonly string[], fallback: number): number {
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

type Fields = Record<string, unknown>;
/** Writes one op's fields (the struct is zeroed and its size set) and returns its flags. */
type Encoder = (op: Fields, buf: Buffer) => number;

const S = STRUCTS;

function encodeIommuAdd(op: Fields, buf: Buffer): number {
  let flags = 0;
  writeName(buf, S.iommu_add.name, str(op.name, 'name'), 'iommu');
  const vendor = oneOf(op.vendor, 'vendor', VENDORS, -1);
  if (vendor < 0) bad(`vendor must be one of ${VENDORS.join(', ')}`);
  writeU32(vendor, S.iommu_add.vendor);
  if (optBool(op.enforceCacheCoherency, 'enforceCacheCoherency')) flags |= C.IOMMU_ENFORCE_CC;
  if (op.pageSizes !== undefined) {
    if (!Array.isArray(op.pageSizes)) bad('pageSizes must be an array');
    let bits = 0;
    for (const size of op.pageSizes) bits |= PAGE_SIZE_BITS.get(size as number) ?? PAGE_SIZE_UNKNOWN;
    flags |= C.IOMMU_HAS_PAGE_SIZES;
    writeU32(bits, S.iommu_add.page_sizes);
  }
  if (op.iovaBits !== undefined) {
    flags |= C.IOMMU_HAS_IOVA_BITS;
    writeU32(u32(op.iovaBits, 'iovaBits'), S.iommu_add.iova_bits);
  }
  if (op.reserved !== undefined) {
    if (!Array.isArray(op.reserved)) bad('reserved must be an array');
    if (op.reserved.length > MAX_RESERVED) bad(`at most ${MAX_RESERVED} reserved regions`);
    flags |= C.IOMMU_HAS_RESERVED;
    writeU32(op.reserved.length, S.iommu_add.nr_reserved);
    op.reserved.forEach((region: Fields, i: number) => {
      if (typeof region !== 'object' || region === null) bad('a reserved region must be an object');
      const base = S.iommu_add.reserved + i * S.reserved_region.sizeof;
      writeU64(base + S.reserved_region.start, region.start, 'reserved start');
      writeU64(base + S.reserved_region.length, region.length, 'reserved length');
      const kind = RESV_KINDS.indexOf(region.kind as string);
      if (kind < 0) bad(`reserved kind must be one of ${RESV_KINDS.join(', ')}`);
      writeU32(kind, base + S.reserved_region.kind);
    });
  }
  return flags;
}

function encodeDeviceAdd(op: Fields, buf: Buffer): number {
  let flags = 0;
  writeName(buf, S.device_add.name, str(op.name, 'name'), 'device');
  writeName(buf, S.device_add.iommu, str(op.iommu, 'iommu'), 'iommu');
  if (op.group !== undefined) {
    flags |= C.DEVICE_HAS_GROUP;
    writeU32(u32(op.group, 'group'), S.device_add.group);
  }
  writeU32(oneOf(op.kind, 'kind', DEVICE_KINDS, 0), S.device_add.kind);
  writeU32(oneOf(op.requiresKvm, 'requiresKvm', REQUIRES_KVM, 0), S.device_add.requires_kvm);
  if (optBool(op.noSnoop, 'noSnoop')) flags |= C.DEVICE_NO_SNOOP;
  return flags;
}

function encodeVmCreate(op: Fields, buf: Buffer): number {
  let flags = 0;
  writeName(buf, S.vm_create.name, str(op.name, 'name'), 'vm');
  if (op.memory !== undefined) {
    flags |= C.VM_HAS_MEMORY;
    writeU64(S.vm_create.memory, op.memory, 'memory');
  }
  const devices = op.devices ?? [];
  if (!Array.isArray(devices)) bad('devices must be an array of names');
  if (devices.length > MAX_VM_DEVICES) bad(`at most ${MAX_VM_DEVICES} devices`);
  writeU32(devices.length, S.vm_create.nr_devices);
  devices.forEach((device: unknown, i: number) => {
    if (typeof device !== 'string') bad('devices must be an array of names');
    writeName(buf, S.vm_create.devices + i * NAME_LEN, device, 'device');
  });
  return flags;
}

/** The name pair of vm.attach, vm.detach and device.replace (the same offsets in all three). */
function writeVmDevice(op: Fields, buf: Buffer): void {
  writeName(buf, S.vm_attach.vm, str(op.vm, 'vm'), 'vm');
  writeName(buf, S.vm_attach.device, str(op.device, 'device'), 'device');
}

function encodeVmAttach(op: Fields, buf: Buffer): number {
  let flags = 0;
  writeVmDevice(op, buf);
  if (op.hwpt !== undefined) {
    flags |= C.ATTACH_HAS_HWPT;
    writeU32(u32(op.hwpt, 'hwpt'), S.vm_attach.hwpt);
  }
  writeU32(oneOf(op.announceKvm, 'announceKvm', ANNOUNCE, 0), S.vm_attach.announce);
  return flags;
}

function encodeDeviceReplace(op: Fields, buf: Buffer): number {
  let flags = 0;
  writeVmDevice(op, buf);
  if (op.hwpt === 'new') flags |= C.REPLACE_NEW;
  else writeU32(u32(op.hwpt, 'hwpt'), S.device_replace.hwpt);
  const enforce = optBool(op.enforceCacheCoherency, 'enforceCacheCoherency');
  if (enforce !== undefined) flags |= C.REPLACE_HAS_ENFORCE | (enforce ? C.REPLACE_ENFORCE : 0);
  return flags;
}

// The hottest encoder's offsets as plain numbers, read once.
const MAP_IOAS = S.ioas_map.ioas;
const MAP_IOVA = S.ioas_map.iova;
const MAP_LENGTH = S.ioas_map.length;

/** ioas.map and ioas.unmap share their layout; only map has rights. */
function encodeIoasRange(op: Fields, withRights: boolean): number {
  writeU32(u32(op.ioas, 'ioas'), MAP_IOAS);
  writeU64(MAP_IOVA, op.iova, 'iova');
  writeU64(MAP_LENGTH, op.length, 'length');
  return withRights ? rights(op) : 0;
}

function rights(op: Fields): number {
  let flags = 0;
  if (optBool(op.read, 'read') !== false) flags |= C.MAP_READ;
  if (optBool(op.write, 'write') !== false) flags |= C.MAP_WRITE;
  return flags;
}

function encodeHwptAlloc(op: Fields, buf: Buffer): number {
  writeU32(u32(op.ioas, 'ioas'), S.hwpt_alloc.ioas);
  writeName(buf, S.hwpt_alloc.iommu, str(op.iommu, 'iommu'), 'iommu');
  const enforce = optBool(op.enforceCacheCoherency, 'enforceCacheCoherency');
  return enforce === undefined ? 0 : C.HWPT_HAS_ENFORCE | (enforce ? C.HWPT_ENFORCE : 0);
}

function encodeIoasCopy(op: Fields): number {
  writeU32(u32(op.ioas, 'ioas'), S.ioas_copy.dst_ioas);
  writeU32(u32(op.srcIoas, 'srcIoas'), S.ioas_copy.src_ioas);
  writeU64(S.ioas_copy.dst_iova, op.iova, 'iova');
  writeU64(S.ioas_copy.src_iova, op.srcIova, 'srcIova');
  writeU64(S.ioas_copy.length, op.length, 'length');
  return rights(op);
}

function encodeIoasAllow(op: Fields): number {
  writeU32(u32(op.ioas, 'ioas'), S.ioas_allow.ioas);
  if (!Array.isArray(op.ranges)) bad('ranges must be an array');
  if (op.ranges.length > MAX_ALLOWED) bad(`at most ${MAX_ALLOWED} ranges`);
  writeU32(op.ranges.length, S.ioas_allow.nr_ranges);
  op.ranges.forEach((range: Fields, i: number) => {
    if (typeof range !== 'object' || range === null) bad('a range must be an object');
    const base = S.ioas_allow.ranges + i * S.iova_range.sizeof;
    writeU64(base + S.iova_range.start, range.start, 'start');
    writeU64(base + S.iova_range.last, range.last, 'last');
  });
  return 0;
}

function encodeDeviceRemove(op: Fields, buf: Buffer): number {
  writeName(buf, S.device_remove.name, str(op.name, 'name'), 'device');
  return 0;
}

function encodeVmDestroy(op: Fields, buf: Buffer): number {
  writeName(buf, S.vm_destroy.vm, str(op.vm, 'vm'), 'vm');
  return 0;
}

function encodeVmDetach(op: Fields, buf: Buffer): number {
  writeVmDevice(op, buf);
  return 0;
}

function encodeHwptDestroy(op: Fields): number {
  writeU32(u32(op.hwpt, 'hwpt'), S.hwpt_destroy.hwpt);
  return 0;
}

const CMD_MAP = CMD['ioas.map'];
const CMD_UNMAP = CMD['ioas.unmap'];

/** One encoder per command, indexed by command number (an element load, not a string compare). */
const ENCODERS: Encoder[] = [];
const encoders: Record<Exclude<CmdName, 'refuse'>, Encoder> = {
  'iommu.add': encodeIommuAdd,
  'device.add': encodeDeviceAdd,
  'device.remove': encodeDeviceRemove,
  'vm.create': encodeVmCreate,
  'vm.destroy': encodeVmDestroy,
  'vm.attach': encodeVmAttach,
  'vm.detach': encodeVmDetach,
  'device.replace': encodeDeviceReplace,
  'ioas.map': (op) => encodeIoasRange(op, true),
  'ioas.unmap': (op) => encodeIoasRange(op, false),
  'hwpt.alloc': encodeHwptAlloc,
  'hwpt.destroy': encodeHwptDestroy,
  'ioas.copy': encodeIoasCopy,
  'ioas.allow': encodeIoasAllow,
};
for (const [name, encoder] of Object.entries(encoders)) ENCODERS[CMD[name as CmdName]] = encoder;
// The vm/device pair is written once for three structs: the header must keep them at the same offsets.
if (S.vm_detach.device !== S.vm_attach.device || S.device_replace.device !== S.vm_attach.device) {
  throw new Error('vm.attach, vm.detach and device.replace no longer share the vm/device layout');
}
if (
  S.ioas_unmap.ioas !== S.ioas_map.ioas ||
  S.ioas_unmap.iova !== S.ioas_map.iova ||
  S.ioas_unmap.length !== S.ioas_map.length
) {
  throw new Error('ioas.map and ioas.unmap no longer share their layout');
}

/**
 * Writes op's struct at buf[0..] (zeroing the struct's bytes first) and returns its command.
 * Throws LabError EINVAL for a malformed op.
 */
export function encodeOp(input: AnyOp, buf: Buffer): number {
  encoding = '';
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
  encoding = name as string;
  writeU32(size, 0);
  // Map and unmap are most of every lab's ops: direct calls V8 can inline, where the table's call site
  // sees every encoder and stays an indirect call.
  let flags: number;
  if (cmd === CMD_MAP) flags = encodeIoasRange(op, true);
  else if (cmd === CMD_UNMAP) flags = encodeIoasRange(op, false);
  else flags = (ENCODERS[cmd] as Encoder)(op, buf);
  writeU32(flags, 4);
  encoding = '';
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
  buf.writeUInt32LE(S.refuse.sizeof, S.refuse.size);
  buf.writeUInt32LE(error.errno, S.refuse.err);
  buf.write(error.message, S.refuse.message, S.refuse.sizeof - S.refuse.message - 1, 'utf8');
  return CMD.refuse;
}
