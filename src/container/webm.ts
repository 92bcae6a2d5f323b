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
//
// With `allowTruncated`, a file cut short gives its whole frames instead, as
// the IVF reader does. mediabunny cannot do that itself: it skips a Cluster
// that runs past the end of the file, losing every frame in it. So we walk the
// element framing (IDs and sizes only, never the contents) to find the element
// the file ends inside, and hand mediabunny the part before it, with the sizes
// of the Segment and Cluster around the cut rewritten to end there: a whole,
// valid file that it reads as usual.

import type { CustomSource, Input, InputVideoTrack } from 'mediabunny';
import { ContainerError, resolveLimits, type ReadOptions } from './errors.js';
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
const CLUSTER_ID = 0x1f43b675;
/** Names of the elements a cut is most likely to fall in, for messages (Matroska IDs, RFC 9559 section 5.1). */
const ELEMENT_NAMES: ReadonlyMap<number, string> = new Map([
  [0x114d9b74, 'SeekHead'], [0x1549a966, 'Info'], [0x1654ae6b, 'Tracks'], [CLUSTER_ID, 'Cluster'], [0x1c53bb6b, 'Cues'],
  [0x1254c367, 'Tags'], [0xe7, 'Cluster Timestamp'], [0xa3, 'SimpleBlock'], [0xa0, 'BlockGroup'],
]);
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
  /**
   * With `allowTruncated`, where a file cut short was cut: the offset of the
   * element it ends inside (the block of the first frame lost, usually), or
   * the file's length when it ends between two elements. Otherwise null.
   */
  readonly truncatedAt: number | null;
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
 * 'too-large'), never one of mediabunny's own exceptions. With
 * `allowTruncated`, a file cut short after its first Cluster began gives the
 * whole frames before the cut and sets `truncatedAt`.
 */
export async function readWebmVp8(input: Uint8Array | string, options?: ReadOptions): Promise<WebmVp8Video> {
  const limits = resolveLimits(options, 'webm');
  const bytes = typeof input === 'string' ? await readFileLimited(input, limits.maxFileBytes, 'webm') : input;
  return demuxWebmVp8(await loadMediabunny(), bytes, options);
}

/** The part of mediabunny that reading needs: its WebM/Matroska demuxer. */
export type WebmDemuxer = Pick<Mediabunny, 'Input' | 'WEBM' | 'MATROSKA' | 'CustomSource' | 'EncodedPacketSink' | 'UnsupportedInputFormatError'>;

/**
 * readWebmVp8 on bytes, with mediabunny's demuxer passed in: for the
 * inspector's Web Worker (src/inspect/page/demux.ts), which needs nothing
 * from Node. It imports these classes from mediabunny by name, so that its
 * bundler keeps only them and what they use; readWebmVp8's import of the
 * whole package would bring all of mediabunny (muxers, other formats) along.
 */
export async function demuxWebmVp8(mb: WebmDemuxer, bytes: Uint8Array, options?: ReadOptions): Promise<WebmVp8Video> {
  const limits = resolveLimits(options, 'webm');
  const cut = findCut(bytes, readSegmentHeader(bytes));
  const keepWholeFrames = options?.allowTruncated === true && cut !== null && !cut.beforeClusters;
  if (!keepWholeFrames) {
    checkEbmlFraming(bytes); // a Segment longer than the file is 'truncated', as it has always been
    // A Segment of unknown size (a live stream) that was cut short.
    if (cut !== null) throw new ContainerError('truncated', 'webm', `file ends inside the ${cut.element} at byte ${cut.at}`, bytes.length);
  }
  const readable = cut === null ? bytes : wholePart(bytes, cut);
  const source = new BudgetedSource(mb, readable);
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
    return Object.freeze({ width, height, frameRate, frames: Object.freeze(frames), truncatedAt: cut?.at ?? null });
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

  constructor(mb: WebmDemuxer, bytes: Uint8Array) {
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
function asContainerError(mb: WebmDemuxer, error: unknown, byteOffset: number, frameIndex: number | undefined): ContainerError {
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
  const segment = readSegmentHeader(bytes);
  if (segment.size !== null && segment.dataStart + segment.size > bytes.length) {
    throw new ContainerError('truncated', 'webm', `Segment declares ${segment.size} bytes but the file holds ${bytes.length - segment.dataStart}`, bytes.length);
  }
}

/** An element's ID and size, and where they are. */
interface ElementHeader {
  /** Where the element starts (its ID). */
  readonly at: number;
  /** The ID as written, length marker included (0x1F43B675 for a Cluster). */
  readonly id: number;
  /** The ID's length in bytes: 4 for the top-level elements inside a Segment, 1 or 2 for a Cluster's. */
  readonly idWidth: number;
  /** Where the size is written, and in how many bytes. */
  readonly sizeAt: number;
  readonly sizeWidth: number;
  /** The size of the element's data; null when unknown (live streams leave Segment and Cluster sizes open). */
  readonly size: number | null;
  readonly dataStart: number;
}

/**
 * The Segment's header, after checking the EBML header and that the Segment
 * follows it (but not that the Segment fits in the file: see findCut).
 */
function readSegmentHeader(bytes: Uint8Array): ElementHeader {
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
  return { at: segmentAt, id, idWidth: 4, sizeAt: segmentAt + 4, sizeWidth: segment.width, size: segment.size, dataStart: segment.dataStart };
}

/** Reads an element size (see readVint), with the errors of the framing check. */
function readElementSize(bytes: Uint8Array, offset: number, element: string): { size: number | null; width: number; dataStart: number } {
  const v = readVint(bytes, offset, 8);
  if (v === 'cut') {
    throw new ContainerError('truncated', 'webm', offset >= bytes.length ? `file ends before the size of the ${element}` : `file ends inside the size of the ${element}`, offset);
  }
  if (v === 'invalid') throw new ContainerError('bad-header', 'webm', `${element} size is not a valid EBML integer (first byte 0)`, offset);
  return { size: v.value, width: v.width, dataStart: offset + v.width };
}

/**
 * Reads an EBML variable-size integer (RFC 8794 section 4): the number of
 * leading zero bits of the first byte gives the length (1 to 8 bytes). `raw`
 * keeps that length marker, as element IDs are quoted; `value` drops it, and
 * is null when all its bits are set, which means "unknown size". 'cut' when
 * the file ends inside it; 'invalid' when it would be longer than `maxWidth`
 * (4 for IDs, 8 for sizes; a first byte of 0 is always invalid).
 */
function readVint(bytes: Uint8Array, offset: number, maxWidth: number): { raw: number; value: number | null; width: number } | 'cut' | 'invalid' {
  if (offset >= bytes.length) return 'cut';
  const first = bytes[offset]!;
  const width = Math.clz32(first) - 23; // 1 for 1xxxxxxx, 8 for 00000001, 9 for 0
  if (width > maxWidth) return 'invalid';
  if (offset + width > bytes.length) return 'cut';
  let raw = first;
  let value = first & (0xff >> width);
  let allOnes = value === 0xff >> width;
  for (let i = 1; i < width; i++) {
    raw = raw * 256 + bytes[offset + i]!;
    value = value * 256 + bytes[offset + i]!; // beyond 2^53 loses precision, but such sizes run past any file anyway
    allOnes &&= bytes[offset + i] === 0xff;
  }
  return { raw, value: allOnes ? null : value, width };
}

/** An element's ID and size at `at`; 'cut' or 'invalid' as readVint says of either. */
function readElementHeader(bytes: Uint8Array, at: number): ElementHeader | 'cut' | 'invalid' {
  const id = readVint(bytes, at, 4);
  if (typeof id === 'string') return id;
  const size = readVint(bytes, at + id.width, 8);
  if (typeof size === 'string') return size;
  return { at, id: id.raw, idWidth: id.width, sizeAt: at + id.width, sizeWidth: size.width, size: size.value, dataStart: at + id.width + size.width };
}

/** Where a file was cut short, as findCut finds it. */
interface Cut {
  /** The offset of the element the file ends inside, or the file's length when it ends between two elements. */
  readonly at: number;
  /** That element's name, for messages. */
  readonly element: string;
  /** The Segment and the Cluster around the cut, those whose sizes are known: the sizes to rewrite to end at `at`. */
  readonly around: readonly ElementHeader[];
  /** True when the cut comes before the first Cluster: in the headers that say what the file holds, so no frame is left. */
  readonly beforeClusters: boolean;
}

/**
 * Finds where the file ends inside its Segment, if it does: the first element
 * that runs past the end of the file. A Cluster that does is walked block by
 * block, to keep the blocks before the cut. Null when the file is whole, or
 * when the framing is damaged rather than cut (mediabunny then reports it).
 */
function findCut(bytes: Uint8Array, segment: ElementHeader): Cut | null {
  const end = bytes.length;
  if (segment.size !== null && segment.dataStart + segment.size <= end) return null; // the Segment fits: whole
  let cluster: ElementHeader | null = null; // the Cluster whose blocks are being walked
  let sawCluster = false;
  const cutAt = (at: number, element: string): Cut => ({
    at, element, beforeClusters: !sawCluster,
    around: [segment, cluster].filter((e): e is ElementHeader => e !== null && e.size !== null),
  });
  for (let at = segment.dataStart; at < end;) {
    const e = readElementHeader(bytes, at);
    if (e === 'invalid') return null; // damaged rather than cut: left to mediabunny
    if (e === 'cut') return cutAt(at, 'header of an element');
    // A Cluster of unknown size ends where the next top-level element starts.
    // Those (Cluster, Cues, Tags...) all have 4-byte IDs; a Cluster's own
    // elements (its Timestamp, its blocks) have 1- or 2-byte ones.
    if (cluster !== null && cluster.size === null && e.idWidth === 4) cluster = null;
    if (e.id === CLUSTER_ID && cluster === null) {
      sawCluster = true;
      if (e.size !== null && e.dataStart + e.size <= end) {
        at = e.dataStart + e.size; // a whole Cluster: its blocks need no look
      } else {
        cluster = e; // runs past the end, or its end is unknown: walk its blocks
        at = e.dataStart;
      }
      continue;
    }
    if (e.size === null) return null; // only a Segment or a Cluster may leave its size unknown: damage
    if (e.dataStart + e.size > end) return cutAt(at, ELEMENT_NAMES.get(e.id) ?? `element 0x${e.id.toString(16).toUpperCase()}`);
    at = e.dataStart + e.size;
  }
  // The file ends between two elements: cut short if the Segment (known to be
  // longer than the file, or we would have returned above) or the Cluster
  // being walked said it went on.
  if (cluster !== null && cluster.size !== null) return cutAt(end, 'Cluster');
  return segment.size !== null ? cutAt(end, 'Segment') : null;
}

/**
 * The part of the file before the cut, as a file of its own: the Segment and
 * Cluster around the cut resized to end there. A size keeps its width in
 * bytes, so no other offset moves; it only shrinks, so it fits.
 */
function wholePart(bytes: Uint8Array, cut: Cut): Uint8Array {
  const whole = bytes.slice(0, cut.at);
  for (const e of cut.around) {
    let value = cut.at - e.dataStart;
    for (let i = e.sizeWidth - 1; i >= 0; i--) {
      whole[e.sizeAt + i] = value % 256;
      value = Math.floor(value / 256);
    }
    whole[e.sizeAt]! |= 0x80 >> (e.sizeWidth - 1); // the length marker (see readVint)
  }
  return whole;
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
