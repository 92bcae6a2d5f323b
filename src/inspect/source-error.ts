// How far each shown frame of a stream is from the source it was encoded
// from, frame by frame and macroblock by macroblock: what the inspector's
// "error against the source" shows (`excamera inspect --source IN.y4m`).
// The k-th shown frame is compared with the k-th source frame (hidden frames
// show nothing, and a source has no frame for them). Frame figures are
// those of `excamera compare` (metrics.ts); a macroblock's is the sum of the
// squared differences of its visible samples, Y, U and V.

import { i420Layout } from '../vp8/i420.js';
import { frameQuality, psnr, ssimDb } from '../vp8/metrics.js';

/** One shown frame against its source frame. */
export interface FrameError {
  /** The frame's index in the stream, and its source frame's. */
  readonly frame: number;
  readonly source: number;
  readonly psnrY: number;
  readonly psnr: number;
  readonly ssimDbY: number;
}

/** A decoded frame against its source (both packed I420, width × height). */
export function frameError(decoded: Uint8Array, source: Uint8Array, width: number, height: number, frame: number, sourceIndex: number): FrameError {
  const q = frameQuality(source, decoded, width, height);
  const samples = q.y.samples + q.u.samples + q.v.samples;
  const r = (v: number): number => Number(v.toFixed(3));
  return { frame, source: sourceIndex, psnrY: r(psnr(q.y.sse, q.y.samples)), psnr: r(psnr(q.y.sse + q.u.sse + q.v.sse, samples)), ssimDbY: r(ssimDb(q.y.ssimSum / q.y.ssimWindows)) };
}

/** Per macroblock (raster order), the sum of squared differences over its visible Y, U and V samples. */
export function macroblockSse(decoded: Uint8Array, source: Uint8Array, width: number, height: number): Float64Array {
  const mbCols = (width + 15) >> 4;
  const mbRows = (height + 15) >> 4;
  const out = new Float64Array(mbCols * mbRows);
  const l = i420Layout(width, height);
  const plane = (offset: number, w: number, h: number, size: number): void => {
    for (let y = 0; y < h; y++) {
      const row = ((y / size) | 0) * mbCols;
      for (let x = 0; x < w; x++) {
        const d = decoded[offset + y * w + x]! - source[offset + y * w + x]!;
        out[row + ((x / size) | 0)] += d * d;
      }
    }
  };
  plane(0, width, height, 16);
  plane(l.uOffset, l.chromaWidth, l.chromaHeight, 8);
  plane(l.vOffset, l.chromaWidth, l.chromaHeight, 8);
  return out;
}

/** Visible samples (Y, U and V) of each macroblock: edge macroblocks of odd sizes have fewer. */
export function macroblockSamples(width: number, height: number): Float64Array {
  const ones = new Uint8Array(i420Layout(width, height).size).fill(1);
  return macroblockSse(ones, new Uint8Array(ones.length), width, height);
}
