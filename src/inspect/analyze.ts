// What the inspector shows of a VP8 stream, frame by frame: the headers
// (RFC 6386 section 9, as `excamera info` describes them), every macroblock's
// modes, reference frame, vectors, segment and skip flag (sections 16-17),
// its coefficient levels as coded and the factors that dequantize them
// (sections 13-14), the reconstructed picture, and which frame each
// reference buffer holds afterwards (section 9.7-9.8).
//
// It runs the project's own decoder — the same decodeFrame the command line
// uses — and its parser of the same syntax (parseFrame), never a second
// decoder. Pure and platform-free: the inspector page runs it in a Web
// Worker, the tests in Node.

import { type FrameInfo, frameInfo } from '../vp8/info.js';
import { type MacroblockBits, parseFrame } from '../vp8/frame.js';
import type { FrameModes } from '../vp8/modes.js';
import { frameSetup } from '../vp8/frame-setup.js';
import { decodeFrame } from '../vp8/decoder.js';
import { type Image, imageToI420 } from '../vp8/image.js';
import type { DequantFactors } from '../vp8/quant.js';
import { createDecoderState, type DecoderState } from '../vp8/state.js';
import { type FrameHeaderTrace, traceFrameHeader } from './header-trace.js';
import { describeStateAfter, portableStateHash, type StateAfterFrame, stateTagHex } from './state-view.js';

/** The macroblock headers of a frame (FrameModes' arrays: one entry, or 2, 16, 32, per macroblock in raster order; vectors in quarter samples). */
export type InspectedModes = Pick<FrameModes, 'yMode' | 'uvMode' | 'refFrame' | 'skipCoeff' | 'segmentId' | 'partitioning' | 'mv' | 'bModes' | 'bMv'>;

/** Which earlier frame (its index in the stream) each reference buffer holds; -1 for none. */
export interface ReferenceBuffers {
  readonly last: number;
  readonly golden: number;
  readonly altref: number;
}

export interface InspectedFrame {
  readonly index: number;
  /** Compressed size in bytes. */
  readonly bytes: number;
  /** The headers; null for an empty (zero-length) frame, which decoders skip. */
  readonly info: FrameInfo | null;
  /** Why decoding stopped at this frame ("frame N: ..."), or null. */
  readonly error: string | null;
  readonly width: number;
  readonly height: number;
  readonly mbCols: number;
  readonly mbRows: number;
  /** show_frame: hidden frames (an alt-ref, typically) are decoded but not displayed. */
  readonly shown: boolean;
  /** The frame's reconstruction as I420 (width × height), before it is displayed or not. */
  readonly picture: Uint8Array | null;
  readonly modes: InspectedModes | null;
  /** Coefficient levels as coded: 25 blocks of 16 per macroblock (Y 0-15, U 16-19, V 20-23, Y2 24), raster order in a block. */
  readonly levels: Int16Array | null;
  /** Per block: 0 when it codes only end-of-block, otherwise the position after its last token. */
  readonly eobs: Uint8Array | null;
  /** What each macroblock cost: bits of its header (first partition) and of its tokens. */
  readonly bits: MacroblockBits | null;
  /** The dequantization factors of each segment (one when segmentation is off). */
  readonly segmentQuant: readonly DequantFactors[];
  /** The reference buffers after this frame. */
  readonly references: ReferenceBuffers;
  /** The frame header bit by bit and bool by bool (with detail only). */
  readonly headerTrace: FrameHeaderTrace | null;
  /** The decoder state after this frame: its hash, and what the frame changed (with detail only). */
  readonly stateAfter: StateAfterFrame | null;
  /** Where a chunk of an ExCamera output starts: the tag (8 hex digits of its hash) of the state before this frame. */
  readonly stateTagBefore?: string;
}

/** A frame's row in the inspector's frame table: what one pass over the stream learns of it. */
export type FrameSummary = Pick<InspectedFrame, 'index' | 'bytes' | 'info' | 'error' | 'width' | 'height' | 'shown' | 'references' | 'stateTagBefore'>;

/** Which frame each decoded picture came from (weak: a picture no state holds any more is forgotten). */
export type Origins = WeakMap<Image, number>;

/**
 * Decodes frame `index` against `state`: everything the inspector shows of
 * it (with `detail`; the summary alone without), and the state after it.
 * `origins` learns the frame's picture. After an error the state is the one
 * given, and decoding cannot go on past this frame.
 */
export function inspectFrame(
  state: DecoderState, bytes: Uint8Array, index: number, origins: Origins, detail: boolean,
): { readonly frame: InspectedFrame; readonly state: DecoderState } {
  const holding = (s: DecoderState): ReferenceBuffers => ({ last: originOf(origins, s.last), golden: originOf(origins, s.golden), altref: originOf(origins, s.altref) });
  const none = { picture: null, modes: null, levels: null, eobs: null, bits: null, segmentQuant: [], headerTrace: null, stateAfter: null };
  const size = pictureSize(state);
  if (bytes.length === 0) return { frame: { index, bytes: 0, info: null, error: null, ...size, shown: false, ...none, references: holding(state) }, state };
  try {
    const info = frameInfo(bytes);
    const result = decodeFrame(state, bytes, { frameIndex: index });
    const picture = result.reconstruction!;
    origins.set(picture, index);
    const next = result.state;
    const frame = { index, bytes: bytes.length, info, error: null, ...pictureSize(next), shown: info.showFrame, references: holding(next) };
    if (!detail) return { frame: { ...frame, ...none }, state: next };
    const count = frame.mbCols * frame.mbRows;
    const bits: MacroblockBits = { header: new Float64Array(count), tokens: new Float64Array(count) };
    const parsed = parseFrame(state, bytes, undefined, bits);
    const setup = frameSetup(state, parsed.header);
    const m = parsed.modes;
    return {
      frame: {
        ...frame,
        picture: imageToI420(picture),
        modes: { yMode: m.yMode, uvMode: m.uvMode, refFrame: m.refFrame, skipCoeff: m.skipCoeff, segmentId: m.segmentId, partitioning: m.partitioning, mv: m.mv, bModes: m.bModes, bMv: m.bMv },
        levels: parsed.levels,
        eobs: parsed.eobs,
        bits,
        segmentQuant: parsed.header.segmentationEnabled ? setup.segmentQuant : setup.segmentQuant.slice(0, 1),
        headerTrace: traceFrameHeader(bytes),
        stateAfter: describeStateAfter(state, next, (img) => originOf(origins, img)),
      },
      state: next,
    };
  } catch (e) {
    return { frame: { index, bytes: bytes.length, info: safeInfo(bytes), error: `frame ${index}: ${(e instanceof Error ? e.message : String(e)).replace(/ \(frame \d+\)$/, '').replace(/\(frame \d+, /, '(')}`, ...size, shown: false, ...none, references: holding(state) }, state };
  }
}

/** Every frame in full, one after the other (for tests and scripts; the page seeks with a StreamInspector); stops after the first frame it cannot decode. */
export function* inspectFrames(frames: Iterable<Uint8Array>): Generator<InspectedFrame> {
  let state = createDecoderState();
  const origins: Origins = new WeakMap();
  let index = 0;
  for (const bytes of frames) {
    const r = inspectFrame(state, bytes, index++, origins, true);
    yield r.frame;
    if (r.frame.error !== null) return;
    state = r.state;
  }
}

/**
 * Random access to a stream's frames in full: one pass decodes every frame
 * for its summary and keeps the decoder state every `snapshotEvery` frames;
 * a frame asked for later is decoded again from the nearest state before it
 * (or straight on from the last frame asked for), so memory stays a few
 * states and one frame's detail, however long the stream.
 */
export class StreamInspector {
  private readonly snapshots: DecoderState[] = [];
  private readonly origins: Origins = new WeakMap();
  /** The frames decoded without error. */
  private decodable = 0;
  private cursor: { index: number; state: DecoderState } | null = null;
  /** The state before the last frame given in full: its trace and replays start from it. */
  private lastBefore: { index: number; state: DecoderState } | null = null;

  /**
   * `chunkStarts`: frames that start a chunk of an ExCamera output; their
   * summaries carry the tag of the state before them.
   */
  constructor(private readonly frames: readonly Uint8Array[], private readonly snapshotEvery = 16, private readonly chunkStarts: ReadonlySet<number> = new Set()) {}

  /** The summary of every frame, in order, ending at the first that cannot be decoded. */
  *summaries(): Generator<FrameSummary> {
    let state = createDecoderState();
    for (const [index, bytes] of this.frames.entries()) {
      if (index % this.snapshotEvery === 0) this.snapshots.push(state);
      const r = inspectFrame(state, bytes, index, this.origins, false);
      const { index: i, bytes: b, info, error, width, height, shown, references } = r.frame;
      const tag = this.chunkStarts.has(index) ? { stateTagBefore: stateTagHex(portableStateHash(state)) } : {};
      yield { index: i, bytes: b, info, error, width, height, shown, references, ...tag };
      if (error !== null) return;
      state = r.state;
      this.decodable = index + 1;
    }
  }

  /** The decoder state before frame `index` (after summaries() has run over it). */
  stateBefore(index: number): DecoderState {
    if (!(Number.isInteger(index) && index >= 0 && index < this.frames.length)) throw new RangeError(`no frame ${index} in a stream of ${this.frames.length}`);
    if (index > this.decodable) throw new RangeError(`frame ${index} comes after the first frame that cannot be decoded (${this.decodable})`);
    if (this.lastBefore?.index === index) return this.lastBefore.state;
    let from = Math.floor(index / this.snapshotEvery) * this.snapshotEvery;
    let state = this.snapshots[from / this.snapshotEvery]!;
    if (this.cursor !== null && this.cursor.index <= index && this.cursor.index > from) ({ index: from, state } = this.cursor);
    for (let i = from; i < index; i++) state = inspectFrame(state, this.frames[i]!, i, this.origins, false).state;
    this.cursor = { index, state };
    return state;
  }

  /** Frame `index` in full. */
  frame(index: number): InspectedFrame {
    const before = this.stateBefore(index);
    this.lastBefore = { index, state: before };
    const r = inspectFrame(before, this.frames[index]!, index, this.origins, true);
    this.cursor = { index: index + 1, state: r.state };
    return r.frame;
  }

  /** The compressed bytes of frame `index`. */
  bytes(index: number): Uint8Array {
    return this.frames[index]!;
  }
}

/** A state's picture size, and its size in macroblocks. */
function pictureSize(s: DecoderState): { width: number; height: number; mbCols: number; mbRows: number } {
  return { width: s.width, height: s.height, mbCols: (s.width + 15) >> 4, mbRows: (s.height + 15) >> 4 };
}

function originOf(origins: Origins, img: Image | null): number {
  return img === null ? -1 : origins.get(img) ?? -1;
}

/** The headers of a frame the decoder refused, when they can be read at all. */
function safeInfo(bytes: Uint8Array): FrameInfo | null {
  try {
    return frameInfo(bytes);
  } catch {
    return null;
  }
}

/**
 * The dequantization factors of a macroblock's block (0-15 Y, 16-23 U and V,
 * 24 Y2) for its DC and AC positions (section 14.1). With a Y2 block the luma
 * blocks code no DC (Y2 carries it): their DC factor is 0.
 */
export function blockFactors(block: number, hasY2: boolean, q: DequantFactors): { readonly dc: number; readonly ac: number } {
  if (block === 24) return { dc: q.y2Dc, ac: q.y2Ac };
  if (block >= 16) return { dc: q.uvDc, ac: q.uvAc };
  return { dc: hasY2 ? 0 : q.y1Dc, ac: q.y1Ac };
}
