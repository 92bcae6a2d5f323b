// RFC 6386 section 7: the boolean entropy decoder.
//
// Every VP8 partition is one arithmetic-coded stream of bools, each read with a
// probability p/256 of being zero (section 7.1). The decoder keeps `range` in
// [128, 255] and a window `value` of the coded bits; a bool is 1 when the window
// lies at or above `split`, after which both are renormalised so that range's
// top bit is set again (section 7.3).
//
// This implementation keeps more than the RFC's two bytes in the window, so that
// bytes are loaded three at a time instead of one per eight shifts: `value` holds
// 31 bits, the top 8 of which (bits 23..30) are the ones compared with `split`,
// and `count` says how many valid bits lie below those 8.
//
// Reading never throws and never reads outside the buffer: past the end the
// window is filled with zero bits, as libvpx does, and `overrun()` tells whether
// any bit consumed so far lay past the end. Callers check it at partition and
// frame boundaries (docs/architecture.md, "Errors and limits").

import { NORM_SHIFT } from './tables.js';

export class BoolDecoder {
  private readonly data: Uint8Array;
  /** Index of the next byte to load; may run past `end` while zero-filling. */
  private pos: number;
  private readonly start: number;
  private readonly end: number;
  private value = 0;
  /** Valid bits below the top 8 bits of `value`; negative means a load is due. */
  private count = -8;
  private range = 255;

  /** Decodes `data[start, end)`. */
  constructor(data: Uint8Array, start = 0, end = data.length) {
    this.data = data;
    this.start = start;
    this.end = end;
    this.pos = start;
    this.fill();
  }

  /** Loads bytes until at least 16 bits lie below the comparison window. */
  private fill(): void {
    let shift = 15 - this.count;
    let value = this.value;
    let count = this.count;
    const data = this.data;
    const end = this.end;
    let pos = this.pos;
    while (shift >= 0) {
      const byte = pos < end ? data[pos] : 0;
      pos++;
      value |= byte << shift;
      count += 8;
      shift -= 8;
    }
    this.pos = pos;
    this.value = value;
    this.count = count;
  }

  /** Reads one bool whose probability of being 0 is `prob`/256 (section 7.3). */
  readBool(prob: number): number {
    const split = 1 + (((this.range - 1) * prob) >> 8);
    if (this.count < 0) this.fill();
    const bigSplit = split << 23;
    let range: number;
    let bit: number;
    if (this.value >= bigSplit) {
      range = this.range - split;
      this.value -= bigSplit;
      bit = 1;
    } else {
      range = split;
      bit = 0;
    }
    const shift = NORM_SHIFT[range];
    this.range = range << shift;
    // Bits shifted out of the window are dropped, as libvpx drops them from
    // its machine word; in valid streams there are none.
    this.value = (this.value << shift) & 0x7fffffff;
    this.count -= shift;
    return bit;
  }

  /** Reads a bool with probability one half: the RFC's `L(1)` and the sign of a coefficient. */
  readBit(): number {
    return this.readBool(128);
  }

  /** Reads an unsigned n-bit literal, most significant bit first (the RFC's `L(n)`). */
  readLiteral(bits: number): number {
    let v = 0;
    for (let i = 0; i < bits; i++) v = (v << 1) | this.readBool(128);
    return v;
  }

  /** Reads a flag and, when set, an n-bit magnitude followed by a sign bit. */
  readSignedIfFlagged(bits: number): number {
    if (!this.readBool(128)) return 0;
    const magnitude = this.readLiteral(bits);
    return this.readBool(128) ? -magnitude : magnitude;
  }

  /**
   * Reads a tree-coded value (section 8.1): `tree` as in tables.ts,
   * probabilities `probs[offset + (node >> 1)]`.
   */
  readTree(tree: Int8Array, probs: Uint8Array, offset = 0): number {
    let i = 0;
    do {
      i = tree[i + this.readBool(probs[offset + (i >> 1)])];
    } while (i > 0);
    return -i | 0; // leaves are stored negated; `| 0` turns -0 into 0
  }

  /**
   * True when bits beyond the end of the buffer have been consumed, i.e. the
   * stream was too short for what was read from it. A decoder may look ahead
   * at up to one byte past the data without that being an error, as in libvpx.
   */
  overrun(): boolean {
    return 8 * (this.pos - this.end) > this.count;
  }

  /**
   * Bits of the partition consumed so far: shifted out of the window by
   * renormalisation (section 7.3). The difference across a syntax element is
   * what it cost; over a whole partition it is the partition's size in bits,
   * give or take the final byte.
   */
  bitsConsumed(): number {
    return 8 * (this.pos - this.start) - this.count - 8;
  }

  /** Offset of the first byte not yet loaded, for error messages. */
  position(): number {
    return Math.min(this.pos, this.end);
  }

  /** Bytes in the buffer, for error messages. */
  get length(): number {
    return this.end - this.start;
  }
}
