// RFC 6386 sections 16-18 run backwards: choosing the inter prediction of a
// macroblock by rate and distortion.
//
// For a reference picture, the candidates are the vectors the mode syntax
// codes cheaply — ZEROMV, and NEARESTMV and NEARMV from the neighbour survey
// of section 16.3 (the decoder's findNearMvs) — a NEWMV vector found by a
// motion search around them (motion.ts), and SPLITMV (section 16.4) with a
// vector per partition. Each is predicted with the decoder's predictInter,
// and its residue coded and costed in full (residual.ts).

import type { Image } from '../image.js';
import { predictInter, splitChromaMvs } from '../inter.js';
import { findNearMvs, type NearMvs, subblockNeighbourMvs, subMvContext } from '../modes.js';
import {
  ABOVE4X4, ALTREF_FRAME, DC_PRED, GOLDEN_FRAME, LAST_FRAME, LEFT4X4, MV_PARTITION_COUNT, MV_PARTITIONS, NEARESTMV, NEARMV, NEW4X4, NEWMV, SPLIT_MV_PROBS,
  SPLIT_MV_TREE, SPLITMV, SUBMV_REF_PROBS, SUBMV_REF_TREE, ZERO4X4, ZEROMV,
} from '../tables.js';
import { boolCost, treeCost } from './costs.js';
import { rdCost, type SearchContext } from './frame-context.js';
import {
  fullPelSearch, mvCost, sad as sadRegion, type SearchResult, type SearchTarget, subPelSearch,
} from './motion.js';
import { chromaRd, lumaRd } from './residual.js';
import type { MacroblockScratch } from './workspace.js';

/**
 * The best inter coding from reference `ref`; if it beats `bestJ`, it is
 * copied into `m.best` (luma and chroma). Returns its cost.
 */
export function chooseInter(
  sc: SearchContext, m: MacroblockScratch, mb: number, mbCol: number, mbRow: number, ref: number, refImg: Image, bestJ: number,
): number {
  const near = m.near;
  findNearMvs(sc.modes, mb, mbCol, mbRow, ref, sc.setup.modeContext.signBias, near);
  let localBest = Infinity;

  const tryVector = (mode: number, row: number, col: number, modeRate: number): void => {
    const jj = interRd(sc, m, mbCol, mbRow, ref, refImg, mode, row, col, modeRate);
    if (jj < localBest) localBest = jj;
    if (jj < bestJ) {
      bestJ = jj;
      m.best.copyLumaFrom(m.trial);
      m.best.copyChromaFrom(m.chromaTrial);
    }
  };

  tryVector(ZEROMV, 0, 0, interModeRate(sc, near, ref, ZEROMV));
  if (near.nearestRow !== 0 || near.nearestCol !== 0) tryVector(NEARESTMV, near.nearestRow, near.nearestCol, interModeRate(sc, near, ref, NEARESTMV));
  if (distinctNear(near)) tryVector(NEARMV, near.nearRow, near.nearCol, interModeRate(sc, near, ref, NEARMV));
  // NEWMV: search around the neighbours' vectors.
  const found = motionSearch(sc, m, refImg, mb, mbCol, mbRow);
  if (found !== null) {
    const newRate = interModeRate(sc, near, ref, NEWMV) + mvCost(sc.pricing, found.row, found.col, near.bestRow, near.bestCol);
    const same = (r: number, cc: number): boolean => found.row === r && found.col === cc;
    if (!same(0, 0) && !same(near.nearestRow, near.nearestCol) && !same(near.nearRow, near.nearCol)) tryVector(NEWMV, found.row, found.col, newRate);
  }
  // SPLITMV (section 16.4): a vector per partition.
  const splitBase = interModeRate(sc, near, ref, SPLITMV);
  for (const s of sc.effort.splits) {
    const jj = trySplit(sc, m, mb, mbCol, mbRow, ref, refImg, s, splitBase, found);
    if (jj < localBest) localBest = jj;
    if (jj < bestJ) {
      bestJ = jj;
      m.best.copyLumaFrom(m.trial);
      m.best.copyChromaFrom(m.chromaTrial);
    }
  }
  return localBest;
}

/**
 * Reference `ref` (LAST_FRAME..ALTREF_FRAME) if the decision should try it,
 * else null: the last frame whenever there is one; golden and altref only
 * when the speed allows, and only when they are pictures of their own (a
 * copy of an earlier reference would repeat its search).
 */
export function searchedReference(sc: SearchContext, ref: number): Image | null {
  const refs = sc.refs;
  const img = refs[ref];
  if (img === null || ref === LAST_FRAME) return img;
  if (!sc.effort.goldenAltref || img === refs[LAST_FRAME] || (ref === ALTREF_FRAME && img === refs[GOLDEN_FRAME])) return null;
  return img;
}

/**
 * The rate of inter mode `mode` (ZEROMV ... SPLITMV) from reference `ref`,
 * with the neighbour survey in `near`: the reference's bools and the mode's
 * path down the tree (section 16.3), without NEWMV's vector or SPLITMV's
 * partitions.
 */
export function interModeRate(sc: SearchContext, near: NearMvs, ref: number, mode: number): number {
  let rate = sc.interBaseCost[ref];
  const depth = mode === ZEROMV ? 0 : mode === NEARESTMV ? 1 : mode === NEARMV ? 2 : mode === NEWMV ? 3 : 4;
  for (let i = 0; i < depth; i++) rate += boolCost(near.modeProb(i), 1);
  if (depth < 4) rate += boolCost(near.modeProb(depth), 0);
  return rate;
}

/** NEARMV is worth a trial: a non-zero vector other than NEARESTMV's. */
export function distinctNear(near: NearMvs): boolean {
  return (near.nearRow !== 0 || near.nearCol !== 0) && (near.nearRow !== near.nearestRow || near.nearCol !== near.nearestCol);
}

/**
 * A whole-macroblock vector (row, col) from reference `ref` with `mode`,
 * whose mode and vector cost `modeRate`: predicted, coded and costed in full
 * into `trial` (luma) and `chromaTrial`. Returns its cost J.
 */
export function interRd(
  sc: SearchContext, m: MacroblockScratch, mbCol: number, mbRow: number, ref: number, refImg: Image,
  mode: number, row: number, col: number, modeRate: number,
): number {
  const t = m.trial;
  const c = m.chromaTrial;
  predictInterLuma(sc, m, refImg, mbCol, mbRow, row, col);
  t.yMode = mode;
  t.ref = ref;
  t.mvRow = row;
  t.mvCol = col;
  lumaRd(sc, m, m.predY.data, true, t);
  t.lumaRate += modeRate;
  predictInterChroma(sc, m, refImg, mbCol, mbRow, row, col);
  c.uvMode = DC_PRED;
  chromaRd(sc, m, c);
  return rdCost(sc, t.lumaRate + c.chromaRate, t.lumaDist + c.chromaDist);
}

/**
 * One SPLITMV partitioning: the partition vectors (chooseSplitVectors),
 * then the luma and chroma prediction from those vectors, fully costed.
 * Leaves the result in `trial`/`chromaTrial`; returns its cost.
 */
function trySplit(
  sc: SearchContext, m: MacroblockScratch, mb: number, mbCol: number, mbRow: number,
  ref: number, refImg: Image, s: number, baseRate: number, whole: SearchResult | null,
): number {
  const t = m.trial;
  const rate = chooseSplitVectors(sc, m, mb, mbCol, mbRow, refImg, s, baseRate, whole);
  // Luma prediction from the partition vectors, then the full cost.
  const bMv = sc.modes.bMv;
  const base = 32 * mb;
  const x0 = mbCol * 16;
  const y0 = mbRow * 16;
  for (let b = 0; b < 16; b++) {
    const bx = 4 * (b & 3);
    const by = 4 * (b >> 2);
    predictInter(refImg.y, m.predY, x0 + bx, y0 + by, 4, 4, 2 * bMv[base + 2 * b + 1], 2 * bMv[base + 2 * b], sc.setup.bilinear, m.inter, bx, by);
  }
  t.yMode = SPLITMV;
  t.ref = ref;
  t.partitioning = s;
  t.bMv.set(bMv.subarray(base, base + 32));
  t.mvRow = bMv[base + 30];
  t.mvCol = bMv[base + 31];
  lumaRd(sc, m, m.predY.data, false, t);
  t.lumaRate += rate;
  // Chroma: each 4x4 block from the average of the luma vectors it covers, as the decoder forms it.
  const c = m.chromaTrial;
  const cmv = m.inter.chromaMvs;
  splitChromaMvs(bMv, base, sc.setup.fullPixel, cmv);
  for (let k = 0; k < 4; k++) {
    const cx = 4 * (k & 1);
    const cy = 4 * (k >> 1);
    predictInter(refImg.u, m.predU, mbCol * 8 + cx, mbRow * 8 + cy, 4, 4, cmv[2 * k + 1], cmv[2 * k], sc.setup.bilinear, m.inter, cx, cy);
    predictInter(refImg.v, m.predV, mbCol * 8 + cx, mbRow * 8 + cy, 4, 4, cmv[2 * k + 1], cmv[2 * k], sc.setup.bilinear, m.inter, cx, cy);
  }
  c.uvMode = DC_PRED;
  chromaRd(sc, m, c);
  return rdCost(sc, t.lumaRate + c.chromaRate, t.lumaDist + c.chromaDist);
}

/**
 * The vectors of partitioning s: for each partition in coding order, the
 * cheapest of its four codings (the vector to the left, above, zero, or a
 * new one found by a search over the partition) by prediction error and
 * rate. Writes them into this macroblock's subblock vectors of the frame's
 * modes (where the next partitions' neighbour survey reads them) and each
 * partition's coding into `trial`; returns the rate of the modes and vectors.
 */
function chooseSplitVectors(
  sc: SearchContext, m: MacroblockScratch, mb: number, mbCol: number, mbRow: number,
  refImg: Image, s: number, baseRate: number, whole: SearchResult | null,
): number {
  const modes = sc.modes;
  const near = m.near;
  const layout = MV_PARTITIONS[s];
  const parts = MV_PARTITION_COUNT[s];
  const bMv = modes.bMv; // this macroblock's entries serve as the working vectors
  const base = 32 * mb;
  let rate = baseRate + treeCost(SPLIT_MV_TREE, SPLIT_MV_PROBS, 0, s);
  const nb = m.neighbourMvs;
  const x0 = mbCol * 16;
  const y0 = mbRow * 16;
  for (let j = 0; j < parts; j++) {
    let k = 0;
    while (layout[k] !== j) k++;
    // The partition's rectangle in 4x4 units.
    let kx0 = 4, ky0 = 4, kx1 = -1, ky1 = -1;
    for (let b = 0; b < 16; b++) {
      if (layout[b] !== j) continue;
      kx0 = Math.min(kx0, b & 3);
      ky0 = Math.min(ky0, b >> 2);
      kx1 = Math.max(kx1, b & 3);
      ky1 = Math.max(ky1, b >> 2);
    }
    const px = x0 + 4 * kx0;
    const py = y0 + 4 * ky0;
    const pw = 4 * (kx1 - kx0 + 1);
    const ph = 4 * (ky1 - ky0 + 1);
    subblockNeighbourMvs(modes, mb, mbCol, mbRow, k, nb);
    const context = subMvContext(nb[0], nb[1], nb[2], nb[3]);
    const modeCost = (mode: number): number => treeCost(SUBMV_REF_TREE, SUBMV_REF_PROBS, context * 3, mode);
    // Candidates: left, above, zero (their vectors are free), and a searched one.
    let bestCost = Infinity;
    let bestMode = ZERO4X4;
    let bestRow = 0;
    let bestCol = 0;
    const consider = (mode: number, r: number, c: number, extraRate: number): void => {
      predictInter(refImg.y, m.predY, px, py, pw, ph, 2 * c, 2 * r, sc.setup.bilinear, m.inter, px & 15, py & 15);
      const cost = sadRegion(sc.raw.y, px, py, m.predY, px - x0, py - y0, pw, ph) + (modeCost(mode) + extraRate) * sc.lambdaSad;
      if (cost < bestCost) {
        bestCost = cost;
        bestMode = mode;
        bestRow = r;
        bestCol = c;
      }
    };
    consider(LEFT4X4, nb[0], nb[1], 0);
    consider(ABOVE4X4, nb[2], nb[3], 0);
    consider(ZERO4X4, 0, 0, 0);
    const found = searchRegion(sc, m, refImg, px, py, pw, ph, nb, whole);
    if (found !== null) {
      consider(NEW4X4, found.row, found.col, mvCost(sc.pricing, found.row, found.col, near.bestRow, near.bestCol));
    }
    rate += modeCost(bestMode) + (bestMode === NEW4X4 ? mvCost(sc.pricing, bestRow, bestCol, near.bestRow, near.bestCol) : 0);
    m.trial.subMvMode[j] = bestMode;
    for (let b = 0; b < 16; b++) {
      if (layout[b] === j) {
        bMv[base + 2 * b] = bestRow;
        bMv[base + 2 * b + 1] = bestCol;
      }
    }
  }
  return rate;
}

/** Motion search for one SPLITMV partition, seeded with its neighbours and the whole-block vector. */
function searchRegion(
  sc: SearchContext, m: MacroblockScratch, refImg: Image, px: number, py: number, pw: number, ph: number,
  nb: Int32Array, whole: SearchResult | null,
): SearchResult | null {
  const near = m.near;
  const starts = m.starts;
  let n = 0;
  const add = (r: number, c: number): void => {
    starts[2 * n] = r;
    starts[2 * n + 1] = c;
    n++;
  };
  add(near.bestRow, near.bestCol);
  add(nb[0], nb[1]);
  add(nb[2], nb[3]);
  add(0, 0);
  if (whole !== null) add(whole.row, whole.col);
  const target = searchTarget(sc, m, refImg, px, py, pw, ph);
  if (target === null) return null;
  const full = fullPelSearch(target, starts, n, Math.max(2, sc.effort.searchRange >> 2), m.search);
  if (full.cost === Infinity) return null;
  return subPelSearch(target, full, sc.setup.bilinear || sc.effort.subPelBilinear, m.regionPred, m.inter, sc.effort.subPelPoints, m.refined);
}

/** Predicts the luma of macroblock (mbCol, mbRow) with vector (row, col) into `m.predY`. */
export function predictInterLuma(sc: SearchContext, m: MacroblockScratch, refImg: Image, mbCol: number, mbRow: number, row: number, col: number): void {
  predictInter(refImg.y, m.predY, mbCol * 16, mbRow * 16, 16, 16, 2 * col, 2 * row, sc.setup.bilinear, m.inter, 0, 0);
}

/** Predicts the chroma of macroblock (mbCol, mbRow) with vector (row, col) into `m.predU`, `m.predV`. */
export function predictInterChroma(sc: SearchContext, m: MacroblockScratch, refImg: Image, mbCol: number, mbRow: number, row: number, col: number): void {
  // The chroma vector in eighths of a chroma sample has the luma vector's value.
  predictInter(refImg.u, m.predU, mbCol * 8, mbRow * 8, 8, 8, col, row, sc.setup.bilinear, m.inter, 0, 0);
  predictInter(refImg.v, m.predV, mbCol * 8, mbRow * 8, 8, 8, col, row, sc.setup.bilinear, m.inter, 0, 0);
}

/**
 * Whole- then sub-sample motion search for the macroblock, around the
 * neighbour survey in `m.near`; null when no vector can be coded.
 */
export function motionSearch(sc: SearchContext, m: MacroblockScratch, refImg: Image, mb: number, mbCol: number, mbRow: number): SearchResult | null {
  const near = m.near;
  const modes = sc.modes;
  const starts = m.starts;
  starts[0] = near.bestRow;
  starts[1] = near.bestCol;
  starts[2] = 0;
  starts[3] = 0;
  starts[4] = near.nearestRow;
  starts[5] = near.nearestCol;
  starts[6] = near.nearRow;
  starts[7] = near.nearCol;
  let n = 4;
  if (mbCol > 0) {
    starts[2 * n] = modes.mv[2 * (mb - 1)];
    starts[2 * n + 1] = modes.mv[2 * (mb - 1) + 1];
    n++;
  }
  if (mbRow > 0) {
    starts[2 * n] = modes.mv[2 * (mb - sc.mbCols)];
    starts[2 * n + 1] = modes.mv[2 * (mb - sc.mbCols) + 1];
    n++;
  }
  const target = searchTarget(sc, m, refImg, mbCol * 16, mbRow * 16, 16, 16);
  if (target === null) return null;
  const e = sc.effort;
  const full = fullPelSearch(target, starts, n, e.searchRange, m.search, e.finalSquare, e.agreedRange);
  if (full.cost === Infinity) return null;
  return subPelSearch(target, full, sc.setup.bilinear || e.subPelBilinear, m.predY, m.inter, e.subPelPoints, m.refined);
}

/**
 * The search of a block at (x, y) of w×h: vectors keep the block (with the
 * filter's taps) inside the reference's border, and within what can be
 * coded relative to the best vector. Null when no vector qualifies.
 */
function searchTarget(sc: SearchContext, m: MacroblockScratch, refImg: Image, x: number, y: number, w: number, h: number): SearchTarget | null {
  const near = m.near;
  const border = refImg.y.border - 4;
  const reach = 255;
  const t = m.target;
  t.src = sc.raw.y;
  t.ref = refImg.y;
  t.x = x;
  t.y = y;
  t.w = w;
  t.h = h;
  t.bestRow = near.bestRow;
  t.bestCol = near.bestCol;
  t.pricing = sc.pricing;
  t.lambdaSad = sc.lambdaSad;
  t.minRow = Math.max(-border - y, (near.bestRow >> 2) - reach);
  t.maxRow = Math.min(refImg.y.height + border - h - y, (near.bestRow >> 2) + reach);
  t.minCol = Math.max(-border - x, (near.bestCol >> 2) - reach);
  t.maxCol = Math.min(refImg.y.width + border - w - x, (near.bestCol >> 2) + reach);
  return t.minRow > t.maxRow || t.minCol > t.maxCol ? null : t;
}
