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

/** The code of no phase (a worker that has ended). */
export const NO_PHASE = 0;

/**
 * The spans of time workers spent in each phase. Phases are coded as small
 * integers (`codeOf`: 1 + the order they were first seen in), so that a
 * caller folding in millions of transitions — the simulator — can keep each
 * worker's current phase and its start in its own packed records, and add a
 * span as each ends. `observe` does that bookkeeping for a log at hand.
 */
export class PhaseSpans {
  private readonly names: string[] = [];
  private readonly codes = new Map<string, number>();
  private readonly spans: number[][] = [];
  /** For `observe`: each worker's last transition. */
  private readonly open = new Map<number, Transition>();

  /** The code of the phase transition t starts; NO_PHASE for a worker's end. */
  codeOf(t: Transition): number {
    const phase = phaseOf(t);
    if (phase === null) return NO_PHASE;
    let code = this.codes.get(phase);
    if (code === undefined) {
      this.names.push(phase);
      this.spans.push([]);
      this.codes.set(phase, (code = this.names.length));
    }
    return code;
  }

  /** A span of `seconds` in the phase of `code` has ended. */
  add(code: number, seconds: number): void {
    if (code !== NO_PHASE) this.spans[code - 1]!.push(seconds);
  }

  /** The worker's next transition: it ends the phase the worker was in. */
  observe(t: Transition): void {
    const before = this.open.get(t.worker);
    if (before !== undefined) this.add(this.codeOf(before), t.at - before.at);
    this.open.set(t.worker, t);
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
