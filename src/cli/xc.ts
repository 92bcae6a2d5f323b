// `excamera xc IN.y4m -o OUT.(ivf|webm)`: the ExCamera[n, x] encode — chunks
// encoded independently, then encoded given the previous chunk's state, then
// rebased serially — with a progress bar and a summary (bytes, kbit/s, SSIM,
// PSNR, time per phase).

import { mkdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Rational } from '../container/index.js';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { DEFAULT_KEY_QUANTIZER_WEIGHT } from '../excamera/chunk.js';
import { CHUNK_ENCODERS, type ChunkEncoderName } from '../excamera/chunk-encoder.js';
import { writeChunkFile, writeStateFile, writeStream } from '../excamera/files.js';
import { type ChunkStages, PHASES, runInProcess } from '../excamera/pipeline.js';
import type { ChunkQuality } from '../excamera/vpxenc.js';
import { createDecoderState, decodeFrame, imageToI420 } from '../vp8/index.js';
import { DEFAULT_SPEED, MAX_SPEED } from '../vp8/encoder/encoder.js';
import { frameQuality, QualityTotals } from '../vp8/metrics.js';
import { CliError } from './errors.js';
import { type Progress, progressBar } from './progress.js';
import { readRawVideo } from './raw.js';

interface XcArgs {
  input: string;
  output: string;
  'frames-per-chunk': number;
  'chunks-per-batch': number;
  'chunk-encoder': string;
  quantizer?: number;
  'cq-level'?: number;
  speed: number;
  backend: string;
  limit?: number;
  keep?: string;
  'key-quantizer-weight': number;
  json: boolean;
  quiet: boolean;
}

export const BACKENDS = ['inprocess'] as const;

/** The chunk quality the flags ask for (0..63, vpxenc's scale). */
export function chunkQualityFrom(quantizer: number | undefined, cqLevel: number | undefined): ChunkQuality {
  if (quantizer !== undefined && cqLevel !== undefined) throw new CliError('--quantizer and --cq-level cannot be combined');
  const level = quantizer ?? cqLevel ?? 24;
  if (!Number.isInteger(level) || level < 0 || level > 63) throw new CliError(`the quality level must be an integer 0..63, got ${level}`);
  return quantizer !== undefined ? { mode: 'quantizer', quantizer: level } : { mode: 'cq', cqLevel: level };
}

export function checkSpeed(speed: number): void {
  if (!Number.isInteger(speed) || speed < 0 || speed > MAX_SPEED) throw new CliError(`--speed must be an integer 0..${MAX_SPEED}`);
}

export const xcCommand: CommandModule<object, XcArgs> = {
  command: 'xc <input>',
  describe: 'ExCamera[n,x] encode: parallel chunks, encode-given-state, serial rebase',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'Raw 4:2:0 video (.y4m)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'Compressed output: .ivf or .webm (written atomically)' })
      .option('frames-per-chunk', { alias: 'n', type: 'number', default: 6, describe: 'n: frames per chunk (one worker each)' })
      .option('chunks-per-batch', { alias: 'x', type: 'number', default: 16, describe: 'x: chunks per batch; a key frame every n·x frames' })
      .option('chunk-encoder', { type: 'string', choices: CHUNK_ENCODERS as unknown as string[], default: 'builtin', describe: 'Encoder of the independent chunks: the built-in one, or vpxenc with the paper\'s settings' })
      .option('quantizer', { type: 'number', describe: 'Constant quantizer of the chunks, 0..63' })
      .option('cq-level', { type: 'number', describe: 'Constrained quality level of the chunks, 0..63 (the default, at 24)' })
      .option('speed', { type: 'number', default: DEFAULT_SPEED, describe: `Built-in encoder effort: 0 (best) .. ${MAX_SPEED} (fastest)` })
      .option('backend', { type: 'string', choices: BACKENDS as unknown as string[], default: 'inprocess', describe: 'Where the workers run: inprocess (every phase in this process)' })
      .option('limit', { type: 'number', describe: 'Encode at most N frames' })
      .option('key-quantizer-weight', { type: 'number', default: DEFAULT_KEY_QUANTIZER_WEIGHT, describe: 'Encode-given-state quantizer: w·(key frame\'s) + (1−w)·(next frame\'s)' })
      .option('keep', { type: 'string', describe: 'Write every chunk and state of every phase into this directory (for the single-chunk tools)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary as one JSON object' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress bar' })
      .example('$0 xc in.y4m -o out.ivf -n 6 -x 16 --cq-level 20', 'ExCamera[6,16]')
      .example('$0 xc in.y4m -o out.ivf -n 6 -x 1 --chunk-encoder vpxenc', 'independent chunks by vpxenc') as Argv<XcArgs>,
  handler: async (args: ArgumentsCamelCase<XcArgs>) => {
    const ext = extname(args.output).toLowerCase();
    if (ext !== '.ivf' && ext !== '.webm') throw new CliError(`cannot write ${args.output}: the output must end in .ivf or .webm`);
    const quality = chunkQualityFrom(args.quantizer, args.cqLevel);
    checkSpeed(args.speed);
    if (args.limit !== undefined && (!Number.isInteger(args.limit) || args.limit < 1)) throw new CliError('--limit must be a positive integer');
    const raw = await readRawVideo(args.input, 0, undefined);
    const count = args.limit !== undefined ? Math.min(args.limit, raw.pictures.length) : raw.pictures.length;
    const pictures = raw.pictures.slice(0, count);
    const { width, height, frameRate } = raw;

    let bar: Progress | null = null;
    const started = performance.now();
    const result = await runInProcess(
      pictures,
      {
        framesPerChunk: args.framesPerChunk,
        chunksPerBatch: args.chunksPerBatch,
        chunkEncoder: args.chunkEncoder as ChunkEncoderName,
        quality,
        frameRate,
        speed: args.speed,
        keyQuantizerWeight: args.keyQuantizerWeight,
      },
      {
        progress: (_phase, done, total) => {
          bar ??= progressBar('xc', total, args.quiet);
          bar.update(done);
        },
        keepStages: args.keep !== undefined,
      },
    ).finally(() => bar?.stop());
    const wall = (performance.now() - started) / 1000;
    await writeStream(args.output, result.frames, width, height, frameRate);
    if (args.keep !== undefined && result.stages) await keepStages(args.keep, result.stages, frameRate, args.framesPerChunk);

    // Decode the output as any player would, to measure it (and check it plays).
    const t0 = performance.now();
    const totals = new QualityTotals();
    let state = createDecoderState();
    let shown = 0;
    let keyFrames = 0;
    for (const [i, f] of result.frames.entries()) {
      const r = decodeFrame(state, f, { frameIndex: i });
      state = r.state;
      if (r.header?.keyFrame) keyFrames++;
      if (r.image) totals.add(frameQuality(raw.i420[shown++], imageToI420(r.image), width, height));
    }
    const verifySeconds = (performance.now() - t0) / 1000;
    const bytes = result.frames.reduce((a, f) => a + f.length, 0);
    const fps = frameRate.numerator / frameRate.denominator;
    const psnr = totals.psnr();
    const ssim = totals.ssim();
    const phases = Object.fromEntries(PHASES.map((p) => [p, { seconds: round(result.seconds[p], 3), msPerFrame: round((1000 * result.seconds[p]) / count, 1) }]));
    const report = {
      input: args.input,
      output: args.output,
      width,
      height,
      frames: shown,
      keyFrames,
      framesPerChunk: args.framesPerChunk,
      chunksPerBatch: args.chunksPerBatch,
      chunks: result.chunks.length,
      chunkEncoder: args.chunkEncoder,
      quality,
      speed: args.speed,
      backend: args.backend,
      bytes,
      kbitPerSecond: round((bytes * 8 * fps) / Math.max(1, shown) / 1000),
      psnr: { y: round(psnr.y), u: round(psnr.u), v: round(psnr.v), all: round(psnr.all) },
      ssim: { y: round(ssim.y, 5), all: round(ssim.all, 5), yDb: round(ssim.yDb), allDb: round(ssim.allDb) },
      phases,
      wallSeconds: round(wall, 3),
      verifySeconds: round(verifySeconds, 3),
    };
    if (shown !== count) throw new CliError(`internal error: the output shows ${shown} frames of ${count}`);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return;
    }
    const lines = [
      `ExCamera[${args.framesPerChunk},${args.chunksPerBatch}] with the ${args.chunkEncoder} chunk encoder, ${result.chunks.length} chunks, backend ${args.backend}`,
      `${shown} frames (${keyFrames} key), ${bytes} bytes, ${report.kbitPerSecond} kbit/s at ${round(fps, 3)} fps`,
      `PSNR Y ${report.psnr.y} dB, all ${report.psnr.all} dB; SSIM ${report.ssim.all} (${report.ssim.allDb} dB)`,
      ...PHASES.map((p) => `  ${p.padEnd(20)} ${String(phases[p].seconds).padStart(9)} s  ${String(phases[p].msPerFrame).padStart(8)} ms/frame`),
      `wall ${report.wallSeconds} s; decoded and measured in ${report.verifySeconds} s`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};

/**
 * Writes every stage of every chunk: NNNN.independent.ivf and .state (phase
 * 1), NNNN.given-state.ivf (phase 2), NNNN.output.ivf and .state (the chunk
 * as output and the true state it ends in).
 */
async function keepStages(dir: string, stages: readonly ChunkStages[], frameRate: Rational, n: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [i, s] of stages.entries()) {
    const base = join(dir, String(i).padStart(4, '0'));
    await writeChunkFile(`${base}.independent.ivf`, s.independent, frameRate, i * n);
    await writeStateFile(`${base}.independent.state`, s.independentEnd);
    if (s.givenState) await writeChunkFile(`${base}.given-state.ivf`, s.givenState, frameRate, i * n);
    await writeChunkFile(`${base}.output.ivf`, s.output, frameRate, i * n);
    await writeStateFile(`${base}.output.state`, s.outputEnd);
  }
}

function round(v: number, digits = 2): number {
  return Number(v.toFixed(digits));
}
