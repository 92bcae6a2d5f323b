// RFC 6386 section 14.3's transform seen from the mode decision: the sum of
// absolute transformed differences (SATD).
//
// What a prediction will cost once its residue is coded depends on the
// residue's transform coefficients, not on its samples: a smooth residue of
// large samples packs into one DC level, a speckled one of small samples
// spreads over many. A 4x4 Walsh-Hadamard transform (sums and differences
// only, no multiplications) spreads energy much as the DCT of section 14.3
// does, so the sum of its absolute outputs ranks candidate predictions far
// better than the plain sum of absolute differences, at a fraction of the
// cost of transforming, quantizing and costing them in full. The mode
// decision screens candidates with it and codes only the best few.
//
// The sum is halved: a constant residue then gives what its SAD gives, so
// SATD and SAD share one λ.

/**
 * SATD of the 4x4 block `src[so..]` (row stride `ss`) against the prediction
 * `pred[po..]` (row stride `ps`).
 */
export function satd4x4(src: Int16Array, so: number, ss: number, pred: Uint8Array, po: number, ps: number): number {
  // Rows: differences, then the two butterfly stages of the 4-point Hadamard.
  const d = ROWS;
  for (let r = 0; r < 4; r++) {
    const s = so + r * ss;
    const p = po + r * ps;
    const d0 = src[s] - pred[p];
    const d1 = src[s + 1] - pred[p + 1];
    const d2 = src[s + 2] - pred[p + 2];
    const d3 = src[s + 3] - pred[p + 3];
    const a0 = d0 + d3, a1 = d1 + d2, a2 = d1 - d2, a3 = d0 - d3;
    d[4 * r] = a0 + a1;
    d[4 * r + 1] = a3 + a2;
    d[4 * r + 2] = a0 - a1;
    d[4 * r + 3] = a3 - a2;
  }
  // Columns, summing the magnitudes.
  let sum = 0;
  for (let c = 0; c < 4; c++) {
    const a0 = d[c] + d[12 + c], a1 = d[4 + c] + d[8 + c], a2 = d[4 + c] - d[8 + c], a3 = d[c] - d[12 + c];
    const b0 = a0 + a1, b1 = a3 + a2, b2 = a0 - a1, b3 = a3 - a2;
    sum += (b0 < 0 ? -b0 : b0) + (b1 < 0 ? -b1 : b1) + (b2 < 0 ? -b2 : b2) + (b3 < 0 ? -b3 : b3);
  }
  return sum >> 1;
}

/** SATD of a block of w×h samples (multiples of 4), as the sum over its 4x4 blocks; stops once it exceeds `limit`. */
export function satd(src: Int16Array, so: number, ss: number, pred: Uint8Array, po: number, ps: number, w: number, h: number, limit = Infinity): number {
  let sum = 0;
  for (let y = 0; y < h; y += 4) {
    for (let x = 0; x < w; x += 4) sum += satd4x4(src, so + y * ss + x, ss, pred, po + y * ps + x, ps);
    if (sum > limit) return sum;
  }
  return sum;
}

/** Row-transformed differences of one 4x4 block. */
const ROWS = new Int32Array(16);
