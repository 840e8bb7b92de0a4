// The generated views of the header (src/abi-layout.ts, native/src/abi_layout.c, native/src/abi_names.h
// and packages/api/src/vocab.generated.ts) are regenerated into a temp dir and compared with the committed
// files, so a header edited without `npm run build` fails here; and an enum value added (or renamed) in a
// copy of the header is shown to reach the binding's, the API's and the C core's names with no other edit.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', 'scripts', 'gen-abi.mjs');
const native = join(import.meta.dirname, '..', 'native');
const header = join(native, 'include', 'ioasid_lab.h');
const repoRoot = join(import.meta.dirname, '..', '..', '..');
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the generator with --out into a fresh temp dir; returns the dir. */
function generate(...args: string[]): string {
  const out = mkdtempSync(join(tmpdir(), 'ioasid-gen-'));
  dirs.push(out);
  execFileSync(process.execPath, [script, '--out', out, ...args], { stdio: 'pipe' });
  return out;
}

/** Every file under dir, by its path relative to dir. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

function committed(path: string): string {
  try {
    return readFileSync(join(repoRoot, path), 'utf8');
  } catch {
    return '';
  }
}

/** A copy of the header, edited, in a temp dir under the name abi_layout.c includes. */
function editedHeader(edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ioasid-header-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'include'));
  const path = join(dir, 'include', 'ioasid_lab.h');
  const text = readFileSync(header, 'utf8');
  const changed = edit(text);
  expect(changed).not.toBe(text);
  writeFileSync(path, changed);
  return path;
}

/** Prints the state of a lab with VM "vm" whose `epoch` (the field the test adds) is 7, then the state
 * of the lab restored from its snapshot, one JSON document per line. */
const VM_FIELD_PROBE = `#include <stdio.h>
#include "lab_internal.h"
static char out[1 << 16];
static void print_state(struct ioasid_lab *lab) {
  if (ioasid_lab_state(lab, out, sizeof(out)) == 0) printf("%.*s\\n", (int)*(uint32_t *)out, out + 4);
}
int main(void) {
  struct ioasid_lab *lab = ioasid_lab_create(IOASID_POLICY_IOMMUFD);
  struct ioasid_vm_create vm = { .size = sizeof(vm) };
  memcpy(vm.name, "vm", 3);
  if (ioasid_lab_ioctl(lab, IOASID_CMD_VM_CREATE, &vm, sizeof(vm), out, sizeof(out)) != 0) return 1;
  lab_find_vm(lab, "vm")->epoch = 7;
  print_state(lab);
  if (ioasid_lab_serialize(lab, out, sizeof(out)) != 0) return 2;
  int32_t err = 0;
  struct ioasid_lab *copy = ioasid_lab_restore(out + 4, *(uint32_t *)out, &err);
  if (!copy) return 3;
  print_state(copy);
  return 0;
}
`;

describe('generated files', () => {
  it('are committed as the header gives them now (else run npm run build in packages/core)', () => {
    const out = generate();
    const files = filesUnder(out);
    expect(files).toEqual([
      'packages/api/src/schemas/op-fields.generated.ts',
      'packages/api/src/schemas/vm-fields.generated.ts',
      'packages/api/src/vocab.generated.ts',
      'packages/core/native/src/abi_layout.c',
      'packages/core/native/src/abi_names.h',
      'packages/core/src/abi-layout.ts',
      'packages/core/src/op-encoders.generated.ts',
    ]);
    const stale = files.filter((path) => readFileSync(join(out, path), 'utf8') !== committed(path));
    expect(stale, 'out of date with ioasid_lab.h').toEqual([]);
  });

  it('carry a value added to a header enum into the binding and, as its only change, the API vocabulary', () => {
    const vendor = '\tIOASID_VENDOR_SMMUV3 = 2, /* arm-smmuv3 */\n';
    const path = editedHeader((text) =>
      text.replace(vendor, `${vendor}\tIOASID_VENDOR_TEST = 3, /* test-vendor */\n`),
    );
    const out = generate('--header', path);
    const vocab = 'packages/api/src/vocab.generated.ts';
    const layout = 'packages/core/src/abi-layout.ts';
    const added = (text: string) => text.replace("'arm-smmuv3'", "'arm-smmuv3', 'test-vendor'");
    expect(readFileSync(join(out, vocab), 'utf8')).toBe(added(committed(vocab)));
    expect(readFileSync(join(out, layout), 'utf8')).toContain("'test-vendor'");
    const names = readFileSync(join(out, 'packages/core/native/src/abi_names.h'), 'utf8');
    expect(names).toContain('#define IOASID_VENDOR_TEST_NAME "test-vendor"');
    expect(names).toContain('#define IOASID_VENDOR_COUNT 4u');
    expect(names).toContain(
      '#define IOASID_VENDOR_NAMES { "intel-vtd", "amd-vi", "arm-smmuv3", "test-vendor" }',
    );
  });

  it("carry a renamed vendor into every generated view, the C core's names included", () => {
    const path = editedHeader((text) => text.replace('/* arm-smmuv3 */', '/* arm-smmu-v3 */'));
    const out = generate('--header', path);
    for (const file of filesUnder(out)) {
      const text = readFileSync(join(out, file), 'utf8');
      // Offsets only, the VM's stored facts, and the ops (which name the vendor list, not its values).
      const unnamed = [
        'abi_layout.c',
        'vm-fields.generated.ts',
        'op-fields.generated.ts',
        'op-encoders.generated.ts',
      ];
      if (unnamed.some((name) => file.endsWith(name))) continue;
      expect(text, file).toContain('arm-smmu-v3');
      expect(text, file).not.toContain('arm-smmuv3');
    }
  });

  it("carry a VM fact added to vm_fields.h into the compiled core's state and snapshot and the API schema", () => {
    // The one edit: a line in a copy of the core's sources. Then the core is compiled from that copy.
    const dir = mkdtempSync(join(tmpdir(), 'ioasid-vm-field-'));
    dirs.push(dir);
    cpSync(join(native, 'include'), join(dir, 'include'), { recursive: true });
    cpSync(join(native, 'src'), join(dir, 'src'), { recursive: true });
    const fieldsPath = join(dir, 'src', 'vm_fields.h');
    const last = /\tX\(VM_DEVICES, kvm_files,[\s\S]*?ADD order"\)/.exec(
      readFileSync(fieldsPath, 'utf8'),
    )?.[0];
    expect(last).toBeDefined();
    writeFileSync(
      fieldsPath,
      readFileSync(fieldsPath, 'utf8').replace(
        last as string,
        `${last} \\\n\tX(VM_U32, epoch, "epoch", "A fact added for this test")`,
      ),
    );
    const out = generate('--vm-fields', fieldsPath);
    const generated = readFileSync(join(out, 'packages/api/src/schemas/vm-fields.generated.ts'), 'utf8');
    expect(generated).toContain(
      "epoch: Type.Integer({ minimum: 0, description: 'A fact added for this test' })",
    );
    const schemaKeys = [...generated.matchAll(/^ {2}(\w+): /gm)].map((m) => m[1]);

    // A lab with one VM whose new fact is set, then its state, and the state of its snapshot's restore.
    writeFileSync(join(dir, 'probe.c'), VM_FIELD_PROBE);
    const sources = readdirSync(join(dir, 'src')).filter((file) => file.endsWith('.c') && file !== 'bench.c');
    const probe = join(dir, 'probe');
    execFileSync(
      'cc',
      [
        '-std=c11',
        '-O1',
        '-D_DEFAULT_SOURCE',
        '-Iinclude',
        '-Isrc',
        '-o',
        probe,
        'probe.c',
        ...sources.map((file) => join('src', file)),
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    const [live, restored] = execFileSync(probe, { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).vms[0]);
    expect(Object.keys(live)).toEqual(['name', 'ioas', ...schemaKeys, 'wbinvd']);
    expect(live.epoch).toBe(7);
    expect(restored).toEqual(live);
  });

  it("carry a field added to an op struct into the encoder, as the compiled struct reads it, and the API's op", async () => {
    // The one edit: a field of vm.attach and the flag that says it is given, in a copy of the header.
    const path = editedHeader((text) =>
      text
        .replace(
          '#define IOASID_ATTACH_HAS_HWPT (1u << 0)\n',
          '$&#define IOASID_ATTACH_HAS_PASID (1u << 1)\n',
        )
        .replace(
          '\tuint32_t announce;            /* enum ioasid_announce; json: announceKvm? enum */\n',
          '$&\tuint32_t pasid; /* json: pasid? Id has=ATTACH_HAS_PASID */\n',
        ),
    );
    const out = generate('--header', path);
    const fields = readFileSync(join(out, 'packages/api/src/schemas/op-fields.generated.ts'), 'utf8');
    expect(fields).toContain(
      'announceKvm: Type.Optional(OneOf(ANNOUNCE_KVM)),\n    pasid: Type.Optional(Id),',
    );
    expect(fields).toMatch(/announceKvm\?: \(typeof ANNOUNCE_KVM\)\[number\];\s+pasid\?: number;/);

    // The generated encoder, run beside the helpers it is made of, writes the op into bytes...
    const src = join(out, 'packages/core/src');
    for (const file of ['encode-fields.ts', 'errors.ts', 'u64.ts'])
      cpSync(join(import.meta.dirname, file), join(src, file));
    const helpers = await import(join(src, 'encode-fields.ts'));
    const { encodeVmAttach } = await import(join(src, 'op-encoders.generated.ts'));
    const { STRUCTS } = await import(join(src, 'abi-layout.ts'));
    const bytes = Buffer.alloc(STRUCTS.vm_attach.sizeof);
    helpers.view32(bytes);
    bytes.writeUInt32LE(bytes.length, 0);
    bytes.writeUInt32LE(encodeVmAttach({ vm: 'vm1', device: 'dev1', hwpt: 3, pasid: 9 }, bytes), 4);

    // ...that the C compiler's struct, from the edited header, reads back field by field.
    const dir = mkdtempSync(join(tmpdir(), 'ioasid-op-field-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'probe.c'),
      `#include <stdio.h>
#include <string.h>
#include "ioasid_lab.h"
int main(void) {
  struct ioasid_vm_attach a;
  if (fread(&a, 1, sizeof(a), stdin) != sizeof(a) || a.size != sizeof(a)) return 1;
  printf("%s %s %u %u %u\\n", a.vm, a.device, a.hwpt, a.pasid, a.flags);
  return 0;
}
`,
    );
    execFileSync('cc', ['-std=c11', '-I', dirname(path), '-o', join(dir, 'probe'), join(dir, 'probe.c')]);
    const read = execFileSync(join(dir, 'probe'), { input: bytes, encoding: 'utf8' }).trim();
    expect(read).toBe('vm1 dev1 3 9 3'); // flags: ATTACH_HAS_HWPT | ATTACH_HAS_PASID
  });

  it('refuse an op field without a json: comment, naming it', () => {
    const path = editedHeader((text) =>
      text.replace(
        '\tuint32_t announce;            /* enum ioasid_announce; json: announceKvm? enum */\n',
        '$&\tuint32_t pasid;\n',
      ),
    );
    expect(() => generate('--header', path)).toThrow(/struct ioasid_vm_attach: pasid need a json: comment/);
  });

  it('refuse a header that lacks an enum the API exposes', () => {
    const path = editedHeader((text) => text.replace('enum ioasid_announce {', 'enum ioasid_announcement {'));
    expect(() => generate('--header', path)).toThrow(/enum ioasid_announce \(for ANNOUNCE_KVM\)/);
  });
});
