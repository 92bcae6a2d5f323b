// RFC 6386 section 18 seen from the encoder: finding motion vectors.
//
// The decoder predicts a block from a reference displaced by a vector in
// quarter samples; the encoder looks for the vector whose prediction is
// closest to the source at the lowest cost. The search runs in two stages:
// whole samples, comparing the source with the reference directly (sum of
// absolute differences), starting from the vectors of the neighbours and
// narrowing a diamond pattern; then quarter samples around the best whole-
// sample vector, comparing with the six-tap (or bilinear) prediction the
// decoder will actually form. Each candidate is charged the cost of coding
// its vector, so that the search prefers vectors close to the predicted one.

import type { Plane } from '../image.js';
import { InterScratch, predictInter } from '../inter.js';

/** Sum of absolute differences of two w×h blocks; stops early once it exceeds `limit`. */
export function sad(a: Plane, ax: number, ay: number, b: Plane, bx: number, by: number, w: number, h: number, limit = Infinity): number {
  const ad = a.data;
  const bd = b.data;
  let ap = a.offset + ay * a.stride + ax;
  let bp = b.offset + by * b.stride + bx;
  let sum = 0;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const d = ad[ap + c] - bd[bp + c];
      sum += d < 0 ? -d : d;
    }
    if (sum > limit) return sum;
    ap += a.stride;
    bp += b.stride;
  }
  return sum;
}

/** Sum of squared differences of two w×h blocks. */
export function sse(a: Plane, ax: number, ay: number, b: Plane, bx: number, by: number, w: number, h: number): number {
  const ad = a.data;
  const bd = b.data;
  let ap = a.offset + ay * a.stride + ax;
  let bp = b.offset + by * b.stride + bx;
  let sum = 0;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const d = ad[ap + c] - bd[bp + c];
      sum += d * d;
    }
    ap += a.stride;
    bp += b.stride;
  }
  return sum;
}

/** What a search needs to price a vector: the cost in 1/256 bit of each component difference. */
export interface MvPricing {
  /** Cost of a row (index 0) or column (1) component difference d, at [d + MV_COST_OFFSET]. */
  readonly rowCost: Int32Array;
  readonly colCost: Int32Array;
}

/** Largest component difference a vector may be coded with (10-bit magnitude, section 17.1). */
export const MV_COST_OFFSET = 1023;

/** The cost of coding vector (row, col) relative to (bestRow, bestCol), in 1/256 bit; huge when it cannot be coded. */
export function mvCost(p: MvPricing, row: number, col: number, bestRow: number, bestCol: number): number {
  const dr = row - bestRow;
  const dc = col - bestCol;
  if (dr < -MV_COST_OFFSET || dr > MV_COST_OFFSET || dc < -MV_COST_OFFSET || dc > MV_COST_OFFSET) return 1 << 24;
  return p.rowCost[dr + MV_COST_OFFSET] + p.colCost[dc + MV_COST_OFFSET];
}

/** The block being searched and the limits of the search. */
export interface SearchTarget {
  readonly src: Plane;
  readonly ref: Plane;
  /** Top-left of the block in both planes. */
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  /** Base of the vector difference that is coded (quarter samples). */
  readonly bestRow: number;
  readonly bestCol: number;
  readonly pricing: MvPricing;
  /** Weight of 1/256 bit against one unit of SAD. */
  readonly lambdaSad: number;
  /** Whole-sample range of rows and columns a vector may reach (the block stays within the reference's border). */
  readonly minRow: number;
  readonly maxRow: number;
  readonly minCol: number;
  readonly maxCol: number;
}

const DIAMOND = [-1, 0, 1, 0, 0, -1, 0, 1];
const SQUARE = [-1, -1, -1, 0, -1, 1, 0, -1, 0, 1, 1, -1, 1, 0, 1, 1];

/** A found vector (quarter samples) and its cost (SAD or SSE plus weighted rate). */
export interface SearchResult {
  row: number;
  col: number;
  cost: number;
}

/**
 * Whole-sample search: evaluates the start candidates (quarter-sample
 * vectors, rounded), then descends a diamond of shrinking step from the best,
 * and finishes with the eight neighbours. `range` caps the first step.
 */
export function fullPelSearch(t: SearchTarget, starts: Int32Array, startCount: number, range: number, out: SearchResult): SearchResult {
  let bestR = 0;
  let bestC = 0;
  let bestCost = Infinity;
  const evaluate = (r: number, c: number): void => {
    if (r < t.minRow || r > t.maxRow || c < t.minCol || c > t.maxCol) return;
    const rate = mvCost(t.pricing, 4 * r, 4 * c, t.bestRow, t.bestCol) * t.lambdaSad;
    if (rate >= bestCost) return;
    const cost = sad(t.src, t.x, t.y, t.ref, t.x + c, t.y + r, t.w, t.h, bestCost - rate) + rate;
    if (cost < bestCost) {
      bestCost = cost;
      bestR = r;
      bestC = c;
    }
  };
  for (let i = 0; i < startCount; i++) evaluate(Math.round(starts[2 * i] / 4), Math.round(starts[2 * i + 1] / 4));
  for (let step = Math.max(1, range); step >= 1; step >>= 1) {
    // Walk the diamond at this step until no neighbour is better.
    for (let moved = true, guard = 0; moved && guard < 64; guard++) {
      moved = false;
      const r0 = bestR;
      const c0 = bestC;
      for (let k = 0; k < 8; k += 2) evaluate(r0 + step * DIAMOND[k], c0 + step * DIAMOND[k + 1]);
      moved = bestR !== r0 || bestC !== c0;
    }
  }
  const r0 = bestR;
  const c0 = bestC;
  for (let k = 0; k < 16; k += 2) evaluate(r0 + SQUARE[k], c0 + SQUARE[k + 1]);
  out.row = 4 * bestR;
  out.col = 4 * bestC;
  out.cost = bestCost;
  return out;
}

/** A 16x16 scratch plane for trial predictions. */
export function scratchPlane(w: number, h: number): Plane {
  return { data: new Uint8Array(w * h), stride: w, offset: 0, width: w, height: h, border: 0 };
}

/**
 * Quarter-sample refinement around `start` (quarter samples): half-sample
 * steps, then quarter-sample steps, each trying the eight neighbours with the
 * real interpolation filter and keeping the cheapest (SAD + weighted rate).
 */
export function subPelSearch(
  t: SearchTarget, start: SearchResult, bilinear: boolean, pred: Plane, scratch: InterScratch, steps: number, out: SearchResult,
): SearchResult {
  let bestR = start.row;
  let bestC = start.col;
  const cost = (r: number, c: number): number => {
    predictInter(t.ref, pred, t.x, t.y, t.w, t.h, 2 * c, 2 * r, bilinear, scratch, 0, 0);
    return sad(t.src, t.x, t.y, pred, 0, 0, t.w, t.h) + mvCost(t.pricing, r, c, t.bestRow, t.bestCol) * t.lambdaSad;
  };
  let bestCost = cost(bestR, bestC);
  for (let step = 2, s = 0; s < steps && step >= 1; step >>= 1, s++) {
    const r0 = bestR;
    const c0 = bestC;
    for (let k = 0; k < 16; k += 2) {
      const r = r0 + step * SQUARE[k];
      const c = c0 + step * SQUARE[k + 1];
      if (r < 4 * t.minRow || r > 4 * t.maxRow || c < 4 * t.minCol || c > 4 * t.maxCol) continue;
      const v = cost(r, c);
      if (v < bestCost) {
        bestCost = v;
        bestR = r;
        bestC = c;
      }
    }
  }
  out.row = bestR;
  out.col = bestC;
  out.cost = bestCost;
  return out;
}
