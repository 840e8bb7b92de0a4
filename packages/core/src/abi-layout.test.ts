// The ABI stated once: the generated layout must match both the header (a fresh generation changes
// nothing) and the compiled library (ioasid_abi_layout), so an edited struct cannot reach the encoder
// half-done.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYOUT_TABLE, STRUCTS } from './abi-layout.ts';
import { abiLayout } from './lab.ts';

describe('generated ABI layout', () => {
  it('is what scripts/gen-abi.mjs makes of the header now', () => {
    const script = join(import.meta.dirname, '..', 'scripts', 'gen-abi.mjs');
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('matches the compiled library, struct by struct and field by field', () => {
    expect(abiLayout()).toEqual([...LAYOUT_TABLE]);
  });

  it('lays out the structs the encoder relies on', () => {
    // Spot checks against the C declarations, so a generator bug cannot hide behind itself.
    expect(STRUCTS.ioas_map).toEqual({ sizeof: 32, size: 0, flags: 4, ioas: 8, iova: 16, length: 24 });
    expect(STRUCTS.lab_limits.kernel).toBe(12);
  });
});
