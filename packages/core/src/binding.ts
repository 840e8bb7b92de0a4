// koffi declarations of the native core's ABI (native/include/ioasid_lab.h), and nothing else.
// The shared library is built by `make -C native` into native/build/libioasid_lab.so.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';

const libraryPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'build', 'libioasid_lab.so');
if (!existsSync(libraryPath)) {
  throw new Error(`native core not built: ${libraryPath} is missing (run "npm run build")`);
}
const lib = koffi.load(libraryPath);

export const LabHandle = koffi.opaque('ioasid_lab');
export const ioasid_abi_version = lib.func('uint32_t ioasid_abi_version(void)') as () => number;
export const ioasid_lab_create = lib.func('ioasid_lab *ioasid_lab_create(uint32_t policy)') as (
  policy: number,
) => unknown;
export const ioasid_lab_destroy = lib.func('void ioasid_lab_destroy(ioasid_lab *lab)') as (lab: unknown) => void;
