// Phase 1 of ExCamera: a chunk of raw pictures encoded on its own, as a key
// frame and inter frames, by the built-in encoder or by vpxenc.
//
// Either way the chunk's last frame refreshes all three references (the
// built-in encoder is told to; a vpxenc chunk has its last header rewritten),
// so the state it ends in has a single reference picture.

import type { Rational } from '../container/index.js';
import type { Image } from '../vp8/index.js';
import { Vp8Encoder } from '../vp8/encoder/sequence.js';
import { type Chunk, refreshAllAtEnd } from './chunk.js';
import { ExcameraError } from './errors.js';
import { type ChunkQuality, encodeWithVpxenc } from './vpxenc.js';

export type ChunkEncoderName = 'builtin' | 'vpxenc';
export const CHUNK_ENCODERS: readonly ChunkEncoderName[] = ['builtin', 'vpxenc'];

export interface ChunkEncoderOptions {
  readonly encoder: ChunkEncoderName;
  /** Quantizer or CQ level on vpxenc's 0..63 scale. */
  readonly quality: ChunkQuality;
  readonly frameRate: Rational;
  /** Speed of the built-in encoder (0..5). */
  readonly speed?: number;
  readonly chunkIndex?: number;
}

/** Encodes `raws` as an independent chunk (it starts with a key frame and expects no state). */
export async function encodeChunk(raws: readonly Image[], options: ChunkEncoderOptions): Promise<Chunk> {
  if (raws.length === 0) throw new ExcameraError('invalid-argument', 'a chunk needs at least one picture', { chunk: options.chunkIndex });
  const { width, height } = raws[0];
  if (raws.some((r) => r.width !== width || r.height !== height)) {
    throw new ExcameraError('invalid-argument', 'the pictures of a chunk must all have one size', { chunk: options.chunkIndex });
  }
  const level = options.quality.mode === 'cq' ? options.quality.cqLevel : options.quality.quantizer;
  if (!Number.isInteger(level) || level < 0 || level > 63) {
    throw new ExcameraError('invalid-argument', `quality level must be an integer 0..63, got ${level}`, { chunk: options.chunkIndex });
  }
  if (options.encoder === 'vpxenc') {
    const frames = await encodeWithVpxenc(raws, options.frameRate, options.quality, options.chunkIndex);
    return refreshAllAtEnd({ frames, width, height, expects: null }, undefined, options.chunkIndex);
  }
  const encoder = new Vp8Encoder({
    width,
    height,
    frameRate: options.frameRate.numerator / options.frameRate.denominator,
    rateControl: options.quality.mode === 'cq' ? { mode: 'cq', cqLevel: level } : { mode: 'quantizer', quantizer: level },
    keyframeInterval: raws.length + 1,
    speed: options.speed,
  });
  const frames = raws.map((raw, i) => encoder.encode(raw, { refreshAllReferences: i === raws.length - 1 && i > 0 }).frame);
  return { frames, width, height, expects: null };
}
