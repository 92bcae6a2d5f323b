// Phase summaries from a transition log: what xc reports (worker-seconds per
// phase) and what the simulator reports (statistics per phase) agree on
// names, order and spans.

import { describe, expect, it } from 'vitest';
import type { Transition, WorkerStatus } from '../../src/excamera/coordinator/types.js';
import { PHASE_ORDER, phaseOf, PhaseSpans, phaseSummary, workerSecondsByPhase } from '../../src/excamera/phases.js';

const t = (at: number, worker: number, status: WorkerStatus): Transition => ({ at, worker, status });

// Two workers: 0 runs chunk 0, waits, is released; 1 connects late, is idle, then still starting another.
const LOG: Transition[] = [
  t(0, 0, { kind: 'invoking', attempt: 0 }),
  t(0, 1, { kind: 'invoking', attempt: 0 }),
  t(1, 0, { kind: 'working', chunk: 0, phase: 'fetch' }),
  t(2, 1, { kind: 'idle' }),
  t(3, 0, { kind: 'working', chunk: 0, phase: 'encode' }),
  t(7, 0, { kind: 'waiting', chunk: 0, phase: 'given-state', waitFor: 'independent' }),
  t(8, 0, { kind: 'working', chunk: 0, phase: 'given-state' }),
  t(9.5, 1, { kind: 'released' }),
  t(10, 0, { kind: 'working', chunk: 0, phase: 'upload' }),
  t(11, 0, { kind: 'released' }),
  t(12, 2, { kind: 'invoking', attempt: 0 }),
];

describe('phases', () => {
  it('names the phase each transition starts', () => {
    expect(LOG.map(phaseOf)).toEqual(['start', 'start', 'fetch', 'idle', 'encode', 'waiting', 'given-state', null, 'upload', null, 'start']);
  });

  it('sums worker-seconds per phase in report order, without idle or a phase still open', () => {
    const seconds = workerSecondsByPhase(LOG);
    expect(seconds).toEqual({ start: 3, fetch: 2, encode: 4, 'given-state': 2, waiting: 1, upload: 1 });
    expect(Object.keys(seconds)).toEqual(PHASE_ORDER.filter((p) => p in seconds));
    expect(phaseSummary(seconds, 4)).toMatchObject({ encode: { seconds: 4, msPerFrame: 1000 } });
  });

  it('gives the simulator per-phase statistics from the same spans', () => {
    const spans = new PhaseSpans();
    const open = new Map<number, { code: number; at: number }>();
    for (const x of LOG) {
      const before = open.get(x.worker);
      if (before) spans.add(before.code, x.at - before.at);
      open.set(x.worker, { code: spans.codeOf(x), at: x.at });
    }
    for (const o of open.values()) spans.add(o.code, 20 - o.at);
    const stats = spans.stats();
    expect(Object.keys(stats)).toEqual(['start', 'fetch', 'encode', 'given-state', 'waiting', 'upload', 'idle']);
    expect(stats.start).toEqual({ count: 3, totalSeconds: 11, medianSeconds: 2, p90Seconds: 8, maxSeconds: 8 });
    expect(stats.idle).toEqual({ count: 1, totalSeconds: 7.5, medianSeconds: 7.5, p90Seconds: 7.5, maxSeconds: 7.5 });
  });
});
