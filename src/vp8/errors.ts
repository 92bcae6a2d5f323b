// Errors and limits of the VP8 codec (docs/architecture.md, "Errors").
//
// Bad input never escapes as a TypeError or RangeError: every problem the
// decoder can detect in a compressed frame becomes a Vp8Error that says what
// went wrong (`code`), in which frame (`frameIndex`) and where in that frame's
// bytes (`byteOffset`). Resource limits come from an options object, never from
// module-level globals, so two decoders in one process can use different ones.

import { ExcameraTsError } from '../errors.js';

/** What went wrong, as a machine-readable code. */
export type Vp8ErrorCode =
  /** The frame ends before a field or partition that its header promises. */
  | 'truncated'
  /** A key frame does not carry the start code 9d 01 2a (RFC 6386 section 9.1). */
  | 'bad-start-code'
  /** A header field holds a value the format does not allow. */
  | 'corrupt-header'
  /** Width or height is zero or exceeds the configured limits. */
  | 'bad-dimensions'
  /** The compressed frame exceeds the configured size limit. */
  | 'too-large'
  /** An inter frame arrived before any key frame. */
  | 'no-keyframe'
  /** The stream uses a feature this decoder does not implement. */
  | 'unsupported'
  /** A function was called with arguments that violate its contract. */
  | 'invalid-argument';

export interface Vp8ErrorDetails {
  /** Index of the frame in the caller's sequence, when the caller supplied one. */
  readonly frameIndex?: number;
  /** Offset in the frame's bytes where the problem was found. */
  readonly byteOffset?: number;
}

/** The one error type the VP8 codec throws for bad input. */
export class Vp8Error extends ExcameraTsError<Vp8ErrorCode> {
  readonly frameIndex: number | undefined;
  readonly byteOffset: number | undefined;

  constructor(code: Vp8ErrorCode, detail: string, details: Vp8ErrorDetails = {}) {
    super(code, detail, { frame: details.frameIndex, byte: details.byteOffset });
    this.name = 'Vp8Error';
    this.frameIndex = details.frameIndex;
    this.byteOffset = details.byteOffset;
  }

  /** The same error, attributed to a frame of the caller's sequence. */
  withFrameIndex(frameIndex: number): Vp8Error {
    if (this.frameIndex === frameIndex) return this;
    return new Vp8Error(this.code, this.detail, { frameIndex, byteOffset: this.byteOffset });
  }
}

/** Resource limits applied to every frame before anything is allocated. */
export interface DecoderLimits {
  /** Largest accepted frame width in pixels. Default 16383, the format's own maximum. */
  readonly maxWidth: number;
  /** Largest accepted frame height in pixels. Default 16383. */
  readonly maxHeight: number;
  /**
   * Largest accepted width × height. Default 8192 × 8192 = 67,108,864: a state
   * holds up to four such images with borders (about 400 MB), which is the most
   * a default Node.js process should be asked to allocate for one stream.
   */
  readonly maxPixels: number;
  /** Largest accepted compressed frame, in bytes. Default 64 MiB. */
  readonly maxFrameBytes: number;
}

export const DEFAULT_LIMITS: DecoderLimits = Object.freeze({
  maxWidth: 16383,
  maxHeight: 16383,
  maxPixels: 8192 * 8192,
  maxFrameBytes: 64 * 1024 * 1024,
});
