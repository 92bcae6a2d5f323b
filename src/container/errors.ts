// Errors and limits of the container layer (IVF, YUV4MPEG2, WebM).
//
// Bad input never escapes as a TypeError or RangeError: every problem a reader
// can detect becomes a ContainerError that says what went wrong (`code`), in
// which format, at which byte of the file and, where it applies, in which frame.
// Limits come from an options object with documented defaults, never from
// module-level globals, so two readers in one process can use different ones.

import { ExcameraTsError, withLocation } from '../errors.js';

/** The container formats this layer reads and writes. */
export type ContainerFormat = 'ivf' | 'y4m' | 'webm';

/** What went wrong, as a machine-readable code. */
export type ContainerErrorCode =
  /** The file ends inside a header or a frame that it promises. */
  | 'truncated'
  /** The file does not start with the format's magic bytes. */
  | 'bad-signature'
  /** A header field holds a value the format does not allow. */
  | 'bad-header'
  /** The data is damaged beyond what the header checks can name (WebM). */
  | 'corrupt'
  /** Valid for the format, but not something this layer handles (e.g. 4:2:2 chroma, no VP8 track). */
  | 'unsupported'
  /** A declared size exceeds the configured limits. */
  | 'too-large'
  /** A writer was called with values the format cannot store. */
  | 'invalid-argument';

/** The one error type the container layer throws for bad input. */
export class ContainerError extends ExcameraTsError<ContainerErrorCode> {
  /** The format being read or written; 'unknown' when no signature matched. */
  readonly format: ContainerFormat | 'unknown';
  /** Offset in the file (or output) where the problem is. */
  readonly byteOffset: number;
  /** Index of the frame concerned, when the problem is inside a frame. */
  readonly frameIndex: number | undefined;

  constructor(
    code: ContainerErrorCode,
    format: ContainerFormat | 'unknown',
    detail: string,
    byteOffset: number,
    frameIndex?: number,
    options?: { cause?: unknown },
  ) {
    const location = { frame: frameIndex, byte: byteOffset };
    // The format leads the message: "IVF: frame of 40 bytes is cut short (frame 3, byte 812)".
    super(code, detail, location, { message: `${format.toUpperCase()}: ${withLocation(detail, location)}`, cause: options?.cause });
    this.name = 'ContainerError';
    this.format = format;
    this.byteOffset = byteOffset;
    this.frameIndex = frameIndex;
  }
}

/** Resource limits checked before anything is allocated. */
export interface ContainerLimits {
  /**
   * Largest frame payload accepted, in bytes: a compressed frame in IVF and
   * WebM, a raw I420 frame in Y4M. Default 64 MiB (an 8K UHD I420 frame is 50 MB).
   */
  readonly maxFrameBytes: number;
  /** Largest accepted width in pixels. Default 16384. */
  readonly maxWidth: number;
  /** Largest accepted height in pixels. Default 16384. */
  readonly maxHeight: number;
  /** Longest Y4M header or FRAME line, in bytes, searched for its newline. Default 64 KiB. */
  readonly maxHeaderBytes: number;
  /**
   * Largest file that a path-taking reader loads whole into memory (readWebmVp8,
   * readVp8Frames). Default 2 GiB − 1, the most Node's readFile can return.
   * The streaming readers (openIvfFile, openY4mFile) do not use it.
   */
  readonly maxFileBytes: number;
}

export const DEFAULT_CONTAINER_LIMITS: ContainerLimits = Object.freeze({
  maxFrameBytes: 64 * 1024 * 1024,
  maxWidth: 16384,
  maxHeight: 16384,
  maxHeaderBytes: 64 * 1024,
  maxFileBytes: 2 ** 31 - 1,
});

/** Limits a caller may override; the rest keep their defaults. */
export type LimitOptions = Partial<ContainerLimits>;

/** Options of the IVF and Y4M readers. */
export interface ReadOptions extends LimitOptions {
  /**
   * When the last frame is cut short, return the whole frames before it and
   * set `truncatedAt` instead of throwing. Default false.
   */
  readonly allowTruncated?: boolean;
}

/** The limits in force: defaults overridden by `options`, each checked to be a positive integer. */
export function resolveLimits(options: LimitOptions | undefined, format: ContainerFormat | 'unknown'): ContainerLimits {
  const limits: { -readonly [K in keyof ContainerLimits]: number } = { ...DEFAULT_CONTAINER_LIMITS };
  for (const key of Object.keys(limits) as (keyof ContainerLimits)[]) {
    // Options may come from untyped callers (CLI flags, JSON), so check what arrives.
    const value: unknown = options?.[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new ContainerError('invalid-argument', format, `option ${key} must be a positive integer, got ${String(value)}`, 0);
    }
    limits[key] = value;
  }
  return Object.freeze(limits);
}
