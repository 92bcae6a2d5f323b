// RFC 6386 sections 4, 9 and 19: a compressed frame as a value, and the two
// directions between it and bytes.
//
// A `Frame` holds everything a compressed frame says — its header, the modes
// and motion vectors of every macroblock, and every coefficient level as
// coded — and nothing it does not (no pixels). `parseFrame` reads one from
// bytes; `serializeFrame` writes one back, and parse → serialize reproduces
// the input byte for byte. Parsing and serializing need the decoder state the
// frame is coded against, because probabilities persist between frames.
//
// The layout (section 4 and 9.5): the uncompressed data chunk (frame tag, and
// on key frames the start code and size), the first partition (frame header
// and macroblock headers), the sizes of all token partitions but the last
// (3 bytes each), and the token partitions, macroblock row r going to
// partition r mod count.

import { BoolDecoder } from './bool-decoder.js';
import { BoolEncoder } from './bool-encoder.js';
import { type FrameSetup, frameSetup, stateAfterFrame } from './frame-setup.js';
import { DEFAULT_LIMITS, type DecoderLimits, Vp8Error } from './errors.js';
import { type FrameHeader, locatePartitions, type PartitionLayout, readFrameHeader, writeFrameHeader } from './header.js';
import { FrameModes, frameModesSyntax } from './modes.js';
import { allocateImage } from './image.js';
import type { DequantFactors } from './quant.js';
import type { DecoderState } from './state.js';
import { SyntaxReader, SyntaxWriter } from './syntax-coder.js';
import { writeMacroblockTokens } from './token-bools.js';
import { BLOCKS_PER_MB, hasY2Block, readMacroblockTokens, TokenContexts } from './tokens.js';

/** Coefficient values per macroblock: 25 blocks of 16 (tokens.ts), block b at 16 × b, raster order within a block. */
export const LEVELS_PER_MB = BLOCKS_PER_MB * 16;

export interface Frame {
  readonly header: FrameHeader;
  /** Modes, reference frames, vectors, segment ids and skip flags of every macroblock. */
  readonly modes: FrameModes;
  /** Coefficient levels as coded (not dequantized), LEVELS_PER_MB per macroblock. */
  readonly levels: Int16Array;
  /**
   * Per block (25 per macroblock, Y2 last): 0 when the block codes no token
   * but end-of-block, otherwise the position after its last token.
   */
  readonly eobs: Uint8Array;
}

/** Dequantization by 1: the token reader then stores the levels themselves. */
const UNIT_FACTORS: DequantFactors = { y1Dc: 1, y1Ac: 1, y2Dc: 1, y2Ac: 1, uvDc: 1, uvAc: 1 };

/** What a frame decides, without its coefficients: the header and the macroblock headers. */
export type FrameDecisions = Pick<Frame, 'header' | 'modes'>;

/**
 * Parses the first partition of a frame coded against `state` — its header
 * and every macroblock header — and checks the token partitions' layout
 * without reading them. Rebase keeps a frame's decisions and codes its
 * residue afresh, so this is all of a frame it needs.
 */
export function parseFrameDecisions(state: DecoderState, bytes: Uint8Array, limits: DecoderLimits = DEFAULT_LIMITS): FrameDecisions {
  return parseFirstPartition(state, bytes, limits).frame;
}

/**
 * What each macroblock cost, in bits consumed from its partition (for
 * analysis tools; the decoder never counts): its header in the first
 * partition, and its tokens in its token partition.
 */
export interface MacroblockBits {
  readonly header: Float64Array;
  readonly tokens: Float64Array;
}

function parseFirstPartition(
  state: DecoderState, bytes: Uint8Array, limits: DecoderLimits, bits?: MacroblockBits,
): { frame: FrameDecisions; setup: FrameSetup; layout: PartitionLayout } {
  if (bytes.length === 0) throw new Vp8Error('truncated', 'an empty frame has no syntax to parse', { byteOffset: 0 });
  const { header, decoder: first, firstPartitionStart } = readFrameHeader(bytes);
  const setup = frameSetup(state, header, limits);
  const modes = new FrameModes(setup.mbCols, setup.mbRows);
  let before = first.bitsConsumed();
  frameModesSyntax(new SyntaxReader(first), setup.modeContext, modes, bits === undefined ? undefined : (mb) => {
    const now = first.bitsConsumed();
    bits.header[mb] = now - before;
    before = now;
  });
  if (first.overrun()) {
    throw new Vp8Error('truncated', 'the macroblock headers run past the end of the frame', { byteOffset: bytes.length });
  }
  return { frame: { header, modes }, setup, layout: locatePartitions(bytes, firstPartitionStart, header) };
}

/**
 * Parses a compressed frame coded against `state` (an empty frame has no
 * Frame: it is refused). With `bits` (one entry per macroblock), also what
 * each macroblock's header and tokens cost.
 */
export function parseFrame(state: DecoderState, bytes: Uint8Array, limits: DecoderLimits = DEFAULT_LIMITS, bits?: MacroblockBits): Frame {
  const { frame: { header, modes }, setup, layout } = parseFirstPartition(state, bytes, limits, bits);
  if (bits !== undefined && (bits.header.length < modes.count || bits.tokens.length < modes.count)) {
    throw new Vp8Error('invalid-argument', `the bit counts need ${modes.count} entries, one per macroblock`);
  }
  const partitions = layout.starts.map((s, i) => new BoolDecoder(bytes, s, layout.ends[i]));
  const levels = new Int16Array(modes.count * LEVELS_PER_MB);
  const eobs = new Uint8Array(modes.count * BLOCKS_PER_MB);
  const ctx = new TokenContexts(setup.mbCols);
  forEachMacroblockRow(setup, partitions.length, (row, part) => {
    ctx.startRow();
    for (let mbCol = 0; mbCol < setup.mbCols; mbCol++) {
      const mb = row * setup.mbCols + mbCol;
      const hasY2 = hasY2Block(modes.yMode[mb]);
      const p = partitions[part];
      const before = bits === undefined ? 0 : p.bitsConsumed();
      if (modes.skipCoeff[mb]) ctx.skip(mbCol, hasY2);
      else readMacroblockTokens(p, setup.frameProbs.coeff, hasY2, ctx, mbCol, levels, mb * LEVELS_PER_MB, eobs, mb * BLOCKS_PER_MB, UNIT_FACTORS);
      if (bits !== undefined) bits.tokens[mb] = p.bitsConsumed() - before;
    }
  });
  partitions.forEach((p, i) => {
    if (p.overrun()) throw new Vp8Error('truncated', `token partition ${i + 1} of ${partitions.length} ends before its last macroblock`, { byteOffset: layout.ends[i] });
  });
  return { header, modes, levels, eobs };
}

/**
 * Writes a frame coded against `state`. The first partition's size in the
 * frame tag is the size written, whatever `frame.header.firstPartSize` says.
 */
export function serializeFrame(state: DecoderState, frame: Frame): Uint8Array {
  const { header } = frame;
  const setup = frameSetup(state, header);
  if (frame.modes.mbCols !== setup.mbCols || frame.modes.mbRows !== setup.mbRows) {
    throw new Vp8Error('invalid-argument', `the frame's modes cover ${frame.modes.mbCols}x${frame.modes.mbRows} macroblocks, its size needs ${setup.mbCols}x${setup.mbRows}`);
  }
  // First partition: the frame header, then every macroblock header. The
  // syntax function assigns the values it codes, so it works on a copy.
  const first = new BoolEncoder(256 + 16 * frame.modes.count);
  writeFrameHeader(header, first);
  frameModesSyntax(new SyntaxWriter(first), setup.modeContext, frame.modes.clone());
  const firstBytes = first.finish();

  // Token partitions.
  const count = 1 << header.log2NbrOfDctPartitions;
  const encoders = Array.from({ length: count }, () => new BoolEncoder(1024 + (frame.levels.length >> count)));
  const probs = setup.frameProbs.coeff;
  const ctx = new TokenContexts(setup.mbCols);
  const { modes, levels, eobs } = frame;
  forEachMacroblockRow(setup, count, (row, part) => {
    ctx.startRow();
    for (let mbCol = 0; mbCol < setup.mbCols; mbCol++) {
      const mb = row * setup.mbCols + mbCol;
      const hasY2 = hasY2Block(modes.yMode[mb]);
      if (modes.skipCoeff[mb]) ctx.skip(mbCol, hasY2);
      else writeMacroblockTokens(encoders[part], probs, hasY2, ctx, mbCol, levels, mb * LEVELS_PER_MB, eobs, mb * BLOCKS_PER_MB);
    }
  });
  const parts = encoders.map((e) => e.finish());
  return assembleFrame(header, firstBytes, parts);
}

/**
 * The state after `frame` as far as parsing is concerned: probabilities,
 * segmentation, loop-filter deltas and size advance; the pictures do not
 * (a key frame that follows no picture leaves a blank placeholder). Use it to
 * parse a stream without decoding it — never to decode.
 */
export function parsingStateAfter(state: DecoderState, frame: FrameDecisions): DecoderState {
  const setup = frameSetup(state, frame.header);
  const next = stateAfterFrame(state, frame.header, setup, frame.modes.segmentId, null);
  if (next.last !== null && next.width === state.width && next.height === state.height) return next;
  const placeholder = allocateImage(setup.width, setup.height);
  return { ...next, last: placeholder, golden: placeholder, altref: placeholder };
}

function forEachMacroblockRow(setup: FrameSetup, partitions: number, f: (row: number, partition: number) => void): void {
  for (let row = 0; row < setup.mbRows; row++) f(row, row % partitions);
}

/** Lays out a frame (section 9): tag, key-frame chunk, first partition, partition sizes, partitions. */
export function assembleFrame(header: FrameHeader, first: Uint8Array, partitions: readonly Uint8Array[]): Uint8Array {
  if (first.length > 0x7ffff) throw new Vp8Error('invalid-argument', `first partition of ${first.length} bytes exceeds the 19-bit size field`);
  const chunk = header.keyFrame ? 10 : 3;
  const sizes = 3 * (partitions.length - 1);
  const total = chunk + first.length + sizes + partitions.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  const tag = (header.keyFrame ? 0 : 1) | (header.version << 1) | (header.showFrame ? 1 << 4 : 0) | (first.length << 5);
  out[0] = tag & 0xff;
  out[1] = (tag >> 8) & 0xff;
  out[2] = (tag >> 16) & 0xff;
  if (header.keyFrame) {
    out.set([0x9d, 0x01, 0x2a], 3);
    const w = header.width | (header.horizontalScale << 14);
    const h = header.height | (header.verticalScale << 14);
    out[6] = w & 0xff;
    out[7] = w >> 8;
    out[8] = h & 0xff;
    out[9] = h >> 8;
  }
  let pos = chunk;
  out.set(first, pos);
  pos += first.length;
  for (let i = 0; i < partitions.length - 1; i++) {
    const n = partitions[i].length;
    if (n > 0xffffff) throw new Vp8Error('invalid-argument', `token partition of ${n} bytes exceeds the 24-bit size field`);
    out[pos++] = n & 0xff;
    out[pos++] = (n >> 8) & 0xff;
    out[pos++] = (n >> 16) & 0xff;
  }
  for (const p of partitions) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
