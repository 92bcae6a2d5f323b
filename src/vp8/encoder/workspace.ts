// The encoder's scratch memory: the frame being built (modes, levels, token
// contexts, and the decoder's own workspace, which reconstruction uses) and
// the buffers of the macroblock being decided — its source samples,
// predictions, transform coefficients, and the candidate codings compared.
// None of it is ever part of a state or a result. One workspace serves one
// frame at a time; passing the same one to every frame of a sequence saves
// allocating it again. Every buffer is written before it is read within a
// macroblock, so what a previous frame left in it does not matter.

import { DecoderWorkspace } from '../decoder.js';
import { LEVELS_PER_MB } from '../frame.js';
import { InterScratch } from '../inter.js';
import { MacroblockEdges } from '../intra.js';
import { NearMvs } from '../modes.js';
import type { DequantFactors } from '../quant.js';
import { COEFF_PROBS_SIZE, DC_PRED, INTRA_FRAME } from '../tables.js';
import { BLOCKS_PER_MB, TokenContexts, U_BLOCK, U_COEFFS, Y2_BLOCK, Y2_COEFFS } from '../tokens.js';
import { TokenCosts, tokenCostsFor } from './costs.js';
import { scratchPlane, type SearchResult, type SearchTarget } from './motion.js';

/** The source macroblock in `src`: 16x16 luma samples (rows of 16), then 8x8 U and 8x8 V (rows of 8). */
export const SOURCE_U = 16 * 16;
export const SOURCE_V = SOURCE_U + 8 * 8;
const SOURCE_SIZE = SOURCE_V + 8 * 8;

/** Candidate coding of one macroblock: modes and levels. */
export class Candidate {
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
  readonly eobs = new Uint8Array(BLOCKS_PER_MB);
  // Views of the Y, chroma and Y2 parts of levels, dq and eobs, made once: a
  // copy between candidates then allocates no view per call.
  private readonly yLevels = this.levels.subarray(0, U_COEFFS);
  private readonly uvLevels = this.levels.subarray(U_COEFFS, Y2_COEFFS);
  private readonly y2Levels = this.levels.subarray(Y2_COEFFS, LEVELS_PER_MB);
  private readonly yDq = this.dq.subarray(0, U_COEFFS);
  private readonly uvDq = this.dq.subarray(U_COEFFS, Y2_COEFFS);
  private readonly y2Dq = this.dq.subarray(Y2_COEFFS, LEVELS_PER_MB);
  private readonly yEobs = this.eobs.subarray(0, U_BLOCK);
  private readonly uvEobs = this.eobs.subarray(U_BLOCK, Y2_BLOCK);
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
    this.levels.set(o.yLevels);
    this.levels.set(o.y2Levels, Y2_COEFFS);
    this.dq.set(o.yDq);
    this.dq.set(o.y2Dq, Y2_COEFFS);
    this.eobs.set(o.yEobs);
    this.eobs[Y2_BLOCK] = o.eobs[Y2_BLOCK];
    this.lumaRate = o.lumaRate;
    this.lumaDist = o.lumaDist;
  }

  copyChromaFrom(o: Candidate): void {
    this.uvMode = o.uvMode;
    this.levels.set(o.uvLevels, U_COEFFS);
    this.dq.set(o.uvDq, U_COEFFS);
    this.eobs.set(o.uvEobs, U_BLOCK);
    this.chromaRate = o.chromaRate;
    this.chromaDist = o.chromaDist;
  }
}

/** The running choice of the fast decision (fast-decision.ts). */
export interface FastChoice {
  cost: number;
  ref: number;
  mode: number;
  row: number;
  col: number;
}

/** Screened candidates of one macroblock (shortlist.ts): reference, mode, vector, rate and screening cost. */
export class Shortlist {
  static readonly CAPACITY = 16;
  count = 0;
  readonly ref = new Uint8Array(Shortlist.CAPACITY);
  readonly mode = new Uint8Array(Shortlist.CAPACITY);
  readonly row = new Int32Array(Shortlist.CAPACITY);
  readonly col = new Int32Array(Shortlist.CAPACITY);
  readonly rate = new Int32Array(Shortlist.CAPACITY);
  readonly cost = new Float64Array(Shortlist.CAPACITY);
  /** Indices of the candidates, cheapest first, after `sort`. */
  readonly order = new Uint8Array(Shortlist.CAPACITY);
  /** The least screening cost so far. */
  least = Infinity;

  clear(): void {
    this.count = 0;
    this.least = Infinity;
  }

  add(ref: number, mode: number, row: number, col: number, rate: number, cost: number): void {
    const k = this.count++;
    this.ref[k] = ref;
    this.mode[k] = mode;
    this.row[k] = row;
    this.col[k] = col;
    this.rate[k] = rate;
    this.cost[k] = cost;
    if (cost < this.least) this.least = cost;
  }

  /** Whether an inter candidate from `ref` already has vector (row, col). */
  has(ref: number, row: number, col: number): boolean {
    for (let k = 0; k < this.count; k++) if (this.ref[k] === ref && this.row[k] === row && this.col[k] === col) return true;
    return false;
  }

  /** Orders the candidates by cost (insertion sort: there are few). */
  sort(): void {
    const order = this.order;
    for (let i = 0; i < this.count; i++) {
      let k = i;
      while (k > 0 && this.cost[order[k - 1]] > this.cost[i]) {
        order[k] = order[k - 1];
        k--;
      }
      order[k] = i;
    }
  }
}

/** Factors of no quantizer, until a macroblock sets its own. */
const NO_QUANT: DequantFactors = { y1Dc: 1, y1Ac: 1, y2Dc: 1, y2Ac: 1, uvDc: 1, uvAc: 1 };

/** Scratch memory of the macroblock being decided. */
export class MacroblockScratch {
  /** Dequantization factors of the macroblock (its segment's). */
  quant: DequantFactors = NO_QUANT;
  /** The source macroblock (SOURCE_U, SOURCE_V), and residues in the same layout. */
  readonly src = new Int16Array(SOURCE_SIZE);
  readonly resid = new Int16Array(SOURCE_SIZE);
  readonly coef = new Int16Array(LEVELS_PER_MB);
  /** Per luma block: its AC coefficients are all 0 (forwardDctForQuantizer took its shortcut). */
  readonly dcOnly = new Uint8Array(16);
  /** The token contexts the macroblock starts with, and a copy to walk its blocks with. */
  readonly entry = new TokenContexts(1);
  readonly walk = new TokenContexts(1);
  /** The frame's coefficient probabilities, and the token costs under them (built when first asked for). */
  coeffProbs: Uint8Array = new Uint8Array(0);
  private costs: TokenCosts | null = null;
  get tokenCosts(): TokenCosts {
    if (this.costs === null) this.costs = tokenCostsFor(this.coeffProbs);
    return this.costs;
  }
  /** Sets the coefficient probabilities of the frame to code. */
  useCoeffProbs(probs: Uint8Array): void {
    this.coeffProbs = probs;
    this.costs = null;
  }
  /** The codings compared: the best so far, a trial, and a chroma trial. */
  readonly best = new Candidate();
  readonly trial = new Candidate();
  readonly chromaTrial = new Candidate();
  /** predY/predU/predV hold the prediction of `best` (a whole-macroblock inter vector). */
  predictionIsBest = false;
  /** The frame itself already holds the prediction of `best` (an inter macroblock predicted in place). */
  predictionInFrame = false;
  /** The frame already holds the luma reconstruction of `best`, a B_PRED macroblock coded subblock by subblock in place. */
  bPredInFrame = false;
  readonly predY = scratchPlane(16, 16);
  readonly predU = scratchPlane(8, 8);
  readonly predV = scratchPlane(8, 8);
  /** The prediction of the best inter candidate so far, kept while later candidates use predY/predU/predV. */
  readonly bestPredY = new Uint8Array(256);
  readonly bestPredU = new Uint8Array(64);
  readonly bestPredV = new Uint8Array(64);
  readonly recon = new Uint8Array(256);
  readonly edgesY = new MacroblockEdges(16);
  readonly edgesU = new MacroblockEdges(8);
  readonly edgesV = new MacroblockEdges(8);
  /** P, A[0..7] of the current luma subblock. */
  readonly sub = new Uint8Array(9);
  /** One B_PRED subblock under trial: levels, dequantized values, and its reconstruction. */
  readonly blockLevels = new Int16Array(16);
  readonly blockDq = new Int16Array(16);
  readonly blockRecon = new Uint8Array(16);
  /** B_PRED screening: the subblock modes kept, best first, and their costs. */
  readonly subModes = new Uint8Array(10);
  readonly subModeCosts = new Float64Array(10);
  readonly inter = new InterScratch();
  readonly near = new NearMvs();
  /** Motion search: the block searched, its results, start vectors, and the neighbour vectors of a partition. */
  readonly target: { -readonly [K in keyof SearchTarget]: SearchTarget[K] } = {
    src: scratchPlane(1, 1), ref: scratchPlane(1, 1), x: 0, y: 0, w: 16, h: 16, bestRow: 0, bestCol: 0,
    pricing: { rowCost: new Int32Array(0), colCost: new Int32Array(0) }, lambdaSad: 0, minRow: 0, maxRow: 0, minCol: 0, maxCol: 0,
  };
  readonly search: SearchResult = { row: 0, col: 0, cost: 0 };
  readonly refined: SearchResult = { row: 0, col: 0, cost: 0 };
  readonly starts = new Int32Array(16);
  readonly neighbourMvs = new Int32Array(4);
  readonly regionPred = scratchPlane(16, 16);
  readonly fast: FastChoice = { cost: 0, ref: 0, mode: 0, row: 0, col: 0 };
  readonly shortlist = new Shortlist();
  /** The chroma coding of an intra macroblock, kept while inter candidates use `chromaTrial`. */
  readonly intraChroma = new Candidate();
}

/** Reusable scratch memory for encoding; never part of a state. */
export class EncoderWorkspace {
  readonly decoder = new DecoderWorkspace();
  /** The frame being built: levels and eobs of every macroblock, and the token contexts. */
  levels = new Int16Array(0);
  eobs = new Uint8Array(0);
  tokens = new TokenContexts(0);
  /**
   * How often each branch of every coefficient probability is taken by the
   * tokens committed so far, as counts[2 · probability index + bit]: the
   * probability updates are decided from them at the end of the frame.
   */
  readonly coeffCounts = new Uint32Array(2 * COEFF_PROBS_SIZE);
  /** The macroblock being decided. */
  readonly mb = new MacroblockScratch();

  /** Sizes the workspace for a frame whose tokens are coded with `coeffProbs`. */
  prepare(mbCols: number, mbRows: number, coeffProbs: Uint8Array): void {
    this.decoder.prepare(mbCols, mbRows);
    const n = mbCols * mbRows;
    if (this.eobs.length !== BLOCKS_PER_MB * n) {
      this.levels = new Int16Array(n * LEVELS_PER_MB);
      this.eobs = new Uint8Array(BLOCKS_PER_MB * n);
    }
    if (this.tokens.above.length !== 9 * mbCols) this.tokens = new TokenContexts(mbCols);
    this.tokens.above.fill(0);
    this.coeffCounts.fill(0);
    this.mb.useCoeffProbs(coeffProbs);
  }
}
