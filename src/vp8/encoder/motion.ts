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
  const as = a.stride;
  const bs = b.stride;
  let ap = a.offset + ay * as + ax;
  let bp = b.offset + by * bs + bx;
  if (w === 16) return sad16(ad, ap, as, bd, bp, bs, h, limit);
  let sum = 0;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) sum += Math.abs(ad[ap + c] - bd[bp + c]);
    if (sum > limit) return sum;
    ap += as;
    bp += bs;
  }
  return sum;
}

/** The common case, 16 wide, unrolled: V8 keeps it in registers. */
function sad16(ad: Uint8Array, ap: number, as: number, bd: Uint8Array, bp: number, bs: number, h: number, limit: number): number {
  let sum = 0;
  for (let r = 0; r < h; r++) {
    sum +=
      Math.abs(ad[ap] - bd[bp]) + Math.abs(ad[ap + 1] - bd[bp + 1]) + Math.abs(ad[ap + 2] - bd[bp + 2]) + Math.abs(ad[ap + 3] - bd[bp + 3]) +
      Math.abs(ad[ap + 4] - bd[bp + 4]) + Math.abs(ad[ap + 5] - bd[bp + 5]) + Math.abs(ad[ap + 6] - bd[bp + 6]) + Math.abs(ad[ap + 7] - bd[bp + 7]) +
      Math.abs(ad[ap + 8] - bd[bp + 8]) + Math.abs(ad[ap + 9] - bd[bp + 9]) + Math.abs(ad[ap + 10] - bd[bp + 10]) + Math.abs(ad[ap + 11] - bd[bp + 11]) +
      Math.abs(ad[ap + 12] - bd[bp + 12]) + Math.abs(ad[ap + 13] - bd[bp + 13]) + Math.abs(ad[ap + 14] - bd[bp + 14]) + Math.abs(ad[ap + 15] - bd[bp + 15]);
    if ((r & 3) === 3 && sum > limit) return sum;
    ap += as;
    bp += bs;
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
 * and finishes with the eight neighbours. `range` caps the first step;
 * `agreedRange` caps it when every start but the zero vector is within a
 * sample of the first.
 */
export function fullPelSearch(
  t: SearchTarget, starts: Int32Array, startCount: number, range: number, out: SearchResult, finalSquare = true, agreedRange = range,
): SearchResult {
  // `out` holds the best position so far (whole samples) and its cost.
  out.row = 0;
  out.col = 0;
  out.cost = Infinity;
  // Positions already evaluated, in a 64x64 window around the first start
  // (the diamond walk comes back to them often).
  // Quarter samples to the nearest whole sample, halves up: (v + 2) >> 2 is
  // Math.round(v / 4) without its -0, which would turn the result's integer
  // fields (and the candidates' vectors) into doubles.
  const originR = ((starts[0] + 2) >> 2) - 32;
  const originC = ((starts[1] + 2) >> 2) - 32;
  visited.fill(0);
  let spread = 0;
  for (let i = 0; i < startCount; i++) {
    const r = (starts[2 * i] + 2) >> 2;
    const c = (starts[2 * i + 1] + 2) >> 2;
    // (The zero vector, always a start, is left out: it is no prediction.)
    if (r !== 0 || c !== 0) spread = Math.max(spread, Math.abs(r - originR - 32), Math.abs(c - originC - 32));
    evaluateWhole(t, r, c, originR, originC, out);
  }
  // Where the predicted vectors agree to a sample, the motion is smooth and
  // the best vector is near them: the wide steps seldom find better.
  if (spread <= 1) range = Math.min(range, agreedRange);
  for (let step = Math.max(1, range); step >= 1; step >>= 1) {
    // Walk the diamond at this step until no neighbour is better.
    for (let guard = 0; guard < 64; guard++) {
      const r0 = out.row;
      const c0 = out.col;
      for (let k = 0; k < 8; k += 2) evaluateWhole(t, r0 + step * DIAMOND[k], c0 + step * DIAMOND[k + 1], originR, originC, out);
      if (out.row === r0 && out.col === c0) break;
    }
  }
  if (finalSquare) {
    const r0 = out.row;
    const c0 = out.col;
    for (let k = 0; k < 16; k += 2) evaluateWhole(t, r0 + SQUARE[k], c0 + SQUARE[k + 1], originR, originC, out);
  }
  out.row *= 4;
  out.col *= 4;
  return out;
}

/** fullPelSearch's step: the whole-sample position (r, c), unless outside the range or seen, kept in `best` if cheaper. */
function evaluateWhole(t: SearchTarget, r: number, c: number, originR: number, originC: number, best: SearchResult): void {
  if (r < t.minRow || r > t.maxRow || c < t.minCol || c > t.maxCol) return;
  const vr = r - originR;
  const vc = c - originC;
  if (vr >= 0 && vr < 64 && vc >= 0 && vc < 64) {
    const bit = vr * 64 + vc;
    if (visited[bit >> 5] & (1 << (bit & 31))) return;
    visited[bit >> 5] |= 1 << (bit & 31);
  }
  const rate = mvCost(t.pricing, 4 * r, 4 * c, t.bestRow, t.bestCol) * t.lambdaSad;
  const bestCost = best.cost;
  if (rate >= bestCost) return;
  const cost = sad(t.src, t.x, t.y, t.ref, t.x + c, t.y + r, t.w, t.h, bestCost - rate) + rate;
  if (cost < bestCost) {
    best.cost = cost;
    best.row = r;
    best.col = c;
  }
}

/** Bit set of evaluated positions for fullPelSearch (64 × 64 bits). */
const visited = new Uint32Array(128);

/** A 16x16 scratch plane for trial predictions. */
export function scratchPlane(w: number, h: number): Plane {
  return { data: new Uint8Array(w * h), stride: w, offset: 0, width: w, height: h, border: 0 };
}

/**
 * Quarter-sample refinement around `start` (quarter samples, its cost known):
 * half-sample steps, then (unless `quarter` is false) quarter-sample steps,
 * each trying `points` neighbours of the best position (see
 * Effort.subPelPoints) with the real interpolation filter and keeping the
 * cheapest (SAD + weighted rate).
 */
export function subPelSearch(
  t: SearchTarget, start: SearchResult, bilinear: boolean, pred: Plane, scratch: InterScratch, points: 4 | 5 | 8, out: SearchResult,
  quarter = true,
): SearchResult {
  out.row = start.row;
  out.col = start.col;
  out.cost = start.cost;
  for (let step = 2; step >= (quarter ? 1 : 2); step >>= 1) {
    const r0 = out.row;
    const c0 = out.col;
    if (points === 8) {
      for (let k = 0; k < 16; k += 2) trySubPel(t, r0 + step * SQUARE[k], c0 + step * SQUARE[k + 1], bilinear, pred, scratch, out);
      continue;
    }
    const up = trySubPel(t, r0 - step, c0, bilinear, pred, scratch, out);
    const down = trySubPel(t, r0 + step, c0, bilinear, pred, scratch, out);
    const left = trySubPel(t, r0, c0 - step, bilinear, pred, scratch, out);
    const right = trySubPel(t, r0, c0 + step, bilinear, pred, scratch, out);
    // The error surface is mostly smooth near its minimum: the corner
    // between the better vertical and the better horizontal neighbour is
    // the one likely to beat them.
    if (points === 5) trySubPel(t, r0 + (up <= down ? -step : step), c0 + (left <= right ? -step : step), bilinear, pred, scratch, out);
  }
  return out;
}

/**
 * subPelSearch's step: the vector (r, c) in quarter samples, kept in `best`
 * if cheaper. Returns its cost, or Infinity when it is out of range or its
 * rate alone exceeds the best cost (then its prediction is not formed).
 */
function trySubPel(t: SearchTarget, r: number, c: number, bilinear: boolean, pred: Plane, scratch: InterScratch, best: SearchResult): number {
  if (r < 4 * t.minRow || r > 4 * t.maxRow || c < 4 * t.minCol || c > 4 * t.maxCol) return Infinity;
  const rate = mvCost(t.pricing, r, c, t.bestRow, t.bestCol) * t.lambdaSad;
  const bestCost = best.cost;
  if (rate >= bestCost) return Infinity;
  predictInter(t.ref, pred, t.x, t.y, t.w, t.h, 2 * c, 2 * r, bilinear, scratch, 0, 0);
  const v = sad(t.src, t.x, t.y, pred, 0, 0, t.w, t.h, bestCost - rate) + rate;
  if (v < bestCost) {
    best.cost = v;
    best.row = r;
    best.col = c;
  }
  return v;
}
