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
  levels[lOff] = 0;
  dq[dOff] = 0;
  if (first === 0) {
    const c = coeffs[off];
    const sign = c >> 31;
    const a = (c ^ sign) - sign;
    if (a + dcRound >= dcQ) {
      const level = levelOf(a + dcRound, dcQ);
      const signed = (level ^ sign) - sign;
      levels[lOff] = signed;
      dq[dOff] = signed * dcQ;
      eob = 1;
    }
  }
  // AC coefficients in zigzag order, so that the eob is the position after
  // the last level. Most are below `zeroBelow` and become 0. The magnitude
  // and the sign are taken without branches: signs are a coin toss to the
  // branch predictor.
  const zeroBelow = acQ - acRound;
  for (let n = 1; n < 16; n++) {
    const pos = ZIGZAG[n];
    const c = coeffs[off + pos];
    const sign = c >> 31;
    const a = (c ^ sign) - sign;
    if (a < zeroBelow) {
      levels[lOff + pos] = 0;
      dq[dOff + pos] = 0;
      continue;
    }
    const signed = (levelOf(a + acRound, acQ) ^ sign) - sign;
    levels[lOff + pos] = signed;
    dq[dOff + pos] = signed * acQ;
    eob = n + 1;
  }
  return eob;
}

/** floor(rounded / q), at most MAX_LEVEL, for rounded ≥ 0 (the division is exact in doubles, `| 0` floors it). */
function levelOf(rounded: number, q: number): number {
  const level = (rounded / q) | 0;
  return level > MAX_LEVEL ? MAX_LEVEL : level;
}

/** Token values stop at 2048 + 67 - 1: DCT_CAT6 with 11 extra bits. */
export const MAX_LEVEL = 2114;

/** Zigzag position after the last non-zero level of a block (0 if none), from `first`. */
export function blockEob(levels: Int16Array, lOff: number, first: number): number {
  for (let n = 15; n >= first; n--) if (levels[lOff + ZIGZAG[n]] !== 0) return n + 1;
  return 0;
}

/**
 * quantizeBlock for a block whose AC coefficients are known to be 0: only the
 * DC (when `first` is 0) can have a level.
 */
export function quantizeDcOnly(
  coeffs: Int16Array, off: number, first: number, dcQ: number, dcRound: number,
  levels: Int16Array, lOff: number, dq: Int16Array, dOff: number,
): number {
  for (let i = 0; i < 16; i++) {
    levels[lOff + i] = 0;
    dq[dOff + i] = 0;
  }
  if (first > 0) return 0;
  const c = coeffs[off];
  const sign = c >> 31;
  const a = (c ^ sign) - sign;
  if (a + dcRound < dcQ) return 0;
  const signed = (levelOf(a + dcRound, dcQ) ^ sign) - sign;
  levels[lOff] = signed;
  dq[dOff] = signed * dcQ;
  return 1;
}
