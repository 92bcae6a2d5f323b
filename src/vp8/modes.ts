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
// Like the frame header, this syntax is written once against a SyntaxCoder
// (syntax-coder.ts): `frameModesSyntax` with a reader fills a FrameModes from
// the bitstream, with a writer it codes the FrameModes it is given. Contexts
// only ever look at macroblocks (and subblocks) coded before, so they are the
// same in both directions.
//
// Units: motion vectors are in quarter luma samples, row then column, as in
// the RFC. libvpx stores them doubled in 16-bit fields, so sums and clamps
// wrap at ±16384 quarter samples; `wrapMv` reproduces that. It only matters
// for frames wider or taller than 4096 samples.

import type { SyntaxCoder } from './syntax-coder.js';
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
  /**
   * How each partition of a SPLITMV macroblock codes its vector (LEFT4X4,
   * ABOVE4X4, ZERO4X4 or NEW4X4), 16 per macroblock: several may give the
   * same vector, and a rewritten frame must code the same one.
   */
  readonly subMvMode: Uint8Array;

  /** A copy with its own arrays. */
  clone(): FrameModes {
    const c = new FrameModes(this.mbCols, this.mbRows);
    c.yMode.set(this.yMode);
    c.uvMode.set(this.uvMode);
    c.refFrame.set(this.refFrame);
    c.skipCoeff.set(this.skipCoeff);
    c.segmentId.set(this.segmentId);
    c.partitioning.set(this.partitioning);
    c.mv.set(this.mv);
    c.bModes.set(this.bModes);
    c.bMv.set(this.bMv);
    c.subMvMode.set(this.subMvMode);
    return c;
  }

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
    this.subMvMode = new Uint8Array(16 * n);
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

/**
 * The implied subblock mode of a whole-block luma mode (section 11.3): what
 * the subblocks of a macroblock not coded with B_PRED count as in the
 * contexts of the key-frame subblock modes next to them.
 */
export function impliedBMode(yMode: number): number {
  switch (yMode) {
    case V_PRED: return B_VE_PRED;
    case H_PRED: return B_HE_PRED;
    case TM_PRED: return B_TM_PRED;
    default: return B_DC_PRED;
  }
}

/**
 * One motion vector component in quarter samples (section 17.1): a short
 * magnitude 0..7 from a tree, or a long one bit by bit, then the sign.
 */
export function mvComponentSyntax(c: SyntaxCoder, p: Uint8Array, off: number, value: number): number {
  const mag = value < 0 ? -value : value;
  let x = 0;
  if (c.bool(p[off + MV_PROB_IS_SHORT], mag > 7 ? 1 : 0)) {
    // Long form: bits 0-2, then 9 down to 4, then bit 3, which is implicit
    // when no higher bit is set (the short form would have been used).
    for (let i = 0; i < 3; i++) x += c.bool(p[off + MV_PROB_LONG + i], (mag >> i) & 1) << i;
    for (let i = MV_LONG_BITS - 1; i > 3; i--) x += c.bool(p[off + MV_PROB_LONG + i], (mag >> i) & 1) << i;
    if (!(x & 0xfff0) || c.bool(p[off + MV_PROB_LONG + 3], (mag >> 3) & 1)) x += 8;
  } else {
    x = c.tree(SMALL_MV_TREE, p, off + MV_PROB_SHORT, mag);
  }
  if (x && c.bool(p[off + MV_PROB_SIGN], value < 0 ? 1 : 0)) x = -x;
  return x;
}

/** A motion vector coded as a difference from `best` (row then column); returns the vector's component. */
function mvSyntax(c: SyntaxCoder, probs: Uint8Array, component: number, value: number, best: number): number {
  return wrapMv(mvComponentSyntax(c, probs, component * MV_PROB_COUNT, value - best) + best);
}

/**
 * The motion vector candidates of section 16.3 for one macroblock: up to
 * three distinct neighbouring vectors with weights, sorted so that candidate 1
 * is "nearest" and 2 "near", and the clamped vectors the modes use.
 */
export class NearMvs {
  /** [row, col] of candidates 0..3; candidate 0 is always the zero vector. */
  readonly mv = new Int32Array(8);
  /** Weight of each candidate: 0 = zero vectors, 1 = nearest, 2 = near, 3 = the third. */
  readonly count = new Int32Array(4);
  nearestRow = 0;
  nearestCol = 0;
  nearRow = 0;
  nearCol = 0;
  /** The base of NEWMV and NEW4X4 differences. */
  bestRow = 0;
  bestCol = 0;
  /** 2 × (above and left neighbours that are SPLITMV) + (above-left is SPLITMV). */
  splitCount = 0;

  /** Probability of each branch of the macroblock MV mode tree (section 16.3). */
  modeProb(node: number): number {
    return MODE_CONTEXTS[(node === 3 ? this.splitCount : this.count[node]) * 4 + node];
  }
}

/**
 * Adds the vector of neighbour `n` to the candidate list of section 16.3,
 * with weight `weight`; returns the new index of the last candidate.
 */
function addNeighbour(m: FrameModes, n: number, ref: number, signBias: Uint8Array, out: NearMvs, idx: number, weight: number): number {
  const nRef = m.refFrame[n];
  if (nRef === INTRA_FRAME) return idx;
  let row = m.mv[2 * n];
  let col = m.mv[2 * n + 1];
  if (row === 0 && col === 0) {
    out.count[0] += weight;
    return idx;
  }
  // A neighbour whose reference has the opposite sign bias points the other way.
  if (signBias[nRef] !== signBias[ref]) {
    row = wrapMv(-row);
    col = wrapMv(-col);
  }
  // A vector equal to the last distinct candidate adds to that one's weight.
  if (idx === 0 || row !== out.mv[2 * idx] || col !== out.mv[2 * idx + 1]) {
    idx++;
    out.mv[2 * idx] = row;
    out.mv[2 * idx + 1] = col;
  }
  out.count[idx] += weight;
  return idx;
}

function clampMv(v: number, lo: number, hi: number): number {
  return v < lo ? wrapMv(lo) : v > hi ? wrapMv(hi) : v;
}

/**
 * Section 16.3 (libvpx's order of operations): surveys the above, left and
 * above-left neighbours of macroblock `mb` for a block predicted from `ref`.
 */
export function findNearMvs(m: FrameModes, mb: number, mbCol: number, mbRow: number, ref: number, signBias: Uint8Array, out: NearMvs): void {
  out.mv.fill(0);
  out.count.fill(0);
  const mbCols = m.mbCols;
  const above = mb - mbCols;
  const left = mb - 1;
  const aboveLeft = above - 1;
  let idx = 0;
  if (mbRow > 0) idx = addNeighbour(m, above, ref, signBias, out, idx, 2);
  if (mbCol > 0) idx = addNeighbour(m, left, ref, signBias, out, idx, 2);
  if (mbRow > 0 && mbCol > 0) idx = addNeighbour(m, aboveLeft, ref, signBias, out, idx, 1);
  const mv = out.mv;
  const count = out.count;
  // With three distinct candidates, the above-left one may merge with the nearest.
  if (count[3] > 0 && mv[6] === mv[2] && mv[7] === mv[3]) count[1] += 1;
  // Nearest is the candidate with the larger weight.
  if (count[2] > count[1]) {
    let t = count[1]; count[1] = count[2]; count[2] = t;
    t = mv[2]; mv[2] = mv[4]; mv[4] = t;
    t = mv[3]; mv[3] = mv[5]; mv[5] = t;
  }
  // Vectors used as they are may move the macroblock at most 16 samples (64
  // quarter samples) beyond the frame's edges.
  const toLeft = -mbCol * 64 - 64;
  const toRight = (mbCols - 1 - mbCol) * 64 + 64;
  const toTop = -mbRow * 64 - 64;
  const toBottom = (m.mbRows - 1 - mbRow) * 64 + 64;
  out.nearestRow = clampMv(mv[2], toTop, toBottom);
  out.nearestCol = clampMv(mv[3], toLeft, toRight);
  out.nearRow = clampMv(mv[4], toTop, toBottom);
  out.nearCol = clampMv(mv[5], toLeft, toRight);
  // The best vector is the nearest one if it is at least as common as zero.
  const best = count[1] >= count[0] ? 1 : 0;
  out.bestRow = clampMv(mv[2 * best], toTop, toBottom);
  out.bestCol = clampMv(mv[2 * best + 1], toLeft, toRight);
  out.splitCount =
    (mbRow > 0 && m.yMode[above] === SPLITMV ? 2 : 0) +
    (mbCol > 0 && m.yMode[left] === SPLITMV ? 2 : 0) +
    (mbRow > 0 && mbCol > 0 && m.yMode[aboveLeft] === SPLITMV ? 1 : 0);
}

const near = new NearMvs();

/** Sections 16.2-16.4 and 17: an inter-predicted macroblock. */
function interModesSyntax(c: SyntaxCoder, ctx: ModeContext, m: FrameModes, mb: number, mbCol: number, mbRow: number): void {
  const given = m.refFrame[mb];
  c.element?.('mb_ref_frame');
  const ref = c.bool(ctx.probLast, given !== LAST_FRAME ? 1 : 0) ? (c.bool(ctx.probGf, given === ALTREF_FRAME ? 1 : 0) ? ALTREF_FRAME : GOLDEN_FRAME) : LAST_FRAME;
  m.refFrame[mb] = ref;
  m.uvMode[mb] = DC_PRED;
  findNearMvs(m, mb, mbCol, mbRow, ref, ctx.signBias, near);

  const wanted = m.yMode[mb];
  let mode: number;
  let row = 0;
  let col = 0;
  c.element?.('mv_mode');
  if (!c.bool(near.modeProb(0), wanted !== ZEROMV ? 1 : 0)) {
    mode = ZEROMV;
  } else if (!c.bool(near.modeProb(1), wanted !== NEARESTMV ? 1 : 0)) {
    mode = NEARESTMV;
    row = near.nearestRow;
    col = near.nearestCol;
  } else if (!c.bool(near.modeProb(2), wanted !== NEARMV ? 1 : 0)) {
    mode = NEARMV;
    row = near.nearRow;
    col = near.nearCol;
  } else if (c.bool(near.modeProb(3), wanted === SPLITMV ? 1 : 0)) {
    mode = SPLITMV;
    splitMvSyntax(c, ctx, m, mb, mbCol, mbRow, near.bestRow, near.bestCol);
    row = m.bMv[32 * mb + 30];
    col = m.bMv[32 * mb + 31];
  } else {
    mode = NEWMV;
    c.element?.('mv_row');
    row = mvSyntax(c, ctx.mvProbs, 0, m.mv[2 * mb], near.bestRow);
    c.element?.('mv_col');
    col = mvSyntax(c, ctx.mvProbs, 1, m.mv[2 * mb + 1], near.bestCol);
  }
  m.yMode[mb] = mode;
  m.mv[2 * mb] = row;
  m.mv[2 * mb + 1] = col;
}

/** Section 16.4: the partitioning and sub-vectors of a SPLITMV macroblock. */
function splitMvSyntax(
  c: SyntaxCoder, ctx: ModeContext, m: FrameModes, mb: number, mbCol: number, mbRow: number,
  bestRow: number, bestCol: number,
): void {
  c.element?.('mv_split_mode');
  const s = c.tree(SPLIT_MV_TREE, SPLIT_MV_PROBS, 0, m.partitioning[mb]);
  m.partitioning[mb] = s;
  const layout = MV_PARTITIONS[s];
  const parts = MV_PARTITION_COUNT[s];
  const bMv = m.bMv;
  const base = 32 * mb;
  for (let j = 0; j < parts; j++) {
    // k: the first subblock of partition j, whose neighbours give the context.
    let k = 0;
    while (layout[k] !== j) k++;
    subblockNeighbourMvs(m, mb, mbCol, mbRow, k, neighbours);
    const [leftRow, leftCol, aboveRow, aboveCol] = neighbours;
    const context = subMvContext(leftRow, leftCol, aboveRow, aboveCol);
    const wantRow = bMv[base + 2 * k];
    const wantCol = bMv[base + 2 * k + 1];
    c.element?.('sub_mv_mode');
    const subMode = c.tree(SUBMV_REF_TREE, SUBMV_REF_PROBS, context * 3, m.subMvMode[16 * mb + j]);
    m.subMvMode[16 * mb + j] = subMode;
    let row = 0;
    let col = 0;
    if (subMode === LEFT4X4) {
      row = leftRow;
      col = leftCol;
    } else if (subMode === ABOVE4X4) {
      row = aboveRow;
      col = aboveCol;
    } else if (subMode === NEW4X4) {
      c.element?.('mv_row');
      row = mvSyntax(c, ctx.mvProbs, 0, wantRow, bestRow);
      c.element?.('mv_col');
      col = mvSyntax(c, ctx.mvProbs, 1, wantCol, bestCol);
    }
    for (let b = 0; b < 16; b++) {
      if (layout[b] === j) {
        bMv[base + 2 * b] = row;
        bMv[base + 2 * b + 1] = col;
      }
    }
  }
}

const neighbours = new Int32Array(4);

/**
 * The vectors of the subblocks left of and above subblock k (section 16.4):
 * in this macroblock, or in the neighbouring one (whose macroblock vector
 * stands for all its subblocks unless it is SPLITMV); zero outside the frame.
 */
export function subblockNeighbourMvs(m: FrameModes, mb: number, mbCol: number, mbRow: number, k: number, out: Int32Array): void {
  const bMv = m.bMv;
  const base = 32 * mb;
  out[0] = out[1] = out[2] = out[3] = 0;
  if (k & 3) {
    out[0] = bMv[base + 2 * (k - 1)];
    out[1] = bMv[base + 2 * (k - 1) + 1];
  } else if (mbCol > 0) {
    const n = mb - 1;
    if (m.yMode[n] === SPLITMV) {
      out[0] = bMv[32 * n + 2 * (k + 3)];
      out[1] = bMv[32 * n + 2 * (k + 3) + 1];
    } else {
      out[0] = m.mv[2 * n];
      out[1] = m.mv[2 * n + 1];
    }
  }
  if (k >> 2) {
    out[2] = bMv[base + 2 * (k - 4)];
    out[3] = bMv[base + 2 * (k - 4) + 1];
  } else if (mbRow > 0) {
    const n = mb - m.mbCols;
    if (m.yMode[n] === SPLITMV) {
      out[2] = bMv[32 * n + 2 * (k + 12)];
      out[3] = bMv[32 * n + 2 * (k + 12) + 1];
    } else {
      out[2] = m.mv[2 * n];
      out[3] = m.mv[2 * n + 1];
    }
  }
}

/** The context of a sub-block MV mode, from the vectors to the left and above (section 16.4). */
export function subMvContext(leftRow: number, leftCol: number, aboveRow: number, aboveCol: number): number {
  const lez = leftRow === 0 && leftCol === 0;
  const aez = aboveRow === 0 && aboveCol === 0;
  const lea = leftRow === aboveRow && leftCol === aboveCol;
  return lea && lez ? SUBMVREF_LEFT_ABOVE_ZED
    : lea ? SUBMVREF_LEFT_ABOVE_SAME
    : aez ? SUBMVREF_ABOVE_ZED
    : lez ? SUBMVREF_LEFT_ZED
    : SUBMVREF_NORMAL;
}

/**
 * The macroblock headers of a whole frame, in the first partition (sections
 * 10, 11, 16, 17): read into `m`, or written from it. `macroblockDone`, when
 * given, is called after each macroblock's header (an analysis counts its
 * bits there).
 */
export function frameModesSyntax(c: SyntaxCoder, ctx: ModeContext, m: FrameModes, macroblockDone?: (mb: number) => void): void {
  const { mbCols, mbRows } = m;
  for (let mbRow = 0; mbRow < mbRows; mbRow++) {
    for (let mbCol = 0; mbCol < mbCols; mbCol++) {
      const mb = mbRow * mbCols + mbCol;
      // Section 10: segment id; when the map is not updated, key frames reset
      // it to 0 and inter frames keep the previous frame's (libvpx).
      if (ctx.updateSegmentMap) {
        c.element?.('segment_id');
        m.segmentId[mb] = c.tree(SEGMENT_TREE, ctx.segmentProbs, 0, m.segmentId[mb]);
      } else {
        m.segmentId[mb] = ctx.keyFrame ? 0 : ctx.previousSegmentMap[mb];
      }
      // Section 11.1: mb_skip_coeff.
      if (ctx.mbNoSkipCoeff) {
        c.element?.('mb_skip_coeff');
        m.skipCoeff[mb] = c.bool(ctx.probSkipFalse, m.skipCoeff[mb]);
      } else {
        m.skipCoeff[mb] = 0;
      }
      if (ctx.keyFrame) {
        keyFrameModesSyntax(c, m, mb, mbCol, mbRow);
      } else {
        c.element?.('is_inter_mb');
        if (c.bool(ctx.probIntra, m.refFrame[mb] !== INTRA_FRAME ? 1 : 0)) interModesSyntax(c, ctx, m, mb, mbCol, mbRow);
        else intraModesSyntax(c, ctx, m, mb);
      }
      if (macroblockDone !== undefined) macroblockDone(mb);
    }
  }
}

/** Section 11.2-11.4: the modes of a key-frame macroblock. */
function keyFrameModesSyntax(c: SyntaxCoder, m: FrameModes, mb: number, mbCol: number, mbRow: number): void {
  c.element?.('intra_y_mode');
  const yMode = c.tree(KF_YMODE_TREE, KF_YMODE_PROBS, 0, m.yMode[mb]);
  m.yMode[mb] = yMode;
  m.refFrame[mb] = INTRA_FRAME;
  m.mv[2 * mb] = m.mv[2 * mb + 1] = 0;
  const bModes = m.bModes;
  const base = 16 * mb;
  if (yMode === B_PRED) {
    for (let b = 0; b < 16; b++) {
      c.element?.('intra_b_mode');
      bModes[base + b] = c.tree(BMODE_TREE, KF_BMODE_PROBS, keyFrameBModeContext(m, mb, mbCol, mbRow, b) * 9, bModes[base + b]);
    }
  } else {
    bModes.fill(impliedBMode(yMode), base, base + 16);
  }
  c.element?.('intra_uv_mode');
  m.uvMode[mb] = c.tree(UV_MODE_TREE, KF_UV_MODE_PROBS, 0, m.uvMode[mb]);
}

/**
 * The context of subblock b's mode on a key frame (section 11.3): the modes
 * of the subblocks above and to the left, as above * 10 + left, looking into
 * the neighbouring macroblocks (B_DC_PRED outside the frame).
 */
export function keyFrameBModeContext(m: FrameModes, mb: number, mbCol: number, mbRow: number, b: number): number {
  const bModes = m.bModes;
  const base = 16 * mb;
  let above: number;
  if (b >= 4) above = bModes[base + b - 4];
  else above = mbRow > 0 ? bModes[base - 16 * m.mbCols + b + 12] : B_DC_PRED;
  let left: number;
  if (b & 3) left = bModes[base + b - 1];
  else left = mbCol > 0 ? bModes[base - 16 + b + 3] : B_DC_PRED;
  return above * 10 + left;
}

/** Section 16.1: an intra macroblock in an inter frame. */
function intraModesSyntax(c: SyntaxCoder, ctx: ModeContext, m: FrameModes, mb: number): void {
  c.element?.('intra_y_mode');
  const yMode = c.tree(YMODE_TREE, ctx.yModeProbs, 0, m.yMode[mb]);
  m.yMode[mb] = yMode;
  m.refFrame[mb] = INTRA_FRAME;
  m.mv[2 * mb] = m.mv[2 * mb + 1] = 0;
  const base = 16 * mb;
  if (yMode === B_PRED) {
    for (let b = 0; b < 16; b++) {
      c.element?.('intra_b_mode');
      m.bModes[base + b] = c.tree(BMODE_TREE, BMODE_PROBS, 0, m.bModes[base + b]);
    }
  } else {
    m.bModes.fill(impliedBMode(yMode), base, base + 16);
  }
  c.element?.('intra_uv_mode');
  m.uvMode[mb] = c.tree(UV_MODE_TREE, ctx.uvModeProbs, 0, m.uvMode[mb]);
}
