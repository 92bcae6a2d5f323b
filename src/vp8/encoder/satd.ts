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
  // Rows: differences, then the two butterfly stages of the 4-point Hadamard
  // (in locals: V8 keeps them in registers, where an array would be memory).
  let s = so;
  let p = po;
  let d0 = src[s] - pred[p], d1 = src[s + 1] - pred[p + 1], d2 = src[s + 2] - pred[p + 2], d3 = src[s + 3] - pred[p + 3];
  let a0 = d0 + d3, a1 = d1 + d2, a2 = d1 - d2, a3 = d0 - d3;
  const r00 = a0 + a1, r01 = a3 + a2, r02 = a0 - a1, r03 = a3 - a2;
  s += ss;
  p += ps;
  d0 = src[s] - pred[p]; d1 = src[s + 1] - pred[p + 1]; d2 = src[s + 2] - pred[p + 2]; d3 = src[s + 3] - pred[p + 3];
  a0 = d0 + d3; a1 = d1 + d2; a2 = d1 - d2; a3 = d0 - d3;
  const r10 = a0 + a1, r11 = a3 + a2, r12 = a0 - a1, r13 = a3 - a2;
  s += ss;
  p += ps;
  d0 = src[s] - pred[p]; d1 = src[s + 1] - pred[p + 1]; d2 = src[s + 2] - pred[p + 2]; d3 = src[s + 3] - pred[p + 3];
  a0 = d0 + d3; a1 = d1 + d2; a2 = d1 - d2; a3 = d0 - d3;
  const r20 = a0 + a1, r21 = a3 + a2, r22 = a0 - a1, r23 = a3 - a2;
  s += ss;
  p += ps;
  d0 = src[s] - pred[p]; d1 = src[s + 1] - pred[p + 1]; d2 = src[s + 2] - pred[p + 2]; d3 = src[s + 3] - pred[p + 3];
  a0 = d0 + d3; a1 = d1 + d2; a2 = d1 - d2; a3 = d0 - d3;
  const r30 = a0 + a1, r31 = a3 + a2, r32 = a0 - a1, r33 = a3 - a2;
  // Columns, summing the magnitudes.
  return (column(r00, r10, r20, r30) + column(r01, r11, r21, r31) + column(r02, r12, r22, r32) + column(r03, r13, r23, r33)) >> 1;
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
