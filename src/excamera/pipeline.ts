// ExCamera[n, x] in one process (docs/excamera.md): every phase of the
// algorithm on one machine, chunk by chunk, each phase as soon as its inputs
// exist. It is the reference a distributed run is checked against byte for
// byte: the output depends only on the input and the settings, never on
// timing or order.
//
// n frames per chunk, x chunks per batch; chunk i sits at position
// e = i mod x of its batch, and each batch starts with a key frame
// (schedule.ts has the rules).
//   1. every chunk is encoded independently (key frame first) and decoded to
//      the state it ends in;
//   2. every chunk with e >= 1 is encoded given the previous chunk's state
//      from phase 1 (encodeGivenState);
//   3. in each batch, serially, every chunk with e >= 2 is rebased onto the
//      true final state of the chunk before it, which is then known.
// The output is the chunks' frames one after another.

import { performance } from 'node:perf_hooks';
import type { Rational } from '../container/index.js';
import type { DecoderState, Image } from '../vp8/index.js';
import { type Chunk, decodeChunk, encodeGivenState, rebaseChunk } from './chunk.js';
import { type ChunkEncoderName, encodeChunk } from './chunk-encoder.js';
import { ExcameraError } from './errors.js';
import { type ChunkOrigin, Schedule } from './schedule.js';
import type { ChunkQuality } from './vpxenc.js';

export interface ExcameraConfig {
  /** n: frames per chunk. */
  readonly framesPerChunk: number;
  /** x: chunks per batch (a key frame every n·x frames). */
  readonly chunksPerBatch: number;
  readonly chunkEncoder: ChunkEncoderName;
  readonly quality: ChunkQuality;
  readonly frameRate: Rational;
  /** Speed of the built-in encoder, and of encode-given-state and rebase. */
  readonly speed?: number;
  /** Encode-given-state's quantizer weight (see DEFAULT_KEY_QUANTIZER_WEIGHT). */
  readonly keyQuantizerWeight?: number;
}

export type Phase = 'encode' | 'decode' | 'encode-given-state' | 'rebase';
export const PHASES: readonly Phase[] = ['encode', 'decode', 'encode-given-state', 'rebase'];

export interface ChunkReport {
  readonly index: number;
  /** Position in the batch. */
  readonly position: number;
  /** Input frames it covers. */
  readonly frames: number;
  /** Compressed frames it holds in the output (hidden ones included). */
  readonly packets: number;
  readonly bytes: number;
  /** How its output came about: unchanged from phase 1, from phase 2, or rebased in phase 3. */
  readonly origin: ChunkOrigin;
  /** Seconds spent on this chunk in each phase. */
  readonly seconds: Readonly<Record<Phase, number>>;
}

/** What every phase produced for one chunk (for inspection with the single-chunk tools). */
export interface ChunkStages {
  /** Phase 1: the independent chunk and the state it ends in. */
  readonly independent: Chunk;
  readonly independentEnd: DecoderState;
  /** Phase 2 (position >= 1): the chunk encoded given the previous chunk's independent end. */
  readonly givenState: Chunk | null;
  /** The chunk in the output and the true state it ends in. */
  readonly output: Chunk;
  readonly outputEnd: DecoderState;
}

export interface ExcameraResult {
  /** The output stream's frames, in decoding order. */
  readonly frames: readonly Uint8Array[];
  readonly chunks: readonly ChunkReport[];
  /** Seconds in each phase, summed over chunks. */
  readonly seconds: Readonly<Record<Phase, number>>;
  /** The state after the last frame. */
  readonly finalState: DecoderState;
  /** Every chunk's intermediate results, when asked for (states are large). */
  readonly stages: readonly ChunkStages[] | null;
}

/** Called as work completes: `done` of `total` steps of all phases. */
export type ProgressCallback = (phase: Phase, done: number, total: number) => void;

export function checkConfig(c: ExcameraConfig): void {
  for (const [name, v] of [['frames per chunk', c.framesPerChunk], ['chunks per batch', c.chunksPerBatch]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ExcameraError('invalid-argument', `${name} must be a positive integer, got ${v}`);
  }
  const w = c.keyQuantizerWeight;
  if (w !== undefined && !(w >= 0 && w <= 1)) throw new ExcameraError('invalid-argument', `the key quantizer weight must be within 0..1, got ${w}`);
}

/**
 * Where the input pictures come from: any range of frames, on demand, so that
 * a long clip is never held in memory at once (a Y4M file read by offset).
 */
export interface PictureSource {
  /** Frames in the input. */
  readonly frames: number;
  /** Pictures [first, first + count). */
  read(first: number, count: number): Promise<readonly Image[]>;
}

/** An array of pictures as a source. */
export function arraySource(pictures: readonly Image[]): PictureSource {
  return { frames: pictures.length, read: async (first, count) => pictures.slice(first, first + count) };
}

export interface RunOptions {
  /** Told of every step done. */
  readonly progress?: ProgressCallback;
  /** Return every chunk's intermediate results (ExcameraResult.stages). */
  readonly keepStages?: boolean;
  /**
   * Independent chunks (phase 1) already encoded, by chunk index, and where
   * new ones are kept: they depend only on the chunk's pictures, the chunk
   * encoder, its quality and speed, so runs that share those and n but not x
   * may share this map (a study of batch lengths encodes each chunk once).
   */
  readonly independentChunks?: Map<number, { readonly chunk: Chunk; readonly end: DecoderState }>;
}

/**
 * Runs ExCamera[n, x] over the input (see the file comment), one chunk at a
 * time: a chunk's pictures are read once, and at most two chunks' states are
 * held, so memory does not grow with the clip or the batch.
 */
export async function runInProcess(input: readonly Image[] | PictureSource, config: ExcameraConfig, options: RunOptions = {}): Promise<ExcameraResult> {
  const { progress, keepStages = false, independentChunks } = options;
  checkConfig(config);
  const source = isPictureSource(input) ? input : arraySource(input);
  if (source.frames === 0) throw new ExcameraError('invalid-argument', 'no input frames');
  const schedule = new Schedule({ frames: source.frames, framesPerChunk: config.framesPerChunk, chunksPerBatch: config.chunksPerBatch });
  const count = schedule.chunks;
  const pictures = (i: number): Promise<readonly Image[]> => source.read(schedule.firstFrame(i), schedule.framesOf(i));
  const zero = (): Record<Phase, number> => ({ encode: 0, decode: 0, 'encode-given-state': 0, rebase: 0 });
  const seconds = Array.from({ length: count }, zero);
  // Every chunk is encoded and decoded; some are encoded given state, some rebased.
  const steps = 2 * count + schedule.chunksIn('given-state') + schedule.chunksIn('rebase');
  let done = 0;
  const timed = async <T>(i: number, phase: Phase, f: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await f();
    seconds[i][phase] += (performance.now() - t0) / 1000;
    progress?.(phase, ++done, steps);
    return r;
  };
  const speed = config.speed;
  const output: Chunk[] = [];
  const origins: ChunkOrigin[] = [];
  const stages: ChunkStages[] = [];
  let state: DecoderState | null = null;

  // Each chunk's phases run as soon as their inputs exist: the state the chunk
  // before ended in (phase 1) and, for a rebase, the true state before it —
  // known here as soon as that chunk is done, since this runs chunk by chunk.
  // The result is the same as phase by phase (every step is a pure function
  // of its inputs), and at most two chunks' states are held at once.
  let previousEnd: DecoderState | null = null; // where chunk i-1's independent encode ends
  for (let i = 0; i < count; i++) {
    const origin = schedule.origin(i);
    const raws = await pictures(i);
    // Phase 1: the independent chunk and the state it ends in.
    const known = independentChunks?.get(i);
    const independent = known?.chunk ?? await timed(i, 'encode', () =>
      encodeChunk(raws, { encoder: config.chunkEncoder, quality: config.quality, frameRate: config.frameRate, speed, chunkIndex: i }));
    const independentEnd = known?.end ?? await timed(i, 'decode', () => decodeChunk(independent, undefined, i).state);
    if (known === undefined) independentChunks?.set(i, { chunk: independent, end: independentEnd });
    else done += 2;
    let given: Chunk | null = null;
    if (origin === 'independent') {
      output.push(independent);
      state = independentEnd;
    } else {
      // Phase 2: given the state the chunk before ended in, independently.
      const g = await timed(i, 'encode-given-state', () => encodeGivenState(independent, previousEnd!, raws, { speed, chunkIndex: i, keyQuantizerWeight: config.keyQuantizerWeight }));
      given = g.chunk;
      if (origin === 'given-state') {
        // The chunk before is unchanged, so the state it was given is the true one.
        output.push(g.chunk);
        state = g.state;
      } else {
        // Phase 3: rebased onto the true state before it.
        const from = previousEnd!;
        const to: DecoderState = state!;
        const r: { chunk: Chunk; state: DecoderState } = await timed(i, 'rebase', () => rebaseChunk(g.chunk, from, to, raws, { speed, chunkIndex: i }));
        output.push(r.chunk);
        state = r.state;
      }
    }
    origins.push(origin);
    if (keepStages) stages.push({ independent, independentEnd, givenState: given, output: output[i]!, outputEnd: state! });
    previousEnd = independentEnd;
  }
  const total = zero();
  for (const s of seconds) for (const p of PHASES) total[p] += s[p];
  return {
    frames: output.flatMap((c) => c.frames),
    chunks: output.map((c, i) => ({
      index: i,
      position: schedule.position(i),
      frames: schedule.framesOf(i),
      packets: c.frames.length,
      bytes: c.frames.reduce((a, f) => a + f.length, 0),
      origin: origins[i],
      seconds: seconds[i],
    })),
    seconds: total,
    finalState: state!,
    stages: keepStages ? stages : null,
  };
}

function isPictureSource(input: readonly Image[] | PictureSource): input is PictureSource {
  return !Array.isArray(input);
}
