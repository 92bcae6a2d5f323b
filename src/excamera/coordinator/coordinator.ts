// The ExCamera coordinator: step(state, event) -> [state, effects], one
// finite-state machine per worker (docs/simulator.md, "The coordinator"; types.ts has the
// vocabulary, ../schedule.ts the phases a worker goes through with a chunk).
//
// Scheduling, as the paper's coordinator did it, plus fault handling:
//  - Chunks are handed out in connection order, by rank (Schedule.rank):
//    every batch's first chunk, then every batch's second, and so on.
//  - Workers connecting when every chunk has a worker are spares: `standby`
//    of them stay to replace failed workers, the rest are released at once.
//  - A worker that fails (crash, closed connection, time limit) loses its
//    chunk, which goes back to the front of the queue for an idle worker or
//    a replacement. It also loses the states it kept for the next chunk of
//    its batch; whoever needs them later gets them from a re-run of that
//    chunk (chunks are deterministic, so a re-run produces the same bytes).
//  - A chunk started `maxAttemptsPerChunk` times without success fails the
//    job, with the reason.
// Time only enters through events' `at`, randomness only through the seeded
// generator in the state (backoff jitter), so a run is a pure function of
// its events. This file holds the state and the API; step.ts the step.

import { type JobConfig, Schedule, validateJob } from '../schedule.js';
import { PVec } from './pvec.js';
import { type ChunkTable, initialTables, type WorkerTable } from './records.js';
import { Step } from './step.js';
import type { Effect, Event, Transition } from './types.js';

export { type ChunkRecord, ChunkTable, type WorkerRecord, WorkerTable } from './records.js';

/** The log: each transition linked to the one before (one object per entry, shared by every later state). */
interface LogEntry extends Transition {
  readonly previous: LogEntry | null;
}

export interface CoordinatorState {
  readonly config: JobConfig;
  /** The job's [n, x] schedule. */
  readonly schedule: Schedule;
  readonly chunkCount: number;
  /** Chunks in the order they are handed out. */
  readonly order: readonly number[];
  readonly nextInOrder: number;
  /** Chunks to run again, taken before `order`'s, by rank. */
  readonly requeued: readonly number[];
  readonly workers: WorkerTable;
  readonly chunks: ChunkTable;
  /** Failure reasons that records refer to by index. */
  readonly reasons: PVec<string>;
  /**
   * Standby spares — connected workers without a chunk or kept states — in
   * the order they became idle, from `idleHead` on. Entries of workers that
   * have since left standby (their record's `standby` is false) are skipped
   * when taken, so leaving costs nothing. `idleCount` counts the real ones.
   * (Workers that only keep states for the next chunk wait outside.)
   */
  readonly idle: PVec<number>;
  readonly idleHead: number;
  readonly idleCount: number;
  /** Workers neither released nor failed. */
  readonly live: number;
  readonly uploaded: number;
  readonly nextTimer: number;
  readonly rng: number;
  readonly outcome: 'running' | 'finished' | 'failed';
  readonly failure: string | null;
  readonly log: LogEntry | null;
}

/** The coordinator before the job starts. */
export function createCoordinator(config: JobConfig): CoordinatorState {
  validateJob(config);
  const schedule = new Schedule(config);
  const reasons = PVec.empty<string>();
  const { workers, chunks } = initialTables(schedule.chunks, reasons);
  return {
    config,
    schedule,
    chunkCount: schedule.chunks,
    order: schedule.handoutOrder(),
    nextInOrder: 0,
    requeued: [],
    workers,
    chunks,
    reasons,
    idle: PVec.empty(),
    idleHead: 0,
    idleCount: 0,
    live: 0,
    uploaded: 0,
    nextTimer: 0,
    rng: (config.seed ^ 0x9e3779b9) >>> 0 || 1,
    outcome: 'running',
    failure: null,
    log: null,
  };
}

/**
 * The transitions of every worker, in the order they happened, after
 * `since` (a log position an earlier state returned from `logPosition`).
 * With `keepLog: false`, only the last step's are there.
 */
export function transitions(s: CoordinatorState, since: LogPosition = null): Transition[] {
  const out: Transition[] = [];
  for (let e = s.log; e !== null && e !== since; e = e.previous) out.push({ at: e.at, worker: e.worker, status: e.status });
  return out.reverse();
}

/** A place in the log, to ask later for the transitions that came after it. */
export type LogPosition = object | null;

export function logPosition(s: CoordinatorState): LogPosition {
  return s.log;
}

/**
 * One step: the state after `event`, and what the shell must do. The input
 * state is left as it was.
 */
export function step(state: CoordinatorState, event: Event): [CoordinatorState, Effect[]] {
  const tx = new Step(state, event.at);
  try {
    tx.handle(event);
  } catch (e) {
    tx.abandon();
    throw e;
  }
  return [tx.finish(), tx.effects];
}
