// `excamera calibrate IN.y4m`: measure this project's ExCamera operations on a
// clip, on this machine, and write a simulation profile from them (see
// src/sim/calibrate.ts), for `excamera simulate --profile`.

import { basename } from 'node:path';
import type { Argv } from 'yargs';
import { writeFileAtomic } from '../container/index.js';
import { CHUNK_ENCODERS, type ChunkEncoderName } from '../excamera/chunk-encoder.js';
import { calibrate } from '../sim/calibrate.js';
import { serializeProfile } from '../sim/profile.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { integerOption } from './options.js';
import { progressBar } from './progress.js';
import { chunkQualityFrom, cqLevelOption, quantizerOption, speedOption } from './quality.js';
import { openRawClip } from './raw.js';

interface CalibrateArgs {
  input: string;
  output?: string;
  'frames-per-chunk': number;
  chunks: number;
  'chunk-encoder': string;
  quantizer?: number;
  'cq-level'?: number;
  speed: number;
  name?: string;
  quiet: boolean;
}

export const calibrateCommand = defineCommand<CalibrateArgs>({
  command: 'calibrate <input>',
  files: { input: 'input', output: 'output', 'chunk-encoder': 'not-a-path', name: 'not-a-path' },
  describe: 'Measure this project\'s ExCamera phases on a clip and write a simulation profile',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'Raw 4:2:0 video (.y4m)' })
      .option('output', { alias: 'o', type: 'string', describe: 'Profile file to write (.json); without it, the profile goes to stdout' })
      .option('frames-per-chunk', integerOption('frames-per-chunk', { alias: 'n', default: 6, min: 1, max: 100_000, describe: 'n: frames per chunk' }))
      .option('chunks', integerOption('chunks', { alias: 'k', default: 6, min: 3, max: 64, describe: 'Chunks measured (one batch), 3..64' }))
      .option('chunk-encoder', { type: 'string', choices: CHUNK_ENCODERS as unknown as string[], default: 'builtin', describe: 'Encoder of the independent chunks' })
      .option('quantizer', quantizerOption)
      .option('cq-level', cqLevelOption)
      .option('speed', speedOption)
      .option('name', { type: 'string', describe: 'The profile\'s name (default: calibrated-<clip>)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress bar' })
      .example('$0 calibrate clip.y4m -o mine.json && $0 simulate --profile mine.json -n 6 -x 16', 'predict a job on this machine') as Argv<CalibrateArgs>,
  handler: async (args) => {
    const quality = chunkQualityFrom(args.quantizer, args.cqLevel);
    // The clip's length goes into the profile; only the frames measured are read.
    const clip = await openRawClip(args.input);
    const need = args.framesPerChunk * args.chunks;
    const full = clip.frames;
    let pictures;
    try {
      if (full < need) throw new CliError(`${args.input} has ${full} frames; ${args.chunks} chunks of ${args.framesPerChunk} need ${need}`);
      pictures = await clip.pictures.read(0, need);
    } finally {
      await clip.close();
    }
    const raw = { pictures, frameRate: clip.frameRate };
    const bar = progressBar('calibrate', 4 * args.chunks, args.quiet);
    const profile = await calibrate(raw.pictures, {
      framesPerChunk: args.framesPerChunk,
      chunks: args.chunks,
      chunkEncoder: args.chunkEncoder as ChunkEncoderName,
      quality,
      frameRate: raw.frameRate,
      speed: args.speed,
      clipName: basename(args.input),
      clipFrames: full,
      date: new Date().toISOString().slice(0, 10),
      name: args.name,
      progress: (done) => bar.update(done),
    }).finally(() => bar.stop());
    const text = serializeProfile(profile);
    if (args.output === undefined) process.stdout.write(text);
    else {
      await writeFileAtomic(args.output, new TextEncoder().encode(text));
      process.stderr.write(`wrote ${args.output}: ${profile.source}\n`);
    }
  },
});
