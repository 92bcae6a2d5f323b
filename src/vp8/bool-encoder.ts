// RFC 6386 section 7.3: the boolean entropy encoder, the exact inverse of
// bool-decoder.ts.
//
// `bottom` is the low end of the coding interval; bytes leave it from the top
// as the interval narrows, and a carry out of `bottom` is propagated into the
// bytes already written (section 7.3). The final flush writes 32 bools of
// probability 1/2 with value 0, as libvpx does, so that a decoder can always
// look ahead without running out of data and so that partitions produced here
// are byte-identical to libvpx's for the same sequence of bools.
//
// `bottom` is kept as a signed 32-bit integer (the same bits as libvpx's
// unsigned one; every use shifts or masks it): stored unsigned, a value past
// 2^31 would turn the field into a heap number, and the compiled code of
// everything that writes bools would be thrown away and compiled again.

import { Vp8Error } from './errors.js';
import { NORM_SHIFT } from './tables.js';

export class BoolEncoder {
  private buffer: Uint8Array;
  private pos = 0;
  private bottom = 0;
  private range = 255;
  /** Bits shifted into `bottom` since the last byte left it, minus 24. */
  private count = -24;

  constructor(initialCapacity = 1024) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity));
  }

  private pushByte(byte: number): void {
    if (this.pos === this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.pos++] = byte;
  }

  /** Writes one bool whose probability of being 0 is `prob`/256. */
  writeBool(prob: number, bit: number): void {
    const split = 1 + (((this.range - 1) * prob) >> 8);
    let range: number;
    let bottom = this.bottom;
    if (bit) {
      bottom = (bottom + split) | 0;
      range = this.range - split;
    } else {
      range = split;
    }
    let shift = NORM_SHIFT[range];
    range <<= shift;
    let count = this.count + shift;
    if (count >= 0) {
      const offset = shift - count;
      // A carry out of the 24-bit window ripples into the bytes already written.
      if (((bottom << (offset - 1)) & 0x80000000) !== 0) {
        let x = this.pos - 1;
        while (x >= 0 && this.buffer[x] === 0xff) {
          this.buffer[x] = 0;
          x--;
        }
        this.buffer[x]++;
      }
      this.pushByte((bottom >>> (24 - offset)) & 0xff);
      bottom = (bottom << offset) & 0xffffff;
      shift = count;
      count -= 8;
    }
    this.bottom = bottom << shift;
    this.count = count;
    this.range = range;
  }

  writeBit(bit: number): void {
    this.writeBool(128, bit);
  }

  /** Writes an unsigned n-bit literal, most significant bit first. */
  writeLiteral(bits: number, value: number): void {
    for (let i = bits - 1; i >= 0; i--) this.writeBool(128, (value >> i) & 1);
  }

  /** Writes a tree-coded value (section 8.1), the inverse of BoolDecoder.readTree. */
  writeTree(tree: Int8Array, probs: Uint8Array, value: number, offset = 0): void {
    const path = treePath(tree, value);
    for (let k = 0; k < path.length; k += 2) this.writeBool(probs[offset + (path[k] >> 1)], path[k + 1]);
  }

  /** Flushes the coder and returns the bytes written. The encoder must not be used afterwards. */
  finish(): Uint8Array {
    for (let i = 0; i < 32; i++) this.writeBool(128, 0);
    return this.buffer.slice(0, this.pos);
  }
}

const pathCache = new WeakMap<Int8Array, Map<number, number[]>>();

/** The (node index, bit) pairs that lead from the root of `tree` to the leaf `value`. */
function treePath(tree: Int8Array, value: number): number[] {
  let byValue = pathCache.get(tree);
  if (!byValue) {
    byValue = new Map();
    const walk = (node: number, prefix: number[]): void => {
      for (let bit = 0; bit < 2; bit++) {
        const next = tree[node + bit];
        const path = [...prefix, node, bit];
        if (next > 0) walk(next, path);
        else byValue!.set(-next, path);
      }
    };
    walk(0, []);
    pathCache.set(tree, byValue);
  }
  const path = byValue.get(value);
  if (!path) throw new Vp8Error('invalid-argument', `value ${value} is not a leaf of the coding tree`);
  return path;
}
