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
  // Each transformed row enters at the bottom of a 4x4 window of locals that
  // moves up one row an iteration: V8 keeps locals in registers, where a
  // scratch array would cost a store and a load per value.
  let x00 = 0, x01 = 0, x02 = 0, x03 = 0, x10 = 0, x11 = 0, x12 = 0, x13 = 0;
  let x20 = 0, x21 = 0, x22 = 0, x23 = 0, x30 = 0, x31 = 0, x32 = 0, x33 = 0;
  for (let r = 0, s = so, p = po; r < 4; r++, s += ss, p += ps) {
    const d0 = src[s] - pred[p], d1 = src[s + 1] - pred[p + 1], d2 = src[s + 2] - pred[p + 2], d3 = src[s + 3] - pred[p + 3];
    const a0 = d0 + d3, a1 = d1 + d2, a2 = d1 - d2, a3 = d0 - d3;
    x00 = x10; x10 = x20; x20 = x30; x30 = a0 + a1;
    x01 = x11; x11 = x21; x21 = x31; x31 = a3 + a2;
    x02 = x12; x12 = x22; x22 = x32; x32 = a0 - a1;
    x03 = x13; x13 = x23; x23 = x33; x33 = a3 - a2;
  }
  // Columns, summing the magnitudes.
  return (column(x00, x10, x20, x30) + column(x01, x11, x21, x31) + column(x02, x12, x22, x32) + column(x03, x13, x23, x33)) >> 1;
}

/** The sum of the magnitudes of the 4-point Hadamard transform of one column. */
function column(x0: number, x1: number, x2: number, x3: number): number {
  const a0 = x0 + x3, a1 = x1 + x2, a2 = x1 - x2, a3 = x0 - x3;
  const b0 = a0 + a1, b1 = a3 + a2, b2 = a0 - a1, b3 = a3 - a2;
  return (b0 < 0 ? -b0 : b0) + (b1 < 0 ? -b1 : b1) + (b2 < 0 ? -b2 : b2) + (b3 < 0 ? -b3 : b3);
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
