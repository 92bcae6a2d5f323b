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
import { clamp255 } from './transform.js';

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
  /** Output of the bilinear horizontal pass: up to (16 + 1) rows of 16. */
  readonly firstPass = new Uint8Array(21 * 16);
  /** Rows of the six-tap passes, two samples per integer: up to (16 + 5) rows of 8 pairs (or 8 + 5 rows of 8 chroma pairs). */
  readonly pairs = new Int32Array(21 * 8);
  /** The chroma vectors of a SPLITMV macroblock (splitChromaMvs). */
  readonly chromaMvs = new Int32Array(8);
  // Four-byte views of the planes seen last (references and destinations of
  // up to a few pictures), so that a whole-sample copy moves 4 samples a step.
  private readonly viewBytes: (Uint8Array | null)[] = [null, null, null, null, null, null, null, null, null, null, null, null];
  private readonly viewWords: (Int32Array | null)[] = [null, null, null, null, null, null, null, null, null, null, null, null];
  private nextView = 0;

  /** `a` as 32-bit words, or null when it does not start and end on word boundaries. */
  words(a: Uint8Array): Int32Array | null {
    const bytes = this.viewBytes;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === a) return this.viewWords[i];
    const view = LITTLE_ENDIAN && ((a.byteOffset | a.length) & 3) === 0 ? new Int32Array(a.buffer, a.byteOffset, a.length >> 2) : null;
    const i = this.nextView;
    this.nextView = (i + 1) % bytes.length;
    bytes[i] = a;
    this.viewWords[i] = view;
    return view;
  }
}

/** Byte order of the typed arrays' words: copies by words assume little-endian. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

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
  // Blocks are 4, 8 or 16 samples wide and high; the six-tap passes rely on it.
  if ((w & 3) !== 0 || (h & 1) !== 0 || w > 16 || h > 16) throw new Error(`predictInter: no ${w}x${h} blocks in VP8`);
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
    const src32 = src === s.window || ((stride | outPos | outStride) & 3) !== 0 ? null : s.words(src);
    const out32 = src32 === null ? null : s.words(out);
    if (src32 !== null && out32 !== null) copyWords(src32, pos, stride, out32, outPos, outStride, w, h);
    else copyBlock(src, pos, stride, out, outPos, outStride, w, h);
  } else if (bilinear) {
    bilinear2d(src, pos, stride, out, outPos, outStride, w, h, fx, fy, s.firstPass);
  } else {
    sixtap2d(src, src, w >> 1, pos, stride, out, out, w >> 1, outPos, outStride, w >> 1, h, fx, fy, s.pairs);
  }
}

/**
 * predictInter of the same w×h block of both chroma planes with one vector.
 * With a six-tap filter the two are computed together, a U sample and the V
 * sample at the same place in the two lanes of each pair, which halves the
 * work around the filters; other cases (and planes whose layouts differ, or
 * blocks whose filter window leaves the border) are predicted one plane at a
 * time.
 */
export function predictInterChroma(
  refU: Plane, refV: Plane, dstU: Plane, dstV: Plane, x: number, y: number, w: number, h: number,
  mvx: number, mvy: number, bilinear: boolean, s: InterScratch,
): void {
  const fx = mvx & 7;
  const fy = mvy & 7;
  const ix = x + (mvx >> 3);
  const iy = y + (mvy >> 3);
  const stride = refU.stride;
  const b = refU.border;
  if (
    bilinear || (fx | fy) === 0 || stride !== refV.stride || refU.offset !== refV.offset
    || dstU.stride !== dstV.stride || dstU.offset !== dstV.offset
    || ix - 2 < -b || iy - 2 < -b || ix + w + 2 >= refU.width + b || iy + h + 2 >= refU.height + b
  ) {
    predictInter(refU, dstU, x, y, w, h, mvx, mvy, bilinear, s);
    predictInter(refV, dstV, x, y, w, h, mvx, mvy, bilinear, s);
    return;
  }
  const outStride = dstU.stride;
  sixtap2d(
    refU.data, refV.data, 0, refU.offset + iy * stride + ix, stride,
    dstU.data, dstV.data, 0, dstU.offset + y * outStride + x, outStride, w, h, fx, fy, s.pairs,
  );
}

/** Copies a w×h block; a plain loop, since a subarray view per row would allocate. */
function copyBlock(src: Uint8Array, pos: number, stride: number, out: Uint8Array, outPos: number, outStride: number, w: number, h: number): void {
  for (let r = 0; r < h; r++) {
    const p = pos + r * stride;
    const o = outPos + r * outStride;
    for (let c = 0; c < w; c++) out[o + c] = src[p + c];
  }
}

/**
 * copyBlock for planes viewed as little-endian words, with `out` aligned: four
 * samples per step, each word of a misaligned source joined from two.
 */
function copyWords(src: Int32Array, pos: number, stride: number, out: Int32Array, outPos: number, outStride: number, w: number, h: number): void {
  const n = w >> 2;
  const shift = (pos & 3) * 8;
  const ss = stride >> 2, os = outStride >> 2;
  let p = pos >> 2;
  let o = outPos >> 2;
  if (shift === 0) {
    for (let r = 0; r < h; r++, p += ss, o += os) for (let c = 0; c < n; c++) out[o + c] = src[p + c];
    return;
  }
  const back = 32 - shift;
  for (let r = 0; r < h; r++, p += ss, o += os) {
    let a = src[p];
    for (let c = 0; c < n; c++) {
      const b = src[p + c + 1];
      out[o + c] = (a >>> shift) | (b << back);
      a = b;
    }
  }
}

// The six-tap passes filter two samples at once (section 18.3 computes them
// one by one; the results are the same). A "pair" holds sample c of a row in
// the low 16 bits of an integer and sample c + w/2 in the high 16 bits, so
// that one Math.imul by a tap multiplies both and a sum of six products holds
// both filter sums, each in its own 16 bits. That needs every lane to stay in
// 0..65535: a filter sum lies in -8160..40800 (255 times the negative or the
// positive taps), and adding 64 for rounding and 8192 = 64 * 128 makes it
// 96..49056: 0x20402040 adds 8192 + 64 to both lanes (written out where it
// is used, since a module constant would be loaded on every use). Sums wrap
// modulo 2^32, which leaves both lanes intact; each is written `... | 0` so
// the compiler adds in 32 bits from the start: a sum whose high lane passes
// 2^31 otherwise overflows its speculation, and the rewritten code adds in
// doubles (about 4% of a decode's time).

/**
 * From a pair of biased filter sums (0x20402040 added), the pair of results:
 * each sum shifted right by 7 and clamped to 0..255.
 */
function roundPair(sum: number): number {
  // Each lane is now 64 + the result (0..383), plus 192 so that a result in
  // 0..255 has the lane's ninth bit set and no higher one: then the lanes'
  // low bytes are the results, found for both at once.
  const y = ((sum >>> 7) & 0x01ff01ff) + 0x00c000c0;
  if ((y & 0xff00ff00) === 0x01000100) return y & 0x00ff00ff;
  return clamp255((y & 0xffff) - 256) | (clamp255((y >>> 16) - 256) << 16);
}

// Filters whose outer taps are zero (the odd fractions) run as four-tap
// filters: the same sums without two products, and a vertical pass that needs
// only 1 row above the block and 2 below. The half-sample filter (fraction
// 4) is symmetric: it runs as three products of sums of two samples.

/** True when filter `f` (index of its first tap) has zero outer taps. */
function fourTap(f: number): boolean {
  return SIXTAP_FILTERS[f] === 0 && SIXTAP_FILTERS[f + 5] === 0;
}

/** Index of the first tap of the half-sample filter. */
const HALF = 4 * 6;

/**
 * The six-tap prediction of an h-row block of 2 * half samples per row... or
 * of two blocks at once: the low lanes of the pairs take samples of `src` from
 * `pos` and are written to `out` from `outPos`; the high lanes take those of
 * `hi` from `pos + hiDelta` and are written to `outHi` from `outPos +
 * outDelta`. One block's two halves are `hi = src`, `hiDelta = half`; two
 * chroma planes with the same layout and vector are `hi` = the other plane,
 * `hiDelta` = 0, and half = the block's width.
 */
function sixtap2d(
  src: Uint8Array, hi: Uint8Array, hiDelta: number, pos: number, stride: number,
  out: Uint8Array, outHi: Uint8Array, outDelta: number, outPos: number, outStride: number,
  half: number, h: number, fx: number, fy: number, pairs: Int32Array,
): void {
  if (fy === 0) {
    horizontalPass(src, hi, hiDelta, pos, stride, pairs, half, h, fx);
    storePairs(pairs, half, h, out, outHi, outDelta, outPos, outStride);
    return;
  }
  // The vertical pass reads 2 rows above the block and 3 below it (1 and 2 with four taps).
  const g = fy * 6;
  const above = fourTap(g) ? 1 : 2;
  const rows = h + 2 * above + 1;
  const top = pos - above * stride;
  if (fx === 0) loadPairs(src, hi, hiDelta, top, stride, pairs, half, rows);
  else horizontalPass(src, hi, hiDelta, top, stride, pairs, half, rows, fx);
  if (above === 1) fourTapColumns(pairs, half, h, out, outHi, outDelta, outPos, outStride, g);
  else if (g === HALF) halfSampleColumns(pairs, half, h, out, outHi, outDelta, outPos, outStride);
  else sixtapColumns(pairs, half, h, out, outHi, outDelta, outPos, outStride, g);
}

/** The horizontal pass over `rows` rows of `half` pairs (sources as in sixtap2d). */
function horizontalPass(src: Uint8Array, hi: Uint8Array, hiDelta: number, pos: number, stride: number, pairs: Int32Array, half: number, rows: number, fx: number): void {
  const f = fx * 6;
  if (fourTap(f)) fourTapRows(src, hi, hiDelta, pos, stride, pairs, half, rows, f);
  else if (f === HALF) halfSampleRows(src, hi, hiDelta, pos, stride, pairs, half, rows);
  else sixtapRows(src, hi, hiDelta, pos, stride, pairs, half, rows, f);
}

/** The horizontal six-tap pass with the filter whose first tap is at `f`. */
function sixtapRows(src: Uint8Array, hi: Uint8Array, hiDelta: number, pos: number, stride: number, pairs: Int32Array, half: number, rows: number, f: number): void {
  const f0 = SIXTAP_FILTERS[f], f1 = SIXTAP_FILTERS[f + 1], f2 = SIXTAP_FILTERS[f + 2];
  const f3 = SIXTAP_FILTERS[f + 3], f4 = SIXTAP_FILTERS[f + 4], f5 = SIXTAP_FILTERS[f + 5];
  for (let r = 0, o = 0; r < rows; r++, pos += stride) {
    // p walks the low lanes' samples, q = p + half the high lanes'.
    let p = pos, q = pos + hiDelta;
    const end = o + half;
    // Slide a window of six pairs along the row, two outputs per step.
    let s0 = src[p - 2] | (hi[q - 2] << 16), s1 = src[p - 1] | (hi[q - 1] << 16), s2 = src[p] | (hi[q] << 16);
    let s3 = src[p + 1] | (hi[q + 1] << 16), s4 = src[p + 2] | (hi[q + 2] << 16);
    for (; o < end; o += 2, p += 2, q += 2) {
      const s5 = src[p + 3] | (hi[q + 3] << 16), s6 = src[p + 4] | (hi[q + 4] << 16);
      pairs[o] = roundPair(Math.imul(s0, f0) + Math.imul(s1, f1) + Math.imul(s2, f2) + Math.imul(s3, f3) + Math.imul(s4, f4) + Math.imul(s5, f5) + 0x20402040 | 0);
      pairs[o + 1] = roundPair(Math.imul(s1, f0) + Math.imul(s2, f1) + Math.imul(s3, f2) + Math.imul(s4, f3) + Math.imul(s5, f4) + Math.imul(s6, f5) + 0x20402040 | 0);
      s0 = s2; s1 = s3; s2 = s4; s3 = s5; s4 = s6;
    }
  }
}

/** The horizontal pass with a four-tap filter (taps 1..4 of the one at `f`). */
function fourTapRows(src: Uint8Array, hi: Uint8Array, hiDelta: number, pos: number, stride: number, pairs: Int32Array, half: number, rows: number, f: number): void {
  const f1 = SIXTAP_FILTERS[f + 1], f2 = SIXTAP_FILTERS[f + 2], f3 = SIXTAP_FILTERS[f + 3], f4 = SIXTAP_FILTERS[f + 4];
  for (let r = 0, o = 0; r < rows; r++, pos += stride) {
    let p = pos, q = pos + hiDelta;
    const end = o + half;
    let s1 = src[p - 1] | (hi[q - 1] << 16), s2 = src[p] | (hi[q] << 16), s3 = src[p + 1] | (hi[q + 1] << 16);
    for (; o < end; o += 2, p += 2, q += 2) {
      const s4 = src[p + 2] | (hi[q + 2] << 16), s5 = src[p + 3] | (hi[q + 3] << 16);
      pairs[o] = roundPair(Math.imul(s1, f1) + Math.imul(s2, f2) + Math.imul(s3, f3) + Math.imul(s4, f4) + 0x20402040 | 0);
      pairs[o + 1] = roundPair(Math.imul(s2, f1) + Math.imul(s3, f2) + Math.imul(s4, f3) + Math.imul(s5, f4) + 0x20402040 | 0);
      s1 = s3; s2 = s4; s3 = s5;
    }
  }
}

/**
 * sixtapRows with the half-sample filter: taps t0 t1 t2 t2 t1 t0, so each
 * sum takes three products of two pairs added (a lane of such a sum stays
 * below 2 * 255, clear of the other lane).
 */
function halfSampleRows(src: Uint8Array, hi: Uint8Array, hiDelta: number, pos: number, stride: number, pairs: Int32Array, half: number, rows: number): void {
  const t0 = SIXTAP_FILTERS[HALF], t1 = SIXTAP_FILTERS[HALF + 1], t2 = SIXTAP_FILTERS[HALF + 2];
  for (let r = 0, o = 0; r < rows; r++, pos += stride) {
    let p = pos, q = pos + hiDelta;
    const end = o + half;
    let s0 = src[p - 2] | (hi[q - 2] << 16), s1 = src[p - 1] | (hi[q - 1] << 16), s2 = src[p] | (hi[q] << 16);
    let s3 = src[p + 1] | (hi[q + 1] << 16), s4 = src[p + 2] | (hi[q + 2] << 16);
    for (; o < end; o += 2, p += 2, q += 2) {
      const s5 = src[p + 3] | (hi[q + 3] << 16), s6 = src[p + 4] | (hi[q + 4] << 16);
      pairs[o] = roundPair(Math.imul(s0 + s5, t0) + Math.imul(s1 + s4, t1) + Math.imul(s2 + s3, t2) + 0x20402040 | 0);
      pairs[o + 1] = roundPair(Math.imul(s1 + s6, t0) + Math.imul(s2 + s5, t1) + Math.imul(s3 + s4, t2) + 0x20402040 | 0);
      s0 = s2; s1 = s3; s2 = s4; s3 = s5; s4 = s6;
    }
  }
}

/** The vertical six-tap pass: an h-row block from rows of pairs starting 2 rows above it. */
function sixtapColumns(pairs: Int32Array, half: number, h: number, out: Uint8Array, outHi: Uint8Array, outDelta: number, outPos: number, outStride: number, g: number): void {
  const g0 = SIXTAP_FILTERS[g], g1 = SIXTAP_FILTERS[g + 1], g2 = SIXTAP_FILTERS[g + 2];
  const g3 = SIXTAP_FILTERS[g + 3], g4 = SIXTAP_FILTERS[g + 4], g5 = SIXTAP_FILTERS[g + 5];
  for (let c = 0; c < half; c++) {
    // Slide a window of six pairs down the column, two rows per step.
    let q = c;
    let s0 = pairs[q], s1 = pairs[q + half], s2 = pairs[q + 2 * half], s3 = pairs[q + 3 * half], s4 = pairs[q + 4 * half];
    q += 5 * half;
    let o = outPos + c;
    for (let r = 0; r < h; r += 2) {
      const s5 = pairs[q], s6 = pairs[q + half];
      const v0 = roundPair(Math.imul(s0, g0) + Math.imul(s1, g1) + Math.imul(s2, g2) + Math.imul(s3, g3) + Math.imul(s4, g4) + Math.imul(s5, g5) + 0x20402040 | 0);
      const v1 = roundPair(Math.imul(s1, g0) + Math.imul(s2, g1) + Math.imul(s3, g2) + Math.imul(s4, g3) + Math.imul(s5, g4) + Math.imul(s6, g5) + 0x20402040 | 0);
      out[o] = v0;
      outHi[o + outDelta] = v0 >>> 16;
      out[o + outStride] = v1;
      outHi[o + outStride + outDelta] = v1 >>> 16;
      s0 = s2; s1 = s3; s2 = s4; s3 = s5; s4 = s6;
      q += 2 * half;
      o += 2 * outStride;
    }
  }
}

/** sixtapColumns with the half-sample filter, as in halfSampleRows. */
function halfSampleColumns(pairs: Int32Array, half: number, h: number, out: Uint8Array, outHi: Uint8Array, outDelta: number, outPos: number, outStride: number): void {
  const t0 = SIXTAP_FILTERS[HALF], t1 = SIXTAP_FILTERS[HALF + 1], t2 = SIXTAP_FILTERS[HALF + 2];
  for (let c = 0; c < half; c++) {
    let q = c;
    let s0 = pairs[q], s1 = pairs[q + half], s2 = pairs[q + 2 * half], s3 = pairs[q + 3 * half], s4 = pairs[q + 4 * half];
    q += 5 * half;
    let o = outPos + c;
    for (let r = 0; r < h; r += 2) {
      const s5 = pairs[q], s6 = pairs[q + half];
      const v0 = roundPair(Math.imul(s0 + s5, t0) + Math.imul(s1 + s4, t1) + Math.imul(s2 + s3, t2) + 0x20402040 | 0);
      const v1 = roundPair(Math.imul(s1 + s6, t0) + Math.imul(s2 + s5, t1) + Math.imul(s3 + s4, t2) + 0x20402040 | 0);
      out[o] = v0;
      outHi[o + outDelta] = v0 >>> 16;
      out[o + outStride] = v1;
      outHi[o + outStride + outDelta] = v1 >>> 16;
      s0 = s2; s1 = s3; s2 = s4; s3 = s5; s4 = s6;
      q += 2 * half;
      o += 2 * outStride;
    }
  }
}

/** The vertical pass with a four-tap filter: rows of pairs start 1 row above the block. */
function fourTapColumns(pairs: Int32Array, half: number, h: number, out: Uint8Array, outHi: Uint8Array, outDelta: number, outPos: number, outStride: number, g: number): void {
  const g1 = SIXTAP_FILTERS[g + 1], g2 = SIXTAP_FILTERS[g + 2], g3 = SIXTAP_FILTERS[g + 3], g4 = SIXTAP_FILTERS[g + 4];
  for (let c = 0; c < half; c++) {
    let q = c;
    let s1 = pairs[q], s2 = pairs[q + half], s3 = pairs[q + 2 * half];
    q += 3 * half;
    let o = outPos + c;
    for (let r = 0; r < h; r += 2) {
      const s4 = pairs[q], s5 = pairs[q + half];
      const v0 = roundPair(Math.imul(s1, g1) + Math.imul(s2, g2) + Math.imul(s3, g3) + Math.imul(s4, g4) + 0x20402040 | 0);
      const v1 = roundPair(Math.imul(s2, g1) + Math.imul(s3, g2) + Math.imul(s4, g3) + Math.imul(s5, g4) + 0x20402040 | 0);
      out[o] = v0;
      outHi[o + outDelta] = v0 >>> 16;
      out[o + outStride] = v1;
      outHi[o + outStride + outDelta] = v1 >>> 16;
      s1 = s3; s2 = s4; s3 = s5;
      q += 2 * half;
      o += 2 * outStride;
    }
  }
}

/** Rows of samples as rows of `half` pairs (sources as in sixtap2d), for a vertical pass alone. */
function loadPairs(src: Uint8Array, hi: Uint8Array, hiDelta: number, pos: number, stride: number, pairs: Int32Array, half: number, rows: number): void {
  for (let r = 0, o = 0; r < rows; r++, pos += stride) {
    for (let p = pos, q = pos + hiDelta, end = o + half; o < end; o++, p++, q++) pairs[o] = src[p] | (hi[q] << 16);
  }
}

/** Rows of pairs written out (destinations as in sixtap2d), after a horizontal pass alone. */
function storePairs(pairs: Int32Array, half: number, rows: number, out: Uint8Array, outHi: Uint8Array, outDelta: number, outPos: number, outStride: number): void {
  for (let r = 0; r < rows; r++) {
    const o = outPos + r * outStride;
    for (let c = 0; c < half; c++) {
      const v = pairs[r * half + c];
      out[o + c] = v;
      outHi[o + c + outDelta] = v >>> 16;
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
