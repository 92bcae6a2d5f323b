// Opens a file given to the inspector page (file picker or drag and drop):
// an IVF or a WebM file, told apart by their magic bytes, not by the file's
// name. It runs in the page's worker. Both containers are read by the
// project's own readers (src/container): parseIvf, and readWebmVp8's
// demuxWebmVp8, which demuxes WebM with mediabunny; mediabunny's demuxer is
// imported here by name, so that the bundle carries it and not the rest of
// mediabunny (see demuxWebmVp8). A file cut short gives the whole frames
// before the cut and where it was cut, in either container, so the page can
// show what is left of a damaged stream.

import { detectContainer } from '../../container/detect.js';
import { parseIvf } from '../../container/ivf.js';
import { demuxWebmVp8 } from '../../container/webm.js';
import { CustomSource, EncodedPacketSink, Input, MATROSKA, UnsupportedInputFormatError, WEBM } from 'mediabunny';

/** mediabunny's WebM demuxer, named piece by piece so that esbuild bundles these and not all of mediabunny. */
const WEBM_DEMUXER = { CustomSource, EncodedPacketSink, Input, MATROSKA, UnsupportedInputFormatError, WEBM };

/** A compressed VP8 stream as the worker needs it, whichever container it came in. */
export interface OpenedStream {
  readonly container: 'ivf' | 'webm';
  readonly header: {
    readonly width: number;
    readonly height: number;
    readonly fourcc: string;
    /** Numerator and denominator of the time base: seconds per frame, for playing the stream. */
    readonly timebase: readonly [number, number];
  };
  /** The compressed frames in decode order. */
  readonly frames: Uint8Array[];
  /** Where the file was cut short, or null (see parseIvf's and demuxWebmVp8's truncatedAt). */
  readonly truncatedAt: number | null;
}

/**
 * Reads the IVF or WebM file `bytes`, called `name` (the name is only for
 * messages). Anything else, or a WebM without a VP8 video track, is an Error
 * whose message names the file and says what is wrong.
 */
export async function openContainer(bytes: Uint8Array, name: string): Promise<OpenedStream> {
  const container = detectContainer(bytes);
  if (container === 'y4m') throw new Error(`${name} is raw YUV4MPEG2 video, not a compressed VP8 stream: neither IVF nor WebM`);
  if (container === null) throw new Error(`${name} is neither IVF nor WebM: it starts with neither DKIF nor the EBML magic 1A 45 DF A3`);
  try {
    if (container === 'ivf') {
      const file = parseIvf(bytes, { allowTruncated: true });
      const h = file.header;
      return {
        container,
        header: { width: h.width, height: h.height, fourcc: h.fourcc, timebase: [h.timebaseNumerator, h.timebaseDenominator] },
        frames: file.frames.map((f) => f.data),
        truncatedAt: file.truncatedAt,
      };
    }
    const video = await demuxWebmVp8(WEBM_DEMUXER, bytes, { allowTruncated: true });
    // WebM stamps each frame with a time rather than counting in a time base;
    // the frame rate fitted to those times becomes one, in milliseconds, as
    // `excamera inspect` does when it embeds a WebM stream as IVF.
    const rate = video.frameRate ?? 30;
    return {
      container,
      // 'VP80' is IVF's name for VP8: demuxWebmVp8 only returns a VP8 track.
      header: { width: video.width, height: video.height, fourcc: 'VP80', timebase: [1000, Math.round(rate * 1000)] },
      frames: video.frames.map((f) => f.data),
      truncatedAt: video.truncatedAt,
    };
  } catch (error) {
    // The readers' messages say what is wrong but not in which file.
    throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
