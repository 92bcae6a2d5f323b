// RFC 6386 sections 10, 11, 16 and 17: the per-macroblock header — segment id,
// skip flag, prediction modes and motion vectors — read from the first
// partition for every macroblock of a frame.
//
// Key frames code intra modes with fixed probabilities, luma subblock modes
// conditioned on the subblocks above and to the left (section 11.3). Inter
// frames code a reference frame, then either intra modes with the frame's
// probabilities or a motion vector mode chosen with the help of the vectors of
// up to three neighbours (section 16.3), and vectors as differences from the
// "best" neighbouring vector (section 17).
//
// Units: motion vectors are in quarter luma samples, row then column, as in
// the RFC. libvpx stores them doubled in 16-bit fields, so sums and clamps
// wrap at ±16384 quarter samples; `wrapMv` reproduces that. It only matters
// for frames wider or taller than 4096 samples.

import type { BoolDecoder } from './bool-decoder.js';
import {
  ALTREF_FRAME, B_DC_PRED, B_HE_PRED, B_PRED, B_TM_PRED, B_VE_PRED, BMODE_PROBS, BMODE_TREE,
  DC_PRED, GOLDEN_FRAME, H_PRED, INTRA_FRAME, KF_BMODE_PROBS, KF_UV_MODE_PROBS, KF_YMODE_PROBS,
  KF_YMODE_TREE, LAST_FRAME, LEFT4X4, ABOVE4X4, MODE_CONTEXTS, MV_LONG_BITS, MV_PARTITIONS,
  MV_PARTITION_COUNT, MV_PROB_COUNT, MV_PROB_IS_SHORT, MV_PROB_LONG, MV_PROB_SHORT, MV_PROB_SIGN,
  NEARESTMV, NEARMV, NEW4X4, NEWMV, SEGMENT_TREE, SMALL_MV_TREE, SPLIT_MV_PROBS, SPLIT_MV_TREE,
  SPLITMV, SUBMV_REF_PROBS, SUBMV_REF_TREE, SUBMVREF_ABOVE_ZED, SUBMVREF_LEFT_ABOVE_SAME,
  SUBMVREF_LEFT_ABOVE_ZED, SUBMVREF_LEFT_ZED, SUBMVREF_NORMAL, TM_PRED, UV_MODE_TREE, V_PRED,
  YMODE_TREE, ZEROMV,
} from './tables.js';

/** Wraps a quarter-sample vector component as libvpx's doubled 16-bit storage does. */
export function wrapMv(v: number): number {
  return (v << 17) >> 17;
}

/**
 * The modes and vectors of every macroblock of one frame, in flat typed arrays
 * indexed by macroblock number (row * mbCols + col). Owned by the decoder's
 * workspace and overwritten by each frame.
 */
export class FrameModes {
  readonly count: number;
  /** Luma mode: DC_PRED..B_PRED for intra, NEARESTMV..SPLITMV for inter. */
  readonly yMode: Uint8Array;
  /** Chroma mode of intra macroblocks. */
  readonly uvMode: Uint8Array;
  /** INTRA_FRAME, LAST_FRAME, GOLDEN_FRAME or ALTREF_FRAME. */
  readonly refFrame: Uint8Array;
  /** mb_skip_coeff as coded. */
  readonly skipCoeff: Uint8Array;
  /** Segment of each macroblock, for this frame. */
  readonly segmentId: Uint8Array;
  /** SPLITMV partitioning (SPLIT_16X8..SPLIT_4X4). */
  readonly partitioning: Uint8Array;
  /** Macroblock vector, [row, col] per macroblock; zero for intra macroblocks. */
  readonly mv: Int16Array;
  /** Subblock intra modes, 16 per macroblock (implied ones for non-B_PRED key-frame macroblocks). */
  readonly bModes: Uint8Array;
  /** Subblock vectors of SPLITMV macroblocks, 16 × [row, col] per macroblock. */
  readonly bMv: Int16Array;

  constructor(readonly mbCols: number, readonly mbRows: number) {
    const n = mbCols * mbRows;
    this.count = n;
    this.yMode = new Uint8Array(n);
    this.uvMode = new Uint8Array(n);
    this.refFrame = new Uint8Array(n);
    this.skipCoeff = new Uint8Array(n);
    this.segmentId = new Uint8Array(n);
    this.partitioning = new Uint8Array(n);
    this.mv = new Int16Array(2 * n);
    this.bModes = new Uint8Array(16 * n);
    this.bMv = new Int16Array(32 * n);
  }
}

/** The frame-level values the macroblock headers are read with. */
export interface ModeContext {
  readonly keyFrame: boolean;
  /** Read a segment id per macroblock (update_mb_segmentation_map). */
  readonly updateSegmentMap: boolean;
  /** Segment tree probabilities (255 where not coded). */
  readonly segmentProbs: Uint8Array;
  /** Segment ids to keep when the map is not updated. */
  readonly previousSegmentMap: Uint8Array;
  readonly mbNoSkipCoeff: boolean;
  readonly probSkipFalse: number;
  readonly probIntra: number;
  readonly probLast: number;
  readonly probGf: number;
  readonly yModeProbs: Uint8Array;
  readonly uvModeProbs: Uint8Array;
  /** 38 MV probabilities: row component then column component. */
  readonly mvProbs: Uint8Array;
  /** Sign bias per reference frame, indexed by INTRA..ALTREF (section 9.7). */
  readonly signBias: Uint8Array;
}

/** The implied subblock mode of a whole-block luma mode, for key-frame contexts (section 11.3). */
function impliedBMode(yMode: number): number {
  switch (yMode) {
    case V_PRED: return B_VE_PRED;
    case H_PRED: return B_HE_PRED;
    case TM_PRED: return B_TM_PRED;
    default: return B_DC_PRED;
  }
}

/** Reads one motion vector component in quarter samples (section 17.1). */
function readMvComponent(d: BoolDecoder, p: Uint8Array, off: number): number {
  let x = 0;
  if (d.readBool(p[off + MV_PROB_IS_SHORT])) {
    // Long form: bits 0-2, then 9 down to 4, then bit 3, which is implicit
    // when no higher bit is set (the short form would have been used).
    for (let i = 0; i < 3; i++) x += d.readBool(p[off + MV_PROB_LONG + i]) << i;
    for (let i = MV_LONG_BITS - 1; i > 3; i--) x += d.readBool(p[off + MV_PROB_LONG + i]) << i;
    if (!(x & 0xfff0) || d.readBool(p[off + MV_PROB_LONG + 3])) x += 8;
  } else {
    x = d.readTree(SMALL_MV_TREE, p, off + MV_PROB_SHORT);
  }
  if (x && d.readBool(p[off + MV_PROB_SIGN])) x = -x;
  return x;
}

/** Scratch for the near-vector search of section 16.3. */
const nearMv = new Int32Array(8); // 4 × [row, col]; entry 0 stays zero
const nearCount = new Int32Array(4);

/**
 * Reads the macroblock headers of a whole frame from the first partition
 * (sections 10, 11, 16, 17) into `out`.
 */
export function readFrameModes(d: BoolDecoder, c: ModeContext, out: FrameModes): void {
  const { mbCols, mbRows } = out;
  for (let mbRow = 0; mbRow < mbRows; mbRow++) {
    for (let mbCol = 0; mbCol < mbCols; mbCol++) {
      const mb = mbRow * mbCols + mbCol;
      // Section 10: segment id; when the map is not updated, key frames reset
      // it to 0 and inter frames keep the previous frame's (libvpx).
      if (c.updateSegmentMap) out.segmentId[mb] = d.readTree(SEGMENT_TREE, c.segmentProbs);
      else out.segmentId[mb] = c.keyFrame ? 0 : c.previousSegmentMap[mb];
      // Section 11.1: mb_skip_coeff.
      out.skipCoeff[mb] = c.mbNoSkipCoeff ? d.readBool(c.probSkipFalse) : 0;
      if (c.keyFrame) readKeyFrameModes(d, out, mb, mbCol, mbRow);
      else if (d.readBool(c.probIntra)) readInterModes(d, c, out, mb, mbCol, mbRow);
      else readIntraModes(d, c, out, mb);
    }
  }
}

/** Section 11.2-11.4: the modes of a key-frame macroblock. */
function readKeyFrameModes(d: BoolDecoder, out: FrameModes, mb: number, mbCol: number, mbRow: number): void {
  const yMode = d.readTree(KF_YMODE_TREE, KF_YMODE_PROBS);
  out.yMode[mb] = yMode;
  out.refFrame[mb] = INTRA_FRAME;
  out.mv[2 * mb] = out.mv[2 * mb + 1] = 0;
  const bModes = out.bModes;
  const base = 16 * mb;
  if (yMode === B_PRED) {
    const mbCols = out.mbCols;
    for (let b = 0; b < 16; b++) {
      // Contexts: the subblock above and to the left, possibly in the
      // neighbouring macroblock; B_DC_PRED outside the frame.
      let above: number;
      if (b >= 4) above = bModes[base + b - 4];
      else above = mbRow > 0 ? bModes[base - 16 * mbCols + b + 12] : B_DC_PRED;
      let left: number;
      if (b & 3) left = bModes[base + b - 1];
      else left = mbCol > 0 ? bModes[base - 16 + b + 3] : B_DC_PRED;
      bModes[base + b] = d.readTree(BMODE_TREE, KF_BMODE_PROBS, (above * 10 + left) * 9);
    }
  } else {
    bModes.fill(impliedBMode(yMode), base, base + 16);
  }
  out.uvMode[mb] = d.readTree(UV_MODE_TREE, KF_UV_MODE_PROBS);
}

/** Section 16.1: an intra macroblock in an inter frame. */
function readIntraModes(d: BoolDecoder, c: ModeContext, out: FrameModes, mb: number): void {
  const yMode = d.readTree(YMODE_TREE, c.yModeProbs);
  out.yMode[mb] = yMode;
  out.refFrame[mb] = INTRA_FRAME;
  out.mv[2 * mb] = out.mv[2 * mb + 1] = 0;
  const base = 16 * mb;
  if (yMode === B_PRED) {
    for (let b = 0; b < 16; b++) out.bModes[base + b] = d.readTree(BMODE_TREE, BMODE_PROBS);
  } else {
    out.bModes.fill(impliedBMode(yMode), base, base + 16);
  }
  out.uvMode[mb] = d.readTree(UV_MODE_TREE, c.uvModeProbs);
}

/**
 * Adds the vector of neighbour `n` to the candidate list of section 16.3,
 * with weight `weight`; returns the new index of the last candidate.
 */
function addNeighbour(out: FrameModes, n: number, ref: number, signBias: Uint8Array, idx: number, weight: number): number {
  const nRef = out.refFrame[n];
  if (nRef === INTRA_FRAME) return idx;
  let row = out.mv[2 * n];
  let col = out.mv[2 * n + 1];
  if (row === 0 && col === 0) {
    nearCount[0] += weight;
    return idx;
  }
  // A neighbour whose reference has the opposite sign bias points the other way.
  if (signBias[nRef] !== signBias[ref]) {
    row = wrapMv(-row);
    col = wrapMv(-col);
  }
  // A vector equal to the last distinct candidate adds to that one's weight.
  if (idx === 0 || row !== nearMv[2 * idx] || col !== nearMv[2 * idx + 1]) {
    idx++;
    nearMv[2 * idx] = row;
    nearMv[2 * idx + 1] = col;
  }
  nearCount[idx] += weight;
  return idx;
}

/** Section 16.2-16.4 and 17: an inter-predicted macroblock. */
function readInterModes(d: BoolDecoder, c: ModeContext, out: FrameModes, mb: number, mbCol: number, mbRow: number): void {
  const mbCols = out.mbCols;
  const ref = d.readBool(c.probLast) ? (d.readBool(c.probGf) ? ALTREF_FRAME : GOLDEN_FRAME) : LAST_FRAME;
  out.refFrame[mb] = ref;
  out.uvMode[mb] = DC_PRED;

  // Section 16.3: survey the above, left and above-left neighbours.
  nearMv.fill(0);
  nearCount.fill(0);
  let idx = 0;
  const above = mb - mbCols;
  const left = mb - 1;
  const aboveLeft = above - 1;
  if (mbRow > 0) {
    // The above neighbour is always first, so any non-zero vector starts the list.
    idx = addNeighbour(out, above, ref, c.signBias, idx, 2);
  }
  if (mbCol > 0) idx = addNeighbour(out, left, ref, c.signBias, idx, 2);
  if (mbRow > 0 && mbCol > 0) idx = addNeighbour(out, aboveLeft, ref, c.signBias, idx, 1);

  // Bounds for clamping vectors: the macroblock may move at most 16 samples
  // (64 quarter samples) beyond the frame's edges.
  const toLeft = -mbCol * 64 - 64;
  const toRight = (mbCols - 1 - mbCol) * 64 + 64;
  const toTop = -mbRow * 64 - 64;
  const toBottom = (out.mbRows - 1 - mbRow) * 64 + 64;

  let mode: number;
  let row = 0;
  let col = 0;
  if (!d.readBool(MODE_CONTEXTS[nearCount[0] * 4])) {
    mode = ZEROMV;
  } else {
    // With three distinct candidates, the above-left one may merge with the nearest.
    if (nearCount[3] > 0 && nearMv[6] === nearMv[2] && nearMv[7] === nearMv[3]) nearCount[1] += 1;
    // Nearest is the candidate with the larger weight.
    if (nearCount[2] > nearCount[1]) {
      let t = nearCount[1]; nearCount[1] = nearCount[2]; nearCount[2] = t;
      t = nearMv[2]; nearMv[2] = nearMv[4]; nearMv[4] = t;
      t = nearMv[3]; nearMv[3] = nearMv[5]; nearMv[5] = t;
    }
    if (!d.readBool(MODE_CONTEXTS[nearCount[1] * 4 + 1])) {
      mode = NEARESTMV;
      row = clampMv(nearMv[2], toTop, toBottom);
      col = clampMv(nearMv[3], toLeft, toRight);
    } else if (!d.readBool(MODE_CONTEXTS[nearCount[2] * 4 + 2])) {
      mode = NEARMV;
      row = clampMv(nearMv[4], toTop, toBottom);
      col = clampMv(nearMv[5], toLeft, toRight);
    } else {
      // The best vector is the nearest one if it is at least as common as zero.
      const best = nearCount[1] >= nearCount[0] ? 1 : 0;
      const bestRow = clampMv(nearMv[2 * best], toTop, toBottom);
      const bestCol = clampMv(nearMv[2 * best + 1], toLeft, toRight);
      const splitCount =
        (mbRow > 0 && out.yMode[above] === SPLITMV ? 2 : 0) +
        (mbCol > 0 && out.yMode[left] === SPLITMV ? 2 : 0) +
        (mbRow > 0 && mbCol > 0 && out.yMode[aboveLeft] === SPLITMV ? 1 : 0);
      if (d.readBool(MODE_CONTEXTS[splitCount * 4 + 3])) {
        mode = SPLITMV;
        readSplitMv(d, c, out, mb, mbCol, mbRow, bestRow, bestCol);
        row = out.bMv[32 * mb + 30];
        col = out.bMv[32 * mb + 31];
      } else {
        mode = NEWMV;
        row = wrapMv(readMvComponent(d, c.mvProbs, 0) + bestRow);
        col = wrapMv(readMvComponent(d, c.mvProbs, MV_PROB_COUNT) + bestCol);
      }
    }
  }
  out.yMode[mb] = mode;
  out.mv[2 * mb] = row;
  out.mv[2 * mb + 1] = col;
}

function clampMv(v: number, lo: number, hi: number): number {
  return v < lo ? wrapMv(lo) : v > hi ? wrapMv(hi) : v;
}

/** Section 16.4: the partitioning and sub-vectors of a SPLITMV macroblock. */
function readSplitMv(
  d: BoolDecoder, c: ModeContext, out: FrameModes, mb: number, mbCol: number, mbRow: number,
  bestRow: number, bestCol: number,
): void {
  const s = d.readTree(SPLIT_MV_TREE, SPLIT_MV_PROBS);
  out.partitioning[mb] = s;
  const layout = MV_PARTITIONS[s];
  const parts = MV_PARTITION_COUNT[s];
  const bMv = out.bMv;
  const base = 32 * mb;
  const mbCols = out.mbCols;
  for (let j = 0; j < parts; j++) {
    // k: the first subblock of partition j, whose neighbours give the context.
    let k = 0;
    while (layout[k] !== j) k++;
    let leftRow = 0;
    let leftCol = 0;
    if (k & 3) {
      leftRow = bMv[base + 2 * (k - 1)];
      leftCol = bMv[base + 2 * (k - 1) + 1];
    } else if (mbCol > 0) {
      const n = mb - 1;
      if (out.yMode[n] === SPLITMV) {
        leftRow = bMv[32 * n + 2 * (k + 3)];
        leftCol = bMv[32 * n + 2 * (k + 3) + 1];
      } else {
        leftRow = out.mv[2 * n];
        leftCol = out.mv[2 * n + 1];
      }
    }
    let aboveRow = 0;
    let aboveCol = 0;
    if (k >> 2) {
      aboveRow = bMv[base + 2 * (k - 4)];
      aboveCol = bMv[base + 2 * (k - 4) + 1];
    } else if (mbRow > 0) {
      const n = mb - mbCols;
      if (out.yMode[n] === SPLITMV) {
        aboveRow = bMv[32 * n + 2 * (k + 12)];
        aboveCol = bMv[32 * n + 2 * (k + 12) + 1];
      } else {
        aboveRow = out.mv[2 * n];
        aboveCol = out.mv[2 * n + 1];
      }
    }
    const lez = leftRow === 0 && leftCol === 0;
    const aez = aboveRow === 0 && aboveCol === 0;
    const lea = leftRow === aboveRow && leftCol === aboveCol;
    const context = lea && lez ? SUBMVREF_LEFT_ABOVE_ZED
      : lea ? SUBMVREF_LEFT_ABOVE_SAME
      : aez ? SUBMVREF_ABOVE_ZED
      : lez ? SUBMVREF_LEFT_ZED
      : SUBMVREF_NORMAL;
    const subMode = d.readTree(SUBMV_REF_TREE, SUBMV_REF_PROBS, context * 3);
    let row = 0;
    let col = 0;
    if (subMode === LEFT4X4) {
      row = leftRow;
      col = leftCol;
    } else if (subMode === ABOVE4X4) {
      row = aboveRow;
      col = aboveCol;
    } else if (subMode === NEW4X4) {
      row = wrapMv(readMvComponent(d, c.mvProbs, 0) + bestRow);
      col = wrapMv(readMvComponent(d, c.mvProbs, MV_PROB_COUNT) + bestCol);
    }
    for (let b = 0; b < 16; b++) {
      if (layout[b] === j) {
        bMv[base + 2 * b] = row;
        bMv[base + 2 * b + 1] = col;
      }
    }
  }
}
