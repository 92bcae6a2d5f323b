// The per-worker logs the ExCamera authors published with the paper
// (excamera-results, runs/xc-enc_*/<clip>-sNN_kXX-logs/xcenc_transitions_*.log),
// read to compute the per-phase figures `paper-sintel-4k` takes from them
// (paper-profile.ts): `npm run paper-logs -- DIR` prints them.
//
// A log is one run of one part of a job: a line per chunk,
//   <chunk>:[(<seconds>, '<State>'), (<seconds>, '<State>'), ...]
// the times (seconds since the coordinator started) at which the worker
// running that chunk entered each state of the coordinator's state machine.
// The first state is entered when the worker connects; `XCEncRunState` is a
// command running on the worker (vpxenc first; later, for chunks after the
// first of a batch, encode-given-state and then the rebase), `XCEncDumpState`
// the decode that writes the chunk's final state.

import { SimError } from './errors.js';

/** The coordinator's states the figures are read from (its class names). */
const RUN = 'XCEncRunState';
const DUMP = 'XCEncDumpState';

export interface WorkerLog {
  readonly chunk: number;
  readonly transitions: readonly { readonly at: number; readonly state: string }[];
}

/** One run: a log file's lines. */
export function parseTransitionLog(text: string, source: string): WorkerLog[] {
  const out: WorkerLog[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const bad = (why: string): never => {
      throw new SimError('invalid-argument', `${source}:${i + 1}: ${why}`);
    };
    const m = /^(\d+):\[(.*)\]$/.exec(line);
    if (m === null) bad('not a "<chunk>:[(<seconds>, \'<State>\'), ...]" line');
    const transitions: { at: number; state: string }[] = [];
    const body = m![2]!;
    const entry = /\(\s*([0-9.eE+-]+)\s*,\s*'(\w+)'\s*\)\s*(,\s*|$)/y;
    while (entry.lastIndex < body.length) {
      const e = entry.exec(body);
      if (e === null) bad(`cannot read a transition at column ${entry.lastIndex + 1} of the list`);
      const at = Number(e![1]);
      if (!Number.isFinite(at) || at < 0) bad(`time ${e![1]} is not a number of seconds`);
      if (transitions.length > 0 && at < transitions[transitions.length - 1]!.at) bad(`time ${at} comes before the one listed ahead of it`);
      transitions.push({ at, state: e![2]! });
    }
    if (transitions.length === 0) bad('no transitions');
    out.push({ chunk: Number(m![1]), transitions });
  }
  if (out.length === 0) throw new SimError('invalid-argument', `${source}: no workers in the log`);
  return out;
}

/** Median, 90th percentile and the extremes of some durations (a quantile q is the value at index floor(q n) of the sorted list). */
export interface Figures {
  readonly count: number;
  readonly median: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
}

export function figuresOf(values: readonly number[]): Figures {
  if (values.length === 0) return { count: 0, median: NaN, p90: NaN, min: NaN, max: NaN };
  const v = Float64Array.from(values).sort();
  const at = (q: number): number => v[Math.min(v.length - 1, Math.floor(q * v.length))]!;
  return { count: v.length, median: at(0.5), p90: at(0.9), min: v[0]!, max: v[v.length - 1]! };
}

/** What paper-profile.ts takes from the logs of one configuration. */
export interface LogFigures {
  readonly runs: number;
  /** Connection time of each worker given a chunk. */
  readonly connect: Figures;
  /** Per run: when its last worker given a chunk connected, and its latency (the last worker's end). */
  readonly lastConnect: readonly number[];
  readonly latency: readonly number[];
  /** The first command: vpxenc on the chunk. */
  readonly encode: Figures;
  /** Encode-given-state of chunks whose predecessor's state was there when it started. */
  readonly givenStateAvailable: Figures;
}

/** The figures of a set of runs of one configuration. */
export function logFigures(runs: readonly (readonly WorkerLog[])[]): LogFigures {
  const connect: number[] = [];
  const encode: number[] = [];
  const given: number[] = [];
  const lastConnect: number[] = [];
  const latency: number[] = [];
  for (const run of runs) {
    const byChunk = new Map(run.map((w) => [w.chunk, w]));
    let last = 0;
    let end = 0;
    for (const w of run) {
      const t = w.transitions;
      connect.push(t[0]!.at);
      last = Math.max(last, t[0]!.at);
      end = Math.max(end, t[t.length - 1]!.at);
      const runs = commandRuns(t);
      if (runs.length > 0) encode.push(runs[0]!.end - runs[0]!.start);
      // The second command of a chunk after the first of its batch is
      // encode-given-state; it needs the predecessor's decoded state, there
      // when the predecessor's Dump ended.
      const before = byChunk.get(w.chunk - 1);
      if (runs.length > 1 && before !== undefined) {
        const ready = dumpEnd(before);
        if (ready !== undefined && ready <= runs[1]!.start) given.push(runs[1]!.end - runs[1]!.start);
      }
    }
    lastConnect.push(last);
    latency.push(end);
  }
  return { runs: runs.length, connect: figuresOf(connect), lastConnect, latency, encode: figuresOf(encode), givenStateAvailable: figuresOf(given) };
}

/** The spans of the worker's `Run` states: each from entering it to the next transition. */
function commandRuns(t: WorkerLog['transitions']): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let i = 0; i + 1 < t.length; i++) if (t[i]!.state === RUN) out.push({ start: t[i]!.at, end: t[i + 1]!.at });
  return out;
}

/** When the worker's decode of its chunk (the `Dump` state) ended. */
function dumpEnd(w: WorkerLog): number | undefined {
  const t = w.transitions;
  const i = t.findIndex((x) => x.state === DUMP);
  return i >= 0 && i + 1 < t.length ? t[i + 1]!.at : undefined;
}

// ---------------------------------------------------------------------------
// The model inputs of a film's profile (paper-profile.ts), from the runs of
// ExCamera[6,16] and ExCamera[6,1] alone; every other configuration in the
// logs is left for the simulator to predict.

/** One run of one part: its logs and what its file name says. */
export interface PartRun {
  readonly file: string;
  /** Chunks per batch (k), the part's first chunk in the film (o), the quality level (y). */
  readonly chunksPerBatch: number;
  readonly offset: number;
  readonly cqLevel: number;
  readonly workers: readonly WorkerLog[];
}

/** Reads k, o and y from a log's name (xcenc_transitions_k16_n880_o0_y10_<date>.log). */
export function partRunOf(file: string, workers: readonly WorkerLog[]): PartRun {
  const m = /_k(\d+)_n(\d+)_o(\d+)_y(\d+)_/.exec(file);
  if (m === null) throw new SimError('invalid-argument', `${file}: not named xcenc_transitions_k<K>_n<N>_o<O>_y<Y>_<date>.log`);
  return { file, chunksPerBatch: Number(m[1]), offset: Number(m[3]), cqLevel: Number(m[4]), workers };
}

/** Probabilities at which measured distributions are kept ([0] the minimum, [1] the maximum). */
export const QUANTILE_POINTS = [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1] as const;

/** [probability, value] points of some values (4 significant digits), at QUANTILE_POINTS. */
export function quantilePoints(values: readonly number[]): [number, number][] {
  if (values.length === 0) throw new SimError('invalid-argument', 'no values to take quantiles of');
  const v = Float64Array.from(values).sort();
  return QUANTILE_POINTS.map((p) => [p, Number(v[Math.round(p * (v.length - 1))]!.toPrecision(4))]);
}

function medianOf(values: readonly number[]): number {
  const v = Float64Array.from(values).sort();
  return v[v.length >> 1]!;
}

/** A phase's durations split into the film's content and the rest (see modelInputs). */
export interface ContentFit {
  /** Median seconds of the phase over all its samples. */
  readonly medianSeconds: number;
  /** The rest: seconds / (median × content), slow workers left out, as quantile points. */
  readonly residual: [number, number][];
  /** Per chunk of the film: how much slower than the median that chunk is (geometric mean over the runs), median 1. */
  readonly content: number[];
}

export interface ModelInputs {
  /** The quality levels of the two configurations (each the mean of the levels its runs were made at). */
  readonly levels: { readonly x16: number; readonly x1: number };
  readonly runs: { readonly x16: number; readonly x1: number };
  /** Chunks of 6 frames in the film (the content profiles' length). */
  readonly chunks: number;
  readonly encode: { readonly x16: ContentFit; readonly x1: ContentFit };
  /** Workers slow in every phase: the encode ratio above which one counts as slow, the rate in each run, each one's ratio, and where its connection fell among its run's (0 first, 1 last). */
  readonly slowWorkers: { readonly threshold: number; readonly runRates: number[]; readonly speeds: number[]; readonly connectRanks: number[] };
  /** One serial rebase step, finish to finish (the predecessor's final state sent, then this chunk's rebase). */
  readonly rebaseStep: ContentFit;
  /** Encode-given-state with the predecessor's state already there. */
  readonly givenState: ContentFit;
  /** Encode-given-state whose state came `stateLateAfter` seconds or more after it began: the seconds from the state's arrival to its end. */
  readonly givenStateAfterLateState: [number, number][];
  readonly stateLateAfter: number;
  /** Decoding the chunk and sending its state (the Dump state, seconds). */
  readonly decode: [number, number][];
  /** Connection (invocation to the first state), fetch and upload of the workers given a chunk (seconds). */
  readonly connect: [number, number][];
  readonly fetch: [number, number][];
  readonly upload: [number, number][];
  /** Runs in which some workers given a chunk connected after `lateAfter` seconds: how many, of how many chunks, and when. */
  readonly lateStarts: { readonly lateAfter: number; readonly runs: number; readonly bursts: { late: number; chunks: number; from: number; to: number }[] };
}

/** Encode ratios above this (about twice the body's 99th percentile) are workers slow in every phase. */
export const SLOW_WORKER_RATIO = 2.2;
/**
 * A state this late to an encode-given-state that began without it comes
 * after the part that needs none (the command's first ~7 s for Sintel: what
 * remains once it comes is then the same, ~10.4 s, however late it was).
 */
const STATE_LATE_AFTER = 6;
/** Connections this late are a burst, not the start latency (the latest of a run without one comes at ~3.5 s). */
const LATE_AFTER = 5;
const LOOP = 'XCEncLoopState';
const FINISH = 'XCEncFinishState';

/** The span of the first `state` of a worker (to the next transition), or null. */
function spanOf(w: WorkerLog, state: string): { start: number; end: number } | null {
  const t = w.transitions;
  const i = t.findIndex((x) => x.state === state);
  return i >= 0 && i + 1 < t.length ? { start: t[i]!.at, end: t[i + 1]!.at } : null;
}

/** Per-chunk content of a phase: the geometric mean over runs of seconds / median, normalised to median 1. */
/** A phase's content per chunk, its median, and each sample's ratio to what those predict. */
interface ContentEstimate {
  readonly medianSeconds: number;
  readonly content: number[];
  ratio(s: { chunk: number; seconds: number }): number;
}

function contentFit(samples: readonly { chunk: number; seconds: number }[], chunks: number): ContentEstimate {
  const median = medianOf(samples.map((s) => s.seconds));
  const logSum = new Float64Array(chunks);
  const count = new Float64Array(chunks);
  for (const s of samples) {
    logSum[s.chunk] += Math.log(s.seconds / median);
    count[s.chunk]++;
  }
  const raw = Array.from(logSum, (v, i) => (count[i]! > 0 ? Math.exp(v / count[i]!) : NaN));
  // A chunk never measured (the first two of a batch have no rebase step)
  // takes its nearest measured neighbour's value.
  const filled = raw.map((v, i) => {
    if (Number.isFinite(v)) return v;
    for (let d = 1; d < chunks; d++) {
      if (Number.isFinite(raw[i + d])) return raw[i + d]!;
      if (Number.isFinite(raw[i - d])) return raw[i - d]!;
    }
    return 1;
  });
  const norm = medianOf(filled);
  const content = filled.map((v) => Number((v / norm).toPrecision(3)));
  const ratio = (s: { chunk: number; seconds: number }): number => s.seconds / (median * content[s.chunk]!);
  return { medianSeconds: Number(median.toPrecision(4)), content, ratio };
}

/**
 * What a film's profile takes from its logs (see docs/simulator.md, "How
 * the paper profiles are derived"): from the runs of ExCamera[6,16] (`x16`)
 * and [6,1] (`x1`), per phase, the film's content (which chunks are slow to
 * code in every run), the spread that remains, the workers slow in every
 * phase, and the whole-run bursts of late connections.
 */
export function modelInputs(x16: readonly PartRun[], x1: readonly PartRun[]): ModelInputs {
  if (x16.length === 0 || x1.length === 0) throw new SimError('invalid-argument', 'model inputs need runs of both ExCamera[6,16] and [6,1]');
  const chunks = Math.max(...[...x16, ...x1].map((r) => r.offset + Math.max(...r.workers.map((w) => w.chunk)) + 1));
  const at = (r: PartRun, w: WorkerLog): number => r.offset + w.chunk;
  // Encode: the first command of every worker.
  const encodeSamples = (runs: readonly PartRun[]) =>
    runs.flatMap((r) => r.workers.flatMap((w) => {
      const c = commandRuns(w.transitions)[0];
      return c === undefined ? [] : [{ run: r, worker: w, chunk: at(r, w), seconds: c.end - c.start }];
    }));
  const e16 = encodeSamples(x16);
  const e1 = encodeSamples(x1);
  const fit16 = contentFit(e16, chunks);
  const fit1 = contentFit(e1, chunks);
  // Slow workers: far beyond the rest in their encode (and, the logs show,
  // in every later phase too).
  const slow = new Set<WorkerLog>();
  const speeds: number[] = [];
  const runRates: number[] = [];
  // Where each slow worker's connection falls among its run's (0: first).
  const connectRanks: number[] = [];
  const rankOf = new Map<WorkerLog, number>();
  for (const r of [...x16, ...x1]) {
    const order = [...r.workers].sort((a, b) => a.transitions[0]!.at - b.transitions[0]!.at);
    order.forEach((w, i) => rankOf.set(w, (i + 0.5) / order.length));
  }
  for (const [samples, fit] of [[e16, fit16], [e1, fit1]] as const) {
    const perRun = new Map<PartRun, number>();
    for (const s of samples) {
      perRun.set(s.run, perRun.get(s.run) ?? 0);
      const ratio = fit.ratio(s);
      if (ratio > SLOW_WORKER_RATIO) {
        slow.add(s.worker);
        speeds.push(Number(ratio.toPrecision(3)));
        connectRanks.push(Number(rankOf.get(s.worker)!.toPrecision(3)));
        perRun.set(s.run, perRun.get(s.run)! + 1);
      }
    }
    for (const [run, n] of perRun) runRates.push(Number((n / run.workers.length).toPrecision(3)));
  }
  const residual = (samples: typeof e16, fit: typeof fit16): [number, number][] => quantilePoints(samples.filter((s) => !slow.has(s.worker)).map((s) => fit.ratio(s)));
  // The [6,16] runs: rebase steps, encode-given-state, decode.
  const steps: { chunk: number; seconds: number; worker: WorkerLog }[] = [];
  const given: { chunk: number; seconds: number }[] = [];
  const givenAfterLate: number[] = [];
  const decode: number[] = [];
  for (const r of x16) {
    const byChunk = new Map(r.workers.map((w) => [w.chunk, w]));
    for (const w of r.workers) {
      if (slow.has(w)) continue;
      const dump = spanOf(w, DUMP);
      if (dump !== null) decode.push(dump.end - dump.start);
      const prev = byChunk.get(w.chunk - 1);
      const position = w.chunk % r.chunksPerBatch;
      if (position === 0 || prev === undefined) continue;
      const runs = commandRuns(w.transitions);
      const ready = dumpEnd(prev);
      if (runs.length > 1 && ready !== undefined && ready <= runs[1]!.start) given.push({ chunk: at(r, w), seconds: runs[1]!.end - runs[1]!.start });
      if (runs.length > 1 && ready !== undefined && ready - runs[1]!.start >= STATE_LATE_AFTER && runs[1]!.end > ready) givenAfterLate.push(runs[1]!.end - ready);
      const prevRuns = commandRuns(prev.transitions);
      if (position >= 2 && runs.length > 2 && prevRuns.length > 2) {
        // From the predecessor's rebase ending (or this one starting, if later) to this one's end.
        const from = Math.max(prevRuns[prevRuns.length - 1]!.end, runs[2]!.start);
        steps.push({ chunk: at(r, w), seconds: runs[2]!.end - from, worker: w });
      }
    }
  }
  const stepFit = contentFit(steps, chunks);
  const givenFit = contentFit(given, chunks);
  // Connections, fetch, upload and late bursts, over every run.
  const connect: number[] = [];
  const fetch: number[] = [];
  const upload: number[] = [];
  const bursts: ModelInputs['lateStarts']['bursts'] = [];
  for (const r of [...x16, ...x1]) {
    const late: number[] = [];
    for (const w of r.workers) {
      const t0 = w.transitions[0]!.at;
      if (t0 > LATE_AFTER) late.push(t0);
      else connect.push(t0);
      const loop = w.transitions.find((x) => x.state === LOOP);
      if (loop !== undefined) fetch.push(loop.at - t0);
      const finish = spanOf(w, FINISH);
      if (finish !== null) upload.push(finish.end - finish.start);
    }
    if (late.length > 0) bursts.push({ late: late.length, chunks: r.workers.length, from: Math.min(...late), to: Math.max(...late) });
  }
  const level = (runs: readonly PartRun[]): number => Math.round(runs.reduce((s, r) => s + r.cqLevel, 0) / runs.length);
  const fitOf = (e: ContentEstimate, residual: [number, number][]): ContentFit => ({ medianSeconds: e.medianSeconds, residual, content: e.content });
  return {
    levels: { x16: level(x16), x1: level(x1) },
    runs: { x16: x16.length, x1: x1.length },
    chunks,
    encode: { x16: fitOf(fit16, residual(e16, fit16)), x1: fitOf(fit1, residual(e1, fit1)) },
    slowWorkers: { threshold: SLOW_WORKER_RATIO, runRates, speeds: speeds.sort((a, b) => a - b), connectRanks: connectRanks.sort((a, b) => a - b) },
    rebaseStep: fitOf(stepFit, quantilePoints(steps.map((s) => stepFit.ratio(s)))),
    givenState: fitOf(givenFit, quantilePoints(given.map((s) => givenFit.ratio(s)))),
    givenStateAfterLateState: quantilePoints(givenAfterLate),
    stateLateAfter: STATE_LATE_AFTER,
    decode: quantilePoints(decode),
    connect: quantilePoints(connect),
    fetch: quantilePoints(fetch),
    upload: quantilePoints(upload),
    lateStarts: { lateAfter: LATE_AFTER, runs: x16.length + x1.length, bursts },
  };
}
