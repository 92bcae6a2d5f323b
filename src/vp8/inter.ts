// RFC 6386 section 18: inter prediction (motion compensation).
//
// A block is predicted from a reference plane displaced by a motion vector in
// eighths of a sample: the integer part selects a position, the fraction one of
// eight interpolation filters (section 18.3). Version 0 streams use six-tap
// filters, versions 1-3 bilinear ones. Two-dimensional filtering runs a
// horizontal pass over every row the vertical pass needs, rounding and
// clamping to 0..255 in between, then the vertical pass; a zero fraction is
// the identity filter, so that pass can be skipped without changing the result.
//
// Vectors may point anywhere (section 18.1). Samples outside the aligned plane
// take the value of the nearest edge sample: blocks whose filter window lies in
// the plane's border read it directly, others are first gathered with clamped
// coordinates. libvpx achieves the same result by clamping far-out vectors to
// its 32-sample border, which only ever moves a block within a region of
// replicated samples.

import type { Plane } from './image.js';
import { BILINEAR_FILTERS, SIXTAP_FILTERS } from './tables.js';

/**
 * The vectors of the four 4x4 chroma blocks of a SPLITMV macroblock, from its
 * 16 luma subblock vectors at `bMv[base..base + 32)` ([row, col] in quarter
 * samples, raster order): each chroma block takes the average of the four
 * luma vectors it covers, rounded to nearest with halves away from zero
 * (libvpx build_4x4uvmvs), in eighths of a chroma sample; version 3 streams
 * (`fullPixel`) round it down to whole samples. Chroma block k = 2 * row +
 * column gets `out[2k]` (row) and `out[2k + 1]` (column).
 */
export function splitChromaMvs(bMv: Int16Array, base: number, fullPixel: boolean, out: Int32Array): void {
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      const b0 = base + 2 * (8 * i + 2 * j);
      let row = chromaAverage(bMv[b0] + bMv[b0 + 2] + bMv[b0 + 8] + bMv[b0 + 10]);
      let col = chromaAverage(bMv[b0 + 1] + bMv[b0 + 3] + bMv[b0 + 9] + bMv[b0 + 11]);
      if (fullPixel) {
        row &= ~7;
        col &= ~7;
      }
      out[2 * (2 * i + j)] = row;
      out[2 * (2 * i + j) + 1] = col;
    }
  }
}

/** The sum of four quarter-sample luma components, averaged in eighths of a chroma sample (in its units a luma vector is doubled). */
function chromaAverage(sum: number): number {
  const t = 2 * sum;
  return ((t + (t < 0 ? -4 : 4)) / 8) | 0;
}

/** Scratch buffers for one prediction; owned by the decoder's workspace. */
export class InterScratch {
  /** Source window gathered with clamped coordinates: up to (16 + 5) × (16 + 5). */
  readonly window = new Uint8Array(21 * 21);
  /** Output of the horizontal pass: up to (16 + 5) rows of 16. */
  readonly firstPass = new Uint8Array(21 * 16);
  /** The chroma vectors of a SPLITMV macroblock (splitChromaMvs). */
  readonly chromaMvs = new Int32Array(8);
}

/**
 * Predicts the w×h block at (x, y) of `dst` from `ref` displaced by
 * (mvx, mvy) eighths of a sample. An encoder trying vectors may write the
 * prediction elsewhere, at (dstX, dstY) of a scratch plane.
 */
export function predictInter(
  ref: Plane, dst: Plane, x: number, y: number, w: number, h: number,
  mvx: number, mvy: number, bilinear: boolean, s: InterScratch,
  dstX = x, dstY = y,
): void {
  const fx = mvx & 7;
  const fy = mvy & 7;
  const ix = x + (mvx >> 3);
  const iy = y + (mvy >> 3);
  // Source rectangle the filters read, relative to (ix, iy).
  let left = 0;
  let top = 0;
  let right = w - 1;
  let bottom = h - 1;
  if (bilinear) {
    if (fx) right++;
    if (fy) bottom++;
  } else {
    if (fx) {
      left = -2;
      right += 3;
    }
    if (fy) {
      top = -2;
      bottom += 3;
    }
  }
  let src = ref.data;
  let stride = ref.stride;
  let pos = ref.offset + iy * ref.stride + ix;
  const b = ref.border;
  if (ix + left < -b || iy + top < -b || ix + right >= ref.width + b || iy + bottom >= ref.height + b) {
    // Gather the window with coordinates clamped to the plane (section 18.1).
    const ww = right - left + 1;
    const wh = bottom - top + 1;
    const win = s.window;
    const maxX = ref.width - 1;
    const maxY = ref.height - 1;
    for (let r = 0; r < wh; r++) {
      let sy = iy + top + r;
      sy = sy < 0 ? 0 : sy > maxY ? maxY : sy;
      const row = ref.offset + sy * ref.stride;
      for (let c = 0; c < ww; c++) {
        let sx = ix + left + c;
        sx = sx < 0 ? 0 : sx > maxX ? maxX : sx;
        win[r * ww + c] = ref.data[row + sx];
      }
    }
    src = win;
    stride = ww;
    pos = -top * ww - left;
  }
  const out = dst.data;
  const outPos = dst.offset + dstY * dst.stride + dstX;
  const outStride = dst.stride;
  if (fx === 0 && fy === 0) {
    copyBlock(src, pos, stride, out, outPos, outStride, w, h);
  } else if (bilinear) {
    bilinear2d(src, pos, stride, out, outPos, outStride, w, h, fx, fy, s.firstPass);
  } else {
    sixtap2d(src, pos, stride, out, outPos, outStride, w, h, fx, fy, s.firstPass);
  }
}

/** Copies a w×h block; a plain loop, since a subarray view per row would allocate. */
function copyBlock(src: Uint8Array, pos: number, stride: number, out: Uint8Array, outPos: number, outStride: number, w: number, h: number): void {
  for (let r = 0; r < h; r++) {
    const p = pos + r * stride;
    const o = outPos + r * outStride;
    for (let c = 0; c < w; c++) out[o + c] = src[p + c];
  }
}

function sixtap2d(
  src: Uint8Array, pos: number, stride: number, out: Uint8Array, outPos: number, outStride: number,
  w: number, h: number, fx: number, fy: number, tmp: Uint8Array,
): void {
  if (fy === 0) {
    sixtapRows(src, pos, stride, out, outPos, outStride, w, h, fx);
  } else if (fx === 0) {
    sixtapColumns(src, pos, stride, out, outPos, outStride, w, h, fy);
  } else {
    // The horizontal pass covers the rows the vertical pass reads: 2 above the
    // block and 3 below it.
    sixtapRows(src, pos - 2 * stride, stride, tmp, 0, w, w, h + 5, fx);
    sixtapColumns(tmp, 2 * w, w, out, outPos, outStride, w, h, fy);
  }
}

/** The horizontal six-tap pass over `rows` rows of `w` samples, rounded and clamped to 0..255. */
function sixtapRows(
  src: Uint8Array, pos: number, stride: number, out: Uint8Array, outPos: number, outStride: number,
  w: number, rows: number, fx: number,
): void {
  const f = fx * 6;
  const f0 = SIXTAP_FILTERS[f], f1 = SIXTAP_FILTERS[f + 1], f2 = SIXTAP_FILTERS[f + 2];
  const f3 = SIXTAP_FILTERS[f + 3], f4 = SIXTAP_FILTERS[f + 4], f5 = SIXTAP_FILTERS[f + 5];
  for (let r = 0; r < rows; r++) {
    const p = pos + r * stride;
    const o = outPos + r * outStride;
    // Slide a window of six samples along the row: one load per output.
    let s0 = src[p - 2], s1 = src[p - 1], s2 = src[p], s3 = src[p + 1], s4 = src[p + 2];
    for (let c = 0; c < w; c++) {
      const s5 = src[p + c + 3];
      const v = (s0 * f0 + s1 * f1 + s2 * f2 + s3 * f3 + s4 * f4 + s5 * f5 + 64) >> 7;
      out[o + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      s0 = s1; s1 = s2; s2 = s3; s3 = s4; s4 = s5;
    }
  }
}

/** The vertical six-tap pass over an h-row block of `w` columns, rounded and clamped to 0..255. */
function sixtapColumns(
  src: Uint8Array, pos: number, stride: number, out: Uint8Array, outPos: number, outStride: number,
  w: number, h: number, fy: number,
): void {
  const g = fy * 6;
  const g0 = SIXTAP_FILTERS[g], g1 = SIXTAP_FILTERS[g + 1], g2 = SIXTAP_FILTERS[g + 2];
  const g3 = SIXTAP_FILTERS[g + 3], g4 = SIXTAP_FILTERS[g + 4], g5 = SIXTAP_FILTERS[g + 5];
  // Slide a window of six samples down each column: one load per output.
  for (let c = 0; c < w; c++) {
    let q = pos + c - 2 * stride;
    let s0 = src[q], s1 = src[q + stride], s2 = src[q + 2 * stride], s3 = src[q + 3 * stride], s4 = src[q + 4 * stride];
    q += 5 * stride;
    let o = outPos + c;
    for (let r = 0; r < h; r++) {
      const s5 = src[q];
      const v = (s0 * g0 + s1 * g1 + s2 * g2 + s3 * g3 + s4 * g4 + s5 * g5 + 64) >> 7;
      out[o] = v < 0 ? 0 : v > 255 ? 255 : v;
      s0 = s1; s1 = s2; s2 = s3; s3 = s4; s4 = s5;
      q += stride;
      o += outStride;
    }
  }
}

function bilinear2d(
  src: Uint8Array, pos: number, stride: number, out: Uint8Array, outPos: number, outStride: number,
  w: number, h: number, fx: number, fy: number, tmp: Uint8Array,
): void {
  const rows = fy ? h + 1 : h;
  let t: Uint8Array;
  let tPos: number;
  let tStride: number;
  if (fx) {
    const a = BILINEAR_FILTERS[fx * 6 + 2];
    const b = BILINEAR_FILTERS[fx * 6 + 3];
    for (let r = 0; r < rows; r++) {
      const p = pos + r * stride;
      const o = r * w;
      for (let c = 0; c < w; c++) tmp[o + c] = (src[p + c] * a + src[p + c + 1] * b + 64) >> 7;
    }
    t = tmp;
    tPos = 0;
    tStride = w;
  } else {
    t = src;
    tPos = pos;
    tStride = stride;
  }
  if (!fy) {
    copyBlock(t, tPos, tStride, out, outPos, outStride, w, h);
    return;
  }
  const a = BILINEAR_FILTERS[fy * 6 + 2];
  const b = BILINEAR_FILTERS[fy * 6 + 3];
  for (let r = 0; r < h; r++) {
    const p = tPos + r * tStride;
    const o = outPos + r * outStride;
    for (let c = 0; c < w; c++) out[o + c] = (t[p + c] * a + t[p + c + tStride] * b + 64) >> 7;
  }
}
