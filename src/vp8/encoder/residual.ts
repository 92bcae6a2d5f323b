// RFC 6386 sections 13 and 14 run backwards: coding a macroblock's residue.
//
// Given a prediction, the residue (source minus prediction) is transformed
// (fdct.ts), quantized (quantize.ts) and, at the slower speeds, its trailing
// levels trimmed by rate and distortion (trellis.ts) with the token contexts
// they will be coded in. The rate of a coding is the cost of its tokens under
// the frame's probabilities, the distortion the squared error of the
// reconstruction the decoder will form. Once a macroblock's coding is chosen,
// `commit` writes it into the frame: its modes and levels, and its
// reconstruction through the decoder's own code. The mode decision and rebase
// both code residues with these functions.

import { reconstructMacroblock } from '../decoder.js';
import { LEVELS_PER_MB } from '../frame.js';
import type { Plane } from '../image.js';
import { predictLumaSubblock } from '../intra.js';
import { impliedBMode } from '../modes.js';
import { B_PRED, DC_PRED, INTRA_FRAME, SPLITMV } from '../tables.js';
import {
  blockTypeOffset, BLOCKS_PER_MB, firstCoefficient, hasY2Block, type TokenContexts, U_BLOCK, Y2_BLOCK, Y2_COEFFS,
} from '../tokens.js';
import { countMacroblockBranches } from '../token-bools.js';
import { inverseDctAdd, inverseDctDcOnlyAdd, inverseWht } from '../transform.js';
import type { TokenCosts } from './costs.js';
import { forwardDctForQuantizer, forwardWht } from './fdct.js';
import type { FrameContext } from './frame-context.js';
import { quantizeBlock, quantizeDcOnly } from './quantize.js';
import { trimBlock } from './trellis.js';
import { type Candidate, type EncoderWorkspace, type MacroblockScratch, SOURCE_U, SOURCE_V } from './workspace.js';

/** The amounts added to |c| before division (section 14.1 in reverse): for the DC of step dcQ, and an AC of step acQ. */
export function dcRounding(dcQ: number): number {
  return Math.floor(dcQ * 0.45);
}
export function acRounding(acQ: number): number {
  return Math.floor(acQ * 0.35);
}

/**
 * Codes every macroblock of the frame in raster order: `choose` leaves the
 * coding of macroblock mb in `ws.mb.best` (its source loaded, its token
 * contexts in `ws.mb.entry`), and it is committed. Macroblocks use the
 * quantizer of their segment (`segmentIds`, or segment 0). Without
 * `loadSources`, `choose` loads the source itself where it needs it.
 */
export function codeMacroblocks(
  fc: FrameContext, ws: EncoderWorkspace, segmentIds: Uint8Array | null,
  choose: (mb: number, mbCol: number, mbRow: number) => void, loadSources = true,
): void {
  const m = ws.mb;
  const tokens = ws.tokens;
  for (let mbRow = 0; mbRow < fc.mbRows; mbRow++) {
    tokens.startRow();
    for (let mbCol = 0; mbCol < fc.mbCols; mbCol++) {
      const mb = mbRow * fc.mbCols + mbCol;
      const segment = segmentIds === null ? 0 : segmentIds[mb];
      m.quant = fc.setup.segmentQuant[segment];
      m.entry.copyColumn(tokens, mbCol);
      if (loadSources) loadSource(fc, m, mbCol, mbRow);
      choose(mb, mbCol, mbRow);
      commit(fc, ws, mb, mbCol, mbRow, segment);
    }
  }
}

/** Copies the source macroblock (16x16 luma, then 8x8 U and V) into `src`. */
export function loadSource(fc: FrameContext, m: MacroblockScratch, mbCol: number, mbRow: number): void {
  copyToBlock(fc.raw.y, mbCol * 16, mbRow * 16, 16, m.src, 0);
  copyToBlock(fc.raw.u, mbCol * 8, mbRow * 8, 8, m.src, SOURCE_U);
  copyToBlock(fc.raw.v, mbCol * 8, mbRow * 8, 8, m.src, SOURCE_V);
}

/**
 * Transform, quantization, rate and distortion of the luma part for a
 * whole-macroblock prediction `pred` (16x16, stride 16). Fills the luma
 * blocks (and Y2) of `t`; the mode's own cost is added by the caller.
 */
export function lumaRd(fc: FrameContext, m: MacroblockScratch, pred: Uint8Array, hasY2: boolean, t: Candidate): void {
  lumaQuant(fc, m, pred, hasY2, t);
  const src = m.src;
  const dq = t.dq;
  // Distortion: the reconstruction as the decoder will form it.
  const recon = m.recon;
  recon.set(pred);
  const eobs = t.eobs;
  for (let b = 0; b < 16; b++) addBlockResidue(dq, 16 * b, eobs[b], recon, (b >> 2) * 64 + (b & 3) * 4, 16);
  let dist = 0;
  for (let i = 0; i < 256; i++) {
    const e = src[i] - recon[i];
    dist += e * e;
  }
  t.lumaDist = dist;
  // Rate: the tokens of the luma blocks (and Y2), with this macroblock's contexts.
  m.walk.copyColumn(m.entry, 0);
  t.lumaRate = blocksTokenCost(m.tokenCosts, m.walk, hasY2, hasY2 ? Y2_BLOCK : 0, U_BLOCK, t);
}

/**
 * The cost of the tokens of `t`'s blocks in the order codeLumaTokens and
 * codeChromaTokens (tokens.ts) code them — from block `from` (the Y2 block
 * first when it is Y2_BLOCK) up to `to` - 1 — with the contexts in `walk`
 * (one column), which it updates as the coder would.
 */
function blocksTokenCost(costs: TokenCosts, walk: TokenContexts, hasY2: boolean, from: number, to: number, t: Candidate): number {
  const levels = t.levels;
  const eobs = t.eobs;
  let cost = 0;
  let b = from;
  if (b === Y2_BLOCK) {
    const e = eobs[Y2_BLOCK];
    cost += costs.block(blockTypeOffset(Y2_BLOCK, true), walk.context(0, Y2_BLOCK), 0, levels, Y2_COEFFS, e);
    walk.record(0, Y2_BLOCK, e);
    b = 0;
  }
  const type = blockTypeOffset(b, hasY2);
  const first = firstCoefficient(b, hasY2);
  for (; b < to; b++) {
    const e = eobs[b];
    cost += costs.block(type, walk.context(0, b), first, levels, 16 * b, e);
    walk.record(0, b, e);
  }
  return cost;
}

/** Transform and quantization of the luma part for a whole-macroblock prediction (16x16, stride 16). */
export function lumaQuant(fc: FrameContext, m: MacroblockScratch, pred: Uint8Array, hasY2: boolean, t: Candidate): void {
  const resid = m.resid;
  const src = m.src;
  for (let i = 0; i < 256; i++) resid[i] = src[i] - pred[i];
  quantizeLuma(fc, m, hasY2, t);
}

/**
 * The residue of macroblock (mbCol, mbRow) straight from the frames: the
 * picture to code minus the prediction already formed in the reconstruction
 * (luma into `m.resid`, chroma at SOURCE_U and SOURCE_V), for a prediction
 * that needs neither a copy of its own nor of the source.
 */
export function residueInFrame(fc: FrameContext, m: MacroblockScratch, mbCol: number, mbRow: number): void {
  planeResidue(fc.raw.y, fc.img.y, mbCol * 16, mbRow * 16, 16, m.resid, 0);
  planeResidue(fc.raw.u, fc.img.u, mbCol * 8, mbRow * 8, 8, m.resid, SOURCE_U);
  planeResidue(fc.raw.v, fc.img.v, mbCol * 8, mbRow * 8, 8, m.resid, SOURCE_V);
}

/** `out[outOff..]` (row stride n) = the n×n block at (x, y) of `src` minus that of `pred`. */
function planeResidue(src: Plane, pred: Plane, x: number, y: number, n: number, out: Int16Array, outOff: number): void {
  const a = src.data;
  const b = pred.data;
  for (let r = 0; r < n; r++) {
    const sa = src.offset + (y + r) * src.stride + x;
    const sb = pred.offset + (y + r) * pred.stride + x;
    const o = outOff + r * n;
    for (let c = 0; c < n; c++) out[o + c] = a[sa + c] - b[sb + c];
  }
}

/** Transform and quantization of the luma residue in `m.resid` into `t`. */
export function quantizeLuma(fc: FrameContext, m: MacroblockScratch, hasY2: boolean, t: Candidate): void {
  const resid = m.resid;
  const coef = m.coef;
  const q = m.quant;
  const dcRound = dcRounding(q.y1Dc);
  const acRound = acRounding(q.y1Ac);
  const dcOnly = m.dcOnly;
  for (let b = 0; b < 16; b++) dcOnly[b] = forwardDctForQuantizer(resid, (b >> 2) * 64 + (b & 3) * 4, 16, coef, 16 * b, q.y1Ac, acRound) ? 1 : 0;
  const levels = t.levels;
  const dq = t.dq;
  const eobs = t.eobs;
  const first = firstCoefficient(0, hasY2);
  if (hasY2) {
    forwardWht(coef, 0, coef, Y2_COEFFS);
    eobs[Y2_BLOCK] = quantizeBlock(coef, Y2_COEFFS, 0, q.y2Dc, q.y2Ac, dcRounding(q.y2Dc), acRounding(q.y2Ac), levels, Y2_COEFFS, dq, Y2_COEFFS);
  } else {
    eobs[Y2_BLOCK] = 0;
    levels.fill(0, Y2_COEFFS, LEVELS_PER_MB);
    dq.fill(0, Y2_COEFFS, LEVELS_PER_MB);
  }
  for (let b = 0; b < 16; b++) {
    eobs[b] = dcOnly[b]
      ? quantizeDcOnly(coef, 16 * b, first, q.y1Dc, dcRound, levels, 16 * b, dq, 16 * b)
      : quantizeBlock(coef, 16 * b, first, q.y1Dc, q.y1Ac, dcRound, acRound, levels, 16 * b, dq, 16 * b);
  }
  if (fc.effort.rdoQuant) trimBlocks(fc, m, t, 0, U_BLOCK, hasY2);
  if (hasY2) inverseWht(dq, Y2_COEFFS, dq, 0);
}

/**
 * Reconsiders the trailing levels of blocks from..to-1 of `t` (trellis.ts),
 * each with the token context it will be coded in.
 */
function trimBlocks(fc: FrameContext, m: MacroblockScratch, t: Candidate, from: number, to: number, hasY2: boolean): void {
  const walk = m.walk;
  walk.copyColumn(m.entry, 0);
  const type = blockTypeOffset(from, hasY2);
  const first = firstCoefficient(from, hasY2);
  const eobs = t.eobs;
  for (let b = from; b < to; b++) {
    if (eobs[b] > 0) eobs[b] = trimBlock(m.coef, t.levels, t.dq, 16 * b, first, eobs[b], fc.lambda, m.tokenCosts, type, walk.context(0, b));
    walk.record(0, b, eobs[b]);
  }
}

/** Transform, quantization, rate and distortion of the chroma part, predictions in predU/predV. */
export function chromaRd(fc: FrameContext, m: MacroblockScratch, t: Candidate): void {
  chromaQuant(fc, m, t);
  const src = m.src;
  // Distortion.
  let dist = 0;
  const recon = m.recon;
  for (let plane = 0; plane < 2; plane++) {
    recon.set(plane === 0 ? m.predU.data : m.predV.data);
    for (let i = 0; i < 4; i++) {
      const b = U_BLOCK + 4 * plane + i;
      addBlockResidue(t.dq, 16 * b, t.eobs[b], recon, (i >> 1) * 32 + (i & 1) * 4, 8);
    }
    for (let k = 0; k < 64; k++) {
      const e = src[SOURCE_U + 64 * plane + k] - recon[k];
      dist += e * e;
    }
  }
  t.chromaDist = dist;
  // Tokens.
  m.walk.copyColumn(m.entry, 0);
  t.chromaRate = blocksTokenCost(m.tokenCosts, m.walk, false, U_BLOCK, Y2_BLOCK, t);
}

/** Transform and quantization of the chroma part, predictions in predU/predV. */
export function chromaQuant(fc: FrameContext, m: MacroblockScratch, t: Candidate): void {
  const resid = m.resid;
  const src = m.src;
  const pu = m.predU.data;
  const pv = m.predV.data;
  for (let i = 0; i < 64; i++) {
    resid[SOURCE_U + i] = src[SOURCE_U + i] - pu[i];
    resid[SOURCE_V + i] = src[SOURCE_V + i] - pv[i];
  }
  quantizeChroma(fc, m, t);
}

/** Transform and quantization of the chroma residue in `m.resid` (SOURCE_U, SOURCE_V) into `t`. */
export function quantizeChroma(fc: FrameContext, m: MacroblockScratch, t: Candidate): void {
  const resid = m.resid;
  const coef = m.coef;
  const q = m.quant;
  const dcRound = dcRounding(q.uvDc);
  const acRound = acRounding(q.uvAc);
  for (let b = 0; b < 8; b++) {
    const plane = (b >> 2) === 0 ? SOURCE_U : SOURCE_V;
    const i = b & 3;
    const k = 16 * (U_BLOCK + b);
    t.eobs[U_BLOCK + b] = forwardDctForQuantizer(resid, plane + (i >> 1) * 32 + (i & 1) * 4, 8, coef, k, q.uvAc, acRound)
      ? quantizeDcOnly(coef, k, 0, q.uvDc, dcRound, t.levels, k, t.dq, k)
      : quantizeBlock(coef, k, 0, q.uvDc, q.uvAc, dcRound, acRound, t.levels, k, t.dq, k);
  }
  if (fc.effort.rdoQuant) trimBlocks(fc, m, t, U_BLOCK, Y2_BLOCK, false);
}

/**
 * Adds the inverse transform of the block at `dq[off..]`, whose end of block
 * is `eob`, to the prediction in `dst` — as the decoder does (decoder.ts):
 * the full transform when there is a coefficient past the DC, else the DC
 * alone (which the full transform would give too), and nothing for no DC. A
 * luma block of a macroblock with Y2 has eob 0 and its DC from the Y2 block.
 */
export function addBlockResidue(dq: Int16Array, off: number, eob: number, dst: Uint8Array, dstOff: number, stride: number): void {
  if (eob > 1) inverseDctAdd(dq, off, dst, dstOff, stride);
  else if (dq[off] !== 0) inverseDctDcOnlyAdd(dq[off], dst, dstOff, stride);
}

/** Resets `trial` to an intra B_PRED macroblock, which has no Y2 block. */
export function beginBPredTrial(m: MacroblockScratch): Candidate {
  const t = m.trial;
  t.yMode = B_PRED;
  t.ref = INTRA_FRAME;
  t.mvRow = t.mvCol = 0;
  t.eobs[Y2_BLOCK] = 0;
  t.levels.fill(0, Y2_COEFFS, LEVELS_PER_MB);
  t.dq.fill(0, Y2_COEFFS, LEVELS_PER_MB);
  return t;
}

/**
 * Codes subblock b of a B_PRED macroblock with `mode` into `t`: predicts it
 * from the frame (edges in `m.edgesY`, the macroblock at `yPos`), quantizes
 * the residue (trimming trailing levels when `tokenCtx` >= 0) and
 * reconstructs it in place for the subblocks after it. Returns its end of block.
 */
export function codeSubblock(fc: FrameContext, m: MacroblockScratch, t: Candidate, b: number, mode: number, yPos: number, tokenCtx: number): number {
  const data = fc.img.y.data;
  const ys = fc.img.y.stride;
  const q = m.quant;
  const dcRound = dcRounding(q.y1Dc);
  const acRound = acRounding(q.y1Ac);
  const bx = b & 3;
  const by = b >> 2;
  const pos = predictLumaSubblock(mode, m.edgesY, m.sub, data, yPos, ys, b);
  for (let row = 0; row < 4; row++) {
    for (let c = 0; c < 4; c++) m.resid[row * 4 + c] = m.src[(4 * by + row) * 16 + 4 * bx + c] - data[pos + row * ys + c];
  }
  const k = 16 * b;
  forwardDctForQuantizer(m.resid, 0, 4, m.coef, k, q.y1Ac, acRound);
  let eob = quantizeBlock(m.coef, k, 0, q.y1Dc, q.y1Ac, dcRound, acRound, t.levels, k, t.dq, k);
  if (tokenCtx >= 0 && eob > 0) {
    eob = trimBlock(m.coef, t.levels, t.dq, k, 0, eob, fc.lambda, m.tokenCosts, blockTypeOffset(b, false), tokenCtx);
  }
  addBlockResidue(t.dq, k, eob, data, pos, ys);
  t.eobs[b] = eob;
  t.bModes[b] = mode;
  return eob;
}

/** Writes `best` as macroblock mb: modes, levels, and its reconstruction through the decoder's code. */
function commit(fc: FrameContext, ws: EncoderWorkspace, mb: number, mbCol: number, mbRow: number, segmentId: number): void {
  const m = ws.mb;
  const best = m.best;
  const modes = fc.modes;
  const hasY2 = hasY2Block(best.yMode);
  modes.yMode[mb] = best.yMode;
  modes.uvMode[mb] = best.ref === INTRA_FRAME ? best.uvMode : DC_PRED;
  modes.refFrame[mb] = best.ref;
  modes.segmentId[mb] = segmentId;
  modes.mv[2 * mb] = best.mvRow;
  modes.mv[2 * mb + 1] = best.mvCol;
  const base = 16 * mb;
  if (best.yMode === B_PRED) modes.bModes.set(best.bModes, base);
  else modes.bModes.fill(impliedBMode(best.yMode), base, base + 16);
  if (best.yMode === SPLITMV) {
    modes.partitioning[mb] = best.partitioning;
    modes.bMv.set(best.bMv, 2 * base);
    modes.subMvMode.set(best.subMvMode, base);
  }
  let residue = false;
  for (let b = 0; b < BLOCKS_PER_MB; b++) if (best.eobs[b] > 0) residue = true;
  modes.skipCoeff[mb] = residue ? 0 : 1;
  // The frame's levels and eobs.
  ws.levels.set(best.levels, mb * LEVELS_PER_MB);
  ws.eobs.set(best.eobs, mb * BLOCKS_PER_MB);
  // Dequantized coefficients for the decoder's reconstruction. Y blocks of a
  // macroblock with Y2 get their DC from the inverse WHT there, as in the decoder.
  const dws = ws.decoder;
  dws.coeffs.set(best.dq);
  if (hasY2) for (let b = 0; b < 16; b++) dws.coeffs[16 * b] = 0;
  dws.eobs.set(best.eobs);
  // A whole-macroblock inter prediction formed last (with the decoder's
  // predictInter) may still be in predY/predU/predV, or already in the frame.
  const inter = best.ref !== INTRA_FRAME;
  if (inter && m.predictionIsBest && !m.predictionInFrame) {
    writeBlock(m.predY, fc.img.y, mbCol * 16, mbRow * 16, 16);
    writeBlock(m.predU, fc.img.u, mbCol * 8, mbRow * 8, 8);
    writeBlock(m.predV, fc.img.v, mbCol * 8, mbRow * 8, 8);
  }
  // A B_PRED winner's luma was reconstructed in the frame as its subblocks were coded.
  const lumaInFrame = m.bPredInFrame && best.yMode === B_PRED;
  reconstructMacroblock(dws, fc.setup, fc.img, fc.refs, mb, mbCol, mbRow, residue, inter && (m.predictionIsBest || m.predictionInFrame), lumaInFrame);
  m.predictionIsBest = false;
  m.predictionInFrame = false;
  m.bPredInFrame = false;
  // Token contexts, as the decoder will update them (a skipped macroblock's
  // ends are all 0), and the branches its tokens take, counted now rather
  // than in a second pass over the frame.
  if (residue) countMacroblockBranches(ws.coeffCounts, hasY2, ws.tokens, mbCol, best.levels, 0, best.eobs, 0);
  else ws.tokens.recordMacroblock(mbCol, hasY2, best.eobs, 0);
}

/** Copies the n×n block at (x, y) of a plane into `out[outOff..]` (row stride n). */
function copyToBlock(p: Plane, x: number, y: number, n: number, out: Int16Array, outOff: number): void {
  const data = p.data;
  for (let r = 0; r < n; r++) {
    const row = p.offset + (y + r) * p.stride + x;
    const o = outOff + r * n;
    for (let c = 0; c < n; c++) out[o + c] = data[row + c];
  }
}

/** Writes an n×n scratch block (stride n) into a plane at (x, y). */
function writeBlock(from: Plane, to: Plane, x: number, y: number, n: number): void {
  const src = from.data;
  const dst = to.data;
  for (let r = 0; r < n; r++) {
    const o = to.offset + (y + r) * to.stride + x;
    for (let c = 0; c < n; c++) dst[o + c] = src[r * n + c];
  }
}
