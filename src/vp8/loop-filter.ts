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
// The RFC computes on signed values (a sample minus 128), clamped to
// -128..127 at every step. Adding 128 back to such a clamped value is the same
// as clamping the unsigned result to 0..255, so the filters work on unsigned
// samples and write through Uint8ClampedArray views of the planes, whose
// stores clamp; only the filter value itself needs the signed clamp `c8`.
// Names follow the RFC: p3 p2 p1 p0 | q0 q1 q2 q3 across the edge.

import type { Image, Plane } from './image.js';

/** Clamps to the signed 8-bit range (the RFC's `c`). */
function c8(v: number): number {
  return v < -128 ? -128 : v > 127 ? 127 : v;
}

/** Filter levels run from 0 to 63 (section 9.6). */
const LEVELS = 64;

/**
 * The limits of section 15.4 for every filter level of a frame, computed
 * once per frame: for level L, `interior[L]` bounds the differences between
 * adjacent samples on one side of an edge, `mbEdge[L]` and `subEdge[L]` the
 * step across macroblock and subblock edges, and `hevThreshold[L]` is the
 * high edge variance threshold.
 */
class EdgeLimits {
  readonly interior = new Int32Array(LEVELS);
  readonly mbEdge = new Int32Array(LEVELS);
  readonly subEdge = new Int32Array(LEVELS);
  readonly hevThreshold = new Int32Array(LEVELS);

  constructor(sharpness: number, keyFrame: boolean) {
    for (let level = 0; level < LEVELS; level++) {
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
      this.interior[level] = interior;
      this.mbEdge[level] = (level + 2) * 2 + interior;
      this.subEdge[level] = level * 2 + interior;
      this.hevThreshold[level] = hev;
    }
  }
}

/**
 * The normal filter's test (section 15.3): filter a segment only when the
 * step across the edge is within the edge limit and every step between
 * neighbours on either side within the interior limit.
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
function mbEdgeFilter(d: Uint8ClampedArray, pos: number, step: number, pitch: number, n: number, edgeLimit: number, interior: number, hevT: number): void {
  const step2 = 2 * step, step3 = 3 * step, step4 = 4 * step;
  for (let i = 0; i < n; i++, pos += pitch) {
    const p3 = d[pos - step4], p2 = d[pos - step3], p1 = d[pos - step2], p0 = d[pos - step];
    const q0 = d[pos], q1 = d[pos + step], q2 = d[pos + step2], q3 = d[pos + step3];
    if (!normalFilterApplies(p3, p2, p1, p0, q0, q1, q2, q3, edgeLimit, interior)) continue;
    const w = c8(c8(p1 - q1) + 3 * (q0 - p0));
    if (Math.abs(p1 - p0) > hevT || Math.abs(q1 - q0) > hevT) {
      // High edge variance: adjust only p0 and q0, using the outer taps.
      d[pos] = q0 - (c8(w + 4) >> 3);
      d[pos - step] = p0 + (c8(w + 3) >> 3);
    } else {
      // Otherwise spread 27/128, 18/128 and 9/128 of the difference over three samples each side.
      let a = c8((27 * w + 63) >> 7);
      d[pos] = q0 - a;
      d[pos - step] = p0 + a;
      a = c8((18 * w + 63) >> 7);
      d[pos + step] = q1 - a;
      d[pos - step2] = p1 + a;
      a = c8((9 * w + 63) >> 7);
      d[pos + step2] = q2 - a;
      d[pos - step3] = p2 + a;
    }
  }
}

/** Normal filter across a subblock edge (section 15.3). */
function subblockEdgeFilter(d: Uint8ClampedArray, pos: number, step: number, pitch: number, n: number, edgeLimit: number, interior: number, hevT: number): void {
  const step2 = 2 * step, step3 = 3 * step, step4 = 4 * step;
  for (let i = 0; i < n; i++, pos += pitch) {
    const p3 = d[pos - step4], p2 = d[pos - step3], p1 = d[pos - step2], p0 = d[pos - step];
    const q0 = d[pos], q1 = d[pos + step], q2 = d[pos + step2], q3 = d[pos + step3];
    if (!normalFilterApplies(p3, p2, p1, p0, q0, q1, q2, q3, edgeLimit, interior)) continue;
    const hev = Math.abs(p1 - p0) > hevT || Math.abs(q1 - q0) > hevT;
    const a = c8((hev ? c8(p1 - q1) : 0) + 3 * (q0 - p0));
    const f1 = c8(a + 4) >> 3;
    d[pos] = q0 - f1;
    d[pos - step] = p0 + (c8(a + 3) >> 3);
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
    if (Math.abs(p0 - q0) * 2 + (Math.abs(p1 - q1) >> 1) > edgeLimit) continue;
    const a = c8(c8(p1 - q1) + 3 * (q0 - p0));
    d[pos] = q0 - (c8(a + 4) >> 3);
    d[pos - step] = p0 + (c8(a + 3) >> 3);
  }
}

/** A view of a plane's samples whose stores clamp to 0..255. */
function clampedView(p: Plane): Uint8ClampedArray {
  return new Uint8ClampedArray(p.data.buffer, p.data.byteOffset, p.data.length);
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
  const limits = new EdgeLimits(f.sharpness, f.keyFrame);
  const Y = clampedView(img.y), U = clampedView(img.u), V = clampedView(img.v);
  const ys = img.y.stride, cs = img.u.stride;
  for (let mbRow = 0; mbRow < f.mbRows; mbRow++) {
    for (let mbCol = 0; mbCol < f.mbCols; mbCol++) {
      const mb = mbRow * f.mbCols + mbCol;
      const level = f.level[mb];
      // A level of 0 means the macroblock is not filtered at all (section 15).
      if (level === 0) continue;
      const inner = f.skipInner[mb] === 0;
      const yPos = img.y.offset + mbRow * 16 * ys + mbCol * 16;
      const mbEdge = limits.mbEdge[level];
      const subEdge = limits.subEdge[level];
      if (f.simple) {
        if (mbCol > 0) simpleFilter(Y, yPos, 1, ys, 16, mbEdge);
        if (inner) for (let x = 4; x < 16; x += 4) simpleFilter(Y, yPos + x, 1, ys, 16, subEdge);
        if (mbRow > 0) simpleFilter(Y, yPos, ys, 1, 16, mbEdge);
        if (inner) for (let y = 4; y < 16; y += 4) simpleFilter(Y, yPos + y * ys, ys, 1, 16, subEdge);
        continue;
      }
      const interior = limits.interior[level];
      const hevThreshold = limits.hevThreshold[level];
      const chroma = !lumaOnly;
      const uPos = img.u.offset + mbRow * 8 * cs + mbCol * 8;
      const vPos = img.v.offset + mbRow * 8 * cs + mbCol * 8;
      if (mbCol > 0) {
        mbEdgeFilter(Y, yPos, 1, ys, 16, mbEdge, interior, hevThreshold);
        if (chroma) {
          mbEdgeFilter(U, uPos, 1, cs, 8, mbEdge, interior, hevThreshold);
          mbEdgeFilter(V, vPos, 1, cs, 8, mbEdge, interior, hevThreshold);
        }
      }
      if (inner) {
        for (let x = 4; x < 16; x += 4) subblockEdgeFilter(Y, yPos + x, 1, ys, 16, subEdge, interior, hevThreshold);
        if (chroma) {
          subblockEdgeFilter(U, uPos + 4, 1, cs, 8, subEdge, interior, hevThreshold);
          subblockEdgeFilter(V, vPos + 4, 1, cs, 8, subEdge, interior, hevThreshold);
        }
      }
      if (mbRow > 0) {
        mbEdgeFilter(Y, yPos, ys, 1, 16, mbEdge, interior, hevThreshold);
        if (chroma) {
          mbEdgeFilter(U, uPos, cs, 1, 8, mbEdge, interior, hevThreshold);
          mbEdgeFilter(V, vPos, cs, 1, 8, mbEdge, interior, hevThreshold);
        }
      }
      if (inner) {
        for (let y = 4; y < 16; y += 4) subblockEdgeFilter(Y, yPos + y * ys, ys, 1, 16, subEdge, interior, hevThreshold);
        if (chroma) {
          subblockEdgeFilter(U, uPos + 4 * cs, cs, 1, 8, subEdge, interior, hevThreshold);
          subblockEdgeFilter(V, vPos + 4 * cs, cs, 1, 8, subEdge, interior, hevThreshold);
        }
      }
    }
  }
}
