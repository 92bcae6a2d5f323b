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
// the four whole-block intra modes, B_PRED with a mode per subblock, and on
// inter frames ZEROMV, NEARESTMV, NEARMV, NEWMV (after a motion search) and
// SPLITMV for each available reference — and keeps the one with the lowest
// rate-distortion cost D + λ·R, where D is the squared error of the
// reconstruction and R the bits of its modes, vector and coefficient tokens
// (section 13) under the probabilities in force. After the last macroblock it
// picks the loop-filter level that brings the frame closest to the source,
// works out which probabilities are worth updating from what was coded, and
// writes the frame with the syntax layer (frame.ts).

import {
  DecoderWorkspace, filterLevels, finishFrame, type FrameSetup, frameSetup, hasY2Block, predictInterMacroblock,
  reconstructMacroblock, referenceList,
} from '../decoder.js';
import { Vp8Error } from '../errors.js';
import { blankHeader, type CodedDelta, type FrameHeader, type Mutable } from '../header.js';
import { allocateImage, type Image, type Plane } from '../image.js';
import { InterScratch, predictInter, splitChromaMvs } from '../inter.js';
import { MacroblockEdges, predictBlock, predictLumaSubblock } from '../intra.js';
import { loopFilterFrame } from '../loop-filter.js';
import {
  findNearMvs, impliedBMode, keyFrameBModeContext, mvComponentSyntax, NearMvs, subblockNeighbourMvs, subMvContext,
} from '../modes.js';
import type { DecoderState } from '../state.js';
import {
  ABOVE4X4, ALTREF_FRAME, B_DC_PRED, B_PRED, BMODE_PROBS, BMODE_TREE, COEFF_PROBS_SIZE, COEFF_UPDATE_PROBS, DC_PRED,
  GOLDEN_FRAME, H_PRED, INTRA_FRAME, KF_BMODE_PROBS, KF_UV_MODE_PROBS, KF_YMODE_PROBS, KF_YMODE_TREE, LAST_FRAME, LEFT4X4,
  MAX_QINDEX, MV_PARTITION_COUNT, MV_PARTITIONS, MV_PROB_COUNT, MV_UPDATE_PROBS, NEARESTMV, NEARMV, NEW4X4, NEWMV,
  SPLIT_16X8, SPLIT_4X4, SPLIT_8X16, SPLIT_8X8, SPLIT_MV_PROBS, SPLIT_MV_TREE, SPLITMV, SUBMV_REF_PROBS, SUBMV_REF_TREE,
  TM_PRED, UV_MODE_TREE, V_PRED, YMODE_TREE, ZERO4X4, ZEROMV,
} from '../tables.js';
import {
  blockTypeOffset, BLOCKS_PER_MB, codeBlockTokens, codeChromaTokens, codeLumaTokens, codeMacroblockTokens, TokenContexts, TokenCounter,
  U_BLOCK, U_COEFFS, Y2_BLOCK, Y2_COEFFS,
} from '../tokens.js';
import { inverseDctAdd, inverseWht } from '../transform.js';
import { type Frame, LEVELS_PER_MB, serializeFrame } from '../frame.js';
import type { DequantFactors } from '../quant.js';
import { boolCost, BranchCounter, CostCoder, INDEX_PROBS, PROB_COST, TokenCost, treeCost } from './costs.js';
import { forwardDctForQuantizer, forwardWht } from './fdct.js';
import {
  fullPelSearch, mvCost, MV_COST_OFFSET, type MvPricing, sad as sadRegion, type SearchResult, type SearchTarget, scratchPlane, sse, subPelSearch,
} from './motion.js';
import { quantizeBlock, quantizeDcOnly } from './quantize.js';
import { trimBlock } from './trellis.js';

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
  /**
   * Rebase instead of encode: keep this frame's decisions and recompute its
   * residue (see rebaseFrame). qIndex, keyFrame, loopFilter and the copy
   * options are then the kept frame's; refreshGolden / refreshAltref, when
   * given, override its reference updates.
   */
  readonly keep?: KeptFrame;
  readonly workspace?: EncoderWorkspace;
}

/** A frame as coded, with the setup it was coded under (frameSetup of the state it was parsed against). */
export interface KeptFrame {
  readonly frame: Frame;
  readonly setup: FrameSetup;
}

export const DEFAULT_SPEED = 2;
export const MAX_SPEED = 5;

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

/** Reusable scratch memory for encoding; never part of a state. */
export class EncoderWorkspace {
  readonly decoder = new DecoderWorkspace();
  /** The frame being built: levels and eobs of every macroblock. */
  levels = new Int16Array(0);
  eobs = new Uint8Array(0);
  tokens = new TokenContexts(0);
  prepare(mbCols: number, mbRows: number): void {
    this.decoder.prepare(mbCols, mbRows);
    const n = mbCols * mbRows;
    if (this.eobs.length !== BLOCKS_PER_MB * n) {
      this.levels = new Int16Array(n * LEVELS_PER_MB);
      this.eobs = new Uint8Array(BLOCKS_PER_MB * n);
    }
    if (this.tokens.above.length !== 9 * mbCols) this.tokens = new TokenContexts(mbCols);
    this.tokens.above.fill(0);
  }
}

/** MV pricing tables by MV probability table (states share unchanged tables). */
const pricingCache = new WeakMap<Uint8Array, MvPricing>();

/** λ per (quantizer step)² and per bit, at the default multiplier. */
const RD_MULTIPLIER = 0.016;

/** libvpx's default loop-filter deltas: intra +2, golden and altref -2; B_PRED +4, ZEROMV -2, other MV +2, SPLITMV +4. */
const REF_LF_DELTAS = [2, 0, -2, -2];
const MODE_LF_DELTAS = [4, -2, 2, 4];

/** Encodes one frame against `state` (see the file comment). `raw` must have the state's size on inter frames. */
export function encodeFrame(state: DecoderState, raw: Image, options: EncodeOptions): EncodeResult {
  if (!Number.isInteger(options.qIndex) || options.qIndex < 0 || options.qIndex > MAX_QINDEX) {
    throw new Vp8Error('invalid-argument', `qIndex must be an integer 0..${MAX_QINDEX}, got ${options.qIndex}`);
  }
  if (raw.width < 1 || raw.height < 1 || raw.width > 16383 || raw.height > 16383) {
    throw new Vp8Error('invalid-argument', `cannot encode a ${raw.width}x${raw.height} picture (1..16383 in each direction)`);
  }
  return new FrameEncoder(state, raw, options).encode();
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
 * Rebase (the ExCamera paper's term): codes `kept.frame` again against a
 * different `state`, keeping every decision it made — modes, motion vectors,
 * segment ids, quantizers, loop filter, reference updates — and recomputing
 * what depends on the references: prediction, residue (against `target`,
 * the picture the frame should show), token probability updates and the
 * skip and reference probabilities. Any effective setting that the new state
 * would change (segment values, the segment map, loop-filter deltas) is sent
 * explicitly, so the frame means what it meant. The result is exact for the
 * new state: decodeFrame(state, frame).state equals the returned state.
 */
export function rebaseFrame(state: DecoderState, kept: KeptFrame, target: Image, options: RebaseOptions = {}): EncodeResult {
  const h = kept.frame.header;
  const all = options.refreshAllReferences === true && !h.keyFrame;
  return encodeFrame(state, target, {
    qIndex: h.yAcQi,
    speed: options.speed,
    keep: kept,
    refreshGolden: all ? true : undefined,
    refreshAltref: all ? true : undefined,
    workspace: options.workspace,
  });
}

/** The header of a rebased frame (see rebaseFrame). */
function keptHeader(state: DecoderState, kept: KeptFrame, options: EncodeOptions): Mutable<FrameHeader> {
  const k = kept.frame.header;
  if (!k.keyFrame && state.last === null) {
    throw new Vp8Error('no-keyframe', 'an inter frame cannot be rebased onto a state that has seen no key frame');
  }
  const h: Mutable<FrameHeader> = {
    ...k,
    firstPartSize: 0,
    // Probabilities are decided again from what is coded.
    coeffProbUpdates: new Int16Array(k.coeffProbUpdates.length).fill(-1),
    mvProbUpdates: new Int16Array(k.mvProbUpdates.length).fill(-1),
    intra16x16Prob: null,
    intraChromaProb: null,
    mbNoSkipCoeff: true,
    probSkipFalse: 128,
  };
  if (!k.keyFrame) {
    if (options.refreshGolden !== undefined) h.refreshGoldenFrame = options.refreshGolden;
    if (options.refreshAltref !== undefined) h.refreshAlternateFrame = options.refreshAltref;
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
  }
  return h;
}

/** Probabilities of the segment id tree (section 9.3) fitted to the ids used. */
function segmentTreeProbs(ids: Uint8Array): (number | null)[] {
  const n = [0, 0, 0, 0];
  for (const id of ids) n[id]++;
  return [probFromCounts(n[0] + n[1], n[2] + n[3]), probFromCounts(n[0], n[1]), probFromCounts(n[2], n[3])];
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A value as an optional coded delta (absent for 0). */
function codedDeltaOf(v: number): CodedDelta | null {
  return v === 0 ? null : { magnitude: Math.abs(v), negative: v < 0 };
}

/** Candidate coding of one macroblock: modes and levels. */
class Candidate {
  yMode = DC_PRED;
  uvMode = DC_PRED;
  ref = INTRA_FRAME;
  mvRow = 0;
  mvCol = 0;
  readonly bModes = new Uint8Array(16);
  /** SPLITMV: partitioning, the vector of each subblock and the coding of each partition. */
  partitioning = 0;
  readonly bMv = new Int16Array(32);
  readonly subMvMode = new Uint8Array(16);
  /** Levels (as coded) and dequantized values, 25 blocks of 16. */
  readonly levels = new Int16Array(LEVELS_PER_MB);
  readonly dq = new Int16Array(LEVELS_PER_MB);
  readonly eobs = new Uint8Array(25);
  /** Rate (1/256 bit) and distortion of the luma part (with the mode), and of the chroma part. */
  lumaRate = 0;
  lumaDist = 0;
  chromaRate = 0;
  chromaDist = 0;

  copyLumaFrom(o: Candidate): void {
    this.yMode = o.yMode;
    this.ref = o.ref;
    this.mvRow = o.mvRow;
    this.mvCol = o.mvCol;
    this.bModes.set(o.bModes);
    this.partitioning = o.partitioning;
    this.bMv.set(o.bMv);
    this.subMvMode.set(o.subMvMode);
    this.levels.set(o.levels.subarray(0, U_COEFFS));
    this.levels.set(o.levels.subarray(Y2_COEFFS, LEVELS_PER_MB), Y2_COEFFS);
    this.dq.set(o.dq.subarray(0, U_COEFFS));
    this.dq.set(o.dq.subarray(Y2_COEFFS, LEVELS_PER_MB), Y2_COEFFS);
    this.eobs.set(o.eobs.subarray(0, U_BLOCK));
    this.eobs[Y2_BLOCK] = o.eobs[Y2_BLOCK];
    this.lumaRate = o.lumaRate;
    this.lumaDist = o.lumaDist;
  }

  copyChromaFrom(o: Candidate): void {
    this.uvMode = o.uvMode;
    this.levels.set(o.levels.subarray(U_COEFFS, Y2_COEFFS), U_COEFFS);
    this.dq.set(o.dq.subarray(U_COEFFS, Y2_COEFFS), U_COEFFS);
    this.eobs.set(o.eobs.subarray(U_BLOCK, Y2_BLOCK), U_BLOCK);
    this.chromaRate = o.chromaRate;
    this.chromaDist = o.chromaDist;
  }
}

/** Effort settings derived from the speed. */
interface Effort {
  /** Try B_PRED at all, and with how many modes per subblock. */
  readonly bPred: boolean;
  readonly searchRange: number;
  /** Sub-sample refinement tries the four nearest positions per step instead of eight. */
  readonly subPelDiamond: boolean;
  /** Compare sub-sample candidates through the cheaper bilinear filter (an approximation of the six-tap one). */
  readonly subPelBilinear: boolean;
  /** Refine vectors to quarter samples (else half samples). */
  readonly quarterPel: boolean;
  /** Finish the whole-sample search with the eight neighbours of the best position. */
  readonly finalSquare: boolean;
  /** Reconsider trailing quantized levels by their rate and distortion (trellis.ts). */
  readonly rdoQuant: boolean;
  /** Fast decisions skip the motion search when a neighbour's vector already costs less than this (SAD units). */
  readonly searchBelow: number;
  /** Use the simple loop filter (section 15.2), which is much cheaper for encoder and decoder alike. */
  readonly simpleFilter: boolean;
  readonly goldenAltref: boolean;
  readonly chromaModes: number;
  readonly lfSearch: 'full' | 'coarse' | 'none';
  /** SPLITMV partitionings to try (SPLIT_16X8 ... SPLIT_4X4). */
  readonly splits: readonly number[];
  /** Decide modes by prediction error and rate without trial encodes (the fastest speeds). */
  readonly fast: boolean;
}

function effortFor(speed: number): Effort {
  return {
    bPred: speed <= 4,
    searchRange: speed <= 1 ? 32 : speed <= 3 ? 16 : speed === 4 ? 8 : 2,
    subPelDiamond: speed >= 4,
    subPelBilinear: speed >= 5,
    quarterPel: speed <= 4,
    finalSquare: speed <= 4,
    searchBelow: speed >= 5 ? 3 * 256 : 256,
    simpleFilter: speed >= 5,
    rdoQuant: speed <= 3,
    goldenAltref: speed <= 2,
    chromaModes: speed <= 2 ? 4 : speed === 4 ? 4 : 1,
    lfSearch: speed <= 1 ? 'full' : speed <= 4 ? 'coarse' : 'none',
    splits: speed === 0 ? [SPLIT_16X8, SPLIT_8X16, SPLIT_8X8, SPLIT_4X4] : speed === 1 ? [SPLIT_16X8, SPLIT_8X16, SPLIT_8X8] : [],
    fast: speed >= 4,
  };
}

const WHOLE_BLOCK_MODES = [DC_PRED, V_PRED, H_PRED, TM_PRED];

/** The source macroblock in \`src\`: 16x16 luma samples (rows of 16), then 8x8 U and 8x8 V (rows of 8). */
const SOURCE_U = 16 * 16;
const SOURCE_V = SOURCE_U + 8 * 8;
const SOURCE_SIZE = SOURCE_V + 8 * 8;

class FrameEncoder {
  private readonly ws: EncoderWorkspace;
  private readonly dws: DecoderWorkspace;
  private readonly header: Mutable<FrameHeader>;
  private readonly setup: FrameSetup;
  private readonly keyFrame: boolean;
  /** Rebasing: the frame whose decisions are kept. */
  private readonly kept: KeptFrame | null;
  /** Dequantization factors of the macroblock being coded (its segment's). */
  private quant: DequantFactors;
  private readonly effort: Effort;
  private readonly img: Image;
  private readonly refs: readonly (Image | null)[];
  private readonly lambda: number;
  private readonly lambdaSad: number;
  private readonly mbCols: number;
  private readonly mbRows: number;

  // Per-frame cost tables (1/256 bit).
  private readonly yModeCost = new Int32Array(5);
  private readonly uvModeCost = new Int32Array(4);
  private readonly bModeCost: Int32Array; // key frames: [context * 10 + mode]; inter: [mode]
  private readonly interBaseCost = new Int32Array(4); // is-inter + reference bools, per reference
  private readonly skipCost = new Int32Array(2);
  private readonly pricing: MvPricing;
  private readonly tokenCost: TokenCost;

  // Scratch.
  private readonly src = new Int16Array(SOURCE_SIZE);
  private readonly resid = new Int16Array(SOURCE_SIZE);
  private readonly coef = new Int16Array(LEVELS_PER_MB);
  /** Per luma block: its AC coefficients are all 0 (forwardDctForQuantizer took its shortcut). */
  private readonly dcOnly = new Uint8Array(16);
  /** The running choice of the fast decision. */
  private readonly fast = { cost: 0, ref: 0, mode: 0, row: 0, col: 0 };
  /** predY/predU/predV hold the prediction of `best` (a whole-macroblock inter vector). */
  private predictionIsBest = false;
  private readonly predY = scratchPlane(16, 16);
  private readonly predU = scratchPlane(8, 8);
  private readonly predV = scratchPlane(8, 8);
  private readonly recon = new Uint8Array(256);
  private readonly edgesY = new MacroblockEdges(16);
  private readonly edgesU = new MacroblockEdges(8);
  private readonly edgesV = new MacroblockEdges(8);
  private readonly sub = new Uint8Array(9);
  private readonly interScratch = new InterScratch();
  private readonly near = new NearMvs();
  private readonly best = new Candidate();
  private readonly trial = new Candidate();
  private readonly chromaTrial = new Candidate();
  /** The token contexts of the macroblock being coded, and a copy to walk its blocks with. */
  private readonly entry = new TokenContexts(1);
  private readonly walk = new TokenContexts(1);
  /** The chroma vectors of a SPLITMV candidate. */
  private readonly chromaMvs = new Int32Array(8);
  private readonly search: SearchResult = { row: 0, col: 0, cost: 0 };
  private readonly target: { -readonly [K in keyof SearchTarget]: SearchTarget[K] };
  private readonly refined: SearchResult = { row: 0, col: 0, cost: 0 };
  private readonly starts = new Int32Array(16);
  private readonly neighbourMvs = new Int32Array(4);
  private readonly regionPred = scratchPlane(16, 16);

  // Statistics.
  private intraCount = 0;
  private interCount = 0;
  private skipCount = 0;
  private readonly refCount = [0, 0, 0, 0];

  constructor(private readonly state: DecoderState, private readonly raw: Image, private readonly options: EncodeOptions) {
    this.effort = effortFor(Math.max(0, Math.min(MAX_SPEED, options.speed ?? DEFAULT_SPEED)));
    this.ws = options.workspace ?? new EncoderWorkspace();
    this.dws = this.ws.decoder;
    this.kept = options.keep ?? null;
    const h = this.kept ? keptHeader(state, this.kept, options) : this.freshHeader(state, raw, options);
    this.keyFrame = h.keyFrame;
    this.header = h;
    this.setup = frameSetup(state, h);
    this.quant = this.setup.segmentQuant[0];
    this.mbCols = this.setup.mbCols;
    this.mbRows = this.setup.mbRows;
    if (this.kept && (this.kept.frame.modes.mbCols !== this.mbCols || this.kept.frame.modes.mbRows !== this.mbRows)) {
      throw new Vp8Error('invalid-argument', `a ${this.kept.frame.modes.mbCols}x${this.kept.frame.modes.mbRows}-macroblock frame cannot be rebased onto a ${this.mbCols}x${this.mbRows}-macroblock state`);
    }
    if (raw.width !== this.setup.width || raw.height !== this.setup.height) {
      throw new Vp8Error('invalid-argument', `the target picture is ${raw.width}x${raw.height}, the frame ${this.setup.width}x${this.setup.height}`);
    }
    this.ws.prepare(this.mbCols, this.mbRows);
    this.img = allocateImage(raw.width, raw.height);
    this.refs = referenceList(state);

    const q = this.setup.segmentQuant[0].y1Ac;
    this.lambda = (options.rdMultiplier ?? 1) * RD_MULTIPLIER * q * q / 256;
    this.lambdaSad = Math.sqrt(this.lambda * 256) / 256;
    this.tokenCost = new TokenCost(this.setup.frameProbs.coeff);
    this.bModeCost = new Int32Array(this.keyFrame ? 1000 : 10);
    this.pricing = this.mvPricing();
    this.target = {
      src: raw.y, ref: raw.y, x: 0, y: 0, w: 16, h: 16, bestRow: 0, bestCol: 0,
      pricing: this.pricing, lambdaSad: this.lambdaSad, minRow: 0, maxRow: 0, minCol: 0, maxCol: 0,
    };
    this.modeCosts();
  }

  /** The header of a frame whose every decision is the encoder's own. */
  private freshHeader(state: DecoderState, raw: Image, options: EncodeOptions): Mutable<FrameHeader> {
    const sizeChanged = raw.width !== state.width || raw.height !== state.height;
    const key = options.keyFrame === true || state.last === null || sizeChanged;
    const h = blankHeader(
      { keyFrame: key, version: 0, showFrame: true, firstPartSize: 0 },
      key ? { width: raw.width, horizontalScale: 0, height: raw.height, verticalScale: 0 } : undefined,
    );
    h.yAcQi = options.qIndex;
    h.filterType = this.effort.simpleFilter ? 1 : 0;
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

  /** Mode cost tables under this frame's probabilities. */
  private modeCosts(): void {
    const h = this.header;
    if (this.keyFrame) {
      for (let m = 0; m <= B_PRED; m++) this.yModeCost[m] = treeCost(KF_YMODE_TREE, KF_YMODE_PROBS, 0, m);
      for (let m = 0; m < 4; m++) this.uvModeCost[m] = treeCost(UV_MODE_TREE, KF_UV_MODE_PROBS, 0, m);
      for (let ctx = 0; ctx < 100; ctx++) {
        for (let m = 0; m < 10; m++) this.bModeCost[ctx * 10 + m] = treeCost(BMODE_TREE, KF_BMODE_PROBS, ctx * 9, m);
      }
    } else {
      const p = this.setup.frameProbs;
      const intra = boolCost(h.probIntra, 0);
      for (let m = 0; m <= B_PRED; m++) this.yModeCost[m] = intra + treeCost(YMODE_TREE, p.yMode, 0, m);
      for (let m = 0; m < 4; m++) this.uvModeCost[m] = treeCost(UV_MODE_TREE, p.uvMode, 0, m);
      for (let m = 0; m < 10; m++) this.bModeCost[m] = treeCost(BMODE_TREE, BMODE_PROBS, 0, m);
      const inter = boolCost(h.probIntra, 1);
      this.interBaseCost[LAST_FRAME] = inter + boolCost(h.probLast, 0);
      this.interBaseCost[GOLDEN_FRAME] = inter + boolCost(h.probLast, 1) + boolCost(h.probGf, 0);
      this.interBaseCost[ALTREF_FRAME] = inter + boolCost(h.probLast, 1) + boolCost(h.probGf, 1);
    }
    this.skipCost[0] = boolCost(h.probSkipFalse, 0);
    this.skipCost[1] = boolCost(h.probSkipFalse, 1);
  }

  /** The cost of every motion vector component difference, priced by the syntax itself (cached per probability table). */
  private mvPricing(): MvPricing {
    const probs = this.setup.frameProbs.mv;
    const cached = pricingCache.get(probs);
    if (cached) return cached;
    const rowCost = new Int32Array(2 * MV_COST_OFFSET + 1);
    const colCost = new Int32Array(2 * MV_COST_OFFSET + 1);
    {
      const c = new CostCoder();
      for (let d = -MV_COST_OFFSET; d <= MV_COST_OFFSET; d++) {
        c.cost = 0;
        mvComponentSyntax(c, probs, 0, d);
        rowCost[d + MV_COST_OFFSET] = c.cost;
        c.cost = 0;
        mvComponentSyntax(c, probs, MV_PROB_COUNT, d);
        colCost[d + MV_COST_OFFSET] = c.cost;
      }
    }
    const pricing = { rowCost, colCost };
    pricingCache.set(probs, pricing);
    return pricing;
  }

  encode(): EncodeResult {
    const modes = this.dws.modes;
    const tokens = this.ws.tokens;
    for (let mbRow = 0; mbRow < this.mbRows; mbRow++) {
      tokens.startRow();
      for (let mbCol = 0; mbCol < this.mbCols; mbCol++) this.encodeMacroblock(mbRow * this.mbCols + mbCol, mbCol, mbRow);
    }
    const h = this.header;
    const { level, sharpness } = this.kept
      ? { level: h.loopFilterLevel, sharpness: h.sharpnessLevel }
      : this.options.loopFilter ?? this.searchLoopFilter();
    h.loopFilterLevel = level;
    h.sharpnessLevel = sharpness;
    this.decideProbabilities();
    const frameValue = { header: h, modes, levels: this.ws.levels, eobs: this.ws.eobs };
    const bytes = serializeFrame(this.state, frameValue);
    const finalSetup = frameSetup(this.state, h);
    const next = finishFrame(this.state, h, finalSetup, this.dws, this.img);
    return {
      state: next,
      frame: bytes,
      reconstruction: this.img,
      stats: {
        keyFrame: this.keyFrame,
        bytes: bytes.length,
        qIndex: h.yAcQi,
        loopFilterLevel: level,
        sharpness,
        intraMacroblocks: this.intraCount,
        interMacroblocks: this.interCount,
        skippedMacroblocks: this.skipCount,
        references: this.refCount.slice(1),
      },
    };
  }

  // --- One macroblock --------------------------------------------------------

  private encodeMacroblock(mb: number, mbCol: number, mbRow: number): void {
    this.entry.copyColumn(this.ws.tokens, mbCol);
    this.loadSource(mbCol, mbRow);
    if (this.kept) {
      this.encodeKept(mb, mbCol, mbRow);
      this.commit(mb, mbCol, mbRow);
      return;
    }
    if (this.effort.fast) {
      this.decideFast(mb, mbCol, mbRow);
      this.commit(mb, mbCol, mbRow);
      return;
    }
    let bestJ = Infinity;

    // Intra candidates: luma and chroma are chosen separately.
    const intraJ = this.chooseIntra(mb, mbCol, mbRow);
    if (intraJ < bestJ) bestJ = intraJ;

    if (!this.keyFrame) {
      for (const ref of [LAST_FRAME, GOLDEN_FRAME, ALTREF_FRAME]) {
        const refImg = this.refs[ref];
        if (refImg === null) continue;
        if (ref !== LAST_FRAME && (!this.effort.goldenAltref || refImg === this.refs[LAST_FRAME] || (ref === ALTREF_FRAME && refImg === this.refs[GOLDEN_FRAME]))) continue;
        const j = this.chooseInter(mb, mbCol, mbRow, ref, refImg, bestJ);
        if (j < bestJ) bestJ = j;
      }
    }
    this.commit(mb, mbCol, mbRow);
  }

  /**
   * Rebasing: codes macroblock mb with the kept frame's modes, vectors and
   * segment, predicting from this frame's references, into `best`.
   */
  private encodeKept(mb: number, mbCol: number, mbRow: number): void {
    const k = this.kept!.frame.modes;
    const best = this.best;
    const modes = this.dws.modes;
    this.quant = this.setup.segmentQuant[k.segmentId[mb]];
    best.yMode = k.yMode[mb];
    best.uvMode = k.uvMode[mb];
    best.ref = k.refFrame[mb];
    best.mvRow = k.mv[2 * mb];
    best.mvCol = k.mv[2 * mb + 1];
    best.partitioning = k.partitioning[mb];
    best.bModes.set(k.bModes.subarray(16 * mb, 16 * mb + 16));
    best.bMv.set(k.bMv.subarray(32 * mb, 32 * mb + 32));
    best.subMvMode.set(k.subMvMode.subarray(16 * mb, 16 * mb + 16));
    const hasY2 = hasY2Block(best.yMode);
    if (best.ref === INTRA_FRAME) {
      const img = this.img;
      const rightmost = mbCol === this.mbCols - 1;
      const yPos = img.y.offset + mbRow * 16 * img.y.stride + mbCol * 16;
      this.edgesY.load(img.y.data, yPos, img.y.stride, mbCol, mbRow, rightmost);
      if (best.yMode === B_PRED) {
        const t = this.beginBPredTrial();
        const walk = this.walk;
        walk.copyColumn(this.entry, 0);
        for (let b = 0; b < 16; b++) {
          const ctx = this.effort.rdoQuant ? walk.context(0, b) : -1;
          walk.record(0, b, this.codeSubblock(t, b, best.bModes[b], yPos, ctx));
        }
        best.copyLumaFrom(t);
        best.uvMode = k.uvMode[mb];
      } else {
        predictBlock(best.yMode, this.edgesY, this.predY.data, 0, 16);
        this.lumaQuant(this.predY.data, true, best);
      }
      const U = img.u, V = img.v;
      this.edgesU.load(U.data, U.offset + mbRow * 8 * U.stride + mbCol * 8, U.stride, mbCol, mbRow, rightmost);
      this.edgesV.load(V.data, V.offset + mbRow * 8 * V.stride + mbCol * 8, V.stride, mbCol, mbRow, rightmost);
      predictBlock(best.uvMode, this.edgesU, this.predU.data, 0, 8);
      predictBlock(best.uvMode, this.edgesV, this.predV.data, 0, 8);
      this.chromaQuant(best);
      return;
    }
    // Inter: the decoder's own prediction (any vector, any filter), formed
    // in the frame and read back, then the residue against it.
    const refImg = this.refs[best.ref];
    if (refImg === null) throw new Vp8Error('invalid-argument', `macroblock ${mb} refers to a reference the state does not have`);
    modes.yMode[mb] = best.yMode;
    modes.refFrame[mb] = best.ref;
    modes.mv[2 * mb] = best.mvRow;
    modes.mv[2 * mb + 1] = best.mvCol;
    if (best.yMode === SPLITMV) modes.bMv.set(best.bMv, 32 * mb);
    predictInterMacroblock(this.dws, refImg, this.img, mb, mbCol, mbRow, this.setup.bilinear, this.setup.fullPixel);
    readBlock(this.img.y, mbCol * 16, mbRow * 16, 16, this.predY);
    readBlock(this.img.u, mbCol * 8, mbRow * 8, 8, this.predU);
    readBlock(this.img.v, mbCol * 8, mbRow * 8, 8, this.predV);
    this.lumaQuant(this.predY.data, hasY2, best);
    this.chromaQuant(best);
    this.predictionIsBest = true;
  }

  /** Copies the source macroblock (16x16 luma, then 8x8 U and V) into `src`. */
  private loadSource(mbCol: number, mbRow: number): void {
    copyToBlock(this.raw.y, mbCol * 16, mbRow * 16, 16, this.src, 0);
    copyToBlock(this.raw.u, mbCol * 8, mbRow * 8, 8, this.src, SOURCE_U);
    copyToBlock(this.raw.v, mbCol * 8, mbRow * 8, 8, this.src, SOURCE_V);
  }

  private j(rate: number, dist: number): number {
    return dist + this.lambda * rate;
  }

  /** Picks the best intra coding into `best` (luma and chroma); returns its total cost. */
  private chooseIntra(mb: number, mbCol: number, mbRow: number): number {
    const img = this.img;
    const rightmost = mbCol === this.mbCols - 1;
    const Y = img.y;
    const yPos = Y.offset + mbRow * 16 * Y.stride + mbCol * 16;
    this.edgesY.load(Y.data, yPos, Y.stride, mbCol, mbRow, rightmost);
    const t = this.trial;
    const best = this.best;
    let bestLumaJ = Infinity;
    for (const mode of WHOLE_BLOCK_MODES) {
      predictBlock(mode, this.edgesY, this.predY.data, 0, 16);
      t.yMode = mode;
      t.ref = INTRA_FRAME;
      t.mvRow = t.mvCol = 0;
      this.lumaRd(this.predY.data, true, t);
      t.lumaRate += this.yModeCost[mode];
      const jj = this.j(t.lumaRate, t.lumaDist);
      if (jj < bestLumaJ) {
        bestLumaJ = jj;
        best.copyLumaFrom(t);
      }
    }
    if (this.effort.bPred) {
      const jb = this.searchBPred(mb, mbCol, mbRow, yPos, bestLumaJ);
      if (jb < bestLumaJ) {
        bestLumaJ = jb;
        best.copyLumaFrom(t);
      }
    }
    // Chroma.
    const U = img.u, V = img.v;
    const uPos = U.offset + mbRow * 8 * U.stride + mbCol * 8;
    const vPos = V.offset + mbRow * 8 * V.stride + mbCol * 8;
    this.edgesU.load(U.data, uPos, U.stride, mbCol, mbRow, rightmost);
    this.edgesV.load(V.data, vPos, V.stride, mbCol, mbRow, rightmost);
    const c = this.chromaTrial;
    let bestChromaJ = Infinity;
    for (let k = 0; k < this.effort.chromaModes; k++) {
      const mode = WHOLE_BLOCK_MODES[k];
      predictBlock(mode, this.edgesU, this.predU.data, 0, 8);
      predictBlock(mode, this.edgesV, this.predV.data, 0, 8);
      c.uvMode = mode;
      this.chromaRd(c);
      c.chromaRate += this.uvModeCost[mode];
      const jj = this.j(c.chromaRate, c.chromaDist);
      if (jj < bestChromaJ) {
        bestChromaJ = jj;
        best.copyChromaFrom(c);
      }
    }
    return bestLumaJ + bestChromaJ;
  }

  /** Resets `trial` to an intra B_PRED macroblock, which has no Y2 block. */
  private beginBPredTrial(): Candidate {
    const t = this.trial;
    t.yMode = B_PRED;
    t.ref = INTRA_FRAME;
    t.mvRow = t.mvCol = 0;
    t.eobs[Y2_BLOCK] = 0;
    t.levels.fill(0, Y2_COEFFS, LEVELS_PER_MB);
    t.dq.fill(0, Y2_COEFFS, LEVELS_PER_MB);
    return t;
  }

  /**
   * B_PRED (section 12.3): the best mode of each subblock in turn, each
   * reconstructed in the frame before the next is chosen. Leaves the result
   * in `trial`; returns its cost, or Infinity once it cannot beat `limit`.
   */
  private searchBPred(mb: number, mbCol: number, mbRow: number, yPos: number, limit: number): number {
    const t = this.beginBPredTrial();
    const data = this.img.y.data;
    const ys = this.img.y.stride;
    const modes = this.dws.modes;
    const walk = this.walk;
    walk.copyColumn(this.entry, 0);
    const type = blockTypeOffset(0, false);
    let rate = this.yModeCost[B_PRED];
    let dist = 0;
    const levels = this.trial.levels;
    const dq = this.trial.dq;
    const q = this.quant;
    const rounding = this.rounding(q.y1Dc, q.y1Ac);
    const blockLevels = new Int16Array(16);
    const blockDq = new Int16Array(16);
    const saved = new Uint8Array(16);
    // Key-frame contexts read the modes of this macroblock's subblocks as they are chosen.
    const bModes = modes.bModes;
    const base = 16 * mb;
    for (let b = 0; b < 16; b++) {
      const bx = b & 3;
      const by = b >> 2;
      const ctx = this.keyFrame ? keyFrameBModeContext(this.dws.modes, mb, mbCol, mbRow, b) : 0;
      let bestJ = Infinity;
      let bestMode = B_DC_PRED;
      let bestEob = 0;
      let bestRate = 0;
      let bestDist = 0;
      const tokenCtx = walk.context(0, b);
      for (let mode = 0; mode < 10; mode++) {
        const pos = predictLumaSubblock(mode, this.edgesY, this.sub, data, yPos, ys, b);
        // Residue and transform.
        for (let r = 0; r < 4; r++) {
          for (let c = 0; c < 4; c++) this.resid[r * 4 + c] = this.src[(4 * by + r) * 16 + 4 * bx + c] - data[pos + r * ys + c];
        }
        forwardDctForQuantizer(this.resid, 0, 4, this.coef, 0, q.y1Ac, rounding.ac);
        let eob = quantizeBlock(this.coef, 0, 0, q.y1Dc, q.y1Ac, rounding.dc, rounding.ac, blockLevels, 0, blockDq, 0);
        if (this.effort.rdoQuant && eob > 0) eob = trimBlock(this.coef, blockLevels, blockDq, 0, 0, eob, this.lambda, this.tokenCost, type, tokenCtx);
        // Distortion of the reconstruction.
        for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) saved[r * 4 + c] = data[pos + r * ys + c];
        inverseDctAdd(blockDq, 0, saved, 0, 4);
        let d = 0;
        for (let r = 0; r < 4; r++) {
          for (let c = 0; c < 4; c++) {
            const e = this.src[(4 * by + r) * 16 + 4 * bx + c] - saved[r * 4 + c];
            d += e * e;
          }
        }
        this.tokenCost.cost = 0;
        codeBlockTokens(this.tokenCost, type, tokenCtx, 0, blockLevels, 0, eob);
        const r = this.tokenCost.cost + this.bModeCost[this.keyFrame ? ctx * 10 + mode : mode];
        const jj = this.j(r, d);
        if (jj < bestJ) {
          bestJ = jj;
          bestMode = mode;
          bestEob = eob;
          bestRate = r;
          bestDist = d;
          levels.set(blockLevels, 16 * b);
          dq.set(blockDq, 16 * b);
        }
      }
      rate += bestRate;
      dist += bestDist;
      if (this.j(rate, dist) >= limit) return Infinity;
      // Reconstruct the chosen subblock in place for the ones after it.
      t.bModes[b] = bestMode;
      bModes[base + b] = bestMode;
      t.eobs[b] = bestEob;
      const pos = predictLumaSubblock(bestMode, this.edgesY, this.sub, data, yPos, ys, b);
      if (bestEob > 0) inverseDctAdd(dq, 16 * b, data, pos, ys);
      walk.record(0, b, bestEob);
    }
    t.lumaRate = rate;
    t.lumaDist = dist;
    return this.j(rate, dist);
  }

  /** The amounts added to |c| before division (section 14.1 in reverse). */
  private rounding(dcQ: number, acQ: number): { dc: number; ac: number } {
    return { dc: Math.floor(dcQ * 0.45), ac: Math.floor(acQ * 0.35) };
  }

  /**
   * Transform, quantization, rate and distortion of the luma part for a
   * whole-macroblock prediction `pred` (16x16, stride 16). Fills the luma
   * blocks (and Y2) of `t`; the mode's own cost is added by the caller.
   */
  private lumaRd(pred: Uint8Array, hasY2: boolean, t: Candidate): void {
    this.lumaQuant(pred, hasY2, t);
    const src = this.src;
    const dq = t.dq;
    // Distortion: the reconstruction as the decoder will form it.
    const recon = this.recon;
    recon.set(pred);
    for (let b = 0; b < 16; b++) inverseDctAdd(dq, 16 * b, recon, (b >> 2) * 64 + (b & 3) * 4, 16);
    let dist = 0;
    for (let i = 0; i < 256; i++) {
      const e = src[i] - recon[i];
      dist += e * e;
    }
    t.lumaDist = dist;
    t.lumaRate = this.lumaTokenCost(t, hasY2);
  }

  /** Transform and quantization of the luma part for a whole-macroblock prediction (16x16, stride 16). */
  private lumaQuant(pred: Uint8Array, hasY2: boolean, t: Candidate): void {
    const resid = this.resid;
    const src = this.src;
    for (let i = 0; i < 256; i++) resid[i] = src[i] - pred[i];
    const coef = this.coef;
    const q = this.quant;
    const r1 = this.rounding(q.y1Dc, q.y1Ac);
    const dcOnly = this.dcOnly;
    for (let b = 0; b < 16; b++) dcOnly[b] = forwardDctForQuantizer(resid, (b >> 2) * 64 + (b & 3) * 4, 16, coef, 16 * b, q.y1Ac, r1.ac) ? 1 : 0;
    const levels = t.levels;
    const dq = t.dq;
    const eobs = t.eobs;
    const first = hasY2 ? 1 : 0;
    if (hasY2) {
      forwardWht(coef, 0, coef, Y2_COEFFS);
      const r2 = this.rounding(q.y2Dc, q.y2Ac);
      eobs[Y2_BLOCK] = quantizeBlock(coef, Y2_COEFFS, 0, q.y2Dc, q.y2Ac, r2.dc, r2.ac, levels, Y2_COEFFS, dq, Y2_COEFFS);
    } else {
      eobs[Y2_BLOCK] = 0;
      levels.fill(0, Y2_COEFFS, LEVELS_PER_MB);
      dq.fill(0, Y2_COEFFS, LEVELS_PER_MB);
    }
    for (let b = 0; b < 16; b++) {
      eobs[b] = dcOnly[b]
        ? quantizeDcOnly(coef, 16 * b, first, q.y1Dc, r1.dc, levels, 16 * b, dq, 16 * b)
        : quantizeBlock(coef, 16 * b, first, q.y1Dc, q.y1Ac, r1.dc, r1.ac, levels, 16 * b, dq, 16 * b);
    }
    if (this.effort.rdoQuant) {
      // Reconsider trailing levels with the token contexts they will be coded in.
      const walk = this.walk;
      walk.copyColumn(this.entry, 0);
      const type = blockTypeOffset(0, hasY2);
      for (let b = 0; b < 16; b++) {
        if (eobs[b] > 0) eobs[b] = trimBlock(coef, levels, dq, 16 * b, first, eobs[b], this.lambda, this.tokenCost, type, walk.context(0, b));
        walk.record(0, b, eobs[b]);
      }
    }
    if (hasY2) inverseWht(dq, Y2_COEFFS, dq, 0);
  }

  /** Token cost of the luma blocks (and Y2) of a candidate, with this macroblock's contexts. */
  private lumaTokenCost(t: Candidate, hasY2: boolean): number {
    const probs = this.tokenCost;
    probs.cost = 0;
    this.walk.copyColumn(this.entry, 0);
    codeLumaTokens(probs, hasY2, this.walk, 0, t.levels, 0, t.eobs, 0);
    return probs.cost;
  }

  /** Transform, quantization, rate and distortion of the chroma part, predictions in predU/predV. */
  private chromaRd(t: Candidate): void {
    this.chromaQuant(t);
    const src = this.src;
    const pu = this.predU.data;
    const pv = this.predV.data;
    // Distortion.
    let dist = 0;
    const recon = this.recon;
    for (let plane = 0; plane < 2; plane++) {
      const pred = plane === 0 ? pu : pv;
      recon.set(pred);
      for (let i = 0; i < 4; i++) inverseDctAdd(t.dq, 16 * (U_BLOCK + 4 * plane + i), recon, (i >> 1) * 32 + (i & 1) * 4, 8);
      for (let k = 0; k < 64; k++) {
        const e = src[SOURCE_U + 64 * plane + k] - recon[k];
        dist += e * e;
      }
    }
    t.chromaDist = dist;
    // Tokens.
    const probs = this.tokenCost;
    probs.cost = 0;
    this.walk.copyColumn(this.entry, 0);
    codeChromaTokens(probs, this.walk, 0, t.levels, 0, t.eobs, 0);
    t.chromaRate = probs.cost;
  }

  /** Transform and quantization of the chroma part, predictions in predU/predV. */
  private chromaQuant(t: Candidate): void {
    const resid = this.resid;
    const src = this.src;
    const pu = this.predU.data;
    const pv = this.predV.data;
    for (let i = 0; i < 64; i++) {
      resid[SOURCE_U + i] = src[SOURCE_U + i] - pu[i];
      resid[SOURCE_V + i] = src[SOURCE_V + i] - pv[i];
    }
    const coef = this.coef;
    const q = this.quant;
    const r = this.rounding(q.uvDc, q.uvAc);
    for (let b = 0; b < 8; b++) {
      const plane = (b >> 2) === 0 ? SOURCE_U : SOURCE_V;
      const i = b & 3;
      const k = 16 * (U_BLOCK + b);
      t.eobs[U_BLOCK + b] = forwardDctForQuantizer(resid, plane + (i >> 1) * 32 + (i & 1) * 4, 8, coef, k, q.uvAc, r.ac)
        ? quantizeDcOnly(coef, k, 0, q.uvDc, r.dc, t.levels, k, t.dq, k)
        : quantizeBlock(coef, k, 0, q.uvDc, q.uvAc, r.dc, r.ac, t.levels, k, t.dq, k);
    }
    if (this.effort.rdoQuant) {
      const walk = this.walk;
      walk.copyColumn(this.entry, 0);
      const type = blockTypeOffset(U_BLOCK, false);
      for (let b = U_BLOCK; b < Y2_BLOCK; b++) {
        if (t.eobs[b] > 0) t.eobs[b] = trimBlock(coef, t.levels, t.dq, 16 * b, 0, t.eobs[b], this.lambda, this.tokenCost, type, walk.context(0, b));
        walk.record(0, b, t.eobs[b]);
      }
    }
  }

  // --- Fast decisions (speeds 4 and up) -----------------------------------------

  /**
   * Chooses the macroblock's coding from prediction errors (sum of absolute
   * differences) and rates alone, then transforms and quantizes only the
   * winner, into `best`. On inter frames the last frame is searched; intra
   * modes are tried when no vector predicts well.
   */
  private decideFast(mb: number, mbCol: number, mbRow: number): void {
    const best = this.best;
    const x = mbCol * 16;
    const y = mbRow * 16;
    const lambda = this.lambdaSad;
    const f = this.fast;
    f.cost = Infinity;
    f.ref = INTRA_FRAME;
    f.mode = DC_PRED;
    f.row = 0;
    f.col = 0;
    const last = this.refs[LAST_FRAME];
    if (!this.keyFrame && last !== null) {
      const near = this.near;
      findNearMvs(this.dws.modes, mb, mbCol, mbRow, LAST_FRAME, this.setup.modeContext.signBias, near);
      const base = this.interBaseCost[LAST_FRAME];
      const p0 = near.modeProb(0), p1 = near.modeProb(1), p2 = near.modeProb(2), p3 = near.modeProb(3);
      this.considerFast(last, x, y, ZEROMV, 0, 0, base + boolCost(p0, 0));
      if (near.nearestRow !== 0 || near.nearestCol !== 0) this.considerFast(last, x, y, NEARESTMV, near.nearestRow, near.nearestCol, base + boolCost(p0, 1) + boolCost(p1, 0));
      if ((near.nearRow !== 0 || near.nearCol !== 0) && (near.nearRow !== near.nearestRow || near.nearCol !== near.nearestCol)) {
        this.considerFast(last, x, y, NEARMV, near.nearRow, near.nearCol, base + boolCost(p0, 1) + boolCost(p1, 1) + boolCost(p2, 0));
      }
      // Search unless the best so far already predicts almost perfectly.
      if (f.cost > this.effort.searchBelow) {
        const found = this.motionSearch(last, mb, mbCol, mbRow);
        if (found !== null && (found.row !== f.row || found.col !== f.col)) {
          const cost = found.cost + (base + boolCost(p0, 1) + boolCost(p1, 1) + boolCost(p2, 1) + boolCost(p3, 0)) * lambda;
          if (cost < f.cost) {
            f.cost = cost;
            f.ref = LAST_FRAME;
            f.mode = NEWMV;
            f.row = found.row;
            f.col = found.col;
          }
        }
      }
    }
    let bestCost = f.cost;
    let bestRef = f.ref;
    let bestMode = f.mode;
    const bestRow = f.row;
    const bestCol = f.col;
    // Intra, when no vector predicts well (on average 8 levels off per sample).
    const rightmost = mbCol === this.mbCols - 1;
    if (bestRef === INTRA_FRAME || bestCost > 8 * 256) {
      const Y = this.img.y;
      const yPos = Y.offset + y * Y.stride + x;
      this.edgesY.load(Y.data, yPos, Y.stride, mbCol, mbRow, rightmost);
      for (const mode of WHOLE_BLOCK_MODES) {
        predictBlock(mode, this.edgesY, this.predY.data, 0, 16);
        const cost = sadRegion(this.raw.y, x, y, this.predY, 0, 0, 16, 16) + this.yModeCost[mode] * lambda;
        if (cost < bestCost) {
          bestCost = cost;
          bestRef = INTRA_FRAME;
          bestMode = mode;
        }
      }
      if (this.effort.bPred && this.keyFrame) {
        // B_PRED is tried (and kept only if it wins) on key frames.
        const cost = this.bPredFast(mb, mbCol, mbRow, yPos, bestCost);
        if (cost < bestCost) {
          bestCost = cost;
          bestRef = INTRA_FRAME;
          bestMode = B_PRED;
        }
      }
    }
    // Code the winner.
    best.ref = bestRef;
    best.yMode = bestMode;
    best.mvRow = bestRow;
    best.mvCol = bestCol;
    if (bestRef !== INTRA_FRAME) {
      const refImg = this.refs[bestRef]!;
      this.predictInterLuma(refImg, mbCol, mbRow, bestRow, bestCol);
      this.lumaQuant(this.predY.data, true, best);
      this.predictInterChroma(refImg, mbCol, mbRow, bestRow, bestCol);
      best.uvMode = DC_PRED;
      this.chromaQuant(best);
      this.predictionIsBest = !this.setup.fullPixel;
      return;
    }
    if (bestMode === B_PRED) {
      // bPredFast left the subblocks in `trial` (and in the frame).
      best.copyLumaFrom(this.trial);
    } else {
      predictBlock(bestMode, this.edgesY, this.predY.data, 0, 16);
      this.lumaQuant(this.predY.data, true, best);
    }
    const U = this.img.u, V = this.img.v;
    const uPos = U.offset + mbRow * 8 * U.stride + mbCol * 8;
    const vPos = V.offset + mbRow * 8 * V.stride + mbCol * 8;
    this.edgesU.load(U.data, uPos, U.stride, mbCol, mbRow, rightmost);
    this.edgesV.load(V.data, vPos, V.stride, mbCol, mbRow, rightmost);
    let bestUv = DC_PRED;
    let bestUvCost = Infinity;
    for (let k = 0; k < this.effort.chromaModes; k++) {
      const mode = WHOLE_BLOCK_MODES[k];
      predictBlock(mode, this.edgesU, this.predU.data, 0, 8);
      predictBlock(mode, this.edgesV, this.predV.data, 0, 8);
      const cost = sadRegion(this.raw.u, mbCol * 8, mbRow * 8, this.predU, 0, 0, 8, 8) + sadRegion(this.raw.v, mbCol * 8, mbRow * 8, this.predV, 0, 0, 8, 8) + this.uvModeCost[mode] * lambda;
      if (cost < bestUvCost) {
        bestUvCost = cost;
        bestUv = mode;
      }
    }
    predictBlock(bestUv, this.edgesU, this.predU.data, 0, 8);
    predictBlock(bestUv, this.edgesV, this.predV.data, 0, 8);
    best.uvMode = bestUv;
    this.chromaQuant(best);
  }

  /** Fast decisions: keeps an inter candidate in `fast` if its error plus weighted rate is lower. */
  private considerFast(ref: Image, x: number, y: number, mode: number, row: number, col: number, rate: number): void {
    const f = this.fast;
    const cost = this.interSad(ref, x, y, row, col) + rate * this.lambdaSad;
    if (cost < f.cost) {
      f.cost = cost;
      f.ref = LAST_FRAME;
      f.mode = mode;
      f.row = row;
      f.col = col;
    }
  }

  /** Prediction error of the luma block at (x, y) displaced by (row, col) quarter samples. */
  private interSad(ref: Image, x: number, y: number, row: number, col: number): number {
    if ((row & 3) === 0 && (col & 3) === 0) return sadRegion(this.raw.y, x, y, ref.y, x + (col >> 2), y + (row >> 2), 16, 16);
    predictInter(ref.y, this.predY, x, y, 16, 16, 2 * col, 2 * row, this.setup.bilinear || this.effort.subPelBilinear, this.interScratch, 0, 0);
    return sadRegion(this.raw.y, x, y, this.predY, 0, 0, 16, 16);
  }

  /**
   * B_PRED chosen per subblock by prediction error and mode rate, each
   * subblock quantized and reconstructed in place before the next; the result
   * is left in `trial`. Returns the total of errors and weighted rates.
   */
  private bPredFast(mb: number, mbCol: number, mbRow: number, yPos: number, limit: number): number {
    const t = this.beginBPredTrial();
    const data = this.img.y.data;
    const ys = this.img.y.stride;
    const bModes = this.dws.modes.bModes;
    const base = 16 * mb;
    const lambda = this.lambdaSad;
    let total = this.yModeCost[B_PRED] * lambda;
    for (let b = 0; b < 16; b++) {
      const bx = b & 3;
      const by = b >> 2;
      const ctx = this.keyFrame ? keyFrameBModeContext(this.dws.modes, mb, mbCol, mbRow, b) : 0;
      let bestMode = B_DC_PRED;
      let bestCost = Infinity;
      for (let mode = 0; mode < 10; mode++) {
        const pos = predictLumaSubblock(mode, this.edgesY, this.sub, data, yPos, ys, b);
        let err = 0;
        for (let r = 0; r < 4; r++) {
          for (let c = 0; c < 4; c++) {
            const d = this.src[(4 * by + r) * 16 + 4 * bx + c] - data[pos + r * ys + c];
            err += d < 0 ? -d : d;
          }
        }
        const cost = err + this.bModeCost[this.keyFrame ? ctx * 10 + mode : mode] * lambda;
        if (cost < bestCost) {
          bestCost = cost;
          bestMode = mode;
        }
      }
      total += bestCost;
      if (total >= limit) return Infinity;
      // Quantize and reconstruct the chosen subblock for the ones after it.
      this.codeSubblock(t, b, bestMode, yPos, -1);
      bModes[base + b] = bestMode;
    }
    return total;
  }

  /**
   * Codes subblock b of a B_PRED macroblock with `mode` into `t`: predicts it
   * from the frame, quantizes the residue (trimming trailing levels when
   * `tokenCtx` >= 0) and reconstructs it in place for the subblocks after it.
   * Returns its end of block.
   */
  private codeSubblock(t: Candidate, b: number, mode: number, yPos: number, tokenCtx: number): number {
    const data = this.img.y.data;
    const ys = this.img.y.stride;
    const q = this.quant;
    const rounding = this.rounding(q.y1Dc, q.y1Ac);
    const bx = b & 3;
    const by = b >> 2;
    const pos = predictLumaSubblock(mode, this.edgesY, this.sub, data, yPos, ys, b);
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 4; c++) this.resid[r * 4 + c] = this.src[(4 * by + r) * 16 + 4 * bx + c] - data[pos + r * ys + c];
    }
    const k = 16 * b;
    forwardDctForQuantizer(this.resid, 0, 4, this.coef, k, q.y1Ac, rounding.ac);
    let eob = quantizeBlock(this.coef, k, 0, q.y1Dc, q.y1Ac, rounding.dc, rounding.ac, t.levels, k, t.dq, k);
    if (tokenCtx >= 0 && eob > 0) {
      eob = trimBlock(this.coef, t.levels, t.dq, k, 0, eob, this.lambda, this.tokenCost, blockTypeOffset(b, false), tokenCtx);
    }
    if (eob > 0) inverseDctAdd(t.dq, k, data, pos, ys);
    t.eobs[b] = eob;
    t.bModes[b] = mode;
    return eob;
  }

  // --- Inter prediction ----------------------------------------------------------

  /**
   * The best inter coding from reference `ref`; if it beats `bestJ`, it is
   * copied into `best` (luma and chroma). Returns its cost.
   */
  private chooseInter(mb: number, mbCol: number, mbRow: number, ref: number, refImg: Image, bestJ: number): number {
    const modes = this.dws.modes;
    const near = this.near;
    findNearMvs(modes, mb, mbCol, mbRow, ref, this.setup.modeContext.signBias, near);
    const base = this.interBaseCost[ref];
    const p0 = near.modeProb(0), p1 = near.modeProb(1), p2 = near.modeProb(2), p3 = near.modeProb(3);
    const t = this.trial;
    const c = this.chromaTrial;
    let localBest = Infinity;

    const tryVector = (mode: number, row: number, col: number, modeRate: number): void => {
      this.predictInterLuma(refImg, mbCol, mbRow, row, col);
      t.yMode = mode;
      t.ref = ref;
      t.mvRow = row;
      t.mvCol = col;
      this.lumaRd(this.predY.data, true, t);
      t.lumaRate += modeRate;
      this.predictInterChroma(refImg, mbCol, mbRow, row, col);
      c.uvMode = DC_PRED;
      this.chromaRd(c);
      const jj = this.j(t.lumaRate + c.chromaRate, t.lumaDist + c.chromaDist);
      if (jj < localBest) localBest = jj;
      if (jj < bestJ) {
        bestJ = jj;
        this.best.copyLumaFrom(t);
        this.best.copyChromaFrom(c);
      }
    };

    tryVector(ZEROMV, 0, 0, base + boolCost(p0, 0));
    const nearestRate = base + boolCost(p0, 1) + boolCost(p1, 0);
    if (near.nearestRow !== 0 || near.nearestCol !== 0) tryVector(NEARESTMV, near.nearestRow, near.nearestCol, nearestRate);
    const nearRate = base + boolCost(p0, 1) + boolCost(p1, 1) + boolCost(p2, 0);
    if ((near.nearRow !== 0 || near.nearCol !== 0) && (near.nearRow !== near.nearestRow || near.nearCol !== near.nearestCol)) {
      tryVector(NEARMV, near.nearRow, near.nearCol, nearRate);
    }
    // NEWMV: search around the neighbours' vectors.
    const found = this.motionSearch(refImg, mb, mbCol, mbRow);
    if (found !== null) {
      const newRate = base + boolCost(p0, 1) + boolCost(p1, 1) + boolCost(p2, 1) + boolCost(p3, 0) +
        this.pricing.rowCost[found.row - near.bestRow + MV_COST_OFFSET] + this.pricing.colCost[found.col - near.bestCol + MV_COST_OFFSET];
      const same = (r: number, cc: number): boolean => found.row === r && found.col === cc;
      if (!same(0, 0) && !same(near.nearestRow, near.nearestCol) && !same(near.nearRow, near.nearCol)) tryVector(NEWMV, found.row, found.col, newRate);
    }
    // SPLITMV (section 16.4): a vector per partition.
    const splitBase = base + boolCost(p0, 1) + boolCost(p1, 1) + boolCost(p2, 1) + boolCost(p3, 1);
    for (const s of this.effort.splits) {
      const jj = this.trySplit(mb, mbCol, mbRow, ref, refImg, s, splitBase, found);
      if (jj < localBest) localBest = jj;
      if (jj < bestJ) {
        bestJ = jj;
        this.best.copyLumaFrom(t);
        this.best.copyChromaFrom(c);
      }
    }
    return localBest;
  }

  /**
   * One SPLITMV partitioning: for each partition in coding order, the
   * cheapest of its four codings (the vector to the left, above, zero, or a
   * new one found by a search over the partition), then the luma and chroma
   * prediction from those vectors, fully costed. Leaves the result in
   * `trial`/`chromaTrial`; returns its cost.
   */
  private trySplit(mb: number, mbCol: number, mbRow: number, ref: number, refImg: Image, s: number, baseRate: number, whole: SearchResult | null): number {
    const modes = this.dws.modes;
    const near = this.near;
    const t = this.trial;
    const layout = MV_PARTITIONS[s];
    const parts = MV_PARTITION_COUNT[s];
    const bMv = modes.bMv; // this macroblock's entries serve as the working vectors
    const base = 32 * mb;
    let rate = baseRate + treeCost(SPLIT_MV_TREE, SPLIT_MV_PROBS, 0, s);
    const nb = this.neighbourMvs;
    const x0 = mbCol * 16;
    const y0 = mbRow * 16;
    for (let j = 0; j < parts; j++) {
      let k = 0;
      while (layout[k] !== j) k++;
      // The partition's rectangle in 4x4 units.
      let kx0 = 4, ky0 = 4, kx1 = -1, ky1 = -1;
      for (let b = 0; b < 16; b++) {
        if (layout[b] !== j) continue;
        kx0 = Math.min(kx0, b & 3);
        ky0 = Math.min(ky0, b >> 2);
        kx1 = Math.max(kx1, b & 3);
        ky1 = Math.max(ky1, b >> 2);
      }
      const px = x0 + 4 * kx0;
      const py = y0 + 4 * ky0;
      const pw = 4 * (kx1 - kx0 + 1);
      const ph = 4 * (ky1 - ky0 + 1);
      subblockNeighbourMvs(modes, mb, mbCol, mbRow, k, nb);
      const context = subMvContext(nb[0], nb[1], nb[2], nb[3]);
      const probs = SUBMV_REF_PROBS;
      const modeCost = (m: number): number => treeCost(SUBMV_REF_TREE, probs, context * 3, m);
      // Candidates: left, above, zero (their vectors are free), and a searched one.
      let bestCost = Infinity;
      let bestMode = ZERO4X4;
      let bestRow = 0;
      let bestCol = 0;
      const consider = (m: number, r: number, c: number, extraRate: number): void => {
        this.predictRegion(refImg, px, py, pw, ph, r, c);
        const cost = sadRegion(this.raw.y, px, py, this.predY, px - x0, py - y0, pw, ph) + (modeCost(m) + extraRate) * this.lambdaSad;
        if (cost < bestCost) {
          bestCost = cost;
          bestMode = m;
          bestRow = r;
          bestCol = c;
        }
      };
      consider(LEFT4X4, nb[0], nb[1], 0);
      consider(ABOVE4X4, nb[2], nb[3], 0);
      consider(ZERO4X4, 0, 0, 0);
      const found = this.searchRegion(refImg, px, py, pw, ph, nb, whole);
      if (found !== null) {
        consider(NEW4X4, found.row, found.col, mvCost(this.pricing, found.row, found.col, near.bestRow, near.bestCol));
      }
      rate += modeCost(bestMode) + (bestMode === NEW4X4 ? mvCost(this.pricing, bestRow, bestCol, near.bestRow, near.bestCol) : 0);
      t.subMvMode[j] = bestMode;
      for (let b = 0; b < 16; b++) {
        if (layout[b] === j) {
          bMv[base + 2 * b] = bestRow;
          bMv[base + 2 * b + 1] = bestCol;
        }
      }
    }
    // Luma prediction from the partition vectors, then the full cost.
    for (let b = 0; b < 16; b++) {
      const bx = 4 * (b & 3);
      const by = 4 * (b >> 2);
      predictInter(refImg.y, this.predY, x0 + bx, y0 + by, 4, 4, 2 * bMv[base + 2 * b + 1], 2 * bMv[base + 2 * b], this.setup.bilinear, this.interScratch, bx, by);
    }
    t.yMode = SPLITMV;
    t.ref = ref;
    t.partitioning = s;
    t.bMv.set(bMv.subarray(base, base + 32));
    t.mvRow = bMv[base + 30];
    t.mvCol = bMv[base + 31];
    this.lumaRd(this.predY.data, false, t);
    t.lumaRate += rate;
    // Chroma: each 4x4 block from the average of the luma vectors it covers, as the decoder forms it.
    const c = this.chromaTrial;
    const cmv = this.chromaMvs;
    splitChromaMvs(bMv, base, this.setup.fullPixel, cmv);
    for (let k = 0; k < 4; k++) {
      const cx = 4 * (k & 1);
      const cy = 4 * (k >> 1);
      predictInter(refImg.u, this.predU, mbCol * 8 + cx, mbRow * 8 + cy, 4, 4, cmv[2 * k + 1], cmv[2 * k], this.setup.bilinear, this.interScratch, cx, cy);
      predictInter(refImg.v, this.predV, mbCol * 8 + cx, mbRow * 8 + cy, 4, 4, cmv[2 * k + 1], cmv[2 * k], this.setup.bilinear, this.interScratch, cx, cy);
    }
    c.uvMode = DC_PRED;
    this.chromaRd(c);
    return this.j(t.lumaRate + c.chromaRate, t.lumaDist + c.chromaDist);
  }

  /** Predicts a rectangle of luma into predY at its offset within the macroblock. */
  private predictRegion(refImg: Image, px: number, py: number, pw: number, ph: number, row: number, col: number): void {
    predictInter(refImg.y, this.predY, px, py, pw, ph, 2 * col, 2 * row, this.setup.bilinear, this.interScratch, px & 15, py & 15);
  }

  /** Motion search for one SPLITMV partition, seeded with its neighbours and the whole-block vector. */
  private searchRegion(refImg: Image, px: number, py: number, pw: number, ph: number, nb: Int32Array, whole: SearchResult | null): SearchResult | null {
    const near = this.near;
    const starts = this.starts;
    let n = 0;
    const add = (r: number, c: number): void => {
      starts[2 * n] = r;
      starts[2 * n + 1] = c;
      n++;
    };
    add(near.bestRow, near.bestCol);
    add(nb[0], nb[1]);
    add(nb[2], nb[3]);
    add(0, 0);
    if (whole !== null) add(whole.row, whole.col);
    const target = this.searchTarget(refImg, px, py, pw, ph);
    if (target === null) return null;
    const full = fullPelSearch(target, starts, n, Math.max(2, this.effort.searchRange >> 2), this.search);
    if (full.cost === Infinity) return null;
    return subPelSearch(target, full, this.setup.bilinear || this.effort.subPelBilinear, this.regionPred, this.interScratch, this.effort.subPelDiamond, this.refined);
  }

  private predictInterLuma(refImg: Image, mbCol: number, mbRow: number, row: number, col: number): void {
    predictInter(refImg.y, this.predY, mbCol * 16, mbRow * 16, 16, 16, 2 * col, 2 * row, this.setup.bilinear, this.interScratch, 0, 0);
  }

  private predictInterChroma(refImg: Image, mbCol: number, mbRow: number, row: number, col: number): void {
    // The chroma vector in eighths of a chroma sample has the luma vector's value.
    predictInter(refImg.u, this.predU, mbCol * 8, mbRow * 8, 8, 8, col, row, this.setup.bilinear, this.interScratch, 0, 0);
    predictInter(refImg.v, this.predV, mbCol * 8, mbRow * 8, 8, 8, col, row, this.setup.bilinear, this.interScratch, 0, 0);
  }

  /** Whole- then sub-sample motion search for the macroblock; null when no vector can be coded. */
  private motionSearch(refImg: Image, mb: number, mbCol: number, mbRow: number): SearchResult | null {
    const near = this.near;
    const modes = this.dws.modes;
    const starts = this.starts;
    starts[0] = near.bestRow;
    starts[1] = near.bestCol;
    starts[2] = 0;
    starts[3] = 0;
    starts[4] = near.nearestRow;
    starts[5] = near.nearestCol;
    starts[6] = near.nearRow;
    starts[7] = near.nearCol;
    let n = 4;
    if (mbCol > 0) {
      starts[2 * n] = modes.mv[2 * (mb - 1)];
      starts[2 * n + 1] = modes.mv[2 * (mb - 1) + 1];
      n++;
    }
    if (mbRow > 0) {
      starts[2 * n] = modes.mv[2 * (mb - this.mbCols)];
      starts[2 * n + 1] = modes.mv[2 * (mb - this.mbCols) + 1];
      n++;
    }
    const target = this.searchTarget(refImg, mbCol * 16, mbRow * 16, 16, 16);
    if (target === null) return null;
    const e = this.effort;
    const full = fullPelSearch(target, starts, n, e.searchRange, this.search, e.finalSquare);
    if (full.cost === Infinity) return null;
    return subPelSearch(target, full, this.setup.bilinear || e.subPelBilinear, this.predY, this.interScratch, e.subPelDiamond, this.refined, e.quarterPel);
  }

  /**
   * The search of a block at (x, y) of w×h: vectors keep the block (with the
   * filter's taps) inside the reference's border, and within what can be
   * coded relative to the best vector. Null when no vector qualifies.
   */
  private searchTarget(refImg: Image, x: number, y: number, w: number, h: number): SearchTarget | null {
    const near = this.near;
    const border = refImg.y.border - 4;
    const reach = 255;
    const t = this.target;
    t.src = this.raw.y;
    t.ref = refImg.y;
    t.x = x;
    t.y = y;
    t.w = w;
    t.h = h;
    t.bestRow = near.bestRow;
    t.bestCol = near.bestCol;
    t.pricing = this.pricing;
    t.lambdaSad = this.lambdaSad;
    t.minRow = Math.max(-border - y, (near.bestRow >> 2) - reach);
    t.maxRow = Math.min(refImg.y.height + border - h - y, (near.bestRow >> 2) + reach);
    t.minCol = Math.max(-border - x, (near.bestCol >> 2) - reach);
    t.maxCol = Math.min(refImg.y.width + border - w - x, (near.bestCol >> 2) + reach);
    return t.minRow > t.maxRow || t.minCol > t.maxCol ? null : t;
  }

  // --- Committing a macroblock ------------------------------------------------------

  /** Writes `best` as macroblock mb: modes, levels, and its reconstruction through the decoder's code. */
  private commit(mb: number, mbCol: number, mbRow: number): void {
    const best = this.best;
    const modes = this.dws.modes;
    const hasY2 = hasY2Block(best.yMode);
    modes.yMode[mb] = best.yMode;
    modes.uvMode[mb] = best.ref === INTRA_FRAME ? best.uvMode : DC_PRED;
    modes.refFrame[mb] = best.ref;
    modes.segmentId[mb] = this.kept ? this.kept.frame.modes.segmentId[mb] : 0;
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
    this.ws.levels.set(best.levels, mb * LEVELS_PER_MB);
    this.ws.eobs.set(best.eobs, mb * BLOCKS_PER_MB);
    // Dequantized coefficients for the decoder's reconstruction. Y blocks of a
    // macroblock with Y2 get their DC from the inverse WHT there, as in the decoder.
    const dws = this.dws;
    dws.coeffs.set(best.dq);
    if (hasY2) for (let b = 0; b < 16; b++) dws.coeffs[16 * b] = 0;
    dws.eobs.set(best.eobs);
    // A whole-macroblock inter prediction formed last by the fast decision
    // (with the decoder's predictInter) is still in predY/predU/predV.
    const predicted = best.ref !== INTRA_FRAME && this.predictionIsBest;
    if (predicted) {
      writeBlock(this.predY, this.img.y, mbCol * 16, mbRow * 16, 16);
      writeBlock(this.predU, this.img.u, mbCol * 8, mbRow * 8, 8);
      writeBlock(this.predV, this.img.v, mbCol * 8, mbRow * 8, 8);
    }
    reconstructMacroblock(dws, this.setup, this.img, this.refs, mb, mbCol, mbRow, residue, predicted);
    this.predictionIsBest = false;
    // Token contexts, as the decoder will update them (a skipped macroblock's ends are all 0).
    this.ws.tokens.recordMacroblock(mbCol, hasY2, best.eobs, 0);
    if (best.ref === INTRA_FRAME) this.intraCount++;
    else {
      this.interCount++;
      this.refCount[best.ref]++;
    }
    if (!residue) this.skipCount++;
  }

  // --- Frame level --------------------------------------------------------------------

  /** Section 15: the filter level (and sharpness) whose filtered frame is closest to the source. */
  private searchLoopFilter(): { level: number; sharpness: number } {
    const mode = this.effort.lfSearch;
    const q = this.header.yAcQi;
    // A first guess from the quantizer (fitted to the levels the search picks
    // on the fixture clips): a filter's strength grows with the step.
    const guess = Math.max(0, Math.min(63, Math.round(q * 0.37 + (this.keyFrame ? -0.5 : 1.5))));
    if (mode === 'none') return { level: guess, sharpness: 0 };
    const trialImage = allocateImage(this.img.width, this.img.height);
    const errorAt = (level: number, sharpness: number): number => {
      copyPlane(this.img.y, trialImage.y);
      if (level > 0) this.filterLuma(trialImage, level, sharpness);
      return sse(this.raw.y, 0, 0, trialImage.y, 0, 0, this.raw.width, this.raw.height);
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
    // Coarse-to-fine search of the level.
    let bestLevel = guess;
    let bestErr = errorOf(guess);
    for (let step = mode === 'full' ? 8 : 2; step >= 1; step >>= 1) {
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
  private filterLuma(target: Image, level: number, sharpness: number): void {
    const h = { ...this.header, loopFilterLevel: level, sharpnessLevel: sharpness };
    const setup = this.setup;
    // Levels per macroblock with the deltas, as the decoder computes them.
    const lf = this.dws;
    filterLevels(lf, h, setup.features, setup.refLfDeltas, setup.modeLfDeltas);
    loopFilterFrame(target, {
      simple: this.header.filterType === 1,
      sharpness,
      keyFrame: this.keyFrame,
      mbCols: this.mbCols,
      mbRows: this.mbRows,
      level: lf.lfLevel,
      skipInner: lf.skipInner,
    }, true);
  }

  /**
   * Sections 9.9-9.11, 13.4, 17.2: chooses the probability updates that pay
   * for themselves, and the frame-level probabilities, from what was coded.
   */
  private decideProbabilities(): void {
    const h = this.header;
    const modes = this.dws.modes;
    const n = modes.count;
    // Skip flag.
    let skips = 0;
    for (let i = 0; i < n; i++) skips += modes.skipCoeff[i];
    h.probSkipFalse = probFromCounts(n - skips, skips);
    // Coefficient probabilities.
    const counter = new TokenCounter(COEFF_PROBS_SIZE);
    const ctx = new TokenContexts(this.mbCols);
    for (let mbRow = 0; mbRow < this.mbRows; mbRow++) {
      ctx.startRow();
      for (let mbCol = 0; mbCol < this.mbCols; mbCol++) {
        const mb = mbRow * this.mbCols + mbCol;
        const hasY2 = hasY2Block(modes.yMode[mb]);
        if (modes.skipCoeff[mb]) ctx.skip(mbCol, hasY2);
        else codeMacroblockTokens(counter, hasY2, ctx, mbCol, this.ws.levels, mb * LEVELS_PER_MB, this.ws.eobs, mb * BLOCKS_PER_MB);
      }
    }
    const base = this.setup.frameProbs.coeff;
    for (let i = 0; i < COEFF_PROBS_SIZE; i++) {
      const n0 = counter.counts[2 * i];
      const n1 = counter.counts[2 * i + 1];
      const updated = bestUpdate(base[i], n0, n1, COEFF_UPDATE_PROBS[i], 8, (p) => p);
      h.coeffProbUpdates[i] = updated < 0 ? -1 : updated;
    }
    if (this.keyFrame) return;
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
    this.updateMvProbs();
    this.updateModeProbs();
  }

  /**
   * Section 16.1: new luma and chroma mode probabilities for intra
   * macroblocks of inter frames, when the bits they save exceed the 8 bits
   * per probability (and the flag) it takes to send them.
   */
  private updateModeProbs(): void {
    const h = this.header;
    const modes = this.dws.modes;
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
    h.intra16x16Prob = decide(this.setup.frameProbs.yMode, yCounts);
    h.intraChromaProb = decide(this.setup.frameProbs.uvMode, uvCounts);
  }

  /** Section 17.2: MV probability updates from the bools the frame's vectors use. */
  private updateMvProbs(): void {
    const h = this.header;
    const modes = this.dws.modes;
    const counts = new Uint32Array(4 * MV_PROB_COUNT);
    const counter = new BranchCounter(counts);
    const near = this.near;
    for (let mb = 0; mb < modes.count; mb++) {
      if (modes.yMode[mb] !== NEWMV) continue;
      const mbCol = mb % this.mbCols;
      const mbRow = (mb / this.mbCols) | 0;
      findNearMvs(modes, mb, mbCol, mbRow, modes.refFrame[mb], this.setup.modeContext.signBias, near);
      mvComponentSyntax(counter, INDEX_PROBS, 0, modes.mv[2 * mb] - near.bestRow);
      mvComponentSyntax(counter, INDEX_PROBS, MV_PROB_COUNT, modes.mv[2 * mb + 1] - near.bestCol);
    }
    const probs = this.setup.frameProbs.mv;
    for (let i = 0; i < 2 * MV_PROB_COUNT; i++) {
      // Updates code 7 bits x, standing for probability x << 1 (or 1 for 0).
      const updated = bestUpdate(probs[i], counts[2 * i], counts[2 * i + 1], MV_UPDATE_PROBS[i], 7, (p) => Math.max(1, p & ~1));
      h.mvProbUpdates[i] = updated < 0 ? -1 : updated >> 1;
    }
  }
}

/** The probability of a 0 given counts of 0s and 1s, in 1..255. */
function probFromCounts(zeros: number, ones: number): number {
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


/** Copies the n×n block at (x, y) of a plane into `out[outOff..]` (row stride n). */
function copyToBlock(p: Plane, x: number, y: number, n: number, out: Int16Array, outOff: number): void {
  const data = p.data;
  for (let r = 0; r < n; r++) {
    const row = p.offset + (y + r) * p.stride + x;
    const o = outOff + r * n;
    for (let c = 0; c < n; c++) out[o + c] = data[row + c];
  }
}

/** Copies the n×n block of a plane at (x, y) into a scratch block (stride n). */
function readBlock(from: Plane, x: number, y: number, n: number, to: Plane): void {
  const src = from.data;
  const dst = to.data;
  for (let r = 0; r < n; r++) {
    const o = from.offset + (y + r) * from.stride + x;
    for (let c = 0; c < n; c++) dst[r * n + c] = src[o + c];
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
