// RFC 6386 section 13: DCT coefficient token decoding.
//
// Each macroblock carries up to 25 blocks of 16 coefficients: the Y2 block of
// luma DC values (block 24, present unless the mode is B_PRED or SPLITMV), 16
// luma blocks (0..15, which then start at coefficient 1), and 4 + 4 chroma
// blocks (16..23). Coefficients come in zigzag order as tokens from a tree
// (section 13.2) whose probabilities depend on the block type, the
// coefficient's band, and a context (section 13.3): for the first token, how
// many of the blocks above and to the left had any token other than an
// immediate end-of-block; afterwards, whether the previous token was zero,
// one, or larger. After a ZERO token the end-of-block branch is skipped,
// since a block cannot end with a zero.
//
// Coefficients are stored dequantized (section 14.1), as 16-bit values like
// libvpx's, so that overflowing products of corrupt streams wrap the same way.

import type { BoolDecoder } from './bool-decoder.js';
import type { BoolEncoder } from './bool-encoder.js';
import {
  B_PRED, SPLITMV, BLOCK_TYPE_UV, BLOCK_TYPE_Y2, BLOCK_TYPE_Y_AFTER_Y2, BLOCK_TYPE_Y_WITH_DC, COEFF_BANDS,
  DCT_CAT3_PROBS, DCT_CAT4_PROBS, DCT_CAT5_PROBS, DCT_CAT6_PROBS, ZIGZAG,
} from './tables.js';
import type { DequantFactors } from './quant.js';

/**
 * The blocks of a macroblock: luma blocks 0-15 in raster order, U blocks
 * 16-19, V blocks 20-23 and the Y2 block 24. Block b's 16 values are at
 * 16 * b of a macroblock's coefficients (LEVELS_PER_MB in frame.ts).
 */
export const U_BLOCK = 16;
export const V_BLOCK = 20;
export const Y2_BLOCK = 24;
export const BLOCKS_PER_MB = 25;
/** Where the chroma and the Y2 blocks' values start among a macroblock's coefficients. */
export const U_COEFFS = 16 * U_BLOCK;
export const Y2_COEFFS = 16 * Y2_BLOCK;

/** Offset of block type t's probabilities in a coefficient probability table. */
const TYPE_STRIDE = 8 * 3 * 11;
/** Offset between bands, and between contexts within a band. */
const BAND_STRIDE = 3 * 11;
export const CTX_STRIDE = 11;

/** Bands as probability offsets: COEFF_BANDS[i] * BAND_STRIDE. */
export const BAND_OFFSET: Int32Array = Int32Array.from(COEFF_BANDS, (b) => b * BAND_STRIDE);

/** Probabilities of the DCT_CAT3..6 extra bits, indexed by category - 3. */
const CAT_PROBS = [DCT_CAT3_PROBS, DCT_CAT4_PROBS, DCT_CAT5_PROBS, DCT_CAT6_PROBS];

/**
 * Reads the tokens of one block starting at position `first` and stores the
 * dequantized coefficients at `out[outOff + zigzag position]`. Returns 0 when
 * the block ends at once, otherwise the position after the last token read
 * (which may be a trailing run of zeros up to 16).
 */
function readBlock(
  d: BoolDecoder, probs: Uint8Array, typeOff: number, ctx: number, first: number,
  out: Int16Array, outOff: number, dcFactor: number, acFactor: number,
): number {
  let n = first;
  let p = typeOff + BAND_OFFSET[n] + ctx * CTX_STRIDE;
  if (!d.readBool(probs[p])) return 0; // end of block at once
  for (;;) {
    // Here the token at position n is known not to be end-of-block.
    if (!d.readBool(probs[p + 1])) {
      // DCT_0: a zero; the next token cannot be end-of-block.
      n++;
      if (n === 16) return 16;
      p = typeOff + BAND_OFFSET[n];
      continue;
    }
    let v: number;
    let nextCtx: number;
    if (!d.readBool(probs[p + 2])) {
      v = 1;
      nextCtx = 1;
    } else {
      nextCtx = 2;
      if (!d.readBool(probs[p + 3])) {
        if (!d.readBool(probs[p + 4])) v = 2;
        else v = 3 + d.readBool(probs[p + 5]);
      } else if (!d.readBool(probs[p + 6])) {
        if (!d.readBool(probs[p + 7])) v = 5 + d.readBool(159); // DCT_CAT1: 5..6
        else v = 7 + 2 * d.readBool(165) + d.readBool(145); // DCT_CAT2: 7..10
      } else {
        // DCT_CAT3..DCT_CAT6: base 11, 19, 35, 67 plus 3, 4, 5 or 11 extra bits.
        const hi = d.readBool(probs[p + 8]);
        const cat = 2 * hi + d.readBool(probs[p + 9 + hi]);
        const extra = CAT_PROBS[cat];
        v = 0;
        for (let i = 0; i < extra.length; i++) v = (v << 1) | d.readBool(extra[i]);
        v += 3 + (8 << cat);
      }
    }
    const signed = d.readBool(128) ? -v : v;
    out[outOff + ZIGZAG[n]] = signed * (n > 0 ? acFactor : dcFactor);
    n++;
    if (n === 16) return 16;
    p = typeOff + BAND_OFFSET[n] + nextCtx * CTX_STRIDE;
    if (!d.readBool(probs[p])) return n; // end of block
  }
}

/** A block's name: Y[0]-Y[15] (raster order), U[0]-U[3], V[0]-V[3], and Y2. */
export function blockName(b: number): string {
  return b === Y2_BLOCK ? 'Y2' : b >= V_BLOCK ? `V[${b - V_BLOCK}]` : b >= U_BLOCK ? `U[${b - U_BLOCK}]` : `Y[${b}]`;
}

/**
 * Section 13: a macroblock predicted whole (not B_PRED or SPLITMV) gathers its
 * sixteen luma DCs in a Y2 block, coded and transformed (WHT) on its own.
 */
export function hasY2Block(yMode: number): boolean {
  return yMode !== B_PRED && yMode !== SPLITMV;
}

/**
 * Section 13.3: the probabilities a block is coded with depend on its type —
 * Y2, luma after a Y2 block (which starts at coefficient 1), luma with its
 * own DC (B_PRED and SPLITMV macroblocks), chroma. Returns the offset of the
 * type's probabilities for block b of a macroblock with or without Y2.
 */
export function blockTypeOffset(b: number, hasY2: boolean): number {
  const type = b === Y2_BLOCK ? BLOCK_TYPE_Y2 : b >= U_BLOCK ? BLOCK_TYPE_UV : hasY2 ? BLOCK_TYPE_Y_AFTER_Y2 : BLOCK_TYPE_Y_WITH_DC;
  return type * TYPE_STRIDE;
}

/** The first coefficient block b codes: luma blocks leave their DC to a Y2 block. */
export function firstCoefficient(b: number, hasY2: boolean): number {
  return hasY2 && b < U_BLOCK ? 1 : 0;
}

/**
 * Which of the 9 flags above and the 9 to the left (section 13.3) each block
 * reads and sets: luma blocks their column (0-3) and row (0-3), U blocks
 * 4-5, V blocks 6-7 (two columns and two rows each), Y2 flag 8.
 */
const ABOVE_FLAG = Uint8Array.of(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8);
const LEFT_FLAG = Uint8Array.of(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8);

/**
 * Token contexts (section 13.3): one flag per block edge, 9 per macroblock
 * column above (4 Y, 2 U, 2 V, 1 Y2) and 9 for the macroblock to the left.
 * A flag says whether the block next to that edge had any token other than
 * an immediate end-of-block. A one-column set serves an encoder as a copy of
 * one macroblock's contexts to try codings against.
 */
export class TokenContexts {
  readonly above: Uint8Array;
  readonly left = new Uint8Array(9);
  constructor(mbCols: number) {
    this.above = new Uint8Array(9 * mbCols);
  }
  /** Resets at the start of a frame and of each macroblock row (left only). */
  startRow(): void {
    this.left.fill(0);
  }
  /** The first token's context of block b of the macroblock in column mbCol: how many of its two neighbours had tokens. */
  context(mbCol: number, b: number): number {
    return this.above[9 * mbCol + ABOVE_FLAG[b]] + this.left[LEFT_FLAG[b]];
  }
  /** The two flags that context() adds up: the block above's, then the block to the left's (for analysis tools). */
  neighbourFlags(mbCol: number, b: number): readonly [above: number, left: number] {
    return [this.above[9 * mbCol + ABOVE_FLAG[b]], this.left[LEFT_FLAG[b]]];
  }
  /** Records, for the blocks after it, whether block b (ending at `eob`) had tokens. */
  record(mbCol: number, b: number, eob: number): void {
    this.above[9 * mbCol + ABOVE_FLAG[b]] = this.left[LEFT_FLAG[b]] = eob > 0 ? 1 : 0;
  }
  /**
   * The flags a whole macroblock leaves, from its blocks' ends (`eobs[eobsOff + b]`).
   * Without a Y2 block, the Y2 flags are kept for the next macroblock that has one.
   */
  recordMacroblock(mbCol: number, hasY2: boolean, eobs: Uint8Array, eobsOff: number): void {
    if (hasY2) this.record(mbCol, Y2_BLOCK, eobs[eobsOff + Y2_BLOCK]);
    for (let b = 0; b < Y2_BLOCK; b++) this.record(mbCol, b, eobs[eobsOff + b]);
  }
  /**
   * Clears the contexts of a macroblock without coefficients (mb_skip_coeff).
   * The Y2 context is kept when the macroblock has no Y2 block (section 13.3).
   */
  skip(mbCol: number, hasY2: boolean): void {
    const a = 9 * mbCol;
    this.above.fill(0, a, a + 8);
    this.left.fill(0, 0, 8);
    if (hasY2) {
      this.above[a + 8] = 0;
      this.left[8] = 0;
    }
  }
  /** Makes this one-column set a copy of the contexts of the macroblock in column mbCol of `from`. */
  copyColumn(from: TokenContexts, mbCol: number): void {
    const a = 9 * mbCol;
    for (let i = 0; i < 9; i++) {
      this.above[i] = from.above[a + i];
      this.left[i] = from.left[i];
    }
  }
}

/**
 * Reads all coefficient tokens of a macroblock (section 13). The 25 × 16
 * values from `coeffs[coeffsOff]` must be zero on entry; `eobs[eobsOff + b]`
 * receives, per block, 0 for a block without tokens and otherwise the
 * position after its last token. Returns true when any block had a token,
 * i.e. the macroblock has residue.
 */
export function readMacroblockTokens(
  d: BoolDecoder, probs: Uint8Array, hasY2: boolean, ctx: TokenContexts, mbCol: number,
  coeffs: Int16Array, coeffsOff: number, eobs: Uint8Array, eobsOff: number, q: DequantFactors,
): boolean {
  let any = 0;
  if (hasY2) {
    const e = readBlock(d, probs, blockTypeOffset(Y2_BLOCK, true), ctx.context(mbCol, Y2_BLOCK), 0, coeffs, coeffsOff + Y2_COEFFS, q.y2Dc, q.y2Ac);
    ctx.record(mbCol, Y2_BLOCK, e);
    eobs[eobsOff + Y2_BLOCK] = e;
    any |= e;
  } else {
    eobs[eobsOff + Y2_BLOCK] = 0;
  }
  const yType = blockTypeOffset(0, hasY2);
  const first = firstCoefficient(0, hasY2);
  for (let b = 0; b < U_BLOCK; b++) {
    const e = readBlock(d, probs, yType, ctx.context(mbCol, b), first, coeffs, coeffsOff + b * 16, q.y1Dc, q.y1Ac);
    ctx.record(mbCol, b, e);
    eobs[eobsOff + b] = e;
    any |= e;
  }
  const uvType = blockTypeOffset(U_BLOCK, hasY2);
  for (let b = U_BLOCK; b < Y2_BLOCK; b++) {
    const e = readBlock(d, probs, uvType, ctx.context(mbCol, b), 0, coeffs, coeffsOff + b * 16, q.uvDc, q.uvAc);
    ctx.record(mbCol, b, e);
    eobs[eobsOff + b] = e;
    any |= e;
  }
  return any !== 0;
}

/**
 * Where the token coder sends its bools: `node` for the bools coded with the
 * coefficient probability at `probIndex` of the table (so that a writer can
 * look it up and a counter can tally it), `fixed` for the extra bits and
 * signs, whose probabilities are constants.
 */
export interface TokenSink {
  node(probIndex: number, bit: number): void;
  fixed(prob: number, bit: number): void;
}

/**
 * Codes the tokens of one block (section 13.2), the inverse of readBlock:
 * coefficient levels at `levels[off + raster position]`, `eob` as readBlock
 * returns it (0 for no tokens, else the position after the last token).
 */
export function codeBlockTokens(sink: TokenSink, typeOff: number, ctx: number, first: number, levels: Int16Array, off: number, eob: number): void {
  let n = first;
  let p = typeOff + BAND_OFFSET[n] + ctx * CTX_STRIDE;
  if (eob === 0) {
    sink.node(p, 0); // end of block at once
    return;
  }
  sink.node(p, 1);
  for (;;) {
    const v = levels[off + ZIGZAG[n]];
    if (v === 0) {
      sink.node(p + 1, 0); // DCT_0; no end-of-block may follow
      n++;
      if (n === 16) return;
      p = typeOff + BAND_OFFSET[n];
      continue;
    }
    sink.node(p + 1, 1);
    const mag = v < 0 ? -v : v;
    let nextCtx = 2;
    if (mag === 1) {
      sink.node(p + 2, 0);
      nextCtx = 1;
    } else {
      sink.node(p + 2, 1);
      if (mag <= 4) {
        sink.node(p + 3, 0);
        if (mag === 2) {
          sink.node(p + 4, 0);
        } else {
          sink.node(p + 4, 1);
          sink.node(p + 5, mag - 3);
        }
      } else if (mag <= 10) {
        sink.node(p + 3, 1);
        sink.node(p + 6, 0);
        if (mag <= 6) {
          sink.node(p + 7, 0);
          sink.fixed(159, mag - 5); // DCT_CAT1
        } else {
          sink.node(p + 7, 1);
          sink.fixed(165, (mag - 7) >> 1); // DCT_CAT2
          sink.fixed(145, (mag - 7) & 1);
        }
      } else {
        sink.node(p + 3, 1);
        sink.node(p + 6, 1);
        const cat = mag >= 67 ? 3 : mag >= 35 ? 2 : mag >= 19 ? 1 : 0;
        sink.node(p + 8, cat >> 1);
        sink.node(p + 9 + (cat >> 1), cat & 1);
        const extra = CAT_PROBS[cat];
        const rest = mag - (3 + (8 << cat));
        for (let i = 0; i < extra.length; i++) sink.fixed(extra[i], (rest >> (extra.length - 1 - i)) & 1);
      }
    }
    sink.fixed(128, v < 0 ? 1 : 0);
    n++;
    if (n === 16) return;
    p = typeOff + BAND_OFFSET[n] + nextCtx * CTX_STRIDE;
    if (n === eob) {
      sink.node(p, 0); // end of block
      return;
    }
    sink.node(p, 1);
  }
}

/**
 * Codes all tokens of a macroblock, the inverse of readMacroblockTokens:
 * levels at `levels[levelsOff + 16 * block + raster position]`, eobs at
 * `eobs[eobsOff + block]`; updates the contexts the same way.
 */
export function codeMacroblockTokens(
  sink: TokenSink, hasY2: boolean, ctx: TokenContexts, mbCol: number,
  levels: Int16Array, levelsOff: number, eobs: Uint8Array, eobsOff: number,
): void {
  codeLumaTokens(sink, hasY2, ctx, mbCol, levels, levelsOff, eobs, eobsOff);
  codeChromaTokens(sink, ctx, mbCol, levels, levelsOff, eobs, eobsOff);
}

/** The luma part of codeMacroblockTokens: the Y2 block (if any), then the 16 luma blocks. */
export function codeLumaTokens(
  sink: TokenSink, hasY2: boolean, ctx: TokenContexts, mbCol: number,
  levels: Int16Array, levelsOff: number, eobs: Uint8Array, eobsOff: number,
): void {
  if (hasY2) {
    const e = eobs[eobsOff + Y2_BLOCK];
    codeBlockTokens(sink, blockTypeOffset(Y2_BLOCK, true), ctx.context(mbCol, Y2_BLOCK), 0, levels, levelsOff + Y2_COEFFS, e);
    ctx.record(mbCol, Y2_BLOCK, e);
  }
  const yType = blockTypeOffset(0, hasY2);
  const first = firstCoefficient(0, hasY2);
  for (let b = 0; b < U_BLOCK; b++) {
    const e = eobs[eobsOff + b];
    codeBlockTokens(sink, yType, ctx.context(mbCol, b), first, levels, levelsOff + b * 16, e);
    ctx.record(mbCol, b, e);
  }
}

/** The chroma part of codeMacroblockTokens: the 4 U and 4 V blocks. */
export function codeChromaTokens(
  sink: TokenSink, ctx: TokenContexts, mbCol: number,
  levels: Int16Array, levelsOff: number, eobs: Uint8Array, eobsOff: number,
): void {
  const uvType = blockTypeOffset(U_BLOCK, false);
  for (let b = U_BLOCK; b < Y2_BLOCK; b++) {
    const e = eobs[eobsOff + b];
    codeBlockTokens(sink, uvType, ctx.context(mbCol, b), 0, levels, levelsOff + b * 16, e);
    ctx.record(mbCol, b, e);
  }
}

/** A TokenSink that writes to a bool encoder with the given coefficient probabilities. */
export class TokenWriter implements TokenSink {
  constructor(private readonly e: BoolEncoder, private readonly probs: Uint8Array) {}
  node(probIndex: number, bit: number): void {
    this.e.writeBool(this.probs[probIndex], bit);
  }
  fixed(prob: number, bit: number): void {
    this.e.writeBool(prob, bit);
  }
}

/** A TokenSink that counts, for every coefficient probability, how often each branch is taken. */
export class TokenCounter implements TokenSink {
  /** counts[2 * probIndex + bit]. */
  readonly counts: Uint32Array;
  constructor(size: number) {
    this.counts = new Uint32Array(2 * size);
  }
  node(probIndex: number, bit: number): void {
    this.counts[2 * probIndex + bit]++;
  }
  fixed(): void {
    // constant probabilities are not counted
  }
}
