// RFC 6386 sections 12 and 16-18 run backwards, quickly: the mode decision of
// the fastest speeds (4 and up). Candidates are compared by prediction error
// plus λ-weighted rate alone, without transforming them in full, and only the
// winner is transformed, quantized and coded (residual.ts). The error is the
// SATD of the residue (satd.ts): for a few more additions than the sum of
// absolute differences, it tells a residue that packs into a few levels from
// one that does not, which is most of what a trial encode would have told. On
// inter frames the last frame is the only reference, searched only when no
// neighbour's vector already predicts well; intra modes are tried when no
// vector predicts well enough.

import type { Image } from '../image.js';
import { predictInter } from '../inter.js';
import { loadLumaSubblockEdges, predictBlock, predictLoadedSubblock } from '../intra.js';
import { findNearMvs, keyFrameBModeContext } from '../modes.js';
import { B_DC_PRED, B_PRED, DC_PRED, INTRA_FRAME, LAST_FRAME, NEARESTMV, NEARMV, NEWMV, ZEROMV } from '../tables.js';
import { boolCost } from './costs.js';
import { type SearchContext, WHOLE_BLOCK_MODES } from './frame-context.js';
import { motionSearch, predictInterChroma, predictInterLuma } from './inter-search.js';
import { loadChromaEdges, loadLumaEdges } from './intra-search.js';
import { mvCost, sad as sadRegion } from './motion.js';
import { satd, satd4x4 } from './satd.js';
import { beginBPredTrial, chromaQuant, codeSubblock, lumaQuant } from './residual.js';
import type { MacroblockScratch } from './workspace.js';

/**
 * Chooses the macroblock's coding from prediction errors and rates alone,
 * then transforms and quantizes only the winner, into `m.best`.
 */
export function decideFast(sc: SearchContext, m: MacroblockScratch, mb: number, mbCol: number, mbRow: number): void {
  const f = m.fast;
  f.cost = Infinity;
  f.ref = INTRA_FRAME;
  f.mode = DC_PRED;
  f.row = 0;
  f.col = 0;
  const last = sc.refs[LAST_FRAME];
  if (!sc.keyFrame && last !== null) chooseFastInter(sc, m, last, mb, mbCol, mbRow);
  // Intra, when no vector predicts well enough (the effort says how well).
  if (f.ref === INTRA_FRAME || f.cost > sc.effort.fastIntraAbove) chooseFastIntra(sc, m, mb, mbCol, mbRow);
  // Code the winner.
  const best = m.best;
  best.ref = f.ref;
  best.yMode = f.mode;
  best.mvRow = f.row;
  best.mvCol = f.col;
  if (f.ref !== INTRA_FRAME) {
    const refImg = sc.refs[f.ref]!;
    predictInterLuma(sc, m, refImg, mbCol, mbRow, f.row, f.col);
    lumaQuant(sc, m, m.predY.data, true, best);
    predictInterChroma(sc, m, refImg, mbCol, mbRow, f.row, f.col);
    best.uvMode = DC_PRED;
    chromaQuant(sc, m, best);
    m.predictionIsBest = !sc.setup.fullPixel;
    return;
  }
  if (f.mode === B_PRED) {
    // bPredFast left the subblocks in `trial` (and in the frame).
    best.copyLumaFrom(m.trial);
  } else {
    predictBlock(f.mode, m.edgesY, m.predY.data, 0, 16);
    lumaQuant(sc, m, m.predY.data, true, best);
  }
  best.uvMode = chooseFastChroma(sc, m, mbCol, mbRow);
  chromaQuant(sc, m, best);
}

/** The cheapest of ZEROMV, NEARESTMV, NEARMV and (when they predict poorly) a searched NEWMV from the last frame, into `m.fast`. */
function chooseFastInter(sc: SearchContext, m: MacroblockScratch, last: Image, mb: number, mbCol: number, mbRow: number): void {
  const f = m.fast;
  const x = mbCol * 16;
  const y = mbRow * 16;
  const near = m.near;
  findNearMvs(sc.modes, mb, mbCol, mbRow, LAST_FRAME, sc.setup.modeContext.signBias, near);
  const base = sc.interBaseCost[LAST_FRAME];
  const p0 = near.modeProb(0), p1 = near.modeProb(1), p2 = near.modeProb(2), p3 = near.modeProb(3);
  considerFast(sc, m, last, x, y, ZEROMV, 0, 0, base + boolCost(p0, 0));
  if (near.nearestRow !== 0 || near.nearestCol !== 0) considerFast(sc, m, last, x, y, NEARESTMV, near.nearestRow, near.nearestCol, base + boolCost(p0, 1) + boolCost(p1, 0));
  if ((near.nearRow !== 0 || near.nearCol !== 0) && (near.nearRow !== near.nearestRow || near.nearCol !== near.nearestCol)) {
    considerFast(sc, m, last, x, y, NEARMV, near.nearRow, near.nearCol, base + boolCost(p0, 1) + boolCost(p1, 1) + boolCost(p2, 0));
  }
  // Search unless the best so far already predicts almost perfectly.
  if (f.cost > sc.effort.searchBelow) {
    const found = motionSearch(sc, m, last, mb, mbCol, mbRow);
    if (found !== null && (found.row !== f.row || found.col !== f.col)) {
      const modeRate = base + boolCost(p0, 1) + boolCost(p1, 1) + boolCost(p2, 1) + boolCost(p3, 0);
      // The search ranked vectors by SAD; the winner is compared with the others by SATD.
      const cost = interSad(sc, m, last, x, y, found.row, found.col) + (modeRate + mvCost(sc.pricing, found.row, found.col, near.bestRow, near.bestCol)) * sc.lambdaSad;
      if (cost < f.cost) {
        f.cost = cost;
        f.ref = LAST_FRAME;
        f.mode = NEWMV;
        f.row = found.row;
        f.col = found.col;
      }
    }
  }
}

/**
 * The whole-block intra modes, and on key frames B_PRED, against the choice
 * in `m.fast`: an intra mode that costs less replaces it (keeping its vector,
 * which an intra macroblock does not code). Leaves the luma edges loaded.
 */
function chooseFastIntra(sc: SearchContext, m: MacroblockScratch, mb: number, mbCol: number, mbRow: number): void {
  const f = m.fast;
  const lambda = sc.lambdaSad;
  const yPos = loadLumaEdges(sc, m, mbCol, mbRow);
  for (const mode of WHOLE_BLOCK_MODES) {
    predictBlock(mode, m.edgesY, m.predY.data, 0, 16);
    const cost = satd(m.src, 0, 16, m.predY.data, 0, 16, 16, 16) + sc.yModeCost[mode] * lambda;
    if (cost < f.cost) {
      f.cost = cost;
      f.ref = INTRA_FRAME;
      f.mode = mode;
    }
  }
  const e = sc.effort;
  if (sc.keyFrame || (e.fastInterBPred && f.cost > e.fastInterBPredAbove * sc.bPredMinRate * lambda)) {
    // B_PRED is tried (and kept only if it wins) on key frames, and on inter frames when the effort allows.
    const cost = bPredFast(sc, m, mb, mbCol, mbRow, yPos, f.cost);
    if (cost < f.cost) {
      f.cost = cost;
      f.ref = INTRA_FRAME;
      f.mode = B_PRED;
    }
  }
}

/** The chroma mode of an intra macroblock by prediction error and rate; leaves its prediction in predU/predV. */
function chooseFastChroma(sc: SearchContext, m: MacroblockScratch, mbCol: number, mbRow: number): number {
  loadChromaEdges(sc, m, mbCol, mbRow);
  let bestUv = DC_PRED;
  let bestUvCost = Infinity;
  for (let k = 0; k < sc.effort.chromaModes; k++) {
    const mode = WHOLE_BLOCK_MODES[k];
    predictBlock(mode, m.edgesU, m.predU.data, 0, 8);
    predictBlock(mode, m.edgesV, m.predV.data, 0, 8);
    const cost = sadRegion(sc.raw.u, mbCol * 8, mbRow * 8, m.predU, 0, 0, 8, 8) + sadRegion(sc.raw.v, mbCol * 8, mbRow * 8, m.predV, 0, 0, 8, 8) + sc.uvModeCost[mode] * sc.lambdaSad;
    if (cost < bestUvCost) {
      bestUvCost = cost;
      bestUv = mode;
    }
  }
  predictBlock(bestUv, m.edgesU, m.predU.data, 0, 8);
  predictBlock(bestUv, m.edgesV, m.predV.data, 0, 8);
  return bestUv;
}

/** Keeps an inter candidate from the last frame in `m.fast` if its error plus weighted rate is lower. */
function considerFast(sc: SearchContext, m: MacroblockScratch, ref: Image, x: number, y: number, mode: number, row: number, col: number, rate: number): void {
  const f = m.fast;
  const cost = interSad(sc, m, ref, x, y, row, col) + rate * sc.lambdaSad;
  if (cost < f.cost) {
    f.cost = cost;
    f.ref = LAST_FRAME;
    f.mode = mode;
    f.row = row;
    f.col = col;
  }
}

/** Prediction error of the luma block at (x, y) displaced by (row, col) quarter samples. */
function interSad(sc: SearchContext, m: MacroblockScratch, ref: Image, x: number, y: number, row: number, col: number): number {
  if ((row & 3) === 0 && (col & 3) === 0) {
    const p = ref.y;
    return satd(m.src, 0, 16, p.data, p.offset + (y + (row >> 2)) * p.stride + x + (col >> 2), p.stride, 16, 16);
  }
  predictInter(ref.y, m.predY, x, y, 16, 16, 2 * col, 2 * row, sc.setup.bilinear || sc.effort.subPelBilinear, m.inter, 0, 0);
  return satd(m.src, 0, 16, m.predY.data, 0, 16, 16, 16);
}

/**
 * B_PRED chosen per subblock by prediction error and mode rate, each
 * subblock quantized and reconstructed in place before the next; the result
 * is left in `trial`. Returns the total of errors and weighted rates, or
 * Infinity once it reaches `limit`.
 */
function bPredFast(sc: SearchContext, m: MacroblockScratch, mb: number, mbCol: number, mbRow: number, yPos: number, limit: number): number {
  const t = beginBPredTrial(m);
  const data = sc.img.y.data;
  const ys = sc.img.y.stride;
  const bModes = sc.modes.bModes;
  const base = 16 * mb;
  const lambda = sc.lambdaSad;
  let total = sc.yModeCost[B_PRED] * lambda;
  const modes = sc.keyFrame ? 10 : sc.effort.fastBModes;
  for (let b = 0; b < 16; b++) {
    const bx = b & 3;
    const by = b >> 2;
    const ctx = sc.keyFrame ? keyFrameBModeContext(sc.modes, mb, mbCol, mbRow, b) : 0;
    let bestMode = B_DC_PRED;
    let bestCost = Infinity;
    const pos = loadLumaSubblockEdges(m.edgesY, m.sub, data, yPos, ys, b);
    for (let mode = 0; mode < modes; mode++) {
      predictLoadedSubblock(mode, data, pos, ys);
      const err = satd4x4(m.src, (4 * by) * 16 + 4 * bx, 16, data, pos, ys);
      const cost = err + sc.bModeCost[sc.keyFrame ? ctx * 10 + mode : mode] * lambda;
      if (cost < bestCost) {
        bestCost = cost;
        bestMode = mode;
      }
    }
    total += bestCost;
    if (total >= limit) return Infinity;
    // Quantize and reconstruct the chosen subblock for the ones after it.
    codeSubblock(sc, m, t, b, bestMode, yPos, -1);
    bModes[base + b] = bestMode;
  }
  return total;
}
