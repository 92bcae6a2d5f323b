// RFC 6386 section 12: intra prediction.
//
// A macroblock is predicted from the row of pixels above it (A), the column to
// its left (L) and the pixel above-left (P), all taken from the current frame
// before loop filtering (section 15, last paragraph). Outside the frame, A is
// 127 and L is 129; P is 127 on the top row and 129 elsewhere on the left
// column (section 12.2 and libvpx). The decoder copies these edges into small
// arrays first (`MacroblockEdges`), so the predictors below never test where
// they are.
//
// Predictions are written straight into the frame buffer; the residue is added
// on top of them afterwards (section 14.5).

import {
  B_DC_PRED, B_HD_PRED, B_HE_PRED, B_HU_PRED, B_LD_PRED, B_RD_PRED, B_TM_PRED, B_VE_PRED, B_VL_PRED, B_VR_PRED,
  DC_PRED, H_PRED, TM_PRED, V_PRED,
} from './tables.js';
import { clamp255 } from './transform.js';

/**
 * The edges of one macroblock's plane: `above[0]` is P, `above[1..n]` is A,
 * `above[n+1..n+4]` the four pixels above-right (used by luma subblocks), and
 * `left[0..n-1]` is L.
 */
export class MacroblockEdges {
  readonly above: Uint8Array;
  readonly left: Uint8Array;
  haveAbove = false;
  haveLeft = false;
  constructor(readonly size: number) {
    this.above = new Uint8Array(size + 5);
    this.left = new Uint8Array(size);
  }

  /**
   * Loads the edges of the block whose top-left sample is `data[pos]`, at
   * macroblock position (mbCol, mbRow), from the current (unfiltered) frame.
   * `rightmost` says whether the macroblock is the last of its row, where the
   * above-right pixels repeat the last pixel above (section 12.3).
   */
  load(data: Uint8Array, pos: number, stride: number, mbCol: number, mbRow: number, rightmost: boolean): void {
    const n = this.size;
    const above = this.above;
    const left = this.left;
    this.haveAbove = mbRow > 0;
    this.haveLeft = mbCol > 0;
    if (mbRow === 0) {
      above.fill(127);
    } else {
      const up = pos - stride;
      above[0] = mbCol === 0 ? 129 : data[up - 1];
      for (let i = 0; i < n; i++) above[1 + i] = data[up + i];
      if (rightmost) above.fill(data[up + n - 1], n + 1, n + 5);
      else for (let i = 0; i < 4; i++) above[n + 1 + i] = data[up + n + i];
    }
    if (mbCol === 0) {
      left.fill(129);
    } else {
      for (let i = 0; i < n; i++) left[i] = data[pos - 1 + i * stride];
    }
  }
}

/**
 * Predicts an n×n block (16 for luma, 8 for chroma) with one of the whole-block
 * modes DC_PRED, V_PRED, H_PRED, TM_PRED (sections 12.2 and 12.3).
 */
export function predictBlock(mode: number, e: MacroblockEdges, dst: Uint8Array, pos: number, stride: number): void {
  const n = e.size;
  const above = e.above;
  const left = e.left;
  switch (mode) {
    case DC_PRED: {
      // Average of the edges that lie inside the frame; 128 when neither does.
      let sum = 0;
      let shift = n === 16 ? 3 : 2;
      if (e.haveAbove) {
        for (let i = 0; i < n; i++) sum += above[1 + i];
        shift++;
      }
      if (e.haveLeft) {
        for (let i = 0; i < n; i++) sum += left[i];
        shift++;
      }
      const v = e.haveAbove || e.haveLeft ? (sum + (1 << (shift - 1))) >> shift : 128;
      for (let r = 0; r < n; r++) {
        const o = pos + r * stride;
        for (let c = 0; c < n; c++) dst[o + c] = v;
      }
      break;
    }
    case V_PRED:
      for (let r = 0; r < n; r++) {
        const o = pos + r * stride;
        for (let c = 0; c < n; c++) dst[o + c] = above[1 + c];
      }
      break;
    case H_PRED:
      for (let r = 0; r < n; r++) {
        const o = pos + r * stride;
        const v = left[r];
        for (let c = 0; c < n; c++) dst[o + c] = v;
      }
      break;
    case TM_PRED: {
      const p = above[0];
      for (let r = 0; r < n; r++) {
        const o = pos + r * stride;
        const lr = left[r] - p;
        for (let c = 0; c < n; c++) dst[o + c] = clamp255(lr + above[1 + c]);
      }
      break;
    }
    default:
      throw new Error(`not a whole-block intra mode: ${mode}`);
  }
}

/** Edge pixels of one 4x4 subblock: E[0..3] = L[3..0], E[4] = P, E[5..12] = A[0..7] (section 12.3). */
const E = new Uint8Array(13);

/** Four samples of one row set to v (TypedArray.fill is a call too many for four). */
function fill4(dst: Uint8Array, o: number, v: number): void {
  dst[o] = v;
  dst[o + 1] = v;
  dst[o + 2] = v;
  dst[o + 3] = v;
}

const avg2 = (x: number, y: number): number => (x + y + 1) >> 1;
const avg3 = (x: number, y: number, z: number): number => (x + y + y + z + 2) >> 2;

/**
 * Predicts a 4x4 luma subblock (section 12.3). `above` holds P, A[0..7] at
 * `above[aOff - 1 .. aOff + 7]`; `left` holds L[0..3] at `left[lOff + i * lStride]`.
 */
export function predictSubblock(
  mode: number,
  above: Uint8Array, aOff: number,
  left: Uint8Array, lOff: number, lStride: number,
  dst: Uint8Array, pos: number, stride: number,
): void {
  loadSubblockEdges(above, aOff, left, lOff, lStride);
  predictLoadedSubblock(mode, dst, pos, stride);
}

/** Copies a subblock's edges (arguments as in predictSubblock) into E, for predictLoadedSubblock. */
function loadSubblockEdges(above: Uint8Array, aOff: number, left: Uint8Array, lOff: number, lStride: number): void {
  E[0] = left[lOff + 3 * lStride];
  E[1] = left[lOff + 2 * lStride];
  E[2] = left[lOff + lStride];
  E[3] = left[lOff];
  for (let i = 0; i < 9; i++) E[4 + i] = above[aOff - 1 + i];
}

/**
 * Predicts a subblock with `mode` from the edges loaded last (by
 * loadLumaSubblockEdges or predictSubblock): a mode search loads them once
 * and tries each mode. Predicting writes only the subblock, never its edges.
 */
export function predictLoadedSubblock(mode: number, dst: Uint8Array, pos: number, stride: number): void {
  // Shorthands in the RFC's terms: A[i] = E[5 + i], L[i] = E[3 - i], P = E[4].
  // The edges are read once into locals: the compiler then has 13 loads to
  // track instead of about 200, which halves the time this function takes to
  // compile, paid early in every fresh process.
  const e0 = E[0], e1 = E[1], e2 = E[2], e3 = E[3], e4 = E[4], e5 = E[5], e6 = E[6];
  const e7 = E[7], e8 = E[8], e9 = E[9], e10 = E[10], e11 = E[11], e12 = E[12];
  const r0 = pos;
  const r1 = pos + stride;
  const r2 = pos + 2 * stride;
  const r3 = pos + 3 * stride;
  switch (mode) {
    case B_DC_PRED: {
      const v = (e5 + e6 + e7 + e8 + e0 + e1 + e2 + e3 + 4) >> 3;
      fill4(dst, r0, v);
      fill4(dst, r1, v);
      fill4(dst, r2, v);
      fill4(dst, r3, v);
      break;
    }
    case B_TM_PRED: {
      const p = e4;
      for (let r = 0; r < 4; r++) {
        const o = pos + r * stride;
        const lr = E[3 - r] - p;
        for (let c = 0; c < 4; c++) dst[o + c] = clamp255(lr + E[5 + c]);
      }
      break;
    }
    case B_VE_PRED:
      for (let c = 0; c < 4; c++) {
        const v = avg3(E[4 + c], E[5 + c], E[6 + c]);
        dst[r0 + c] = v;
        dst[r1 + c] = v;
        dst[r2 + c] = v;
        dst[r3 + c] = v;
      }
      break;
    case B_HE_PRED: {
      // L[-1] is P; the bottom row repeats L[3] because L[4] does not exist.
      fill4(dst, r0, avg3(e4, e3, e2));
      fill4(dst, r1, avg3(e3, e2, e1));
      fill4(dst, r2, avg3(e2, e1, e0));
      fill4(dst, r3, avg3(e1, e0, e0));
      break;
    }
    case B_LD_PRED: {
      // A[i] = E[5 + i]
      dst[r0] = avg3(e5, e6, e7);
      dst[r0 + 1] = dst[r1] = avg3(e6, e7, e8);
      dst[r0 + 2] = dst[r1 + 1] = dst[r2] = avg3(e7, e8, e9);
      dst[r0 + 3] = dst[r1 + 2] = dst[r2 + 1] = dst[r3] = avg3(e8, e9, e10);
      dst[r1 + 3] = dst[r2 + 2] = dst[r3 + 1] = avg3(e9, e10, e11);
      dst[r2 + 3] = dst[r3 + 2] = avg3(e10, e11, e12);
      dst[r3 + 3] = avg3(e11, e12, e12);
      break;
    }
    case B_RD_PRED:
      dst[r3] = avg3(e0, e1, e2);
      dst[r3 + 1] = dst[r2] = avg3(e1, e2, e3);
      dst[r3 + 2] = dst[r2 + 1] = dst[r1] = avg3(e2, e3, e4);
      dst[r3 + 3] = dst[r2 + 2] = dst[r1 + 1] = dst[r0] = avg3(e3, e4, e5);
      dst[r2 + 3] = dst[r1 + 2] = dst[r0 + 1] = avg3(e4, e5, e6);
      dst[r1 + 3] = dst[r0 + 2] = avg3(e5, e6, e7);
      dst[r0 + 3] = avg3(e6, e7, e8);
      break;
    case B_VR_PRED:
      dst[r3] = avg3(e1, e2, e3);
      dst[r2] = avg3(e2, e3, e4);
      dst[r3 + 1] = dst[r1] = avg3(e3, e4, e5);
      dst[r2 + 1] = dst[r0] = avg2(e4, e5);
      dst[r3 + 2] = dst[r1 + 1] = avg3(e4, e5, e6);
      dst[r2 + 2] = dst[r0 + 1] = avg2(e5, e6);
      dst[r3 + 3] = dst[r1 + 2] = avg3(e5, e6, e7);
      dst[r2 + 3] = dst[r0 + 2] = avg2(e6, e7);
      dst[r1 + 3] = avg3(e6, e7, e8);
      dst[r0 + 3] = avg2(e7, e8);
      break;
    case B_VL_PRED: {
      // A[i] = E[5 + i]
      dst[r0] = avg2(e5, e6);
      dst[r1] = avg3(e5, e6, e7);
      dst[r2] = dst[r0 + 1] = avg2(e6, e7);
      dst[r1 + 1] = dst[r3] = avg3(e6, e7, e8);
      dst[r2 + 1] = dst[r0 + 2] = avg2(e7, e8);
      dst[r3 + 1] = dst[r1 + 2] = avg3(e7, e8, e9);
      dst[r2 + 2] = dst[r0 + 3] = avg2(e8, e9);
      dst[r3 + 2] = dst[r1 + 3] = avg3(e8, e9, e10);
      // The last two do not follow the pattern (section 12.3).
      dst[r2 + 3] = avg3(e9, e10, e11);
      dst[r3 + 3] = avg3(e10, e11, e12);
      break;
    }
    case B_HD_PRED:
      dst[r3] = avg2(e0, e1);
      dst[r3 + 1] = avg3(e0, e1, e2);
      dst[r2] = dst[r3 + 2] = avg2(e1, e2);
      dst[r2 + 1] = dst[r3 + 3] = avg3(e1, e2, e3);
      dst[r2 + 2] = dst[r1] = avg2(e2, e3);
      dst[r2 + 3] = dst[r1 + 1] = avg3(e2, e3, e4);
      dst[r1 + 2] = dst[r0] = avg2(e3, e4);
      dst[r1 + 3] = dst[r0 + 1] = avg3(e3, e4, e5);
      dst[r0 + 2] = avg3(e4, e5, e6);
      dst[r0 + 3] = avg3(e5, e6, e7);
      break;
    case B_HU_PRED: {
      // L = e3, e2, e1, e0
      const l0 = e3;
      const l1 = e2;
      const l2 = e1;
      const l3 = e0;
      dst[r0] = avg2(l0, l1);
      dst[r0 + 1] = avg3(l0, l1, l2);
      dst[r0 + 2] = dst[r1] = avg2(l1, l2);
      dst[r0 + 3] = dst[r1 + 1] = avg3(l1, l2, l3);
      dst[r1 + 2] = dst[r2] = avg2(l2, l3);
      dst[r1 + 3] = dst[r2 + 1] = avg3(l2, l3, l3);
      dst[r2 + 2] = dst[r2 + 3] = dst[r3] = dst[r3 + 1] = dst[r3 + 2] = dst[r3 + 3] = l3;
      break;
    }
    default:
      throw new Error(`not a subblock intra mode: ${mode}`);
  }
}

/**
 * Predicts luma subblock b (raster order) of the B_PRED macroblock at
 * `yPos` in place (section 12.3), from its edges: pixels of the frame for
 * neighbours inside the macroblock, `e` (the macroblock's edges) for those
 * outside, and the macroblock's above-right pixels for the right column.
 * `sub` is scratch for 9 pixels. Returns the subblock's position.
 */
export function predictLumaSubblock(mode: number, e: MacroblockEdges, sub: Uint8Array, data: Uint8Array, yPos: number, stride: number, b: number): number {
  const pos = loadLumaSubblockEdges(e, sub, data, yPos, stride, b);
  predictLoadedSubblock(mode, data, pos, stride);
  return pos;
}

/** The edges predictLumaSubblock would use for subblock b, loaded for predictLoadedSubblock; returns the subblock's position. */
export function loadLumaSubblockEdges(e: MacroblockEdges, sub: Uint8Array, data: Uint8Array, yPos: number, stride: number, b: number): number {
  const bx = b & 3;
  const by = b >> 2;
  const pos = yPos + 4 * by * stride + 4 * bx;
  if (by === 0) {
    // Row 0: P, A and the above-right pixels all come from the row above the macroblock.
    for (let i = 0; i < 9; i++) sub[i] = e.above[4 * bx + i];
  } else {
    const up = pos - stride;
    sub[0] = bx === 0 ? e.left[4 * by - 1] : data[up - 1];
    for (let i = 0; i < 4; i++) sub[1 + i] = data[up + i];
    // The right column reuses the macroblock's above-right pixels.
    if (bx < 3) for (let i = 0; i < 4; i++) sub[5 + i] = data[up + 4 + i];
    else for (let i = 0; i < 4; i++) sub[5 + i] = e.above[17 + i];
  }
  if (bx === 0) loadSubblockEdges(sub, 1, e.left, 4 * by, 1);
  else loadSubblockEdges(sub, 1, data, pos - 1, stride);
  return pos;
}
