// `excamera calibrate IN.y4m`: measure this project's ExCamera operations on a
// clip, on this machine, and write a simulation profile from them (see
// src/excamera/calibrate.ts), for `excamera simulate --profile`.

import { basename } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { writeFileAtomic } from '../container/index.js';
import { calibrate } from '../excamera/calibrate.js';
import { CHUNK_ENCODERS, type ChunkEncoderName } from '../excamera/chunk-encoder.js';
import { serializeProfile } from '../sim/profile.js';
import { DEFAULT_SPEED } from '../vp8/encoder/encoder.js';
import { CliError } from './errors.js';
import { progressBar } from './progress.js';
import { readRawVideo } from './raw.js';
import { checkSpeed, chunkQualityFrom } from './xc.js';

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

export const calibrateCommand: CommandModule<object, CalibrateArgs> = {
  command: 'calibrate <input>',
  describe: 'Measure this project\'s ExCamera phases on a clip and write a simulation profile',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'Raw 4:2:0 video (.y4m)' })
      .option('output', { alias: 'o', type: 'string', describe: 'Profile file to write (.json); without it, the profile goes to stdout' })
      .option('frames-per-chunk', { alias: 'n', type: 'number', default: 6, describe: 'n: frames per chunk' })
      .option('chunks', { alias: 'k', type: 'number', default: 6, describe: 'Chunks measured (one batch; at least 3)' })
      .option('chunk-encoder', { type: 'string', choices: CHUNK_ENCODERS as unknown as string[], default: 'builtin', describe: 'Encoder of the independent chunks' })
      .option('quantizer', { type: 'number', describe: 'Constant quantizer of the chunks, 0..63' })
      .option('cq-level', { type: 'number', describe: 'Constrained quality level of the chunks, 0..63 (the default, at 24)' })
      .option('speed', { type: 'number', default: DEFAULT_SPEED, describe: 'Built-in encoder effort' })
      .option('name', { type: 'string', describe: 'The profile\'s name (default: calibrated-<clip>)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress bar' })
      .example('$0 calibrate clip.y4m -o mine.json && $0 simulate --profile mine.json -n 6 -x 16', 'predict a job on this machine') as Argv<CalibrateArgs>,
  handler: async (args: ArgumentsCamelCase<CalibrateArgs>) => {
    const quality = chunkQualityFrom(args.quantizer, args.cqLevel);
    checkSpeed(args.speed);
    if (!Number.isInteger(args.framesPerChunk) || args.framesPerChunk < 1) throw new CliError('--frames-per-chunk must be a positive integer');
    if (!Number.isInteger(args.chunks) || args.chunks < 3 || args.chunks > 64) throw new CliError('--chunks must be an integer 3..64');
    // The whole clip (its length goes into the profile); too short a clip is refused here.
    const all = await readRawVideo(args.input, 0, undefined);
    const need = args.framesPerChunk * args.chunks;
    if (all.pictures.length < need) throw new CliError(`${args.input} has ${all.pictures.length} frames; ${args.chunks} chunks of ${args.framesPerChunk} need ${need}`);
    const raw = { ...all, pictures: all.pictures.slice(0, need) };
    const full = all.pictures.length;
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
};
