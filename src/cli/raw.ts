// Raw input for the ExCamera commands: pictures from a Y4M file, whole or a
// range of frames.

import { openY4mFile, type Rational } from '../container/index.js';
import { type Image, imageFromI420 } from '../vp8/index.js';
import { CliError } from './errors.js';

export interface RawVideo {
  readonly width: number;
  readonly height: number;
  /** The file's frame rate, or 30/1 when it says none. */
  readonly frameRate: Rational;
  readonly pictures: Image[];
  /** The same frames as packed I420, for quality measurements. */
  readonly i420: Uint8Array[];
}

/** Reads frames [first, first + count) of a Y4M file (all from `first` when count is absent). */
export async function readRawVideo(path: string, first = 0, count?: number): Promise<RawVideo> {
  if (!Number.isInteger(first) || first < 0) throw new CliError(`the first frame must be a non-negative integer, got ${first}`);
  const input = await openY4mFile(path);
  const { width, height } = input.header;
  const pictures: Image[] = [];
  const i420: Uint8Array[] = [];
  let index = 0;
  try {
    for await (const frame of input) {
      if (count !== undefined && pictures.length >= count) break;
      if (index++ < first) continue;
      const data = frame.data.slice();
      i420.push(data);
      pictures.push(imageFromI420(width, height, data));
    }
  } finally {
    await input.close();
  }
  if (pictures.length === 0) throw new CliError(`${path} has no frames from frame ${first} on`);
  if (count !== undefined && pictures.length < count) throw new CliError(`${path} has ${pictures.length} frames from frame ${first} on, ${count} are needed`);
  return { width, height, frameRate: input.header.frameRate ?? { numerator: 30, denominator: 1 }, pictures, i420 };
}
