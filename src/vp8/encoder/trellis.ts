// Rate-distortion-aware quantization: after a block is quantized with plain
// rounding, its trailing levels are reconsidered one at a time, from the end,
// dropping a level whose bits cost more than the distortion it saves (a light
// form of trellis quantization). Dropping the last level also shortens the
// block's run of tokens, so the saving counts every token after the new end.
//
// Distortion is measured on the coefficients: the forward transform is
// orthogonal up to a factor of 2 in each dimension (a constant residue r
// gives a DC of 8r from 16 samples), so squared error in the coefficient
// domain is 4 times the squared error in samples.

import { ZIGZAG } from '../tables.js';
import type { TokenCosts } from './costs.js';

/**
 * Drops trailing levels of the block at `off` while that lowers
 * D + lambda·R; returns the new eob. `coeffs` are the unquantized values,
 * `levels` and `dq` are updated in place. `tokenType` and `ctx` locate the
 * block's token probabilities, as for codeBlockTokens (tokens.ts).
 */
export function trimBlock(
  coeffs: Int16Array, levels: Int16Array, dq: Int16Array, off: number,
  first: number, eob: number, lambda: number, costs: TokenCosts, tokenType: number, ctx: number,
): number {
  while (eob > first) {
    const pos = ZIGZAG[eob - 1];
    const level = levels[off + pos];
    // Only small levels are worth testing: a large one always pays for itself.
    if (level > 1 || level < -1) return eob;
    const c = coeffs[off + pos];
    const kept = c - dq[off + pos];
    const distortionSaved = (c * c - kept * kept) / 4; // in samples², what dropping it costs
    // Without it the block ends after the last level before it (or has no tokens).
    let shorter = eob - 1;
    while (shorter > first && levels[off + ZIGZAG[shorter - 1]] === 0) shorter--;
    const newEob = shorter > first || (first === 0 && shorter > 0) ? shorter : 0;
    // The two codings agree up to `from`; only what follows differs.
    const from = newEob === 0 ? first : newEob;
    const with1 = costs.from(tokenType, ctx, first, levels, off, from, eob);
    levels[off + pos] = 0;
    const without = costs.from(tokenType, ctx, first, levels, off, from, newEob);
    if (distortionSaved <= lambda * (with1 - without)) {
      dq[off + pos] = 0;
      eob = newEob;
    } else {
      levels[off + pos] = level;
      return eob;
    }
  }
  return eob;
}
