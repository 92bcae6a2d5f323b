// RFC 6386 sections 9 and 19.2 seen from the encoder: the frame being coded.
//
// Everything a macroblock decision is made against is fixed when a frame
// starts: its header and setup (what a decoder will derive from them), the
// reference pictures, the effort the speed allows, and λ, the price of a bit
// in squared error. A FrameContext carries them to every step of the frame.
// Only two things in it grow while the frame is coded: the reconstruction and
// the modes, one macroblock after another, exactly as the decoder will build
// them. A SearchContext adds what choosing modes needs: the rates of modes and
// motion vectors under the frame's probabilities.

import { referenceList } from '../decoder.js';
import type { FrameSetup } from '../frame-setup.js';
import { Vp8Error } from '../errors.js';
import { blankHeader, type CodedDelta, type FrameHeader, type Mutable } from '../header.js';
import { allocateImage, type Image } from '../image.js';
import { type FrameModes, mvComponentSyntax } from '../modes.js';
import type { DecoderState } from '../state.js';
import {
  ALTREF_FRAME, B_PRED, BMODE_PROBS, BMODE_TREE, DC_PRED, GOLDEN_FRAME, H_PRED, KF_BMODE_PROBS, KF_UV_MODE_PROBS, KF_YMODE_PROBS,
  KF_YMODE_TREE, LAST_FRAME, MV_PROB_COUNT, SPLIT_16X8, SPLIT_4X4, SPLIT_8X16, SPLIT_8X8, TM_PRED, UV_MODE_TREE, V_PRED, YMODE_TREE,
} from '../tables.js';
import { boolCost, CostCoder, treeCost } from './costs.js';
import { MV_COST_OFFSET, type MvPricing } from './motion.js';
import type { EncoderWorkspace } from './workspace.js';

/** Settings of one frame. */
export interface EncodeOptions {
  /** Quantizer index 0..127 (the frame header's y_ac_qi). */
  readonly qIndex: number;
  /** Code a key frame (always done for the first frame and on a size change). */
  readonly keyFrame?: boolean;
  /** Effort: 0 searches the most; each step up trades compression for speed. Default DEFAULT_SPEED. */
  readonly speed?: number;
  /** A fixed loop filter instead of the per-frame search. */
  readonly loopFilter?: { readonly level: number; readonly sharpness: number };
  /** Inter frames: make this frame the new golden / altref reference. */
  readonly refreshGolden?: boolean;
  readonly refreshAltref?: boolean;
  /** Inter frames: copy a reference into altref / golden first (1: last frame, 2: the other one, as coded). */
  readonly copyToAltref?: 0 | 1 | 2;
  readonly copyToGolden?: 0 | 1 | 2;
  /** Number of token partitions as log2 (0..3). */
  readonly log2TokenPartitions?: number;
  /** Scale of λ, the price of a bit in squared error (for tuning). */
  readonly rdMultiplier?: number;
  readonly workspace?: EncoderWorkspace;
}

export const DEFAULT_SPEED = 3;
export const MAX_SPEED = 5;

/** Effort settings derived from the speed. */
export interface Effort {
  readonly searchRange: number;
  /** The whole-sample search's first step where the predicted vectors agree to a sample (fullPelSearch). */
  readonly agreedRange: number;
  /**
   * Positions sub-sample refinement tries per step: 8 (all neighbours), 5
   * (the four nearest, then the one corner between the better of left and
   * right and the better of up and down) or 4 (the nearest only).
   */
  readonly subPelPoints: 4 | 5 | 8;
  /** Compare sub-sample candidates through the cheaper bilinear filter (an approximation of the six-tap one). */
  readonly subPelBilinear: boolean;
  /** Finish the whole-sample search with the eight neighbours of the best position. */
  readonly finalSquare: boolean;
  /** Reconsider trailing quantized levels by their rate and distortion (trellis.ts). */
  readonly rdoQuant: boolean;
  /** Fast decisions skip the motion search when a neighbour's vector already costs less than this (SAD units). */
  readonly searchBelow: number;
  readonly goldenAltref: boolean;
  readonly chromaModes: number;
  readonly lfSearch: 'full' | 'coarse' | 'none';
  /** SPLITMV partitionings to try (SPLIT_16X8 ... SPLIT_4X4). */
  readonly splits: readonly number[];
  /** Decide modes by prediction error and rate without trial encodes (the fastest speeds). */
  readonly fast: boolean;
  /** Screen candidates by SATD and code only this many in full (shortlist.ts); 0 codes every candidate in full. */
  readonly shortlist: number;
  /**
   * The shortlist's later candidates are coded only when their screened cost
   * is within this factor of the best one's: on foreman a second candidate
   * screened more than 10% worse wins a quarter as often as one within 10%.
   */
  readonly shortlistWithin: number;
  /**
   * Screened decisions skip B_PRED when the best cost so far is below this
   * times λ times B_PRED's least mode rate (1 would be exact: B_PRED could not
   * win; more allows for the residue B_PRED adds, seldom small).
   */
  readonly bPredScreen: number;
  /**
   * From its eighth subblock on, B_PRED is given up once its cost so far
   * exceeds this times the share of the limit its subblocks so far would
   * take at an even pace (0: only once it exceeds the limit itself). Half-way
   * at 70% of the limit, it seldom wins: on foreman 1 trial in 25 of those.
   */
  readonly bPredPace: number;
  /** B_PRED subblock modes coded in full per subblock, of the ten ranked by SATD. */
  readonly bPredModes: number;
  /** Screened decisions search vectors in golden and altref too (else only their neighbours' vectors are tried). */
  readonly searchOtherRefs: boolean;
  /** Fast decisions try B_PRED on inter frames too (else on key frames only). */
  readonly fastInterBPred: boolean;
  /** Fast decisions try intra modes on inter frames when the best vector costs more than this (0: always). */
  readonly fastIntraAbove: number;
  /**
   * Inter frames try B_PRED (when fastInterBPred allows) only on macroblocks
   * whose best cost so far exceeds this many times B_PRED's least weighted
   * rate: below that, B_PRED can seldom pay for its sixteen modes.
   */
  readonly fastInterBPredAbove: number;
  /** Fast B_PRED tries the first this many subblock modes (B_DC_PRED, B_TM_PRED, B_VE_PRED, B_HE_PRED, then the diagonals). */
  readonly fastBModes: number;
}

/** The effort of a speed (DEFAULT_SPEED when absent, clamped to 0..MAX_SPEED); docs/vp8-encoder.md describes each speed. */
export function effortFor(requested: number | undefined): Effort {
  const speed = Math.max(0, Math.min(MAX_SPEED, requested ?? DEFAULT_SPEED));
  const searchRange = speed <= 1 ? 32 : speed === 2 ? 16 : speed <= 4 ? 8 : 2;
  return {
    searchRange,
    agreedRange: speed === 4 ? 2 : searchRange,
    subPelPoints: speed >= 5 ? 4 : speed === 4 ? 5 : 8,
    subPelBilinear: speed >= 5,
    finalSquare: speed <= 4,
    searchBelow: speed >= 5 ? 3 * 256 : 256,
    rdoQuant: speed <= 3,
    goldenAltref: speed <= 3,
    chromaModes: speed <= 4 ? 4 : 1,
    lfSearch: speed <= 1 ? 'full' : speed <= 3 ? 'coarse' : 'none',
    splits: speed === 0 ? [SPLIT_16X8, SPLIT_8X16, SPLIT_8X8, SPLIT_4X4] : speed === 1 ? [SPLIT_16X8, SPLIT_8X16, SPLIT_8X8] : [],
    fast: speed >= 4,
    shortlist: speed === 2 || speed === 3 ? 2 : 0,
    shortlistWithin: 1.1,
    bPredScreen: 4,
    bPredPace: speed === 2 || speed === 3 ? 1.4 : 0,
    bPredModes: 3,
    searchOtherRefs: speed <= 2,
    fastInterBPred: speed === 4,
    // Speed 5: when a vector predicts worse than about 8 levels per sample.
    fastIntraAbove: speed === 4 ? 0 : 8 * 256,
    fastInterBPredAbove: speed === 4 ? 4 : 0,
    // Speed 4's inter-frame B_PRED: the four plainest subblock modes, which win most subblocks.
    fastBModes: speed === 4 ? 4 : 10,
  };
}

/** The whole-block intra modes, in the order they are tried (the chroma search takes the first `chromaModes`). */
export const WHOLE_BLOCK_MODES = [DC_PRED, V_PRED, H_PRED, TM_PRED];

/** The frame being coded (see the file comment). */
export interface FrameContext {
  /** The state the frame is coded against. */
  readonly state: DecoderState;
  /** The header; the loop filter and the probabilities are filled in at the end of the frame. */
  readonly header: Mutable<FrameHeader>;
  readonly setup: FrameSetup;
  readonly keyFrame: boolean;
  readonly effort: Effort;
  /** The picture to code. */
  readonly raw: Image;
  /** The reconstruction, built macroblock by macroblock with the decoder's code. */
  readonly img: Image;
  /** The modes decided so far (the decoder workspace's, which reconstruction reads). */
  readonly modes: FrameModes;
  /** The reference pictures, indexed by INTRA_FRAME (none), LAST, GOLDEN, ALTREF. */
  readonly refs: readonly (Image | null)[];
  readonly mbCols: number;
  readonly mbRows: number;
  /** λ: the squared error one 1/256 bit is worth. */
  readonly lambda: number;
}

/** A FrameContext with the rates (1/256 bit) the mode decision weighs. */
export interface SearchContext extends FrameContext {
  /** λ for sums of absolute differences instead of squared errors. */
  readonly lambdaSad: number;
  readonly yModeCost: Int32Array;
  readonly uvModeCost: Int32Array;
  /** Key frames: [context * 10 + mode]; inter frames: [mode]. */
  readonly bModeCost: Int32Array;
  /** The is-inter and reference bools, per reference. */
  readonly interBaseCost: Int32Array;
  /** The least rate of B_PRED's modes: its luma mode and sixteen of the cheapest subblock mode. */
  readonly bPredMinRate: number;
  readonly pricing: MvPricing;
}

/** Refuses a picture no frame can have. */
export function checkPicture(raw: Image): void {
  if (raw.width < 1 || raw.height < 1 || raw.width > 16383 || raw.height > 16383) {
    throw new Vp8Error('invalid-argument', `cannot encode a ${raw.width}x${raw.height} picture (1..16383 in each direction)`);
  }
}

/** λ per (quantizer step)² and per bit, at the default multiplier. */
const RD_MULTIPLIER = 0.016;

/**
 * The context of a frame with header `header` (and its `setup` under
 * `state`) coding picture `raw`; prepares `ws` for the frame.
 */
export function createFrameContext(
  state: DecoderState, raw: Image, header: Mutable<FrameHeader>, setup: FrameSetup, effort: Effort,
  ws: EncoderWorkspace, rdMultiplier: number,
): FrameContext {
  if (raw.width !== setup.width || raw.height !== setup.height) {
    throw new Vp8Error('invalid-argument', `the target picture is ${raw.width}x${raw.height}, the frame ${setup.width}x${setup.height}`);
  }
  const { mbCols, mbRows } = setup;
  ws.prepare(mbCols, mbRows, setup.frameProbs.coeff);
  const q = setup.segmentQuant[0].y1Ac;
  return new CodingFrame(
    state, header, setup, effort, raw, allocateImage(raw.width, raw.height), ws.decoder.modes, referenceList(state),
    rdMultiplier * RD_MULTIPLIER * q * q / 256, NO_COSTS, NO_COSTS, NO_COSTS, NO_COSTS, 0, NO_PRICING,
  );
}

/** The rates of a frame context that is not a search context (never read: the FrameContext type hides them). */
const NO_COSTS = new Int32Array(0);
const NO_PRICING: MvPricing = { rowCost: NO_COSTS, colCost: NO_COSTS };

/**
 * The FrameContext createFrameContext makes, and the SearchContext
 * searchContext makes from it: one class for both, whose instances all share
 * one hidden class. With object literals, or with two classes, the code
 * optimised while the first frame was coded (quantization, commit) was thrown
 * away when the second frame's context, or the other kind of context, first
 * reached it, and compiled again, which a short encode or rebase cannot afford.
 * A frame context's rates are empty placeholders of the same types.
 */
class CodingFrame implements SearchContext {
  readonly keyFrame: boolean;
  readonly mbCols: number;
  readonly mbRows: number;
  readonly lambdaSad: number;
  constructor(
    readonly state: DecoderState,
    readonly header: Mutable<FrameHeader>,
    readonly setup: FrameSetup,
    readonly effort: Effort,
    readonly raw: Image,
    readonly img: Image,
    readonly modes: FrameModes,
    readonly refs: readonly (Image | null)[],
    readonly lambda: number,
    readonly yModeCost: Int32Array,
    readonly uvModeCost: Int32Array,
    readonly bModeCost: Int32Array,
    readonly interBaseCost: Int32Array,
    readonly bPredMinRate: number,
    readonly pricing: MvPricing,
  ) {
    this.keyFrame = header.keyFrame;
    this.mbCols = setup.mbCols;
    this.mbRows = setup.mbRows;
    this.lambdaSad = Math.sqrt(lambda * 256) / 256;
  }
}

/** The rate-distortion cost J = D + λ·R of a rate (1/256 bit) and a distortion (squared error). */
export function rdCost(fc: FrameContext, rate: number, dist: number): number {
  return dist + fc.lambda * rate;
}

/** libvpx's default loop-filter deltas: intra +2, golden and altref -2; B_PRED +4, ZEROMV -2, other MV +2, SPLITMV +4. */
const REF_LF_DELTAS = [2, 0, -2, -2];
const MODE_LF_DELTAS = [4, -2, 2, 4];

/** The header of a frame whose every decision is the encoder's own. */
export function freshHeader(state: DecoderState, raw: Image, options: EncodeOptions): Mutable<FrameHeader> {
  const sizeChanged = raw.width !== state.width || raw.height !== state.height;
  const key = options.keyFrame === true || state.last === null || sizeChanged;
  const h = blankHeader(
    { keyFrame: key, version: 0, showFrame: true, firstPartSize: 0 },
    key ? { width: raw.width, horizontalScale: 0, height: raw.height, verticalScale: 0 } : undefined,
  );
  h.yAcQi = options.qIndex;
  // The normal loop filter at every speed: the simple one saves little time and costs much compression.
  h.filterType = 0;
  h.mbNoSkipCoeff = true;
  h.refreshEntropyProbs = true;
  h.log2NbrOfDctPartitions = options.log2TokenPartitions ?? 0;
  // Loop-filter deltas as libvpx uses them, sent on key frames (which reset them).
  h.loopFilterAdjEnable = true;
  if (key) {
    h.modeRefLfDeltaUpdate = true;
    h.refFrameDeltaUpdate = REF_LF_DELTAS.map(codedDeltaOf);
    h.mbModeDeltaUpdate = MODE_LF_DELTAS.map((v) => ({ magnitude: Math.abs(v), negative: v < 0 }));
  } else {
    // Inter frames inherit the deltas; a state from elsewhere may hold others.
    if (!sameValues(state.refLfDeltas, REF_LF_DELTAS) || !sameValues(state.modeLfDeltas, MODE_LF_DELTAS)) {
      h.modeRefLfDeltaUpdate = true;
      h.refFrameDeltaUpdate = REF_LF_DELTAS.map(codedDeltaOf);
      h.mbModeDeltaUpdate = MODE_LF_DELTAS.map(codedDeltaOf);
    }
    h.refreshGoldenFrame = options.refreshGolden === true;
    h.refreshAlternateFrame = options.refreshAltref === true;
    h.copyBufferToAlternate = h.refreshAlternateFrame ? 0 : options.copyToAltref ?? 0;
    h.copyBufferToGolden = h.refreshGoldenFrame ? 0 : options.copyToGolden ?? 0;
    h.refreshLast = true;
    // Placeholder probabilities for the mode decision; the real ones are counted afterwards.
    h.probIntra = 30;
    h.probLast = 230;
    h.probGf = 128;
  }
  h.probSkipFalse = 128;
  return h;
}

/** `fc` with the rates of modes and vectors under the frame's probabilities (sections 11, 16, 17). */
export function searchContext(fc: FrameContext): SearchContext {
  const h = fc.header;
  const yModeCost = new Int32Array(5);
  const uvModeCost = new Int32Array(4);
  const bModeCost = new Int32Array(fc.keyFrame ? 1000 : 10);
  const interBaseCost = new Int32Array(4);
  if (fc.keyFrame) {
    for (let m = 0; m <= B_PRED; m++) yModeCost[m] = treeCost(KF_YMODE_TREE, KF_YMODE_PROBS, 0, m);
    for (let m = 0; m < 4; m++) uvModeCost[m] = treeCost(UV_MODE_TREE, KF_UV_MODE_PROBS, 0, m);
    for (let ctx = 0; ctx < 100; ctx++) {
      for (let m = 0; m < 10; m++) bModeCost[ctx * 10 + m] = treeCost(BMODE_TREE, KF_BMODE_PROBS, ctx * 9, m);
    }
  } else {
    const p = fc.setup.frameProbs;
    const intra = boolCost(h.probIntra, 0);
    for (let m = 0; m <= B_PRED; m++) yModeCost[m] = intra + treeCost(YMODE_TREE, p.yMode, 0, m);
    for (let m = 0; m < 4; m++) uvModeCost[m] = treeCost(UV_MODE_TREE, p.uvMode, 0, m);
    for (let m = 0; m < 10; m++) bModeCost[m] = treeCost(BMODE_TREE, BMODE_PROBS, 0, m);
    const inter = boolCost(h.probIntra, 1);
    interBaseCost[LAST_FRAME] = inter + boolCost(h.probLast, 0);
    interBaseCost[GOLDEN_FRAME] = inter + boolCost(h.probLast, 1) + boolCost(h.probGf, 0);
    interBaseCost[ALTREF_FRAME] = inter + boolCost(h.probLast, 1) + boolCost(h.probGf, 1);
  }
  return new CodingFrame(
    fc.state, fc.header, fc.setup, fc.effort, fc.raw, fc.img, fc.modes, fc.refs, fc.lambda,
    yModeCost, uvModeCost, bModeCost, interBaseCost, yModeCost[B_PRED] + 16 * Math.min(...bModeCost), mvPricing(fc.setup.frameProbs.mv),
  );
}

/**
 * MV pricing tables by MV probability table. The tables are a pure function
 * of the probabilities, and states share unchanged probability tables, so a
 * weak cache keyed by the table saves recomputing them for every frame.
 */
const pricingCache = new WeakMap<Uint8Array, MvPricing>();

/** The cost of every motion vector component difference, priced by the syntax itself (section 17). */
function mvPricing(probs: Uint8Array): MvPricing {
  const cached = pricingCache.get(probs);
  if (cached) return cached;
  const rowCost = new Int32Array(2 * MV_COST_OFFSET + 1);
  const colCost = new Int32Array(2 * MV_COST_OFFSET + 1);
  const c = new CostCoder();
  for (let d = -MV_COST_OFFSET; d <= MV_COST_OFFSET; d++) {
    c.cost = 0;
    mvComponentSyntax(c, probs, 0, d);
    rowCost[d + MV_COST_OFFSET] = c.cost;
    c.cost = 0;
    mvComponentSyntax(c, probs, MV_PROB_COUNT, d);
    colCost[d + MV_COST_OFFSET] = c.cost;
  }
  const pricing = { rowCost, colCost };
  pricingCache.set(probs, pricing);
  return pricing;
}

export function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A value as an optional coded delta (absent for 0). */
export function codedDeltaOf(v: number): CodedDelta | null {
  return v === 0 ? null : { magnitude: Math.abs(v), negative: v < 0 };
}
