// RFC 6386 section 14.1 in reverse: quantization, the encoder's one lossy step.
//
// A coefficient c becomes the level round(|c| / q) with its sign; the decoder
// multiplies it back by q (section 14.1). Rounding a little towards zero
// (`round` < q/2) costs some distortion but saves many bits, since small
// levels, above all ones that would be 1, dominate the token cost; the
// trellis in trellis.ts then revisits the choice per coefficient with exact
// costs. The dequantized values are written exactly as the decoder computes
// them (16-bit products), so the encoder's reconstruction is the decoder's.

import { ZIGZAG } from '../tables.js';

/**
 * Quantizes block coefficients `coeffs[off..off+15]` (raster order) from
 * zigzag position `first`: levels into `levels[lOff..]`, dequantized values
 * into `dq[dOff..]`. `dcQ`, `acQ` are the factors of position 0 and the rest;
 * `dcRound`, `acRound` the amounts added to |c| before dividing. Returns the
 * block's eob: 0 without a non-zero level, else the zigzag position after the
 * last one.
 */
export function quantizeBlock(
  coeffs: Int16Array, off: number, first: number,
  dcQ: number, acQ: number, dcRound: number, acRound: number,
  levels: Int16Array, lOff: number, dq: Int16Array, dOff: number,
): number {
  let eob = 0;
  for (let i = 0; i < 16; i++) {
    levels[lOff + i] = 0;
    dq[dOff + i] = 0;
  }
  for (let n = first; n < 16; n++) {
    const pos = ZIGZAG[n];
    const c = coeffs[off + pos];
    const q = n === 0 ? dcQ : acQ;
    const r = n === 0 ? dcRound : acRound;
    const a = c < 0 ? -c : c;
    if (a + r < q) continue;
    let level = Math.floor((a + r) / q);
    // Token values stop at 2048 + 67 (DCT_CAT6 with 11 extra bits).
    if (level > 2114) level = 2114;
    const signed = c < 0 ? -level : level;
    levels[lOff + pos] = signed;
    dq[dOff + pos] = signed * q;
    eob = n + 1;
  }
  return eob;
}

/** Zigzag position after the last non-zero level of a block (0 if none), from `first`. */
export function blockEob(levels: Int16Array, lOff: number, first: number): number {
  for (let n = 15; n >= first; n--) if (levels[lOff + ZIGZAG[n]] !== 0) return n + 1;
  return 0;
}
