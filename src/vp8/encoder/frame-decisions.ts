// RFC 6386 sections 9.3-9.11, 13.4, 15, 16.1 and 17.2 seen from the encoder:
// what is decided once every macroblock is coded, and the frame it completes.
//
// The loop-filter level is searched for the filtered frame closest to the
// source. The frame-level probabilities (skip, intra, last, golden) are fitted
// to the counts of what was coded, and a coefficient, motion vector or mode
// probability is updated when the bits it saves exceed the bits of sending it.
// Then the frame is written by the syntax layer, and finished — loop filter,
// references, persistent probabilities — by the decoder's own finishFrame.

import { filterLevels, finishFrame } from '../decoder.js';
import { frameSetup } from '../frame-setup.js';
import { serializeFrame } from '../frame.js';
import { allocateImage, type Image, type Plane } from '../image.js';
import { loopFilterFrame } from '../loop-filter.js';
import { findNearMvs, mvComponentSyntax, type NearMvs } from '../modes.js';
import type { DecoderState } from '../state.js';
import {
  COEFF_PROBS_SIZE, COEFF_UPDATE_PROBS, GOLDEN_FRAME, INTRA_FRAME, LAST_FRAME, MV_PROB_COUNT, MV_UPDATE_PROBS, NEWMV,
  UV_MODE_TREE, YMODE_TREE,
} from '../tables.js';
import { boolCost, BranchCounter, INDEX_PROBS, PROB_COST } from './costs.js';
import type { FrameContext } from './frame-context.js';
import { sse } from './motion.js';
import type { EncoderWorkspace } from './workspace.js';

/** What happened while coding a frame. */
export interface FrameStats {
  readonly keyFrame: boolean;
  readonly bytes: number;
  readonly qIndex: number;
  readonly loopFilterLevel: number;
  readonly sharpness: number;
  readonly intraMacroblocks: number;
  readonly interMacroblocks: number;
  readonly skippedMacroblocks: number;
  /** Counts of inter macroblocks by reference frame (last, golden, altref). */
  readonly references: readonly number[];
}

export interface EncodeResult {
  /** The state after this frame, equal to decodeFrame(state, frame).state. */
  readonly state: DecoderState;
  /** The compressed frame. */
  readonly frame: Uint8Array;
  /** The frame as a decoder will show it (the loop-filtered reconstruction). */
  readonly reconstruction: Image;
  readonly stats: FrameStats;
}

/**
 * Completes a frame whose macroblocks are all coded, with loop filter
 * `level` and `sharpness`: decides the probabilities, writes the frame, and
 * returns it with the state after it.
 */
export function completeFrame(fc: FrameContext, ws: EncoderWorkspace, level: number, sharpness: number): EncodeResult {
  const h = fc.header;
  h.loopFilterLevel = level;
  h.sharpnessLevel = sharpness;
  decideProbabilities(fc, ws);
  const modes = fc.modes;
  const bytes = serializeFrame(fc.state, { header: h, modes, levels: ws.levels, eobs: ws.eobs });
  const next = finishFrame(fc.state, h, frameSetup(fc.state, h), ws.decoder, fc.img);
  const references = [0, 0, 0, 0];
  let skipped = 0;
  for (let mb = 0; mb < modes.count; mb++) {
    references[modes.refFrame[mb]]++;
    skipped += modes.skipCoeff[mb];
  }
  return {
    state: next,
    frame: bytes,
    reconstruction: fc.img,
    stats: {
      keyFrame: fc.keyFrame,
      bytes: bytes.length,
      qIndex: h.yAcQi,
      loopFilterLevel: level,
      sharpness,
      intraMacroblocks: references[INTRA_FRAME],
      interMacroblocks: modes.count - references[INTRA_FRAME],
      skippedMacroblocks: skipped,
      references: references.slice(1),
    },
  };
}

/** Section 15: the filter level (and sharpness) whose filtered frame is closest to the source. */
export function searchLoopFilter(fc: FrameContext, ws: EncoderWorkspace): { level: number; sharpness: number } {
  const mode = fc.effort.lfSearch;
  const q = fc.header.yAcQi;
  // A first guess from the quantizer (fitted to the levels the search picks
  // on the fixture clips): a filter's strength grows with the step.
  const guess = Math.max(0, Math.min(63, Math.round(q * 0.37 + (fc.keyFrame ? -0.5 : 1.5))));
  if (mode === 'none') return { level: guess, sharpness: 0 };
  const trialImage = allocateImage(fc.img.width, fc.img.height);
  const errorAt = (level: number, sharpness: number): number => {
    copyPlane(fc.img.y, trialImage.y);
    if (level > 0) filterLuma(fc, ws, trialImage, level, sharpness);
    return sse(fc.raw.y, 0, 0, trialImage.y, 0, 0, fc.raw.width, fc.raw.height);
  };
  const cache = new Map<number, number>();
  const errorOf = (level: number): number => {
    let e = cache.get(level);
    if (e === undefined) {
      e = errorAt(level, 0);
      cache.set(level, e);
    }
    return e;
  };
  // Coarse-to-fine search of the level ('full'), or a walk one level at a
  // time from the guess ('coarse'): the error falls smoothly towards its
  // least, and the guess is seldom more than a few levels from it.
  let bestLevel = guess;
  let bestErr = errorOf(guess);
  for (let step = mode === 'full' ? 8 : 1; step >= 1; step >>= 1) {
    for (let improved = true; improved;) {
      improved = false;
      for (const cand of [bestLevel - step, bestLevel + step]) {
        if (cand < 0 || cand > 63) continue;
        const e = errorOf(cand);
        if (e < bestErr) {
          bestErr = e;
          bestLevel = cand;
          improved = true;
        }
      }
    }
  }
  let sharpness = 0;
  if (mode === 'full' && bestLevel > 0) {
    for (const s of [1, 2, 4]) {
      const e = errorAt(bestLevel, s);
      if (e < bestErr) {
        bestErr = e;
        sharpness = s;
      }
    }
  }
  return { level: bestLevel, sharpness };
}

/** The luma loop filter at a trial level (the chroma planes do not change the choice much). */
function filterLuma(fc: FrameContext, ws: EncoderWorkspace, target: Image, level: number, sharpness: number): void {
  const setup = fc.setup;
  // Levels per macroblock with the deltas, as the decoder computes them.
  const lf = ws.decoder;
  filterLevels(lf, fc.header, level, setup.features, setup.refLfDeltas, setup.modeLfDeltas);
  loopFilterFrame(target, {
    simple: fc.header.filterType === 1,
    sharpness,
    keyFrame: fc.keyFrame,
    mbCols: fc.mbCols,
    mbRows: fc.mbRows,
    level: lf.lfLevel,
    skipInner: lf.skipInner,
  }, true);
}

/**
 * Sections 9.9-9.11, 13.4, 17.2: chooses the probability updates that pay
 * for themselves, and the frame-level probabilities, from what was coded.
 */
function decideProbabilities(fc: FrameContext, ws: EncoderWorkspace): void {
  const h = fc.header;
  const modes = fc.modes;
  const n = modes.count;
  // Skip flag.
  let skips = 0;
  for (let i = 0; i < n; i++) skips += modes.skipCoeff[i];
  h.probSkipFalse = probFromCounts(n - skips, skips);
  // Coefficient probabilities, from the branches counted as macroblocks were committed.
  const counts = ws.coeffCounts;
  const base = fc.setup.frameProbs.coeff;
  for (let i = 0; i < COEFF_PROBS_SIZE; i++) {
    const n0 = counts[2 * i];
    const n1 = counts[2 * i + 1];
    const updated = bestUpdate(base[i], n0, n1, COEFF_UPDATE_PROBS[i], 8, (p) => p);
    h.coeffProbUpdates[i] = updated < 0 ? -1 : updated;
  }
  if (fc.keyFrame) return;
  // Frame-level reference probabilities.
  let intra = 0;
  let last = 0;
  let golden = 0;
  let altref = 0;
  for (let i = 0; i < n; i++) {
    const r = modes.refFrame[i];
    if (r === INTRA_FRAME) intra++;
    else if (r === LAST_FRAME) last++;
    else if (r === GOLDEN_FRAME) golden++;
    else altref++;
  }
  h.probIntra = probFromCounts(intra, n - intra);
  h.probLast = probFromCounts(last, golden + altref);
  h.probGf = probFromCounts(golden, altref);
  // Motion vector probabilities: count the bools of every coded vector.
  updateMvProbs(fc, ws.mb.near);
  updateModeProbs(fc);
}

/**
 * Section 16.1: new luma and chroma mode probabilities for intra
 * macroblocks of inter frames, when the bits they save exceed the 8 bits
 * per probability (and the flag) it takes to send them.
 */
function updateModeProbs(fc: FrameContext): void {
  const h = fc.header;
  const modes = fc.modes;
  const yCounts = new Uint32Array(2 * 4);
  const uvCounts = new Uint32Array(2 * 3);
  const y = new BranchCounter(yCounts);
  const uv = new BranchCounter(uvCounts);
  for (let mb = 0; mb < modes.count; mb++) {
    if (modes.refFrame[mb] !== INTRA_FRAME) continue;
    y.tree(YMODE_TREE, INDEX_PROBS, 0, modes.yMode[mb]);
    uv.tree(UV_MODE_TREE, INDEX_PROBS, 0, modes.uvMode[mb]);
  }
  const decide = (old: Uint8Array, counts: Uint32Array): Uint8Array | null => {
    const fresh = new Uint8Array(old.length);
    let saving = -boolCost(128, 1) + boolCost(128, 0) - 256 * 8 * old.length;
    for (let i = 0; i < old.length; i++) {
      const n0 = counts[2 * i];
      const n1 = counts[2 * i + 1];
      fresh[i] = n0 + n1 === 0 ? old[i] : probFromCounts(n0, n1);
      saving += n0 * (PROB_COST[old[i]] - PROB_COST[fresh[i]]) + n1 * (PROB_COST[256 - old[i]] - PROB_COST[256 - fresh[i]]);
    }
    return saving > 0 ? fresh : null;
  };
  h.intra16x16Prob = decide(fc.setup.frameProbs.yMode, yCounts);
  h.intraChromaProb = decide(fc.setup.frameProbs.uvMode, uvCounts);
}

/** Section 17.2: MV probability updates from the bools the frame's vectors use (`near` is scratch). */
function updateMvProbs(fc: FrameContext, near: NearMvs): void {
  const h = fc.header;
  const modes = fc.modes;
  const counts = new Uint32Array(4 * MV_PROB_COUNT);
  const counter = new BranchCounter(counts);
  for (let mb = 0; mb < modes.count; mb++) {
    if (modes.yMode[mb] !== NEWMV) continue;
    const mbCol = mb % fc.mbCols;
    const mbRow = (mb / fc.mbCols) | 0;
    findNearMvs(modes, mb, mbCol, mbRow, modes.refFrame[mb], fc.setup.modeContext.signBias, near);
    mvComponentSyntax(counter, INDEX_PROBS, 0, modes.mv[2 * mb] - near.bestRow);
    mvComponentSyntax(counter, INDEX_PROBS, MV_PROB_COUNT, modes.mv[2 * mb + 1] - near.bestCol);
  }
  const probs = fc.setup.frameProbs.mv;
  for (let i = 0; i < 2 * MV_PROB_COUNT; i++) {
    // Updates code 7 bits x, standing for probability x << 1 (or 1 for 0).
    const updated = bestUpdate(probs[i], counts[2 * i], counts[2 * i + 1], MV_UPDATE_PROBS[i], 7, (p) => Math.max(1, p & ~1));
    h.mvProbUpdates[i] = updated < 0 ? -1 : updated >> 1;
  }
}

/** The probability of a 0 given counts of 0s and 1s, in 1..255. */
export function probFromCounts(zeros: number, ones: number): number {
  const total = zeros + ones;
  if (total === 0) return 128;
  const p = Math.round((256 * zeros) / total);
  return p < 1 ? 1 : p > 255 ? 255 : p;
}

/**
 * Section 13.4: whether replacing probability `old` pays off for a bool seen
 * n0 times as 0 and n1 times as 1, given the probability of the update flag
 * and the bits of the new value. Returns the new probability, or -1.
 */
function bestUpdate(old: number, n0: number, n1: number, updateProb: number, valueBits: number, representable: (p: number) => number): number {
  const stay = boolCost(updateProb, 0);
  if (n0 + n1 === 0) return -1;
  const p = representable(probFromCounts(n0, n1));
  if (p === old) return -1;
  const costOld = n0 * PROB_COST[old] + n1 * PROB_COST[256 - old];
  const costNew = n0 * PROB_COST[p] + n1 * PROB_COST[256 - p];
  const change = boolCost(updateProb, 1) + 256 * valueBits;
  return costNew + change < costOld + stay ? p : -1;
}

function copyPlane(from: Plane, to: Plane): void {
  for (let y = 0; y < from.height; y++) {
    const a = from.offset + y * from.stride;
    const b = to.offset + y * to.stride;
    to.data.set(from.data.subarray(a, a + from.width), b);
  }
}
