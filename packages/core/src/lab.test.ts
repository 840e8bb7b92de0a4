import { describe, expect, it } from 'vitest';
import { abiVersion, Lab, LabError } from './index.ts';

describe('native core through koffi', () => {
  it('reports the ABI version of the compiled library', () => {
    expect(abiVersion()).toBe(2);
  });
  it('creates and destroys a lab', () => {
    const lab = Lab.create('shared');
    expect(lab.policy).toBe('shared');
    lab.destroy();
  });
  it('refuses an unknown policy with EINVAL', () => {
    expect(() => Lab.create('bogus' as never)).toThrow(LabError);
  });
});
