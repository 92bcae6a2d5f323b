// Phases as reports name them, and the summaries made of them: how long
// workers spent in each, from the coordinator's transitions. `excamera xc`
// reports worker-seconds per phase of a real run, the simulator statistics
// per phase of a simulated one, the timeline draws them; all name, order and
// measure phases here, so that a prediction and a run read alike.
//
// A transition starts a phase: `start` (invoked, not yet connected), one of
// a chunk's phases (schedule.ts), `waiting` (for a state), `idle` or
// `backoff`; a worker's released or failed end starts none. A phase lasts
// until the worker's next transition.

import type { Transition } from './coordinator/types.js';

/** The order reports list phases in: roughly the order a worker meets them. */
export const PHASE_ORDER: readonly string[] = ['start', 'fetch', 'encode', 'send-state', 'given-state', 'waiting', 'rebase', 'send-final', 'upload', 'idle', 'backoff'];

/** A phase's place in PHASE_ORDER; any other name comes after them all. */
export function phaseRank(phase: string): number {
  const i = PHASE_ORDER.indexOf(phase);
  return i < 0 ? PHASE_ORDER.length : i;
}

/** The phase a transition starts (see the file comment); null for the ends (released, failed). */
export function phaseOf(t: Transition): string | null {
  switch (t.status.kind) {
    case 'invoking':
      return 'start';
    case 'working':
      return t.status.phase;
    case 'released':
    case 'failed':
      return null;
    default:
      return t.status.kind;
  }
}

/** Durations of one kind of worker activity over the job. */
export interface PhaseStats {
  readonly count: number;
  /** Worker-seconds spent in it. */
  readonly totalSeconds: number;
  readonly medianSeconds: number;
  readonly p90Seconds: number;
  readonly maxSeconds: number;
}

/** `open` codes: 0 none, else 1 + the phase's index in `names`. */
const NONE = 0;

/**
 * The spans of time workers spent in each phase, folded in transition by
 * transition (a simulation of 100,000 workers need not keep its millions of
 * transitions). Per worker it keeps only the phase it is in and since when.
 */
export class PhaseSpans {
  private readonly names: string[] = [];
  private readonly codes = new Map<string, number>();
  private readonly spans: number[][] = [];
  private open = new Int32Array(64);
  private since = new Float64Array(64);
  /** Workers seen: 1 + the highest worker number. */
  private workers = 0;

  /** The worker's next transition: it ends the phase the worker was in. */
  observe(t: Transition): void {
    const w = t.worker;
    if (w >= this.workers) this.grow(w + 1);
    const open = this.open[w]!;
    if (open !== NONE) this.spans[open - 1]!.push(t.at - this.since[w]!);
    const phase = phaseOf(t);
    this.open[w] = phase === null ? NONE : this.code(phase);
    this.since[w] = t.at;
  }

  /** Ends, at `at`, the phase each worker is still in (the job is over). */
  closeAll(at: number): void {
    for (let w = 0; w < this.workers; w++) {
      const open = this.open[w]!;
      if (open !== NONE) this.spans[open - 1]!.push(at - this.since[w]!);
      this.open[w] = NONE;
    }
  }

  /** Count, total, median, p90 and max of each phase's ended spans, phases in PHASE_ORDER. */
  stats(): Record<string, PhaseStats> {
    const out: Record<string, PhaseStats> = {};
    for (const k of this.ordered()) {
      if (this.spans[k]!.length === 0) continue;
      const v = Float64Array.from(this.spans[k]!).sort();
      const at = (q: number): number => v[Math.min(v.length - 1, Math.floor(q * v.length))]!;
      let total = 0;
      for (const x of v) total += x;
      out[this.names[k]!] = { count: v.length, totalSeconds: total, medianSeconds: at(0.5), p90Seconds: at(0.9), maxSeconds: v[v.length - 1]! };
    }
    return out;
  }

  /**
   * Worker-seconds in each phase but `idle` (a worker without a chunk that
   * is let go at once), phases in PHASE_ORDER, summed in the order the
   * spans ended.
   */
  workerSeconds(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of this.ordered()) {
      const name = this.names[k]!;
      if (name === 'idle' || phaseRank(name) === PHASE_ORDER.length || this.spans[k]!.length === 0) continue;
      let total = 0;
      for (const x of this.spans[k]!) total += x;
      out[name] = total;
    }
    return out;
  }

  /** The phases seen, as indices in `names`, in PHASE_ORDER (others after, as first seen). */
  private ordered(): number[] {
    return this.names.map((_, k) => k).sort((a, b) => phaseRank(this.names[a]!) - phaseRank(this.names[b]!));
  }

  private code(phase: string): number {
    let code = this.codes.get(phase);
    if (code === undefined) {
      this.names.push(phase);
      this.spans.push([]);
      this.codes.set(phase, (code = this.names.length));
    }
    return code;
  }

  private grow(workers: number): void {
    if (workers > this.open.length) {
      const size = Math.max(workers, 2 * this.open.length);
      const open = new Int32Array(size);
      open.set(this.open);
      const since = new Float64Array(size);
      since.set(this.since);
      this.open = open;
      this.since = since;
    }
    this.workers = workers;
  }
}

/**
 * Worker-seconds per phase of a finished run, from its transitions (see
 * PhaseSpans.workerSeconds). A phase a worker was still in at the end — a
 * worker still starting when the job finished — is not counted.
 */
export function workerSecondsByPhase(transitions: Iterable<Transition>): Record<string, number> {
  const spans = new PhaseSpans();
  for (const t of transitions) spans.observe(t);
  return spans.workerSeconds();
}

/** Seconds in a phase, and per frame of the clip. */
export interface PhaseSummary {
  readonly seconds: number;
  readonly msPerFrame: number;
}

/** Seconds per phase (compute time in process, or worker-seconds), rounded for a report: to 1 ms, and 0.1 ms per frame. */
export function phaseSummary(seconds: Readonly<Record<string, number>>, frames: number): Record<string, PhaseSummary> {
  const round = (v: number, digits: number): number => Number(v.toFixed(digits));
  return Object.fromEntries(Object.entries(seconds).map(([p, sec]) => [p, { seconds: round(sec, 3), msPerFrame: round((1000 * sec) / frames, 1) }]));
}
