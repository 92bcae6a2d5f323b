// `excamera decode IN [-o OUT] [--md5]`: decode a VP8 stream (IVF or WebM) to
// Y4M or raw I420, print per-frame md5 sums in the format of libvpx's test
// vectors (and of `vpxdec --md5 --i420 -o NAME-%wx%h-%4.i420`), or just
// measure decoding speed like `vpxdec --noblit --summary`.

import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import type { Argv } from 'yargs';
import { AtomicFileWriter, type Rational, Y4mWriter } from '../container/index.js';
import {
  createDecoderState, decodeFrame, type DecoderState, DecoderWorkspace, type Image, i420Size, imageToI420, Vp8Error,
} from '../vp8/index.js';
import { defineCommand } from './command.js';
import { CliError, UsageError } from './errors.js';
import { openVp8Input } from './input.js';
import { progressBar } from './progress.js';

/** Where each shown picture goes. */
export interface DecodeSinks {
  /** Receives one md5 line per shown frame. */
  readonly md5?: (line: string) => void;
  /** Receives each shown picture as packed I420, with its input frame index. */
  readonly picture?: (i420: Uint8Array, image: Image, inputIndex: number) => Promise<void>;
}

export interface DecodeOptions {
  /** Skip frames that fail to decode (the state stays as before them) instead of stopping. */
  readonly keepGoing?: boolean;
  /** Called after every input frame. */
  readonly onFrame?: (inputIndex: number) => void;
  /** Name used in md5 lines; defaults to the input's basename without extension. */
  readonly name?: string;
}

export interface DecodeSummary {
  readonly container: 'ivf' | 'webm';
  /** Input frames read. */
  readonly frames: number;
  /** Frames decoded (including hidden ones). */
  readonly decoded: number;
  /** Frames shown. */
  readonly shown: number;
  /** Zero-length frames, which libvpx also skips without output. */
  readonly empty: number;
  /** Frames that failed to decode; with keepGoing they were skipped. */
  readonly errors: readonly { readonly frame: number; readonly code: string; readonly message: string }[];
  /** Time spent decoding (excluding file I/O and output), in seconds. */
  readonly seconds: number;
  readonly frameRate: number | null;
}

/** The md5 line libvpx's tools print for a shown frame (`<md5>  <name>-<W>x<H>-<NNNN>.i420`). */
export function md5Line(i420: Uint8Array, name: string, width: number, height: number, inputIndex: number): string {
  const sum = createHash('md5').update(i420).digest('hex');
  return `${sum}  ${name}-${width}x${height}-${String(inputIndex + 1).padStart(4, '0')}.i420`;
}

/** Decodes every frame of `path` into the sinks. Stops at the first damaged frame unless keepGoing. */
export async function decodeFile(path: string, sinks: DecodeSinks, options: DecodeOptions = {}): Promise<DecodeSummary> {
  const input = await openVp8Input(path);
  const name = options.name ?? basename(path, extname(path));
  const workspace = new DecoderWorkspace();
  let state = createDecoderState();
  let previous: DecoderState | undefined;
  let frames = 0;
  let decoded = 0;
  let shown = 0;
  let empty = 0;
  let ns = 0n;
  const errors: { frame: number; code: string; message: string }[] = [];
  let i420 = new Uint8Array(0);
  try {
    for await (const frame of input.frames) {
      const index = frames++;
      if (frame.length === 0) empty++;
      const t0 = process.hrtime.bigint();
      let result;
      try {
        // The state before `state` is dropped here, and each shown picture
        // is consumed before the next frame: its memory can be reused.
        result = decodeFrame(state, frame, { frameIndex: index, workspace, discard: previous });
      } catch (e) {
        if (!(e instanceof Vp8Error)) throw e;
        errors.push({ frame: index, code: e.code, message: e.message });
        if (!options.keepGoing) break;
        continue;
      } finally {
        ns += process.hrtime.bigint() - t0;
      }
      previous = state;
      state = result.state;
      if (result.header) decoded++;
      const image = result.image;
      if (image) {
        shown++;
        if (sinks.md5 || sinks.picture) {
          const size = i420Size(image.width, image.height);
          if (i420.length !== size) i420 = new Uint8Array(size);
          imageToI420(image, i420);
          sinks.md5?.(md5Line(i420, name, image.width, image.height, index));
          if (sinks.picture) await sinks.picture(i420, image, index);
        }
      }
      options.onFrame?.(index);
    }
  } finally {
    await input.close();
  }
  return { container: input.container, frames, decoded, shown, empty, errors, seconds: Number(ns) / 1e9, frameRate: input.frameRate };
}

/** Convenience for tests and scripts: the md5 lines of every shown frame. */
export async function decodeIvfToMd5Lines(path: string): Promise<string[]> {
  const lines: string[] = [];
  const summary = await decodeFile(path, { md5: (l) => lines.push(l) });
  if (summary.errors.length > 0) throw new Error(summary.errors[0].message);
  return lines;
}

/** Frames per second as the n:d a Y4M header stores. */
function rationalRate(fps: number | null): Rational {
  if (fps === null || !Number.isFinite(fps) || fps <= 0) return { numerator: 30, denominator: 1 };
  for (const d of [1, 1001, 1000]) {
    const n = Math.round(fps * d);
    if (Math.abs(n / d - fps) < 1e-6) return { numerator: n, denominator: d };
  }
  return { numerator: Math.round(fps * 1000), denominator: 1000 };
}

/** An output file for decoded pictures: Y4M (one size) or raw I420 (any sizes, as vpxdec --i420). */
interface PictureOutput {
  write(i420: Uint8Array, image: Image, index: number): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  readonly written: number;
}

async function openPictureOutput(path: string, frameRate: Rational): Promise<PictureOutput> {
  const ext = extname(path).toLowerCase();
  if (ext === '.y4m') {
    let writer: Y4mWriter | null = null;
    let written = 0;
    return {
      async write(i420, image, index) {
        if (writer === null) {
          writer = await Y4mWriter.create(path, { width: image.width, height: image.height, frameRate, interlace: 'p', pixelAspect: { numerator: 1, denominator: 1 }, colorSpace: '420jpeg' });
        } else if (writer.header.width !== image.width || writer.header.height !== image.height) {
          throw new CliError(
            `frame ${index} is ${image.width}x${image.height} but ${path} holds ${writer.header.width}x${writer.header.height} frames; ` +
              'a Y4M file has one size, so decode to raw I420 (.yuv) or use --md5 (the frames before it were kept)',
          );
        }
        await writer.writeFrame(i420);
        written++;
      },
      commit: async () => {
        if (writer) await writer.commit();
      },
      abort: async () => {
        if (writer) await writer.abort();
      },
      get written() {
        return written;
      },
    };
  }
  if (ext === '.yuv' || ext === '.i420') {
    const file = await AtomicFileWriter.open(path);
    let written = 0;
    return {
      async write(i420) {
        await file.append(i420.slice());
        written++;
      },
      commit: () => file.commit(),
      abort: () => file.abort(),
      get written() {
        return written;
      },
    };
  }
  throw new UsageError(`-o ${path}: the output must end in .y4m, .yuv or .i420`);
}

interface DecodeArgs {
  input: string;
  output?: string;
  md5: boolean;
  'keep-going': boolean;
  json: boolean;
  quiet: boolean;
}

export const decodeCommand = defineCommand<DecodeArgs>({
  command: 'decode <input>',
  files: { input: 'input', output: 'output' },
  describe: 'Decode a VP8 stream (.ivf or .webm) to Y4M, per-frame md5 sums, or a speed summary',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'Compressed VP8 input (.ivf or .webm)' })
      .option('output', { alias: 'o', type: 'string', describe: 'Write the shown frames: .y4m, or .yuv/.i420 for raw I420 (written atomically)' })
      .option('md5', { type: 'boolean', default: false, describe: "Print one md5 line per shown frame, as in libvpx's test vector .md5 files" })
      .option('keep-going', { type: 'boolean', default: false, describe: 'Skip frames that fail to decode instead of stopping' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary as one JSON object' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress bar or summary on stderr' })
      .example('$0 decode in.ivf -o out.y4m', 'decode to YUV4MPEG2')
      .example('$0 decode in.ivf --md5 | diff - in.ivf.md5', 'check against a test vector')
      .example('$0 decode in.webm', 'decode without output and print the speed') as Argv<DecodeArgs>,
  handler: async (args) => {
    const probe = await openVp8Input(args.input);
    await probe.close();
    const output = args.output ? await openPictureOutput(args.output, rationalRate(probe.frameRate)) : null;
    const bar = progressBar('decode', probe.frameCount ?? 0, args.quiet || args.md5);
    let summary: DecodeSummary;
    try {
      summary = await decodeFile(
        args.input,
        {
          md5: args.md5 ? (line) => process.stdout.write(`${line}\n`) : undefined,
          picture: output ? (i420, image, index) => output.write(i420, image, index) : undefined,
        },
        { keepGoing: args.keepGoing, onFrame: (i) => bar.update(i + 1) },
      );
    } catch (e) {
      bar.stop();
      // Keep what was decoded before a failure (nothing written is lost).
      if (output) await output.commit();
      throw e;
    }
    bar.stop();
    if (output !== null && output.written === 0) {
      await output.abort();
      throw new CliError(`${args.input} shows no frames; ${args.output} was not written`);
    }
    if (output) await output.commit();
    const fps = summary.seconds > 0 ? summary.decoded / summary.seconds : 0;
    const report = {
      input: args.input,
      container: summary.container,
      frames: summary.frames,
      decoded: summary.decoded,
      shown: summary.shown,
      empty: summary.empty,
      errors: summary.errors,
      seconds: Number(summary.seconds.toFixed(6)),
      framesPerSecond: Number(fps.toFixed(2)),
      output: args.output ?? null,
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else if (!args.md5 && !args.output) {
      // The same line as `vpxdec --noblit --summary`.
      process.stdout.write(`${summary.decoded} decoded frames/${summary.shown} showed frames in ${Math.round(summary.seconds * 1e6)} us (${fps.toFixed(2)} fps)\n`);
    } else if (!args.quiet && !args.md5) {
      process.stderr.write(`${summary.shown} frames written to ${args.output} (${summary.decoded} decoded in ${summary.seconds.toFixed(3)} s, ${fps.toFixed(1)} fps)\n`);
    }
    for (const e of summary.errors) process.stderr.write(`excamera: ${args.keepGoing ? 'skipped: ' : ''}${e.message}\n`);
    if (summary.errors.length > 0) process.exitCode = 1;
  },
});
