// The VT-d decoder on register values built field by field (VT-d spec 11.4.2 and 11.4.3 layouts), for the
// branches the fixtures do not reach: MGAW narrower than SAGAW, 48- and 57-bit units, scalable mode with
// first-level translation only, fewer superpage levels; and malformed registers.
import { describe, expect, it } from 'vitest';
import { DecodeError, decodeAmd, decodeSmmuV3, decodeVtd, labIovaBits } from './decode.ts';

/** CAP from its fields: SAGAW bits 12:8, MGAW (width - 1) bits 21:16, SLLPS bits 37:34, FL5LP bit 60. */
function cap(fields: { sagaw: number; mgaw: number; sllps: number; fl5lp?: number }): string {
  const value =
    (BigInt(fields.sagaw) << 8n) |
    (BigInt(fields.mgaw - 1) << 16n) |
    (BigInt(fields.sllps) << 34n) |
    (BigInt(fields.fl5lp ?? 0) << 60n) |
    0x6n; // ND = 6 (65536 domains), irrelevant here
  return value.toString(16);
}

/** ECAP from its fields: SC bit 7, SMTS bit 43, SLTS bit 46, FLTS bit 47. */
function ecap(fields: { sc: number; smts?: number; slts?: number; flts?: number }): string {
  const value =
    (BigInt(fields.sc) << 7n) |
    (BigInt(fields.smts ?? 0) << 43n) |
    (BigInt(fields.slts ?? 0) << 46n) |
    (BigInt(fields.flts ?? 0) << 47n) |
    0xf0000n;
  return value.toString(16);
}

describe('VT-d', () => {
  it('the fixture registers: 39 bits, 2M and 1G, snoop control from ECAP bit 7', () => {
    expect(decodeVtd('d2008c22260286', 'f00fca')).toMatchObject({
      enforceCacheCoherency: true,
      iovaBits: 39,
      kernelIovaBits: 39,
      pageSizes: [4096, 2097152, 1073741824],
    });
    expect(decodeVtd('d2008c22260286', 'f00f4a').enforceCacheCoherency).toBe(false);
  });

  it('48-bit SAGAW with a 39-bit MGAW gives 39 bits (paging_domain_alloc takes the smaller)', () => {
    const unit = decodeVtd(cap({ sagaw: 0b0100, mgaw: 39, sllps: 0b11 }), ecap({ sc: 1 }));
    expect(unit).toMatchObject({ iovaBits: 39, kernelIovaBits: 39 });
  });

  it('a 48-bit server unit, and a 57-bit one that also offers 48', () => {
    expect(decodeVtd(cap({ sagaw: 0b0100, mgaw: 48, sllps: 0b11 }), ecap({ sc: 1 })).iovaBits).toBe(48);
    expect(decodeVtd(cap({ sagaw: 0b1100, mgaw: 57, sllps: 0b11 }), ecap({ sc: 1 })).iovaBits).toBe(57);
  });

  it('an MGAW between lab widths is modelled at the widest lab width under it, with a note', () => {
    const unit = decodeVtd(cap({ sagaw: 0b0100, mgaw: 46, sllps: 0b11 }), ecap({ sc: 1 }), 'dmar1');
    expect(unit).toMatchObject({ kernelIovaBits: 46, iovaBits: 39 });
    expect(unit.notes).toEqual([expect.stringContaining("dmar1: the kernel's domain width is 46 bits")]);
  });

  it('scalable mode, first level only: 48 bits whatever SAGAW says, 57 with FL5LP', () => {
    const firstOnly = ecap({ sc: 1, smts: 1, flts: 1, slts: 0 });
    expect(decodeVtd(cap({ sagaw: 0b0010, mgaw: 57, sllps: 0b11 }), firstOnly).iovaBits).toBe(48);
    expect(decodeVtd(cap({ sagaw: 0b0010, mgaw: 57, sllps: 0b11, fl5lp: 1 }), firstOnly).iovaBits).toBe(57);
    // Both levels: the first-level widths AND SAGAW.
    const both = ecap({ sc: 1, smts: 1, flts: 1, slts: 1 });
    expect(decodeVtd(cap({ sagaw: 0b1100, mgaw: 57, sllps: 0b11 }), both).iovaBits).toBe(48);
  });

  it('superpages: fls(SLLPS) levels', () => {
    const pages = (sllps: number) =>
      decodeVtd(cap({ sagaw: 0b0100, mgaw: 48, sllps }), ecap({ sc: 0 })).pageSizes;
    expect(pages(0)).toEqual([4096]);
    expect(pages(0b01)).toEqual([4096, 2097152]);
    expect(pages(0b11)).toEqual([4096, 2097152, 1073741824]);
    expect(pages(0b10)).toEqual([4096, 2097152, 1073741824]);
  });

  it('malformed registers and a SAGAW with no width are refused, naming the register', () => {
    expect(() => decodeVtd('xyz', 'f00fca', 'dmar0')).toThrow(DecodeError);
    expect(() => decodeVtd('xyz', 'f00fca', 'dmar0')).toThrow('dmar0.registers.cap');
    expect(() => decodeVtd('d2008c22260286', undefined, 'dmar0')).toThrow('dmar0.registers.ecap');
    expect(() => decodeVtd(cap({ sagaw: 0, mgaw: 48, sllps: 0 }), 'f00fca', 'dmar0')).toThrow('SAGAW 0x0');
  });
});

describe('AMD-Vi and SMMUv3', () => {
  it('AMD-Vi enforces whatever its registers say; a malformed features value is refused', () => {
    expect(decodeAmd('1f03000f', '29d3:0')).toMatchObject({ enforceCacheCoherency: true, iovaBits: 57 });
    expect(decodeAmd('0', '0:0').enforceCacheCoherency).toBe(true);
    expect(() => decodeAmd('1f03000f', '29d3', 'ivhd0')).toThrow('ivhd0.registers.features');
  });

  it('SMMUv3 never enforces on 6.12; dma-coherent only decides whether devices can be bound', () => {
    expect(decodeSmmuV3(true)).toMatchObject({ enforceCacheCoherency: false, cacheCoherency: true });
    expect(decodeSmmuV3(false)).toMatchObject({ enforceCacheCoherency: false, cacheCoherency: false });
    expect(decodeSmmuV3(null).cacheCoherency).toBeNull();
  });

  it('lab width: the widest not above the kernel width (39, the narrowest, below that)', () => {
    expect([38, 39, 46, 48, 52, 57, 64].map(labIovaBits)).toEqual([39, 39, 39, 48, 48, 57, 57]);
  });
});
