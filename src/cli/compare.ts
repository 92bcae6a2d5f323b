// `excamera compare A B`: PSNR and SSIM of one video against another, each
// given as raw video (Y4M) or compressed VP8 (IVF, WebM; decoded here).

import { extname } from 'node:path';
import type { Argv } from 'yargs';
import { detectContainerFile } from '../container/index.js';
import { createDecoderState, decodeFrame, imageToI420 } from '../vp8/index.js';
import { frameQuality, QualityTotals } from '../vp8/metrics.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { openVp8Input } from './input.js';
import { openRawClip } from './raw.js';

interface Picture {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** The pictures of a video file, decoded if compressed. */
async function* pictures(path: string): AsyncGenerator<Picture> {
  const format = await detectContainerFile(path);
  // Raw video, or what was meant to be (the Y4M reader says what is wrong with it).
  if (format === 'y4m' || (format === null && extname(path).toLowerCase() === '.y4m')) {
    const clip = await openRawClip(path);
    try {
      for await (const data of clip.i420()) yield { width: clip.width, height: clip.height, data };
    } finally {
      await clip.close();
    }
    return;
  }
  const input = await openVp8Input(path);
  let state = createDecoderState();
  try {
    let index = 0;
    for await (const frame of input.frames) {
      const r = decodeFrame(state, frame, { frameIndex: index++ });
      state = r.state;
      if (r.image) yield { width: r.image.width, height: r.image.height, data: imageToI420(r.image) };
    }
  } finally {
    await input.close();
  }
}

interface CompareArgs {
  a: string;
  b: string;
  json: boolean;
}

export const compareCommand = defineCommand<CompareArgs>({
  command: 'compare <a> <b>',
  files: { a: 'input', b: 'input' },
  describe: 'PSNR and SSIM (Y and all planes) of video B against video A (.y4m, .ivf or .webm)',
  builder: (y: Argv<object>) =>
    y
      .positional('a', { type: 'string', demandOption: true, describe: 'Reference video' })
      .positional('b', { type: 'string', demandOption: true, describe: 'Video to measure' })
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' })
      .example('$0 compare in.y4m out.ivf', 'quality of an encode') as Argv<CompareArgs>,
  handler: async (args) => {
    const ia = pictures(args.a);
    const ib = pictures(args.b);
    const totals = new QualityTotals();
    let framesA = 0;
    let framesB = 0;
    const countRest = async (it: AsyncGenerator<Picture>): Promise<number> => {
      let n = 0;
      while (!(await it.next()).done) n++;
      return n;
    };
    for (;;) {
      const [na, nb] = await Promise.all([ia.next(), ib.next()]);
      if (na.done || nb.done) {
        if (!na.done) framesA += 1 + (await countRest(ia));
        if (!nb.done) framesB += 1 + (await countRest(ib));
        break;
      }
      framesA++;
      framesB++;
      const a = na.value;
      const b = nb.value;
      if (a.width !== b.width || a.height !== b.height) {
        throw new CliError(`frame ${totals.count}: ${args.a} is ${a.width}x${a.height} but ${args.b} is ${b.width}x${b.height}`);
      }
      totals.add(frameQuality(a.data, b.data, a.width, a.height));
    }
    if (totals.count === 0) throw new CliError('no frames to compare');
    const psnr = totals.psnr();
    const ssim = totals.ssim();
    const r2 = (v: number, d = 3): number => Number(v.toFixed(d));
    const report = {
      frames: totals.count,
      framesA,
      framesB,
      psnr: { y: r2(psnr.y), u: r2(psnr.u), v: r2(psnr.v), all: r2(psnr.all) },
      ssim: { y: r2(ssim.y, 5), u: r2(ssim.u, 5), v: r2(ssim.v, 5), all: r2(ssim.all, 5), yDb: r2(ssim.yDb), allDb: r2(ssim.allDb) },
    };
    if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      process.stdout.write(
        `${report.frames} frames compared${framesA !== framesB ? ` (${args.a} has ${framesA}, ${args.b} has ${framesB})` : ''}\n` +
          `PSNR  Y ${report.psnr.y} dB  U ${report.psnr.u} dB  V ${report.psnr.v} dB  all ${report.psnr.all} dB\n` +
          `SSIM  Y ${report.ssim.y} (${report.ssim.yDb} dB)  all ${report.ssim.all} (${report.ssim.allDb} dB)\n`,
      );
    }
  },
});
