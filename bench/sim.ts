// bench/sim: how fast the simulator runs the paper's job, and how its cost
// grows with the number of workers.
//
//  1. The full Sintel 4K job on the paper-sintel-4k profile: 21,312 frames in
//     3,552 chunks of 6, ExCamera[6,16], 50% spares — wall time, events/s,
//     and the simulated latency beside the paper's.
//  2. The same profile (without its account concurrency limit, so that
//     throttling does not change the work per worker) and [6,16] with 1,000
//     to 100,000 chunk workers plus 50% spares: wall time per worker, which
//     should stay flat.
// Targets: (1) under 5 s of wall time; (2) cost linear in workers: the time
// per worker at the largest size at most twice that at the smallest.
//
//   npm run bench:sim [-- --sizes 1000,10000,100000] [--runs 3] [--json]

import { performance } from 'node:perf_hooks';
import { simulate, type SimulationResult } from '../src/sim/engine.js';
import { jobConfig } from '../src/excamera/schedule.js';
import { loadProfile } from '../src/sim/profile.js';
import { exitOnHelp, flag, option } from './args.js';

exitOnHelp(`usage: npm run bench:sim [-- --sizes 1000,10000,100000] [--runs 3] [--json]

Simulates the paper's Sintel 4K job (ExCamera[6,16], 3,552 chunks, 50% spares)
and jobs of growing worker counts, and reports wall time, events/s and time
per worker.`);

const json = flag('json');
const sizes = (option('sizes') ?? '1000,10000,100000').split(',').map(Number);
const runs = Math.max(1, Number(option('runs') ?? 3));
const profile = loadProfile('paper-sintel-4k');
/** For the scaling runs: no account limit, so that throttling does not change the work per worker. */
const unlimited = { ...profile, platform: { ...profile.platform, concurrencyLimit: 1e9 } };

interface Timed {
  readonly result: Pick<SimulationResult, 'latencySeconds' | 'workers' | 'workerSeconds' | 'costUSD' | 'events'>;
  readonly seconds: number;
}

/** The median-time run (each run with its own seed). Only figures are kept, so runs do not pile up in memory. */
function timed(frames: number, x: number, cqLevel: number, p = profile): Timed {
  const all: Timed[] = [];
  // At least `runs` runs, and small jobs repeated for at least a second, so a
  // few milliseconds of timer noise do not decide a ratio.
  let spent = 0;
  for (let seed = 1; seed <= runs || spent < 1; seed++) {
    const job = jobConfig({ frames, framesPerChunk: 6, chunksPerBatch: x, seed });
    const t0 = performance.now();
    const { latencySeconds, workers, workerSeconds, costUSD, events } = simulate({ profile: p, job, seed, cqLevel, keepTransitions: false });
    const seconds = (performance.now() - t0) / 1000;
    spent += seconds;
    all.push({ result: { latencySeconds, workers, workerSeconds, costUSD, events }, seconds });
  }
  all.sort((a, b) => a.seconds - b.seconds);
  return all[Math.floor(all.length / 2)]!;
}

// Warm-up: compile the hot paths before timing.
timed(6 * 500, 16, 11);

const sintel = timed(21_312, 16, 11);
const sintel61 = timed(21_312, 1, 30);
const scaling = sizes.map((workers) => {
  const t = timed(workers * 6, 16, 11, unlimited);
  return { workers, invoked: t.result.workers, events: t.result.events, seconds: t.seconds, microsecondsPerWorker: (1e6 * t.seconds) / t.result.workers, latencySeconds: t.result.latencySeconds };
});

const checks = [
  { name: 'Sintel [6,16] job simulated in under 5 s of wall time', value: sintel.seconds, pass: sintel.seconds < 5, shown: `${sintel.seconds.toFixed(2)} s` },
  (() => {
    const first = scaling[0]!;
    const last = scaling[scaling.length - 1]!;
    const ratio = last.microsecondsPerWorker / first.microsecondsPerWorker;
    return { name: `time per worker at ${last.workers} workers within 2x of ${first.workers}`, value: ratio, pass: ratio <= 2, shown: `${ratio.toFixed(2)}x` };
  })(),
];

if (json) {
  const out = {
    sintel: { wallSeconds: sintel.seconds, events: sintel.result.events, eventsPerSecond: sintel.result.events / sintel.seconds, latencySeconds: sintel.result.latencySeconds, workers: sintel.result.workers, workerSeconds: sintel.result.workerSeconds, costUSD: sintel.result.costUSD },
    sintel61: { wallSeconds: sintel61.seconds, latencySeconds: sintel61.result.latencySeconds, workerSeconds: sintel61.result.workerSeconds, costUSD: sintel61.result.costUSD },
    scaling,
    checks,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
} else {
  const s = sintel.result;
  process.stdout.write(
    [
      `Sintel 4K, 21,312 frames, 3,552 chunks, ExCamera[6,16], 50% spares, ${runs} seeds (median time):`,
      `  wall ${sintel.seconds.toFixed(2)} s, ${s.events} events, ${(s.events / sintel.seconds / 1e3).toFixed(0)}k events/s`,
      `  simulated latency ${s.latencySeconds?.toFixed(1)} s (paper 156.6 s), ${s.workers} workers, ${s.workerSeconds.toFixed(0)} worker-s (paper ~215,000-223,000), $${s.costUSD.toFixed(2)}`,
      `  ExCamera[6,1] at cq-level 30: latency ${sintel61.result.latencySeconds?.toFixed(1)} s (paper 28.8 s), wall ${sintel61.seconds.toFixed(2)} s`,
      '',
      'workers   invoked     events   wall s   us/worker   latency s',
      ...scaling.map((r) => `${String(r.workers).padStart(7)} ${String(r.invoked).padStart(9)} ${String(r.events).padStart(10)} ${r.seconds.toFixed(2).padStart(8)} ${r.microsecondsPerWorker.toFixed(1).padStart(11)} ${(r.latencySeconds ?? NaN).toFixed(1).padStart(11)}`),
      '',
      'targets',
      ...checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.shown}`),
      '',
    ].join('\n'),
  );
}
