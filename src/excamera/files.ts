// Files of the ExCamera tools: chunks as IVF, states as state files, and the
// output stream as IVF or WebM. Everything is written atomically.
//
// A chunk file is an ordinary IVF file that vpxdec plays when its chunk starts
// with a key frame. The IVF header's four unused bytes (28..31) hold the tag
// (first 32 bits of the hash) of the state the chunk was coded against; when
// the first frame is a key frame the chunk expects nothing and the field is 0.
// Frames carry presentation times counted in shown frames; a hidden frame
// carries the time of the frame shown after it.

import { readFile, stat } from 'node:fs/promises';
import {
  ContainerError, DEFAULT_CONTAINER_LIMITS, IvfWriter, parseIvf, type Rational, writeFileAtomic, writeIvf, writeWebmVp8,
} from '../container/index.js';
import type { DecoderLimits, DecoderState } from '../vp8/index.js';
import type { Chunk } from './chunk.js';
import { ExcameraError } from './errors.js';
import { deserializeState, serializeState } from './state-file.js';

const isKeyFrame = (f: Uint8Array): boolean => f.length > 0 && (f[0] & 1) === 0;
const isShown = (f: Uint8Array): boolean => f.length > 0 && (f[0] & 0x10) !== 0;

/**
 * Presentation times: a frame's is `first` plus the number of shown frames
 * before it — so shown frames count up, and a hidden frame takes the time of
 * the frame shown after it. (openStreamWriter counts the same way.)
 */
function presentationTimes(frames: readonly Uint8Array[], first: number): number[] {
  let shown = first;
  return frames.map((f) => (isShown(f) ? shown++ : shown));
}

/** A chunk as IVF bytes; `firstFrame` is the index of its first shown frame in the whole video. */
export function chunkToIvf(chunk: Chunk, frameRate: Rational, firstFrame = 0): Uint8Array {
  const pts = presentationTimes(chunk.frames, firstFrame);
  return writeIvf(
    {
      width: chunk.width,
      height: chunk.height,
      timebaseDenominator: frameRate.numerator,
      timebaseNumerator: frameRate.denominator,
      unused: chunk.expects ?? 0,
    },
    chunk.frames.map((data, i) => ({ data, pts: pts[i] })),
  );
}

export async function writeChunkFile(path: string, chunk: Chunk, frameRate: Rational, firstFrame = 0): Promise<void> {
  await writeFileAtomic(path, chunkToIvf(chunk, frameRate, firstFrame));
}

/** A chunk file read back, with its frame rate. */
export interface ChunkFile {
  readonly chunk: Chunk;
  readonly frameRate: Rational | null;
}

/** Parses a chunk file (see the file comment); a damaged file is an ExcameraError naming it. */
export function parseChunkFile(bytes: Uint8Array, file?: string): ChunkFile {
  let ivf;
  try {
    ivf = parseIvf(bytes);
  } catch (e) {
    if (e instanceof ContainerError) throw new ExcameraError('bad-chunk', e.message, { file });
    throw e;
  }
  const frames = ivf.frames.map((f) => f.data);
  if (frames.length === 0) throw new ExcameraError('bad-chunk', 'the chunk has no frames', { file });
  const h = ivf.header;
  return {
    chunk: { frames, width: h.width, height: h.height, expects: isKeyFrame(frames[0]) ? null : h.unused },
    frameRate: h.timebaseDenominator > 0 && h.timebaseNumerator > 0 ? { numerator: h.timebaseDenominator, denominator: h.timebaseNumerator } : null,
  };
}

export async function readChunkFile(path: string): Promise<ChunkFile> {
  return parseChunkFile(await readLimited(path, DEFAULT_CONTAINER_LIMITS.maxFileBytes), path);
}

export async function writeStateFile(path: string, state: DecoderState): Promise<void> {
  await writeFileAtomic(path, serializeState(state));
}

export async function readStateFile(path: string, limits?: Partial<DecoderLimits>): Promise<DecoderState> {
  // A state holds at most a few pictures; 1 GiB is far beyond any within the default limits.
  return deserializeState(await readLimited(path, 1 << 30), { file: path, limits });
}

async function readLimited(path: string, maxBytes: number): Promise<Uint8Array> {
  const size = (await stat(path)).size;
  if (size > maxBytes) throw new ExcameraError('invalid-argument', `${size} bytes is more than the ${maxBytes} this tool reads`, { file: path });
  return new Uint8Array(await readFile(path));
}

/** An output stream being written frame by frame; nothing appears at its path until `commit`. */
export interface StreamWriter {
  write(frame: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Opens the output stream at `path`, IVF or WebM by its extension. IVF is
 * written as the frames come (a long stream is never held in memory); WebM is
 * muxed at `commit` from the frames kept until then, and refuses a hidden
 * frame, which it cannot store.
 */
export async function openStreamWriter(path: string, width: number, height: number, frameRate: Rational): Promise<StreamWriter> {
  if (/\.webm$/i.test(path)) {
    const frames: { data: Uint8Array; keyFrame: boolean }[] = [];
    return {
      write: async (data) => {
        if (!isShown(data)) throw new ExcameraError('invalid-argument', 'the stream has hidden frames, which this WebM writer cannot store; write IVF instead', { file: path, frame: frames.length });
        frames.push({ data, keyFrame: isKeyFrame(data) });
      },
      commit: async () => writeFileAtomic(path, await writeWebmVp8({ width, height, frameRate: frameRate.numerator / frameRate.denominator }, frames)),
      abort: async () => undefined,
    };
  }
  const ivf = await IvfWriter.create(path, { width, height, timebaseDenominator: frameRate.numerator, timebaseNumerator: frameRate.denominator, unused: 0 });
  // Presentation times as in presentationTimes: the shown frames before each frame.
  let shown = 0;
  return {
    write: async (data) => {
      await ivf.writeFrame(data, shown);
      if (isShown(data)) shown++;
    },
    commit: () => ivf.commit(),
    abort: () => ivf.abort(),
  };
}

/** Writes a whole stream as IVF or WebM (by the path's extension). */
export async function writeStream(path: string, frames: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, width: number, height: number, frameRate: Rational): Promise<void> {
  const out = await openStreamWriter(path, width, height, frameRate);
  try {
    for await (const f of frames) await out.write(f);
    await out.commit();
  } catch (e) {
    await out.abort();
    throw e;
  }
}
