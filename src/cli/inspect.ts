// `excamera inspect IN -o OUT.html`: a VP8 stream in a self-contained web
// page — every frame's headers, the picture with what the encoder decided
// drawn over it, any macroblock in full (src/inspect).

import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Argv } from 'yargs';
import { detectContainerFile, parseIvf, writeFileAtomic, writeIvf } from '../container/index.js';
import { readChunkFile } from '../excamera/files.js';
import { readStateFileHeader } from '../excamera/state-file.js';
import { type ChunkInfo, inspectorPage, type SourceErrors } from '../inspect/html.js';
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
  chunks?: string;
}

/** The page holds the whole stream in memory, as base64 in the file. */
const MAX_STREAM_BYTES = 256 << 20;

export const inspectCommand = defineCommand<InspectArgs>({
  command: 'inspect <input>',
  files: { input: 'input', output: 'output', source: 'input', chunks: 'input-dir' },
  describe: 'Write a web page that shows a VP8 stream (.ivf or .webm) frame by frame and macroblock by macroblock',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'Compressed VP8 input (.ivf or .webm)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'The page to write (HTML, self-contained: it opens from disk with no network)' })
      .option('source', { type: 'string', describe: 'The raw video the stream was encoded from (.y4m): each shown frame\'s PSNR and SSIM, and every macroblock\'s error, against it' })
      .option('chunks', { type: 'string', describe: 'For an ExCamera output: the directory `excamera xc --keep` wrote for it; the page shows the chunks, the state each was coded against, and checks it' })
      .example('$0 inspect in.ivf -o in.html', 'then open in.html in a browser')
      .example('$0 inspect out.webm -o out.html', 'a WebM stream (embedded as IVF)')
      .example('$0 inspect out.ivf --source in.y4m -o out.html', 'with the error against the source')
      .example('$0 inspect out.ivf --chunks kept/ -o out.html', 'an `excamera xc --keep kept/` output, chunk by chunk') as Argv<InspectArgs>,
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
    const chunks = args.chunks === undefined ? null : await readChunks(args.chunks, parseIvf(ivf, { allowTruncated: true }).frames.map((f) => f.data));
    await writeFileAtomic(args.output, new TextEncoder().encode(inspectorPage({ name, ivf }, undefined, source, chunks)));
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

const sameBytes = (a: Uint8Array, b: Uint8Array | undefined): boolean => b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The chunks of an ExCamera output, from the directory `excamera xc --keep`
 * wrote: NNNN.output.ivf (the chunk as output, whose header records the tag
 * of the state it was coded against), NNNN.output.state, and the chunk's
 * first frame as phases 1 and 2 made it (NNNN.independent.ivf,
 * NNNN.given-state.ivf). Refused unless the output chunks, in order, are
 * exactly the stream's frames.
 */
async function readChunks(dir: string, frames: readonly Uint8Array[]): Promise<ChunkInfo[]> {
  const names = (await readdir(dir)).filter((n) => /^\d{4}\.output\.ivf$/.test(n)).sort();
  if (names.length === 0) throw new CliError(`${dir} holds no NNNN.output.ivf chunk: --chunks takes the directory \`excamera xc --keep\` writes`);
  const chunks: ChunkInfo[] = [];
  let first = 0;
  for (const [index, name] of names.entries()) {
    const base = String(index).padStart(4, '0');
    if (name !== `${base}.output.ivf`) throw new CliError(`${dir} has no ${base}.output.ivf (chunks must be numbered from 0000 without gaps)`);
    const { chunk } = await readChunkFile(join(dir, name));
    chunk.frames.forEach((f, j) => {
      if (!sameBytes(f, frames[first + j])) throw new CliError(`${join(dir, name)}: its frame ${j} is not frame ${first + j} of the stream, so these chunks are not the stream's`);
    });
    const firstOf = async (file: string): Promise<number | null> => {
      try {
        return (await readChunkFile(join(dir, `${base}.${file}.ivf`))).chunk.frames[0]!.length;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    };
    let endHash: string | null = null;
    try {
      endHash = readStateFileHeader(new Uint8Array(await readFile(join(dir, `${base}.output.state`))), { file: join(dir, `${base}.output.state`) }).stateHash;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    chunks.push({
      index, first, frames: chunk.frames.length,
      expects: chunk.expects === null ? null : chunk.expects.toString(16).padStart(8, '0'),
      endHash,
      firstFrameBytes: { independent: await firstOf('independent'), givenState: await firstOf('given-state'), output: chunk.frames[0]!.length },
    });
    first += chunk.frames.length;
  }
  if (first !== frames.length) throw new CliError(`the chunks in ${dir} hold ${first} frames, the stream ${frames.length}: they are not the stream's`);
  return chunks;
}
