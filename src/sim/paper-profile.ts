// How the paper profiles (`paper-sintel-4k`, `paper-tears-4k`) are derived
// from the ExCamera authors' published per-worker logs (excamera-results,
// runs/xc-enc_14e88; see docs/simulator.md, "How the paper profiles are
// derived").
//
// Only per-phase measurements go in, and only those of two configurations
// of each film, ExCamera[6,16] and ExCamera[6,1]: `npm run paper-logs --
// RUNS --film NAME --out profiles/data/paper-NAME-logs.json` reduces their
// logs to the figures below (paper-logs.ts, modelInputs), and `npm run
// profiles` builds the profiles from those files. Every other configuration
// of the logs — other batch lengths, chunks of 12 and 24 frames, other
// quality levels — is a prediction the tests compare with the logs, as are
// the end-to-end latencies of the two configurations themselves.
//
// A compute phase of a chunk (profile-types.ts, ComputeModel) costs
//   draw × megapixels × (first-frame weight + frames − 1) × content
// where `content` is how slow the film is to code over the chunk's frames:
// the same chunk is slow or fast in every run (its encode times correlate
// 0.8 between two runs), so the logs give each 6-frame chunk of the film a
// factor, and `draw` is what varies from run to run. A few workers are slow
// in every phase (2.2-3.1x, in some runs only); in some runs a burst of
// invocations connects late. Both are whole-run draws from what the logs show.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { i420Size } from '../vp8/i420.js';
import { normalQuantile } from './distribution.js';
import { SimError } from './errors.js';
import type { ModelInputs } from './paper-logs.js';
import { PROFILE_DIR } from './profile.js';
import type { Distribution, Profile } from './profile-types.js';

/** What the paper and the films' sources say of each film. */
interface Film {
  readonly name: string;
  readonly logs: string;
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  /** ExCamera[6,16]'s output bitrate (the logs' points file), for the upload size. */
  readonly outputMbps: number;
}

export const SINTEL: Film = { name: 'paper-sintel-4k', logs: 'sintel', title: 'Sintel 4K (4096x1744, 21,312 frames at 24 fps)', width: 4096, height: 1744, frames: 21_312, outputMbps: 27.4 };
export const TEARS: Film = { name: 'paper-tears-4k', logs: 'tears', title: 'Tears of Steel 4K (4096x1714, 17,616 frames at 24 fps)', width: 4096, height: 1714, frames: 17_616, outputMbps: 39.6 };

const FRAME_RATE = 24;
const CHUNK_FRAMES = 6;
/** With 50% spares, the workers given a chunk are the earliest 2/3 to connect. */
const ASSIGNED_FRACTION = 1 / 1.5;
const Z90 = 1.2815515655446004;
/** Rendezvous (not measured in the paper): a relay in the workers' region at 1 Gbit/s, 20-50 ms a message. */
const RENDEZVOUS_BYTES_PER_SECOND = 125e6;
const STATE_BYTES_PER_PIXEL = 1.5;
/** The part of a fetch that is latency rather than bytes at the median (S3 first byte plus the rendezvous connection). */
const FETCH_LATENCY_MEDIAN = 0.3;

/** Rounds to 4 significant digits, so the JSON stays readable. */
const r4 = (v: number): number => Number(v.toPrecision(4));

/** The model inputs of a film, as `npm run paper-logs -- RUNS --film NAME --out ...` wrote them. */
export function readModelInputs(film: Film): ModelInputs {
  const path = join(PROFILE_DIR, 'data', `paper-${film.logs}-logs.json`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ModelInputs;
  } catch (e) {
    throw new SimError('bad-profile', `${path}: cannot read the model inputs of ${film.title} (${e instanceof Error ? e.message : String(e)}); npm run paper-logs writes them`);
  }
}

/** Points of a measured distribution, each value mapped by `f` (kept positive and non-decreasing). */
function mapped(points: readonly (readonly [number, number])[], f: (v: number) => number): Distribution {
  let last = 0;
  return { kind: 'quantiles', points: points.map(([p, v]) => [p, (last = Math.max(last, r4(Math.max(f(v), 1e-4))))] as [number, number]) };
}

/** A value of measured points at probability p (they include 0.5 and 0.9). */
function at(points: readonly (readonly [number, number])[], p: number): number {
  const hit = points.find(([q]) => q === p);
  if (hit === undefined) throw new Error(`no point at ${p}`);
  return hit[1];
}

export function paperProfile(film: Film, m: ModelInputs = readModelInputs(film)): Profile {
  const pixels = film.width * film.height;
  const megapixels = pixels / 1e6;
  const stateSeconds = 0.02 + (STATE_BYTES_PER_PIXEL * pixels) / RENDEZVOUS_BYTES_PER_SECOND;
  const rawChunkBytes = CHUNK_FRAMES * i420Size(film.width, film.height);

  // Start latency: the logs hold only the workers given a chunk, the earliest
  // 2/3 of each run's invocations to connect; their median and p90 are the
  // 1/3 and 0.6 quantiles of all invocations (lognormal).
  const connectMedian = at(m.connect, 0.5);
  const connectP90 = at(m.connect, 0.9);
  const zMedian = normalQuantile(0.5 * ASSIGNED_FRACTION);
  const zP90 = normalQuantile(0.9 * ASSIGNED_FRACTION);
  const startSigma = Math.log(connectP90 / connectMedian) / (zP90 - zMedian);
  const startMedian = connectMedian * Math.exp(-zMedian * startSigma);

  // Fetch: the raw chunk's bytes take the same time on every worker; the
  // spread is latency.
  const fetchMedian = at(m.fetch, 0.5);
  const fetchP90 = at(m.fetch, 0.9);
  const getBytesPerSecond = rawChunkBytes / (fetchMedian - FETCH_LATENCY_MEDIAN);

  // Encode (vpxenc): per frame and megapixel at each of the two levels; a
  // key frame priced as one inter frame (see the note).
  const encodeAt = (fit: ModelInputs['encode']['x16']): Distribution => mapped(fit.residual, (v) => (v * fit.medianSeconds) / (CHUNK_FRAMES * megapixels));
  // One rebase step holds one state transfer and the rebase of 6 frames.
  const rebasePerFrame = (m.rebaseStep.medianSeconds - stateSeconds) / CHUNK_FRAMES;
  // Encode-given-state: a part that needs no state (the worker starts it
  // while it waits), then one frame encoded against the state and five
  // rebased. What remains once the state is there is measured where it came
  // late, after that first part; the first part is the rest of the command
  // as measured where the state was there from the start.
  const givenMedian = m.givenState.medianSeconds;
  const afterMedian = at(m.givenStateAfterLateState, 0.5);
  const givenFirstFrame = afterMedian - (CHUNK_FRAMES - 1) * rebasePerFrame;
  const givenWeight = givenFirstFrame / rebasePerFrame;
  const encodeRatio = m.encode.x1.medianSeconds / m.encode.x16.medianSeconds;
  const lateProbability = m.lateStarts.bursts.length / m.lateStarts.runs;

  return {
    version: 1,
    name: film.name,
    source: `ExCamera (NSDI 2017), ${film.title}, on AWS Lambda in 2017: per-phase measurements of ExCamera[6,16] (cq-level ${m.levels.x16}, ${m.runs.x16} part-runs) and ExCamera[6,1] (cq-level ${m.levels.x1}, ${m.runs.x1} part-runs) from the published per-worker logs (excamera-results, runs/xc-enc_14e88; coordinator-side timestamps), reduced by \`npm run paper-logs\` to profiles/data/paper-${film.logs}-logs.json. No end-to-end latency goes in. Where the logs hold no figure, an assumption is named in \`notes\`.`,
    notes: {
      'video.content': `Per 6-frame chunk of the film, how slow it is to code relative to the median chunk: the geometric mean over the runs of each chunk's time / the median time (encode: at each of the two levels; rebase: the [6,16] rebase steps, a chunk without one taking its neighbour's). A chunk of n frames costs the mean over its frames. The same chunk is slow in every run: its encode times correlate 0.8 between two runs.`,
      'platform.startLatency': `Invoke -> connected: median ${connectMedian} s, p90 ${connectP90} s over the workers given a chunk, which with 50% spares are the earliest 2/3 of the invocations to connect; so these are the 1/3 and 0.6 quantiles of all invocations (lognormal).`,
      'platform.lateStarts': `A whole-run event: in ${m.lateStarts.bursts.length} of ${m.lateStarts.runs} logged runs some workers given a chunk connected after ${m.lateStarts.lateAfter} s, together. Each burst delays the share of the invocations that leaves that many late once the earliest 2/3 have their chunks, (late + spares) / invocations, to a time uniform over the burst's span.`,
      'platform.throttleLatency': 'Assumed: a refused invocation (HTTP 429) comes back in 50 ms.',
      'platform.concurrencyLimit': 'Assumed: above the concurrent invocations the paper ran, so the paper jobs are never throttled.',
      'platform.prices': 'Lambda prices of 2017: $0.00001667 per GB-second, $0.20 per million requests; 1,536 MB workers, 300 s time limit.',
      'storage.get': `Fetch raw chunk + rendezvous connect: median ${fetchMedian} s, p90 ${fetchP90} s for ${r4(rawChunkBytes / 1e6)} MB of raw frames. Assumed split: latency median ${FETCH_LATENCY_MEDIAN} s (its p90 carrying the spread) plus the bytes at the median's remaining rate.`,
      'storage.put': `Upload output: median ${at(m.upload, 0.5)} s, p90 ${at(m.upload, 0.9)} s, as latency, at the fetch bandwidth.`,
      rendezvous: 'Not measured in the paper. Assumed: a relay in the same region, 1 Gbit/s, 20-50 ms per message.',
      'sizes.stateBytesPerPixel': 'A state crossing a chunk boundary is ~1.5 W H bytes; counted uncompressed (zlib gains little on a picture).',
      'sizes.outputBitsPerPixel': `ExCamera[6,16]'s output, ${film.outputMbps} Mbit/s at 24 fps.`,
      'compute.encode': `vpxenc on 6 frames: the median (${m.encode.x16.medianSeconds} s at cq-level ${m.levels.x16}, ${m.encode.x1.medianSeconds} s at ${m.levels.x1}) times the chunk's content, times a draw from what remains (residual quantiles, slow workers left out), per frame and megapixel; between the two levels each quantile is interpolated. A key frame is priced as one inter frame: vpxenc with the paper's settings, timed here on the fixture clips, puts a key frame at 0.4-1.6 inter frames depending on the clip, and the logs of 6-frame chunks cannot tell the two apart.`,
      'compute.decode': `Decode the chunk and send its state (the logs' Dump): median ${at(m.decode, 0.5)} s over 6 frames, per frame.`,
      'compute.givenState': `Encode-given-state with the state already there: median ${givenMedian} s; begun without it and the state ${m.stateLateAfter} s or more late, it ends a median ${afterMedian} s after the state came, however late (80% of the time within ${at(m.givenStateAfterLateState, 0.1)}-${at(m.givenStateAfterLateState, 0.9)} s; the long ones are chunks slow to code, such as the end credits at high quality, which the content carries), so its first ${r4(givenMedian - afterMedian)} s (median) need no state, and a worker does them while it waits (prepare, per chunk: the logs of 12- and 24-frame chunks, not inputs, show this part does not grow with the frames). Both parts scale with the chunk's own content (video.content.givenState: the same chunks are slow in every run, and not the encode's: scrolling credits at cq-level 10 take 1.3-1.5x). Once the state is there, one frame is encoded against it and five are rebased; at the rebase's ${r4(rebasePerFrame)} s a frame, the first frame costs ${r4(givenFirstFrame)} s, ${r4(givenWeight)} frames' worth, and follows the encode's change with the quality level (x ${r4(encodeRatio)} from cq-level ${m.levels.x16} to ${m.levels.x1}). Not in the [6,1] logs: the [6,16] measurement is the only one.`,
      'compute.rebase': `One serial rebase step, finish to finish: median ${m.rebaseStep.medianSeconds} s, less one state transfer (${r4(stateSeconds)} s), for 6 frames, times the chunk's rebase content and a residual draw.`,
      'workers.slow': `Workers slow in every phase: an encode more than ${m.slowWorkers.threshold}x its chunk's prediction, and in the [6,16] logs the same worker's decode and encode-given-state too. ${m.slowWorkers.speeds.length} such workers; a run takes the rate of one logged run (many runs had none) and each worker is slow with it, by one of the logged factors. They were among the first to connect (median rank 0.18 of the workers given a chunk), so they took the first chunks of batches: each connects at the start-latency quantile of one of the logged ranks.`,
      failures: 'The measured runs had no failures; give --failure-probability to study them.',
    },
    video: {
      width: film.width,
      height: film.height,
      frameRate: FRAME_RATE,
      frames: film.frames,
      cqLevel: m.levels.x16,
      content: {
        framesPerValue: CHUNK_FRAMES,
        encode: [
          { cqLevel: m.levels.x16, values: m.encode.x16.content },
          { cqLevel: m.levels.x1, values: m.encode.x1.content },
        ],
        rebase: m.rebaseStep.content,
        givenState: m.givenState.content,
      },
    },
    platform: {
      startLatency: { kind: 'lognormal', median: r4(startMedian), p90: r4(startMedian * Math.exp(Z90 * startSigma)) },
      throttleLatency: { kind: 'constant', value: 0.05 },
      concurrencyLimit: 6000,
      memoryGB: 1.5,
      pricePerGBSecond: 0.00001667,
      pricePerRequest: 0.0000002,
      timeLimitSeconds: 300,
      lateStarts: {
        probabilityPerRun: r4(lateProbability),
        bursts: m.lateStarts.bursts.map((b) => ({ fraction: r4((b.late + b.chunks / 2) / (1.5 * b.chunks)), from: r4(b.from), to: r4(b.to) })),
      },
    },
    storage: {
      get: { latency: { kind: 'lognormal', median: FETCH_LATENCY_MEDIAN, p90: r4(FETCH_LATENCY_MEDIAN + fetchP90 - fetchMedian) }, bytesPerSecond: r4(getBytesPerSecond) },
      put: { latency: { kind: 'lognormal', median: at(m.upload, 0.5), p90: at(m.upload, 0.9) }, bytesPerSecond: r4(getBytesPerSecond) },
    },
    rendezvous: { latency: { kind: 'lognormal', median: 0.02, p90: 0.05 }, bytesPerSecond: RENDEZVOUS_BYTES_PER_SECOND },
    sizes: { stateBytesPerPixel: STATE_BYTES_PER_PIXEL, outputBitsPerPixel: r4((film.outputMbps * 1e6) / FRAME_RATE / pixels) },
    compute: {
      encode: {
        perFrameMegapixel: encodeAt(m.encode.x16),
        measuredAt: [{ cqLevel: m.levels.x1, perFrameMegapixel: encodeAt(m.encode.x1) }],
        content: 'encode',
      },
      decode: { perFrameMegapixel: mapped(m.decode, (v) => v / (CHUNK_FRAMES * megapixels)) },
      givenState: {
        // Once the state is there the rest takes about the same time in every
        // chunk (p10-p90 9.8-11.8 s for Sintel, where the parts' runs ran
        // normally): the spread is in the part before.
        perFrameMegapixel: { kind: 'constant', value: r4(afterMedian / ((givenWeight + CHUNK_FRAMES - 1) * megapixels)) },
        firstFrameWeight: r4(givenWeight),
        prepare: mapped(m.givenState.residual, (v) => Math.max(0, v * givenMedian - afterMedian) / megapixels),
        content: 'givenState',
        firstFrameCqLevelFactor: [[m.levels.x16, 1], [m.levels.x1, r4(encodeRatio)]],
      },
      rebase: {
        perFrameMegapixel: mapped(m.rebaseStep.residual, (v) => (v * m.rebaseStep.medianSeconds - stateSeconds) / (CHUNK_FRAMES * megapixels)),
        content: 'rebase',
      },
    },
    workers: {
      speed: { kind: 'constant', value: 1 },
      // A film whose logs show no slow worker gets none.
      ...(m.slowWorkers.speeds.length === 0
        ? {}
        : {
            slow: {
              runRates: m.slowWorkers.runRates,
              speeds: { kind: 'empirical', values: m.slowWorkers.speeds } as Distribution,
              // Ranks among the workers given a chunk, the earliest 2/3 of the invocations.
              startQuantiles: m.slowWorkers.connectRanks.map((q) => r4(q * ASSIGNED_FRACTION)),
            },
          }),
    },
    failures: { probabilityPerPhase: 0, hangFraction: 0.5 },
  };
}

/** The Sintel profile (kept under its old name for callers). */
export function paperSintelProfile(): Profile {
  return paperProfile(SINTEL);
}

export function paperTearsProfile(): Profile {
  return paperProfile(TEARS);
}
