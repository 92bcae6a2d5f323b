// `excamera inspect IN -o OUT.html`: a VP8 stream in a self-contained web
// page — every frame's headers, the picture with what the encoder decided
// drawn over it, any macroblock in full (src/inspect).

import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Argv } from 'yargs';
import { detectContainerFile, parseIvf, writeFileAtomic, writeIvf } from '../container/index.js';
import { inspectorPage, type SourceErrors } from '../inspect/html.js';
import { type FrameError, frameError, macroblockSse } from '../inspect/source-error.js';
import { createDecoderState, decodeFrame, imageToI420 } from '../vp8/index.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { openVp8Input } from './input.js';
import { openRawClip } from './raw.js';

interface InspectArgs {
  input: string;
  output: string;
  source?: string;
}

/** The page holds the whole stream in memory, as base64 in the file. */
const MAX_STREAM_BYTES = 256 << 20;

export const inspectCommand = defineCommand<InspectArgs>({
  command: 'inspect <input>',
  files: { input: 'input', output: 'output', source: 'input' },
  describe: 'Write a web page that shows a VP8 stream (.ivf or .webm) frame by frame and macroblock by macroblock',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'Compressed VP8 input (.ivf or .webm)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'The page to write (HTML, self-contained: it opens from disk with no network)' })
      .option('source', { type: 'string', describe: 'The raw video the stream was encoded from (.y4m): each shown frame\'s PSNR and SSIM, and every macroblock\'s error, against it' })
      .example('$0 inspect in.ivf -o in.html', 'then open in.html in a browser')
      .example('$0 inspect out.webm -o out.html', 'a WebM stream (embedded as IVF)')
      .example('$0 inspect out.ivf --source in.y4m -o out.html', 'with the error against the source') as Argv<InspectArgs>,
  handler: async (args) => {
    const size = (await stat(args.input)).size;
    if (size > MAX_STREAM_BYTES) throw new CliError(`${args.input}: ${size} bytes; the inspector embeds the stream in the page and takes up to ${MAX_STREAM_BYTES} bytes`);
    const name = basename(args.input);
    let ivf: Uint8Array;
    if ((await detectContainerFile(args.input)) === 'ivf') {
      ivf = new Uint8Array(await readFile(args.input));
    } else {
      // The page reads IVF: a WebM stream's frames go in as they are.
      const input = await openVp8Input(args.input);
      const frames: Uint8Array[] = [];
      try {
        for await (const f of input.frames) frames.push(f);
      } finally {
        await input.close();
      }
      const rate = input.frameRate ?? 30;
      ivf = writeIvf({ width: input.width, height: input.height, timebaseDenominator: Math.round(rate * 1000), timebaseNumerator: 1000 }, frames.map((data) => ({ data })));
    }
    const source = args.source === undefined ? null : await sourceErrors(args.source, ivf);
    await writeFileAtomic(args.output, new TextEncoder().encode(inspectorPage({ name, ivf }, undefined, source)));
    process.stderr.write(`wrote ${args.output}: open it in a browser\n`);
  },
});

/**
 * Decodes the stream and compares each shown frame with the next frame of
 * the source, as `excamera compare` does, and each macroblock too.
 */
async function sourceErrors(path: string, ivf: Uint8Array): Promise<SourceErrors> {
  const clip = await openRawClip(path);
  try {
    const frames: FrameError[] = [];
    const sse: Float32Array[] = [];
    const source = clip.i420();
    let state = createDecoderState();
    for (const [index, bytes] of parseIvf(ivf, { allowTruncated: true }).frames.entries()) {
      let image;
      try {
        ({ state, image } = decodeFrame(state, bytes.data, { frameIndex: index }));
      } catch {
        break; // the page shows where decoding stops, and why
      }
      if (image === null) continue;
      if (image.width !== clip.width || image.height !== clip.height) {
        throw new CliError(`${path} is ${clip.width}x${clip.height}, but frame ${index} of the stream is ${image.width}x${image.height}: it cannot be the stream's source`);
      }
      const next = await source.next();
      if (next.done === true) throw new CliError(`${path} has ${clip.frames} frames, but the stream shows more (frame ${index} is its ${frames.length + 1}th shown frame)`);
      const decoded = imageToI420(image);
      frames.push(frameError(decoded, next.value, image.width, image.height, index, frames.length));
      sse.push(Float32Array.from(macroblockSse(decoded, next.value, image.width, image.height)));
    }
    const macroblocks = sse[0]?.length ?? 0;
    const all = new Float32Array(sse.length * macroblocks);
    sse.forEach((s, i) => all.set(s, i * macroblocks));
    return { name: basename(path), frames, macroblocks, sse: all };
  } finally {
    await clip.close();
  }
}
