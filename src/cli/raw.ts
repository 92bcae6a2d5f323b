// Raw input for the encoding commands: a Y4M clip read frame by frame as
// needed, never whole. The clip is indexed once (the FRAME lines only), so
// any range of frames can be read again later — the in-process pipeline reads
// a batch's pictures once per phase, `xc` reads the source a second time to
// measure its output — and memory stays bounded by the frames in use, not by
// the clip's length.

import { stat } from 'node:fs/promises';
import { ContainerError, openY4mFile, type Rational, type Y4mFileReader } from '../container/index.js';
import type { PictureSource } from '../excamera/pipeline.js';
import { type Image, imageFromI420 } from '../vp8/index.js';
import { CliError } from './errors.js';

export interface RawClip {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  /** The file's frame rate, or 30/1 when it says none. */
  readonly frameRate: Rational;
  /** Frames used: the clip's, or fewer when a limit was given. */
  readonly frames: number;
  /** Packed I420 samples of frames [first, first + count). */
  readI420(first: number, count: number): Promise<Uint8Array[]>;
  /** The same frames as pictures. */
  readonly pictures: PictureSource;
  /** Frames n at a time, each group joined into one buffer (raw chunks; one buffer, overwritten by the next chunk). */
  chunks(n: number): AsyncGenerator<Uint8Array>;
  /** Every frame in order, one at a time (in one buffer, overwritten by the next frame). */
  i420(): AsyncGenerator<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Opens a Y4M clip: frames [first, first + count) when count is given (the
 * clip must hold them), else [first, end) at most `limit` of them.
 */
export async function openRawClip(path: string, range: { first?: number; count?: number; limit?: number } = {}): Promise<RawClip> {
  const first = range.first ?? 0;
  if (!Number.isInteger(first) || first < 0) throw new CliError(`the first frame must be a non-negative integer, got ${first}`);
  let reader: Y4mFileReader;
  try {
    reader = await openY4mFile(path);
  } catch (e) {
    if (!(e instanceof ContainerError)) throw e;
    throw new CliError(await notY4m(path, e));
  }
  try {
    const want = range.count ?? range.limit;
    const starts = (await reader.indexFrames(want !== undefined ? first + want : Infinity)).slice(first);
    if (starts.length === 0) {
      throw new CliError(first === 0 ? `${path} holds no frames (a Y4M file is a YUV4MPEG2 header line, then FRAME lines each followed by one picture)` : `${path} has no frames from frame ${first} on`);
    }
    if (range.count !== undefined && starts.length < range.count) throw new CliError(`${path} has ${starts.length} frames from frame ${first} on, ${range.count} are needed`);
    return clipOf(path, reader, starts);
  } catch (e) {
    await reader.close();
    if (e instanceof ContainerError) throw new CliError(`${path}: ${e.message}`);
    throw e;
  }
}

const Y4M_SHAPE = 'a Y4M file starts with a header line such as "YUV4MPEG2 W352 H288 F30:1 C420", then holds FRAME lines each followed by one picture';

/** Why `path` is not a Y4M clip, in words. */
export async function notY4m(path: string, e: ContainerError): Promise<string> {
  if ((await stat(path)).size === 0) return `${path} is empty: ${Y4M_SHAPE}`;
  if (e.code === 'bad-signature') return `${path} is not a Y4M file: ${Y4M_SHAPE}`;
  return `${path}: ${e.message}`;
}

function clipOf(path: string, reader: Y4mFileReader, starts: readonly number[]): RawClip {
  const { width, height } = reader.header;
  const frames = starts.length;
  const readI420 = async (first: number, count: number): Promise<Uint8Array[]> => {
    if (!(Number.isInteger(first) && Number.isInteger(count) && first >= 0 && count >= 0 && first + count <= frames)) {
      throw new RangeError(`frames ${first}..${first + count - 1} are outside the clip's ${frames}`);
    }
    const out: Uint8Array[] = [];
    for (let i = first; i < first + count; i++) out.push(await reader.readSamples(starts[i]!));
    return out;
  };
  return {
    path,
    width,
    height,
    frameRate: reader.header.frameRate ?? { numerator: 30, denominator: 1 },
    frames,
    readI420,
    pictures: {
      frames,
      read: async (first, count): Promise<Image[]> => (await readI420(first, count)).map((f) => imageFromI420(width, height, f)),
    },
    async *chunks(n: number): AsyncGenerator<Uint8Array> {
      const size = reader.frameBytes;
      const buffer = new Uint8Array(Math.min(n, frames) * size);
      for (let first = 0; first < frames; first += n) {
        const count = Math.min(n, frames - first);
        const bytes = buffer.subarray(0, count * size);
        for (let i = 0; i < count; i++) await reader.readSamples(starts[first + i]!, bytes.subarray(i * size, (i + 1) * size));
        yield bytes;
      }
    },
    async *i420(): AsyncGenerator<Uint8Array> {
      const buffer = new Uint8Array(reader.frameBytes);
      for (let i = 0; i < frames; i++) yield await reader.readSamples(starts[i]!, buffer);
    },
    close: () => reader.close(),
  };
}

/** The pictures of a range of a clip, read whole (for the commands on one chunk). */
export async function readRawVideo(path: string, first = 0, count?: number): Promise<{ frameRate: Rational; pictures: readonly Image[] }> {
  const clip = await openRawClip(path, { first, count });
  try {
    return { frameRate: clip.frameRate, pictures: await clip.pictures.read(0, clip.frames) };
  } finally {
    await clip.close();
  }
}
