// RFC 6386 sections 8 and 19: the coding types of the bitstream syntax —
// L(n) literals, B(p) bools and T tree-coded values — behind one interface
// that either reads or writes.
//
// Syntax is written once, as functions that call a SyntaxCoder for each
// field and assign what it returns: a reader returns the value it decoded
// (ignoring the one passed in), a writer encodes the value passed in and
// returns it. The frame header (header.ts) and the macroblock headers
// (modes.ts) are described this way, so parsing and serializing cannot
// disagree.

import type { BoolDecoder } from './bool-decoder.js';
import type { BoolEncoder } from './bool-encoder.js';

export interface SyntaxCoder {
  /** L(1): a flag. */
  flag(value: boolean): boolean;
  /** L(n): an unsigned literal, most significant bit first. */
  literal(bits: number, value: number): number;
  /** B(p): a bool whose probability of being 0 is p/256. */
  bool(prob: number, value: number): number;
  /** T: a tree-coded value with probabilities probs[offset + node / 2] (section 8.1). */
  tree(tree: Int8Array, probs: Uint8Array, offset: number, value: number): number;
  /**
   * Names the syntax element whose bools come next (Annex A's names, with
   * the index of a field coded in a loop), for a coder that traces them;
   * readers and writers have no such method, so the call costs a lookup.
   */
  element?(name: string, index?: number): void;
}

/** A SyntaxCoder that reads from a bool decoder. */
export class SyntaxReader implements SyntaxCoder {
  constructor(readonly decoder: BoolDecoder) {}
  flag(): boolean {
    return this.decoder.readBit() === 1;
  }
  literal(bits: number): number {
    return this.decoder.readLiteral(bits);
  }
  bool(prob: number): number {
    return this.decoder.readBool(prob);
  }
  tree(tree: Int8Array, probs: Uint8Array, offset: number): number {
    return this.decoder.readTree(tree, probs, offset);
  }
}

/** A SyntaxCoder that writes to a bool encoder. */
export class SyntaxWriter implements SyntaxCoder {
  constructor(readonly encoder: BoolEncoder) {}
  flag(value: boolean): boolean {
    this.encoder.writeBit(value ? 1 : 0);
    return value;
  }
  literal(bits: number, value: number): number {
    this.encoder.writeLiteral(bits, value);
    return value;
  }
  bool(prob: number, value: number): number {
    this.encoder.writeBool(prob, value);
    return value;
  }
  tree(tree: Int8Array, probs: Uint8Array, offset: number, value: number): number {
    this.encoder.writeTree(tree, probs, value, offset);
    return value;
  }
}
