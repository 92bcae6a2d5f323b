// Rebase (the ExCamera paper's term): a parsed frame coded again against a
// different decoder state, keeping every decision it made.
//
// Modes, motion vectors, segment ids, quantizers, loop filter and reference
// updates are the frame's; what depends on the references is recomputed:
// prediction, residue (residual.ts, against the picture the frame should
// show), token probability updates, and the skip and reference
// probabilities. Any effective setting the new state would change (segment
// values, the segment map, loop-filter deltas) is sent explicitly, so the
// frame means what it meant. The result is exact for the new state:
// decodeFrame(state, frame).state equals the returned state.

import { predictInterMacroblock } from '../decoder.js';
import { type FrameSetup, frameSetup } from '../frame-setup.js';
import { Vp8Error } from '../errors.js';
import type { FrameDecisions } from '../frame.js';
import { copyHeader, type FrameHeader, type Mutable } from '../header.js';
import type { Image } from '../image.js';
import { predictBlock } from '../intra.js';
import type { FrameModes } from '../modes.js';
import type { DecoderState } from '../state.js';
import { B_PRED, INTRA_FRAME, SPLITMV } from '../tables.js';
import { hasY2Block } from '../tokens.js';
import { checkPicture, codedDeltaOf, createFrameContext, effortFor, type FrameContext, sameValues } from './frame-context.js';
import { completeFrame, type EncodeResult, probFromCounts } from './frame-decisions.js';
import { loadChromaEdges, loadLumaEdges } from './intra-search.js';
import {
  beginBPredTrial, chromaQuant, codeMacroblocks, codeSubblock, loadSource, lumaQuant, quantizeChroma, quantizeLuma, residueInFrame,
} from './residual.js';
import { EncoderWorkspace, type MacroblockScratch } from './workspace.js';

/** A frame as coded, with the setup it was coded under (frameSetup of the state it was parsed against). */
export interface KeptFrame {
  readonly frame: FrameDecisions;
  readonly setup: FrameSetup;
}

/** Options of rebaseFrame. */
export interface RebaseOptions {
  /** Effort of the quantization (trimming of levels at speeds 0-3). Default DEFAULT_SPEED. */
  readonly speed?: number;
  /** Make the frame refresh golden and altref too (the last frame of an ExCamera chunk). */
  readonly refreshAllReferences?: boolean;
  readonly workspace?: EncoderWorkspace;
}

/**
 * Codes `kept.frame` again against `state` (see the file comment), with
 * `target` the picture the frame should show.
 */
export function rebaseFrame(state: DecoderState, kept: KeptFrame, target: Image, options: RebaseOptions = {}): EncodeResult {
  checkPicture(target);
  const effort = effortFor(options.speed);
  const ws = options.workspace ?? new EncoderWorkspace();
  const header = keptHeader(state, kept, options.refreshAllReferences === true);
  const setup = frameSetup(state, header);
  const k = kept.frame.modes;
  if (k.mbCols !== setup.mbCols || k.mbRows !== setup.mbRows) {
    throw new Vp8Error('invalid-argument', `a ${k.mbCols}x${k.mbRows}-macroblock frame cannot be rebased onto a ${setup.mbCols}x${setup.mbRows}-macroblock state`);
  }
  const fc = createFrameContext(state, target, header, setup, effort, ws, 1);
  // Inter macroblocks take their residue from the frames directly, so only intra ones load the source.
  codeMacroblocks(fc, ws, k.segmentId, (mb, mbCol, mbRow) => codeKeptMacroblock(fc, ws, k, mb, mbCol, mbRow), false);
  return completeFrame(fc, ws, header.loopFilterLevel, header.sharpnessLevel);
}

/** The header of a rebased frame (see the file comment). */
function keptHeader(state: DecoderState, kept: KeptFrame, refreshAll: boolean): Mutable<FrameHeader> {
  const k = kept.frame.header;
  if (!k.keyFrame && state.last === null) {
    throw new Vp8Error('no-keyframe', 'an inter frame cannot be rebased onto a state that has seen no key frame');
  }
  const h = copyHeader(k);
  h.firstPartSize = 0;
  // Probabilities are decided again from what is coded.
  h.coeffProbUpdates.fill(-1);
  h.mvProbUpdates.fill(-1);
  h.intra16x16Prob = null;
  h.intraChromaProb = null;
  h.mbNoSkipCoeff = true;
  h.probSkipFalse = 128;
  if (k.keyFrame) return h;
  if (refreshAll) {
    h.refreshGoldenFrame = true;
    h.refreshAlternateFrame = true;
  }
  if (h.refreshGoldenFrame) h.copyBufferToGolden = 0;
  if (h.refreshAlternateFrame) h.copyBufferToAlternate = 0;
  // What the new state would make of the frame's settings, against what they were.
  const now = frameSetup(state, h);
  const was = kept.setup;
  if (h.segmentationEnabled) {
    const f = was.features;
    if (now.features.absolute !== f.absolute || !sameValues(now.features.quantizer, f.quantizer) || !sameValues(now.features.loopFilter, f.loopFilter)) {
      h.updateSegmentFeatureData = true;
      h.segmentFeatureMode = f.absolute ? 1 : 0;
      h.quantizerUpdate = Array.from(f.quantizer, codedDeltaOf);
      h.loopFilterUpdate = Array.from(f.loopFilter, codedDeltaOf);
    }
    if (!h.updateMbSegmentationMap && !sameValues(state.segmentMap, kept.frame.modes.segmentId)) {
      h.updateMbSegmentationMap = true;
      h.segmentProb = segmentTreeProbs(kept.frame.modes.segmentId);
    }
  }
  if (h.loopFilterAdjEnable && (!sameValues(now.refLfDeltas, was.refLfDeltas) || !sameValues(now.modeLfDeltas, was.modeLfDeltas))) {
    h.modeRefLfDeltaUpdate = true;
    h.refFrameDeltaUpdate = Array.from(was.refLfDeltas, codedDeltaOf);
    h.mbModeDeltaUpdate = Array.from(was.modeLfDeltas, codedDeltaOf);
  }
  return h;
}

/** Probabilities of the segment id tree (section 9.3) fitted to the ids used. */
function segmentTreeProbs(ids: Uint8Array): (number | null)[] {
  const n = [0, 0, 0, 0];
  for (const id of ids) n[id]++;
  return [probFromCounts(n[0] + n[1], n[2] + n[3]), probFromCounts(n[0], n[1]), probFromCounts(n[2], n[3])];
}

/**
 * Codes macroblock mb with the kept frame's modes and vectors `k`,
 * predicting from this frame's references, into `m.best`.
 */
function codeKeptMacroblock(fc: FrameContext, ws: EncoderWorkspace, k: FrameModes, mb: number, mbCol: number, mbRow: number): void {
  const best = ws.mb.best;
  best.yMode = k.yMode[mb];
  best.uvMode = k.uvMode[mb];
  best.ref = k.refFrame[mb];
  best.mvRow = k.mv[2 * mb];
  best.mvCol = k.mv[2 * mb + 1];
  best.partitioning = k.partitioning[mb];
  // Subblock modes and vectors only where the coding uses them (commit reads them for B_PRED and SPLITMV).
  if (best.yMode === B_PRED) copyRange(k.bModes, 16 * mb, best.bModes, 16);
  if (best.yMode === SPLITMV) {
    copyRange(k.bMv, 32 * mb, best.bMv, 32);
    copyRange(k.subMvMode, 16 * mb, best.subMvMode, 16);
  }
  if (best.ref === INTRA_FRAME) codeKeptIntra(fc, ws.mb, mbCol, mbRow);
  else codeKeptInter(fc, ws, mb, mbCol, mbRow);
}

/** An intra macroblock: its modes' predictions from the reconstruction so far, and the residue against them. */
function codeKeptIntra(fc: FrameContext, m: MacroblockScratch, mbCol: number, mbRow: number): void {
  const best = m.best;
  loadSource(fc, m, mbCol, mbRow);
  const yPos = loadLumaEdges(fc, m, mbCol, mbRow);
  if (best.yMode === B_PRED) {
    const t = beginBPredTrial(m);
    const walk = m.walk;
    walk.copyColumn(m.entry, 0);
    for (let b = 0; b < 16; b++) {
      const ctx = fc.effort.rdoQuant ? walk.context(0, b) : -1;
      walk.record(0, b, codeSubblock(fc, m, t, b, best.bModes[b], yPos, ctx));
    }
    best.copyLumaFrom(t);
    m.bPredInFrame = true;
  } else {
    predictBlock(best.yMode, m.edgesY, m.predY.data, 0, 16);
    lumaQuant(fc, m, m.predY.data, true, best);
  }
  loadChromaEdges(fc, m, mbCol, mbRow);
  predictBlock(best.uvMode, m.edgesU, m.predU.data, 0, 8);
  predictBlock(best.uvMode, m.edgesV, m.predV.data, 0, 8);
  chromaQuant(fc, m, best);
}

/**
 * An inter macroblock: the decoder's own prediction (any vector, any
 * filter), formed in the frame, then the residue against it.
 */
function codeKeptInter(fc: FrameContext, ws: EncoderWorkspace, mb: number, mbCol: number, mbRow: number): void {
  const m = ws.mb;
  const best = m.best;
  const refImg = fc.refs[best.ref];
  if (refImg === null) throw new Vp8Error('invalid-argument', `macroblock ${mb} refers to a reference the state does not have`);
  const modes = fc.modes;
  modes.yMode[mb] = best.yMode;
  modes.refFrame[mb] = best.ref;
  modes.mv[2 * mb] = best.mvRow;
  modes.mv[2 * mb + 1] = best.mvCol;
  if (best.yMode === SPLITMV) modes.bMv.set(best.bMv, 32 * mb);
  predictInterMacroblock(ws.decoder, refImg, fc.img, mb, mbCol, mbRow, fc.setup.bilinear, fc.setup.fullPixel);
  residueInFrame(fc, m, mbCol, mbRow);
  quantizeLuma(fc, m, hasY2Block(best.yMode), best);
  quantizeChroma(fc, m, best);
  m.predictionInFrame = true;
}

/** Copies n values of `from` from `at` into the start of `to` (without a subarray view per call). */
function copyRange(from: Uint8Array | Int16Array, at: number, to: Uint8Array | Int16Array, n: number): void {
  for (let i = 0; i < n; i++) to[i] = from[at + i];
}
