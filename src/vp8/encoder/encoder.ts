// RFC 6386 run backwards: encoding one frame against a decoder state.
//
//   encodeFrame(state, raw, options) -> { state', frame }
//
// with state' equal to decodeFrame(state, frame).state: the encoder predicts
// and reconstructs every macroblock with the decoder's own code
// (reconstructMacroblock, finishFrame), so what it predicts from is exactly
// what a decoder will have.
//
// Per macroblock, in raster order, the encoder tries candidate predictions —
// the four whole-block intra modes, B_PRED with a mode per subblock
// (intra-search.ts), and on inter frames ZEROMV, NEARESTMV, NEARMV, NEWMV
// (after a motion search) and SPLITMV for each available reference
// (inter-search.ts) — and keeps the one with the lowest rate-distortion cost
// D + λ·R, where D is the squared error of the reconstruction and R the bits
// of its modes, vector and coefficient tokens (section 13) under the
// probabilities in force (residual.ts). The middle speeds code only the
// few candidates that screen best by SATD (shortlist.ts); the fastest decide
// by prediction error instead (fast-decision.ts). After the last macroblock it
// picks the loop-filter level that brings the frame closest to the source,
// works out which probabilities are worth updating from what was coded, and
// writes the frame with the syntax layer (frame-decisions.ts).
//
// This module is the encoder's public face: the other entry point,
// rebaseFrame, re-codes a parsed frame against another state (rebase.ts).

import { frameSetup } from '../frame-setup.js';
import { Vp8Error } from '../errors.js';
import type { Image } from '../image.js';
import type { DecoderState } from '../state.js';
import { ALTREF_FRAME, LAST_FRAME, MAX_QINDEX } from '../tables.js';
import { decideFast } from './fast-decision.js';
import {
  checkPicture, createFrameContext, effortFor, type EncodeOptions, freshHeader, type SearchContext, searchContext,
} from './frame-context.js';
import { completeFrame, type EncodeResult, searchLoopFilter } from './frame-decisions.js';
import { chooseInter, searchedReference } from './inter-search.js';
import { chooseIntra } from './intra-search.js';
import { codeMacroblocks } from './residual.js';
import { chooseByShortlist } from './shortlist.js';
import { EncoderWorkspace, type MacroblockScratch } from './workspace.js';

export { DEFAULT_SPEED, MAX_SPEED, type EncodeOptions } from './frame-context.js';
export type { EncodeResult, FrameStats } from './frame-decisions.js';
export { rebaseFrame, type KeptFrame, type RebaseOptions } from './rebase.js';
export { EncoderWorkspace } from './workspace.js';

/** Encodes one frame against `state` (see the file comment). `raw` must have the state's size on inter frames. */
export function encodeFrame(state: DecoderState, raw: Image, options: EncodeOptions): EncodeResult {
  if (!Number.isInteger(options.qIndex) || options.qIndex < 0 || options.qIndex > MAX_QINDEX) {
    throw new Vp8Error('invalid-argument', `qIndex must be an integer 0..${MAX_QINDEX}, got ${options.qIndex}`);
  }
  checkPicture(raw);
  const effort = effortFor(options.speed);
  const ws = options.workspace ?? new EncoderWorkspace();
  const header = freshHeader(state, raw, options);
  const fc = createFrameContext(state, raw, header, frameSetup(state, header), effort, ws, options.rdMultiplier ?? 1);
  const sc = searchContext(fc);
  const m = ws.mb;
  codeMacroblocks(fc, ws, null, (mb, mbCol, mbRow) => {
    if (effort.fast) decideFast(sc, m, mb, mbCol, mbRow);
    else if (effort.shortlist > 0) chooseByShortlist(sc, m, mb, mbCol, mbRow);
    else chooseMacroblock(sc, m, mb, mbCol, mbRow);
  });
  const { level, sharpness } = options.loopFilter ?? searchLoopFilter(fc, ws);
  return completeFrame(fc, ws, level, sharpness);
}

/** The best coding of macroblock mb by rate and distortion, into `m.best`: intra, then each reference worth searching. */
function chooseMacroblock(sc: SearchContext, m: MacroblockScratch, mb: number, mbCol: number, mbRow: number): void {
  let bestJ = Infinity;
  // Intra candidates: luma and chroma are chosen separately.
  const intraJ = chooseIntra(sc, m, mb, mbCol, mbRow);
  if (intraJ < bestJ) bestJ = intraJ;
  if (sc.keyFrame) return;
  for (let ref = LAST_FRAME; ref <= ALTREF_FRAME; ref++) {
    const refImg = searchedReference(sc, ref);
    if (refImg === null) continue;
    const j = chooseInter(sc, m, mb, mbCol, mbRow, ref, refImg, bestJ);
    if (j < bestJ) bestJ = j;
  }
}
