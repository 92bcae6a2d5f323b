// RFC 6386 section 13.2, tabulated: the bools every coefficient token sends,
// for the loops that count or write a whole frame of tokens (the encoder's
// probability updates, serializeFrame) without a call per bool.
//
// The table is recorded once from codeBlockTokens (tokens.ts) itself, one
// magnitude per token, so the token tree and its extra bits stay written in
// one place; countBlockBranches and writeBlockTokens walk a block as
// codeBlockTokens does and give the same counts and the same bools.

import type { BoolEncoder } from './bool-encoder.js';
import { DCT_CAT_BASE, ZIGZAG } from './tables.js';
import {
  BAND_OFFSET, blockTypeOffset, BLOCKS_PER_MB, CTX_STRIDE, codeBlockTokens, firstCoefficient, type TokenContexts, TokenWriter, Y2_BLOCK,
} from './tokens.js';

/** The largest magnitude the token syntax codes: DCT_CAT6's 67 plus 11 extra bits. */
const MAX_MAGNITUDE = 67 + 2047;
/** Bools per magnitude at most: 6 branches (DCT_CAT3..6), 11 extra bits (DCT_CAT6). */
const MAX_BRANCHES = 6;
const MAX_EXTRA = 11;

/**
 * The smallest magnitude of each token (section 13.2): ZERO_TOKEN, ONE_TOKEN
 * .. FOUR_TOKEN, then DCT_CAT1..DCT_CAT6. Each is recorded from
 * codeBlockTokens; the other magnitudes of a token repeat its bools with other
 * extra bits.
 */
const TOKEN_BASES: readonly number[] = [0, 1, 2, 3, 4, 5, 7, ...DCT_CAT_BASE];

/**
 * For each magnitude 0..MAX_MAGNITUDE, the bools its token sends after the
 * end-of-block branch: `branches` (2 · node + bit, node relative to the
 * position's probabilities), then `extra` (the extra bits: probability and
 * bit, as 2 · probability + bit); the sign follows.
 */
const TOKEN_BOOLS = ((): {
  readonly branches: Uint8Array; readonly branchCount: Uint8Array; readonly extra: Uint16Array; readonly extraCount: Uint8Array;
} => {
  const branches = new Uint8Array((MAX_MAGNITUDE + 1) * MAX_BRANCHES);
  const branchCount = new Uint8Array(MAX_MAGNITUDE + 1);
  const extra = new Uint16Array((MAX_MAGNITUDE + 1) * MAX_EXTRA);
  const extraCount = new Uint8Array(MAX_MAGNITUDE + 1);
  const levels = new Int16Array(16);
  let mag = 0;
  let fixed: number[] = [];
  let done = false;
  const sink = {
    node: (probIndex: number, bit: number): void => {
      // The first position's probabilities are at 0..10; the next position's lie beyond.
      if (probIndex >= CTX_STRIDE) done = true;
      else if (probIndex >= 1 && !done) branches[mag * MAX_BRANCHES + branchCount[mag]++] = 2 * probIndex + bit;
    },
    fixed: (prob: number, bit: number): void => {
      if (!done) fixed.push(2 * prob + bit);
    },
  };
  let base = 0;
  for (mag = 0; mag <= MAX_MAGNITUDE; mag++) {
    if (!TOKEN_BASES.includes(mag)) {
      // Within a token, magnitudes differ only in the extra bits' values:
      // mag - base, most significant bit first, with the base's probabilities.
      const count = extraCount[base];
      branches.copyWithin(mag * MAX_BRANCHES, base * MAX_BRANCHES, (base + 1) * MAX_BRANCHES);
      branchCount[mag] = branchCount[base];
      extraCount[mag] = count;
      for (let i = 0; i < count; i++) {
        extra[mag * MAX_EXTRA + i] = (extra[base * MAX_EXTRA + i] & ~1) | (((mag - base) >> (count - 1 - i)) & 1);
      }
      continue;
    }
    base = mag;
    // A block with the magnitude first (a 0 is followed by a 1, since a block cannot end with a 0).
    levels[ZIGZAG[0]] = mag;
    levels[ZIGZAG[1]] = mag === 0 ? 1 : 0;
    fixed = [];
    done = false;
    codeBlockTokens(sink, 0, 0, 0, levels, 0, mag === 0 ? 2 : 1);
    // All but the sign (the last fixed bool of a nonzero magnitude).
    const bits = mag === 0 ? fixed : fixed.slice(0, -1);
    extraCount[mag] = bits.length;
    extra.set(bits, mag * MAX_EXTRA);
  }
  return { branches, branchCount, extra, extraCount };
})();

/**
 * Adds to counts[2 · probability index + bit] the branches the tokens of a
 * block take — what codeBlockTokens (same arguments) would tell a
 * TokenCounter.
 */
export function countBlockBranches(counts: Uint32Array, typeOff: number, ctx: number, first: number, levels: Int16Array, off: number, eob: number): void {
  const { branches, branchCount } = TOKEN_BOOLS;
  let n = first;
  let p = typeOff + BAND_OFFSET[n] + ctx * CTX_STRIDE;
  if (eob === 0) {
    counts[2 * p]++; // end of block at once
    return;
  }
  counts[2 * p + 1]++;
  for (;;) {
    const v = levels[off + ZIGZAG[n]];
    const mag = v < 0 ? -v : v;
    // Magnitudes past the syntax's share DCT_CAT6's branches.
    const k = mag > MAX_MAGNITUDE ? MAX_MAGNITUDE : mag;
    const at = k * MAX_BRANCHES;
    const base = 2 * p;
    for (let j = 0; j < branchCount[k]; j++) counts[base + branches[at + j]]++;
    n++;
    if (n === 16) return;
    if (mag === 0) {
      p = typeOff + BAND_OFFSET[n]; // after a zero: context 0, no end-of-block branch
      continue;
    }
    p = typeOff + BAND_OFFSET[n] + (mag === 1 ? 1 : 2) * CTX_STRIDE;
    if (n === eob) {
      counts[2 * p]++; // end of block
      return;
    }
    counts[2 * p + 1]++;
  }
}

/**
 * Writes the tokens of a block with coefficient probabilities `probs` — the
 * bools codeBlockTokens (same arguments) sends through a TokenWriter.
 * Returns false, writing nothing, for a block with a level past what the
 * syntax codes (the caller then writes it through codeBlockTokens).
 */
export function writeBlockTokens(e: BoolEncoder, probs: Uint8Array, typeOff: number, ctx: number, first: number, levels: Int16Array, off: number, eob: number): boolean {
  for (let i = first; i < eob; i++) {
    const v = levels[off + ZIGZAG[i]];
    if (v > MAX_MAGNITUDE || v < -MAX_MAGNITUDE) return false;
  }
  const { branches, branchCount, extra, extraCount } = TOKEN_BOOLS;
  let n = first;
  let p = typeOff + BAND_OFFSET[n] + ctx * CTX_STRIDE;
  if (eob === 0) {
    e.writeBool(probs[p], 0); // end of block at once
    return true;
  }
  e.writeBool(probs[p], 1);
  for (;;) {
    const v = levels[off + ZIGZAG[n]];
    const mag = v < 0 ? -v : v;
    const at = mag * MAX_BRANCHES;
    for (let j = 0; j < branchCount[mag]; j++) {
      const b = branches[at + j];
      e.writeBool(probs[p + (b >> 1)], b & 1);
    }
    n++;
    if (mag === 0) {
      if (n === 16) return true;
      p = typeOff + BAND_OFFSET[n]; // after a zero: context 0, no end-of-block branch
      continue;
    }
    const x = mag * MAX_EXTRA;
    for (let j = 0; j < extraCount[mag]; j++) {
      const b = extra[x + j];
      e.writeBool(b >> 1, b & 1);
    }
    e.writeBool(128, v < 0 ? 1 : 0); // sign
    if (n === 16) return true;
    p = typeOff + BAND_OFFSET[n] + (mag === 1 ? 1 : 2) * CTX_STRIDE;
    if (n === eob) {
      e.writeBool(probs[p], 0); // end of block
      return true;
    }
    e.writeBool(probs[p], 1);
  }
}

/**
 * Counts into `counts` the branches of a macroblock's tokens, in the order
 * codeMacroblockTokens codes them — the Y2 block (if any), the luma blocks,
 * the chroma blocks — updating the contexts the same way.
 */
export function countMacroblockBranches(
  counts: Uint32Array, hasY2: boolean, ctx: TokenContexts, mbCol: number,
  levels: Int16Array, levelsOff: number, eobs: Uint8Array, eobsOff: number,
): void {
  for (let i = hasY2 ? 0 : 1; i < BLOCK_ORDER.length; i++) {
    const b = BLOCK_ORDER[i];
    const eob = eobs[eobsOff + b];
    countBlockBranches(counts, blockTypeOffset(b, hasY2), ctx.context(mbCol, b), firstCoefficient(b, hasY2), levels, levelsOff + 16 * b, eob);
    ctx.record(mbCol, b, eob);
  }
}

/**
 * Writes a macroblock's tokens to `e` with probabilities `probs`, in the
 * order and with the contexts of countMacroblockBranches. (Counting and
 * writing are separate functions so that each is optimised for its own use.)
 */
export function writeMacroblockTokens(
  e: BoolEncoder, probs: Uint8Array, hasY2: boolean, ctx: TokenContexts, mbCol: number,
  levels: Int16Array, levelsOff: number, eobs: Uint8Array, eobsOff: number,
): void {
  for (let i = hasY2 ? 0 : 1; i < BLOCK_ORDER.length; i++) {
    const b = BLOCK_ORDER[i];
    const typeOff = blockTypeOffset(b, hasY2);
    const context = ctx.context(mbCol, b);
    const first = firstCoefficient(b, hasY2);
    const off = levelsOff + 16 * b;
    const eob = eobs[eobsOff + b];
    if (!writeBlockTokens(e, probs, typeOff, context, first, levels, off, eob)) codeBlockTokens(new TokenWriter(e, probs), typeOff, context, first, levels, off, eob);
    ctx.record(mbCol, b, eob);
  }
}

/** The blocks of a macroblock in coding order: Y2, then 0..23. */
const BLOCK_ORDER: Uint8Array = Uint8Array.from({ length: BLOCKS_PER_MB }, (_, i) => (i === 0 ? Y2_BLOCK : i - 1));
