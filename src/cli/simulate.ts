// `excamera simulate`: an ExCamera[n, x] job run by the discrete-event
// simulator — the real coordinator with virtual workers whose durations come
// from a profile — and `excamera simulate sweep`, the same over a grid of n,
// x and worker counts, written as CSV and an SVG plot.

import type { Argv } from 'yargs';
import { writeFileAtomic } from '../container/index.js';
import { PHASE_ORDER } from '../excamera/phases.js';
import { chunkCount, DEFAULT_MAX_ATTEMPTS, DEFAULT_PHASE_TIMEOUT_SECONDS, jobConfig } from '../excamera/schedule.js';
import { simulate, type SimulationResult } from '../sim/engine.js';
import { SimError } from '../sim/errors.js';
import { BUILTIN_PROFILES } from '../sim/profile.js';
import { profileOf } from './profiles.js';
import type { Profile } from '../sim/profile-types.js';
import { type SweepRow, sweepCsv, sweepSvg } from '../sim/sweep-output.js';
import { renderTimeline } from '../sim/timeline.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { integerOption, parseIntegerList, realOption } from './options.js';
import { progressBar } from './progress.js';

interface SimulateArgs {
  profile: string;
  'compute-profile'?: string;
  frames?: number;
  'frames-per-chunk': number;
  'chunks-per-batch': number;
  workers?: number;
  spares?: number;
  standby?: number;
  seed: number;
  width?: number;
  height?: number;
  'cq-level'?: number;
  'first-frame': number;
  'failure-probability'?: number;
  'phase-timeout': number;
  'max-attempts': number;
  json: boolean;
  timeline?: string;
}

interface SweepArgs {
  profile: string;
  'compute-profile'?: string;
  frames?: number;
  n: string;
  x: string;
  workers?: string;
  seeds: number;
  'cq-level'?: number;
  output: string;
  svg?: string;
  json: boolean;
  quiet: boolean;
}

const DEFAULT_PROFILE = 'paper-sintel-4k';

/** Frames a simulation handles at most. */
const MAX_FRAMES = 100_000_000;

/** The --compute-profile option, the same for both commands. */
const COMPUTE_PROFILE = {
  type: 'string',
  describe: 'Take the compute models (and state and output sizes) from this profile instead, e.g. one excamera calibrate wrote: measured per pixel, they are scaled to --profile\'s picture, whose clip, content and platform stay',
} as const;

/** The frame count of the profile's own job when none is given. */
function framesFor(profile: Profile, frames: number | undefined): number {
  const f = frames ?? profile.video.frames;
  if (f === undefined) throw new CliError(`--frames is required: profile ${profile.name} names no clip length`);
  return f;
}

/** Workers that failed (crashed, hung or were stopped) and chunks run more than once. */
export function faultsOf(r: SimulationResult): { failedWorkers: number; rerunChunks: number } {
  let failedWorkers = 0;
  for (let w = 0; w < r.coordinator.workers.size; w++) if (r.coordinator.workers.get(w).status.kind === 'failed') failedWorkers++;
  let rerunChunks = 0;
  for (let c = 0; c < r.coordinator.chunkCount; c++) if (r.coordinator.chunks.get(c).attempts > 1) rerunChunks++;
  return { failedWorkers, rerunChunks };
}

export function summaryOf(r: SimulationResult, profile: Profile): Record<string, unknown> {
  const round = (v: number, d = 3): number => Number(v.toFixed(d));
  return {
    outcome: r.outcome,
    failure: r.failure,
    latencySeconds: r.latencySeconds === null ? null : round(r.latencySeconds),
    workers: r.workers,
    ...faultsOf(r),
    workerSeconds: round(r.workerSeconds, 1),
    costUSD: round(r.costUSD, 4),
    memoryGB: profile.platform.memoryGB,
    events: r.events,
    phases: Object.fromEntries(
      Object.entries(r.phases).map(([k, p]) => [k, { count: p.count, totalSeconds: round(p.totalSeconds, 1), medianSeconds: round(p.medianSeconds), p90Seconds: round(p.p90Seconds), maxSeconds: round(p.maxSeconds) }]),
    ),
  };
}

export const simulateSweepCommand = defineCommand<SweepArgs>({
  command: 'sweep',
  files: { profile: 'input-if-file', 'compute-profile': 'input-if-file', output: 'output', svg: 'output', n: 'not-a-path', x: 'not-a-path', workers: 'not-a-path' },
  derivedOutputs: (args) => (args.svg === undefined ? [{ flag: '--svg (from -o)', path: svgPathOf(args.output) }] : []),
  describe: 'Simulate a grid of n (frames per chunk), x (chunks per batch) and worker counts; write CSV and SVG',
  builder: (y: Argv<object>) =>
    y
      .option('profile', { alias: 'p', type: 'string', default: DEFAULT_PROFILE, describe: `Model profile: ${BUILTIN_PROFILES.join(', ')}, or a .json file` })
      .option('compute-profile', COMPUTE_PROFILE)
      .option('frames', integerOption('frames', { alias: 'f', min: 1, max: MAX_FRAMES, describe: 'Frames in the job (default: the profile clip\'s)' }))
      .option('n', { type: 'string', default: '6,12,24', describe: 'Frames per chunk, comma-separated' })
      .option('x', { type: 'string', default: '1,2,4,8,16,32', describe: 'Chunks per batch, comma-separated' })
      .option('workers', { alias: 'w', type: 'string', describe: 'Worker counts, comma-separated (default: one per chunk)' })
      .option('seeds', integerOption('seeds', { default: 3, min: 1, max: 1000, describe: 'Runs per point (seeds 1..K); the median latency is reported' }))
      .option('cq-level', { ...integerOption('cq-level', { min: 0, max: 63, describe: '' }), describe: 'Chunk encoder quality level: between two levels the profile measured, each phase is interpolated; beyond them, scaled by its CQ factors' })
      .option('output', { alias: 'o', type: 'string', default: 'sweep.csv', describe: 'CSV output' })
      .option('svg', { type: 'string', describe: 'SVG plot (default: the CSV name with .svg)' })
      .option('json', { type: 'boolean', default: false, describe: 'Also print the rows as JSON' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress bar' })
      .example('$0 simulate sweep -n 6,12 -x 1,4,16 -o sweep.csv', 'latency and cost against batch length') as Argv<SweepArgs>,
  handler: async (args) => {
    const ns = parseIntegerList('n', args.n, 1, 100_000);
    const xs = parseIntegerList('x', args.x, 1, 100_000);
    const workerCounts = args.workers !== undefined ? parseIntegerList('workers', args.workers, 1, 10_000_000) : [undefined];
    const profile = profileOf(args);
    const frames = framesFor(profile, args.frames);
    const points = ns.flatMap((n) => xs.flatMap((x) => workerCounts.map((w) => ({ n, x, w }))));
    const bar = progressBar('sweep', points.length * args.seeds, args.quiet);
    const rows: SweepRow[] = [];
    let done = 0;
    for (const { n, x, w } of points) {
      const runs: SimulationResult[] = [];
      for (let seed = 1; seed <= args.seeds; seed++) {
        const job = jobConfig({ frames, framesPerChunk: n, chunksPerBatch: x, workers: w, seed });
        runs.push(simulate({ profile, job, seed, cqLevel: args.cqLevel, keepTransitions: false }));
        bar.update(++done);
      }
      // A failed run counts as slower than every finished one, so that a
      // point where most runs fail shows no latency rather than its lucky few.
      const slowness = (r: SimulationResult): number => r.latencySeconds ?? Infinity;
      const mid = [...runs].sort((a, b) => slowness(a) - slowness(b))[Math.floor(runs.length / 2)]!;
      const finished = mid.latencySeconds !== null;
      rows.push({
        framesPerChunk: n,
        chunksPerBatch: x,
        workers: jobConfig({ frames, framesPerChunk: n, chunksPerBatch: x, workers: w }).workers,
        runs: runs.length,
        failedRuns: runs.filter((r) => r.latencySeconds === null).length,
        latencySeconds: finished ? mid.latencySeconds! : NaN,
        workerSeconds: finished ? mid.workerSeconds : NaN,
        costUSD: finished ? mid.costUSD : NaN,
      });
    }
    bar.stop();
    const svgPath = args.svg ?? svgPathOf(args.output);
    await writeFileAtomic(args.output, new TextEncoder().encode(sweepCsv(rows)));
    const subtitle = `${profile.name}, ${frames} frames${args.cqLevel !== undefined ? ` at cq-level ${args.cqLevel}` : ''}; the median of ${args.seeds} run${args.seeds === 1 ? '' : 's'} per point`;
    await writeFileAtomic(svgPath, new TextEncoder().encode(sweepSvg(rows, { subtitle })));
    if (args.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
    else process.stdout.write(`${rows.length} points (${points.length * args.seeds} simulations) on ${profile.name}: ${args.output}, ${svgPath}\n`);
  },
});

/** The plot's name when none is given: the CSV's, with .svg. */
function svgPathOf(csv: string): string {
  return csv.replace(/\.csv$/i, '') + '.svg';
}

export const simulateCommand = defineCommand<SimulateArgs>({
  command: 'simulate',
  files: { profile: 'input-if-file', 'compute-profile': 'input-if-file', timeline: 'output' },
  describe: 'Simulate an ExCamera job with thousands of virtual workers (the real coordinator, modelled durations)',
  builder: (y: Argv<object>) =>
    y
      .command(simulateSweepCommand)
      .option('profile', { global: false, alias: 'p', type: 'string', default: DEFAULT_PROFILE, describe: `Model profile: ${BUILTIN_PROFILES.join(', ')}, or a .json file (see excamera calibrate)` })
      .option('compute-profile', { global: false, ...COMPUTE_PROFILE })
      .option('frames', { global: false, ...integerOption('frames', { alias: 'f', min: 1, max: MAX_FRAMES, describe: 'Frames in the job (default: the profile clip\'s)' }) })
      .option('frames-per-chunk', { global: false, ...integerOption('frames-per-chunk', { alias: 'n', default: 6, min: 1, max: 100_000, describe: 'n: frames per chunk' }) })
      .option('chunks-per-batch', { global: false, ...integerOption('chunks-per-batch', { alias: 'x', default: 16, min: 1, max: 100_000, describe: 'x: chunks per batch; a key frame every n·x frames' }) })
      .option('workers', { global: false, ...integerOption('workers', { alias: 'w', min: 1, max: 10_000_000, describe: 'Workers invoked to run chunks (default: one per chunk)' }) })
      .option('spares', { global: false, ...integerOption('spares', { alias: 's', min: 0, max: 10_000_000, describe: 'More workers, invoked with the others: chunks go to workers as they connect, spares included (default: 50% of --workers, as the paper)' }) })
      .option('standby', { global: false, ...integerOption('standby', { min: 0, max: 10_000_000, describe: 'Spares kept idle to replace failed workers once every chunk has a worker; the others are released (default: ~1% of the chunks)' }) })
      .option('seed', { global: false, ...integerOption('seed', { alias: 'k', default: 1, min: -(2 ** 31), max: 2 ** 31 - 1, describe: 'Seed of every random draw: the same seed, the same result' }) })
      .option('width', { global: false, ...integerOption('width', { min: 1, max: 65536, describe: 'Picture width (default: the profile clip\'s)' }) })
      .option('height', { global: false, ...integerOption('height', { min: 1, max: 65536, describe: 'Picture height (default: the profile clip\'s)' }) })
      .option('cq-level', { global: false, ...integerOption('cq-level', { min: 0, max: 63, describe: '' }), describe: 'Chunk encoder quality level: between two levels the profile measured, each phase is interpolated; beyond them, scaled by its CQ factors' })
      .option('first-frame', { global: false, ...integerOption('first-frame', { default: 0, min: 0, max: MAX_FRAMES, describe: 'Where in the profile\'s clip the job starts, in frames: its chunks cost what that part of the clip costs (a profile with a content profile, as the paper profiles have)' }) })
      .option('failure-probability', { global: false, ...realOption('failure-probability', { min: 0, max: 1, describe: 'Probability that a worker fails in any one phase, 0..1 (default: the profile\'s)' }) })
      .option('phase-timeout', { global: false, ...realOption('phase-timeout', { default: DEFAULT_PHASE_TIMEOUT_SECONDS, min: 0, exclusiveMin: true, describe: 'Seconds a worker may spend in one phase before it is replaced' }) })
      .option('max-attempts', { global: false, ...integerOption('max-attempts', { default: DEFAULT_MAX_ATTEMPTS, min: 1, max: 1000, describe: 'Runs of one chunk before the job fails' }) })
      .option('json', { global: false, type: 'boolean', default: false, describe: 'Print one JSON object (latencySeconds, workers, workerSeconds, costUSD, phases, ...)' })
      .option('timeline', { global: false, type: 'string', describe: 'Write a per-worker Gantt chart of the phases (HTML)' })
      .example('$0 simulate --frames 21312 -n 6 -x 16', 'the paper\'s Sintel job, ExCamera[6,16]')
      .example('$0 simulate -f 21312 -n 6 -x 1 --cq-level 30 --timeline t.html', 'ExCamera[6,1], with a timeline')
      .example('$0 simulate -n 6 -x 16 --compute-profile mine.json', 'the paper\'s Sintel job on Lambda, with the compute excamera calibrate measured here') as Argv<SimulateArgs>,
  handler: async (args) => {
    const profile = profileOf(args);
    const frames = framesFor(profile, args.frames);
    const job = jobConfig({
      frames,
      framesPerChunk: args.framesPerChunk,
      chunksPerBatch: args.chunksPerBatch,
      workers: args.workers,
      spares: args.spares,
      standby: args.standby,
      seed: args.seed,
      phaseTimeoutSeconds: args.phaseTimeout,
      maxAttemptsPerChunk: args.maxAttempts,
    });
    if (job.workers + job.spares > 10_000_000) throw new CliError(`${job.workers + job.spares} workers is beyond what a simulation handles (10,000,000)`);
    let result: SimulationResult;
    try {
      result = simulate({ profile, job, seed: args.seed, width: args.width, height: args.height, cqLevel: args.cqLevel, firstFrame: args.firstFrame, failureProbability: args.failureProbability, keepTransitions: args.timeline !== undefined });
    } catch (e) {
      if (e instanceof SimError) throw new CliError(e.message);
      throw e;
    }
    const summary = summaryOf(result, profile);
    const chunks = chunkCount(frames, args.framesPerChunk);
    const title = `ExCamera[${args.framesPerChunk},${args.chunksPerBatch}] on ${profile.name}: ${frames} frames in ${chunks} chunks, seed ${args.seed}`;
    if (args.timeline !== undefined) {
      const latency = result.latencySeconds;
      const html = renderTimeline({
        title,
        summary: `${latency === null ? `failed: ${result.failure}` : `latency ${latency.toFixed(1)} s`}; ${result.workers} workers, ${result.workerSeconds.toFixed(0)} worker-seconds, $${result.costUSD.toFixed(2)}`,
        latencySeconds: latency,
        workers: result.workers,
        transitions: result.transitions,
        chunksPerBatch: args.chunksPerBatch,
      });
      await writeFileAtomic(args.timeline, new TextEncoder().encode(html));
    }
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ profile: profile.name, frames, framesPerChunk: args.framesPerChunk, chunksPerBatch: args.chunksPerBatch, chunks, seed: args.seed, ...summary })}\n`);
    } else {
      const lines = [
        title,
        ...(args.computeProfile !== undefined ? [`compute         ${profile.notes?.composition ?? ''}`] : []),
        result.latencySeconds === null ? `FAILED: ${result.failure}` : `latency         ${result.latencySeconds.toFixed(1)} s`,
        `workers         ${result.workers} (${job.workers} + ${job.spares} spares${result.workers > job.workers + job.spares ? ` + ${result.workers - job.workers - job.spares} replacements` : ''})`,
        ...(() => {
          const f = faultsOf(result);
          return f.failedWorkers > 0 ? [`faults          ${f.failedWorkers} workers failed; ${f.rerunChunks} chunks ran again on spares or replacements`] : [];
        })(),
        `worker-seconds  ${result.workerSeconds.toFixed(0)} at ${profile.platform.memoryGB} GB: $${result.costUSD.toFixed(2)}`,
        `phase              count   median      p90      max   worker-s`,
        ...PHASE_ORDER.filter((p) => result.phases[p] !== undefined).map((p) => {
          const s = result.phases[p]!;
          return `  ${p.padEnd(14)} ${String(s.count).padStart(8)} ${s.medianSeconds.toFixed(2).padStart(8)} ${s.p90Seconds.toFixed(2).padStart(8)} ${s.maxSeconds.toFixed(2).padStart(8)} ${s.totalSeconds.toFixed(0).padStart(10)}`;
        }),
        `${result.events} events`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (result.outcome === 'failed') process.exitCode = 1;
  },
});
