// RFC 6386 section 12 run backwards: choosing the intra prediction of a
// macroblock by rate and distortion.
//
// Luma and chroma are chosen separately. For luma, the four whole-block modes
// are each predicted, transformed, quantized and costed in full (residual.ts);
// then B_PRED, whose subblock modes are chosen one subblock at a time, each
// subblock reconstructed in the frame before the next is chosen, since later
// subblocks predict from it (section 12.3). For chroma, the first
// `effort.chromaModes` whole-block modes are tried the same way.

import { loadLumaSubblockEdges, predictBlock, predictLoadedSubblock, predictLumaSubblock } from '../intra.js';
import { keyFrameBModeContext } from '../modes.js';
import { B_DC_PRED, B_PRED, INTRA_FRAME } from '../tables.js';
import { blockTypeOffset } from '../tokens.js';
import { forwardDctForQuantizer } from './fdct.js';
import { type FrameContext, rdCost, type SearchContext, WHOLE_BLOCK_MODES } from './frame-context.js';
import { quantizeBlock } from './quantize.js';
import { acRounding, addBlockResidue, beginBPredTrial, chromaRd, dcRounding, lumaRd } from './residual.js';
import { satd4x4 } from './satd.js';
import { trimBlock } from './trellis.js';
import type { MacroblockScratch } from './workspace.js';

/** Loads the luma edges of macroblock (mbCol, mbRow) from the reconstruction into `m.edgesY`; returns its position. */
export function loadLumaEdges(fc: FrameContext, m: MacroblockScratch, mbCol: number, mbRow: number): number {
  const Y = fc.img.y;
  const yPos = Y.offset + mbRow * 16 * Y.stride + mbCol * 16;
  m.edgesY.load(Y.data, yPos, Y.stride, mbCol, mbRow, mbCol === fc.mbCols - 1);
  return yPos;
}

/** Loads the chroma edges of macroblock (mbCol, mbRow) from the reconstruction into `m.edgesU`, `m.edgesV`. */
export function loadChromaEdges(fc: FrameContext, m: MacroblockScratch, mbCol: number, mbRow: number): void {
  const U = fc.img.u, V = fc.img.v;
  const rightmost = mbCol === fc.mbCols - 1;
  m.edgesU.load(U.data, U.offset + mbRow * 8 * U.stride + mbCol * 8, U.stride, mbCol, mbRow, rightmost);
  m.edgesV.load(V.data, V.offset + mbRow * 8 * V.stride + mbCol * 8, V.stride, mbCol, mbRow, rightmost);
}

/** Picks the best intra coding into `m.best` (luma and chroma); returns its total cost. */
export function chooseIntra(sc: SearchContext, m: MacroblockScratch, mb: number, mbCol: number, mbRow: number): number {
  const yPos = loadLumaEdges(sc, m, mbCol, mbRow);
  const best = m.best;
  let bestLumaJ = Infinity;
  for (const mode of WHOLE_BLOCK_MODES) {
    const jj = intraLumaRd(sc, m, mode);
    if (jj < bestLumaJ) {
      bestLumaJ = jj;
      best.copyLumaFrom(m.trial);
    }
  }
  const jb = searchBPred(sc, m, mb, mbCol, mbRow, yPos, bestLumaJ, 10);
  if (jb < bestLumaJ) {
    bestLumaJ = jb;
    best.copyLumaFrom(m.trial);
    // No later candidate (chroma, inter) writes into the frame's luma.
    m.bPredInFrame = true;
  }
  // Chroma.
  loadChromaEdges(sc, m, mbCol, mbRow);
  let bestChromaJ = Infinity;
  for (let k = 0; k < sc.effort.chromaModes; k++) {
    const jj = intraChromaRd(sc, m, WHOLE_BLOCK_MODES[k]);
    if (jj < bestChromaJ) {
      bestChromaJ = jj;
      best.copyChromaFrom(m.chromaTrial);
    }
  }
  return bestLumaJ + bestChromaJ;
}

/** Whole-block luma mode `mode` (edges loaded) coded and costed in full into `trial`; returns its cost J. */
export function intraLumaRd(sc: SearchContext, m: MacroblockScratch, mode: number): number {
  const t = m.trial;
  predictBlock(mode, m.edgesY, m.predY.data, 0, 16);
  t.yMode = mode;
  t.ref = INTRA_FRAME;
  t.mvRow = t.mvCol = 0;
  lumaRd(sc, m, m.predY.data, true, t);
  t.lumaRate += sc.yModeCost[mode];
  return rdCost(sc, t.lumaRate, t.lumaDist);
}

/** Chroma mode `mode` (edges loaded) coded and costed in full into `chromaTrial`; returns its cost J. */
export function intraChromaRd(sc: SearchContext, m: MacroblockScratch, mode: number): number {
  const c = m.chromaTrial;
  predictBlock(mode, m.edgesU, m.predU.data, 0, 8);
  predictBlock(mode, m.edgesV, m.predV.data, 0, 8);
  c.uvMode = mode;
  chromaRd(sc, m, c);
  c.chromaRate += sc.uvModeCost[mode];
  return rdCost(sc, c.chromaRate, c.chromaDist);
}

/**
 * B_PRED (section 12.3): the best mode of each subblock in turn, each
 * reconstructed in the frame before the next is chosen. With `keep` below
 * 10, the ten modes of a subblock are first ranked by SATD and mode rate
 * (satd.ts) and only the `keep` best are coded in full. Leaves the result
 * in `trial`; returns its cost, or Infinity once it cannot beat `limit`.
 */
export function searchBPred(
  sc: SearchContext, m: MacroblockScratch, mb: number, mbCol: number, mbRow: number, yPos: number, limit: number, keep: number,
): number {
  const t = beginBPredTrial(m);
  const data = sc.img.y.data;
  const ys = sc.img.y.stride;
  const walk = m.walk;
  walk.copyColumn(m.entry, 0);
  const type = blockTypeOffset(0, false);
  let rate = sc.yModeCost[B_PRED];
  let dist = 0;
  const q = m.quant;
  const dcRound = dcRounding(q.y1Dc);
  const acRound = acRounding(q.y1Ac);
  const { src, resid, coef, blockLevels, blockDq, blockRecon, tokenCosts } = m;
  // Key-frame contexts read the modes of this macroblock's subblocks as they are chosen.
  const bModes = sc.modes.bModes;
  const base = 16 * mb;
  const pace = sc.effort.bPredPace > 0 ? sc.effort.bPredPace : Infinity;
  for (let b = 0; b < 16; b++) {
    const bx = b & 3;
    const by = b >> 2;
    const ctx = sc.keyFrame ? keyFrameBModeContext(sc.modes, mb, mbCol, mbRow, b) : 0;
    let bestJ = Infinity;
    let bestMode = B_DC_PRED;
    let bestEob = 0;
    let bestRate = 0;
    let bestDist = 0;
    const tokenCtx = walk.context(0, b);
    const tried = keep < 10 ? screenSubblockModes(sc, m, b, ctx, yPos, keep) : ALL_SUBBLOCK_MODES;
    // Last to first, so the likeliest winner's prediction is the one left in
    // the frame (ties still go to the earlier mode).
    for (let i = keep - 1; i >= 0; i--) {
      const mode = tried[i];
      const pos = predictLumaSubblock(mode, m.edgesY, m.sub, data, yPos, ys, b);
      // Residue and transform.
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 4; c++) resid[r * 4 + c] = src[(4 * by + r) * 16 + 4 * bx + c] - data[pos + r * ys + c];
      }
      forwardDctForQuantizer(resid, 0, 4, coef, 0, q.y1Ac, acRound);
      let eob = quantizeBlock(coef, 0, 0, q.y1Dc, q.y1Ac, dcRound, acRound, blockLevels, 0, blockDq, 0);
      if (sc.effort.rdoQuant && eob > 0) eob = trimBlock(coef, blockLevels, blockDq, 0, 0, eob, sc.lambda, tokenCosts, type, tokenCtx);
      // Distortion of the reconstruction.
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) blockRecon[r * 4 + c] = data[pos + r * ys + c];
      addBlockResidue(blockDq, 0, eob, blockRecon, 0, 4);
      let d = 0;
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 4; c++) {
          const e = src[(4 * by + r) * 16 + 4 * bx + c] - blockRecon[r * 4 + c];
          d += e * e;
        }
      }
      const r = tokenCosts.block(type, tokenCtx, 0, blockLevels, 0, eob) + sc.bModeCost[sc.keyFrame ? ctx * 10 + mode : mode];
      const jj = rdCost(sc, r, d);
      if (jj <= bestJ) {
        bestJ = jj;
        bestMode = mode;
        bestEob = eob;
        bestRate = r;
        bestDist = d;
        t.levels.set(blockLevels, 16 * b);
        t.dq.set(blockDq, 16 * b);
      }
    }
    rate += bestRate;
    dist += bestDist;
    const jSoFar = rdCost(sc, rate, dist);
    if (jSoFar >= limit) return Infinity;
    if (b >= 7 && jSoFar * 16 >= pace * (b + 1) * limit) return Infinity;
    // Reconstruct the chosen subblock in place for the ones after it.
    t.bModes[b] = bestMode;
    bModes[base + b] = bestMode;
    t.eobs[b] = bestEob;
    const pos = bestMode === tried[0] ? yPos + 4 * by * ys + 4 * bx : predictLumaSubblock(bestMode, m.edgesY, m.sub, data, yPos, ys, b);
    addBlockResidue(t.dq, 16 * b, bestEob, data, pos, ys);
    walk.record(0, b, bestEob);
  }
  t.lumaRate = rate;
  t.lumaDist = dist;
  return rdCost(sc, rate, dist);
}

const ALL_SUBBLOCK_MODES = Uint8Array.from({ length: 10 }, (_, i) => i);

/**
 * The `keep` subblock modes of subblock b with the lowest SATD plus weighted
 * mode rate, best first, in `m.subModes`.
 */
function screenSubblockModes(sc: SearchContext, m: MacroblockScratch, b: number, ctx: number, yPos: number, keep: number): Uint8Array {
  const data = sc.img.y.data;
  const ys = sc.img.y.stride;
  const order = m.subModes;
  const costs = m.subModeCosts;
  const so = (b >> 2) * 64 + (b & 3) * 4;
  let n = 0;
  const pos = loadLumaSubblockEdges(m.edgesY, m.sub, data, yPos, ys, b);
  for (let mode = 0; mode < 10; mode++) {
    predictLoadedSubblock(mode, data, pos, ys);
    const cost = satd4x4(m.src, so, 16, data, pos, ys) + sc.bModeCost[sc.keyFrame ? ctx * 10 + mode : mode] * sc.lambdaSad;
    // Insert into the sorted list of the best `keep`.
    let k = n < keep ? n++ : keep;
    if (k === keep && cost >= costs[keep - 1]) continue;
    if (k === keep) k--;
    while (k > 0 && costs[k - 1] > cost) {
      costs[k] = costs[k - 1];
      order[k] = order[k - 1];
      k--;
    }
    costs[k] = cost;
    order[k] = mode;
  }
  return order;
}
