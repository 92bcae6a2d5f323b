// `excamera xc IN.y4m -o OUT.(ivf|webm)`: the ExCamera[n, x] encode — chunks
// encoded independently, then encoded given the previous chunk's state, then
// rebased serially — with a progress bar and a summary (bytes, kbit/s, SSIM,
// PSNR, time per phase).
//
// The clip is read as it is needed, never whole: raw chunks are read one at a
// time as they are put in storage (or, in process, a batch's pictures once
// per phase), and the source is read once more, frame by frame, to measure
// the output. Memory follows the chunks in flight, not the clip's length.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { type Rational, writeFileAtomic } from '../container/index.js';
import { DEFAULT_KEY_QUANTIZER_WEIGHT } from '../excamera/chunk.js';
import { CHUNK_ENCODERS, type ChunkEncoderName } from '../excamera/chunk-encoder.js';
import type { Transition } from '../excamera/coordinator/types.js';
import { openStreamWriter, writeChunkFile, writeStateFile } from '../excamera/files.js';
import { phaseSummary, workerSecondsByPhase } from '../excamera/phases.js';
import { type ChunkStages, checkConfig, runInProcess } from '../excamera/pipeline.js';
import type { StorageSpec } from '../excamera/runtime/invocation.js';
import { LocalLauncher } from '../excamera/runtime/local.js';
import { type Launcher, runDistributed } from '../excamera/runtime/shell.js';
import type { JobSpec } from '../excamera/runtime/worker.js';
import { jobConfig, Schedule } from '../excamera/schedule.js';
import { renderTimeline } from '../sim/timeline.js';
import { compareWithSerial, encodeSerially, type SerialComparison } from './serial-baseline.js';
import { createDecoderState, decodeFrame, imageToI420 } from '../vp8/index.js';
import { frameQuality, QualityTotals } from '../vp8/metrics.js';
import { defineCommand } from './command.js';
import { CliError, UsageError } from './errors.js';
import { integerOption, realOption } from './options.js';
import { type Progress, phaseBars, progressBar } from './progress.js';
import { chunkQualityFrom, cqLevelOption, quantizerOption, speedOption } from './quality.js';
import { openRawClip, type RawClip } from './raw.js';

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
  'compare-serial': boolean;
  json: boolean;
  quiet: boolean;
}

export const BACKENDS = ['local', 'lambda', 'inprocess'] as const;

/** Flags that only workers use, refused with --backend inprocess rather than ignored. */
const WORKER_FLAGS = ['workers', 'storage', 's3-endpoint', 'function-name', 'lambda-endpoint', 'listen', 'public-host', 'timeline'] as const;
/** Flags that only Lambda uses, refused with --backend local. */
const LAMBDA_FLAGS = ['function-name', 'lambda-endpoint', 'public-host'] as const;

/** Refuses flags that would have no effect with the chosen backend (never silently nothing). */
function checkBackendFlags(args: ArgumentsCamelCase<XcArgs>): void {
  const given = (flag: string): boolean => (args as Record<string, unknown>)[flag] !== undefined;
  if (args.backend === 'inprocess') {
    const bad = WORKER_FLAGS.find(given);
    if (bad !== undefined) throw new UsageError(`--${bad} concerns workers, and --backend inprocess has none (use --backend local)`);
  } else if (args.keep !== undefined) {
    throw new UsageError('--keep needs --backend inprocess (workers keep their intermediate chunks to themselves)');
  }
  if (args.backend === 'local') {
    const bad = LAMBDA_FLAGS.find(given);
    if (bad !== undefined) throw new UsageError(`--${bad} concerns Lambda workers; add --backend lambda`);
  }
  if (args.backend === 'lambda') {
    if (args.functionName === undefined && process.env.EXCAMERA_LAMBDA_FUNCTION === undefined) throw new UsageError('--backend lambda needs --function-name (or $EXCAMERA_LAMBDA_FUNCTION)');
    if (args.storage?.startsWith('s3://') !== true) throw new UsageError('--backend lambda needs --storage s3://bucket/prefix: Lambda workers cannot read this machine\'s disk');
    if (args.publicHost === undefined && args.lambdaEndpoint === undefined) throw new UsageError('--backend lambda needs --public-host: the address Lambda workers reach this machine at');
  }
}

export const xcCommand = defineCommand<XcArgs>({
  command: 'xc <input>',
  describe: 'ExCamera[n,x] encode: parallel chunks, encode-given-state, serial rebase',
  files: {
    input: 'input', output: 'output', timeline: 'output', keep: 'output-dir', storage: 'output-dir',
    'chunk-encoder': 'not-a-path', backend: 'not-a-path', 's3-endpoint': 'not-a-path', 'function-name': 'not-a-path',
    region: 'not-a-path', 'lambda-endpoint': 'not-a-path', listen: 'not-a-path', 'public-host': 'not-a-path',
  },
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'Raw 4:2:0 video (.y4m)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'Compressed output: .ivf or .webm (written atomically)' })
      .option('frames-per-chunk', integerOption('frames-per-chunk', { alias: 'n', default: 6, min: 1, max: 100_000, describe: 'n: frames per chunk (one worker each)' }))
      .option('chunks-per-batch', integerOption('chunks-per-batch', { alias: 'x', default: 16, min: 1, max: 100_000, describe: 'x: chunks per batch; a key frame every n·x frames' }))
      .option('chunk-encoder', { type: 'string', choices: CHUNK_ENCODERS as unknown as string[], default: 'builtin', describe: 'Encoder of the independent chunks: the built-in one, or vpxenc with the paper\'s settings' })
      .option('quantizer', quantizerOption)
      .option('cq-level', cqLevelOption)
      .option('speed', speedOption)
      .option('backend', { type: 'string', choices: BACKENDS as unknown as string[], default: 'local', describe: 'Where the workers run: local (worker processes on this machine, over TLS), lambda (AWS Lambda invocations), or inprocess (every phase in this process, the reference)' })
      .option('workers', integerOption('workers', { alias: 'w', min: 1, max: 1024, describe: 'Worker processes or invocations started at once (default: one per CPU, at most one per chunk; lambda: one per chunk)' }))
      .option('spares', integerOption('spares', { alias: 's', default: 0, min: 0, max: 1024, describe: 'More workers, started with the others: chunks go to workers as they connect, spares included; once every chunk has a worker, spares still idle wait to take over the chunk of a worker that fails' }))
      .option('storage', { type: 'string', describe: 'Where the job\'s raw and output chunks go: a directory (created if missing, kept after), or s3://bucket/prefix (default: a temporary directory, removed after)' })
      .option('s3-endpoint', { type: 'string', describe: 'S3 endpoint URL, for a server other than AWS (path-style addressing)' })
      .option('phase-timeout', realOption('phase-timeout', { default: 600, min: 0, exclusiveMin: true, describe: 'Seconds a worker may spend in one phase before it is replaced' }))
      .option('timeline', { type: 'string', describe: 'Write a per-worker Gantt chart of the phases (HTML; local and lambda backends)' })
      .option('function-name', { type: 'string', describe: 'Lambda function of the workers (lambda backend; default $EXCAMERA_LAMBDA_FUNCTION)' })
      .option('region', { type: 'string', describe: 'AWS region (default $AWS_REGION)' })
      .option('lambda-endpoint', { type: 'string', describe: 'Lambda API endpoint URL, for a server other than AWS (lambda backend)' })
      .option('listen', { type: 'string', describe: 'Address the coordinator and rendezvous listen on (default 127.0.0.1; 0.0.0.0 for lambda)' })
      .option('public-host', { type: 'string', describe: 'Address workers reach the coordinator at (lambda backend: this machine\'s public address)' })
      .option('limit', integerOption('limit', { min: 1, describe: 'Encode at most N frames' }))
      .option('key-quantizer-weight', realOption('key-quantizer-weight', { default: DEFAULT_KEY_QUANTIZER_WEIGHT, min: 0, max: 1, describe: 'Encode-given-state quantizer: w·(key frame\'s) + (1−w)·(next frame\'s), w in 0..1' }))
      .option('keep', { type: 'string', describe: 'Write every chunk and state of every phase into this directory (--backend inprocess; for the single-chunk tools)' })
      .option('compare-serial', { type: 'boolean', default: false, describe: 'After the job, encode the clip serially (excamera encode, same speed and quality, a fresh process) and report the speed-up, and the best one the work ExCamera adds allows on these cores' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary as one JSON object' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress bar' })
      .example('$0 xc in.y4m -o out.ivf -n 6 -x 16 --cq-level 20', 'ExCamera[6,16]')
      .example('$0 xc in.y4m -o out.ivf --compare-serial', 'and its speed-up over a serial encode')
      .example('$0 xc in.y4m -o out.ivf -n 6 -x 1 --chunk-encoder vpxenc', 'independent chunks by vpxenc') as Argv<XcArgs>,
  handler: async (args) => {
    const ext = extname(args.output).toLowerCase();
    if (ext !== '.ivf' && ext !== '.webm') throw new UsageError(`-o ${args.output}: the output must end in .ivf or .webm`);
    const quality = chunkQualityFrom(args.quantizer, args.cqLevel);
    checkBackendFlags(args);
    if (args.compareSerial && args.chunkEncoder !== 'builtin') throw new UsageError('--compare-serial compares with a serial encode by the built-in encoder: use --chunk-encoder builtin');
    const config = {
      framesPerChunk: args.framesPerChunk,
      chunksPerBatch: args.chunksPerBatch,
      chunkEncoder: args.chunkEncoder as ChunkEncoderName,
      quality,
      speed: args.speed,
      keyQuantizerWeight: args.keyQuantizerWeight,
    };
    const clip = await openRawClip(args.input, { limit: args.limit });
    try {
      await run(args, clip, { ...config, frameRate: clip.frameRate });
    } finally {
      await clip.close();
    }
  },
});

type XcConfig = Parameters<typeof checkConfig>[0];

/** What an encode gave: the stream's measures, and, with workers, how the run went. */
interface Encoded {
  /** Seconds per phase: compute time in process; worker-seconds per phase with workers. */
  readonly phaseSeconds: Readonly<Record<string, number>>;
  readonly workers: WorkersRun | null;
  readonly measured: Measured;
  /** Seconds from the start to the last output chunk, before the output is written and measured. */
  readonly wall: number;
}

async function run(args: ArgumentsCamelCase<XcArgs>, clip: RawClip, config: XcConfig): Promise<void> {
  checkConfig(config);
  const schedule = new Schedule({ frames: clip.frames, framesPerChunk: args.framesPerChunk, chunksPerBatch: args.chunksPerBatch });
  const encoded = args.backend === 'inprocess' ? await encodeInProcess(args, clip, config, schedule) : await encodeOnWorkers(args, clip, config, schedule);
  const { workers } = encoded;
  // The stream first: a timeline that cannot be written must not cost the encode.
  if (workers !== null && args.timeline !== undefined) {
    const html = renderTimeline({ title: `ExCamera[${args.framesPerChunk},${args.chunksPerBatch}] on ${workers.workers} ${args.backend === 'lambda' ? 'Lambda' : 'local'} workers: ${clip.frames} frames in ${schedule.chunks} chunks`, summary: `latency ${workers.latencySeconds.toFixed(2)} s`, latencySeconds: workers.latencySeconds, workers: workers.workers, transitions: workers.transitions });
    await writeFileAtomic(args.timeline, new TextEncoder().encode(html));
  }
  // After the job, never beside it: the two must not share the machine.
  const serial = args.compareSerial ? await encodeSerially(args.input, clip.frames, config.quality, args.speed) : null;
  const cores = encoded.workers !== null ? Math.min(availableParallelism(), encoded.workers.workers) : 1;
  const comparison = serial !== null ? compareWithSerial(serial, encoded.wall, encoded.phaseSeconds, cores) : null;
  const report = { ...reportOf(args, clip, config, schedule, encoded), ...(comparison !== null ? { serial: serialReport(comparison) } : {}) };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const { phases } = report;
  const fps = clip.frameRate.numerator / clip.frameRate.denominator;
  const lines = [
    `ExCamera[${args.framesPerChunk},${args.chunksPerBatch}] with the ${args.chunkEncoder} chunk encoder, ${schedule.chunks} chunks, backend ${args.backend}`,
    `${report.frames} frames (${report.keyFrames} key), ${report.bytes} bytes, ${report.kbitPerSecond} kbit/s at ${round(fps, 3)} fps`,
    `PSNR Y ${report.psnr.y} dB, all ${report.psnr.all} dB; SSIM ${report.ssim.all} (${report.ssim.allDb} dB)`,
    ...(workers !== null ? [`${workers.workers} ${args.backend === 'lambda' ? 'Lambda workers' : 'worker processes'}${workers.failedWorkers > 0 ? ` (${workers.failedWorkers} failed and replaced)` : ''}, latency ${round(workers.latencySeconds, 2)} s; worker-seconds per phase:`] : []),
    ...Object.keys(phases).map((p) => `  ${p.padEnd(20)} ${String(phases[p]!.seconds).padStart(9)} s  ${String(phases[p]!.msPerFrame).padStart(8)} ms/frame`),
    `wall ${report.wallSeconds} s; written, decoded and measured in ${report.verifySeconds} s; peak memory ${report.peakRssMB} MB${workers !== null ? ' (this process)' : ''}`,
    ...(args.timeline !== undefined ? [`timeline: ${args.timeline}`] : []),
    ...(comparison !== null ? serialLines(comparison) : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Every phase in this process (the reference), then the stream written and measured. */
async function encodeInProcess(args: ArgumentsCamelCase<XcArgs>, clip: RawClip, config: XcConfig, schedule: Schedule): Promise<Encoded> {
  const started = performance.now();
  let bar: Progress | null = null;
  const result = await runInProcess(clip.pictures, config, {
    progress: (_phase, done, total) => {
      bar ??= progressBar('xc', total, args.quiet);
      bar.update(done);
    },
    keepStages: args.keep !== undefined,
  }).finally(() => bar?.stop());
  const wall = (performance.now() - started) / 1000;
  const measured = await writeAndMeasure(args.output, result.frames, clip);
  if (args.keep !== undefined && result.stages) await keepStages(args.keep, result.stages, clip.frameRate, schedule);
  return { phaseSeconds: { ...result.seconds }, workers: null, measured, wall };
}

/** The job on worker processes or Lambda; the output, read from storage as it is written, measured. */
async function encodeOnWorkers(args: ArgumentsCamelCase<XcArgs>, clip: RawClip, config: XcConfig, schedule: Schedule): Promise<Encoded> {
  const started = performance.now();
  const { width, height, frameRate } = clip;
  const spec: JobSpec = { width, height, frameRate, framesPerChunk: args.framesPerChunk, chunksPerBatch: args.chunksPerBatch, chunkEncoder: config.chunkEncoder, quality: config.quality, speed: args.speed, keyQuantizerWeight: args.keyQuantizerWeight };
  let wall = 0;
  // The output is read from the job's storage as it is written, before a temporary storage goes.
  const done = await runWorkers(args, clip, spec, schedule, async (run, frames) => {
    wall = (performance.now() - started) / 1000;
    return { run, measured: await writeAndMeasure(args.output, frames, clip) };
  });
  return { phaseSeconds: done.run.phaseSeconds, workers: done.run, measured: done.measured, wall };
}

/** The summary of an encode (printed as JSON, or as the lines `run` writes). */
function reportOf(args: ArgumentsCamelCase<XcArgs>, clip: RawClip, config: XcConfig, schedule: Schedule, encoded: Encoded) {
  const { workers, measured, wall } = encoded;
  const { shown, keyFrames, bytes, totals, seconds: verifySeconds } = measured;
  const fps = clip.frameRate.numerator / clip.frameRate.denominator;
  const psnr = totals.psnr();
  const ssim = totals.ssim();
  return {
    input: args.input,
    output: args.output,
    width: clip.width,
    height: clip.height,
    frames: shown,
    keyFrames,
    framesPerChunk: args.framesPerChunk,
    chunksPerBatch: args.chunksPerBatch,
    chunks: schedule.chunks,
    chunkEncoder: args.chunkEncoder,
    quality: config.quality,
    speed: args.speed,
    backend: args.backend,
    ...(workers !== null ? { workers: workers.workers, failedWorkers: workers.failedWorkers, latencySeconds: round(workers.latencySeconds, 3) } : {}),
    ...(args.timeline !== undefined ? { timeline: args.timeline } : {}),
    bytes,
    kbitPerSecond: round((bytes * 8 * fps) / Math.max(1, shown) / 1000),
    psnr: { y: round(psnr.y), u: round(psnr.u), v: round(psnr.v), all: round(psnr.all) },
    ssim: { y: round(ssim.y, 5), all: round(ssim.all, 5), yDb: round(ssim.yDb), allDb: round(ssim.allDb) },
    phases: phaseSummary(encoded.phaseSeconds, clip.frames),
    wallSeconds: round(wall, 3),
    verifySeconds: round(verifySeconds, 3),
    /** Peak resident memory of this process (with workers: the coordinator's; each worker is a process of its own). */
    peakRssMB: round(process.resourceUsage().maxRSS / 1024, 1),
  };
}

interface Measured {
  readonly shown: number;
  readonly keyFrames: number;
  readonly bytes: number;
  readonly totals: QualityTotals;
  /** Seconds spent writing, decoding and measuring. */
  readonly seconds: number;
}

/**
 * Writes the stream, and decodes it as any player would, to measure it (and
 * check it plays) against the source read again frame by frame — one frame
 * in memory at a time. Nothing is left at `path` if anything fails.
 */
async function writeAndMeasure(path: string, frames: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, clip: RawClip): Promise<Measured> {
  const { width, height, frameRate, frames: count } = clip;
  const t0 = performance.now();
  const out = await openStreamWriter(path, width, height, frameRate);
  const totals = new QualityTotals();
  let state = createDecoderState();
  let shown = 0;
  let keyFrames = 0;
  let bytes = 0;
  const source = clip.i420();
  try {
    let i = 0;
    for await (const f of frames) {
      await out.write(f);
      bytes += f.length;
      const r = decodeFrame(state, f, { frameIndex: i++ });
      state = r.state;
      if (r.header?.keyFrame) keyFrames++;
      if (r.image) {
        const next = await source.next();
        if (next.done) throw new CliError(`internal error: the output shows more frames than the ${count} of the input`);
        totals.add(frameQuality(next.value, imageToI420(r.image), width, height));
        shown++;
      }
    }
    if (shown !== count) throw new CliError(`internal error: the output shows ${shown} frames of ${count}`);
    await out.commit();
  } catch (e) {
    await out.abort();
    throw e;
  }
  return { shown, keyFrames, bytes, totals, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Writes every stage of every chunk: NNNN.independent.ivf and .state (phase
 * 1), NNNN.given-state.ivf (phase 2), NNNN.output.ivf and .state (the chunk
 * as output and the true state it ends in).
 */
async function keepStages(dir: string, stages: readonly ChunkStages[], frameRate: Rational, schedule: Schedule): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [i, s] of stages.entries()) {
    const base = join(dir, String(i).padStart(4, '0'));
    const first = schedule.firstFrame(i);
    await writeChunkFile(`${base}.independent.ivf`, s.independent, frameRate, first);
    await writeStateFile(`${base}.independent.state`, s.independentEnd);
    if (s.givenState) await writeChunkFile(`${base}.given-state.ivf`, s.givenState, frameRate, first);
    await writeChunkFile(`${base}.output.ivf`, s.output, frameRate, first);
    await writeStateFile(`${base}.output.state`, s.outputEnd);
  }
}

function serialReport(c: SerialComparison) {
  return {
    seconds: round(c.serialSeconds, 3), processSeconds: round(c.serial.processSeconds, 3), bytes: c.serial.bytes, kbitPerSecond: c.serial.kbitPerSecond, ssimDb: c.serial.ssimDb, psnr: c.serial.psnr,
    jobSeconds: round(c.jobSeconds, 3), speedup: round(c.speedup, 3), computeSeconds: round(c.computeSeconds, 3), addedWork: round(c.addedWork, 3), cores: c.cores, bound: round(c.bound, 3), ofBound: round(c.ofBound, 3),
  };
}

function serialLines(c: SerialComparison): string[] {
  const pct = (v: number): string => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(0)}%`;
  return [
    `serial encode (excamera encode, same speed and quality): ${round(c.serialSeconds, 2)} s encoding, ${c.serial.kbitPerSecond} kbit/s, SSIM ${c.serial.ssimDb} dB`,
    `speed-up ${round(c.speedup, 2)}x; the job computed ${round(c.computeSeconds, 2)} s in all (${pct(c.addedWork)} over the serial encode), so ${c.cores} core${c.cores === 1 ? '' : 's'} allow at most ${round(c.bound, 2)}x: this run reached ${(100 * c.ofBound).toFixed(0)}% of that`,
  ];
}

function round(v: number, digits = 2): number {
  return Number(v.toFixed(digits));
}

interface WorkersRun {
  readonly phaseSeconds: Record<string, number>;
  readonly workers: number;
  readonly latencySeconds: number;
  readonly failedWorkers: number;
  readonly transitions: Transition[];
}

/**
 * Runs the job on worker processes of this machine or on Lambda (see
 * src/excamera/runtime), then hands its output frames, read from storage, to
 * `consume` — before a temporary storage is removed.
 */
async function runWorkers<T>(
  args: ArgumentsCamelCase<XcArgs>, clip: RawClip, spec: JobSpec, schedule: Schedule,
  consume: (run: WorkersRun, frames: AsyncIterable<Uint8Array>) => Promise<T>,
): Promise<T> {
  const lambda = args.backend === 'lambda';
  const chunkCount = schedule.chunks;
  const workers = args.workers ?? (lambda ? chunkCount : Math.min(availableParallelism(), chunkCount));
  const temporary = args.storage === undefined;
  // The AWS SDK is loaded only by the runs that use it.
  const s3 = args.storage?.startsWith('s3://') === true ? (await import('../excamera/runtime/s3-storage.js')).parseS3Url(args.storage) : null;
  const dir = s3 !== null ? '' : args.storage ?? (await mkdtemp(join(tmpdir(), 'excamera-job-')));
  const storageSpec: StorageSpec = s3 !== null ? { kind: 's3', ...s3, ...(args.s3Endpoint !== undefined ? { endpoint: args.s3Endpoint } : {}), ...(args.region !== undefined ? { region: args.region } : {}) } : { kind: 'local', dir };
  let launcher: Launcher = new LocalLauncher();
  if (lambda) {
    const functionName = (args.functionName ?? process.env.EXCAMERA_LAMBDA_FUNCTION)!;
    const { LambdaLauncher } = await import('../excamera/runtime/lambda.js');
    launcher = new LambdaLauncher({ functionName, region: args.region, endpoint: args.lambdaEndpoint });
  }
  const { storageOf } = await import('../excamera/runtime/invocation.js');
  const config = jobConfig({ frames: clip.frames, framesPerChunk: spec.framesPerChunk, chunksPerBatch: spec.chunksPerBatch, workers, spares: args.spares, standby: args.spares, phaseTimeoutSeconds: args.phaseTimeout });
  // Progress: a bar per phase, a step each time a worker finishes one.
  const totals = Object.fromEntries((['fetch', 'encode', 'given-state', 'rebase', 'upload'] as const).map((p) => [p, schedule.chunksIn(p)]));
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
      rawChunks: clip.chunks(spec.framesPerChunk), spec, config, storage: storageOf(storageSpec), storageSpec, launcher, onTransition,
      host: args.listen ?? (lambda && args.lambdaEndpoint === undefined ? '0.0.0.0' : '127.0.0.1'), advertiseHost: args.publicHost,
      // Lambda workers must reach these ports from outside: say which they are.
      onListening: ({ coordinatorPort, rendezvousPort }) => process.stderr.write(`excamera: coordinator on port ${coordinatorPort}, rendezvous on port ${rendezvousPort} (TCP, TLS)\n`),
      log: (line) => process.stderr.write(`excamera: ${line}\n`),
    }).finally(() => bars.stop());
    const run = { phaseSeconds: workerSecondsByPhase(r.transitions), workers: r.coordinator.workers.size, latencySeconds: r.latencySeconds, failedWorkers: r.transitions.filter((t) => t.status.kind === 'failed').length, transitions: r.transitions };
    return await consume(run, r.outputFrames());
  } finally {
    if (temporary) await rm(dir, { recursive: true, force: true });
  }
}
