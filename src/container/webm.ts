// WebM, the Matroska profile for VP8/VP9/AV1 video on the web, read and
// written through mediabunny. Matroska is defined by RFC 9559 (on top of EBML,
// RFC 8794); WebM's restrictions are at https://www.webmproject.org/docs/container/.
//
// mediabunny does the (de)muxing; this module adds what a codec user needs
// around it: the first VP8 track as plain frames, limits, and typed errors.
// Two guards sit in front of mediabunny's demuxer:
//  - a framing check of the first two EBML elements, so that a file cut short
//    is reported as 'truncated' (mediabunny silently returns fewer packets);
//  - a read budget. On some damaged files (an element size whose first byte
//    is 0) mediabunny 1.61's resync returns the position it started from and
//    loops forever. Every read goes through our source (its cache is off), and
//    more than 8× the file size read ends the loop as a 'corrupt' error.

import type { CustomSource, Input, InputVideoTrack } from 'mediabunny';
import { ContainerError, resolveLimits, type LimitOptions } from './errors.js';
import { readFileLimited, startsWith } from './io.js';

type Mediabunny = typeof import('mediabunny');
let mediabunny: Promise<Mediabunny> | null = null;

/** mediabunny, loaded on first use: a command that touches no WebM file does not pay for it. */
function loadMediabunny(): Promise<Mediabunny> {
  mediabunny ??= import('mediabunny');
  return mediabunny;
}

export const EBML_SIGNATURE: Uint8Array = Uint8Array.of(0x1a, 0x45, 0xdf, 0xa3);
const SEGMENT_ID = 0x18538067;
/** VP8's frame header stores 14-bit dimensions (RFC 6386 section 9.1). */
const VP8_MAX_DIMENSION = 16383;

export interface WebmFrame {
  /** One compressed VP8 frame. */
  readonly data: Uint8Array;
  /** Presentation time; WebM files written by mediabunny and ffmpeg store whole milliseconds. */
  readonly timestampSeconds: number;
  /** The container's key-frame flag. */
  readonly keyFrame: boolean;
}

export interface WebmVp8Video {
  readonly width: number;
  readonly height: number;
  /** Frames per second, fitted by mediabunny to the timestamps; null with fewer than two frames. */
  readonly frameRate: number | null;
  readonly frames: readonly WebmFrame[];
}

/** The video a WebM file is written for. */
export interface WebmVideoInit {
  readonly width: number;
  readonly height: number;
  /** Frames per second; frame i is stamped i / frameRate seconds. */
  readonly frameRate: number;
}

/** A frame to write. */
export interface WebmFrameInit {
  readonly data: Uint8Array;
  readonly keyFrame: boolean;
}

// ---------------------------------------------------------------------------
// Reading

/**
 * Reads the first VP8 video track of a WebM (or Matroska) file, given as bytes
 * or a path. No VP8 track is ContainerError 'unsupported'; damaged data is a
 * ContainerError ('bad-signature', 'truncated', 'bad-header', 'corrupt',
 * 'too-large'), never one of mediabunny's own exceptions.
 */
export async function readWebmVp8(input: Uint8Array | string, options?: LimitOptions): Promise<WebmVp8Video> {
  const limits = resolveLimits(options, 'webm');
  const bytes = typeof input === 'string' ? await readFileLimited(input, limits.maxFileBytes, 'webm') : input;
  checkEbmlFraming(bytes);
  const mb = await loadMediabunny();
  const source = new BudgetedSource(mb, bytes);
  const demuxer = new mb.Input({ formats: [mb.WEBM, mb.MATROSKA], source: source.source });
  const frames: WebmFrame[] = [];
  let readingPackets = false; // errors from then on belong to the frame being read
  try {
    const track = await firstVp8Track(demuxer);
    const width = await track.getCodedWidth();
    const height = await track.getCodedHeight();
    for (const [name, value, max] of [['width', width, limits.maxWidth], ['height', height, limits.maxHeight]] as const) {
      if (!(value > 0)) throw new ContainerError('bad-header', 'webm', `VP8 track ${name} is ${value}`, source.lastReadAt);
      if (value > max) throw new ContainerError('too-large', 'webm', `VP8 track ${name} ${value} exceeds the limit ${max}`, source.lastReadAt);
    }
    readingPackets = true;
    for await (const packet of new mb.EncodedPacketSink(track).packets()) {
      if (packet.data.length > limits.maxFrameBytes) {
        throw new ContainerError('too-large', 'webm', `frame of ${packet.data.length} bytes exceeds maxFrameBytes ${limits.maxFrameBytes}`, source.lastReadAt, frames.length);
      }
      frames.push(Object.freeze({ data: packet.data, timestampSeconds: packet.timestamp, keyFrame: packet.type === 'key' }));
    }
    readingPackets = false;
    const frameRate = frames.length < 2 ? null : await fittedFrameRate(track);
    return Object.freeze({ width, height, frameRate, frames: Object.freeze(frames) });
  } catch (error) {
    throw asContainerError(mb, error, source.lastReadAt, readingPackets ? frames.length : undefined);
  } finally {
    demuxer.dispose();
  }
}

async function firstVp8Track(demuxer: Input): Promise<InputVideoTrack> {
  const codecs: string[] = [];
  for (const track of await demuxer.getVideoTracks()) {
    const codec = await track.getCodec();
    if (codec === 'vp8') return track;
    codecs.push(codec ?? 'unknown');
  }
  const found = codecs.length === 0 ? 'no video tracks' : `video tracks: ${codecs.join(', ')}`;
  throw new ContainerError('unsupported', 'webm', `no VP8 video track (${found})`, 0);
}

async function fittedFrameRate(track: InputVideoTrack): Promise<number | null> {
  const metrics = await track.computeFrameRateMetrics();
  const rate = metrics.underlyingFrameRate ?? metrics.bestGuessFrameRate;
  return Number.isFinite(rate) && rate > 0 ? rate : null;
}

/**
 * A mediabunny source over bytes in memory that counts what the demuxer reads
 * and stops it past a budget (see the file comment). Its cache is off, so that
 * every read, repeated or not, passes through `read`.
 */
class BudgetedSource {
  readonly source: CustomSource;
  /** Where the demuxer last read: the best available location for an error it reports. */
  lastReadAt = 0;
  private bytesRead = 0;

  constructor(mb: Mediabunny, bytes: Uint8Array) {
    // Demuxing a sound file reads it about three times (track setup, packets, frame-rate probing); 8× leaves room.
    const budget = 8 * bytes.length + 1024 * 1024;
    this.source = new mb.CustomSource({
      getSize: () => bytes.length,
      read: (start, end) => {
        this.lastReadAt = start;
        this.bytesRead += end - start;
        if (this.bytesRead > budget) {
          throw new ContainerError('corrupt', 'webm', `demuxer re-read the file past ${budget} bytes; an element size is probably damaged`, start);
        }
        return bytes.subarray(start, end);
      },
      maxCacheSize: 0,
      // A failed read-ahead that nobody awaits would otherwise become an unhandled rejection and
      // end the process; the budget stays exceeded, so the next awaited read reports the error.
      handleUnhandledError: () => undefined,
    });
  }
}

/** Turns whatever mediabunny threw into a ContainerError that keeps it as `cause`. */
function asContainerError(mb: Mediabunny, error: unknown, byteOffset: number, frameIndex: number | undefined): ContainerError {
  if (error instanceof ContainerError) return error;
  if (error instanceof mb.UnsupportedInputFormatError) {
    return new ContainerError('bad-header', 'webm', 'mediabunny does not recognise the file as WebM or Matroska', 0, undefined, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ContainerError('corrupt', 'webm', `demuxer failed: ${message}`, byteOffset, frameIndex, { cause: error });
}

/**
 * Checks the EBML header element and the Segment element that must follow it:
 * the magic bytes, sizes that can be read, and a Segment no longer than the
 * file (when its size is known; live streams leave it unknown).
 */
export function checkEbmlFraming(bytes: Uint8Array): void {
  if (!startsWith(bytes, EBML_SIGNATURE, 0, true)) throw new ContainerError('bad-signature', 'webm', 'file does not start with the EBML magic 1A 45 DF A3', 0);
  const header = readElementSize(bytes, EBML_SIGNATURE.length, 'EBML header');
  if (header.size === null) throw new ContainerError('bad-header', 'webm', 'EBML header has an unknown size', EBML_SIGNATURE.length);
  const segmentAt = header.dataStart + header.size;
  if (segmentAt + 4 > bytes.length) {
    throw new ContainerError('truncated', 'webm', `file ends before the Segment element (EBML header ends at byte ${segmentAt})`, bytes.length);
  }
  const id = new DataView(bytes.buffer, bytes.byteOffset + segmentAt, 4).getUint32(0);
  if (id !== SEGMENT_ID) throw new ContainerError('bad-header', 'webm', `expected the Segment element after the EBML header, found ID 0x${id.toString(16).padStart(8, '0')}`, segmentAt);
  const segment = readElementSize(bytes, segmentAt + 4, 'Segment');
  if (segment.size !== null && segment.dataStart + segment.size > bytes.length) {
    throw new ContainerError('truncated', 'webm', `Segment declares ${segment.size} bytes but the file holds ${bytes.length - segment.dataStart}`, bytes.length);
  }
}

/**
 * Reads an EBML variable-size integer (RFC 8794 section 4): the number of
 * leading zero bits of the first byte gives the length (1 to 8 bytes); the
 * value with all its bits set means "unknown size" (null).
 */
function readElementSize(bytes: Uint8Array, offset: number, element: string): { size: number | null; dataStart: number } {
  if (offset >= bytes.length) throw new ContainerError('truncated', 'webm', `file ends before the size of the ${element}`, offset);
  const first = bytes[offset]!;
  if (first === 0) throw new ContainerError('bad-header', 'webm', `${element} size is not a valid EBML integer (first byte 0)`, offset);
  const length = Math.clz32(first) - 23; // 1 for 1xxxxxxx, 8 for 00000001
  if (offset + length > bytes.length) throw new ContainerError('truncated', 'webm', `file ends inside the size of the ${element}`, offset);
  let value = first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + bytes[offset + i]!; // beyond 2^53 loses precision, but such sizes fail the length check anyway
    allOnes &&= bytes[offset + i] === 0xff;
  }
  return { size: allOnes ? null : value, dataStart: offset + length };
}

// ---------------------------------------------------------------------------
// Writing

/**
 * A WebM file holding one VP8 track with `frames`, in decode order; frame i
 * is stamped i / frameRate seconds. The first frame must be a key frame.
 */
export async function writeWebmVp8(video: WebmVideoInit, frames: readonly WebmFrameInit[]): Promise<Uint8Array> {
  for (const [name, value] of [['width', video.width], ['height', video.height]] as const) {
    if (!Number.isInteger(value) || value <= 0 || value > VP8_MAX_DIMENSION) invalid(`${name} must be an integer in 1..${VP8_MAX_DIMENSION}, got ${value}`);
  }
  if (!Number.isFinite(video.frameRate) || video.frameRate <= 0) invalid(`frameRate must be a positive number, got ${video.frameRate}`);
  if (frames.length > 0 && !frames[0]!.keyFrame) invalid('the first frame must be a key frame', 0);
  const mb = await loadMediabunny();
  const target = new mb.BufferTarget();
  const output = new mb.Output({ format: new mb.WebMOutputFormat(), target });
  const track = new mb.EncodedVideoPacketSource('vp8');
  output.addVideoTrack(track, {
    frameRate: video.frameRate, // also written as the track's DefaultDuration
    decoderConfig: { codec: 'vp8', codedWidth: video.width, codedHeight: video.height },
  });
  const duration = 1 / video.frameRate;
  let index = 0;
  try {
    await output.start();
    for (; index < frames.length; index++) {
      const frame = frames[index]!;
      await track.add(new mb.EncodedPacket(frame.data, frame.keyFrame ? 'key' : 'delta', index * duration, duration));
    }
    await output.finalize();
  } catch (error) {
    await output.cancel().catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new ContainerError('invalid-argument', 'webm', `muxer refused the frames: ${message}`, 0, index < frames.length ? index : undefined, { cause: error });
  }
  if (target.buffer === null) invalid('muxer produced no output');
  return new Uint8Array(target.buffer);
}

function invalid(detail: string, frameIndex?: number): never {
  throw new ContainerError('invalid-argument', 'webm', detail, 0, frameIndex);
}
