// `excamera encode-given-state` and `excamera rebase`: the two ExCamera
// operations on single chunk files, as the paper's workers ran them.
//
//   excamera encode-given-state CHUNK.ivf --state PREV.state --raw RAW.y4m -o OUT.ivf
//   excamera rebase CHUNK.ivf --from ORIG.state --state NEW.state --raw RAW.y4m -o OUT.ivf
//
// RAW.y4m holds the chunk's raw pictures (from frame --first on): what its
// shown frames should look like.

import type { ArgumentsCamelCase, Argv } from 'yargs';
import { type Chunk, DEFAULT_KEY_QUANTIZER_WEIGHT, encodeGivenState, rebaseChunk, shownFrames } from '../excamera/chunk.js';
import { type ChunkFile, readChunkFile, readStateFile, writeChunkFile, writeStateFile } from '../excamera/files.js';
import { hashOfState } from '../excamera/state-file.js';
import type { DecoderState } from '../vp8/index.js';
import { defineCommand } from './command.js';
import { integerOption, realOption } from './options.js';
import { speedOption } from './quality.js';
import { readRawVideo } from './raw.js';

interface CommonArgs {
  chunk: string;
  state: string;
  raw: string;
  first: number;
  output: string;
  'final-state'?: string;
  speed: number;
  json: boolean;
}

interface GivenStateArgs extends CommonArgs {
  'key-quantizer-weight': number;
}

interface RebaseArgs extends CommonArgs {
  from: string;
}

function common<T>(y: Argv<T>): Argv<T> {
  return y
    .positional('chunk', { type: 'string', demandOption: true, describe: 'Chunk (.ivf)' })
    .option('raw', { type: 'string', demandOption: true, describe: 'Raw pictures of the chunk (.y4m)' })
    .option('first', integerOption('first', { default: 0, min: 0, describe: 'Index in the raw file of the chunk\'s first picture' }))
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'New chunk (.ivf, written atomically)' })
    .option('final-state', { type: 'string', describe: 'Also write the state the new chunk ends in' })
    .option('speed', speedOption)
    .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON' }) as unknown as Argv<T>;
}

async function finish(
  args: ArgumentsCamelCase<CommonArgs>, operation: string, input: ChunkFile, out: { chunk: Chunk; state: DecoderState }, seconds: number, firstFrame: number,
): Promise<void> {
  const frameRate = input.frameRate;
  await writeChunkFile(args.output, out.chunk, frameRate ?? { numerator: 30, denominator: 1 }, firstFrame);
  if (args.finalState !== undefined) await writeStateFile(args.finalState, out.state);
  const bytes = (c: Chunk): number => c.frames.reduce((n, f) => n + f.length, 0);
  const report = {
    operation,
    input: args.chunk,
    output: args.output,
    frames: out.chunk.frames.length,
    bytesBefore: bytes(input.chunk),
    bytesAfter: bytes(out.chunk),
    expectsState: out.chunk.expects?.toString(16).padStart(8, '0') ?? null,
    finalState: hashOfState(out.state),
    seconds: Number(seconds.toFixed(3)),
  };
  if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    process.stdout.write(
      `${operation}: ${report.frames} frames, ${report.bytesBefore} -> ${report.bytesAfter} bytes in ${report.seconds} s\n` +
        `${args.output} expects state ${report.expectsState}; final state ${report.finalState}\n`,
    );
  }
}

/** The paths of both tools: the chunk, the states and the raw clip are read; the new chunk and its final state written. */
const FILES = { chunk: 'input', state: 'input', raw: 'input', output: 'output', 'final-state': 'output' } as const;

export const encodeGivenStateCommand = defineCommand<GivenStateArgs>({
  command: 'encode-given-state <chunk>',
  files: FILES,
  describe: 'Replace a chunk\'s key frame by an inter frame coded against a given state, and rebase the rest onto it',
  builder: (y: Argv<object>) =>
    common(y)
      .option('state', { type: 'string', demandOption: true, describe: 'State file to code against (the previous chunk\'s final state)' })
      .option('key-quantizer-weight', realOption('key-quantizer-weight', { default: DEFAULT_KEY_QUANTIZER_WEIGHT, min: 0, max: 1, describe: 'New first frame\'s quantizer: w·(key frame\'s) + (1−w)·(next frame\'s), w in 0..1' }))
      .example('$0 encode-given-state c1.ivf --state c0.state --raw in.y4m --first 6 -o c1-given.ivf', '') as Argv<GivenStateArgs>,
  handler: async (args) => {
    const input = await readChunkFile(args.chunk);
    const state = await readStateFile(args.state);
    const raw = await readRawVideo(args.raw, args.first, shownFrames(input.chunk));
    const t0 = performance.now();
    const out = encodeGivenState(input.chunk, state, raw.pictures, { speed: args.speed, keyQuantizerWeight: args.keyQuantizerWeight });
    await finish(args, 'encode-given-state', input, out, (performance.now() - t0) / 1000, args.first);
  },
});

export const rebaseCommand = defineCommand<RebaseArgs>({
  command: 'rebase <chunk>',
  files: { ...FILES, from: 'input' },
  describe: 'Recode every frame of a chunk against a new state, keeping its modes, vectors and quantizers',
  builder: (y: Argv<object>) =>
    common(y)
      .option('from', { type: 'string', demandOption: true, describe: 'State file the chunk was coded against' })
      .option('state', { type: 'string', demandOption: true, describe: 'State file to rebase onto' })
      .example('$0 rebase c2.ivf --from c1.state --state c1-true.state --raw in.y4m --first 12 -o c2-rebased.ivf', '') as Argv<RebaseArgs>,
  handler: async (args) => {
    const input = await readChunkFile(args.chunk);
    const [from, to] = await Promise.all([readStateFile(args.from), readStateFile(args.state)]);
    const raw = await readRawVideo(args.raw, args.first, shownFrames(input.chunk));
    const t0 = performance.now();
    const out = rebaseChunk(input.chunk, from, to, raw.pictures, { speed: args.speed });
    await finish(args, 'rebase', input, out, (performance.now() - t0) / 1000, args.first);
  },
});
