// Encoding a sequence of pictures: which frames are key frames, which refresh
// the golden reference, and which quantizer each frame gets (rate control).
// Every frame goes through encodeFrame (encoder.ts); this layer only decides
// its settings and keeps the decoder state between frames.
//
// Rate control has three modes:
//  - 'quantizer': one quantizer for every frame (vpxenc --min-q=Q --max-q=Q);
//  - 'cq' (constrained quality): a quality level, with finer quantizers for
//    key frames and golden refreshes, which later frames predict from, and an
//    optional cap on the bitrate that coarsens the quantizer while the coded
//    rate runs above it;
//  - 'bitrate': one pass towards a target bitrate, choosing each frame's
//    quantizer from a model of bits against quantizer step that learns from
//    every coded frame, and steering a virtual buffer back to half full.
// Quantizer levels are on vpxenc's 0..63 scale, mapped to the bitstream's
// 0..127 quantizer index by libvpx's table.

import { Vp8Error } from '../errors.js';
import type { Image } from '../image.js';
import { createDecoderState, type DecoderState } from '../state.js';
import { AC_QUANT } from '../tables.js';
import { DEFAULT_SPEED, encodeFrame, EncoderWorkspace, type FrameStats, MAX_SPEED } from './encoder.js';

/** libvpx's map from the 0..63 quantizer of its tools to the 0..127 quantizer index. */
export const QUANTIZER_TO_QINDEX: readonly number[] = [
  0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 15, 17, 18, 19,
  20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 33, 35, 37, 39, 41,
  43, 45, 47, 49, 51, 53, 55, 57, 59, 61, 64, 67, 70, 73, 76, 79,
  82, 85, 88, 91, 94, 97, 100, 103, 106, 109, 112, 115, 118, 121, 124, 127,
];

/**
 * The quality level (vpxenc's 0..63 scale) used when none is asked for, by
 * every command that encodes: constrained quality at this level.
 */
export const DEFAULT_CQ_LEVEL = 24;

export type RateControl =
  | { readonly mode: 'quantizer'; readonly quantizer: number }
  | { readonly mode: 'cq'; readonly cqLevel: number; readonly maxBitrate?: number }
  | { readonly mode: 'bitrate'; readonly targetBitrate: number };

export interface EncoderConfig {
  readonly width: number;
  readonly height: number;
  /** Frames per second, for bitrates. */
  readonly frameRate: number;
  readonly rateControl: RateControl;
  /** A key frame every this many frames (the first frame is always one). Default 128. */
  readonly keyframeInterval?: number;
  /** Refresh the golden reference every this many frames (0: never). Default 16. */
  readonly goldenInterval?: number;
  /** 0 (slowest, best) .. MAX_SPEED. Default DEFAULT_SPEED. */
  readonly speed?: number;
  /** Token partitions as log2 (0..3). */
  readonly log2TokenPartitions?: number;
}

export interface EncodedFrame {
  readonly frame: Uint8Array;
  readonly keyFrame: boolean;
  readonly qIndex: number;
  /** What a decoder shows for this frame. */
  readonly reconstruction: Image;
  readonly stats: FrameStats;
}

/** Quantizer step (the luma AC factor) of a quantizer index. */
const step = (q: number): number => AC_QUANT[q];

/** The quantizer index whose step is closest to `s`. */
function indexForStep(s: number): number {
  let best = 0;
  for (let q = 1; q < 128; q++) if (Math.abs(step(q) - s) < Math.abs(step(best) - s)) best = q;
  return best;
}

function checkLevel(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 63) throw new Vp8Error('invalid-argument', `${name} must be an integer 0..63, got ${v}`);
}

/** Encodes pictures one after another (see the file comment). */
export class Vp8Encoder {
  private current: DecoderState = createDecoderState();
  private readonly workspace = new EncoderWorkspace();
  private index = 0;
  private sinceKey = 0;
  private sinceGolden = 0;
  private readonly keyframeInterval: number;
  private readonly goldenInterval: number;
  private readonly speed: number;
  // Rate control.
  private readonly bitsPerFrame: number;
  /** Virtual buffer fullness in bits (bitrate mode) or running excess over the cap (cq mode). */
  private buffer = 0;
  /** Learned bits × step for key and inter frames (per pixel). */
  private readonly model = [0, 0];
  private lastInterQ = -1;

  constructor(readonly config: EncoderConfig) {
    if (!(config.frameRate > 0)) throw new Vp8Error('invalid-argument', `frame rate must be positive, got ${config.frameRate}`);
    this.keyframeInterval = Math.max(1, config.keyframeInterval ?? 128);
    this.goldenInterval = config.goldenInterval ?? 16;
    this.speed = Math.max(0, Math.min(MAX_SPEED, config.speed ?? DEFAULT_SPEED));
    const rc = config.rateControl;
    if (rc.mode === 'quantizer') checkLevel('quantizer', rc.quantizer);
    if (rc.mode === 'cq') checkLevel('cq level', rc.cqLevel);
    const kbps = rc.mode === 'bitrate' ? rc.targetBitrate : rc.mode === 'cq' ? rc.maxBitrate ?? 0 : 0;
    if (rc.mode === 'bitrate' && !(kbps > 0)) throw new Vp8Error('invalid-argument', `target bitrate must be positive, got ${kbps}`);
    this.bitsPerFrame = (kbps * 1000) / config.frameRate;
  }

  /** The decoder state after the frames encoded so far. */
  get state(): DecoderState {
    return this.current;
  }

  /**
   * Encodes the next picture. `keyFrame` forces a key frame;
   * `refreshAllReferences` makes an inter frame the new last, golden and
   * altref reference at once (as an ExCamera chunk ends).
   */
  encode(raw: Image, options: { readonly keyFrame?: boolean; readonly refreshAllReferences?: boolean } = {}): EncodedFrame {
    if (raw.width !== this.config.width || raw.height !== this.config.height) {
      throw new Vp8Error('invalid-argument', `picture is ${raw.width}x${raw.height}, the encoder was set up for ${this.config.width}x${this.config.height}`);
    }
    const keyFrame = this.index === 0 || options.keyFrame === true || this.sinceKey >= this.keyframeInterval;
    const all = !keyFrame && options.refreshAllReferences === true;
    const golden = !keyFrame && (all || (this.goldenInterval > 0 && this.sinceGolden >= this.goldenInterval));
    // A chunk's last frame refreshes every reference only to make the state
    // that crosses the chunk boundary compact, not to serve as a long-lived
    // golden frame, so it is quantized like any inter frame.
    const qIndex = this.chooseQuantizer(keyFrame, golden && !all);
    const result = encodeFrame(this.current, raw, {
      qIndex,
      keyFrame,
      speed: this.speed,
      refreshGolden: golden,
      refreshAltref: all,
      // The golden frame being replaced lives on as altref: a third reference.
      copyToAltref: golden && !all ? 2 : 0,
      log2TokenPartitions: this.config.log2TokenPartitions,
      workspace: this.workspace,
    });
    this.current = result.state;
    this.learn(keyFrame, qIndex, result.frame.length * 8);
    this.index++;
    this.sinceKey = keyFrame ? 1 : this.sinceKey + 1;
    this.sinceGolden = keyFrame || golden ? 1 : this.sinceGolden + 1;
    return { frame: result.frame, keyFrame, qIndex, reconstruction: result.reconstruction, stats: result.stats };
  }

  private chooseQuantizer(keyFrame: boolean, golden: boolean): number {
    const rc = this.config.rateControl;
    if (rc.mode === 'quantizer') return QUANTIZER_TO_QINDEX[rc.quantizer];
    if (rc.mode === 'cq') {
      // Frames that others predict from are worth finer quantization.
      const base = QUANTIZER_TO_QINDEX[rc.cqLevel];
      const q = indexForStep(step(base) * (keyFrame ? 0.6 : golden ? 0.75 : 1));
      // A cap can only coarsen: the quantizer the rate needs, if that is coarser.
      return this.bitsPerFrame > 0 ? Math.max(q, this.quantizerForRate(keyFrame, golden)) : q;
    }
    return this.quantizerForRate(keyFrame, golden);
  }

  /** The quantizer that should spend this frame's share of the rate, corrected by the buffer. */
  private quantizerForRate(keyFrame: boolean, golden: boolean): number {
    const pixels = this.config.width * this.config.height;
    const kind = keyFrame ? 0 : 1;
    const share = keyFrame ? 5 : golden ? 1.5 : 1;
    const correction = 1 - Math.max(-0.5, Math.min(0.5, this.buffer / (this.bitsPerFrame * this.config.frameRate)));
    const target = this.bitsPerFrame * share * correction;
    let q: number;
    if (this.model[kind] === 0) {
      // No history: a step from a rough bits-per-pixel model.
      q = indexForStep(Math.max(4, Math.min(284, ((pixels * 1.6) / Math.max(1, target)) * (keyFrame ? 6 : 2))));
    } else {
      q = indexForStep((this.model[kind] * pixels) / Math.max(1, target));
    }
    if (!keyFrame && this.lastInterQ >= 0) {
      // Change gradually between inter frames, so quality does not pump.
      q = Math.max(this.lastInterQ - 12, Math.min(this.lastInterQ + 12, q));
    }
    return Math.max(0, Math.min(127, q));
  }

  private learn(keyFrame: boolean, qIndex: number, bits: number): void {
    const pixels = this.config.width * this.config.height;
    const kind = keyFrame ? 0 : 1;
    const observed = (bits * step(qIndex)) / pixels;
    this.model[kind] = this.model[kind] === 0 ? observed : 0.6 * this.model[kind] + 0.4 * observed;
    if (!keyFrame && this.model[0] === 0) this.model[0] = observed * 4;
    if (keyFrame && this.model[1] === 0) this.model[1] = observed / 4;
    if (!keyFrame) this.lastInterQ = qIndex;
    if (this.bitsPerFrame > 0) {
      this.buffer += bits - this.bitsPerFrame;
      const limit = this.bitsPerFrame * this.config.frameRate * 2;
      this.buffer = Math.max(-limit, Math.min(limit, this.buffer));
    }
  }
}
