// koffi declarations of the native core's ABI (native/include/ioasid_lab.h), and nothing else.
// The shared library is built by `make -C native` into native/build/libioasid_lab.so.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';

// IOASID_LAB_LIBRARY points at another build of the same ABI (the sanitized one, for npm run test:asan).
const libraryPath =
  process.env.IOASID_LAB_LIBRARY ??
  join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'build', 'libioasid_lab.so');
if (!existsSync(libraryPath)) {
  throw new Error(`native core not built: ${libraryPath} is missing (run "npm run build")`);
}
const lib = koffi.load(libraryPath);

/** An opaque `struct ioasid_lab *`. */
export type LabPointer = unknown;

export const LabHandle = koffi.opaque('ioasid_lab');
export const ioasid_abi_version = lib.func('uint32_t ioasid_abi_version(void)') as () => number;
export const ioasid_lab_create = lib.func('ioasid_lab *ioasid_lab_create(uint32_t policy)') as (
  policy: number,
) => LabPointer;
export const ioasid_lab_create_limits = lib.func(
  'ioasid_lab *ioasid_lab_create_limits(uint32_t policy, const void *limits, void *err)',
) as (policy: number, limits: Buffer | null, err: Buffer) => LabPointer;
export const ioasid_lab_destroy = lib.func('void ioasid_lab_destroy(ioasid_lab *lab)') as (
  lab: LabPointer,
) => void;
export const ioasid_lab_ioctl = lib.func(
  'int32_t ioasid_lab_ioctl(ioasid_lab *lab, uint32_t cmd, const void *arg, uint32_t arg_len, void *out, uint32_t out_cap)',
) as (lab: LabPointer, cmd: number, arg: Buffer, argLen: number, out: Buffer, outCap: number) => number;
export const ioasid_lab_batch = lib.func(
  'int32_t ioasid_lab_batch(ioasid_lab *lab, const void *ops, uint32_t ops_len, uint32_t flags, void *out, uint32_t out_cap)',
) as (lab: LabPointer, ops: Buffer, opsLen: number, flags: number, out: Buffer, outCap: number) => number;
export const ioasid_lab_state = lib.func(
  'int32_t ioasid_lab_state(ioasid_lab *lab, void *out, uint32_t out_cap)',
) as (lab: LabPointer, out: Buffer, outCap: number) => number;
export const ioasid_lab_pagetable = lib.func(
  'int32_t ioasid_lab_pagetable(ioasid_lab *lab, const void *query, void *out, uint32_t out_cap)',
) as (lab: LabPointer, query: Buffer, out: Buffer, outCap: number) => number;
export const ioasid_lab_fetch = lib.func(
  'int32_t ioasid_lab_fetch(ioasid_lab *lab, void *out, uint32_t out_cap)',
) as (lab: LabPointer, out: Buffer, outCap: number) => number;
export const ioasid_lab_serialize = lib.func(
  'int32_t ioasid_lab_serialize(ioasid_lab *lab, void *out, uint32_t out_cap)',
) as (lab: LabPointer, out: Buffer, outCap: number) => number;
export const ioasid_lab_restore = lib.func(
  'ioasid_lab *ioasid_lab_restore(const void *snapshot, uint32_t len, void *err)',
) as (snapshot: Buffer, len: number, err: Buffer) => LabPointer;
export const ioasid_lab_policy = lib.func('uint32_t ioasid_lab_policy(ioasid_lab *lab)') as (
  lab: LabPointer,
) => number;
export const ioasid_abi_layout = lib.func('int32_t ioasid_abi_layout(_Out_ uint32_t *out, uint32_t cap)') as (
  out: Uint32Array | null,
  cap: number,
) => number;
export const ioasid_lab_kernel = lib.func('uint32_t ioasid_lab_kernel(ioasid_lab *lab)') as (
  lab: LabPointer,
) => number;
export const ioasid_nop = lib.func(
  'int32_t ioasid_nop(ioasid_lab *lab, uint32_t cmd, const void *arg, uint32_t arg_len, void *out, uint32_t out_cap)',
) as (lab: LabPointer, cmd: number, arg: Buffer, argLen: number, out: Buffer, outCap: number) => number;
export const ioasid_bench_baseline = lib.func(
  'uint64_t ioasid_bench_baseline(uint64_t entries, uint32_t cold)',
) as (entries: number, cold: number) => number;
export const ioasid_now_ns = lib.func('uint64_t ioasid_now_ns(void)') as () => number;
