// A chunk-size study: for a grid of n (frames per chunk), x (chunks per
// batch) and quality levels, what ExCamera[n, x] costs in compression — the
// real pipeline run in process on the user's clip, against a serial encode
// of the same clip with the same encoder — and what it would take in latency,
// worker-seconds and money at the scale of a simulation profile. `excamera
// study` (src/cli/study.ts) writes the result as CSV, an SVG and a report.
//
// Work is shared where the result cannot differ: the independent chunks of
// one n and quality are encoded once for every x (pipeline.ts,
// independentChunks), and the serial encode once per quality.

import { jobConfig } from '../excamera/schedule.js';
import { runInProcess } from '../excamera/pipeline.js';
import { bdRate, type RdPoint } from '../excamera/bd-rate.js';
import type { Rational } from '../container/index.js';
import { simulate } from './engine.js';
import type { Profile } from './profile-types.js';
import { createDecoderState, decodeFrame, type Image, imageToI420 } from '../vp8/index.js';
import { Vp8Encoder } from '../vp8/encoder/sequence.js';
import { frameQuality, QualityTotals } from '../vp8/metrics.js';

export interface StudyOptions {
  readonly ns: readonly number[];
  readonly xs: readonly number[];
  /** Constant quantizers (0..63); the simulation takes each as the chunk encoder's quality level. */
  readonly quantizers: readonly number[];
  /** The built-in encoder's speed, for the chunks and the serial encode alike. */
  readonly speed: number;
  /** The simulation: its profile, the job's length in frames, and runs per point (seeds 1..K, the median). */
  readonly profile: Profile;
  readonly frames: number;
  readonly seeds: number;
}

/** Compression of one encode of the clip. */
export interface Compression {
  readonly bytes: number;
  readonly kbitPerSecond: number;
  readonly psnr: number;
  readonly ssimDb: number;
}

export interface StudyPoint extends Compression {
  readonly n: number;
  readonly x: number;
  readonly quantizer: number;
  /** The simulated job's median latency (null when the median run failed), worker-seconds and cost. */
  readonly latencySeconds: number | null;
  readonly workerSeconds: number | null;
  readonly costUSD: number | null;
  readonly failedRuns: number;
}

/** One configuration over the quality levels, at the quality every configuration and the serial encode reach. */
export interface StudyConfig {
  readonly n: number;
  readonly x: number;
  /** BD-rates against the serial encode as fractions (0.05: 5% more bits), at equal SSIM and equal PSNR (null with fewer than 4 levels or no common range). */
  readonly ssimBdRate: number | null;
  readonly psnrBdRate: number | null;
  /** At the study's common quality: bitrate, latency, worker-seconds and cost, interpolated between levels (null where a run failed). */
  readonly kbitPerSecond: number | null;
  readonly latencySeconds: number | null;
  readonly workerSeconds: number | null;
  readonly costUSD: number | null;
}

export interface StudyResult {
  readonly points: readonly StudyPoint[];
  /** The serial encode at each quantizer. */
  readonly serial: readonly (Compression & { readonly quantizer: number })[];
  readonly configs: readonly StudyConfig[];
  /** The SSIM (dB) every curve reaches, at which configs are compared (null if the curves share no range). */
  readonly commonSsimDb: number | null;
  /** The serial encode's bitrate there. */
  readonly serialKbitPerSecond: number | null;
}

/** Told of each step: what, and how many of all. */
export type StudyProgress = (what: string, done: number, total: number) => void;

/** The clip's pictures as packed I420 (what frameQuality compares), converted once for every measurement. */
interface Source {
  readonly width: number;
  readonly height: number;
  readonly i420: readonly Uint8Array[];
  readonly seconds: number;
}

function compression(bytes: number, totals: QualityTotals, source: Source): Compression {
  return { bytes, kbitPerSecond: (bytes * 8) / source.seconds / 1000, psnr: totals.psnr().all, ssimDb: totals.ssim().allDb };
}

/** Decodes a stream's frames and measures its shown pictures against the source. */
function measure(frames: readonly Uint8Array[], source: Source): Compression {
  const totals = new QualityTotals();
  let state = createDecoderState();
  let shown = 0;
  let bytes = 0;
  for (const [i, f] of frames.entries()) {
    bytes += f.length;
    const r = decodeFrame(state, f, { frameIndex: i });
    state = r.state;
    if (r.image) totals.add(frameQuality(source.i420[shown++]!, imageToI420(r.image), source.width, source.height));
  }
  return compression(bytes, totals, source);
}

/** The serial encode of the whole clip with the built-in encoder, measured on its reconstruction (what a decoder shows). */
function serialEncode(pictures: readonly Image[], source: Source, frameRate: Rational, quantizer: number, speed: number): Compression {
  const { width, height } = source;
  const encoder = new Vp8Encoder({ width, height, rateControl: { mode: 'quantizer', quantizer }, speed, frameRate: frameRate.numerator / frameRate.denominator });
  const totals = new QualityTotals();
  let bytes = 0;
  pictures.forEach((p, i) => {
    const out = encoder.encode(p);
    bytes += out.frame.length;
    totals.add(frameQuality(source.i420[i]!, imageToI420(out.reconstruction), width, height));
  });
  return compression(bytes, totals, source);
}

/** A BD-rate in percent as a fraction. */
const fraction = (percent: number | null): number | null => (percent === null ? null : percent / 100);

/** y at x between the two points around it, geometrically or linearly (null outside their range, or where a y is null). */
function interpolate(points: readonly { x: number; y: number | null }[], x: number, geometric: boolean): number | null {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (x < a.x || x > b.x) continue;
    if (a.y === null || b.y === null) return null;
    const t = b.x === a.x ? 0 : (x - a.x) / (b.x - a.x);
    return geometric ? a.y * Math.exp(Math.log(b.y / a.y) * t) : a.y + (b.y - a.y) * t;
  }
  return sorted.length === 1 && sorted[0]!.x === x ? sorted[0]!.y : null;
}

/** Steps a study reports: a serial encode per quantizer, and per point its pipeline run and its simulated runs. */
export function studySteps(o: Pick<StudyOptions, 'ns' | 'xs' | 'quantizers' | 'seeds'>): number {
  return o.quantizers.length * (1 + o.ns.length * o.xs.length * (1 + o.seeds));
}

export async function runStudy(pictures: readonly Image[], frameRate: Rational, o: StudyOptions, progress?: StudyProgress): Promise<StudyResult> {
  const total = studySteps(o);
  let done = 0;
  const step = (what: string): void => progress?.(what, ++done, total);
  const { width, height } = pictures[0]!;
  const source: Source = { width, height, i420: pictures.map((p) => imageToI420(p)), seconds: (pictures.length * frameRate.denominator) / frameRate.numerator };
  const serial = o.quantizers.map((q) => {
    const s = { quantizer: q, ...serialEncode(pictures, source, frameRate, q, o.speed) };
    step(`serial encode, quantizer ${q}`);
    return s;
  });
  const points: StudyPoint[] = [];
  for (const n of o.ns) {
    for (const q of o.quantizers) {
      const independentChunks = new Map();
      for (const x of o.xs) {
        const r = await runInProcess(pictures, { framesPerChunk: n, chunksPerBatch: x, chunkEncoder: 'builtin', quality: { mode: 'quantizer', quantizer: q }, frameRate, speed: o.speed }, { independentChunks });
        const measured = measure(r.frames, source);
        step(`ExCamera[${n},${x}] at quantizer ${q}`);
        const runs: { latency: number | null; workerSeconds: number; costUSD: number }[] = [];
        for (let seed = 1; seed <= o.seeds; seed++) {
          const job = jobConfig({ frames: o.frames, framesPerChunk: n, chunksPerBatch: x, seed });
          const s = simulate({ profile: o.profile, job, seed, cqLevel: q, keepTransitions: false });
          runs.push({ latency: s.latencySeconds, workerSeconds: s.workerSeconds, costUSD: s.costUSD });
          step(`simulated ExCamera[${n},${x}] at ${o.frames} frames, run ${seed}`);
        }
        // A failed run counts as slower than any finished one (as simulate sweep does).
        runs.sort((a, b) => (a.latency ?? Infinity) - (b.latency ?? Infinity));
        const mid = runs[(runs.length - 1) >> 1]!;
        points.push({
          n, x, quantizer: q, ...measured,
          latencySeconds: mid.latency, workerSeconds: mid.latency === null ? null : mid.workerSeconds, costUSD: mid.latency === null ? null : mid.costUSD,
          failedRuns: runs.filter((r) => r.latency === null).length,
        });
      }
    }
  }
  // The quality every curve reaches: the highest of their lowest SSIMs, if below the lowest of their highest.
  const curves = [serial, ...o.ns.flatMap((n) => o.xs.map((x) => points.filter((p) => p.n === n && p.x === x)))];
  const low = Math.max(...curves.map((c) => Math.min(...c.map((p) => p.ssimDb))));
  const high = Math.min(...curves.map((c) => Math.max(...c.map((p) => p.ssimDb))));
  const common = low <= high ? (low + high) / 2 : null;
  const rd = (c: readonly Compression[], key: 'ssimDb' | 'psnr'): RdPoint[] => c.map((p) => ({ rate: p.kbitPerSecond, quality: p[key] }));
  const configs: StudyConfig[] = o.ns.flatMap((n) =>
    o.xs.map((x) => {
      const c = points.filter((p) => p.n === n && p.x === x);
      const at = (y: (p: StudyPoint) => number | null, geometric: boolean): number | null => (common === null ? null : interpolate(c.map((p) => ({ x: p.ssimDb, y: y(p) })), common, geometric));
      return {
        n, x,
        ssimBdRate: fraction(bdRate(rd(serial, 'ssimDb'), rd(c, 'ssimDb'))),
        psnrBdRate: fraction(bdRate(rd(serial, 'psnr'), rd(c, 'psnr'))),
        kbitPerSecond: at((p) => p.kbitPerSecond, true),
        latencySeconds: at((p) => p.latencySeconds, false),
        workerSeconds: at((p) => p.workerSeconds, false),
        costUSD: at((p) => p.costUSD, false),
      };
    }));
  const serialKbitPerSecond = common === null ? null : interpolate(serial.map((p) => ({ x: p.ssimDb, y: p.kbitPerSecond })), common, true);
  return { points, serial, configs, commonSsimDb: common, serialKbitPerSecond };
}

/** The configuration with the lowest bitrate (at the common quality) among those within a budget, or null. */
export function bestWithin(configs: readonly StudyConfig[], budget: { latencySeconds?: number; costUSD?: number }): StudyConfig | null {
  let best: StudyConfig | null = null;
  for (const c of configs) {
    if (c.kbitPerSecond === null || c.latencySeconds === null || c.costUSD === null) continue;
    if (budget.latencySeconds !== undefined && c.latencySeconds > budget.latencySeconds) continue;
    if (budget.costUSD !== undefined && c.costUSD > budget.costUSD) continue;
    if (best === null || c.kbitPerSecond < best.kbitPerSecond!) best = c;
  }
  return best;
}
