// ExCamera's operations on chunks (docs/excamera.md; the paper's section 4).
//
// A chunk is a run of compressed frames that one worker produces. A chunk
// that starts with a key frame decodes from any state; every other chunk was
// coded against one particular state and records (the first 32 bits of) that
// state's hash, so that applying it to another state is refused instead of
// producing a silently wrong picture.
//
// The operations, in the order the pipeline uses them:
//  - decodeChunk: the pictures of a chunk and the state it ends in;
//  - encodeGivenState: a key-frame chunk made to follow a given state — its
//    key frame replaced by an inter frame coded afresh against that state
//    (new modes, new motion search, the original raw frame as target), and
//    the rest of the chunk rebased onto it;
//  - rebaseChunk: every frame of a chunk recoded against a new incoming
//    state, keeping its decisions (rebaseFrame in the encoder);
//  - concatenation is plain: the chunks' frames one after another.
//
// Every chunk ends with a frame that refreshes all three references, so the
// state between two chunks has one reference picture, and what a chunk's
// frames predict from is the same whether it began with a key frame or not.

import {
  createDecoderState, decodeFrame, type DecoderState, type Image, Vp8Error,
} from '../vp8/index.js';
import { frameSetup } from '../vp8/frame-setup.js';
import { DEFAULT_SPEED, encodeFrame, EncoderWorkspace, rebaseFrame } from '../vp8/encoder/encoder.js';
import { type FrameDecisions, parseFrame, parseFrameDecisions, parsingStateAfter, serializeFrame } from '../vp8/frame.js';
import { ExcameraError } from './errors.js';
import { hashOfState, stateTag } from './state-file.js';

/** A chunk in memory. */
export interface Chunk {
  /** The compressed frames in decoding order, hidden frames included. */
  readonly frames: readonly Uint8Array[];
  readonly width: number;
  readonly height: number;
  /** stateTag of the state the chunk must be decoded from; null when it starts with a key frame. */
  readonly expects: number | null;
}

/** Options shared by the operations that encode. */
export interface ChunkCodingOptions {
  /** Encoder effort for encode-given-state and rebase (see encodeFrame). */
  readonly speed?: number;
  /** Index of the chunk in the job, for error messages. */
  readonly chunkIndex?: number;
  /**
   * Encode-given-state: the new first frame's quantizer index is
   * w·(key frame's) + (1 − w)·(next frame's). Default DEFAULT_KEY_QUANTIZER_WEIGHT.
   */
  readonly keyQuantizerWeight?: number;
}

/**
 * The weight of the key frame's quantizer in encode-given-state. At 1 the new
 * inter frame is quantized as finely as the key frame it replaces, so the
 * rest of the chunk predicts from a picture as good as the one it was coded
 * against and quality holds; lower weights save bits and lose some quality.
 */
export const DEFAULT_KEY_QUANTIZER_WEIGHT = 1;

/** The state tag of a state (first 32 bits of its hash). */
export function tagOf(state: DecoderState): number {
  return stateTag(hashOfState(state));
}

/** Refuses to apply `chunk` to `state` unless it was coded against it. */
export function checkExpectedState(chunk: Chunk, state: DecoderState, chunkIndex?: number): void {
  if (chunk.frames.length === 0) throw new ExcameraError('bad-chunk', 'the chunk has no frames', { chunk: chunkIndex });
  if (chunk.expects === null) return;
  const tag = tagOf(state);
  if (tag !== chunk.expects) {
    throw new ExcameraError(
      'state-mismatch',
      `the chunk was coded against state ${hex(chunk.expects)}, not against the state given (${hex(tag)})`,
      { chunk: chunkIndex },
    );
  }
}

function hex(tag: number): string {
  return tag.toString(16).padStart(8, '0');
}

/** Adds the chunk and frame to a codec error, keeping its type. */
function locate<T>(chunkIndex: number | undefined, frame: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Vp8Error) throw new ExcameraError('bad-chunk', e.message, { chunk: chunkIndex, frame });
    throw e;
  }
}

export interface DecodedChunk {
  /** The state after the chunk's last frame. */
  readonly state: DecoderState;
  /** The shown pictures, in order. */
  readonly pictures: readonly Image[];
  /** Every frame's reconstruction, hidden ones included, in decoding order. */
  readonly reconstructions: readonly Image[];
}

/** Decodes a chunk from `state` (which must be the state it expects). */
export function decodeChunk(chunk: Chunk, state: DecoderState = createDecoderState(), chunkIndex?: number): DecodedChunk {
  checkExpectedState(chunk, state, chunkIndex);
  const pictures: Image[] = [];
  const reconstructions: Image[] = [];
  let s = state;
  chunk.frames.forEach((bytes, i) => {
    const r = locate(chunkIndex, i, () => decodeFrame(s, bytes, { frameIndex: i }));
    if (r.reconstruction === null) throw new ExcameraError('bad-chunk', 'a chunk may not hold an empty frame', { chunk: chunkIndex, frame: i });
    s = r.state;
    reconstructions.push(r.reconstruction);
    if (r.image) pictures.push(r.image);
  });
  return { state: s, pictures, reconstructions };
}

/** The frames of a chunk parsed (their decisions: rebase codes the residue afresh), each with the state it was coded against. */
interface ParsedFrame {
  readonly frame: FrameDecisions;
  readonly before: DecoderState;
  /** Its reconstruction, when the chunk was decoded (needed for hidden frames). */
  readonly reconstruction: Image | null;
}

/**
 * Parses every frame of a chunk coded against `from`. Hidden frames need
 * their reconstruction as the target of a rebase, so a chunk that has any is
 * decoded; otherwise parsing alone advances the state, which is much faster.
 */
function parseChunk(chunk: Chunk, from: DecoderState, chunkIndex?: number): ParsedFrame[] {
  const out: ParsedFrame[] = [];
  let state = from;
  chunk.frames.forEach((bytes, i) => {
    if (bytes.length === 0) throw new ExcameraError('bad-chunk', 'a chunk may not hold an empty frame', { chunk: chunkIndex, frame: i });
  });
  const decoding = chunk.frames.some((bytes) => (bytes[0] & 0x10) === 0);
  chunk.frames.forEach((bytes, i) => {
    const frame = locate(chunkIndex, i, () => parseFrameDecisions(state, bytes));
    if (decoding) {
      const r = locate(chunkIndex, i, () => decodeFrame(state, bytes, { frameIndex: i }));
      out.push({ frame, before: state, reconstruction: r.reconstruction });
      state = r.state;
    } else {
      out.push({ frame, before: state, reconstruction: null });
      state = parsingStateAfter(state, frame);
    }
  });
  return out;
}

/**
 * Rebase: recodes every frame of `chunk` (coded against `from`) against `to`,
 * keeping each frame's decisions; shown frames aim at `targets` (the raw
 * pictures, one per shown frame), hidden frames at their own reconstruction
 * under `from`. Returns the new chunk (expecting `to`) and its final state.
 */
export function rebaseChunk(
  chunk: Chunk, from: DecoderState, to: DecoderState, targets: readonly Image[], options: ChunkCodingOptions = {},
): { chunk: Chunk; state: DecoderState } {
  checkExpectedState(chunk, from, options.chunkIndex);
  const parsed = parseChunk(chunk, from, options.chunkIndex);
  const r = recode(parsed, 0, to, targets, options);
  return { chunk: { frames: r.frames, width: chunk.width, height: chunk.height, expects: tagOf(to) }, state: r.state };
}

/** Recodes parsed frames [start..] against `state`; `targets` are the raw pictures of the chunk's shown frames. */
function recode(
  parsed: readonly ParsedFrame[], start: number, state: DecoderState, targets: readonly Image[], options: ChunkCodingOptions,
): { frames: Uint8Array[]; state: DecoderState } {
  const workspace = new EncoderWorkspace();
  const frames: Uint8Array[] = [];
  let shown = parsed.slice(0, start).filter((p) => p.frame.header.showFrame).length;
  let s = state;
  for (let i = start; i < parsed.length; i++) {
    const p = parsed[i];
    let target: Image;
    if (p.frame.header.showFrame) {
      if (shown >= targets.length) {
        throw new ExcameraError('bad-chunk', `the chunk shows more frames than the ${targets.length} raw pictures given`, { chunk: options.chunkIndex, frame: i });
      }
      target = targets[shown++];
    } else {
      if (p.reconstruction === null) throw new Error('internal: a hidden frame was not decoded');
      target = p.reconstruction;
    }
    const kept = { frame: p.frame, setup: frameSetup(p.before, p.frame.header) };
    const r = locate(options.chunkIndex, i, () => rebaseFrame(s, kept, target, { speed: options.speed, workspace }));
    frames.push(r.frame);
    s = r.state;
  }
  if (shown !== targets.length) {
    throw new ExcameraError('bad-chunk', `the chunk shows ${shown} frames but ${targets.length} raw pictures were given`, { chunk: options.chunkIndex });
  }
  return { frames, state: s };
}

/**
 * Encode-given-state (the paper's section 4.2): `chunk` starts with a key
 * frame; its key frame is dropped, the first raw picture is encoded as an
 * inter frame against `state` (with the key frame's quantizer, a fresh mode
 * decision and motion search, refreshing all three references as the key
 * frame did), and the rest of the chunk is rebased onto it. The result
 * expects `state`.
 */
export function encodeGivenState(
  chunk: Chunk, state: DecoderState, raws: readonly Image[], options: ChunkCodingOptions = {},
): { chunk: Chunk; state: DecoderState } {
  if (chunk.frames.length === 0) throw new ExcameraError('bad-chunk', 'the chunk has no frames', { chunk: options.chunkIndex });
  if (chunk.expects !== null) {
    throw new ExcameraError('bad-chunk', 'encode-given-state takes a chunk that starts with a key frame', { chunk: options.chunkIndex });
  }
  if (state.last === null) throw new ExcameraError('invalid-argument', 'encode-given-state needs a state that has decoded a frame', { chunk: options.chunkIndex });
  if (state.width !== chunk.width || state.height !== chunk.height) {
    throw new ExcameraError('state-mismatch', `the state is ${state.width}x${state.height}, the chunk ${chunk.width}x${chunk.height}`, { chunk: options.chunkIndex });
  }
  const parsed = parseChunk(chunk, createDecoderState(), options.chunkIndex);
  const key = parsed[0].frame.header;
  if (!key.keyFrame || !key.showFrame) throw new ExcameraError('bad-chunk', 'the chunk does not start with a shown key frame', { chunk: options.chunkIndex, frame: 0 });
  if (raws.length === 0) throw new ExcameraError('invalid-argument', 'no raw pictures given', { chunk: options.chunkIndex });
  // The quantizer: the key frame's, or with a weight below 1 part of the way
  // to the next frame's (see DEFAULT_KEY_QUANTIZER_WEIGHT).
  const next = parsed.find((p, i) => i > 0 && !p.frame.header.keyFrame && p.frame.header.showFrame);
  const w = options.keyQuantizerWeight ?? DEFAULT_KEY_QUANTIZER_WEIGHT;
  if (!(w >= 0 && w <= 1)) throw new ExcameraError('invalid-argument', `the key quantizer weight must be within 0..1, got ${w}`, { chunk: options.chunkIndex });
  const qIndex = next ? Math.round(w * key.yAcQi + (1 - w) * next.frame.header.yAcQi) : key.yAcQi;
  const first = locate(options.chunkIndex, 0, () =>
    encodeFrame(state, raws[0], {
      qIndex,
      keyFrame: false,
      speed: options.speed ?? DEFAULT_SPEED,
      refreshGolden: true,
      refreshAltref: true,
    }));
  const rest = recode(parsed, 1, first.state, raws, options);
  return { chunk: { frames: [first.frame, ...rest.frames], width: chunk.width, height: chunk.height, expects: tagOf(state) }, state: rest.state };
}

/**
 * Makes the last frame of a chunk refresh the golden and altref references
 * as well as the last one (rewriting only its header bits: its picture is
 * unchanged). For chunks from encoders that cannot be told to do so.
 */
export function refreshAllAtEnd(chunk: Chunk, from: DecoderState = createDecoderState(), chunkIndex?: number): Chunk {
  checkExpectedState(chunk, from, chunkIndex);
  let state = from;
  const n = chunk.frames.length;
  for (let i = 0; i < n - 1; i++) state = parsingStateAfter(state, locate(chunkIndex, i, () => parseFrameDecisions(state, chunk.frames[i])));
  const last = locate(chunkIndex, n - 1, () => parseFrame(state, chunk.frames[n - 1]));
  const h = last.header;
  if (h.keyFrame || (h.refreshGoldenFrame && h.refreshAlternateFrame && h.refreshLast)) return chunk;
  const header = { ...h, refreshGoldenFrame: true, refreshAlternateFrame: true, refreshLast: true, copyBufferToGolden: 0, copyBufferToAlternate: 0 };
  const frames = chunk.frames.slice();
  frames[n - 1] = serializeFrame(state, { ...last, header });
  return { ...chunk, frames };
}

/** Number of shown frames in a chunk (hidden frames excluded), from the frame tags alone. */
export function shownFrames(chunk: Chunk): number {
  return chunk.frames.filter((f) => f.length > 0 && (f[0] & 0x10) !== 0).length;
}
