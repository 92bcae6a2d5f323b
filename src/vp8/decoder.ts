// RFC 6386 section 5 (overview of the decoding process): decoding one
// compressed frame against a decoder state. What the header sets up and what
// the frame leaves to the next (sections 9.3-9.11) is frame-setup.ts.
//
//   decodeFrame(state, bytes) -> { state', image | null }
//
// The steps follow the RFC: read the frame header (section 9) and the
// macroblock headers of the first partition (sections 10-11, 16-17); then, per
// macroblock in raster order, read its coefficient tokens from the token
// partition of its row (sections 9.5, 13), predict it (sections 12, 18) and add
// the inverse-transformed residue (section 14); loop-filter each macroblock
// row once the next is reconstructed (section 15); finally update the
// references and persistent probabilities.
//
// Where the RFC leaves room, the decoder does what libvpx does, since vpxdec
// is the reference these results are checked against; each such place says so.

import { BoolDecoder } from './bool-decoder.js';
import { DEFAULT_LIMITS, type DecoderLimits, Vp8Error } from './errors.js';
import { type FrameSetup, frameSetup, stateAfterFrame } from './frame-setup.js';
import { type FrameHeader, locatePartitions, readFrameHeader } from './header.js';
import { allocateImage, extendImageBorders, type Image, type Plane } from './image.js';
import { InterScratch, predictInter, predictInterChroma, splitChromaMvs } from './inter.js';
import { MacroblockEdges, predictBlock, predictLumaSubblock } from './intra.js';
import { type LoopFilterInput, loopFilterFrame, loopFilterRows } from './loop-filter.js';
import { FrameModes, frameModesSyntax } from './modes.js';
import { SyntaxReader } from './syntax-coder.js';
import type { DecoderState, SegmentFeatures } from './state.js';
import {
  B_PRED, INTRA_FRAME, MAX_LOOP_FILTER, SPLITMV, ZEROMV,
} from './tables.js';
import { BLOCKS_PER_MB, hasY2Block, readMacroblockTokens, TokenContexts, U_BLOCK, V_BLOCK, Y2_BLOCK, Y2_COEFFS } from './tokens.js';
import { inverseDctAdd, inverseDctDcOnlyAdd, inverseWht, inverseWhtDcOnly } from './transform.js';

export interface DecodeOptions {
  /** Limits on frame size; missing fields take the defaults of DEFAULT_LIMITS. */
  readonly limits?: Partial<DecoderLimits>;
  /** Index of this frame in the caller's sequence, reported in errors. */
  readonly frameIndex?: number;
  /** Scratch memory to reuse across calls; a shared one is used when absent. */
  readonly workspace?: DecoderWorkspace;
  /**
   * A state the caller will never use again, nor any picture taken from it
   * (typically the state before `state`). The decoder may then write this
   * frame's picture into the memory of one of its references that `state`
   * does not share, instead of allocating a new one.
   */
  readonly discard?: DecoderState;
}

export interface DecodeResult {
  /** The state after this frame. */
  readonly state: DecoderState;
  /** The picture to display: null for hidden frames (show_frame = 0) and empty frames. */
  readonly image: Image | null;
  /** The frame's reconstruction, shown or hidden; null for an empty frame. */
  readonly reconstruction: Image | null;
  /** The frame's header; null for an empty (zero-length) frame. */
  readonly header: FrameHeader | null;
}

/**
 * Scratch memory for decoding: per-frame mode arrays, token contexts,
 * coefficient buffers and prediction edges. Never part of a state; one
 * workspace may serve any number of decoders, one call at a time.
 */
export class DecoderWorkspace {
  modes = new FrameModes(0, 0);
  tokens = new TokenContexts(0);
  /** Loop filter level and inner-edge skip flag per macroblock. */
  lfLevel = new Uint8Array(0);
  skipInner = new Uint8Array(0);
  readonly coeffs = new Int16Array(BLOCKS_PER_MB * 16);
  readonly eobs = new Uint8Array(BLOCKS_PER_MB);
  readonly edgesY = new MacroblockEdges(16);
  readonly edgesU = new MacroblockEdges(8);
  readonly edgesV = new MacroblockEdges(8);
  /** P, A[0..7] of the current luma subblock. */
  readonly subAbove = new Uint8Array(9);
  readonly inter = new InterScratch();

  /** Sizes the per-macroblock arrays for a frame. */
  prepare(mbCols: number, mbRows: number): void {
    if (this.modes.mbCols !== mbCols || this.modes.mbRows !== mbRows) {
      this.modes = new FrameModes(mbCols, mbRows);
      this.lfLevel = new Uint8Array(mbCols * mbRows);
      this.skipInner = new Uint8Array(mbCols * mbRows);
    }
    if (this.tokens.above.length !== 9 * mbCols) this.tokens = new TokenContexts(mbCols);
    this.tokens.above.fill(0);
  }
}

const sharedWorkspace = new DecoderWorkspace();

/** Decodes one compressed frame (section 5). Never modifies `state`. */
export function decodeFrame(state: DecoderState, frame: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  try {
    return decode(state, frame, options);
  } catch (e) {
    if (e instanceof Vp8Error && options.frameIndex !== undefined) throw e.withFrameIndex(options.frameIndex);
    throw e;
  }
}

function decode(state: DecoderState, frame: Uint8Array, options: DecodeOptions): DecodeResult {
  const limits: DecoderLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const ws = options.workspace ?? sharedWorkspace;

  // libvpx refuses an empty frame without touching its state, and vpxdec
  // (with --keep-going) and ffmpeg then show nothing for it: so do we.
  if (frame.length === 0) return { state, image: null, reconstruction: null, header: null };
  if (frame.length > limits.maxFrameBytes) {
    throw new Vp8Error('too-large', `frame of ${frame.length} bytes exceeds the limit of ${limits.maxFrameBytes}`);
  }

  const { header, decoder: first, firstPartitionStart } = readFrameHeader(frame);
  const setup = frameSetup(state, header, limits);
  const { mbCols, mbRows } = setup;
  ws.prepare(mbCols, mbRows);

  // Sections 10, 11, 16, 17: every macroblock header of the first partition.
  const modes = ws.modes;
  frameModesSyntax(new SyntaxReader(first), setup.modeContext, modes);
  if (first.overrun()) {
    throw new Vp8Error('truncated', 'the macroblock headers run past the end of the frame', { byteOffset: frame.length });
  }

  // Section 9.5: token partitions, one per macroblock row in rotation.
  const layout = locatePartitions(frame, firstPartitionStart, header);
  const partitions = layout.starts.map((s, i) => new BoolDecoder(frame, s, layout.ends[i]));

  const img = reusablePicture(options.discard, state, setup.width, setup.height) ?? allocateImage(setup.width, setup.height);
  const filter = loopFilterInput(ws, header, setup);
  decodeMacroblocks(ws, setup, img, referenceList(state), partitions, filter);
  for (let i = 0; i < partitions.length; i++) {
    if (partitions[i].overrun()) {
      throw new Vp8Error('truncated', `token partition ${i + 1} of ${partitions.length} ends before its last macroblock`, { byteOffset: layout.ends[i] });
    }
  }
  return { state: completeFrame(state, header, setup, ws, img), image: header.showFrame ? img : null, reconstruction: img, header };
}

/**
 * Sections 13, 12, 14 and 18: every macroblock in raster order, its tokens
 * read from the partition of its row, then predicted and reconstructed into
 * `img`. Each row is loop-filtered (section 15, with `filter` unless null)
 * once the row below it is reconstructed, while its samples are still in the
 * cache; the rows below need its unfiltered bottom samples for prediction. A
 * function of its own so that the engine optimises this loop apart from the
 * per-frame work around it.
 */
function decodeMacroblocks(
  ws: DecoderWorkspace, setup: FrameSetup, img: Image, refs: readonly (Image | null)[], partitions: readonly BoolDecoder[],
  filter: LoopFilterInput | null,
): void {
  const { mbCols, mbRows } = setup;
  const modes = ws.modes;
  const contexts = ws.tokens, coeffs = ws.coeffs, eobs = ws.eobs;
  const coeffProbs = setup.frameProbs.coeff;
  for (let mbRow = 0; mbRow < mbRows; mbRow++) {
    const tokens = partitions[mbRow % partitions.length];
    contexts.startRow();
    for (let mbCol = 0; mbCol < mbCols; mbCol++) {
      const mb = mbRow * mbCols + mbCol;
      const hasY2 = hasY2Block(modes.yMode[mb]);
      let residue = false;
      if (modes.skipCoeff[mb]) {
        contexts.skip(mbCol, hasY2);
      } else {
        coeffs.fill(0);
        residue = readMacroblockTokens(tokens, coeffProbs, hasY2, contexts, mbCol, coeffs, 0, eobs, 0, setup.segmentQuant[modes.segmentId[mb]]);
      }
      reconstructMacroblock(ws, setup, img, refs, mb, mbCol, mbRow, residue);
    }
    if (filter !== null && mbRow > 0) loopFilterRows(img, filter, mbRow - 1, mbRow);
  }
  if (filter !== null) loopFilterRows(img, filter, mbRows - 1, mbRows);
}

/**
 * A picture of `discard` of the given size that `state` does not share, or
 * null. States are immutable values, so a picture may be overwritten only
 * when nothing can still see it: the caller promises that for every picture
 * of `discard`, and those `state` shares are still in use. Decoding writes
 * every sample of the aligned planes and then the borders, so nothing of
 * the old picture survives.
 */
function reusablePicture(discard: DecoderState | undefined, state: DecoderState, width: number, height: number): Image | null {
  if (discard === undefined || discard === state) return null;
  for (const img of [discard.last, discard.golden, discard.altref]) {
    if (img === null || img.width !== width || img.height !== height) continue;
    if (img !== state.last && img !== state.golden && img !== state.altref) return img;
  }
  return null;
}

/** The reference pictures indexed by INTRA_FRAME (none), LAST, GOLDEN, ALTREF. */
export function referenceList(state: DecoderState): readonly (Image | null)[] {
  return [null, state.last, state.golden, state.altref];
}

/**
 * Sections 12, 14 and 18: predicts macroblock `mb` (its modes in
 * `ws.modes`) and adds its residue (dequantized coefficients in `ws.coeffs`,
 * `ws.eobs`, when `residue`), writing into `img`. Also records whether the
 * loop filter skips its inner edges.
 */
export function reconstructMacroblock(
  ws: DecoderWorkspace, setup: FrameSetup, img: Image, refs: readonly (Image | null)[],
  mb: number, mbCol: number, mbRow: number, residue: boolean, interPredicted = false, lumaReconstructed = false,
): void {
  const modes = ws.modes;
  const hasY2 = hasY2Block(modes.yMode[mb]);
  // Section 15.1: inner edges are not filtered in a macroblock without
  // coefficients whose mode is neither B_PRED nor SPLITMV.
  ws.skipInner[mb] = hasY2 && !residue ? 1 : 0;
  const ref = modes.refFrame[mb];
  if (ref === INTRA_FRAME) {
    reconstructIntra(ws, img, mb, mbCol, mbRow, residue, lumaReconstructed);
  } else {
    const refImg = refs[ref];
    if (refImg === null) throw new Vp8Error('corrupt-header', 'a macroblock refers to a missing reference frame');
    // An encoder that has just formed this prediction (with predictInter) may
    // have written it into `img` already.
    if (!interPredicted) predictInterMacroblock(ws, refImg, img, mb, mbCol, mbRow, setup.bilinear, setup.fullPixel);
    if (residue) addResidue(ws, img, mbCol, mbRow, hasY2);
  }
}

/**
 * The end of a frame (sections 15, 9.7-9.11, 10): loop-filters the
 * reconstructed picture, extends its borders, and returns the state after
 * the frame.
 */
export function finishFrame(state: DecoderState, header: FrameHeader, setup: FrameSetup, ws: DecoderWorkspace, img: Image): DecoderState {
  const filter = loopFilterInput(ws, header, setup);
  if (filter !== null) loopFilterFrame(img, filter);
  return completeFrame(state, header, setup, ws, img);
}

/**
 * Section 15: what the loop filter needs for this frame, with the filter
 * level of every macroblock in `ws.lfLevel` (which `ws.skipInner` completes
 * as macroblocks are reconstructed); null when the frame level is 0, which
 * skips the filter entirely.
 */
function loopFilterInput(ws: DecoderWorkspace, header: FrameHeader, setup: FrameSetup): LoopFilterInput | null {
  if (header.loopFilterLevel === 0) return null;
  filterLevels(ws, header, header.loopFilterLevel, setup.features, setup.refLfDeltas, setup.modeLfDeltas);
  return {
    simple: header.filterType === 1,
    sharpness: header.sharpnessLevel,
    keyFrame: setup.keyFrame,
    mbCols: setup.mbCols,
    mbRows: setup.mbRows,
    level: ws.lfLevel,
    skipInner: ws.skipInner,
  };
}

/** The end of a loop-filtered frame (sections 9.7-9.11, 10): extends its borders and returns the state after it. */
function completeFrame(state: DecoderState, header: FrameHeader, setup: FrameSetup, ws: DecoderWorkspace, img: Image): DecoderState {
  extendImageBorders(img);
  return stateAfterFrame(state, header, setup, ws.modes.segmentId, img);
}

/**
 * Section 9.3, 9.4 and 15.1 (libvpx vp8_loop_filter_frame_init): the filter
 * level of every macroblock, from the frame level `frameLevel` (the header's,
 * or a level an encoder tries), the segment's value, and the deltas for its
 * reference frame and mode class.
 */
export function filterLevels(
  ws: DecoderWorkspace, h: FrameHeader, frameLevel: number, f: SegmentFeatures, refDeltas: Int8Array, modeDeltas: Int8Array,
): void {
  const clamp = (v: number): number => (v < 0 ? 0 : v > MAX_LOOP_FILTER ? MAX_LOOP_FILTER : v);
  // table[seg * 16 + ref * 4 + modeClass]; mode classes: 0 B_PRED, 1 other
  // intra modes and ZEROMV, 2 NEAREST/NEAR/NEWMV, 3 SPLITMV.
  const table = new Uint8Array(64);
  for (let seg = 0; seg < 4; seg++) {
    let segLevel = frameLevel;
    if (h.segmentationEnabled) segLevel = clamp(f.absolute ? f.loopFilter[seg] : segLevel + f.loopFilter[seg]);
    for (let ref = 0; ref < 4; ref++) {
      for (let cls = 0; cls < 4; cls++) {
        let level = segLevel;
        if (h.loopFilterAdjEnable) {
          level += refDeltas[ref];
          // Intra macroblocks other than B_PRED get no mode delta.
          if (ref !== INTRA_FRAME || cls === 0) level += modeDeltas[cls];
        }
        table[seg * 16 + ref * 4 + cls] = clamp(level);
      }
    }
  }
  const m = ws.modes;
  for (let mb = 0; mb < m.count; mb++) {
    const mode = m.yMode[mb];
    const cls = mode === B_PRED ? 0 : mode === SPLITMV ? 3 : mode === ZEROMV || mode < B_PRED ? 1 : 2;
    ws.lfLevel[mb] = table[m.segmentId[mb] * 16 + m.refFrame[mb] * 4 + cls];
  }
}

/** Sections 12 and 14: predicts an intra macroblock and adds its residue. */
function reconstructIntra(ws: DecoderWorkspace, img: Image, mb: number, mbCol: number, mbRow: number, residue: boolean, lumaReconstructed: boolean): void {
  const modes = ws.modes;
  const rightmost = mbCol === modes.mbCols - 1;
  const U = img.u, V = img.v;
  const uPos = U.offset + mbRow * 8 * U.stride + mbCol * 8;
  const vPos = V.offset + mbRow * 8 * V.stride + mbCol * 8;
  ws.edgesU.load(U.data, uPos, U.stride, mbCol, mbRow, rightmost);
  ws.edgesV.load(V.data, vPos, V.stride, mbCol, mbRow, rightmost);
  const uvMode = modes.uvMode[mb];
  predictBlock(uvMode, ws.edgesU, U.data, uPos, U.stride);
  predictBlock(uvMode, ws.edgesV, V.data, vPos, V.stride);

  const Y = img.y;
  const ys = Y.stride;
  const yPos = Y.offset + mbRow * 16 * ys + mbCol * 16;
  const e = ws.edgesY;
  e.load(Y.data, yPos, ys, mbCol, mbRow, rightmost);
  const yMode = modes.yMode[mb];
  if (yMode !== B_PRED) {
    predictBlock(yMode, e, Y.data, yPos, ys);
    if (residue) addResidue(ws, img, mbCol, mbRow, true);
    return;
  }
  // B_PRED (section 12.3): each subblock is predicted from pixels that include
  // its already reconstructed neighbours, so the residue is added as we go
  // (unless an encoder has done so already).
  const data = Y.data;
  const coeffs = ws.coeffs;
  for (let b = lumaReconstructed ? 16 : 0; b < 16; b++) {
    const pos = predictLumaSubblock(modes.bModes[16 * mb + b], e, ws.subAbove, data, yPos, ys, b);
    if (residue) {
      const eob = ws.eobs[b];
      if (eob > 1) inverseDctAdd(coeffs, 16 * b, data, pos, ys);
      else if (eob === 1) inverseDctDcOnlyAdd(coeffs[16 * b], data, pos, ys);
    }
  }
  if (residue) addChromaResidue(ws, img, mbCol, mbRow);
}

/** Section 14: inverse transforms of a whole-block-predicted macroblock, added to its prediction. */
function addResidue(ws: DecoderWorkspace, img: Image, mbCol: number, mbRow: number, hasY2: boolean): void {
  const coeffs = ws.coeffs;
  const eobs = ws.eobs;
  const Y = img.y;
  const ys = Y.stride;
  const yPos = Y.offset + mbRow * 16 * ys + mbCol * 16;
  if (hasY2) {
    // Section 14.3: the Y2 block carries the DC of the 16 luma blocks.
    if (eobs[Y2_BLOCK] > 1) inverseWht(coeffs, Y2_COEFFS, coeffs, 0);
    else inverseWhtDcOnly(coeffs[Y2_COEFFS], coeffs, 0);
  }
  for (let b = 0; b < 16; b++) {
    const pos = yPos + 4 * (b >> 2) * ys + 4 * (b & 3);
    // With Y2, a block without tokens of its own still gets its DC.
    if (eobs[b] > 1) inverseDctAdd(coeffs, 16 * b, Y.data, pos, ys);
    else inverseDctDcOnlyAdd(coeffs[16 * b], Y.data, pos, ys);
  }
  addChromaResidue(ws, img, mbCol, mbRow);
}

function addChromaResidue(ws: DecoderWorkspace, img: Image, mbCol: number, mbRow: number): void {
  const coeffs = ws.coeffs;
  const eobs = ws.eobs;
  for (let b = U_BLOCK; b < Y2_BLOCK; b++) {
    const eob = eobs[b];
    if (eob === 0) continue;
    const p: Plane = b < V_BLOCK ? img.u : img.v;
    const i = b & 3;
    const pos = p.offset + (mbRow * 8 + 4 * (i >> 1)) * p.stride + mbCol * 8 + 4 * (i & 1);
    if (eob > 1) inverseDctAdd(coeffs, 16 * b, p.data, pos, p.stride);
    else inverseDctDcOnlyAdd(coeffs[16 * b], p.data, pos, p.stride);
  }
}

/**
 * Section 18: inter prediction of a macroblock. Luma vectors are in quarter
 * samples (doubled to eighths for the filters); chroma vectors are in eighths
 * of a chroma sample.
 */
export function predictInterMacroblock(
  ws: DecoderWorkspace, ref: Image, img: Image, mb: number, mbCol: number, mbRow: number,
  bilinear: boolean, fullPixel: boolean,
): void {
  const modes = ws.modes;
  const s = ws.inter;
  const x = mbCol * 16;
  const y = mbRow * 16;
  if (modes.yMode[mb] !== SPLITMV) {
    const row = modes.mv[2 * mb];
    const col = modes.mv[2 * mb + 1];
    predictInter(ref.y, img.y, x, y, 16, 16, 2 * col, 2 * row, bilinear, s);
    // Section 18.4 / libvpx: the chroma vector in eighths of a chroma sample
    // has the same value as the luma vector in quarters; version 3 rounds it
    // to whole samples.
    let cRow = row;
    let cCol = col;
    if (fullPixel) {
      cRow &= ~7;
      cCol &= ~7;
    }
    predictInterChroma(ref.u, ref.v, img.u, img.v, x >> 1, y >> 1, 8, 8, cCol, cRow, bilinear, s);
    return;
  }
  // Subblocks that share a vector are predicted as one block: each predicted
  // sample depends only on its position and its vector, so the result is the
  // same, and the filters' extra rows and columns are read once (libvpx
  // groups them alike). Vectors are compared as [row, col] pairs.
  const bMv = modes.bMv;
  const base = 32 * mb;
  for (let q = 0; q < 4; q++) {
    // The 8x8 quadrant q, whose top-left subblock is b.
    const b = 8 * (q >> 1) + 2 * (q & 1);
    const qx = x + 8 * (q & 1);
    const qy = y + 8 * (q >> 1);
    if (sameMv(bMv, base, b, b + 1) && sameMv(bMv, base, b, b + 4) && sameMv(bMv, base, b, b + 5)) {
      predictInter(ref.y, img.y, qx, qy, 8, 8, 2 * bMv[base + 2 * b + 1], 2 * bMv[base + 2 * b], bilinear, s);
      continue;
    }
    for (let r = 0; r < 2; r++) {
      const left = b + 4 * r;
      const pairs = sameMv(bMv, base, left, left + 1);
      for (let c = 0; c < 2; c += pairs ? 2 : 1) {
        const k = base + 2 * (left + c);
        predictInter(ref.y, img.y, qx + 4 * c, qy + 4 * r, pairs ? 8 : 4, 4, 2 * bMv[k + 1], 2 * bMv[k], bilinear, s);
      }
    }
  }
  // Section 18: each 4x4 chroma block has the average vector of the luma subblocks it covers.
  const cmv = s.chromaMvs;
  splitChromaMvs(bMv, base, fullPixel, cmv);
  const cx = x >> 1;
  const cy = y >> 1;
  if (sameMv(cmv, 0, 0, 1) && sameMv(cmv, 0, 0, 2) && sameMv(cmv, 0, 0, 3)) {
    predictInterChroma(ref.u, ref.v, img.u, img.v, cx, cy, 8, 8, cmv[1], cmv[0], bilinear, s);
    return;
  }
  for (let r = 0; r < 2; r++) {
    const pairs = sameMv(cmv, 0, 2 * r, 2 * r + 1);
    for (let c = 0; c < 2; c += pairs ? 2 : 1) {
      const k = 2 * (2 * r + c);
      predictInterChroma(ref.u, ref.v, img.u, img.v, cx + 4 * c, cy + 4 * r, pairs ? 8 : 4, 4, cmv[k + 1], cmv[k], bilinear, s);
    }
  }
}

/** True when vectors i and j of the [row, col] pairs at `mvs[base..]` are equal. */
function sameMv(mvs: Int16Array | Int32Array, base: number, i: number, j: number): boolean {
  return mvs[base + 2 * i] === mvs[base + 2 * j] && mvs[base + 2 * i + 1] === mvs[base + 2 * j + 1];
}
