// The tabulated token bools (token-bools.ts) against the token syntax they
// were recorded from (codeBlockTokens): for random blocks of every type,
// context and first coefficient, with magnitudes from 0 to past the
// syntax's range, the table writes the same bytes and counts the same
// branches as codeBlockTokens through a TokenWriter and a TokenCounter.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoolEncoder } from '../../src/vp8/bool-encoder.js';
import { ZIGZAG } from '../../src/vp8/tables.js';
import { countBlockBranches, writeBlockTokens } from '../../src/vp8/token-bools.js';
import { blockTypeOffset, codeBlockTokens, firstCoefficient, TokenCounter, TokenWriter, U_BLOCK, Y2_BLOCK } from '../../src/vp8/tokens.js';

const PROBS = 4 * 8 * 3 * 11;

/** A magnitude drawn mostly small, sometimes in each extra-bits category, sometimes past DCT_CAT6's range. */
const magnitude = fc.oneof(
  { arbitrary: fc.constant(0), weight: 6 },
  { arbitrary: fc.integer({ min: 1, max: 4 }), weight: 4 },
  { arbitrary: fc.integer({ min: 5, max: 66 }), weight: 2 },
  { arbitrary: fc.integer({ min: 67, max: 2114 }), weight: 1 },
  { arbitrary: fc.integer({ min: 2115, max: 4000 }), weight: 1 },
);

const block = fc.record({
  b: fc.constantFrom(0, 5, U_BLOCK, U_BLOCK + 5, Y2_BLOCK),
  hasY2: fc.boolean(),
  ctx: fc.integer({ min: 0, max: 2 }),
  mags: fc.array(magnitude, { minLength: 16, maxLength: 16 }),
  signs: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
  probs: fc.uint8Array({ minLength: PROBS, maxLength: PROBS, min: 1, max: 255 }),
});

describe('tabulated token bools', () => {
  it('write the bytes and count the branches that codeBlockTokens does', () => {
    fc.assert(fc.property(block, ({ b, hasY2, ctx, mags, signs, probs }) => {
      const typeOff = blockTypeOffset(b, hasY2);
      const first = firstCoefficient(b, hasY2);
      const off = 16; // not at the start of the array, as in a frame's levels
      const levels = new Int16Array(48);
      let eob = 0;
      for (let i = first; i < 16; i++) {
        levels[off + ZIGZAG[i]] = signs[i] ? -mags[i] : mags[i];
        if (mags[i] !== 0) eob = i + 1;
      }
      // Counts.
      const counter = new TokenCounter(PROBS);
      codeBlockTokens(counter, typeOff, ctx, first, levels, off, eob);
      const counts = new Uint32Array(2 * PROBS);
      countBlockBranches(counts, typeOff, ctx, first, levels, off, eob);
      expect(counts).toEqual(counter.counts);
      // Bools: the table refuses a magnitude past the syntax's range, leaving the block to codeBlockTokens.
      const viaSyntax = new BoolEncoder();
      codeBlockTokens(new TokenWriter(viaSyntax, probs), typeOff, ctx, first, levels, off, eob);
      const viaTable = new BoolEncoder();
      const written = writeBlockTokens(viaTable, probs, typeOff, ctx, first, levels, off, eob);
      const inRange = mags.slice(first).every((m) => m <= 2114);
      expect(written).toBe(inRange);
      if (written) expect(viaTable.finish()).toEqual(viaSyntax.finish());
    }), { numRuns: 1000, seed: 13 });
  });

  it('hold every magnitude of the syntax, each alone and signed both ways', () => {
    // The table records one magnitude per token and derives the rest: check them all.
    const probs = Uint8Array.from({ length: PROBS }, (_, i) => 1 + ((i * 97) % 255));
    const levels = new Int16Array(16);
    for (let mag = 1; mag <= 2114; mag++) {
      for (const sign of [1, -1]) {
        levels[ZIGZAG[0]] = sign * mag;
        const viaSyntax = new BoolEncoder();
        codeBlockTokens(new TokenWriter(viaSyntax, probs), 0, 0, 0, levels, 0, 1);
        const viaTable = new BoolEncoder();
        expect(writeBlockTokens(viaTable, probs, 0, 0, 0, levels, 0, 1)).toBe(true);
        expect(viaTable.finish(), `magnitude ${sign * mag}`).toEqual(viaSyntax.finish());
      }
    }
  });
});
