// RFC 6386 section 15: the loop filter.
//
// After every macroblock of a frame is reconstructed, the edges between
// macroblocks and between their 4x4 subblocks are smoothed, in raster order of
// macroblocks and, within one, in the order: left macroblock edge, inner
// vertical edges, top macroblock edge, inner horizontal edges (section 15.1).
// The simple filter (section 15.2) touches luma only and adjusts one sample on
// each side; the normal filter (section 15.3) uses a wider filter on
// macroblock edges and a threshold for "high edge variance".
//
// Samples are handled as in the RFC: converted to signed values by
// subtracting 128 and clamped to -128..127 at every step. Names follow the
// RFC: p3 p2 p1 p0 | q0 q1 q2 q3 across the edge.

import type { Image } from './image.js';

/** Clamps to the signed 8-bit range (the RFC's `c`). */
function c8(v: number): number {
  return v < -128 ? -128 : v > 127 ? 127 : v;
}

/** Per-frame filter parameters for one filter level (section 15.4). */
export interface EdgeParams {
  /** Limit on the differences between adjacent samples on one side of the edge. */
  interior: number;
  /** Edge limit for macroblock edges. */
  mbEdge: number;
  /** Edge limit for subblock edges. */
  subEdge: number;
  /** High edge variance threshold. */
  hevThreshold: number;
}

/** Computes the parameters of section 15.4 for a filter level, sharpness and frame type. */
export function edgeParams(level: number, sharpness: number, keyFrame: boolean, out: EdgeParams): EdgeParams {
  let interior = level;
  if (sharpness > 0) {
    interior >>= sharpness > 4 ? 2 : 1;
    if (interior > 9 - sharpness) interior = 9 - sharpness;
  }
  if (interior < 1) interior = 1;
  let hev = 0;
  if (keyFrame) {
    if (level >= 40) hev = 2;
    else if (level >= 15) hev = 1;
  } else if (level >= 40) hev = 3;
  else if (level >= 20) hev = 2;
  else if (level >= 15) hev = 1;
  out.interior = interior;
  out.mbEdge = (level + 2) * 2 + interior;
  out.subEdge = level * 2 + interior;
  out.hevThreshold = hev;
  return out;
}

// How the kernels below are arranged (the results are the RFC's):
// - They write through a Uint8ClampedArray view of the plane, whose stores
//   clamp to 0..255: for a sample s, c(s - 128 + f) + 128 is s + f clamped.
// - Every adjustment is a function of the four samples next to the edge, and
//   a small one rounds to zero (e.g. (a + 4) >> 3 and (a + 3) >> 3 are 0 for
//   |a| <= 3). They compute it first and skip segments it leaves unchanged,
//   which is most of them in smooth areas (a straight ramp gives 0), before
//   reading the outer samples for the filter test.
// - The test's differences are computed once and shared with the high edge
//   variance test.

/**
 * Normal filter across a macroblock edge (section 15.3): `n` segments starting
 * at `pos`, `step` apart across the edge and `pitch` apart along it.
 */
function mbEdgeFilter(d: Uint8ClampedArray, pos: number, step: number, pitch: number, n: number, edgeLimit: number, interior: number, hevT: number): void {
  const step2 = 2 * step, step3 = 3 * step, step4 = 4 * step;
  for (let i = 0; i < n; i++, pos += pitch) {
    const p1 = d[pos - step2], p0 = d[pos - step], q0 = d[pos], q1 = d[pos + step];
    let w = p1 - q1;
    w = w < -128 ? -128 : w > 127 ? 127 : w;
    w += 3 * (q0 - p0);
    // |w| <= 2 moves no sample: (27w + 63) >> 7, (w + 4) >> 3 and the others
    // are 0. (Clamping w cannot bring it into -2..2, so it can wait.)
    if (w >= -2 && w <= 2) continue;
    const dp = Math.abs(p1 - p0), dq = Math.abs(q1 - q0);
    if (dp > interior || dq > interior || Math.abs(p0 - q0) * 2 + (Math.abs(p1 - q1) >> 1) > edgeLimit) continue;
    const p2 = d[pos - step3], q2 = d[pos + step2];
    if (Math.abs(p2 - p1) > interior || Math.abs(q2 - q1) > interior) continue;
    if (Math.abs(d[pos - step4] - p2) > interior || Math.abs(d[pos + step3] - q2) > interior) continue;
    w = w < -128 ? -128 : w > 127 ? 127 : w;
    if (dp > hevT || dq > hevT) {
      // High edge variance: adjust only p0 and q0, using the outer taps.
      d[pos] = q0 - ((w > 123 ? 127 : w + 4) >> 3);
      d[pos - step] = p0 + ((w > 124 ? 127 : w + 3) >> 3);
    } else {
      // Otherwise spread 27/128, 18/128 and 9/128 of the difference over
      // three samples each side (never beyond -27..27, so unclamped).
      let a = (27 * w + 63) >> 7;
      d[pos] = q0 - a;
      d[pos - step] = p0 + a;
      a = (18 * w + 63) >> 7;
      d[pos + step] = q1 - a;
      d[pos - step2] = p1 + a;
      a = (9 * w + 63) >> 7;
      d[pos + step2] = q2 - a;
      d[pos - step3] = p2 + a;
    }
  }
}

/** Normal filter across a subblock edge (section 15.3). */
function subblockEdgeFilter(d: Uint8ClampedArray, pos: number, step: number, pitch: number, n: number, edgeLimit: number, interior: number, hevT: number): void {
  const step2 = 2 * step, step3 = 3 * step, step4 = 4 * step;
  for (let i = 0; i < n; i++, pos += pitch) {
    const p1 = d[pos - step2], p0 = d[pos - step], q0 = d[pos], q1 = d[pos + step];
    const dp = Math.abs(p1 - p0), dq = Math.abs(q1 - q0);
    const hev = dp > hevT || dq > hevT;
    let a = 3 * (q0 - p0);
    if (hev) {
      const t = p1 - q1;
      a += t < -128 ? -128 : t > 127 ? 127 : t;
    }
    // |a| <= 3 moves no sample: (a + 4) >> 3 and (a + 3) >> 3 are 0.
    // (Clamping a cannot bring it into -3..3, so it can wait.)
    if (a >= -3 && a <= 3) continue;
    if (dp > interior || dq > interior || Math.abs(p0 - q0) * 2 + (Math.abs(p1 - q1) >> 1) > edgeLimit) continue;
    const p2 = d[pos - step3], q2 = d[pos + step2];
    if (Math.abs(p2 - p1) > interior || Math.abs(q2 - q1) > interior) continue;
    if (Math.abs(d[pos - step4] - p2) > interior || Math.abs(d[pos + step3] - q2) > interior) continue;
    a = a < -128 ? -128 : a > 127 ? 127 : a;
    const f1 = (a > 123 ? 127 : a + 4) >> 3;
    d[pos] = q0 - f1;
    d[pos - step] = p0 + ((a > 124 ? 127 : a + 3) >> 3);
    if (!hev) {
      // Without high edge variance, p1 and q1 move by half of the p0 adjustment.
      const u = (f1 + 1) >> 1;
      d[pos + step] = q1 - u;
      d[pos - step2] = p1 + u;
    }
  }
}

/** The simple filter across one edge (section 15.2), luma only. */
function simpleFilter(d: Uint8ClampedArray, pos: number, step: number, pitch: number, n: number, edgeLimit: number): void {
  for (let i = 0; i < n; i++, pos += pitch) {
    const p1 = d[pos - 2 * step], p0 = d[pos - step], q0 = d[pos], q1 = d[pos + step];
    const a = c8(c8(p1 - q1) + 3 * (q0 - p0));
    if (a >= -3 && a <= 3) continue;
    if (Math.abs(p0 - q0) * 2 + (Math.abs(p1 - q1) >> 1) > edgeLimit) continue;
    d[pos] = q0 - (c8(a + 4) >> 3);
    d[pos - step] = p0 + (c8(a + 3) >> 3);
  }
}

/**
 * Everything the loop filter needs to know about a frame: its type and
 * filter settings, and per macroblock the filter level and whether the inner
 * edges are skipped (section 15.1: no coefficients, and neither B_PRED nor
 * SPLITMV).
 */
export interface LoopFilterInput {
  readonly simple: boolean;
  readonly sharpness: number;
  readonly keyFrame: boolean;
  readonly mbCols: number;
  readonly mbRows: number;
  readonly level: Uint8Array;
  readonly skipInner: Uint8Array;
}

/** A view of a plane's samples whose stores clamp to 0..255. */
function clampedView(a: Uint8Array): Uint8ClampedArray {
  return new Uint8ClampedArray(a.buffer, a.byteOffset, a.length);
}

/**
 * Filters a reconstructed frame in place (section 15). `lumaOnly` skips the
 * chroma planes, for an encoder comparing trial levels.
 */
export function loopFilterFrame(img: Image, f: LoopFilterInput, lumaOnly = false): void {
  loopFilterRows(img, f, 0, f.mbRows, lumaOnly);
}

/**
 * Filters macroblock rows firstRow..endRow - 1 in place, in raster order.
 * Filtering a row reads only that row and the 4 sample rows above it (and
 * writes 3 of those), so a decoder may filter each row as soon as the next one is
 * reconstructed (whose prediction needs the unfiltered samples at the
 * bottom of the row above), while its samples are still in the cache: rows
 * filtered this way in order give the same picture as the whole frame at once.
 */
export function loopFilterRows(img: Image, f: LoopFilterInput, firstRow: number, endRow: number, lumaOnly = false): void {
  const params: EdgeParams = { interior: 0, mbEdge: 0, subEdge: 0, hevThreshold: 0 };
  let cachedLevel = -1;
  const Y = img.y, U = img.u, V = img.v;
  const yd = clampedView(Y.data), ud = clampedView(U.data), vd = clampedView(V.data);
  for (let mbRow = firstRow; mbRow < endRow; mbRow++) {
    for (let mbCol = 0; mbCol < f.mbCols; mbCol++) {
      const mb = mbRow * f.mbCols + mbCol;
      const level = f.level[mb];
      // A level of 0 means the macroblock is not filtered at all (section 15).
      if (level === 0) continue;
      if (level !== cachedLevel) {
        edgeParams(level, f.sharpness, f.keyFrame, params);
        cachedLevel = level;
      }
      const inner = f.skipInner[mb] === 0;
      const yPos = Y.offset + mbRow * 16 * Y.stride + mbCol * 16;
      const ys = Y.stride;
      if (f.simple) {
        if (mbCol > 0) simpleFilter(yd, yPos, 1, ys, 16, params.mbEdge);
        if (inner) for (let x = 4; x < 16; x += 4) simpleFilter(yd, yPos + x, 1, ys, 16, params.subEdge);
        if (mbRow > 0) simpleFilter(yd, yPos, ys, 1, 16, params.mbEdge);
        if (inner) for (let y = 4; y < 16; y += 4) simpleFilter(yd, yPos + y * ys, ys, 1, 16, params.subEdge);
        continue;
      }
      const { interior, mbEdge, subEdge, hevThreshold } = params;
      if (lumaOnly) {
        if (mbCol > 0) mbEdgeFilter(yd, yPos, 1, ys, 16, mbEdge, interior, hevThreshold);
        if (inner) for (let x = 4; x < 16; x += 4) subblockEdgeFilter(yd, yPos + x, 1, ys, 16, subEdge, interior, hevThreshold);
        if (mbRow > 0) mbEdgeFilter(yd, yPos, ys, 1, 16, mbEdge, interior, hevThreshold);
        if (inner) for (let y = 4; y < 16; y += 4) subblockEdgeFilter(yd, yPos + y * ys, ys, 1, 16, subEdge, interior, hevThreshold);
        continue;
      }
      const cs = U.stride;
      const uPos = U.offset + mbRow * 8 * cs + mbCol * 8;
      const vPos = V.offset + mbRow * 8 * cs + mbCol * 8;
      if (mbCol > 0) {
        mbEdgeFilter(yd, yPos, 1, ys, 16, mbEdge, interior, hevThreshold);
        mbEdgeFilter(ud, uPos, 1, cs, 8, mbEdge, interior, hevThreshold);
        mbEdgeFilter(vd, vPos, 1, cs, 8, mbEdge, interior, hevThreshold);
      }
      if (inner) {
        for (let x = 4; x < 16; x += 4) subblockEdgeFilter(yd, yPos + x, 1, ys, 16, subEdge, interior, hevThreshold);
        subblockEdgeFilter(ud, uPos + 4, 1, cs, 8, subEdge, interior, hevThreshold);
        subblockEdgeFilter(vd, vPos + 4, 1, cs, 8, subEdge, interior, hevThreshold);
      }
      if (mbRow > 0) {
        mbEdgeFilter(yd, yPos, ys, 1, 16, mbEdge, interior, hevThreshold);
        mbEdgeFilter(ud, uPos, cs, 1, 8, mbEdge, interior, hevThreshold);
        mbEdgeFilter(vd, vPos, cs, 1, 8, mbEdge, interior, hevThreshold);
      }
      if (inner) {
        for (let y = 4; y < 16; y += 4) subblockEdgeFilter(yd, yPos + y * ys, ys, 1, 16, subEdge, interior, hevThreshold);
        subblockEdgeFilter(ud, uPos + 4 * cs, cs, 1, 8, subEdge, interior, hevThreshold);
        subblockEdgeFilter(vd, vPos + 4 * cs, cs, 1, 8, subEdge, interior, hevThreshold);
      }
    }
  }
}
