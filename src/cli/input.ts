// Opening a compressed VP8 input for the command line: IVF is read frame by
// frame from disk (inputs may be large); WebM is demuxed whole through the
// container layer.

import { detectContainerFile, openIvfFile, readWebmVp8 } from '../container/index.js';
import { CliError } from './errors.js';

export interface Vp8Input {
  readonly container: 'ivf' | 'webm';
  /** Size the container declares (the frames' own headers are authoritative). */
  readonly width: number;
  readonly height: number;
  /** Frames per second, when the container says. */
  readonly frameRate: number | null;
  /** Number of frames, when known in advance (for progress bars). */
  readonly frameCount: number | null;
  readonly frames: AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

export async function openVp8Input(path: string): Promise<Vp8Input> {
  const format = await detectContainerFile(path);
  if (format === 'ivf') {
    const reader = await openIvfFile(path);
    const h = reader.header;
    return {
      container: 'ivf',
      width: h.width,
      height: h.height,
      frameRate: h.timebaseDenominator > 0 && h.timebaseNumerator > 0 ? h.timebaseDenominator / h.timebaseNumerator : null,
      frameCount: h.frameCount > 0 ? h.frameCount : null,
      frames: (async function* frames() {
        for await (const f of reader) yield f.data;
      })(),
      close: () => reader.close(),
    };
  }
  if (format === 'webm') {
    const video = await readWebmVp8(path);
    return {
      container: 'webm',
      width: video.width,
      height: video.height,
      frameRate: video.frameRate,
      frameCount: video.frames.length,
      frames: (async function* frames() {
        for (const f of video.frames) yield f.data;
      })(),
      close: async () => undefined,
    };
  }
  if (format === 'y4m') throw new CliError(`${path} is raw video (Y4M), not a compressed VP8 stream`);
  throw new CliError(`${path} is neither IVF nor WebM (no DKIF or EBML signature)`);
}
