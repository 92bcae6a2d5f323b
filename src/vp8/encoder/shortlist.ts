// RFC 6386 sections 12 and 16-18 run backwards, in two passes: the mode
// decision of the middle speeds.
//
// Coding a candidate in full — transform, quantization, token costs,
// reconstruction — is what makes the rate-distortion decision of the slowest
// speeds exact, and slow. Most candidates are nowhere near winning, and a
// cheap estimate says which: the SATD of their prediction error (satd.ts)
// plus their mode and vector rate weighted by λ. So every candidate is first
// screened this way — for each reference ZEROMV, NEARESTMV, NEARMV and the
// NEWMV a motion search finds, and the four whole-block intra modes — and
// only the few best are coded in full; the rate-distortion cost J = D + λ·R
// picks among those. B_PRED, the most expensive candidate, is skipped when the
// best coding so far costs less than a few times B_PRED's mode rates alone,
// and its subblock modes are screened the same way. The chroma mode
// of an intra macroblock is screened too, and only the winner coded.

import { predictBlock } from '../intra.js';
import { findNearMvs } from '../modes.js';
import { ALTREF_FRAME, INTRA_FRAME, LAST_FRAME, NEARESTMV, NEARMV, NEWMV, ZEROMV } from '../tables.js';
import { type SearchContext, WHOLE_BLOCK_MODES } from './frame-context.js';
import type { Image } from '../image.js';
import { distinctNear, interModeRate, interRd, motionSearch, predictInterLuma, searchedReference } from './inter-search.js';
import { intraChromaRd, intraLumaRd, loadChromaEdges, loadLumaEdges, searchBPred } from './intra-search.js';
import { mvCost } from './motion.js';
import { satd } from './satd.js';
import { type MacroblockScratch, SOURCE_U, SOURCE_V } from './workspace.js';

/** Chooses the coding of macroblock mb by screening then coding the best few candidates, into `m.best`. */
export function chooseByShortlist(sc: SearchContext, m: MacroblockScratch, mb: number, mbCol: number, mbRow: number): void {
  const e = sc.effort;
  const list = m.shortlist;
  list.clear();
  // Inter candidates, from each reference worth searching.
  if (!sc.keyFrame) {
    for (let ref = LAST_FRAME; ref <= ALTREF_FRAME; ref++) {
      const refImg = searchedReference(sc, ref);
      if (refImg === null) continue;
      const near = m.near;
      findNearMvs(sc.modes, mb, mbCol, mbRow, ref, sc.setup.modeContext.signBias, near);
      screenInter(sc, m, refImg, mbCol, mbRow, ref, ZEROMV, 0, 0, interModeRate(sc, near, ref, ZEROMV));
      if (near.nearestRow !== 0 || near.nearestCol !== 0) screenInter(sc, m, refImg, mbCol, mbRow, ref, NEARESTMV, near.nearestRow, near.nearestCol, interModeRate(sc, near, ref, NEARESTMV));
      if (distinctNear(near)) screenInter(sc, m, refImg, mbCol, mbRow, ref, NEARMV, near.nearRow, near.nearCol, interModeRate(sc, near, ref, NEARMV));
      if (ref !== LAST_FRAME && !e.searchOtherRefs) continue;
      const found = motionSearch(sc, m, refImg, mb, mbCol, mbRow);
      if (found !== null && !list.has(ref, found.row, found.col)) {
        const rate = interModeRate(sc, near, ref, NEWMV) + mvCost(sc.pricing, found.row, found.col, near.bestRow, near.bestCol);
        screenInter(sc, m, refImg, mbCol, mbRow, ref, NEWMV, found.row, found.col, rate);
      }
    }
  }
  // Whole-block intra candidates.
  const yPos = loadLumaEdges(sc, m, mbCol, mbRow);
  for (const mode of WHOLE_BLOCK_MODES) {
    predictBlock(mode, m.edgesY, m.predY.data, 0, 16);
    const rateCost = sc.yModeCost[mode] * sc.lambdaSad;
    list.add(INTRA_FRAME, mode, 0, 0, 0, satd(m.src, 0, 16, m.predY.data, 0, 16, 16, 16, e.shortlistWithin * list.least - rateCost) + rateCost);
  }
  // The best few, coded in full.
  list.sort();
  const best = m.best;
  let bestJ = Infinity;
  let chromaJ = -1;
  const within = e.shortlistWithin * list.cost[list.order[0]];
  for (let i = 0; i < Math.min(e.shortlist, list.count); i++) {
    const k = list.order[i];
    if (list.cost[k] > within) break;
    const ref = list.ref[k];
    let j: number;
    if (ref === INTRA_FRAME) {
      if (chromaJ < 0) chromaJ = chooseChroma(sc, m, mbCol, mbRow);
      j = intraLumaRd(sc, m, list.mode[k]) + chromaJ;
      if (j < bestJ) {
        best.copyLumaFrom(m.trial);
        best.copyChromaFrom(m.intraChroma);
      }
    } else {
      j = interRd(sc, m, mbCol, mbRow, ref, sc.refs[ref]!, list.mode[k], list.row[k], list.col[k], list.rate[k]);
      if (j < bestJ) {
        best.copyLumaFrom(m.trial);
        best.copyChromaFrom(m.chromaTrial);
        m.bestPredY.set(m.predY.data);
        m.bestPredU.set(m.predU.data);
        m.bestPredV.set(m.predV.data);
      }
    }
    if (j < bestJ) bestJ = j;
  }
  // B_PRED, unless the best coding so far costs less than B_PRED's modes
  // alone would, times a margin (what its residue adds is seldom little):
  // with 4, B_PRED is tried on a third fewer macroblocks of foreman at
  // quantizer 32, two thirds fewer at 48, and loses 2% of its wins.
  if (bestJ > e.bPredScreen * sc.lambda * sc.bPredMinRate) {
    if (chromaJ < 0) chromaJ = chooseChroma(sc, m, mbCol, mbRow);
    const jb = searchBPred(sc, m, mb, mbCol, mbRow, yPos, bestJ - chromaJ, e.bPredModes) + chromaJ;
    if (jb < bestJ) {
      best.copyLumaFrom(m.trial);
      best.copyChromaFrom(m.intraChroma);
      m.bPredInFrame = true;
    }
  }
  // An inter winner's prediction goes to the frame as it is, not formed again.
  if (best.ref !== INTRA_FRAME && !sc.setup.fullPixel) {
    m.predY.data.set(m.bestPredY);
    m.predU.data.set(m.bestPredU);
    m.predV.data.set(m.bestPredV);
    m.predictionIsBest = true;
  }
}

/** Screens a whole-macroblock inter candidate: its luma prediction's SATD plus its weighted rate, into the shortlist. */
function screenInter(
  sc: SearchContext, m: MacroblockScratch, refImg: Image, mbCol: number, mbRow: number, ref: number, mode: number, row: number, col: number, rate: number,
): void {
  predictInterLuma(sc, m, refImg, mbCol, mbRow, row, col);
  const list = m.shortlist;
  const rateCost = rate * sc.lambdaSad;
  // A candidate past the margin of the best so far is never coded: its exact cost does not matter.
  list.add(ref, mode, row, col, rate, satd(m.src, 0, 16, m.predY.data, 0, 16, 16, 16, sc.effort.shortlistWithin * list.least - rateCost) + rateCost);
}

/** The chroma mode of an intra macroblock: screened by SATD, the winner coded into `m.intraChroma`; returns its cost J. */
function chooseChroma(sc: SearchContext, m: MacroblockScratch, mbCol: number, mbRow: number): number {
  loadChromaEdges(sc, m, mbCol, mbRow);
  let bestMode = WHOLE_BLOCK_MODES[0];
  let bestCost = Infinity;
  // With one mode allowed there is nothing to screen.
  const modes = sc.effort.chromaModes > 1 ? sc.effort.chromaModes : 0;
  for (let k = 0; k < modes; k++) {
    const mode = WHOLE_BLOCK_MODES[k];
    predictBlock(mode, m.edgesU, m.predU.data, 0, 8);
    predictBlock(mode, m.edgesV, m.predV.data, 0, 8);
    const cost = satd(m.src, SOURCE_U, 8, m.predU.data, 0, 8, 8, 8) + satd(m.src, SOURCE_V, 8, m.predV.data, 0, 8, 8, 8) + sc.uvModeCost[mode] * sc.lambdaSad;
    if (cost < bestCost) {
      bestCost = cost;
      bestMode = mode;
    }
  }
  const j = intraChromaRd(sc, m, bestMode);
  m.intraChroma.copyChromaFrom(m.chromaTrial);
  return j;
}
