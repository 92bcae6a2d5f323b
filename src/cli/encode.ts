// `excamera encode IN.y4m -o OUT.(ivf|webm)`: encode raw video with the
// project's own VP8 encoder, with a progress bar and a summary (frames, bytes,
// kbit/s, PSNR, SSIM, frames/s).

import { extname } from 'node:path';
import type { Argv } from 'yargs';
import { IvfWriter, writeFileAtomic, writeWebmVp8 } from '../container/index.js';
import { imageFromI420, imageToI420 } from '../vp8/index.js';
import { DEFAULT_CQ_LEVEL, type RateControl, Vp8Encoder } from '../vp8/encoder/sequence.js';
import { frameQuality, QualityTotals } from '../vp8/metrics.js';
import { defineCommand } from './command.js';
import { UsageError } from './errors.js';
import { integerOption, realOption } from './options.js';
import { progressBar } from './progress.js';
import { cqLevelOption, quantizerOption, speedOption } from './quality.js';
import { openRawClip } from './raw.js';

interface EncodeArgs {
  input: string;
  output: string;
  quantizer?: number;
  'cq-level'?: number;
  'target-bitrate'?: number;
  'keyframe-interval': number;
  'golden-interval': number;
  speed: number;
  limit?: number;
  'token-partitions': number;
  json: boolean;
  quiet: boolean;
}

/** The rate control the flags ask for (vpxenc's conventions: Q on 0..63, rates in kbit/s). */
export function rateControlFrom(args: { quantizer?: number; cqLevel?: number; targetBitrate?: number }): RateControl {
  if (args.quantizer !== undefined) {
    if (args.cqLevel !== undefined || args.targetBitrate !== undefined) throw new UsageError('--quantizer cannot be combined with --cq-level or --target-bitrate');
    return { mode: 'quantizer', quantizer: args.quantizer };
  }
  if (args.cqLevel !== undefined) return { mode: 'cq', cqLevel: args.cqLevel, maxBitrate: args.targetBitrate };
  if (args.targetBitrate !== undefined) return { mode: 'bitrate', targetBitrate: args.targetBitrate };
  return { mode: 'cq', cqLevel: DEFAULT_CQ_LEVEL };
}

export const encodeCommand = defineCommand<EncodeArgs>({
  command: 'encode <input>',
  files: { input: 'input', output: 'output' },
  describe: 'Encode raw video (.y4m) to VP8 (.ivf or .webm) with the built-in encoder',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'Raw 4:2:0 video (.y4m)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'Compressed output: .ivf or .webm (written atomically)' })
      .option('quantizer', quantizerOption)
      .option('cq-level', { ...cqLevelOption, describe: `${String(cqLevelOption.describe)}; with --target-bitrate as a cap` })
      .option('target-bitrate', realOption('target-bitrate', { min: 0, exclusiveMin: true, max: 1_000_000, describe: 'Target bitrate in kbit/s (one pass), or the cap of --cq-level' }))
      .option('keyframe-interval', integerOption('keyframe-interval', { default: 128, min: 1, max: 1_000_000, describe: 'A key frame every N frames' }))
      .option('golden-interval', integerOption('golden-interval', { default: 16, min: 0, max: 1_000_000, describe: 'Refresh the golden reference every N frames (0: never)' }))
      .option('speed', speedOption)
      .option('limit', integerOption('limit', { min: 1, describe: 'Encode at most N frames' }))
      .option('token-partitions', integerOption('token-partitions', { default: 0, min: 0, max: 3, describe: 'Token partitions as log2: 0..3 (1, 2, 4 or 8)' }))
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary as one JSON object' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress bar' })
      .example('$0 encode in.y4m -o out.ivf --quantizer 20', 'constant quantizer')
      .example('$0 encode in.y4m -o out.webm --target-bitrate 800 --speed 4', 'one pass at 800 kbit/s, fast') as Argv<EncodeArgs>,
  handler: async (args) => {
    const ext = extname(args.output).toLowerCase();
    if (ext !== '.ivf' && ext !== '.webm') throw new UsageError(`-o ${args.output}: the output must end in .ivf or .webm`);
    const rateControl = rateControlFrom({ quantizer: args.quantizer, cqLevel: args.cqLevel, targetBitrate: args.targetBitrate });
    const speed = args.speed;
    // Indexed first: an input with no frames is refused before an output exists.
    const input = await openRawClip(args.input, { limit: args.limit });
    const { width, height } = input;
    const rate = input.frameRate;
    const fps = rate.numerator / rate.denominator;
    const encoder = new Vp8Encoder({
      width,
      height,
      frameRate: fps,
      rateControl,
      keyframeInterval: args.keyframeInterval,
      goldenInterval: args.goldenInterval,
      speed,
      log2TokenPartitions: args.tokenPartitions,
    });
    const ivf = ext === '.ivf' ? await IvfWriter.create(args.output, { width, height, timebaseDenominator: rate.numerator, timebaseNumerator: rate.denominator }) : null;
    const webmFrames: { data: Uint8Array; keyFrame: boolean }[] = [];
    const quality = new QualityTotals();
    const bar = progressBar('encode', input.frames, args.quiet);
    let frames = 0;
    let bytes = 0;
    let keyFrames = 0;
    let encodeNs = 0n;
    try {
      for await (const raw of input.i420()) {
        const t0 = process.hrtime.bigint();
        const out = encoder.encode(imageFromI420(width, height, raw));
        encodeNs += process.hrtime.bigint() - t0;
        quality.add(frameQuality(raw, imageToI420(out.reconstruction), width, height));
        if (ivf) await ivf.writeFrame(out.frame, frames);
        else webmFrames.push({ data: out.frame, keyFrame: out.keyFrame });
        bytes += out.frame.length;
        if (out.keyFrame) keyFrames++;
        frames++;
        bar.update(frames);
      }
    } catch (e) {
      bar.stop();
      if (ivf) await ivf.abort();
      throw e;
    } finally {
      await input.close();
    }
    bar.stop();
    if (ivf) await ivf.commit();
    else await writeFileAtomic(args.output, await writeWebmVp8({ width, height, frameRate: fps }, webmFrames));
    const seconds = Number(encodeNs) / 1e9;
    const psnr = quality.psnr();
    const ssim = quality.ssim();
    const report = {
      input: args.input,
      output: args.output,
      width,
      height,
      frames,
      keyFrames,
      bytes,
      kbitPerSecond: Number(((bytes * 8 * fps) / frames / 1000).toFixed(2)),
      psnr: { y: round(psnr.y), u: round(psnr.u), v: round(psnr.v), all: round(psnr.all) },
      ssim: { y: round(ssim.y, 5), all: round(ssim.all, 5), yDb: round(ssim.yDb), allDb: round(ssim.allDb) },
      seconds: round(seconds, 3),
      framesPerSecond: round(frames / Math.max(seconds, 1e-9), 2),
      rateControl,
      speed,
    };
    if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      process.stdout.write(
        `${frames} frames (${keyFrames} key), ${bytes} bytes, ${report.kbitPerSecond} kbit/s at ${round(fps, 3)} fps\n` +
          `PSNR Y ${report.psnr.y} dB, all ${report.psnr.all} dB; SSIM ${report.ssim.all} (${report.ssim.allDb} dB)\n` +
          `encoded in ${report.seconds} s, ${report.framesPerSecond} frames/s (speed ${speed})\n`,
      );
    }
  },
});

function round(v: number, digits = 2): number {
  return Number(v.toFixed(digits));
}
