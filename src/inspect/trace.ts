// The decode trace of one macroblock: every bool the decoder reads for it
// (RFC 6386 section 7), grouped into the syntax elements of section 19.3 —
// its header in the first partition (sections 10, 11, 16, 17) and its
// coefficient tokens in its token partition (section 13) — each bool with the
// probability it was read with, its value, and what it cost.
//
// The trace comes from the decoder's own code run again over the frame with
// a bool decoder that records while the chosen macroblock is being read: the
// macroblock headers through frameModesSyntax (which names each element
// through SyntaxCoder.element), the tokens through readMacroblockTokens. The
// tokens are then labelled by walking the block's levels with the token
// syntax (codeBlockTokens) and checked bool by bool against what was read,
// so a trace that disagrees with the decoder cannot be shown.
//
// Also here: how the macroblock's motion vector was predicted (section 16.3):
// its three neighbours, the candidates they give, nearest, near and best,
// the probabilities of the mode tree they select, and the coded difference.

import { LEVELS_PER_MB, parseFrame } from '../vp8/frame.js';
import { frameSetup } from '../vp8/frame-setup.js';
import { locatePartitions, readFrameHeader } from '../vp8/header.js';
import { findNearMvs, type FrameModes, frameModesSyntax, NearMvs } from '../vp8/modes.js';
import type { DequantFactors } from '../vp8/quant.js';
import type { DecoderState } from '../vp8/state.js';
import { SyntaxReader } from '../vp8/syntax-coder.js';
import {
  B_MODE_NAMES, COEFF_BANDS, INTRA_FRAME, MB_MODE_NAMES, MV_PARTITION_COUNT, MV_PARTITIONS, NEW4X4, NEWMV, REF_FRAME_NAMES, SPLIT_NAMES, SPLITMV,
  SUB_MV_MODE_NAMES, ZIGZAG,
} from '../vp8/tables.js';
import {
  blockName, blockTypeOffset, BLOCKS_PER_MB, CTX_STRIDE, codeBlockTokens, firstCoefficient, hasY2Block, readMacroblockTokens, TokenContexts, Y2_BLOCK,
} from '../vp8/tokens.js';
import { blockFactors } from './analyze.js';
import { RecordingBoolDecoder, type TracedBool, type TracedElement, TracingReader } from './recording.js';

export type { TracedBool, TracedElement } from './recording.js';

/** The neighbours' part in a vector's prediction (section 16.3). */
export interface NeighbourVector {
  readonly which: 'above' | 'left' | 'above-left';
  /** Weight it adds to its candidate: 2 for above and left, 1 for above-left. */
  readonly weight: number;
  /** Absent outside the frame. */
  readonly inside: boolean;
  readonly ref: number;
  /** Its vector in quarter samples (row, column), before any inversion. */
  readonly mv: readonly [number, number];
  /** Its reference's sign bias differs from the macroblock's, so the vector was inverted. */
  readonly inverted: boolean;
}

/** How an inter macroblock's vector was predicted and coded (sections 16.3-17), in quarter samples. */
export interface VectorPrediction {
  readonly ref: number;
  readonly neighbours: readonly NeighbourVector[];
  /** Candidates 0..3 ([row, col]; 0 is the zero vector) and their weights. */
  readonly candidates: readonly { readonly mv: readonly [number, number]; readonly weight: number }[];
  /** Clamped to the frame plus 16 samples. */
  readonly nearest: readonly [number, number];
  readonly near: readonly [number, number];
  /** The base of NEWMV and NEW4X4 differences: nearest when at least as common as the zero vector, else zero. */
  readonly best: readonly [number, number];
  /** Probabilities of the mv_mode tree's four branches (ZEROMV?, NEARESTMV?, NEARMV?, SPLITMV?) from those weights. */
  readonly modeProbs: readonly number[];
  readonly mode: number;
  /** The coded difference from best (NEWMV), else null. */
  readonly coded: readonly [number, number] | null;
  /** The macroblock's vector. */
  readonly mv: readonly [number, number];
}

export interface MacroblockTrace {
  readonly mb: number;
  readonly row: number;
  readonly col: number;
  readonly elements: readonly TracedElement[];
  /** Bits shifted out for the header and the tokens (the same counts as the inspector's bits per macroblock). */
  readonly headerBits: number;
  readonly tokenBits: number;
  /** For inter macroblocks. */
  readonly vector: VectorPrediction | null;
}

const TOKEN_NAMES = ['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'DCT_CAT1', 'DCT_CAT2', 'DCT_CAT3', 'DCT_CAT4', 'DCT_CAT5', 'DCT_CAT6'];

/** The token (section 13.2) that codes a level's magnitude. */
export function tokenName(magnitude: number): string {
  if (magnitude <= 4) return TOKEN_NAMES[magnitude];
  const categoryBases = [5, 7, 11, 19, 35, 67];
  let cat = 0;
  while (cat < 5 && magnitude >= categoryBases[cat + 1]) cat++;
  return TOKEN_NAMES[5 + cat];
}

/** Dequantization by 1: the token reader then stores the levels themselves. */
const UNIT_FACTORS: DequantFactors = { y1Dc: 1, y1Ac: 1, y2Dc: 1, y2Ac: 1, uvDc: 1, uvAc: 1 };

/**
 * The decode trace of macroblock `mb` of a frame coded against `state`, and
 * for an inter macroblock how its vector was predicted. Throws as the
 * decoder would on a frame it refuses.
 */
export function traceMacroblock(state: DecoderState, bytes: Uint8Array, mb: number): MacroblockTrace {
  const frame = parseFrame(state, bytes);
  const { header } = frame;
  const setup = frameSetup(state, header);
  const { mbCols, mbRows } = setup;
  if (!(Number.isInteger(mb) && mb >= 0 && mb < mbCols * mbRows)) throw new RangeError(`no macroblock ${mb} in a frame of ${mbCols}x${mbRows} macroblocks`);
  const row = Math.floor(mb / mbCols);
  const col = mb % mbCols;
  const modes = frame.modes;

  // The first partition again, recording from the end of macroblock mb − 1's header to the end of mb's.
  const { decoder: first, firstPartitionStart: start } = readFrameHeader(bytes, (f, s) => {
    const decoder = new RecordingBoolDecoder(f, s, f.length);
    return { decoder, coder: new SyntaxReader(decoder) };
  });
  const reader = new TracingReader(first);
  const headerElements: { name: string; bools: TracedBool[] }[] = [];
  if (mb === 0) reader.elements = headerElements;
  let headerBits = 0;
  let before = first.bitsConsumed();
  frameModesSyntax(reader, setup.modeContext, modes.clone(), (done) => {
    const now = first.bitsConsumed();
    if (done === mb) {
      headerBits = now - before;
      reader.elements = null;
      first.recording = null;
    } else if (done === mb - 1) {
      reader.elements = headerElements;
    }
    before = now;
  });

  // The token partitions, every macroblock read in order (the contexts run
  // across partitions), recording macroblock mb's.
  const layout = locatePartitions(bytes, start, header);
  const partitions = layout.starts.map((s, i) => new RecordingBoolDecoder(bytes, s, layout.ends[i]));
  const ctx = new TokenContexts(mbCols);
  const levels = new Int16Array(LEVELS_PER_MB);
  const eobs = new Uint8Array(BLOCKS_PER_MB);
  const tokenBools: TracedBool[] = [];
  let contextsBefore: TokenContexts | null = null;
  let tokenBits = 0;
  for (let r = 0; r <= row; r++) {
    ctx.startRow();
    const d = partitions[r % partitions.length];
    for (let c = 0; c < (r === row ? col + 1 : mbCols); c++) {
      const m = r * mbCols + c;
      const hasY2 = hasY2Block(modes.yMode[m]);
      if (m === mb) {
        contextsBefore = new TokenContexts(1);
        contextsBefore.copyColumn(ctx, c);
        d.recording = tokenBools;
      }
      const bitsBefore = d.bitsConsumed();
      if (modes.skipCoeff[m]) ctx.skip(c, hasY2);
      else {
        levels.fill(0);
        readMacroblockTokens(d, setup.frameProbs.coeff, hasY2, ctx, c, levels, 0, eobs, 0, UNIT_FACTORS);
      }
      if (m === mb) tokenBits = d.bitsConsumed() - bitsBefore;
    }
  }

  const elements: TracedElement[] = labelHeader(headerElements, frame.modes, mb, header.keyFrame, setup.modeContext.signBias);
  if (!modes.skipCoeff[mb]) {
    const q = setup.segmentQuant[modes.segmentId[mb]];
    elements.push(...labelTokens(tokenBools, 1 + (row % partitions.length), setup.frameProbs.coeff, hasY2Block(modes.yMode[mb]), contextsBefore!, frame.levels, mb * LEVELS_PER_MB, frame.eobs, mb * BLOCKS_PER_MB, q));
  }
  const vector = modes.refFrame[mb] === INTRA_FRAME ? null : vectorPrediction(modes, mb, col, row, setup.modeContext.signBias);
  return { mb, row, col, elements, headerBits, tokenBits, vector };
}

const SECTIONS: Record<string, readonly [key: string, inter: string]> = {
  segment_id: ['10', '10'],
  mb_skip_coeff: ['11.1', '11.1'],
  is_inter_mb: ['16', '16'],
  mb_ref_frame: ['16.2', '16.2'],
  intra_y_mode: ['11.2', '16.1'],
  intra_b_mode: ['11.3', '16.1'],
  intra_uv_mode: ['11.4', '16.1'],
  mv_mode: ['16.3', '16.3'],
  mv_split_mode: ['16.4', '16.4'],
  sub_mv_mode: ['16.4', '16.4'],
  mv_row: ['17.1', '17.1'],
  mv_col: ['17.1', '17.1'],
};

/** Names each header element's value from the parsed macroblock. */
function labelHeader(
  raw: readonly { name: string; bools: TracedBool[] }[], m: FrameModes, mb: number, keyFrame: boolean, signBias: Uint8Array,
): TracedElement[] {
  let bMode = 0;
  let partition = 0;
  let mvComponent = 0;
  const newPartitions: number[] = [];
  if (m.yMode[mb] === SPLITMV) {
    // The first subblock of each partition coded NEW4X4 holds its vector.
    const layout = MV_PARTITIONS[m.partitioning[mb]];
    for (let j = 0; j < MV_PARTITION_COUNT[m.partitioning[mb]]; j++) if (m.subMvMode[16 * mb + j] === NEW4X4) newPartitions.push(layout.indexOf(j));
  }
  const near = new NearMvs();
  if (m.refFrame[mb] !== INTRA_FRAME) findNearMvs(m, mb, mb % m.mbCols, Math.floor(mb / m.mbCols), m.refFrame[mb], signBias, near);
  return raw.map(({ name, bools }) => {
    let value = '';
    let context = '';
    switch (name) {
      case 'segment_id': value = `segment ${m.segmentId[mb]}`; break;
      case 'mb_skip_coeff': value = m.skipCoeff[mb] ? '1: no coefficients' : '0: coefficients follow'; break;
      case 'is_inter_mb': value = m.refFrame[mb] === INTRA_FRAME ? '0: intra' : '1: inter'; break;
      case 'mb_ref_frame': value = REF_FRAME_NAMES[m.refFrame[mb]]; break;
      case 'intra_y_mode': value = MB_MODE_NAMES[m.yMode[mb]]; break;
      case 'intra_uv_mode': value = MB_MODE_NAMES[m.uvMode[mb]]; break;
      case 'intra_b_mode': {
        const b = bMode++;
        value = `subblock ${b}: ${B_MODE_NAMES[m.bModes[16 * mb + b]]}`;
        if (keyFrame) context = `above ${bModeAbove(m, mb, b)}, left ${bModeLeft(m, mb, b)}`;
        break;
      }
      case 'mv_mode': value = MB_MODE_NAMES[m.yMode[mb]]; context = `neighbour weights ${Array.from(near.count).join(', ')}; split neighbours ${near.splitCount}`; break;
      case 'mv_split_mode': value = SPLIT_NAMES[m.partitioning[mb]]; break;
      case 'sub_mv_mode': value = `partition ${partition}: ${SUB_MV_MODE_NAMES[m.subMvMode[16 * mb + partition]]}`; partition++; break;
      case 'mv_row':
      case 'mv_col': {
        const k = mvComponent++;
        const component = name === 'mv_row' ? 0 : 1;
        const best = component === 0 ? near.bestRow : near.bestCol;
        const mv = m.yMode[mb] === NEWMV ? m.mv[2 * mb + component] : m.bMv[32 * mb + 2 * newPartitions[k >> 1] + component];
        value = `${mv - best} (quarter samples) + best ${best} = ${mv}`;
        break;
      }
      default: break;
    }
    return { name, section: SECTIONS[name]?.[keyFrame ? 0 : 1] ?? '19.3', partition: 0, value, context, bools };
  });
}

function bModeAbove(m: FrameModes, mb: number, b: number): string {
  if (b >= 4) return B_MODE_NAMES[m.bModes[16 * mb + b - 4]];
  return mb >= m.mbCols ? B_MODE_NAMES[m.bModes[16 * (mb - m.mbCols) + b + 12]] : 'B_DC_PRED (outside the frame)';
}

function bModeLeft(m: FrameModes, mb: number, b: number): string {
  if (b & 3) return B_MODE_NAMES[m.bModes[16 * mb + b - 1]];
  return mb % m.mbCols > 0 ? B_MODE_NAMES[m.bModes[16 * (mb - 1) + b + 3]] : 'B_DC_PRED (outside the frame)';
}

const BLOCK_TYPE_NAMES = ['Y after Y2', 'Y2', 'chroma', 'Y with DC'];

/**
 * Splits a macroblock's token bools into tokens, block by block in reading
 * order (Y2, Y, U, V): the token syntax is run over the parsed levels, and
 * every bool it would send must be the bool that was read.
 */
function labelTokens(
  bools: readonly TracedBool[], partition: number, coeffProbs: Uint8Array, hasY2: boolean, contexts: TokenContexts,
  levels: Int16Array, levelsOff: number, eobs: Uint8Array, eobsOff: number, q: DequantFactors,
): TracedElement[] {
  const out: TracedElement[] = [];
  let next = 0;
  const order = hasY2 ? [Y2_BLOCK, ...Array.from({ length: Y2_BLOCK }, (_, b) => b)] : Array.from({ length: Y2_BLOCK }, (_, b) => b);
  for (const b of order) {
    const typeOff = blockTypeOffset(b, hasY2);
    const [above, left] = contexts.neighbourFlags(0, b);
    const eob = eobs[eobsOff + b];
    const factors = blockFactors(b, hasY2, q);
    const off = levelsOff + 16 * b;
    // The token being gathered: its position and bools.
    let position = firstCoefficient(b, hasY2);
    let pending: TracedBool[] = [];
    let tokenContext = above + left;
    let firstToken = true;
    const close = (kind: 'eob' | 'zero' | 'value'): void => {
      const n = position;
      const level = kind === 'value' ? levels[off + ZIGZAG[n]] : 0;
      const where = `${blockName(b)} position ${n} (raster ${ZIGZAG[n]})`;
      const value = kind === 'eob' ? `EOB: ${blockName(b)} ends at position ${n}`
        : kind === 'zero' ? `ZERO at ${where}`
        : `${tokenName(Math.abs(level))} ${level} at ${where}, dequantized ${level * (n > 0 ? factors.ac : factors.dc)}`;
      // The first token's context counts the neighbouring blocks with tokens;
      // later ones say what the previous token was (0, 1, or more).
      const context = `${BLOCK_TYPE_NAMES[typeOff / (8 * 3 * CTX_STRIDE)]} block, band ${COEFF_BANDS[n]}, context ${tokenContext}${firstToken ? ` (block above ${above} + block left ${left})` : ''}`;
      firstToken = false;
      out.push({ name: 'token', section: '13.2', partition, value, context, bools: pending, token: { block: b, position: n, level: kind === 'eob' ? null : level } });
      pending = [];
      if (kind !== 'eob') {
        position++;
        tokenContext = kind === 'zero' ? 0 : Math.abs(level) === 1 ? 1 : 2;
      }
    };
    const take = (prob: number, bit: number): void => {
      const read = bools[next++];
      if (read === undefined || read.prob !== prob || read.bit !== bit) {
        throw new Error(`the token trace of ${blockName(b)} disagrees with the decoder at bool ${next - 1}`);
      }
      pending.push(read);
    };
    codeBlockTokens({
      node: (probIndex, bit) => {
        take(coeffProbs[probIndex], bit);
        const node = (probIndex - typeOff) % CTX_STRIDE;
        if (node === 0 && bit === 0) close('eob');
        else if (node === 1 && bit === 0) close('zero');
      },
      fixed: (prob, bit) => {
        take(prob, bit);
        // The sign (the only bool of probability one half) ends a nonzero token.
        if (prob === 128) close('value');
      },
    }, typeOff, above + left, firstCoefficient(b, hasY2), levels, off, eob);
    contexts.record(0, b, eob);
  }
  if (next !== bools.length) throw new Error(`the token trace used ${next} of the ${bools.length} bools read`);
  return out;
}

/** Section 16.3 laid out: the neighbours, candidates and probabilities behind an inter macroblock's mode and vector. */
function vectorPrediction(m: FrameModes, mb: number, col: number, row: number, signBias: Uint8Array): VectorPrediction {
  const ref = m.refFrame[mb];
  const near = new NearMvs();
  findNearMvs(m, mb, col, row, ref, signBias, near);
  const neighbour = (which: NeighbourVector['which'], n: number, inside: boolean, weight: number): NeighbourVector => ({
    which, weight, inside,
    ref: inside ? m.refFrame[n] : INTRA_FRAME,
    mv: inside ? [m.mv[2 * n], m.mv[2 * n + 1]] : [0, 0],
    inverted: inside && m.refFrame[n] !== INTRA_FRAME && signBias[m.refFrame[n]] !== signBias[ref],
  });
  const mode = m.yMode[mb];
  return {
    ref,
    neighbours: [
      neighbour('above', mb - m.mbCols, row > 0, 2),
      neighbour('left', mb - 1, col > 0, 2),
      neighbour('above-left', mb - m.mbCols - 1, row > 0 && col > 0, 1),
    ],
    candidates: [0, 1, 2, 3].map((i) => ({ mv: [near.mv[2 * i], near.mv[2 * i + 1]] as const, weight: near.count[i] })),
    nearest: [near.nearestRow, near.nearestCol],
    near: [near.nearRow, near.nearCol],
    best: [near.bestRow, near.bestCol],
    modeProbs: [0, 1, 2, 3].map((node) => near.modeProb(node)),
    mode,
    coded: mode === NEWMV ? [m.mv[2 * mb] - near.bestRow, m.mv[2 * mb + 1] - near.bestCol] : null,
    mv: [m.mv[2 * mb], m.mv[2 * mb + 1]],
  };
}
