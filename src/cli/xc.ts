// `excamera xc IN.y4m -o OUT.(ivf|webm)`: the ExCamera[n, x] encode — chunks
// encoded independently, then encoded given the previous chunk's state, then
// rebased serially — with a progress bar and a summary (bytes, kbit/s, SSIM,
// PSNR, time per phase).

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { type Rational, writeFileAtomic } from '../container/index.js';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { DEFAULT_KEY_QUANTIZER_WEIGHT } from '../excamera/chunk.js';
import { CHUNK_ENCODERS, type ChunkEncoderName } from '../excamera/chunk-encoder.js';
import { writeChunkFile, writeStateFile, writeStream } from '../excamera/files.js';
import { phaseOf } from '../excamera/coordinator/coordinator.js';
import type { Transition } from '../excamera/coordinator/types.js';
import { type ChunkStages, checkConfig, runInProcess } from '../excamera/pipeline.js';
import { LocalLauncher } from '../excamera/runtime/local.js';
import { LambdaLauncher } from '../excamera/runtime/lambda.js';
import { type Launcher, runDistributed } from '../excamera/runtime/shell.js';
import { joinFrames } from '../excamera/raw-chunks.js';
import { parseS3Url } from '../excamera/runtime/s3-storage.js';
import { type StorageSpec, storageOf } from '../excamera/runtime/invocation.js';
import type { JobSpec } from '../excamera/runtime/worker.js';
import { jobConfig } from '../sim/job.js';
import { renderTimeline } from '../sim/timeline.js';
import type { ChunkQuality } from '../excamera/vpxenc.js';
import { createDecoderState, decodeFrame, imageToI420 } from '../vp8/index.js';
import { DEFAULT_SPEED, MAX_SPEED } from '../vp8/encoder/encoder.js';
import { frameQuality, QualityTotals } from '../vp8/metrics.js';
import { CliError } from './errors.js';
import { type Progress, phaseBars, progressBar } from './progress.js';
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
  workers?: number;
  spares: number;
  storage?: string;
  's3-endpoint'?: string;
  'function-name'?: string;
  region?: string;
  'lambda-endpoint'?: string;
  listen?: string;
  'public-host'?: string;
  'phase-timeout': number;
  timeline?: string;
  limit?: number;
  keep?: string;
  'key-quantizer-weight': number;
  json: boolean;
  quiet: boolean;
}

export const BACKENDS = ['local', 'lambda', 'inprocess'] as const;

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
      .option('backend', { type: 'string', choices: BACKENDS as unknown as string[], default: 'local', describe: 'Where the workers run: local (worker processes on this machine, over TLS) or inprocess (every phase in this process, the reference)' })
      .option('workers', { alias: 'w', type: 'number', describe: 'Worker processes (local backend; default: the CPU count)' })
      .option('spares', { alias: 's', type: 'number', default: 0, describe: 'Extra worker processes, to replace failed ones (local backend)' })
      .option('storage', { type: 'string', describe: 'Where the job\'s raw and output chunks go: a directory, or s3://bucket/prefix (local backend; default: a temporary directory, removed after)' })
      .option('s3-endpoint', { type: 'string', describe: 'S3 endpoint URL, for a server other than AWS (path-style addressing)' })
      .option('phase-timeout', { type: 'number', default: 600, describe: 'Seconds a worker may spend in one phase before it is replaced (local backend)' })
      .option('timeline', { type: 'string', describe: 'Write a per-worker Gantt chart of the phases (HTML; local and lambda backends)' })
      .option('function-name', { type: 'string', describe: 'Lambda function of the workers (lambda backend; default $EXCAMERA_LAMBDA_FUNCTION)' })
      .option('region', { type: 'string', describe: 'AWS region (default $AWS_REGION)' })
      .option('lambda-endpoint', { type: 'string', describe: 'Lambda API endpoint URL, for a server other than AWS' })
      .option('listen', { type: 'string', describe: 'Address the coordinator and rendezvous listen on (default 127.0.0.1; 0.0.0.0 for lambda)' })
      .option('public-host', { type: 'string', describe: 'Address workers reach the coordinator at (lambda backend: this machine\'s public address)' })
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

    const config = {
      framesPerChunk: args.framesPerChunk,
      chunksPerBatch: args.chunksPerBatch,
      chunkEncoder: args.chunkEncoder as ChunkEncoderName,
      quality,
      frameRate,
      speed: args.speed,
      keyQuantizerWeight: args.keyQuantizerWeight,
    };
    checkConfig(config);
    const chunkCount = Math.ceil(count / args.framesPerChunk);
    const started = performance.now();
    let frames: readonly Uint8Array[];
    /** Seconds per phase: compute time in process; worker-seconds per phase with workers. */
    let phaseSeconds: Record<string, number>;
    let runtime: { workers: number; latencySeconds: number; failedWorkers: number } | null = null;
    if (args.backend === 'inprocess') {
      let bar: Progress | null = null;
      const result = await runInProcess(pictures, config, {
        progress: (_phase, done, total) => {
          bar ??= progressBar('xc', total, args.quiet);
          bar.update(done);
        },
        keepStages: args.keep !== undefined,
      }).finally(() => bar?.stop());
      frames = result.frames;
      phaseSeconds = { ...result.seconds };
      await writeStream(args.output, frames, width, height, frameRate);
      if (args.keep !== undefined && result.stages) await keepStages(args.keep, result.stages, frameRate, args.framesPerChunk);
    } else {
      if (args.keep !== undefined) throw new CliError('--keep needs --backend inprocess (workers keep their intermediate chunks to themselves)');
      const r = await runWorkers(args, raw.i420.slice(0, count), { width, height, frameRate, framesPerChunk: args.framesPerChunk, chunksPerBatch: args.chunksPerBatch, chunkEncoder: config.chunkEncoder, quality, speed: args.speed, keyQuantizerWeight: args.keyQuantizerWeight }, chunkCount);
      frames = r.frames;
      phaseSeconds = r.phaseSeconds;
      runtime = { workers: r.workers, latencySeconds: r.latencySeconds, failedWorkers: r.failedWorkers };
      await writeStream(args.output, frames, width, height, frameRate);
    }
    const wall = (performance.now() - started) / 1000;
    const result = { frames, chunks: { length: chunkCount } };

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
    const phases = Object.fromEntries(Object.entries(phaseSeconds).map(([p, sec]) => [p, { seconds: round(sec, 3), msPerFrame: round((1000 * sec) / count, 1) }]));
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
      ...(runtime !== null ? { workers: runtime.workers, failedWorkers: runtime.failedWorkers, latencySeconds: round(runtime.latencySeconds, 3) } : {}),
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
      ...(runtime !== null ? [`${runtime.workers} ${args.backend === 'lambda' ? 'Lambda workers' : 'worker processes'}${runtime.failedWorkers > 0 ? ` (${runtime.failedWorkers} failed and replaced)` : ''}, latency ${round(runtime.latencySeconds, 2)} s; worker-seconds per phase:`] : []),
      ...Object.keys(phases).map((p) => `  ${p.padEnd(20)} ${String(phases[p]!.seconds).padStart(9)} s  ${String(phases[p]!.msPerFrame).padStart(8)} ms/frame`),
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

/** Runs the job on worker processes of this machine or on Lambda (see src/excamera/runtime). */
async function runWorkers(
  args: ArgumentsCamelCase<XcArgs>, i420: readonly Uint8Array[], spec: JobSpec, chunkCount: number,
): Promise<{ frames: Uint8Array[]; phaseSeconds: Record<string, number>; workers: number; latencySeconds: number; failedWorkers: number }> {
  const lambda = args.backend === 'lambda';
  const workers = args.workers ?? (lambda ? chunkCount : Math.min(availableParallelism(), chunkCount));
  if (!Number.isInteger(workers) || workers < 1 || workers > 1024) throw new CliError('--workers must be an integer 1..1024');
  if (!Number.isInteger(args.spares) || args.spares < 0 || args.spares > 1024) throw new CliError('--spares must be an integer 0..1024');
  if (!(args.phaseTimeout > 0)) throw new CliError('--phase-timeout must be positive');
  const temporary = args.storage === undefined;
  const s3 = args.storage?.startsWith('s3://') === true ? parseS3Url(args.storage) : null;
  const dir = s3 !== null ? '' : args.storage ?? (await mkdtemp(join(tmpdir(), 'excamera-job-')));
  const storageSpec: StorageSpec = s3 !== null ? { kind: 's3', ...s3, ...(args.s3Endpoint !== undefined ? { endpoint: args.s3Endpoint } : {}), ...(args.region !== undefined ? { region: args.region } : {}) } : { kind: 'local', dir };
  let launcher: Launcher = new LocalLauncher();
  if (lambda) {
    const functionName = args.functionName ?? process.env.EXCAMERA_LAMBDA_FUNCTION;
    if (functionName === undefined) throw new CliError('--backend lambda needs --function-name (or $EXCAMERA_LAMBDA_FUNCTION)');
    if (s3 === null) throw new CliError('--backend lambda needs --storage s3://bucket/prefix: Lambda workers cannot read this machine\'s disk');
    if (args.publicHost === undefined && args.lambdaEndpoint === undefined) throw new CliError('--backend lambda needs --public-host: the address Lambda workers reach this machine at');
    launcher = new LambdaLauncher({ functionName, region: args.region, endpoint: args.lambdaEndpoint });
  }
  const config = jobConfig({ frames: i420.length, framesPerChunk: spec.framesPerChunk, chunksPerBatch: spec.chunksPerBatch, workers, spares: args.spares, standby: args.spares, phaseTimeoutSeconds: args.phaseTimeout });
  // Progress: a bar per phase, a step each time a worker finishes one.
  const totals: Record<string, number> = { fetch: chunkCount, encode: chunkCount, 'given-state': 0, rebase: 0, upload: chunkCount };
  for (let c = 0; c < chunkCount; c++) {
    if (c % spec.chunksPerBatch >= 1) totals['given-state']!++;
    if (c % spec.chunksPerBatch >= 2) totals.rebase!++;
  }
  const bars = phaseBars(totals, args.quiet);
  const working = new Map<number, string>();
  const onTransition = (t: Transition): void => {
    const before = working.get(t.worker);
    if (before !== undefined && t.status.kind !== 'failed') bars.tick(before);
    if (t.status.kind === 'working') working.set(t.worker, t.status.phase);
    else working.delete(t.worker);
  };
  try {
    const r = await runDistributed({
      rawChunks: joinFrames(i420, spec.framesPerChunk), spec, config, storage: storageOf(storageSpec), storageSpec, launcher, onTransition,
      host: args.listen ?? (lambda && args.lambdaEndpoint === undefined ? '0.0.0.0' : '127.0.0.1'), advertiseHost: args.publicHost,
      // Lambda workers must reach these ports from outside: say which they are.
      onListening: lambda ? ({ coordinatorPort, rendezvousPort }) => process.stderr.write(`excamera: coordinator on port ${coordinatorPort}, rendezvous on port ${rendezvousPort} (TCP, TLS)\n`) : undefined,
      log: (line) => process.stderr.write(`excamera: ${line}\n`),
    }).finally(() => bars.stop());
    const phaseSeconds: Record<string, number> = {};
    const open = new Map<number, Transition>();
    const close = (t: Transition, at: number): void => {
      const p = phaseOf(t);
      if (p !== null && p !== 'idle') phaseSeconds[p] = (phaseSeconds[p] ?? 0) + (at - t.at);
    };
    for (const t of r.transitions) {
      const before = open.get(t.worker);
      if (before) close(before, t.at);
      open.set(t.worker, t);
    }
    if (args.timeline !== undefined) {
      const html = renderTimeline({ title: `ExCamera[${spec.framesPerChunk},${spec.chunksPerBatch}] on ${workers} ${lambda ? 'Lambda' : 'local'} workers: ${i420.length} frames in ${chunkCount} chunks`, summary: `latency ${r.latencySeconds.toFixed(2)} s`, latencySeconds: r.latencySeconds, workers: r.coordinator.workers.size, transitions: r.transitions });
      await writeFileAtomic(args.timeline, new TextEncoder().encode(html));
    }
    const order = ['start', 'fetch', 'encode', 'send-state', 'given-state', 'waiting', 'rebase', 'send-final', 'upload', 'backoff'];
    const sorted = Object.fromEntries(order.filter((p) => p in phaseSeconds).map((p) => [p, phaseSeconds[p]!]));
    return { frames: r.frames, phaseSeconds: sorted, workers: r.coordinator.workers.size, latencySeconds: r.latencySeconds, failedWorkers: r.transitions.filter((t) => t.status.kind === 'failed').length };
  } finally {
    if (temporary) await rm(dir, { recursive: true, force: true });
  }
}
