// The generated views of the header (src/abi-layout.ts, native/src/abi_layout.c, native/src/abi_names.h
// and packages/api/src/vocab.generated.ts) are regenerated into a temp dir and compared with the committed
// files, so a header edited without `npm run build` fails here; and an enum value added (or renamed) in a
// copy of the header is shown to reach the binding's, the API's and the C core's names with no other edit.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', 'scripts', 'gen-abi.mjs');
const header = join(import.meta.dirname, '..', 'native', 'include', 'ioasid_lab.h');
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

describe('generated files', () => {
  it('are committed as the header gives them now (else run npm run build in packages/core)', () => {
    const out = generate();
    const files = filesUnder(out);
    expect(files).toEqual([
      'packages/api/src/vocab.generated.ts',
      'packages/core/native/src/abi_layout.c',
      'packages/core/native/src/abi_names.h',
      'packages/core/src/abi-layout.ts',
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
      if (file.endsWith('abi_layout.c')) continue; // offsets only, no names
      expect(text, file).toContain('arm-smmu-v3');
      expect(text, file).not.toContain('arm-smmuv3');
    }
  });

  it('refuse a header that lacks an enum the API exposes', () => {
    const path = editedHeader((text) => text.replace('enum ioasid_announce {', 'enum ioasid_announcement {'));
    expect(() => generate('--header', path)).toThrow(/enum ioasid_announce \(for ANNOUNCE_KVM\)/);
  });
});
