// Lab: the typed TypeScript face of one native lab context. Ops are encoded into ioctl-shaped structs in
// reused Buffers; the core answers op results as binary records (state and page tables as JSON) in another
// reused Buffer, so one op is one FFI call.
import {
  decodeResult,
  decodeResults,
  encodeOp,
  encodeRefusal,
  LIMITS_SIZE,
  MAX_STRUCT_SIZE,
  PAGETABLE_QUERY_SIZE,
  structSize,
} from './abi.ts';
import { CONSTANTS } from './abi-layout.ts';
import * as native from './binding.ts';
import { ERRNO, errnoCode, LabError } from './errors.ts';
import {
  type AnyOp,
  type CoreState,
  DEFAULT_KERNEL,
  type ErrnoCode,
  KERNELS,
  type Kernel,
  type LabLimits,
  type LeafPage,
  type OpResult,
  POLICIES,
  type Policy,
  type U64Input,
} from './types.ts';
import { parseU64 } from './u64.ts';

export function abiVersion(): number {
  return native.ioasid_abi_version();
}

/** The compiled library's ABI table (ioasid_abi_layout): per struct its size, then offset and size per field. */
export function abiLayout(): number[] {
  const length = native.ioasid_abi_layout(null, 0);
  const table = new Uint32Array(length);
  native.ioasid_abi_layout(table, length);
  return [...table];
}

const OUT_INITIAL = 64 * 1024;
const BATCH_RECORD_MAX = 8 + MAX_STRUCT_SIZE;

interface RawRefusal {
  ok: false;
  errno: number;
  code: ErrnoCode;
  message: string;
  effects: [];
}

function refusal(error: LabError): OpResult {
  return { ok: false, errno: error.errno, code: error.code, message: error.message, effects: [] };
}

const LIMITS_KERNEL = 1;

function checkLimits(limits: LabLimits | undefined, kernel: Kernel): Buffer {
  const buf = Buffer.alloc(LIMITS_SIZE);
  buf.writeUInt32LE(LIMITS_SIZE, 0);
  buf.writeUInt32LE(LIMITS_KERNEL, 4);
  buf.writeUInt32LE(KERNELS.indexOf(kernel), 12);
  if (!limits) return buf;
  if (limits.maxObjects !== undefined) {
    if (!Number.isInteger(limits.maxObjects) || limits.maxObjects < 1 || limits.maxObjects > 0xffffffff) {
      throw new LabError('EINVAL', `maxObjects ${limits.maxObjects} is not an integer 1..2^32-1`);
    }
    buf.writeUInt32LE(limits.maxObjects, 8);
  }
  if (limits.maxTableBytes !== undefined) {
    const bytes = parseU64(limits.maxTableBytes, 'maxTableBytes');
    if (bytes < 4096n)
      throw new LabError('EINVAL', `maxTableBytes ${limits.maxTableBytes} is below one table page`);
    if (bytes > BigInt(CONSTANTS.MAX_TABLE_BYTES))
      throw new LabError(
        'EINVAL',
        `maxTableBytes ${limits.maxTableBytes} is above ${CONSTANTS.MAX_TABLE_BYTES}`,
      );
    buf.writeBigUInt64LE(bytes, 16);
  }
  return buf;
}

/** Ops encoded as batch records (Lab.encodeOps): the first `length` bytes of `records`. */
export interface EncodedOps {
  readonly records: Buffer;
  readonly length: number;
}

export class Lab {
  readonly policy: Policy;
  /** The kernel profile whose rules this lab follows (docs/kernels.md). */
  readonly kernel: Kernel;
  #handle: native.LabPointer;
  #arg = Buffer.alloc(MAX_STRUCT_SIZE);
  #out = Buffer.alloc(OUT_INITIAL);
  /** The output's length word, read as one element load (Buffer#readUInt32LE checks its offset first). */
  #outLength = new Uint32Array(this.#out.buffer, this.#out.byteOffset, 1);

  private constructor(policy: Policy, kernel: Kernel, handle: native.LabPointer) {
    this.policy = policy;
    this.kernel = kernel;
    this.#handle = handle;
  }

  static create(policy: Policy, limits?: LabLimits, kernel: Kernel = DEFAULT_KERNEL): Lab {
    const index = POLICIES.indexOf(policy);
    if (index < 0) throw new LabError('EINVAL', `unknown policy ${String(policy)}`);
    if (!KERNELS.includes(kernel)) {
      throw new LabError('EINVAL', `unknown kernel ${String(kernel)}: one of ${KERNELS.join(', ')}`);
    }
    const err = Buffer.alloc(4);
    const handle = native.ioasid_lab_create_limits(index, checkLimits(limits, kernel), err);
    if (!handle) {
      const errno = -err.readInt32LE(0) || ERRNO.ENOMEM;
      if (errno === ERRNO.EOPNOTSUPP) {
        throw new LabError(
          'EOPNOTSUPP',
          `kernel ${kernel} has no ${policy}: iommufd was merged in Linux 6.2`,
        );
      }
      throw new LabError(errnoCode(errno), 'cannot create a lab');
    }
    return new Lab(policy, kernel, handle);
  }

  static restore(snapshot: Buffer): Lab {
    const err = Buffer.alloc(4);
    const handle = native.ioasid_lab_restore(snapshot, snapshot.length, err);
    if (!handle) {
      const errno = -err.readInt32LE(0) || ERRNO.EINVAL;
      throw new LabError(errnoCode(errno), 'not a lab snapshot');
    }
    const policy = POLICIES[native.ioasid_lab_policy(handle)];
    const kernel = KERNELS[native.ioasid_lab_kernel(handle)];
    if (!policy || !kernel) throw new LabError('EINVAL', 'snapshot has an unknown policy or kernel');
    return new Lab(policy, kernel, handle);
  }

  get #live(): native.LabPointer {
    if (!this.#handle) throw new LabError('EINVAL', 'the lab was destroyed');
    return this.#handle;
  }

  /** Makes sure the output buffer holds the last call's whole output (fetched again if it did not fit). */
  #complete(): number {
    const length = this.#outLength[0] as number;
    if (length + 4 > this.#out.length) {
      this.#out = Buffer.alloc(Math.max(length + 4, this.#out.length * 2));
      this.#outLength = new Uint32Array(this.#out.buffer, this.#out.byteOffset, 1);
      const rc = native.ioasid_lab_fetch(this.#live, this.#out, this.#out.length);
      if (rc < 0) throw new LabError(errnoCode(-rc), 'cannot fetch the core output');
    }
    return length;
  }

  /** The JSON text the last call left in the core's output. */
  #text(): string {
    const length = this.#complete();
    return this.#out.toString('utf8', 4, 4 + length);
  }

  #bytes(): Buffer {
    const length = this.#complete();
    return Buffer.from(this.#out.subarray(4, 4 + length));
  }

  /** The one op result the last ioctl left in the output. */
  #result(): OpResult {
    // Nothing written: the core could not allocate room for the result, so the op's fate is unknown.
    if (this.#complete() === 0) throw new LabError('ENOMEM', 'the core could not write the result');
    return decodeResult(this.#out, 4);
  }

  apply(op: AnyOp): OpResult {
    const handle = this.#live;
    const arg = this.#arg;
    let cmd: number;
    try {
      cmd = encodeOp(op, arg);
    } catch (error) {
      if (error instanceof LabError) return refusal(error);
      throw error;
    }
    const out = this.#out;
    native.ioasid_lab_ioctl(handle, cmd, arg, structSize(cmd), out, out.length);
    return this.#result();
  }

  applyBatch(ops: readonly AnyOp[], options: { atomic?: boolean } = {}): OpResult[] {
    return this.applyEncoded(Lab.encodeOps(ops), options);
  }

  /**
   * Ops encoded once as a batch's records, to be run on more than one core (a lab and the counterfactual
   * shadows that take the same ops): encoding is the same for every core. An op that cannot be encoded
   * becomes a record the core refuses with its errno and message, as in applyBatch.
   */
  static encodeOps(ops: readonly AnyOp[]): EncodedOps {
    // Most ops are small: start at 256 bytes a record and grow when a large one (vm.create) needs room.
    let records = Buffer.alloc(Math.max(ops.length * 256, BATCH_RECORD_MAX));
    let offset = 0;
    for (const op of ops) {
      if (records.length - offset < BATCH_RECORD_MAX) {
        const grown = Buffer.alloc(records.length * 2 + BATCH_RECORD_MAX);
        records.copy(grown, 0, 0, offset);
        records = grown;
      }
      const body = records.subarray(offset + 8, offset + BATCH_RECORD_MAX);
      let cmd: number;
      try {
        cmd = encodeOp(op, body);
      } catch (error) {
        if (!(error instanceof LabError)) throw error;
        body.fill(0);
        cmd = encodeRefusal(error, body);
      }
      const length = 8 + structSize(cmd);
      records.writeUInt32LE(cmd, offset);
      records.writeUInt32LE(length, offset + 4);
      offset += length;
    }
    return { records, length: offset };
  }

  /** Runs encoded ops in one call, as applyBatch does, and answers each one's result. */
  applyEncoded(ops: EncodedOps, options: { atomic?: boolean } = {}): OpResult[] {
    const rc = this.#runBatch(ops, options.atomic ? CONSTANTS.BATCH_ATOMIC : 0);
    this.#complete();
    return decodeResults(this.#out, 4, rc);
  }

  /** Runs encoded ops (not atomically) and answers how many the core refused, decoding no result. */
  countRefused(ops: EncodedOps): number {
    this.#runBatch(ops, CONSTANTS.BATCH_REFUSED_ONLY);
    return this.#out.readUInt32LE(4);
  }

  #runBatch(ops: EncodedOps, flags: number): number {
    const rc = native.ioasid_lab_batch(
      this.#live,
      ops.records,
      ops.length,
      flags,
      this.#out,
      this.#out.length,
    );
    if (rc < 0) {
      const error = JSON.parse(this.#text()) as RawRefusal;
      throw new LabError(error.code ?? errnoCode(-rc), error.message ?? 'batch refused');
    }
    return rc;
  }

  state(): CoreState {
    const rc = native.ioasid_lab_state(this.#live, this.#out, this.#out.length);
    if (rc < 0) throw new LabError(errnoCode(-rc), 'cannot read the lab state');
    return JSON.parse(this.#text()) as CoreState;
  }

  pagetable(hwpt: number, range: { iova?: U64Input; length?: U64Input; limit?: number } = {}): LeafPage {
    if (!Number.isInteger(hwpt) || hwpt < 0 || hwpt > 0xffffffff)
      throw new LabError('EINVAL', `bad hwpt id ${hwpt}`);
    const limit = range.limit ?? 512;
    if (!Number.isInteger(limit) || limit < 1)
      throw new LabError('EINVAL', `limit ${limit} is not a positive integer`);
    const query = Buffer.alloc(PAGETABLE_QUERY_SIZE);
    query.writeUInt32LE(PAGETABLE_QUERY_SIZE, 0);
    query.writeUInt32LE(hwpt, 8);
    query.writeUInt32LE(Math.min(limit, 4096), 12);
    query.writeBigUInt64LE(parseU64(range.iova ?? 0, 'iova'), 16);
    query.writeBigUInt64LE(parseU64(range.length ?? 0, 'length'), 24);
    const rc = native.ioasid_lab_pagetable(this.#live, query, this.#out, this.#out.length);
    const parsed = JSON.parse(this.#text());
    if (rc < 0) throw new LabError(parsed.code, parsed.message);
    return parsed as LeafPage;
  }

  serialize(): Buffer {
    const rc = native.ioasid_lab_serialize(this.#live, this.#out, this.#out.length);
    if (rc < 0) throw new LabError(errnoCode(-rc), 'cannot serialize the lab');
    return this.#bytes();
  }

  /** Frees the native context; the Lab must not be used afterwards. */
  destroy(): void {
    if (this.#handle) native.ioasid_lab_destroy(this.#handle);
    this.#handle = null;
  }

  /**
   * Calls the ioctl entry point with raw struct bytes (for tests of the struct size/flags rules).
   * Returns the core's return code and its parsed result.
   */
  rawIoctl(cmd: number, bytes: Buffer): { rc: number; result: OpResult } {
    const rc = native.ioasid_lab_ioctl(this.#live, cmd, bytes, bytes.length, this.#out, this.#out.length);
    return { rc, result: this.#result() };
  }

  /** As rawIoctl, returning only the core's return code (the result stays unparsed in the output buffer). */
  rawIoctlCode(cmd: number, bytes: Buffer): number {
    return native.ioasid_lab_ioctl(this.#live, cmd, bytes, bytes.length, this.#out, this.#out.length);
  }

  /** The FFI cost floor: the same call shape as apply() into a C function that does nothing. */
  nop(): number {
    return native.ioasid_nop(this.#live, 0, this.#arg, 0, this.#out, this.#out.length);
  }
}
