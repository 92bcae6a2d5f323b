// RFC 6386 section 14 in reverse: the forward transforms an encoder applies
// to a residue before quantization.
//
// The RFC only specifies the inverse transforms; any forward transform works,
// but the closer it is to their exact inverse the less an encoder loses. These
// are the integer approximations libvpx uses, whose scale matches the inverse
// transforms of transform.ts: a 4x4 block of constant residue r becomes a DC
// coefficient of 8r (the inverse turns 8r back into r), and the Y2 transform
// of 16 luma DC values d gives 2d (the inverse WHT divides by 8 after summing
// 16 values, i.e. the DCs come back as d).

/** Scratch between the two passes. */
const pass = new Int32Array(16);

/**
 * Forward DCT of the 4x4 residue at `src[srcOff]` (row stride `stride`), into
 * `out[outOff..outOff+15]` in raster order.
 */
export function forwardDct(src: Int16Array, srcOff: number, stride: number, out: Int16Array, outOff: number): void {
  // Rows (each in four locals, no scratch array): the butterflies scaled by 8,
  // the odd part in 12-bit fixed point (2217 = 4096·sqrt(2)·sin(pi/8),
  // 5352 = 4096·sqrt(2)·cos(pi/8)).
  let s = srcOff;
  let a1 = (src[s] + src[s + 3]) * 8, b1 = (src[s + 1] + src[s + 2]) * 8, c1 = (src[s + 1] - src[s + 2]) * 8, d1 = (src[s] - src[s + 3]) * 8;
  const r00 = a1 + b1, r02 = a1 - b1, r01 = (c1 * 2217 + d1 * 5352 + 14500) >> 12, r03 = (d1 * 2217 - c1 * 5352 + 7500) >> 12;
  s += stride;
  a1 = (src[s] + src[s + 3]) * 8; b1 = (src[s + 1] + src[s + 2]) * 8; c1 = (src[s + 1] - src[s + 2]) * 8; d1 = (src[s] - src[s + 3]) * 8;
  const r10 = a1 + b1, r12 = a1 - b1, r11 = (c1 * 2217 + d1 * 5352 + 14500) >> 12, r13 = (d1 * 2217 - c1 * 5352 + 7500) >> 12;
  s += stride;
  a1 = (src[s] + src[s + 3]) * 8; b1 = (src[s + 1] + src[s + 2]) * 8; c1 = (src[s + 1] - src[s + 2]) * 8; d1 = (src[s] - src[s + 3]) * 8;
  const r20 = a1 + b1, r22 = a1 - b1, r21 = (c1 * 2217 + d1 * 5352 + 14500) >> 12, r23 = (d1 * 2217 - c1 * 5352 + 7500) >> 12;
  s += stride;
  a1 = (src[s] + src[s + 3]) * 8; b1 = (src[s + 1] + src[s + 2]) * 8; c1 = (src[s + 1] - src[s + 2]) * 8; d1 = (src[s] - src[s + 3]) * 8;
  const r30 = a1 + b1, r32 = a1 - b1, r31 = (c1 * 2217 + d1 * 5352 + 14500) >> 12, r33 = (d1 * 2217 - c1 * 5352 + 7500) >> 12;
  // Columns, with rounding that biases the odd terms as libvpx does.
  forwardDctColumn(r00, r10, r20, r30, out, outOff);
  forwardDctColumn(r01, r11, r21, r31, out, outOff + 1);
  forwardDctColumn(r02, r12, r22, r32, out, outOff + 2);
  forwardDctColumn(r03, r13, r23, r33, out, outOff + 3);
}

/** The column pass of forwardDct on one column (y0..y3 from top), into out[o], out[o + 4], out[o + 8], out[o + 12]. */
function forwardDctColumn(y0: number, y1: number, y2: number, y3: number, out: Int16Array, o: number): void {
  const a1 = y0 + y3;
  const b1 = y1 + y2;
  const c1 = y1 - y2;
  const d1 = y0 - y3;
  out[o] = (a1 + b1 + 7) >> 4;
  out[o + 8] = (a1 - b1 + 7) >> 4;
  // Plus 1 when d1 is not 0: (d1 | -d1) has its sign bit set exactly then (no branch to mispredict).
  out[o + 4] = ((c1 * 2217 + d1 * 5352 + 12000) >> 16) + ((d1 | -d1) >>> 31);
  out[o + 12] = (d1 * 2217 - c1 * 5352 + 51000) >> 16;
}

/**
 * Forward Walsh-Hadamard transform of the 16 luma DC coefficients, read from
 * `dcs[dcOff + 16 * i]` (the DC of block i), into `out[outOff..outOff+15]`.
 */
export function forwardWht(dcs: Int16Array, dcOff: number, out: Int16Array, outOff: number): void {
  for (let r = 0; r < 4; r++) {
    const s = dcOff + 64 * r;
    const x0 = dcs[s], x1 = dcs[s + 16], x2 = dcs[s + 32], x3 = dcs[s + 48];
    const a1 = (x0 + x2) * 4;
    const d1 = (x1 + x3) * 4;
    const c1 = (x1 - x3) * 4;
    const b1 = (x0 - x2) * 4;
    pass[4 * r] = a1 + d1 + (a1 !== 0 ? 1 : 0);
    pass[4 * r + 1] = b1 + c1;
    pass[4 * r + 2] = b1 - c1;
    pass[4 * r + 3] = a1 - d1;
  }
  for (let c = 0; c < 4; c++) {
    const a1 = pass[c] + pass[8 + c];
    const d1 = pass[4 + c] + pass[12 + c];
    const c1 = pass[4 + c] - pass[12 + c];
    const b1 = pass[c] - pass[8 + c];
    // Round halves towards zero for negative values before the final shift.
    const a2 = a1 + d1;
    const b2 = b1 + c1;
    const c2 = b1 - c1;
    const d2 = a1 - d1;
    out[outOff + c] = (a2 + (a2 < 0 ? 1 : 0) + 3) >> 3;
    out[outOff + 4 + c] = (b2 + (b2 < 0 ? 1 : 0) + 3) >> 3;
    out[outOff + 8 + c] = (c2 + (c2 < 0 ? 1 : 0) + 3) >> 3;
    out[outOff + 12 + c] = (d2 + (d2 < 0 ? 1 : 0) + 3) >> 3;
  }
}

/**
 * forwardDct for a block about to be quantized with AC step `acQ` and
 * rounding `acRound`: when the residue is so small that no AC coefficient can
 * reach a level (|AC| ≤ 0.86·Σ|r| + 2 for this transform), only the DC is
 * computed — exactly, as (8·Σr + 7) >> 4 — and the AC coefficients are set
 * to 0. The levels come out the same as after the full transform. Returns
 * whether it took that shortcut (the AC coefficients are all 0).
 */
export function forwardDctForQuantizer(
  src: Int16Array, srcOff: number, stride: number, out: Int16Array, outOff: number, acQ: number, acRound: number,
): boolean {
  let sum = 0;
  let sumAbs = 0;
  for (let r = 0; r < 4; r++) {
    const s = srcOff + r * stride;
    const x0 = src[s], x1 = src[s + 1], x2 = src[s + 2], x3 = src[s + 3];
    sum += x0 + x1 + x2 + x3;
    sumAbs += Math.abs(x0) + Math.abs(x1) + Math.abs(x2) + Math.abs(x3);
  }
  if (0.9 * sumAbs + 2 + acRound < acQ) {
    out[outOff] = (8 * sum + 7) >> 4;
    for (let i = 1; i < 16; i++) out[outOff + i] = 0;
    return true;
  }
  forwardDct(src, srcOff, stride, out, outOff);
  return false;
}
