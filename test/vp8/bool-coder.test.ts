import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BoolDecoder } from '../../src/vp8/bool-decoder.js';
import { BoolEncoder } from '../../src/vp8/bool-encoder.js';
import { SMALL_MV_TREE } from '../../src/vp8/tables.js';

/**
 * The decoder of RFC 6386 section 7.3, written the plain way (a two-byte
 * window, one byte loaded per eight shifts): the oracle for the optimized one.
 * Bits shifted out of the window are dropped, as libvpx drops them from its
 * machine word; that only matters for data no encoder produces.
 */
function referenceDecode(data: Uint8Array, probs: number[]): number[] {
  let value = ((data[0] ?? 0) << 8) | (data[1] ?? 0);
  let pos = 2;
  let range = 255;
  let bitCount = 0;
  const out: number[] = [];
  for (const prob of probs) {
    const split = 1 + (((range - 1) * prob) >> 8);
    const bigSplit = split << 8;
    let bit: number;
    if (value >= bigSplit) {
      bit = 1;
      range -= split;
      value -= bigSplit;
    } else {
      bit = 0;
      range = split;
    }
    while (range < 128) {
      value = (value << 1) & 0xffff;
      range <<= 1;
      if (++bitCount === 8) {
        bitCount = 0;
        value |= data[pos++] ?? 0;
      }
    }
    out.push(bit);
  }
  return out;
}

describe('BoolDecoder (RFC 6386 section 7)', () => {
  it('decodes a fixed byte string to known bits', () => {
    // Known answer: these bits were produced by the reference procedure above
    // and are pinned here so that both implementations are held to them.
    const data = Uint8Array.of(0x9d, 0x01, 0x2a, 0xff, 0x00, 0x5a, 0xc3, 0x7e);
    const probs = [128, 128, 1, 255, 200, 50, 128, 128, 10, 240, 128, 128, 128, 128, 90, 180];
    const expected = [1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0];
    expect(referenceDecode(data, probs)).toEqual(expected);
    const d = new BoolDecoder(data);
    expect(probs.map((p) => d.readBool(p))).toEqual(expected);
    expect(d.overrun()).toBe(false);
  });

  it('reads literals most significant bit first', () => {
    const e = new BoolEncoder();
    e.writeLiteral(7, 0x55);
    e.writeLiteral(16, 0xbeef);
    e.writeLiteral(1, 1);
    const d = new BoolDecoder(e.finish());
    expect(d.readLiteral(7)).toBe(0x55);
    expect(d.readLiteral(16)).toBe(0xbeef);
    expect(d.readLiteral(1)).toBe(1);
  });

  it('agrees with the reference procedure on random data and probabilities', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 64 }),
        fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 400 }),
        (data, probs) => {
          const d = new BoolDecoder(data);
          expect(probs.map((p) => d.readBool(p))).toEqual(referenceDecode(data, probs));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('inverts the encoder for any bools and probabilities', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 1 })), { maxLength: 2000 }), (pairs) => {
        const e = new BoolEncoder(4);
        for (const [p, b] of pairs) e.writeBool(p, b);
        const bytes = e.finish();
        const d = new BoolDecoder(bytes);
        expect(pairs.map(([p]) => d.readBool(p))).toEqual(pairs.map(([, b]) => b));
        expect(d.overrun()).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips tree-coded values', () => {
    const probs = Uint8Array.of(100, 150, 30, 200, 80, 128, 250);
    const e = new BoolEncoder();
    const values = [0, 1, 2, 3, 4, 5, 6, 7, 7, 3, 0];
    for (const v of values) e.writeTree(SMALL_MV_TREE, probs, v);
    const d = new BoolDecoder(e.finish());
    expect(values.map(() => d.readTree(SMALL_MV_TREE, probs))).toEqual(values);
  });

  it('reads past the end of a truncated stream without throwing, and reports the overrun', () => {
    const e = new BoolEncoder();
    for (let i = 0; i < 2000; i++) e.writeBool(128, (i * 7919) % 3 === 0 ? 1 : 0);
    const truncated = e.finish().subarray(0, 20);
    const d = new BoolDecoder(truncated);
    for (let i = 0; i < 150; i++) d.readBool(128);
    expect(d.overrun()).toBe(false);
    for (let i = 150; i < 2000; i++) d.readBool(128);
    expect(d.overrun()).toBe(true);
  });

  it('does not report an overrun for a stream read exactly to its end', () => {
    const e = new BoolEncoder();
    for (let i = 0; i < 1000; i++) e.writeBool(200, i % 7 === 0 ? 1 : 0);
    const bytes = e.finish();
    const d = new BoolDecoder(bytes);
    for (let i = 0; i < 1000; i++) expect(d.readBool(200)).toBe(i % 7 === 0 ? 1 : 0);
    expect(d.overrun()).toBe(false);
  });

  it('respects a sub-range of a larger buffer', () => {
    const e = new BoolEncoder();
    e.writeLiteral(8, 0xa5);
    const part = e.finish();
    const buf = new Uint8Array(part.length + 10).fill(0xff);
    buf.set(part, 5);
    const d = new BoolDecoder(buf, 5, 5 + part.length);
    expect(d.readLiteral(8)).toBe(0xa5);
    expect(d.length).toBe(part.length);
  });
});
