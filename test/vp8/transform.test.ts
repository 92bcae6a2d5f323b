import { describe, expect, it } from 'vitest';
import { inverseDctAdd, inverseDctDcOnlyAdd, inverseWht, inverseWhtDcOnly } from '../../src/vp8/transform.js';

/** A 4x4 prediction block of one value, stored with stride 4. */
const flat = (v: number): Uint8Array => new Uint8Array(16).fill(v);
const rows = (b: Uint8Array): number[][] => [0, 1, 2, 3].map((r) => Array.from(b.subarray(4 * r, 4 * r + 4)));

describe('inverse DCT (RFC 6386 section 14.4)', () => {
  it('adds (dc + 4) >> 3 everywhere for a DC-only block, in both code paths', () => {
    const coeffs = new Int16Array(16);
    coeffs[0] = 100;
    const full = flat(128);
    inverseDctAdd(coeffs, 0, full, 0, 4);
    expect(Array.from(full)).toEqual(new Array(16).fill(141));
    const dcOnly = flat(128);
    inverseDctDcOnlyAdd(100, dcOnly, 0, 4);
    expect(dcOnly).toEqual(full);
  });

  it('computes a single horizontal AC coefficient as worked out by hand', () => {
    // Column pass: a1 = b1 = 64. Row pass: c1 = (64 * 35468) >> 16 = 34,
    // d1 = 64 + ((64 * 20091) >> 16) = 83; outputs (83 + 4) >> 3 = 10,
    // (34 + 4) >> 3 = 4, (-34 + 4) >> 3 = -4, (-83 + 4) >> 3 = -10.
    const coeffs = new Int16Array(16);
    coeffs[1] = 64;
    const out = flat(100);
    inverseDctAdd(coeffs, 0, out, 0, 4);
    for (const row of rows(out)) expect(row).toEqual([110, 104, 96, 90]);
  });

  it('is the transpose for a single vertical AC coefficient', () => {
    const coeffs = new Int16Array(16);
    coeffs[4] = 64;
    const out = flat(100);
    inverseDctAdd(coeffs, 0, out, 0, 4);
    expect(rows(out)).toEqual([
      [110, 110, 110, 110],
      [104, 104, 104, 104],
      [96, 96, 96, 96],
      [90, 90, 90, 90],
    ]);
  });

  it('clamps the sum of prediction and residue to 0..255', () => {
    const coeffs = new Int16Array(16);
    coeffs[0] = 2000;
    const hi = flat(200);
    inverseDctAdd(coeffs, 0, hi, 0, 4);
    expect(Array.from(hi)).toEqual(new Array(16).fill(255));
    coeffs[0] = -2000;
    const lo = flat(50);
    inverseDctAdd(coeffs, 0, lo, 0, 4);
    expect(Array.from(lo)).toEqual(new Array(16).fill(0));
  });

  it('wraps its intermediate values to 16 bits, as libvpx does', () => {
    // 32767 + 32767 = 65534 is stored as -2 between the passes, so the
    // residue is (-2 + 4) >> 3 = 0 rather than a saturating 8192.
    const coeffs = new Int16Array(16);
    coeffs[0] = 32767;
    coeffs[8] = 32767;
    const out = flat(100);
    inverseDctAdd(coeffs, 0, out, 0, 4);
    expect(rows(out)[0]).toEqual([100, 100, 100, 100]);
    expect(rows(out)[3]).toEqual([100, 100, 100, 100]);
  });

  it('reads its input at an offset and writes with a stride', () => {
    const coeffs = new Int16Array(48);
    coeffs[32] = 80;
    const plane = new Uint8Array(8 * 6).fill(7);
    inverseDctAdd(coeffs, 32, plane, 8 + 2, 8);
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 8; x++) {
        const inside = y >= 1 && y < 5 && x >= 2 && x < 6;
        expect(plane[y * 8 + x]).toBe(inside ? 7 + 10 : 7);
      }
    }
  });
});

describe('inverse WHT (RFC 6386 section 14.3)', () => {
  it('spreads a DC-only input as (dc + 3) >> 3, in both code paths', () => {
    const input = new Int16Array(16);
    input[0] = 80;
    const full = new Int16Array(16 * 16);
    inverseWht(input, 0, full, 0);
    const dcOnly = new Int16Array(16 * 16);
    inverseWhtDcOnly(80, dcOnly, 0);
    for (let b = 0; b < 16; b++) {
      expect(full[16 * b]).toBe(10);
      expect(dcOnly[16 * b]).toBe(10);
    }
  });

  it('computes a single horizontal coefficient as worked out by hand', () => {
    // Column pass puts 8 in column 1 of every row; the row pass gives
    // (8 + 3) >> 3 = 1 for the first two outputs and (-8 + 3) >> 3 = -1 for the others.
    const input = new Int16Array(16);
    input[1] = 8;
    const out = new Int16Array(16 * 16);
    inverseWht(input, 0, out, 0);
    const dcs = Array.from({ length: 16 }, (_, b) => out[16 * b]);
    expect(dcs).toEqual([1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1]);
  });

  it('writes only the DC position of each luma block', () => {
    const input = new Int16Array(16).fill(24);
    const out = new Int16Array(16 * 16).fill(5);
    inverseWht(input, 0, out, 0);
    for (let b = 0; b < 16; b++) {
      for (let i = 1; i < 16; i++) expect(out[16 * b + i]).toBe(5);
    }
    // All-equal input: only the DC of the transform is non-zero: 16 * 24 = 384, (384 + 3) >> 3 = 48.
    expect(out[0]).toBe(48);
    expect(out[16]).toBe(0);
  });
});
