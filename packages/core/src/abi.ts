// The ioctl-shaped structs of native/include/ioasid_lab.h as byte layouts, and the encoder from an Op to one.
// An op that cannot be encoded (unknown name, wrong field types, bad u64) becomes a LabError EINVAL.
import { LabError } from './errors.ts';
import type { AnyOp } from './types.ts';
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

function bad(message: string): never {
  throw new LabError('EINVAL', message);
}

function str(op: Record<string, unknown>, key: string): string {
  const value = op[key];
  if (typeof value !== 'string') bad(`${String(op.op)}: ${key} must be a string`);
  return value;
}

function optBool(op: Record<string, unknown>, key: string): boolean | undefined {
  const value = op[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') bad(`${String(op.op)}: ${key} must be a boolean`);
  return value;
}

function u32(op: Record<string, unknown>, key: string): number {
  const value = op[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    bad(`${String(op.op)}: ${key} must be an integer 0..2^32-1`);
  }
  return value;
}

function oneOf(op: Record<string, unknown>, key: string, values: string[], fallback: number): number {
  const value = op[key];
  if (value === undefined) return fallback;
  const index = typeof value === 'string' ? values.indexOf(value) : -1;
  if (index < 0) bad(`${String(op.op)}: ${key} must be one of ${values.join(', ')}`);
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
  if (typeof input !== 'object' || input === null) bad('an op must be an object');
  const op = input as unknown as Record<string, unknown>;
  const name = op.op;
  if (typeof name !== 'string' || !Object.hasOwn(CMD, name) || name === 'refuse') {
    bad(`unknown op ${JSON.stringify(name)}`);
  }
  const cmd = CMD[name as keyof typeof CMD];
  buf.writeUInt32LE(structSize(cmd), 0);
  let flags = 0;
  switch (name) {
    case 'iommu.add': {
      writeName(buf, 8, str(op, 'name'), 'iommu');
      const vendor = oneOf(op, 'vendor', VENDORS, -1);
      if (vendor < 0) bad('iommu.add: vendor must be one of intel-vtd, amd-vi, arm-smmuv3');
      buf.writeUInt32LE(vendor, 72);
      if (optBool(op, 'enforceCacheCoherency')) flags |= 1;
      if (op.pageSizes !== undefined) {
        if (!Array.isArray(op.pageSizes)) bad('iommu.add: pageSizes must be an array');
        let bits = 0;
        for (const size of op.pageSizes) bits |= PAGE_SIZE_BITS.get(size as number) ?? 8;
        flags |= 2;
        buf.writeUInt32LE(bits, 76);
      }
      if (op.iovaBits !== undefined) {
        flags |= 4;
        buf.writeUInt32LE(u32(op, 'iovaBits'), 80);
      }
      if (op.reserved !== undefined) {
        if (!Array.isArray(op.reserved)) bad('iommu.add: reserved must be an array');
        if (op.reserved.length > MAX_RESERVED) bad(`iommu.add: at most ${MAX_RESERVED} reserved regions`);
        flags |= 8;
        buf.writeUInt32LE(op.reserved.length, 84);
        op.reserved.forEach((region: Record<string, unknown>, i: number) => {
          if (typeof region !== 'object' || region === null)
            bad('iommu.add: a reserved region must be an object');
          const base = 88 + i * 24;
          writeU64(buf, base, region.start, 'reserved start');
          writeU64(buf, base + 8, region.length, 'reserved length');
          const kind = RESV_KINDS.indexOf(region.kind as string);
          if (kind < 0) bad('iommu.add: reserved kind must be one of msi, reserved, direct');
          buf.writeUInt32LE(kind, base + 16);
        });
      }
      break;
    }
    case 'device.add':
      writeName(buf, 8, str(op, 'name'), 'device');
      writeName(buf, 72, str(op, 'iommu'), 'iommu');
      if (op.group !== undefined) {
        flags |= 2;
        buf.writeUInt32LE(u32(op, 'group'), 136);
      }
      buf.writeUInt32LE(oneOf(op, 'kind', DEVICE_KINDS, 0), 140);
      buf.writeUInt32LE(oneOf(op, 'requiresKvm', REQUIRES_KVM, 0), 144);
      if (optBool(op, 'noSnoop')) flags |= 1;
      break;
    case 'device.remove':
      writeName(buf, 8, str(op, 'name'), 'device');
      break;
    case 'vm.create': {
      writeName(buf, 8, str(op, 'name'), 'vm');
      if (op.memory !== undefined) {
        flags |= 1;
        writeU64(buf, 72, op.memory, 'memory');
      }
      const devices = op.devices ?? [];
      if (!Array.isArray(devices)) bad('vm.create: devices must be an array of names');
      if (devices.length > MAX_VM_DEVICES) bad(`vm.create: at most ${MAX_VM_DEVICES} devices`);
      buf.writeUInt32LE(devices.length, 80);
      devices.forEach((device: unknown, i: number) => {
        if (typeof device !== 'string') bad('vm.create: devices must be an array of names');
        writeName(buf, 88 + i * NAME_LEN, device, 'device');
      });
      break;
    }
    case 'vm.destroy':
      writeName(buf, 8, str(op, 'vm'), 'vm');
      break;
    case 'vm.attach':
      writeName(buf, 8, str(op, 'vm'), 'vm');
      writeName(buf, 72, str(op, 'device'), 'device');
      if (op.hwpt !== undefined) {
        flags |= 1;
        buf.writeUInt32LE(u32(op, 'hwpt'), 136);
      }
      buf.writeUInt32LE(oneOf(op, 'announceKvm', ANNOUNCE, 0), 140);
      break;
    case 'vm.detach':
      writeName(buf, 8, str(op, 'vm'), 'vm');
      writeName(buf, 72, str(op, 'device'), 'device');
      break;
    case 'device.replace': {
      writeName(buf, 8, str(op, 'vm'), 'vm');
      writeName(buf, 72, str(op, 'device'), 'device');
      if (op.hwpt === 'new') flags |= 1;
      else buf.writeUInt32LE(u32(op, 'hwpt'), 136);
      const enforce = optBool(op, 'enforceCacheCoherency');
      if (enforce !== undefined) flags |= 2 | (enforce ? 4 : 0);
      break;
    }
    case 'ioas.map':
    case 'ioas.unmap':
      buf.writeUInt32LE(u32(op, 'ioas'), 8);
      writeU64(buf, 16, op.iova, 'iova');
      writeU64(buf, 24, op.length, 'length');
      if (name === 'ioas.map') {
        if (optBool(op, 'read') !== false) flags |= 1;
        if (optBool(op, 'write') !== false) flags |= 2;
      }
      break;
    case 'hwpt.alloc': {
      buf.writeUInt32LE(u32(op, 'ioas'), 8);
      writeName(buf, 16, str(op, 'iommu'), 'iommu');
      const enforce = optBool(op, 'enforceCacheCoherency');
      if (enforce !== undefined) flags |= 1 | (enforce ? 2 : 0);
      break;
    }
    case 'hwpt.destroy':
      buf.writeUInt32LE(u32(op, 'hwpt'), 8);
      break;
    case 'ioas.copy':
      buf.writeUInt32LE(u32(op, 'ioas'), 8);
      buf.writeUInt32LE(u32(op, 'srcIoas'), 12);
      writeU64(buf, 16, op.iova, 'iova');
      writeU64(buf, 24, op.srcIova, 'srcIova');
      writeU64(buf, 32, op.length, 'length');
      if (optBool(op, 'read') !== false) flags |= 1;
      if (optBool(op, 'write') !== false) flags |= 2;
      break;
    case 'ioas.allow': {
      buf.writeUInt32LE(u32(op, 'ioas'), 8);
      if (!Array.isArray(op.ranges)) bad('ioas.allow: ranges must be an array');
      if (op.ranges.length > MAX_ALLOWED) bad(`ioas.allow: at most ${MAX_ALLOWED} ranges`);
      buf.writeUInt32LE(op.ranges.length, 12);
      op.ranges.forEach((range: Record<string, unknown>, i: number) => {
        if (typeof range !== 'object' || range === null) bad('ioas.allow: a range must be an object');
        writeU64(buf, 16 + i * 16, range.start, 'start');
        writeU64(buf, 24 + i * 16, range.last, 'last');
      });
      break;
    }
  }
  buf.writeUInt32LE(flags, 4);
  return cmd;
}

/** A REFUSE record: the core answers it with errno and message, so a batch keeps its shape. */
export function encodeRefusal(error: LabError, buf: Buffer): number {
  buf.writeUInt32LE(structSize(CMD.refuse), 0);
  buf.writeUInt32LE(error.errno, 8);
  buf.write(error.message, 16, 239, 'utf8');
  return CMD.refuse;
}
