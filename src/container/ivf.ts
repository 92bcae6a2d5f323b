// IVF, the simple container of the VP8/VP9 test vectors and of vpxenc/vpxdec.
// It has no formal specification; the layout below is the one libvpx reads and
// writes (ivfdec.c, ivfenc.c), also described in the WebM project's wiki.
//
// File header, 32 bytes, little-endian:
//   0  'DKIF'             4  version (0)        6  header length (32)
//   8  fourcc ('VP80')   12  width (u16)       14  height (u16)
//  16  time base denominator ("rate", u32)      20  time base numerator ("scale", u32)
//  24  frame count (u32) 28  unused (u32)
// Then per frame a 12-byte header, frame size (u32) and presentation timestamp
// (64 bits, in time-base units), followed by the frame's bytes.
//
// A frame's duration is numerator/denominator seconds, so the nominal frame rate
// is denominator/numerator (30000/1000 = 30 fps), as libvpx's ivfdec reports it.

import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { AtomicFileWriter } from './atomic.js';
import { ContainerError, resolveLimits, type ContainerLimits, type ReadOptions } from './errors.js';
import { FrameFileReader, latin1, readFully, startsWith } from './io.js';

export const IVF_SIGNATURE: Uint8Array = new TextEncoder().encode('DKIF');
export const IVF_HEADER_BYTES = 32;
export const IVF_FRAME_HEADER_BYTES = 12;

/** The 32-byte file header. */
export interface IvfHeader {
  /** Four-character codec code, e.g. 'VP80'. Any value is accepted: some VP8 files say 'I420'. */
  readonly fourcc: string;
  readonly width: number;
  readonly height: number;
  /** Bytes 16..19, the time base denominator (libvpx's "rate"). */
  readonly timebaseDenominator: number;
  /** Bytes 20..23, the time base numerator (libvpx's "scale"). */
  readonly timebaseNumerator: number;
  /** The frame count the header declares; writers that stream may leave it 0. */
  readonly frameCount: number;
  /** Bytes 28..31, unused by the format (free for an application to store a 32-bit value). */
  readonly unused: number;
}

/** Header fields for writing; fourcc defaults to 'VP80', frameCount to the frames written, unused to 0. */
export interface IvfHeaderInit {
  readonly fourcc?: string;
  readonly width: number;
  readonly height: number;
  readonly timebaseDenominator: number;
  readonly timebaseNumerator: number;
  readonly frameCount?: number;
  readonly unused?: number;
}

export interface IvfFrame {
  /** The compressed frame: a view into the parsed bytes, not a copy. */
  readonly data: Uint8Array;
  /** Presentation timestamp in time-base units (signed 64-bit, as libvpx's vpx_codec_pts_t). */
  readonly pts: bigint;
  /** Offset of the frame's 12-byte header in the file. */
  readonly byteOffset: number;
}

/** A frame to write; pts defaults to the frame's index. */
export interface IvfFrameInit {
  readonly data: Uint8Array;
  readonly pts?: bigint | number;
}

export interface IvfFile {
  readonly header: IvfHeader;
  readonly frames: readonly IvfFrame[];
  /** With `allowTruncated`, the offset of the frame header where the file was cut short; otherwise null. */
  readonly truncatedAt: number | null;
}

// ---------------------------------------------------------------------------
// Reading

/** Parses the 32-byte file header at the start of `bytes`. */
export function parseIvfHeader(bytes: Uint8Array, limits: ContainerLimits): IvfHeader {
  if (!startsWith(bytes, IVF_SIGNATURE, 0, true)) {
    throw new ContainerError('bad-signature', 'ivf', 'file does not start with "DKIF"', 0);
  }
  if (bytes.length < IVF_HEADER_BYTES) {
    throw new ContainerError('truncated', 'ivf', `file ends after ${bytes.length} bytes, inside the 32-byte header`, bytes.length);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, IVF_HEADER_BYTES);
  const version = view.getUint16(4, true);
  if (version !== 0) throw new ContainerError('unsupported', 'ivf', `version ${version}; only version 0 exists`, 4);
  const headerLength = view.getUint16(6, true);
  if (headerLength !== IVF_HEADER_BYTES) {
    throw new ContainerError('bad-header', 'ivf', `header length ${headerLength}; version 0 headers are 32 bytes`, 6);
  }
  const width = view.getUint16(12, true);
  const height = view.getUint16(14, true);
  if (width > limits.maxWidth) throw new ContainerError('too-large', 'ivf', `width ${width} exceeds maxWidth ${limits.maxWidth}`, 12);
  if (height > limits.maxHeight) throw new ContainerError('too-large', 'ivf', `height ${height} exceeds maxHeight ${limits.maxHeight}`, 14);
  return Object.freeze({
    fourcc: latin1(bytes.subarray(8, 12)),
    width,
    height,
    timebaseDenominator: view.getUint32(16, true),
    timebaseNumerator: view.getUint32(20, true),
    frameCount: view.getUint32(24, true),
    unused: view.getUint32(28, true),
  });
}

/**
 * Reads the frame size at `offset` of `view` (a 12-byte frame header that sits
 * at `fileOffset` in the file) and checks it against the limit and against the
 * `available` bytes after the header, before anything is allocated for it.
 */
function checkFrameHeader(
  view: DataView, offset: number, fileOffset: number, available: number, frameIndex: number,
  limits: ContainerLimits,
): number {
  const size = view.getUint32(offset, true);
  if (size > limits.maxFrameBytes) {
    throw new ContainerError('too-large', 'ivf', `frame size ${size} exceeds maxFrameBytes ${limits.maxFrameBytes}`, fileOffset, frameIndex);
  }
  if (size > available) {
    throw new ContainerError('truncated', 'ivf', `frame of ${size} bytes is cut short: the file has ${available} bytes after its header`, fileOffset, frameIndex);
  }
  return size;
}

/**
 * Parses a whole IVF file held in memory. Frame data are views into `bytes`.
 * A frame cut short throws ContainerError 'truncated' (naming the frame),
 * unless `options.allowTruncated`, which returns the frames before it.
 */
export function parseIvf(bytes: Uint8Array, options?: ReadOptions): IvfFile {
  const limits = resolveLimits(options, 'ivf');
  const header = parseIvfHeader(bytes, limits);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: IvfFrame[] = [];
  let offset = IVF_HEADER_BYTES;
  let truncatedAt: number | null = null;
  while (offset < bytes.length) {
    try {
      if (bytes.length - offset < IVF_FRAME_HEADER_BYTES) {
        throw new ContainerError('truncated', 'ivf', `file ends ${bytes.length - offset} bytes into a 12-byte frame header`, offset, frames.length);
      }
      const dataStart = offset + IVF_FRAME_HEADER_BYTES;
      const size = checkFrameHeader(view, offset, offset, bytes.length - dataStart, frames.length, limits);
      frames.push(Object.freeze({ data: bytes.subarray(dataStart, dataStart + size), pts: view.getBigInt64(offset + 4, true), byteOffset: offset }));
      offset = dataStart + size;
    } catch (error) {
      if (!(options?.allowTruncated && error instanceof ContainerError && error.code === 'truncated')) throw error;
      truncatedAt = offset;
      break;
    }
  }
  return Object.freeze({ header, frames: Object.freeze(frames), truncatedAt });
}

/** Reads an IVF file frame by frame (see FrameFileReader). */
export class IvfFileReader extends FrameFileReader<IvfFrame> {
  readonly header: IvfHeader;
  private readonly fileSize: number;
  private readonly limits: ContainerLimits;
  private readonly frameHeader = new Uint8Array(IVF_FRAME_HEADER_BYTES);
  private readonly frameHeaderView = new DataView(this.frameHeader.buffer);

  private constructor(path: string, handle: FileHandle, header: IvfHeader, fileSize: number, limits: ContainerLimits, allowTruncated: boolean) {
    super(path, handle, IVF_HEADER_BYTES, allowTruncated);
    this.header = header;
    this.fileSize = fileSize;
    this.limits = limits;
  }

  /** Opens `path` and reads its file header. */
  static async open(path: string, options?: ReadOptions): Promise<IvfFileReader> {
    const limits = resolveLimits(options, 'ivf');
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const head = new Uint8Array(IVF_HEADER_BYTES);
      const header = parseIvfHeader(head.subarray(0, await readFully(handle, head, 0)), limits);
      return new IvfFileReader(path, handle, header, size, limits, options?.allowTruncated ?? false);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  protected async readFrameAt(offset: number, frameIndex: number): Promise<{ frame: IvfFrame; next: number } | null> {
    const headerBytes = await readFully(this.handle, this.frameHeader, offset);
    if (headerBytes === 0) return null;
    if (headerBytes < IVF_FRAME_HEADER_BYTES) {
      throw new ContainerError('truncated', 'ivf', `file ends ${headerBytes} bytes into a 12-byte frame header`, offset, frameIndex);
    }
    const dataStart = offset + IVF_FRAME_HEADER_BYTES;
    // Checked against the file size before allocating, so a corrupt size cannot make us allocate.
    const size = checkFrameHeader(this.frameHeaderView, 0, offset, Math.max(0, this.fileSize - dataStart), frameIndex, this.limits);
    const data = new Uint8Array(size);
    const read = await readFully(this.handle, data, dataStart);
    if (read < size) { // the file shrank after we opened it
      throw new ContainerError('truncated', 'ivf', `frame of ${size} bytes is cut short after ${read} bytes`, offset, frameIndex);
    }
    return { frame: Object.freeze({ data, pts: this.frameHeaderView.getBigInt64(4, true), byteOffset: offset }), next: dataStart + size };
  }
}

/** Opens an IVF file for reading frame by frame; see IvfFileReader. */
export function openIvfFile(path: string, options?: ReadOptions): Promise<IvfFileReader> {
  return IvfFileReader.open(path, options);
}

// ---------------------------------------------------------------------------
// Writing

/** The 32-byte file header for `header`, declaring `frameCount` frames unless the header says otherwise. */
export function writeIvfHeader(header: IvfHeaderInit, frameCount = 0): Uint8Array {
  const fourcc = header.fourcc ?? 'VP80';
  // Latin-1 so that any fourcc read by parseIvfHeader can be written back unchanged.
  if (!/^[\x00-\xff]{4}$/.test(fourcc)) invalid(`fourcc must be 4 one-byte characters, got ${JSON.stringify(fourcc)}`);
  const count = header.frameCount ?? frameCount;
  const fields: [string, number, number][] = [
    ['width', header.width, 0xffff], ['height', header.height, 0xffff],
    ['timebaseDenominator', header.timebaseDenominator, 0xffffffff], ['timebaseNumerator', header.timebaseNumerator, 0xffffffff],
    ['frameCount', count, 0xffffffff], ['unused', header.unused ?? 0, 0xffffffff],
  ];
  for (const [name, value, max] of fields) {
    if (!Number.isInteger(value) || value < 0 || value > max) invalid(`${name} must be an integer in 0..${max}, got ${value}`);
  }
  const bytes = new Uint8Array(IVF_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(IVF_SIGNATURE, 0);
  view.setUint16(4, 0, true);
  view.setUint16(6, IVF_HEADER_BYTES, true);
  for (let i = 0; i < 4; i++) bytes[8 + i] = fourcc.charCodeAt(i);
  view.setUint16(12, header.width, true);
  view.setUint16(14, header.height, true);
  view.setUint32(16, header.timebaseDenominator, true);
  view.setUint32(20, header.timebaseNumerator, true);
  view.setUint32(24, count, true);
  view.setUint32(28, header.unused ?? 0, true);
  return bytes;
}

/** Writes the 12-byte frame header for a frame of `size` bytes into `target` at `offset`. */
function putFrameHeader(target: Uint8Array, offset: number, size: number, pts: bigint | number, frameIndex: number): void {
  if (size > 0xffffffff) invalid(`frame of ${size} bytes does not fit IVF's 32-bit size field`, frameIndex);
  if (typeof pts === 'number' && !Number.isSafeInteger(pts)) invalid(`pts must be an integer, got ${pts}`, frameIndex);
  const value = BigInt(pts);
  if (BigInt.asIntN(64, value) !== value && BigInt.asUintN(64, value) !== value) invalid(`pts ${value} does not fit 64 bits`, frameIndex);
  const view = new DataView(target.buffer, target.byteOffset + offset, IVF_FRAME_HEADER_BYTES);
  view.setUint32(0, size, true);
  view.setBigUint64(4, BigInt.asUintN(64, value), true); // asUintN stores negative pts as two's complement
}

/** A whole IVF file in one buffer. Round trip: writeIvf(f.header, f.frames) reproduces a parsed file byte for byte. */
export function writeIvf(header: IvfHeaderInit, frames: readonly IvfFrameInit[]): Uint8Array {
  let total = IVF_HEADER_BYTES;
  for (const frame of frames) total += IVF_FRAME_HEADER_BYTES + frame.data.length;
  const out = new Uint8Array(total);
  out.set(writeIvfHeader(header, frames.length), 0);
  let offset = IVF_HEADER_BYTES;
  frames.forEach((frame, index) => {
    putFrameHeader(out, offset, frame.data.length, frame.pts ?? index, index);
    out.set(frame.data, offset + IVF_FRAME_HEADER_BYTES);
    offset += IVF_FRAME_HEADER_BYTES + frame.data.length;
  });
  return out;
}

/**
 * Writes an IVF file frame by frame, atomically: the file appears at `path`
 * only on `commit()`, which also patches the header's frame count (unless the
 * header fixed one). `abort()` discards everything.
 */
export class IvfWriter {
  private readonly file: AtomicFileWriter;
  private readonly fixedFrameCount: boolean;
  private count = 0;

  private constructor(file: AtomicFileWriter, fixedFrameCount: boolean) {
    this.file = file;
    this.fixedFrameCount = fixedFrameCount;
  }

  static async create(path: string, header: IvfHeaderInit): Promise<IvfWriter> {
    const headerBytes = writeIvfHeader(header); // validates before a file is created
    const file = await AtomicFileWriter.open(path);
    await file.append(headerBytes);
    return new IvfWriter(file, header.frameCount !== undefined);
  }

  /** Frames written so far. */
  get frameCount(): number {
    return this.count;
  }

  /** Appends one frame; pts defaults to its index. The data is written as is, not copied. */
  async writeFrame(data: Uint8Array, pts: bigint | number = this.count): Promise<void> {
    const frameHeader = new Uint8Array(IVF_FRAME_HEADER_BYTES);
    putFrameHeader(frameHeader, 0, data.length, pts, this.count);
    this.count++;
    await this.file.append(frameHeader, data);
  }

  async commit(): Promise<void> {
    if (!this.fixedFrameCount) {
      const count = new Uint8Array(4);
      new DataView(count.buffer).setUint32(0, this.count, true);
      await this.file.writeAt(24, count);
    }
    await this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}

function invalid(detail: string, frameIndex?: number): never {
  throw new ContainerError('invalid-argument', 'ivf', detail, 0, frameIndex);
}
