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

/**
 * The normal filter's test (section 15.3): filter this segment only when the
 * step across the edge is below the edge limit and every step between
 * neighbours on either side is within the interior limit.
 */
function normalFilterApplies(p3: number, p2: number, p1: number, p0: number, q0: number, q1: number, q2: number, q3: number, edgeLimit: number, interior: number): boolean {
  return (
    Math.abs(p0 - q0) * 2 + (Math.abs(p1 - q1) >> 1) <= edgeLimit &&
    Math.abs(p3 - p2) <= interior && Math.abs(p2 - p1) <= interior && Math.abs(p1 - p0) <= interior &&
    Math.abs(q1 - q0) <= interior && Math.abs(q2 - q1) <= interior && Math.abs(q3 - q2) <= interior
  );
}

/**
 * Normal filter across a macroblock edge (section 15.3): `n` segments starting
 * at `pos`, `step` apart across the edge and `pitch` apart along it.
 */
function mbEdgeFilter(d: Uint8Array, pos: number, step: number, pitch: number, n: number, edgeLimit: number, interior: number, hevT: number): void {
  const step2 = 2 * step, step3 = 3 * step, step4 = 4 * step;
  for (let i = 0; i < n; i++, pos += pitch) {
    const p3 = d[pos - step4], p2 = d[pos - step3], p1 = d[pos - step2], p0 = d[pos - step];
    const q0 = d[pos], q1 = d[pos + step], q2 = d[pos + step2], q3 = d[pos + step3];
    if (!normalFilterApplies(p3, p2, p1, p0, q0, q1, q2, q3, edgeLimit, interior)) continue;
    const ps2 = p2 - 128, ps1 = p1 - 128, ps0 = p0 - 128;
    const qs0 = q0 - 128, qs1 = q1 - 128, qs2 = q2 - 128;
    const w = c8(c8(ps1 - qs1) + 3 * (qs0 - ps0));
    if (Math.abs(p1 - p0) > hevT || Math.abs(q1 - q0) > hevT) {
      // High edge variance: adjust only p0 and q0, using the outer taps.
      const f1 = c8(w + 4) >> 3;
      const f2 = c8(w + 3) >> 3;
      d[pos] = c8(qs0 - f1) + 128;
      d[pos - step] = c8(ps0 + f2) + 128;
    } else {
      // Otherwise spread 27/128, 18/128 and 9/128 of the difference over three samples each side.
      let a = c8((27 * w + 63) >> 7);
      d[pos] = c8(qs0 - a) + 128;
      d[pos - step] = c8(ps0 + a) + 128;
      a = c8((18 * w + 63) >> 7);
      d[pos + step] = c8(qs1 - a) + 128;
      d[pos - step2] = c8(ps1 + a) + 128;
      a = c8((9 * w + 63) >> 7);
      d[pos + step2] = c8(qs2 - a) + 128;
      d[pos - step3] = c8(ps2 + a) + 128;
    }
  }
}

/** Normal filter across a subblock edge (section 15.3). */
function subblockEdgeFilter(d: Uint8Array, pos: number, step: number, pitch: number, n: number, edgeLimit: number, interior: number, hevT: number): void {
  const step2 = 2 * step, step3 = 3 * step, step4 = 4 * step;
  for (let i = 0; i < n; i++, pos += pitch) {
    const p3 = d[pos - step4], p2 = d[pos - step3], p1 = d[pos - step2], p0 = d[pos - step];
    const q0 = d[pos], q1 = d[pos + step], q2 = d[pos + step2], q3 = d[pos + step3];
    if (!normalFilterApplies(p3, p2, p1, p0, q0, q1, q2, q3, edgeLimit, interior)) continue;
    const ps1 = p1 - 128, ps0 = p0 - 128, qs0 = q0 - 128, qs1 = q1 - 128;
    const hev = Math.abs(p1 - p0) > hevT || Math.abs(q1 - q0) > hevT;
    const a = c8((hev ? c8(ps1 - qs1) : 0) + 3 * (qs0 - ps0));
    const f1 = c8(a + 4) >> 3;
    const f2 = c8(a + 3) >> 3;
    d[pos] = c8(qs0 - f1) + 128;
    d[pos - step] = c8(ps0 + f2) + 128;
    if (!hev) {
      // Without high edge variance, p1 and q1 move by half of the p0 adjustment.
      const u = (f1 + 1) >> 1;
      d[pos + step] = c8(qs1 - u) + 128;
      d[pos - step2] = c8(ps1 + u) + 128;
    }
  }
}

/** The simple filter across one edge (section 15.2), luma only. */
function simpleFilter(d: Uint8Array, pos: number, step: number, pitch: number, n: number, edgeLimit: number): void {
  for (let i = 0; i < n; i++, pos += pitch) {
    const p1 = d[pos - 2 * step], p0 = d[pos - step], q0 = d[pos], q1 = d[pos + step];
    if (Math.abs(p0 - q0) * 2 + (Math.abs(p1 - q1) >> 1) > edgeLimit) continue;
    const ps0 = p0 - 128, qs0 = q0 - 128;
    const a = c8(c8(p1 - q1) + 3 * (qs0 - ps0));
    d[pos] = c8(qs0 - (c8(a + 4) >> 3)) + 128;
    d[pos - step] = c8(ps0 + (c8(a + 3) >> 3)) + 128;
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

/**
 * Filters a reconstructed frame in place (section 15). `lumaOnly` skips the
 * chroma planes, for an encoder comparing trial levels.
 */
export function loopFilterFrame(img: Image, f: LoopFilterInput, lumaOnly = false): void {
  const params: EdgeParams = { interior: 0, mbEdge: 0, subEdge: 0, hevThreshold: 0 };
  let cachedLevel = -1;
  const Y = img.y, U = img.u, V = img.v;
  for (let mbRow = 0; mbRow < f.mbRows; mbRow++) {
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
        if (mbCol > 0) simpleFilter(Y.data, yPos, 1, ys, 16, params.mbEdge);
        if (inner) for (let x = 4; x < 16; x += 4) simpleFilter(Y.data, yPos + x, 1, ys, 16, params.subEdge);
        if (mbRow > 0) simpleFilter(Y.data, yPos, ys, 1, 16, params.mbEdge);
        if (inner) for (let y = 4; y < 16; y += 4) simpleFilter(Y.data, yPos + y * ys, ys, 1, 16, params.subEdge);
        continue;
      }
      const { interior, mbEdge, subEdge, hevThreshold } = params;
      if (lumaOnly) {
        if (mbCol > 0) mbEdgeFilter(Y.data, yPos, 1, ys, 16, mbEdge, interior, hevThreshold);
        if (inner) for (let x = 4; x < 16; x += 4) subblockEdgeFilter(Y.data, yPos + x, 1, ys, 16, subEdge, interior, hevThreshold);
        if (mbRow > 0) mbEdgeFilter(Y.data, yPos, ys, 1, 16, mbEdge, interior, hevThreshold);
        if (inner) for (let y = 4; y < 16; y += 4) subblockEdgeFilter(Y.data, yPos + y * ys, ys, 1, 16, subEdge, interior, hevThreshold);
        continue;
      }
      const cs = U.stride;
      const uPos = U.offset + mbRow * 8 * cs + mbCol * 8;
      const vPos = V.offset + mbRow * 8 * cs + mbCol * 8;
      if (mbCol > 0) {
        mbEdgeFilter(Y.data, yPos, 1, ys, 16, mbEdge, interior, hevThreshold);
        mbEdgeFilter(U.data, uPos, 1, cs, 8, mbEdge, interior, hevThreshold);
        mbEdgeFilter(V.data, vPos, 1, cs, 8, mbEdge, interior, hevThreshold);
      }
      if (inner) {
        for (let x = 4; x < 16; x += 4) subblockEdgeFilter(Y.data, yPos + x, 1, ys, 16, subEdge, interior, hevThreshold);
        subblockEdgeFilter(U.data, uPos + 4, 1, cs, 8, subEdge, interior, hevThreshold);
        subblockEdgeFilter(V.data, vPos + 4, 1, cs, 8, subEdge, interior, hevThreshold);
      }
      if (mbRow > 0) {
        mbEdgeFilter(Y.data, yPos, ys, 1, 16, mbEdge, interior, hevThreshold);
        mbEdgeFilter(U.data, uPos, cs, 1, 8, mbEdge, interior, hevThreshold);
        mbEdgeFilter(V.data, vPos, cs, 1, 8, mbEdge, interior, hevThreshold);
      }
      if (inner) {
        for (let y = 4; y < 16; y += 4) subblockEdgeFilter(Y.data, yPos + y * ys, ys, 1, 16, subEdge, interior, hevThreshold);
        subblockEdgeFilter(U.data, uPos + 4 * cs, cs, 1, 8, subEdge, interior, hevThreshold);
        subblockEdgeFilter(V.data, vPos + 4 * cs, cs, 1, 8, subEdge, interior, hevThreshold);
      }
    }
  }
}
