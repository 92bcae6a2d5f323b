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
// The sum is halved, the usual scale of SATD: a constant residue gives half
// its SAD.

/**
 * SATD of the 4x4 block `src[so..]` (row stride `ss`) against the prediction
 * `pred[po..]` (row stride `ps`).
 */
export function satd4x4(src: Int16Array, so: number, ss: number, pred: Uint8Array, po: number, ps: number): number {
  // Rows: differences, then the two butterfly stages of the 4-point Hadamard,
  // unrolled into locals (V8 keeps them in registers, where a scratch array
  // would cost a store and a load per value).
  let s = so;
  let p = po;
  let d0 = src[s] - pred[p], d1 = src[s + 1] - pred[p + 1], d2 = src[s + 2] - pred[p + 2], d3 = src[s + 3] - pred[p + 3];
  let a0 = d0 + d3, a1 = d1 + d2, a2 = d1 - d2, a3 = d0 - d3;
  const x00 = a0 + a1, x01 = a3 + a2, x02 = a0 - a1, x03 = a3 - a2;
  s += ss;
  p += ps;
  d0 = src[s] - pred[p]; d1 = src[s + 1] - pred[p + 1]; d2 = src[s + 2] - pred[p + 2]; d3 = src[s + 3] - pred[p + 3];
  a0 = d0 + d3; a1 = d1 + d2; a2 = d1 - d2; a3 = d0 - d3;
  const x10 = a0 + a1, x11 = a3 + a2, x12 = a0 - a1, x13 = a3 - a2;
  s += ss;
  p += ps;
  d0 = src[s] - pred[p]; d1 = src[s + 1] - pred[p + 1]; d2 = src[s + 2] - pred[p + 2]; d3 = src[s + 3] - pred[p + 3];
  a0 = d0 + d3; a1 = d1 + d2; a2 = d1 - d2; a3 = d0 - d3;
  const x20 = a0 + a1, x21 = a3 + a2, x22 = a0 - a1, x23 = a3 - a2;
  s += ss;
  p += ps;
  d0 = src[s] - pred[p]; d1 = src[s + 1] - pred[p + 1]; d2 = src[s + 2] - pred[p + 2]; d3 = src[s + 3] - pred[p + 3];
  a0 = d0 + d3; a1 = d1 + d2; a2 = d1 - d2; a3 = d0 - d3;
  const x30 = a0 + a1, x31 = a3 + a2, x32 = a0 - a1, x33 = a3 - a2;
  // Columns, summing the magnitudes (halved, see above).
  return halfColumn(x00, x10, x20, x30) + halfColumn(x01, x11, x21, x31) + halfColumn(x02, x12, x22, x32) + halfColumn(x03, x13, x23, x33);
}

/**
 * Half the sum of the magnitudes of the 4-point Hadamard transform of one
 * column. Its last butterfly turns a pair (a, b) into a + b and a - b, and
 * |a + b| + |a - b| = 2·max(|a|, |b|): so the half sum is the sum of two
 * maxima, exactly, without that stage.
 */
function halfColumn(x0: number, x1: number, x2: number, x3: number): number {
  return max(abs(x0 + x3), abs(x1 + x2)) + max(abs(x1 - x2), abs(x0 - x3));
}

// Branch-free magnitude and maximum of int32 values: residue signs are a coin
// toss, so a branch here would be mispredicted half the time.
function abs(x: number): number {
  const sign = x >> 31;
  return (x ^ sign) - sign;
}
function max(a: number, b: number): number {
  const d = a - b;
  return a - (d & (d >> 31));
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
