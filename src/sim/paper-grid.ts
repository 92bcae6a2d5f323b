// The paper's grid of ExCamera[n, x] configurations, simulated the way the
// authors measured them, for comparison with their logs
// (profiles/data/paper-<film>-latencies.json, never a model input).
//
// Each configuration ran as parts of the film (4 parts of ~880 chunks for
// 6-frame chunks, 2 for 12, 1 for 24; the logs' file names give each part's
// first chunk and length), each part 5 times with 50% spares; a
// configuration's latency is its slowest part's median run. The simulation
// does the same: every part from its own place in the film (its content),
// 5 seeds each, the runs of a part meeting the same whole-run conditions. The paper's coordinator had no phase time limit, so none is
// set below Lambda's own.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobConfig } from '../excamera/schedule.js';
import { simulate } from './engine.js';
import { SimError } from './errors.js';
import { PROFILE_DIR } from './profile.js';
import { Random } from './random.js';
import type { Profile } from './profile-types.js';

/** A part of a film: its first chunk and how many chunks it has. */
export interface Part {
  readonly offset: number;
  readonly chunks: number;
}

/** The parts each film was run in, by chunk length (from the logs' file names: _n<chunks>_o<offset>_). */
export const PAPER_PARTS: Readonly<Record<'sintel' | 'tears', Readonly<Record<number, readonly Part[]>>>> = {
  sintel: {
    6: [{ offset: 0, chunks: 880 }, { offset: 880, chunks: 896 }, { offset: 1776, chunks: 880 }, { offset: 2656, chunks: 896 }],
    12: [{ offset: 0, chunks: 880 }, { offset: 880, chunks: 896 }],
    24: [{ offset: 0, chunks: 888 }],
  },
  tears: {
    6: [{ offset: 0, chunks: 736 }, { offset: 736, chunks: 736 }, { offset: 1472, chunks: 736 }, { offset: 2208, chunks: 728 }],
    12: [{ offset: 0, chunks: 736 }, { offset: 736, chunks: 732 }],
    24: [{ offset: 0, chunks: 734 }],
  },
};

/** Runs per part, as logged. */
export const RUNS_PER_PART = 5;

export interface GridPrediction {
  readonly n: number;
  readonly x: number;
  readonly cqLevel: number;
  /** The slowest part's median over its finished runs (NaN when no run of a part finished). */
  readonly latency: number;
  /** Each part's median, in the order of PAPER_PARTS. */
  readonly parts: readonly number[];
  /** Runs that failed (a worker stopped by Lambda's time limit too often). */
  readonly failedRuns: number;
}

/**
 * ExCamera[n, x] at a quality level, simulated part by part as the paper ran
 * it: the paper's statistic (the slowest part's median run) for `trials`
 * draws of the parts' conditions, and the median of those as the
 * prediction, since the logged figure is one such draw.
 */
export function paperLatency(profile: Profile, film: 'sintel' | 'tears', n: number, x: number, cqLevel: number, trials = TRIALS): GridPrediction {
  const each = Array.from({ length: trials }, (_, t) => paperStatistic(profile, film, n, x, cqLevel, t));
  each.sort((a, b) => a.latency - b.latency);
  const mid = each[(trials - 1) >> 1]!;
  return { ...mid, failedRuns: each.reduce((s, e) => s + e.failedRuns, 0) };
}

/** Draws of the parts' conditions a prediction takes the median of. */
export const TRIALS = 5;

/** The paper's statistic once: every part RUNS_PER_PART times, under the conditions of trial `trial`. */
function paperStatistic(profile: Profile, film: 'sintel' | 'tears', n: number, x: number, cqLevel: number, trial: number): GridPrediction {
  const parts = PAPER_PARTS[film][n];
  if (parts === undefined) throw new SimError('invalid-argument', `the paper ran ${film} in chunks of ${Object.keys(PAPER_PARTS[film]).join(', ')} frames, not ${n}`);
  let failedRuns = 0;
  const medians = parts.map((part, index) => {
    const latencies: number[] = [];
    for (let rep = 0; rep < RUNS_PER_PART; rep++) {
      const seed = 100_000 * trial + 1000 * index + rep + 1;
      const job = jobConfig({ frames: part.chunks * n, framesPerChunk: n, chunksPerBatch: x, seed, phaseTimeoutSeconds: profile.platform.timeLimitSeconds });
      // A part's runs share their conditions (conditionsSeed): in the logs, slow
      // workers and late bursts came in some parts run after run, never in others.
      const r = simulate({ profile, job, seed, conditionsSeed: 100_000 * trial + 1000 * (index + 1), cqLevel, firstFrame: part.offset * n, keepTransitions: false });
      if (r.latencySeconds === null) failedRuns++;
      else latencies.push(r.latencySeconds);
    }
    latencies.sort((a, b) => a - b);
    return latencies.length === 0 ? NaN : latencies[(latencies.length - 1) >> 1]!;
  });
  return { n, x, cqLevel, latency: Math.max(...medians), parts: medians, failedRuns };
}

export interface LoggedLatency {
  readonly n: number;
  readonly x: number;
  readonly cqLevel: number;
  readonly latency: number;
  /** Each part's run latencies, from the configuration's logs at this level (paper-logs: a run's last transition). */
  readonly partRuns?: readonly (readonly number[])[];
}

/** The latencies the authors computed from their logs (written by `npm run paper-logs -- RUNS --film NAME --latencies FILE`). */
export function loggedLatencies(film: 'sintel' | 'tears'): LoggedLatency[] {
  const path = join(PROFILE_DIR, 'data', `paper-${film}-latencies.json`);
  return (JSON.parse(readFileSync(path, 'utf8')) as { latencies: LoggedLatency[] }).latencies;
}

/** How the paper's statistic spreads when the logged runs are drawn again. */
export interface LoggedSpread {
  readonly p10: number;
  readonly median: number;
  readonly p90: number;
  /** The chance that a fresh draw lands within 10% (15%) of the median: how often a model exact in expectation would be that close to one logged figure. */
  readonly within10: number;
  readonly within15: number;
}

/**
 * The paper's statistic (the slowest part's median run) is one draw: each
 * part ran 4-5 times. Drawing each part's runs again, with replacement, from
 * the runs logged for the same configuration at every level it was logged at
 * (neighbouring levels, whose compute differs by a few percent, under the
 * same conditions) shows how far that figure moves by chance. Null when the
 * logs of the configuration's runs were not read.
 */
export function loggedSpread(entry: LoggedLatency, all: readonly LoggedLatency[], draws = 4000, seed = 1): LoggedSpread | null {
  const own = entry.partRuns;
  if (own === undefined || own.length === 0) return null;
  const pools = own.map((_, part) => all.filter((l) => l.n === entry.n && l.x === entry.x).flatMap((l) => l.partRuns?.[part] ?? []));
  const r = new Random(seed);
  const stats = new Float64Array(draws);
  for (let d = 0; d < draws; d++) {
    let slowest = 0;
    for (const [part, runs] of own.entries()) {
      const pool = pools[part]!;
      const drawn = Float64Array.from(runs, () => pool[r.int(pool.length)]!).sort();
      const k = drawn.length;
      slowest = Math.max(slowest, k % 2 === 1 ? drawn[k >> 1]! : (drawn[k / 2 - 1]! + drawn[k / 2]!) / 2);
    }
    stats[d] = slowest;
  }
  stats.sort();
  const at = (q: number): number => stats[Math.min(draws - 1, Math.floor(q * draws))]!;
  const median = at(0.5);
  const within = (bound: number): number => stats.filter((s) => Math.abs(median / s - 1) <= bound).length / draws;
  return { p10: at(0.1), median, p90: at(0.9), within10: within(0.1), within15: within(0.15) };
}
