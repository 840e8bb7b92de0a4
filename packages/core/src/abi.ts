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
/** sizeof() of command cmd's struct. */
export function structSize(cmd: number): number {
  const size = STRUCT_SIZE[cmd];
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

/** Writes a u64 field; safe-integer numbers skip the BigInt round trip (the common, hot case). */
function writeU64(buf: Buffer, offset: number, input: unknown, what: string): void {
  if (typeof input === 'number' && Number.isSafeInteger(input) && input >= 0) {
    buf.writeUInt32LE(input % 0x100000000, offset);
    buf.writeUInt32LE(Math.floor(input / 0x100000000), offset + 4);
  } else {
    buf.writeBigUInt64LE(parseU64(input as never, what), offset);
  }
}

function writeName(buf: Buffer, offset: number, name: string, what: string): void {
  const length = Buffer.byteLength(name, 'utf8');
  if (length === 0 || length > NAME_LEN) bad(`${what} name "${name}" must be 1..64 bytes`);
  buf.write(name, offset, NAME_LEN, 'utf8');
}

/**
 * Writes op's struct at buf[0..] (buf must be zeroed over the struct) and returns its command.
 * Throws LabError EINVAL for a malformed op.
 */
export function encodeOp(input: AnyOp, buf: Buffer): number {
  encoding = '';
  if (typeof input !== 'object' || input === null) bad('an op must be an object');
  const op = input as unknown as Record<string, unknown>;
  const name = op.op;
  if (typeof name !== 'string' || !Object.hasOwn(CMD, name) || name === 'refuse') {
    bad(`unknown op ${JSON.stringify(name)}`);
  }
  const cmd = CMD[name as keyof typeof CMD];
  encoding = name;
  buf.writeUInt32LE(structSize(cmd), 0);
  let flags = 0;
  switch (name) {
    case 'iommu.add': {
      writeName(buf, 8, str(op.name, 'name'), 'iommu');
      const vendor = oneOf(op.vendor, 'vendor', VENDORS, -1);
      if (vendor < 0) bad('vendor must be one of intel-vtd, amd-vi, arm-smmuv3');
      buf.writeUInt32LE(vendor, 72);
      if (optBool(op.enforceCacheCoherency, 'enforceCacheCoherency')) flags |= 1;
      if (op.pageSizes !== undefined) {
        if (!Array.isArray(op.pageSizes)) bad('pageSizes must be an array');
        let bits = 0;
        for (const size of op.pageSizes) bits |= PAGE_SIZE_BITS.get(size as number) ?? 8;
        flags |= 2;
        buf.writeUInt32LE(bits, 76);
      }
      if (op.iovaBits !== undefined) {
        flags |= 4;
        buf.writeUInt32LE(u32(op.iovaBits, 'iovaBits'), 80);
      }
      if (op.reserved !== undefined) {
        if (!Array.isArray(op.reserved)) bad('reserved must be an array');
        if (op.reserved.length > MAX_RESERVED) bad(`at most ${MAX_RESERVED} reserved regions`);
        flags |= 8;
        buf.writeUInt32LE(op.reserved.length, 84);
        op.reserved.forEach((region: Record<string, unknown>, i: number) => {
          if (typeof region !== 'object' || region === null) bad('a reserved region must be an object');
          const base = 88 + i * 24;
          writeU64(buf, base, region.start, 'reserved start');
          writeU64(buf, base + 8, region.length, 'reserved length');
          const kind = RESV_KINDS.indexOf(region.kind as string);
          if (kind < 0) bad('reserved kind must be one of msi, reserved, direct');
          buf.writeUInt32LE(kind, base + 16);
        });
      }
      break;
    }
    case 'device.add':
      writeName(buf, 8, str(op.name, 'name'), 'device');
      writeName(buf, 72, str(op.iommu, 'iommu'), 'iommu');
      if (op.group !== undefined) {
        flags |= 2;
        buf.writeUInt32LE(u32(op.group, 'group'), 136);
      }
      buf.writeUInt32LE(oneOf(op.kind, 'kind', DEVICE_KINDS, 0), 140);
      buf.writeUInt32LE(oneOf(op.requiresKvm, 'requiresKvm', REQUIRES_KVM, 0), 144);
      if (optBool(op.noSnoop, 'noSnoop')) flags |= 1;
      break;
    case 'device.remove':
      writeName(buf, 8, str(op.name, 'name'), 'device');
      break;
    case 'vm.create': {
      writeName(buf, 8, str(op.name, 'name'), 'vm');
      if (op.memory !== undefined) {
        flags |= 1;
        writeU64(buf, 72, op.memory, 'memory');
      }
      const devices = op.devices ?? [];
      if (!Array.isArray(devices)) bad('devices must be an array of names');
      if (devices.length > MAX_VM_DEVICES) bad(`at most ${MAX_VM_DEVICES} devices`);
      buf.writeUInt32LE(devices.length, 80);
      devices.forEach((device: unknown, i: number) => {
        if (typeof device !== 'string') bad('devices must be an array of names');
        writeName(buf, 88 + i * NAME_LEN, device, 'device');
      });
      break;
    }
    case 'vm.destroy':
      writeName(buf, 8, str(op.vm, 'vm'), 'vm');
      break;
    case 'vm.attach':
      writeName(buf, 8, str(op.vm, 'vm'), 'vm');
      writeName(buf, 72, str(op.device, 'device'), 'device');
      if (op.hwpt !== undefined) {
        flags |= 1;
        buf.writeUInt32LE(u32(op.hwpt, 'hwpt'), 136);
      }
      buf.writeUInt32LE(oneOf(op.announceKvm, 'announceKvm', ANNOUNCE, 0), 140);
      break;
    case 'vm.detach':
      writeName(buf, 8, str(op.vm, 'vm'), 'vm');
      writeName(buf, 72, str(op.device, 'device'), 'device');
      break;
    case 'device.replace': {
      writeName(buf, 8, str(op.vm, 'vm'), 'vm');
      writeName(buf, 72, str(op.device, 'device'), 'device');
      if (op.hwpt === 'new') flags |= 1;
      else buf.writeUInt32LE(u32(op.hwpt, 'hwpt'), 136);
      const enforce = optBool(op.enforceCacheCoherency, 'enforceCacheCoherency');
      if (enforce !== undefined) flags |= 2 | (enforce ? 4 : 0);
      break;
    }
    case 'ioas.map':
    case 'ioas.unmap':
      buf.writeUInt32LE(u32(op.ioas, 'ioas'), 8);
      writeU64(buf, 16, op.iova, 'iova');
      writeU64(buf, 24, op.length, 'length');
      if (name === 'ioas.map') {
        if (optBool(op.read, 'read') !== false) flags |= 1;
        if (optBool(op.write, 'write') !== false) flags |= 2;
      }
      break;
    case 'hwpt.alloc': {
      buf.writeUInt32LE(u32(op.ioas, 'ioas'), 8);
      writeName(buf, 16, str(op.iommu, 'iommu'), 'iommu');
      const enforce = optBool(op.enforceCacheCoherency, 'enforceCacheCoherency');
      if (enforce !== undefined) flags |= 1 | (enforce ? 2 : 0);
      break;
    }
    case 'hwpt.destroy':
      buf.writeUInt32LE(u32(op.hwpt, 'hwpt'), 8);
      break;
    case 'ioas.copy':
      buf.writeUInt32LE(u32(op.ioas, 'ioas'), 8);
      buf.writeUInt32LE(u32(op.srcIoas, 'srcIoas'), 12);
      writeU64(buf, 16, op.iova, 'iova');
      writeU64(buf, 24, op.srcIova, 'srcIova');
      writeU64(buf, 32, op.length, 'length');
      if (optBool(op.read, 'read') !== false) flags |= 1;
      if (optBool(op.write, 'write') !== false) flags |= 2;
      break;
    case 'ioas.allow': {
      buf.writeUInt32LE(u32(op.ioas, 'ioas'), 8);
      if (!Array.isArray(op.ranges)) bad('ranges must be an array');
      if (op.ranges.length > MAX_ALLOWED) bad(`at most ${MAX_ALLOWED} ranges`);
      buf.writeUInt32LE(op.ranges.length, 12);
      op.ranges.forEach((range: Record<string, unknown>, i: number) => {
        if (typeof range !== 'object' || range === null) bad('a range must be an object');
        writeU64(buf, 16 + i * 16, range.start, 'start');
        writeU64(buf, 24 + i * 16, range.last, 'last');
      });
      break;
    }
  }
  buf.writeUInt32LE(flags, 4);
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
] as const;

function hex64(buf: Buffer, offset: number): string {
  const lo = buf.readUInt32LE(offset);
  const hi = buf.readUInt32LE(offset + 4);
  return hi === 0 ? `0x${lo.toString(16)}` : `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`;
}

/**
 * Decodes `count` op result records (see ioasid_lab.h) from buf at offset. Hand-decoded rather than JSON:
 * this is the per-op hot path.
 */
export function decodeResults(buf: Buffer, offset: number, count: number): OpResult[] {
  const results: OpResult[] = [];
  let at = offset;
  for (let r = 0; r < count; r++) {
    const status = buf.readUInt32LE(at);
    if (status !== 0) {
      const length = buf.readUInt16LE(at + 4);
      const message = buf.toString('utf8', at + 6, at + 6 + length);
      at += 6 + length;
      results.push({ ok: false, errno: status, code: errnoCode(status), message, effects: [] });
      continue;
    }
    const n = buf.readUInt32LE(at + 4);
    at += 8;
    const effects: Effect[] = [];
    for (let e = 0; e < n; e++) {
      const effect: Effect = { type: EFFECT_TYPES[buf[at] as number] ?? 'unknown' };
      const fields = buf[at + 1] as number;
      at += 2;
      // One case per enum ioasid_effect_key: named stores keep V8's objects fast (no keyed writes).
      for (let f = 0; f < fields; f++) {
        const key = buf[at++];
        if (key !== undefined && key <= 2) {
          const length = buf[at] as number;
          const name = buf.toString('latin1', at + 1, at + 1 + length);
          at += 1 + length;
          if (key === 0) effect.vm = name;
          else if (key === 1) effect.device = name;
          else effect.iommu = name;
          continue;
        }
        switch (key) {
          case 3:
            effect.hwpt = buf.readUInt32LE(at);
            at += 4;
            break;
          case 4:
            effect.fromHwpt = buf.readUInt32LE(at);
            at += 4;
            break;
          case 5:
            effect.ioas = buf.readUInt32LE(at);
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
            effect.noncoherentDma = buf.readUInt32LE(at);
            at += 4;
            break;
          default:
            bad(`corrupt effect record (key ${key})`);
        }
      }
      effects.push(effect);
    }
    results.push({ ok: true, effects });
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
