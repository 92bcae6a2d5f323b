// YUV4MPEG2 (.y4m), raw video as written by mjpegtools, ffmpeg and x264.
// Defined by mjpegtools' yuv4mpeg.h and the yuv4mpeg(5) manual page; the
// multimedia.cx wiki page "YUV4MPEG2" summarises it.
//
// A stream header line, then frames, each a header line and raw samples:
//   YUV4MPEG2 W176 H144 F30000:1001 Ip A128:117 C420mpeg2 XYSCSS=420MPEG2\n
//   FRAME\n <Y plane W×H> <U plane> <V plane>
//   FRAME\n ...
// Tags are separated by single spaces, each one letter plus a value:
// W width, H height, F frame rate n:d, I interlacing, A pixel aspect n:d,
// C colour space / chroma sampling, X application extensions. FRAME lines may
// carry tags too. This module handles 8-bit 4:2:0 (C420, C420jpeg, C420paldv,
// C420mpeg2, or no C tag, which means 4:2:0): the chroma planes are
// ((W+1)>>1) × ((H+1)>>1). The 4:2:0 variants differ only in chroma siting,
// which does not change the bytes, so frames are returned as packed I420.

import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { i420Size } from '../vp8/i420.js';
import { AtomicFileWriter } from './atomic.js';
import { ContainerError, resolveLimits, type ContainerLimits, type ReadOptions } from './errors.js';
import { FrameFileReader, latin1, readFully, startsWith } from './io.js';

const encoder = new TextEncoder();
export const Y4M_SIGNATURE: Uint8Array = encoder.encode('YUV4MPEG2 ');
const FRAME_MARKER = encoder.encode('FRAME');
const FRAME_LINE = encoder.encode('FRAME\n'); // never mutated: only handed to writers
const NEWLINE = 0x0a;
const SPACE = 0x20;
const NO_TAGS: readonly string[] = Object.freeze([]);

/** The C tag values that mean 8-bit 4:2:0. */
export type Y4mColorSpace = '420' | '420jpeg' | '420paldv' | '420mpeg2';
const COLOR_SPACES: ReadonlySet<string> = new Set<Y4mColorSpace>(['420', '420jpeg', '420paldv', '420mpeg2']);

/** The header tags this module interprets, by letter. */
const TAG_FIELDS: Readonly<Record<string, 'width' | 'height' | 'frameRate' | 'interlace' | 'pixelAspect' | 'colorSpace' | undefined>> = {
  W: 'width', H: 'height', F: 'frameRate', I: 'interlace', A: 'pixelAspect', C: 'colorSpace',
};

/** A ratio n:d as the F and A tags store it. */
export interface Rational {
  readonly numerator: number;
  readonly denominator: number;
}

export interface Y4mHeader {
  readonly width: number;
  readonly height: number;
  /** F tag, frames per second as n:d; null when absent. */
  readonly frameRate: Rational | null;
  /** I tag value: 'p' progressive, 't' top field first, 'b' bottom first, 'm' mixed, '?' unknown; null when absent. */
  readonly interlace: string | null;
  /** A tag, pixel aspect ratio (0:0 = unknown); null when absent. */
  readonly pixelAspect: Rational | null;
  /** C tag value; null when absent (which means 4:2:0). */
  readonly colorSpace: Y4mColorSpace | null;
  /** Every other tag, verbatim and in order (e.g. 'XYSCSS=420MPEG2'), kept for round trips. */
  readonly otherTags: readonly string[];
}

/** Header fields for writing; absent optional fields are not written. */
export interface Y4mHeaderInit {
  readonly width: number;
  readonly height: number;
  readonly frameRate?: Rational | null;
  readonly interlace?: string | null;
  readonly pixelAspect?: Rational | null;
  readonly colorSpace?: Y4mColorSpace | null;
  readonly otherTags?: readonly string[];
}

export interface Y4mFrame {
  /** The frame's packed I420 samples (Y, then U, then V); from parseY4m a view into its input. */
  readonly data: Uint8Array;
  /** Tags of the FRAME line, verbatim (usually none). */
  readonly tags: readonly string[];
  /** Offset of the FRAME line in the file. */
  readonly byteOffset: number;
}

/** A frame to write. */
export interface Y4mFrameInit {
  readonly data: Uint8Array;
  readonly tags?: readonly string[];
}

export interface Y4mFile {
  readonly header: Y4mHeader;
  /** Bytes of samples per frame. */
  readonly frameBytes: number;
  readonly frames: readonly Y4mFrame[];
  /** With `allowTruncated`, the offset of the FRAME line where the file was cut short; otherwise null. */
  readonly truncatedAt: number | null;
}

/** Bytes of one 8-bit 4:2:0 frame: a full-size Y plane and two half-size (rounded up) chroma planes (i420Size, by the name this module's users know). */
export const y4mFrameSize: (width: number, height: number) => number = i420Size;

// ---------------------------------------------------------------------------
// Reading

/** Parses the stream header line (`line` without its newline). */
export function parseY4mHeaderLine(line: Uint8Array, limits: ContainerLimits): Y4mHeader {
  if (!startsWith(line, Y4M_SIGNATURE)) throw new ContainerError('bad-signature', 'y4m', 'file does not start with "YUV4MPEG2 "', 0);
  const fields: { -readonly [K in keyof Y4mHeader]?: Y4mHeader[K] } = {};
  const otherTags: string[] = [];
  let offset = Y4M_SIGNATURE.length;
  for (const tag of latin1(line.subarray(offset)).split(' ')) {
    const at = offset;
    offset += tag.length + 1;
    if (tag === '') continue; // tolerate doubled spaces
    const key = TAG_FIELDS[tag[0]!];
    if (key === undefined) {
      otherTags.push(tag);
      continue;
    }
    if (fields[key] !== undefined) throw new ContainerError('bad-header', 'y4m', `tag ${tag[0]} appears twice`, at);
    const value = tag.slice(1);
    switch (key) {
      case 'width':
      case 'height': {
        if (!/^\d+$/.test(value)) throw new ContainerError('bad-header', 'y4m', `${key} ${shorten(value)} is not a number`, at);
        const size = Number(value); // Infinity for absurdly long digit strings, caught below
        const max = key === 'width' ? limits.maxWidth : limits.maxHeight;
        if (size === 0) throw new ContainerError('bad-header', 'y4m', `${key} is 0`, at);
        if (size > max) throw new ContainerError('too-large', 'y4m', `${key} ${shorten(value)} exceeds the limit ${max}`, at);
        fields[key] = size;
        break;
      }
      case 'frameRate':
      case 'pixelAspect': {
        const ratio = parseRational(value);
        // A0:0 means "unknown aspect"; a frame rate must be a real, positive rate.
        if (ratio === null || (key === 'frameRate' && (ratio.numerator === 0 || ratio.denominator === 0))) {
          throw new ContainerError('bad-header', 'y4m', `${tag[0]} tag ${shorten(value)} is not a valid ratio n:d`, at);
        }
        fields[key] = ratio;
        break;
      }
      case 'interlace':
        fields.interlace = value;
        break;
      case 'colorSpace':
        if (!COLOR_SPACES.has(value)) {
          throw new ContainerError('unsupported', 'y4m', `colour space ${shorten(tag)}; only 8-bit 4:2:0 (C420, C420jpeg, C420paldv, C420mpeg2) is supported`, at);
        }
        fields.colorSpace = value as Y4mColorSpace;
        break;
    }
  }
  if (fields.width === undefined || fields.height === undefined) {
    throw new ContainerError('bad-header', 'y4m', `stream header lacks the ${fields.width === undefined ? 'W' : 'H'} tag`, 0);
  }
  return Object.freeze({
    width: fields.width,
    height: fields.height,
    frameRate: fields.frameRate ?? null,
    interlace: fields.interlace ?? null,
    pixelAspect: fields.pixelAspect ?? null,
    colorSpace: fields.colorSpace ?? null,
    otherTags: Object.freeze(otherTags),
  });
}

/** A header value quoted for an error message, cut short if a corrupt file made it long. */
function shorten(value: string): string {
  return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}...` : value);
}

function parseRational(value: string): Rational | null {
  const match = /^(\d{1,10}):(\d{1,10})$/.exec(value);
  if (match === null) return null;
  const numerator = Number(match[1]);
  const denominator = Number(match[2]);
  return numerator > 0xffffffff || denominator > 0xffffffff ? null : Object.freeze({ numerator, denominator });
}

/** The checked frame size for `header`. */
function frameSizeWithin(header: Y4mHeader, limits: ContainerLimits): number {
  const size = i420Size(header.width, header.height);
  if (size > limits.maxFrameBytes) {
    throw new ContainerError('too-large', 'y4m', `${header.width}x${header.height} frames of ${size} bytes exceed maxFrameBytes ${limits.maxFrameBytes}`, 0);
  }
  return size;
}

/**
 * Finds the newline ending the line that starts at `start` of `bytes`, looking
 * at most `maxLine` bytes ahead. Returns its index, or -1 when `bytes` ends first.
 */
function findLineEnd(bytes: Uint8Array, start: number, maxLine: number, what: string, frameIndex?: number): number {
  const end = bytes.subarray(start, start + maxLine + 1).indexOf(NEWLINE);
  if (end !== -1) return start + end;
  if (bytes.length - start <= maxLine) return -1;
  throw new ContainerError('bad-header', 'y4m', `${what} has no newline within maxHeaderBytes (${maxLine})`, start, frameIndex);
}

/** Checks a FRAME line (without its newline) and returns its tags. */
function parseFrameLine(line: Uint8Array, fileOffset: number, frameIndex: number): readonly string[] {
  if (!startsWith(line, FRAME_MARKER) || (line.length > FRAME_MARKER.length && line[FRAME_MARKER.length] !== SPACE)) {
    throw new ContainerError('bad-header', 'y4m', 'expected a FRAME line', fileOffset, frameIndex);
  }
  if (line.length <= FRAME_MARKER.length + 1) return NO_TAGS;
  return Object.freeze(latin1(line.subarray(FRAME_MARKER.length + 1)).split(' ').filter((tag) => tag !== ''));
}

/** The file ends in `rest`, a line without newline: truncated if it could begin a FRAME line, garbage otherwise. */
function unfinishedFrameLine(rest: Uint8Array, fileOffset: number, frameIndex: number): never {
  if (startsWith(rest, FRAME_MARKER, 0, true) && (rest.length <= FRAME_MARKER.length || rest[FRAME_MARKER.length] === SPACE)) {
    throw new ContainerError('truncated', 'y4m', 'file ends inside a FRAME line', fileOffset, frameIndex);
  }
  throw new ContainerError('bad-header', 'y4m', 'expected a FRAME line', fileOffset, frameIndex);
}

/**
 * Parses a whole Y4M file held in memory. Frame data are views into `bytes`.
 * A frame cut short throws ContainerError 'truncated' (naming the frame),
 * unless `options.allowTruncated`, which returns the frames before it.
 */
export function parseY4m(bytes: Uint8Array, options?: ReadOptions): Y4mFile {
  const limits = resolveLimits(options, 'y4m');
  if (!startsWith(bytes, Y4M_SIGNATURE, 0, true)) throw new ContainerError('bad-signature', 'y4m', 'file does not start with "YUV4MPEG2 "', 0);
  const headerEnd = findLineEnd(bytes, 0, limits.maxHeaderBytes, 'stream header');
  if (headerEnd === -1) throw new ContainerError('truncated', 'y4m', 'file ends inside the stream header', bytes.length);
  const header = parseY4mHeaderLine(bytes.subarray(0, headerEnd), limits);
  const frameBytes = frameSizeWithin(header, limits);
  const frames: Y4mFrame[] = [];
  let offset = headerEnd + 1;
  let truncatedAt: number | null = null;
  while (offset < bytes.length) {
    try {
      const frameIndex = frames.length;
      const lineEnd = findLineEnd(bytes, offset, limits.maxHeaderBytes, 'FRAME line', frameIndex);
      if (lineEnd === -1) unfinishedFrameLine(bytes.subarray(offset), offset, frameIndex);
      const tags = parseFrameLine(bytes.subarray(offset, lineEnd), offset, frameIndex);
      const dataStart = lineEnd + 1;
      if (bytes.length - dataStart < frameBytes) {
        throw new ContainerError('truncated', 'y4m', `frame has ${bytes.length - dataStart} of its ${frameBytes} bytes`, offset, frameIndex);
      }
      frames.push(Object.freeze({ data: bytes.subarray(dataStart, dataStart + frameBytes), tags, byteOffset: offset }));
      offset = dataStart + frameBytes;
    } catch (error) {
      if (!(options?.allowTruncated && error instanceof ContainerError && error.code === 'truncated')) throw error;
      truncatedAt = offset;
      break;
    }
  }
  return Object.freeze({ header, frameBytes, frames: Object.freeze(frames), truncatedAt });
}

/** Reads a Y4M file frame by frame (see FrameFileReader). */
export class Y4mFileReader extends FrameFileReader<Y4mFrame> {
  readonly header: Y4mHeader;
  /** Bytes of samples per frame. */
  readonly frameBytes: number;
  private readonly limits: ContainerLimits;
  private readonly scratch = new Uint8Array(256);

  private constructor(path: string, handle: FileHandle, header: Y4mHeader, private readonly firstFrameAt: number, limits: ContainerLimits, allowTruncated: boolean) {
    super(path, handle, firstFrameAt, allowTruncated);
    this.header = header;
    this.frameBytes = frameSizeWithin(header, limits);
    this.limits = limits;
  }

  /** Opens `path` and reads its stream header. */
  static async open(path: string, options?: ReadOptions): Promise<Y4mFileReader> {
    const limits = resolveLimits(options, 'y4m');
    const handle = await open(path, 'r');
    try {
      const line = await readLine(handle, 0, limits.maxHeaderBytes, 'stream header');
      if (!startsWith(line.bytes, Y4M_SIGNATURE, 0, true)) throw new ContainerError('bad-signature', 'y4m', 'file does not start with "YUV4MPEG2 "', 0);
      if (line.end === -1) throw new ContainerError('truncated', 'y4m', 'file ends inside the stream header', line.bytes.length);
      const header = parseY4mHeaderLine(line.bytes.subarray(0, line.end), limits);
      return new Y4mFileReader(path, handle, header, line.end + 1, limits, options?.allowTruncated ?? false);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * Where the samples of each frame start, read from the FRAME lines alone
   * (a frame's samples are skipped, not read): the first `maxFrames` frames,
   * or all. Checks that each frame listed is whole. With it, `readSamples`
   * reads any frame again without holding the clip in memory.
   */
  async indexFrames(maxFrames = Infinity): Promise<number[]> {
    const fileBytes = (await this.handle.stat()).size;
    const starts: number[] = [];
    let offset = this.firstFrameAt;
    while (starts.length < maxFrames && offset < fileBytes) {
      const frameIndex = starts.length;
      const { dataStart } = (await this.frameLineAt(offset, frameIndex))!;
      if (fileBytes - dataStart < this.frameBytes) {
        throw new ContainerError('truncated', 'y4m', `frame has ${Math.max(0, fileBytes - dataStart)} of its ${this.frameBytes} bytes`, offset, frameIndex);
      }
      starts.push(dataStart);
      offset = dataStart + this.frameBytes;
    }
    return starts;
  }

  /** The samples of the frame whose data starts at `dataStart` (from `indexFrames`), into `out` if given. */
  async readSamples(dataStart: number, out: Uint8Array = new Uint8Array(this.frameBytes)): Promise<Uint8Array> {
    if (out.length !== this.frameBytes) throw new ContainerError('invalid-argument', 'y4m', `readSamples: a buffer of ${out.length} bytes for frames of ${this.frameBytes}`, dataStart);
    const read = await readFully(this.handle, out, dataStart);
    if (read < this.frameBytes) throw new ContainerError('truncated', 'y4m', `frame has ${read} of its ${this.frameBytes} bytes`, dataStart);
    return out;
  }

  /** The FRAME line at `offset`: its tags and where the frame's samples start; null at the end of the file. */
  private async frameLineAt(offset: number, frameIndex: number): Promise<{ tags: readonly string[]; dataStart: number } | null> {
    const line = await readLine(this.handle, offset, this.limits.maxHeaderBytes, 'FRAME line', frameIndex, this.scratch);
    if (line.bytes.length === 0) return null;
    if (line.end === -1) unfinishedFrameLine(line.bytes, offset, frameIndex);
    return { tags: parseFrameLine(line.bytes.subarray(0, line.end), offset, frameIndex), dataStart: offset + line.end + 1 };
  }

  protected async readFrameAt(offset: number, frameIndex: number): Promise<{ frame: Y4mFrame; next: number } | null> {
    const line = await this.frameLineAt(offset, frameIndex);
    if (line === null) return null;
    const { tags, dataStart } = line;
    const data = new Uint8Array(this.frameBytes);
    const read = await readFully(this.handle, data, dataStart);
    if (read < this.frameBytes) {
      throw new ContainerError('truncated', 'y4m', `frame has ${read} of its ${this.frameBytes} bytes`, offset, frameIndex);
    }
    return { frame: Object.freeze({ data, tags, byteOffset: offset }), next: dataStart + this.frameBytes };
  }
}

/** Opens a Y4M file for reading frame by frame; see Y4mFileReader. */
export function openY4mFile(path: string, options?: ReadOptions): Promise<Y4mFileReader> {
  return Y4mFileReader.open(path, options);
}

/**
 * Reads the line starting at `position`: small reads first (a FRAME line is
 * usually 6 bytes), growing up to `maxLine` + 1 bytes. `end` is the index of
 * the newline in `bytes`, or -1 when the file ends first.
 */
async function readLine(
  handle: FileHandle, position: number, maxLine: number, what: string, frameIndex?: number, scratch?: Uint8Array,
): Promise<{ bytes: Uint8Array; end: number }> {
  for (let want = Math.min(256, maxLine + 1); ; want = Math.min(want * 4, maxLine + 1)) {
    // The reader's scratch buffer serves the usual short line, so frames cost no extra allocation.
    const buffer = scratch !== undefined && scratch.length === want ? scratch : new Uint8Array(want);
    const bytes = buffer.subarray(0, await readFully(handle, buffer, position));
    const end = bytes.indexOf(NEWLINE);
    if (end !== -1 || bytes.length < want) return { bytes, end };
    if (want === maxLine + 1) {
      throw new ContainerError('bad-header', 'y4m', `${what} has no newline within maxHeaderBytes (${maxLine})`, position, frameIndex);
    }
  }
}

// ---------------------------------------------------------------------------
// Writing

/** The stream header line, tags in the canonical order W H F I A C, then the other tags. */
export function writeY4mHeader(header: Y4mHeaderInit): Uint8Array {
  for (const [name, value] of [['width', header.width], ['height', header.height]] as const) {
    if (!Number.isInteger(value) || value <= 0 || value > 999_999_999) invalid(`${name} must be a positive integer, got ${value}`);
  }
  const tags = [`W${header.width}`, `H${header.height}`];
  if (header.frameRate) tags.push(`F${ratio(header.frameRate, 'frameRate')}`);
  if (header.interlace != null) tags.push(`I${header.interlace}`);
  if (header.pixelAspect) tags.push(`A${ratio(header.pixelAspect, 'pixelAspect')}`);
  if (header.colorSpace != null) {
    if (!COLOR_SPACES.has(header.colorSpace)) invalid(`colorSpace must be one of ${[...COLOR_SPACES].join(', ')}, got ${header.colorSpace}`);
    tags.push(`C${header.colorSpace}`);
  }
  tags.push(...(header.otherTags ?? []));
  checkTags(tags.slice(2), 'header tag');
  return encoder.encode(`YUV4MPEG2 ${tags.join(' ')}\n`);
}

function ratio(value: Rational, name: string): string {
  const { numerator: n, denominator: d } = value;
  if (![n, d].every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) invalid(`${name} must be two integers in 0..2^32-1, got ${n}:${d}`);
  return `${n}:${d}`;
}

/** Tags must be non-empty and free of spaces and newlines, or the line would not parse back. */
function checkTags(tags: readonly string[], what: string, frameIndex?: number): void {
  for (const tag of tags) {
    if (!/^[\x21-\xff][^\x20\x0a]*$/.test(tag)) invalid(`${what} ${JSON.stringify(tag)} is empty or holds a space, newline or control character`, frameIndex);
  }
}

/** The FRAME line for a frame with `tags`. */
function frameLine(tags: readonly string[] | undefined, frameIndex: number): Uint8Array {
  if (tags === undefined || tags.length === 0) return FRAME_LINE;
  checkTags(tags, 'frame tag', frameIndex);
  return encoder.encode(`FRAME ${tags.join(' ')}\n`);
}

function checkFrameData(header: Y4mHeaderInit, data: Uint8Array, frameIndex: number): void {
  const size = i420Size(header.width, header.height);
  if (data.length !== size) invalid(`frame has ${data.length} bytes; ${header.width}x${header.height} I420 needs ${size}`, frameIndex);
}

/** One frame as it appears in the file: its FRAME line, then its samples. */
export function writeY4mFrame(header: Y4mHeaderInit, frame: Y4mFrameInit, frameIndex = 0): Uint8Array {
  checkFrameData(header, frame.data, frameIndex);
  const line = frameLine(frame.tags, frameIndex);
  const out = new Uint8Array(line.length + frame.data.length);
  out.set(line, 0);
  out.set(frame.data, line.length);
  return out;
}

/** A whole Y4M file in one buffer. A parsed file in canonical tag order round-trips byte for byte. */
export function writeY4m(header: Y4mHeaderInit, frames: readonly Y4mFrameInit[]): Uint8Array {
  const head = writeY4mHeader(header);
  const lines = frames.map((frame, index) => {
    checkFrameData(header, frame.data, index);
    return frameLine(frame.tags, index);
  });
  let total = head.length;
  frames.forEach((frame, index) => { total += lines[index]!.length + frame.data.length; });
  const out = new Uint8Array(total);
  out.set(head, 0);
  let offset = head.length;
  frames.forEach((frame, index) => {
    out.set(lines[index]!, offset);
    out.set(frame.data, offset + lines[index]!.length);
    offset += lines[index]!.length + frame.data.length;
  });
  return out;
}

/** Writes a Y4M file frame by frame, atomically: the file appears at `path` only on `commit()`. */
export class Y4mWriter {
  readonly header: Y4mHeaderInit;
  private readonly file: AtomicFileWriter;
  private count = 0;

  private constructor(file: AtomicFileWriter, header: Y4mHeaderInit) {
    this.file = file;
    this.header = header;
  }

  static async create(path: string, header: Y4mHeaderInit): Promise<Y4mWriter> {
    const head = writeY4mHeader(header); // validates before a file is created
    const file = await AtomicFileWriter.open(path);
    await file.append(head);
    return new Y4mWriter(file, header);
  }

  /** Frames written so far. */
  get frameCount(): number {
    return this.count;
  }

  /** Appends one frame of packed I420 samples; the data is written as is, not copied. */
  async writeFrame(data: Uint8Array, tags?: readonly string[]): Promise<void> {
    checkFrameData(this.header, data, this.count);
    const line = frameLine(tags, this.count);
    this.count++;
    await this.file.append(line, data);
  }

  commit(): Promise<void> {
    return this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}

function invalid(detail: string, frameIndex?: number): never {
  throw new ContainerError('invalid-argument', 'y4m', detail, 0, frameIndex);
}
