// Step-by-step reconstruction of a frame and of one of its macroblocks, for
// the inspector, and "what-if" re-decoding. RFC 6386 sections:
//
//   14.1  dequantization: the coded levels times the segment's factors
//   14.3  the inverse Walsh-Hadamard transform of the Y2 block, which gives
//         the DC of each of the 16 luma blocks
//   14.4  the inverse DCT of each 4x4 block: the residual
//   14.5  prediction + residual, clamped to 0..255
//   12    intra prediction (whole-block modes 12.2, B_PRED subblocks 12.3)
//   18    inter prediction (motion compensation)
//   15    the loop filter, and (9.6, 15.1) each macroblock's filter level
//
// There is no second decoder here. A frame is parsed into its syntax with
// the project's parser (parseFrame: modes, and coefficient levels as coded),
// and then rebuilt macroblock by macroblock with the decoder's own functions
// (reconstructMacroblock, finishFrame, filterLevels, the predictors of
// intra.ts). Between the parser and the decoder sits one step we do
// ourselves, dequantization, because the parser keeps levels as coded; it is
// done as the decoder's token reader does it, into 16-bit values, so that a
// corrupt stream's overflowing products wrap the same way.
//
// Since we hold the syntax, we can change it before rebuilding: that is a
// what-if (skip the loop filter, drop a block's residual, force a mode). The
// change flows into later macroblocks of the same frame exactly as a decoder
// would carry it (intra prediction reads the changed samples), but it never
// reaches the stream or the decoder state that later frames are decoded with:
// these functions take a state and return pictures, never a state.
//
// Pure and platform-free: the inspector page runs it in a Web Worker.

import {
  DecoderWorkspace, filterLevels, finishFrame, reconstructMacroblock, referenceList,
} from '../vp8/decoder.js';
import { type Frame, LEVELS_PER_MB, parseFrame } from '../vp8/frame.js';
import { type FrameSetup, frameSetup } from '../vp8/frame-setup.js';
import { chromaSize } from '../vp8/i420.js';
import { allocateImage, type Image, imageToI420, type Plane } from '../vp8/image.js';
import { splitChromaMvs } from '../vp8/inter.js';
import { loadLumaSubblockEdges, type MacroblockEdges, predictLoadedSubblock } from '../vp8/intra.js';
import { type EdgeParams, edgeParams } from '../vp8/loop-filter.js';
import { findNearMvs, type FrameModes, NearMvs } from '../vp8/modes.js';
import type { DequantFactors } from '../vp8/quant.js';
import type { DecoderState } from '../vp8/state.js';
import {
  B_PRED, DC_PRED, H_PRED, INTRA_FRAME, MB_MODE_NAMES, NEARESTMV, NEARMV, NEWMV, SPLITMV, TM_PRED, V_PRED, ZEROMV,
} from '../vp8/tables.js';
import { BLOCKS_PER_MB, hasY2Block, U_BLOCK, V_BLOCK, Y2_BLOCK, Y2_COEFFS } from '../vp8/tokens.js';
import { inverseDctResidual, inverseWht, inverseWhtDcOnly } from '../vp8/transform.js';
import { blockFactors } from './analyze.js';

// ---------------------------------------------------------------------------
// What-ifs
// ---------------------------------------------------------------------------

/**
 * Changes to a frame's syntax before it is rebuilt. Every field is optional;
 * `{}` rebuilds the frame as coded, which gives exactly the decoder's picture.
 */
export interface WhatIf {
  /** false: skip the loop filter (section 15), showing the picture as reconstructed. */
  readonly loopFilter?: boolean;
  /**
   * Drop the coded coefficients of one block (0-15 Y, 16-19 U, 20-23 V,
   * 24 Y2) of macroblock `mb`, or of all its blocks when `block` is absent:
   * the block is rebuilt as if it had been coded with no tokens at all.
   *
   * - A luma block of a macroblock with a Y2 block (any mode but B_PRED and
   *   SPLITMV) codes only its AC coefficients: its DC comes from the Y2
   *   block, and dropping the luma block keeps that DC.
   * - Dropping the Y2 block (24) takes away the DC of all 16 luma blocks,
   *   and only that. B_PRED and SPLITMV macroblocks have no Y2 block: asking
   *   for it is an error.
   * - As in a decoder, a macroblock left with no coefficients at all whose
   *   mode has a Y2 block also has its inner edges left unfiltered (15.1).
   */
  readonly zeroResidual?: { readonly mb: number; readonly block?: number };
  /**
   * Predict macroblock `mb` with another luma mode (tables.ts numbering),
   * keeping its coded residual. Only substitutions that keep the layout of
   * its coefficients (a Y2 block, luma blocks without their DC) are allowed:
   *
   * - an intra macroblock coded DC_PRED, V_PRED, H_PRED or TM_PRED may take
   *   any of these four for its luma (its chroma keeps its coded mode);
   * - an inter macroblock not coded SPLITMV may take ZEROMV (vector 0,0),
   *   NEARESTMV or NEARMV (the "nearest" and "near" vectors of section 16.3,
   *   from the coded vectors of its neighbours, as the parser found them), or
   *   its own coded mode; it keeps its reference frame, and its chroma
   *   follows the new vector.
   *
   * Any other request (B_PRED or SPLITMV on either side, intra for inter or
   * the reverse, NEWMV without a vector) throws a RangeError. Later
   * macroblocks keep the vectors they were coded with.
   */
  readonly forceMode?: { readonly mb: number; readonly yMode: number };
}

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

/** The loop filter of a whole frame (section 15), as applied in a replay. */
export interface FrameLoopFilter {
  /** filter_type of the header (section 9.6). */
  readonly type: 'normal' | 'simple';
  /** loop_filter_level of the header; 0 turns the filter off for the whole frame. */
  readonly frameLevel: number;
  readonly sharpness: number;
  /** Whether the filter ran: the frame level is not 0 and the what-if did not turn it off. */
  readonly applied: boolean;
  /**
   * The filter level of each macroblock as the decoder computes it (segment
   * value, reference and mode deltas: filterLevels); all 0 when the frame
   * level is 0. A macroblock with level 0 is not filtered.
   */
  readonly levels: Uint8Array;
  /** Per macroblock, 1 when its inner (subblock) edges are filtered, 0 when they are skipped (section 15.1). */
  readonly innerEdges: Uint8Array;
}

export interface ReplayedFrame {
  readonly width: number;
  readonly height: number;
  readonly mbCols: number;
  readonly mbRows: number;
  readonly keyFrame: boolean;
  /** The rebuilt picture as packed I420 (width × height): loop-filtered unless the what-if said not to. */
  readonly picture: Uint8Array;
  /** The same picture before the loop filter, packed I420: what intra prediction sees. */
  readonly beforeLoopFilter: Uint8Array;
  readonly loopFilter: FrameLoopFilter;
  /** The what-if this picture was rebuilt with. */
  readonly whatIf: WhatIf;
  /** The steps of the macroblocks asked for (replayFrame's `stepsOf`), in the order asked. */
  readonly steps: readonly MacroblockSteps[];
}

/** A small picture: `width` × `height` values in row-major order. */
export interface Grid<T extends Uint8Array | Int16Array> {
  readonly width: number;
  readonly height: number;
  readonly values: T;
}

/** The three planes of a macroblock: Y 16x16, U and V 8x8. */
export interface MacroblockPlanes<T extends Uint8Array | Int16Array> {
  readonly y: Grid<T>;
  readonly u: Grid<T>;
  readonly v: Grid<T>;
}

/** One of a macroblock's 25 blocks on its way through sections 14.1-14.4. 4x4 arrays are in raster order. */
export interface BlockStep {
  /** 0-15 Y (raster order), 16-19 U, 20-23 V, 24 Y2. */
  readonly block: number;
  readonly plane: 'Y' | 'U' | 'V' | 'Y2';
  /** Top-left sample of the block in the macroblock's plane (Y2: 0, 0; it holds no samples). */
  readonly x: number;
  readonly y: number;
  /** False only for block 24 of a macroblock without a Y2 block (B_PRED, SPLITMV). */
  readonly present: boolean;
  /** True when the what-if dropped this block's coefficients. */
  readonly dropped: boolean;
  /** 0 when the block codes no token (or was dropped), else the position after its last token (zigzag order). */
  readonly eob: number;
  /** The levels as coded in the stream (also when dropped). */
  readonly levels: Int16Array;
  /** Dequantization factors of its DC (position 0) and other coefficients (section 14.1); a luma block with a Y2 block codes no DC (factor 0). */
  readonly factors: { readonly dc: number; readonly ac: number };
  /** levels × factors in 16 bits, as the decoder stores them: what reconstruction used (zero when dropped). */
  readonly dequantized: Int16Array;
  /**
   * The input of the block's inverse transform: `dequantized`, except that a
   * luma block of a macroblock with a Y2 block has at position 0 the DC the
   * inverse WHT gave it. For the Y2 block, the WHT's input.
   */
  readonly transformInput: Int16Array;
  /** The inverse DCT's output (section 14.4): the signed residual, unclamped; null for Y2. */
  readonly residual: Int16Array | null;
}

/** The Y2 block's inverse Walsh-Hadamard transform (section 14.3). */
export interface Y2Step {
  /** The dequantized Y2 coefficients (raster order). */
  readonly input: Int16Array;
  /** The 16 outputs in raster order: output[i] is the DC of luma block i. */
  readonly output: Int16Array;
  /** True when the block codes only its first coefficient, for which the decoder uses the shortcut (every output (dc + 3) >> 3). */
  readonly dcOnly: boolean;
}

/** The edges an intra macroblock is predicted from (section 12.2), before the loop filter. */
export interface IntraEdges {
  /** P, then the n samples above (A); for Y also the 4 above-right samples B_PRED's right column uses (n + 5 values in all). */
  readonly above: Uint8Array;
  /** The n samples to the left (L), top to bottom. */
  readonly left: Uint8Array;
}

/** The edges of an intra macroblock's three planes. */
export interface PlaneEdges {
  readonly y: IntraEdges;
  readonly u: IntraEdges;
  readonly v: IntraEdges;
}

/** How an inter macroblock is predicted (section 18). Vectors are [row, column] pairs. */
export interface InterSteps {
  /** 1 LAST, 2 GOLDEN, 3 ALTREF. */
  readonly refFrame: number;
  /** The macroblock's vector in quarter luma samples (for SPLITMV, that of its last subblock). */
  readonly mv: Int16Array;
  /** SPLITMV: the 16 subblock vectors (quarter luma samples), raster order; otherwise null. */
  readonly subblockMvs: Int16Array | null;
  /** The vectors of the 4 chroma 4x4 blocks (raster order) in eighths of a chroma sample. */
  readonly chromaMvs: Int32Array;
}

/** The loop filter as it applies to one macroblock (section 15). */
export interface MacroblockLoopFilter {
  readonly type: 'normal' | 'simple';
  readonly frameLevel: number;
  /** This macroblock's level (filterLevels); 0: not filtered. */
  readonly level: number;
  readonly sharpness: number;
  /** Whether the filter ran on this macroblock's edges in this replay. */
  readonly applied: boolean;
  /** Whether its inner edges are filtered (not for a macroblock without coefficients whose mode has a Y2 block). */
  readonly innerEdges: boolean;
  /** The limits of section 15.4 for its level (null at level 0). */
  readonly params: EdgeParams | null;
}

/**
 * Every step of one macroblock's reconstruction, ready to be drawn as pixel
 * grids: prediction + residual, clamped, is `beforeLoopFilter` (for every
 * sample); the loop filter then gives `afterLoopFilter`.
 */
export interface MacroblockSteps {
  readonly mb: number;
  readonly mbCol: number;
  readonly mbRow: number;
  /** Its top-left luma sample in the picture (chroma: half). */
  readonly x: number;
  readonly y: number;
  /**
   * How much of it lies inside the visible picture (luma, then chroma
   * samples): a macroblock on the right or bottom edge of an odd-sized
   * picture is decoded whole, but only this part is shown.
   */
  readonly visible: { readonly width: number; readonly height: number; readonly chromaWidth: number; readonly chromaHeight: number };
  readonly keyFrame: boolean;
  /** The luma mode used (after a forced mode), and the coded one. */
  readonly yMode: number;
  readonly codedYMode: number;
  /** Chroma mode (intra macroblocks; inter ones predict chroma from the vectors). */
  readonly uvMode: number;
  readonly segmentId: number;
  /** mb_skip_coeff as coded: no coefficients were coded. */
  readonly skipCoeff: boolean;
  /** Whether the macroblock has a Y2 block (every mode but B_PRED and SPLITMV). */
  readonly hasY2: boolean;
  /** The dequantization factors of its segment. */
  readonly quant: DequantFactors;
  /** Intra macroblocks: the edges of each plane; null for inter ones. */
  readonly intraEdges: PlaneEdges | null;
  /** B_PRED: the 16 subblock modes (raster order); otherwise null. */
  readonly subblockModes: Uint8Array | null;
  readonly inter: InterSteps | null;
  /**
   * The prediction (sections 12, 18). For B_PRED each 4x4 luma subblock
   * holds its prediction as the decoder formed it: from its neighbours
   * already reconstructed (prediction + residual), not from their predictions.
   */
  readonly prediction: MacroblockPlanes<Uint8Array>;
  /** The 25 blocks, indexed by block number. */
  readonly blocks: readonly BlockStep[];
  /** The Y2 block's transform, or null without a Y2 block. */
  readonly y2: Y2Step | null;
  /** The residuals of the blocks laid out as the macroblock's planes (signed, unclamped). */
  readonly residual: MacroblockPlanes<Int16Array>;
  /** prediction + residual clamped to 0..255 (section 14.5), before the loop filter. */
  readonly beforeLoopFilter: MacroblockPlanes<Uint8Array>;
  /**
   * The final samples, after the loop filter of the whole frame: filtering
   * the next macroblocks' left and top edges also changes up to 3 samples
   * inside this one.
   */
  readonly afterLoopFilter: MacroblockPlanes<Uint8Array>;
  readonly loopFilter: MacroblockLoopFilter;
  readonly whatIf: WhatIf;
}

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/**
 * Frame `bytes`, coded against `state` (the decoder state before it),
 * re-decoded from its parsed syntax with the decoder's own per-macroblock
 * functions, with the changes of `whatIf`; with the steps of the
 * macroblocks listed in `stepsOf` (numbers in raster order), recorded along
 * the way. Without changes the picture is exactly the decoder's. Throws what
 * the parser throws for a frame it cannot read (an empty frame, say), and a
 * RangeError for a what-if it cannot do or a macroblock the frame does not have.
 */
export function replayFrame(state: DecoderState, bytes: Uint8Array, whatIf: WhatIf = {}, stepsOf: readonly number[] = []): ReplayedFrame {
  return replay(state, bytes, whatIf, stepsOf);
}

/** Every step of the reconstruction of macroblock `mb` (raster order) of the frame, replayed with `whatIf`. */
export function macroblockSteps(state: DecoderState, bytes: Uint8Array, mb: number, whatIf: WhatIf = {}): MacroblockSteps {
  return replay(state, bytes, whatIf, [mb]).steps[0]!;
}

// ---------------------------------------------------------------------------
// The replay
// ---------------------------------------------------------------------------

/** Rebuilds a frame, recording the steps of the macroblocks in `stepsOf`. */
function replay(state: DecoderState, bytes: Uint8Array, whatIf: WhatIf, stepsOf: readonly number[]): ReplayedFrame {
  const parsed = parseFrame(state, bytes);
  const { header } = parsed;
  const setup = frameSetup(state, header);
  const { mbCols, mbRows } = setup;
  // parseFrame gave us modes of our own: a forced mode may be written into them.
  const modes = parsed.modes;
  checkWhatIf(whatIf, modes);
  const record = new Uint8Array(modes.count);
  for (const mb of stepsOf) {
    checkMacroblock(mb, 'steps', modes);
    record[mb] = 1;
  }
  const codedYMode = modes.yMode.slice();
  if (whatIf.forceMode !== undefined) forceMode(whatIf.forceMode, modes, setup);

  // The decoder's scratch memory, holding our modes: reconstructMacroblock and
  // filterLevels read the modes from there.
  const ws = new DecoderWorkspace();
  ws.prepare(mbCols, mbRows);
  ws.modes = modes;
  const img = allocateImage(setup.width, setup.height);
  const refs = referenceList(state);
  const factors = factorTables(setup.segmentQuant);

  const captures = new Map<number, Capture>();
  for (let mbRow = 0; mbRow < mbRows; mbRow++) {
    for (let mbCol = 0; mbCol < mbCols; mbCol++) {
      const mb = mbRow * mbCols + mbCol;
      const table = factors[2 * modes.segmentId[mb] + (hasY2Block(modes.yMode[mb]) ? 1 : 0)];
      const residue = loadCoefficients(parsed, mb, table, droppedBlocks(whatIf, mb), ws.coeffs, ws.eobs);
      if (record[mb]) captures.set(mb, reconstructRecording(ws, setup, img, refs, mb, mbCol, mbRow, residue));
      else reconstructMacroblock(ws, setup, img, refs, mb, mbCol, mbRow, residue);
    }
  }
  const beforeLoopFilter = imageToI420(img);

  // Section 15. The levels are worked out here for the report; finishFrame
  // works them out again, the same way, and filters. (It also returns the
  // state after the frame, which a replay must not keep.)
  const frameLevel = header.loopFilterLevel;
  if (frameLevel > 0) filterLevels(ws, header, frameLevel, setup.features, setup.refLfDeltas, setup.modeLfDeltas);
  const applied = frameLevel > 0 && whatIf.loopFilter !== false;
  if (applied) finishFrame(state, header, setup, ws, img);
  const loopFilter: FrameLoopFilter = {
    type: header.filterType === 1 ? 'simple' : 'normal',
    frameLevel,
    sharpness: header.sharpnessLevel,
    applied,
    levels: ws.lfLevel.slice(),
    innerEdges: ws.skipInner.map((s) => 1 - s),
  };
  return {
    width: setup.width, height: setup.height, mbCols, mbRows, keyFrame: setup.keyFrame,
    picture: applied ? imageToI420(img) : beforeLoopFilter.slice(),
    beforeLoopFilter,
    loopFilter,
    whatIf,
    steps: stepsOf.map((mb) => completeSteps(captures.get(mb)!, img, setup, parsed, loopFilter, codedYMode[mb], whatIf)),
  };
}

/**
 * Dequantization factors of each block (section 14.1), for each segment
 * with and without a Y2 block: table 2 * segment + hasY2 holds [dc, ac] of
 * block b at 2b. Worked out once per frame, not per block.
 */
function factorTables(segmentQuant: readonly DequantFactors[]): Int32Array[] {
  const tables: Int32Array[] = [];
  for (let seg = 0; seg < 4; seg++) {
    const q = segmentQuant[seg];
    for (const hasY2 of [false, true]) {
      const t = new Int32Array(2 * BLOCKS_PER_MB);
      for (let b = 0; b < BLOCKS_PER_MB; b++) {
        const f = blockFactors(b, hasY2, q);
        t[2 * b] = f.dc;
        t[2 * b + 1] = f.ac;
      }
      tables.push(t);
    }
  }
  return tables;
}

/** Which blocks of macroblock `mb` the what-if drops: none (null), or a 25-entry mask. */
function droppedBlocks(whatIf: WhatIf, mb: number): Uint8Array | null {
  const z = whatIf.zeroResidual;
  if (z === undefined || z.mb !== mb) return null;
  const mask = new Uint8Array(BLOCKS_PER_MB);
  if (z.block === undefined) mask.fill(1);
  else mask[z.block] = 1;
  return mask;
}

/**
 * Puts macroblock `mb`'s dequantized coefficients and block ends into the
 * decoder's buffers, as the decoder's token reader would have left them:
 * levels times the factor of their position, stored in 16 bits (so a
 * corrupt stream's overflow wraps as in libvpx). Dropped blocks read as
 * coded empty. Returns whether any block has coefficients: the decoder's
 * "residue" flag.
 */
function loadCoefficients(
  parsed: Frame, mb: number, factors: Int32Array, dropped: Uint8Array | null, coeffs: Int16Array, eobs: Uint8Array,
): boolean {
  coeffs.fill(0);
  const levels = parsed.levels;
  const levelsOff = mb * LEVELS_PER_MB;
  const eobsOff = mb * BLOCKS_PER_MB;
  let any = false;
  for (let b = 0; b < BLOCKS_PER_MB; b++) {
    const eob = dropped !== null && dropped[b] ? 0 : parsed.eobs[eobsOff + b];
    eobs[b] = eob;
    if (eob === 0) continue;
    any = true;
    const o = 16 * b;
    coeffs[o] = levels[levelsOff + o] * factors[2 * b];
    const ac = factors[2 * b + 1];
    for (let i = 1; i < 16; i++) coeffs[o + i] = levels[levelsOff + o + i] * ac;
  }
  return any;
}

// ---------------------------------------------------------------------------
// What-if checks and the forced mode
// ---------------------------------------------------------------------------

const WHOLE_BLOCK_INTRA = [DC_PRED, V_PRED, H_PRED, TM_PRED];
const modeName = (m: number): string => MB_MODE_NAMES[m] ?? `mode ${m}`;

function checkMacroblock(mb: unknown, what: string, modes: FrameModes): asserts mb is number {
  if (typeof mb !== 'number' || !Number.isInteger(mb) || mb < 0 || mb >= modes.count) {
    throw new RangeError(`${what}: macroblock ${String(mb)} is not in this frame, which has ${modes.count} (${modes.mbCols}x${modes.mbRows})`);
  }
}

/** Refuses, with a RangeError that says why, what-ifs that name no macroblock or block of the frame, or a mode that would not fit. */
function checkWhatIf(w: WhatIf, modes: FrameModes): void {
  if (w.loopFilter !== undefined && typeof w.loopFilter !== 'boolean') throw new RangeError('loopFilter: true or false');
  const z = w.zeroResidual;
  if (z !== undefined) {
    checkMacroblock(z.mb, 'zeroResidual', modes);
    if (z.block !== undefined) {
      if (!Number.isInteger(z.block) || z.block < 0 || z.block >= BLOCKS_PER_MB) {
        throw new RangeError(`zeroResidual: block ${z.block} is not a block number (0-15 Y, 16-19 U, 20-23 V, 24 Y2)`);
      }
      if (z.block === Y2_BLOCK && !hasY2Block(modes.yMode[z.mb])) {
        throw new RangeError(`zeroResidual: macroblock ${z.mb} is ${modeName(modes.yMode[z.mb])}, which has no Y2 block (its luma blocks code their own DC)`);
      }
    }
  }
  const f = w.forceMode;
  if (f !== undefined) {
    checkMacroblock(f.mb, 'forceMode', modes);
    const coded = modes.yMode[f.mb];
    const mode = f.yMode;
    const what = `forceMode: macroblock ${f.mb} is coded ${modeName(coded)}`;
    if (modes.refFrame[f.mb] === INTRA_FRAME) {
      if (coded === B_PRED) throw new RangeError(`${what}: its luma blocks carry their own DC, which no other intra mode has; it cannot change mode`);
      if (!WHOLE_BLOCK_INTRA.includes(mode)) throw new RangeError(`${what}: it may take DC_PRED, V_PRED, H_PRED or TM_PRED, not ${modeName(mode)}`);
    } else {
      if (coded === SPLITMV) throw new RangeError(`${what}: its luma blocks carry their own DC, which no other inter mode has; it cannot change mode`);
      if (mode !== ZEROMV && mode !== NEARESTMV && mode !== NEARMV && mode !== coded) {
        throw new RangeError(`${what}: it may take ZEROMV, NEARESTMV, NEARMV or its own mode, not ${modeName(mode)}`);
      }
    }
  }
}

/**
 * Writes a (checked) forced mode into the modes. An inter macroblock's
 * vector follows its new mode as the parser would have set it (section
 * 16.3): nearest and near are found from the neighbours above and to the
 * left, whose vectors are the coded ones.
 */
function forceMode(f: { readonly mb: number; readonly yMode: number }, modes: FrameModes, setup: FrameSetup): void {
  const { mb, yMode } = f;
  modes.yMode[mb] = yMode;
  // Intra macroblocks have no vector; NEWMV (only allowed as the coded mode) keeps its own.
  if (modes.refFrame[mb] === INTRA_FRAME || yMode === NEWMV) return;
  let row = 0;
  let col = 0;
  if (yMode !== ZEROMV) {
    const near = new NearMvs();
    const mbCol = mb % modes.mbCols;
    findNearMvs(modes, mb, mbCol, (mb - mbCol) / modes.mbCols, modes.refFrame[mb], setup.modeContext.signBias, near);
    row = yMode === NEARESTMV ? near.nearestRow : near.nearRow;
    col = yMode === NEARESTMV ? near.nearestCol : near.nearCol;
  }
  modes.mv[2 * mb] = row;
  modes.mv[2 * mb + 1] = col;
}

// ---------------------------------------------------------------------------
// Recording one macroblock
// ---------------------------------------------------------------------------

/** What is recorded of the step macroblock while the frame is rebuilt; the rest comes after the loop filter. */
interface Capture {
  readonly mb: number;
  readonly mbCol: number;
  readonly mbRow: number;
  readonly eobs: Uint8Array;
  readonly dequantized: Int16Array;
  readonly transformInput: Int16Array;
  readonly prediction: MacroblockPlanes<Uint8Array>;
  readonly beforeLoopFilter: MacroblockPlanes<Uint8Array>;
  readonly intraEdges: PlaneEdges | null;
  readonly inter: InterSteps | null;
}

/**
 * reconstructMacroblock for the step macroblock, run so that its steps can
 * be seen:
 *
 * 1. The decoder's function is called without residue: that writes the
 *    prediction alone into the picture, where we copy it from. (Prediction
 *    reads only neighbours and reference frames, never the macroblock's own
 *    samples, so predicting twice is harmless.)
 * 2. It is called again as in decoding, with the residue; we copy the
 *    result, and the coefficients as the decoder left them (with the luma
 *    DCs of the inverse WHT in place).
 * 3. B_PRED: step 1 predicted every subblock from its neighbours'
 *    predictions, not from their reconstructions. Each subblock's true
 *    prediction is formed again, with the decoder's own subblock predictor,
 *    from the reconstructed picture: a subblock reads only subblocks before
 *    it (left, above, above-right), so they hold exactly what the decoder
 *    saw when it got there.
 */
function reconstructRecording(
  ws: DecoderWorkspace, setup: FrameSetup, img: Image, refs: readonly (Image | null)[],
  mb: number, mbCol: number, mbRow: number, residue: boolean,
): Capture {
  const eobs = ws.eobs.slice();
  const dequantized = ws.coeffs.slice();
  const modes = ws.modes;

  reconstructMacroblock(ws, setup, img, refs, mb, mbCol, mbRow, false);
  const prediction = readMacroblock(img, mbCol, mbRow);

  reconstructMacroblock(ws, setup, img, refs, mb, mbCol, mbRow, residue);
  const transformInput = ws.coeffs.slice();
  const beforeLoopFilter = readMacroblock(img, mbCol, mbRow);

  let intraEdges: PlaneEdges | null = null;
  let inter: InterSteps | null = null;
  if (modes.refFrame[mb] === INTRA_FRAME) {
    // The decoder has just loaded this macroblock's edges into its workspace.
    intraEdges = { y: copyEdges(ws.edgesY), u: copyEdges(ws.edgesU), v: copyEdges(ws.edgesV) };
    if (modes.yMode[mb] === B_PRED) {
      const Y = img.y;
      const yPos = Y.offset + mbRow * 16 * Y.stride + mbCol * 16;
      const sub = new Uint8Array(9);
      const out = prediction.y.values;
      for (let b = 0; b < 16; b++) {
        loadLumaSubblockEdges(ws.edgesY, sub, Y.data, yPos, Y.stride, b);
        predictLoadedSubblock(modes.bModes[16 * mb + b], out, 16 * 4 * (b >> 2) + 4 * (b & 3), 16);
      }
    }
  } else {
    inter = interSteps(modes, mb, setup.fullPixel);
  }
  return { mb, mbCol, mbRow, eobs, dequantized, transformInput, prediction, beforeLoopFilter, intraEdges, inter };
}

function copyEdges(e: MacroblockEdges): IntraEdges {
  return { above: e.above.slice(), left: e.left.slice() };
}

/** The vectors of an inter macroblock, chroma ones as the decoder derives them (section 18 / predictInterMacroblock). */
function interSteps(modes: FrameModes, mb: number, fullPixel: boolean): InterSteps {
  const mv = modes.mv.slice(2 * mb, 2 * mb + 2);
  const chromaMvs = new Int32Array(8);
  let subblockMvs: Int16Array | null = null;
  if (modes.yMode[mb] === SPLITMV) {
    subblockMvs = modes.bMv.slice(32 * mb, 32 * mb + 32);
    splitChromaMvs(modes.bMv, 32 * mb, fullPixel, chromaMvs);
  } else {
    // The chroma vector in eighths of a chroma sample has the value of the
    // luma vector in quarters; version 3 keeps whole samples only.
    const row = fullPixel ? mv[0] & ~7 : mv[0];
    const col = fullPixel ? mv[1] & ~7 : mv[1];
    for (let k = 0; k < 4; k++) {
      chromaMvs[2 * k] = row;
      chromaMvs[2 * k + 1] = col;
    }
  }
  return { refFrame: modes.refFrame[mb], mv, subblockMvs, chromaMvs };
}

/** The step macroblock's results once the frame is complete: transforms worked out, final samples read. */
function completeSteps(
  c: Capture, img: Image, setup: FrameSetup, parsed: Frame, lf: FrameLoopFilter, codedYMode: number, whatIf: WhatIf,
): MacroblockSteps {
  const { mb, mbCol, mbRow } = c;
  const modes = parsed.modes;
  const yMode = modes.yMode[mb];
  const hasY2 = hasY2Block(yMode);
  const quant = setup.segmentQuant[modes.segmentId[mb]];
  const dropped = droppedBlocks(whatIf, mb);

  // Section 14.3: the Y2 block's inverse WHT, with the decoder's own
  // functions and its choice between them, into a scratch macroblock whose
  // luma DC positions receive the 16 outputs.
  let y2: Y2Step | null = null;
  if (hasY2) {
    const scratch = new Int16Array(LEVELS_PER_MB);
    const dcOnly = c.eobs[Y2_BLOCK] <= 1;
    if (dcOnly) inverseWhtDcOnly(c.dequantized[Y2_COEFFS], scratch, 0);
    else inverseWht(c.dequantized, Y2_COEFFS, scratch, 0);
    const output = new Int16Array(16);
    for (let i = 0; i < 16; i++) output[i] = scratch[16 * i];
    y2 = { input: c.dequantized.slice(Y2_COEFFS, Y2_COEFFS + 16), output, dcOnly };
  }

  // Sections 14.1 and 14.4: each block's coefficients and residual.
  const residual = emptyPlanes(Int16Array);
  const blocks: BlockStep[] = [];
  for (let b = 0; b < BLOCKS_PER_MB; b++) {
    const o = 16 * b;
    const plane = b === Y2_BLOCK ? 'Y2' : b >= V_BLOCK ? 'V' : b >= U_BLOCK ? 'U' : 'Y';
    const i = b & 3;
    const x = plane === 'Y' ? 4 * i : plane === 'Y2' ? 0 : 4 * (i & 1);
    const y = plane === 'Y' ? 4 * (b >> 2) : plane === 'Y2' ? 0 : 4 * (i >> 1);
    const transformInput = c.transformInput.slice(o, o + 16);
    let res: Int16Array | null = null;
    if (plane !== 'Y2') {
      // Blocks without coefficients have a zero residual: the decoder skips them.
      res = new Int16Array(16);
      inverseDctResidual(transformInput, 0, res, 0);
      const grid = plane === 'Y' ? residual.y : plane === 'U' ? residual.u : residual.v;
      for (let r = 0; r < 4; r++) grid.values.set(res.subarray(4 * r, 4 * r + 4), (y + r) * grid.width + x);
    }
    blocks.push({
      block: b,
      plane,
      x,
      y,
      present: b !== Y2_BLOCK || hasY2,
      dropped: dropped !== null && dropped[b] === 1 && (b !== Y2_BLOCK || hasY2),
      eob: c.eobs[b],
      levels: parsed.levels.slice(mb * LEVELS_PER_MB + o, mb * LEVELS_PER_MB + o + 16),
      factors: blockFactors(b, hasY2, quant),
      dequantized: c.dequantized.slice(o, o + 16),
      transformInput,
      residual: res,
    });
  }

  const level = lf.levels[mb];
  const luma = (n: number, size: number): number => Math.min(16, n - 16 * size);
  const chroma = (n: number, size: number): number => Math.min(8, chromaSize(n) - 8 * size);
  return {
    mb, mbCol, mbRow,
    x: 16 * mbCol,
    y: 16 * mbRow,
    visible: {
      width: luma(setup.width, mbCol),
      height: luma(setup.height, mbRow),
      chromaWidth: chroma(setup.width, mbCol),
      chromaHeight: chroma(setup.height, mbRow),
    },
    keyFrame: setup.keyFrame,
    yMode,
    codedYMode,
    uvMode: modes.uvMode[mb],
    segmentId: modes.segmentId[mb],
    skipCoeff: modes.skipCoeff[mb] === 1,
    hasY2,
    quant,
    intraEdges: c.intraEdges,
    subblockModes: yMode === B_PRED ? modes.bModes.slice(16 * mb, 16 * mb + 16) : null,
    inter: c.inter,
    prediction: c.prediction,
    blocks,
    y2,
    residual,
    beforeLoopFilter: c.beforeLoopFilter,
    afterLoopFilter: readMacroblock(img, mbCol, mbRow),
    loopFilter: {
      type: lf.type,
      frameLevel: lf.frameLevel,
      level,
      sharpness: lf.sharpness,
      applied: lf.applied && level > 0,
      innerEdges: lf.innerEdges[mb] === 1,
      params: level > 0 ? edgeParams(level, lf.sharpness, setup.keyFrame, { interior: 0, mbEdge: 0, subEdge: 0, hevThreshold: 0 }) : null,
    },
    whatIf,
  };
}

// ---------------------------------------------------------------------------
// Macroblock-sized grids
// ---------------------------------------------------------------------------

function emptyPlanes<T extends Uint8Array | Int16Array>(make: new (n: number) => T): MacroblockPlanes<T> {
  return {
    y: { width: 16, height: 16, values: new make(256) },
    u: { width: 8, height: 8, values: new make(64) },
    v: { width: 8, height: 8, values: new make(64) },
  };
}

/** Copies the samples of macroblock (mbCol, mbRow) out of a picture. */
function readMacroblock(img: Image, mbCol: number, mbRow: number): MacroblockPlanes<Uint8Array> {
  const out = emptyPlanes(Uint8Array);
  readBlock(img.y, 16 * mbCol, 16 * mbRow, out.y);
  readBlock(img.u, 8 * mbCol, 8 * mbRow, out.u);
  readBlock(img.v, 8 * mbCol, 8 * mbRow, out.v);
  return out;
}

function readBlock(p: Plane, x: number, y: number, g: Grid<Uint8Array>): void {
  for (let r = 0; r < g.height; r++) {
    const from = p.offset + (y + r) * p.stride + x;
    g.values.set(p.data.subarray(from, from + g.width), r * g.width);
  }
}
