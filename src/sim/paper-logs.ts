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
