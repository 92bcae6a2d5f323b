// RFC 6386 sections 14.3-14.5: inverting the Walsh-Hadamard and discrete cosine
// transforms, and adding the residue to the prediction.
//
// Both inverses are exact integer procedures. The reference implementation
// (libvpx) keeps coefficients and the intermediate row of each two-pass
// transform in 16-bit variables, so values that overflow wrap around; the
// scratch arrays below are Int16Array for the same effect. Valid streams never
// overflow, but corrupt ones can, and the output must still match libvpx.

/** Intermediate results between the two passes, truncated to 16 bits as in libvpx. */
const pass = new Int16Array(16);

/** sqrt(2) * cos(pi/8) - 1 and sqrt(2) * sin(pi/8) in 16-bit fixed point (section 14.4). */
const COSPI8SQRT2MINUS1 = 20091;
const SINPI8SQRT2 = 35468;

/**
 * Inverse WHT of the Y2 block (section 14.3): reads 16 coefficients at
 * `input[inOff..]` and writes the DC coefficient of each of the 16 luma blocks
 * to `coeffs[blockBase + 16 * i]`.
 */
export function inverseWht(input: Int16Array, inOff: number, coeffs: Int16Array, blockBase: number): void {
  for (let i = 0; i < 4; i++) {
    const i0 = input[inOff + i];
    const i1 = input[inOff + 4 + i];
    const i2 = input[inOff + 8 + i];
    const i3 = input[inOff + 12 + i];
    const a1 = i0 + i3;
    const b1 = i1 + i2;
    const c1 = i1 - i2;
    const d1 = i0 - i3;
    pass[i] = a1 + b1;
    pass[4 + i] = c1 + d1;
    pass[8 + i] = a1 - b1;
    pass[12 + i] = d1 - c1;
  }
  for (let i = 0; i < 4; i++) {
    const r = 4 * i;
    const a1 = pass[r] + pass[r + 3];
    const b1 = pass[r + 1] + pass[r + 2];
    const c1 = pass[r + 1] - pass[r + 2];
    const d1 = pass[r] - pass[r + 3];
    coeffs[blockBase + 16 * (r + 0)] = (a1 + b1 + 3) >> 3;
    coeffs[blockBase + 16 * (r + 1)] = (c1 + d1 + 3) >> 3;
    coeffs[blockBase + 16 * (r + 2)] = (a1 - b1 + 3) >> 3;
    coeffs[blockBase + 16 * (r + 3)] = (d1 - c1 + 3) >> 3;
  }
}

/** The inverse WHT when only the DC coefficient is non-zero: every output is (dc + 3) >> 3. */
export function inverseWhtDcOnly(dc: number, coeffs: Int16Array, blockBase: number): void {
  const v = (dc + 3) >> 3;
  for (let i = 0; i < 16; i++) coeffs[blockBase + 16 * i] = v;
}

/** The inverse DCT's first, vertical pass (section 14.4) over the block at `coeffs[off..]`, into `pass`. */
function inverseDctColumns(coeffs: Int16Array, off: number): void {
  // One column at a time.
  for (let i = 0; i < 4; i++) {
    const i0 = coeffs[off + i];
    const i4 = coeffs[off + 4 + i];
    const i8 = coeffs[off + 8 + i];
    const i12 = coeffs[off + 12 + i];
    const a1 = i0 + i8;
    const b1 = i0 - i8;
    const c1 = ((i4 * SINPI8SQRT2) >> 16) - (i12 + ((i12 * COSPI8SQRT2MINUS1) >> 16));
    const d1 = i4 + ((i4 * COSPI8SQRT2MINUS1) >> 16) + ((i12 * SINPI8SQRT2) >> 16);
    pass[i] = a1 + d1;
    pass[12 + i] = a1 - d1;
    pass[4 + i] = b1 + c1;
    pass[8 + i] = b1 - c1;
  }
}

/**
 * Inverse DCT of the 4x4 block at `coeffs[off..off+15]` (section 14.4), added
 * to the prediction already in `dst` at `dstOff` with row stride `stride`, and
 * clamped to 0..255 (section 14.5).
 */
export function inverseDctAdd(coeffs: Int16Array, off: number, dst: Uint8Array, dstOff: number, stride: number): void {
  inverseDctColumns(coeffs, off);
  // Horizontal pass, one row at a time, then add and clamp.
  for (let r = 0; r < 4; r++) {
    const p = 4 * r;
    const i0 = pass[p];
    const i1 = pass[p + 1];
    const i2 = pass[p + 2];
    const i3 = pass[p + 3];
    const a1 = i0 + i2;
    const b1 = i0 - i2;
    const c1 = ((i1 * SINPI8SQRT2) >> 16) - (i3 + ((i3 * COSPI8SQRT2MINUS1) >> 16));
    const d1 = i1 + ((i1 * COSPI8SQRT2MINUS1) >> 16) + ((i3 * SINPI8SQRT2) >> 16);
    // libvpx stores these in 16 bits before adding them to the prediction.
    const o = dstOff + r * stride;
    dst[o] = clamp255(dst[o] + (((a1 + d1 + 4) >> 3) << 16 >> 16));
    dst[o + 1] = clamp255(dst[o + 1] + (((b1 + c1 + 4) >> 3) << 16 >> 16));
    dst[o + 2] = clamp255(dst[o + 2] + (((b1 - c1 + 4) >> 3) << 16 >> 16));
    dst[o + 3] = clamp255(dst[o + 3] + (((a1 - d1 + 4) >> 3) << 16 >> 16));
  }
}

/** The inverse DCT when only the DC coefficient is non-zero: adds (dc + 4) >> 3 to every pixel. */
export function inverseDctDcOnlyAdd(dc: number, dst: Uint8Array, dstOff: number, stride: number): void {
  const v = (dc + 4) >> 3;
  // Samples are already in 0..255: adding 0 changes nothing (a common case, e.g. a zero DC from the WHT).
  if (v === 0) return;
  for (let r = 0; r < 4; r++) {
    const o = dstOff + r * stride;
    dst[o] = clamp255(dst[o] + v);
    dst[o + 1] = clamp255(dst[o + 1] + v);
    dst[o + 2] = clamp255(dst[o + 2] + v);
    dst[o + 3] = clamp255(dst[o + 3] + v);
  }
}

export function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * The inverse DCT of section 14.4 as a signed residual, for analysis tools:
 * the 16 values inverseDctAdd adds to the prediction, in raster order at
 * `out[outOff..outOff+15]`, neither added nor clamped. The arithmetic is
 * inverseDctAdd's, 16-bit truncations included, so that clamping prediction
 * plus residual gives the decoder's samples even for corrupt streams. (The
 * decoder itself adds in place and never calls this.)
 */
export function inverseDctResidual(coeffs: Int16Array, off: number, out: Int16Array, outOff: number): void {
  inverseDctColumns(coeffs, off);
  for (let r = 0; r < 4; r++) {
    const p = 4 * r;
    const i0 = pass[p];
    const i1 = pass[p + 1];
    const i2 = pass[p + 2];
    const i3 = pass[p + 3];
    const a1 = i0 + i2;
    const b1 = i0 - i2;
    const c1 = ((i1 * SINPI8SQRT2) >> 16) - (i3 + ((i3 * COSPI8SQRT2MINUS1) >> 16));
    const d1 = i1 + ((i1 * COSPI8SQRT2MINUS1) >> 16) + ((i3 * SINPI8SQRT2) >> 16);
    // Stored in an Int16Array: the same 16-bit truncation as inverseDctAdd's `<< 16 >> 16`.
    const o = outOff + p;
    out[o] = (a1 + d1 + 4) >> 3;
    out[o + 1] = (b1 + c1 + 4) >> 3;
    out[o + 2] = (b1 - c1 + 4) >> 3;
    out[o + 3] = (a1 - d1 + 4) >> 3;
  }
}
