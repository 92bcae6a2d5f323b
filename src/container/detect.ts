// Container detection by signature, and one entry point for compressed VP8
// streams in either container that carries them here (IVF or WebM).
// Signatures: IVF "DKIF" (libvpx ivfdec.c), YUV4MPEG2 "YUV4MPEG2 " (yuv4mpeg(5)),
// WebM/Matroska the EBML magic 1A 45 DF A3 (RFC 8794 section 8).

import { ContainerError, resolveLimits, type ContainerFormat, type LimitOptions } from './errors.js';
import { readFileLimited, readHead, startsWith } from './io.js';
import { IVF_SIGNATURE, parseIvf } from './ivf.js';
import { EBML_SIGNATURE, readWebmVp8 } from './webm.js';
import { Y4M_SIGNATURE } from './y4m.js';

const SIGNATURES: readonly (readonly [ContainerFormat, Uint8Array])[] = [
  ['ivf', IVF_SIGNATURE], ['y4m', Y4M_SIGNATURE], ['webm', EBML_SIGNATURE],
];

/** The container whose signature `bytes` starts with, or null. */
export function detectContainer(bytes: Uint8Array): ContainerFormat | null {
  for (const [format, signature] of SIGNATURES) if (startsWith(bytes, signature)) return format;
  return null;
}

/** The container whose signature the file at `path` starts with, or null. */
export async function detectContainerFile(path: string): Promise<ContainerFormat | null> {
  return detectContainer(await readHead(path, 16));
}

/** A compressed VP8 stream, whichever container it came in. */
export interface Vp8Stream {
  readonly container: 'ivf' | 'webm';
  readonly width: number;
  readonly height: number;
  /** Frames per second: the time base's denominator/numerator for IVF, fitted to the timestamps for WebM; null if unknown. */
  readonly frameRate: number | null;
  /** The compressed frames in decode order. */
  readonly frames: readonly Uint8Array[];
}

/**
 * Reads every compressed frame of the IVF or WebM file at `path`. Y4M (raw
 * video) is ContainerError 'unsupported'; anything else 'bad-signature'.
 */
export async function readVp8Frames(path: string, options?: LimitOptions): Promise<Vp8Stream> {
  const limits = resolveLimits(options, 'unknown');
  const bytes = await readFileLimited(path, limits.maxFileBytes, 'unknown');
  const container = detectContainer(bytes);
  switch (container) {
    case 'ivf': {
      const { header, frames } = parseIvf(bytes, limits);
      const { timebaseDenominator: rate, timebaseNumerator: scale } = header;
      return Object.freeze({
        container, width: header.width, height: header.height,
        frameRate: rate > 0 && scale > 0 ? rate / scale : null,
        frames: Object.freeze(frames.map((frame) => frame.data)),
      });
    }
    case 'webm': {
      const video = await readWebmVp8(bytes, limits);
      return Object.freeze({
        container, width: video.width, height: video.height, frameRate: video.frameRate,
        frames: Object.freeze(video.frames.map((frame) => frame.data)),
      });
    }
    case 'y4m':
      throw new ContainerError('unsupported', 'y4m', `${path} holds raw YUV4MPEG2 video, not compressed VP8`, 0);
    case null:
      throw new ContainerError('bad-signature', 'unknown', `${path} is neither IVF nor WebM (no DKIF or EBML signature)`, 0);
  }
}
