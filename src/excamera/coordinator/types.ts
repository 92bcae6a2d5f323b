// The coordinator's vocabulary: the job it runs, the events it is told of and
// the effects it asks for (docs/architecture.md, "ExCamera, the runtime and the simulator").
//
// The coordinator is a pure function step(state, event) -> [state, effects].
// It has no clock and does no I/O: every event carries the time it happened
// (seconds since the job started, as the shell or the simulator measures it),
// and every effect is data that a shell carries out — the real runtime with
// processes, Lambda invocations and sockets, the simulator with virtual
// workers. Both drive the same code, so what the simulator predicts is what
// the runtime would do.
//
// The job, its [n, x] schedule and the phases a worker takes a chunk through
// are described in ../schedule.ts; their names are re-exported here, beside
// the rest of the coordinator's vocabulary.
//
// A worker that has finished a chunk keeps the two states it sent (its
// "outbox") until the next chunk is uploaded, so that a replacement of that
// next chunk can be given them again; meanwhile it may take another chunk.

import type { ChunkPhase, StateKind } from '../schedule.js';

export { type ChunkPhase, CHUNK_PHASE_INDEX, CHUNK_PHASES, type JobConfig, type StateKind, STATE_KINDS } from '../schedule.js';

/**
 * Where a worker is. `invoking` until it connects; then `idle` (no chunk:
 * about to get one, or a standby spare), `working` (carrying out `phase` of
 * `chunk`), or `waiting` (for chunk-1's state of kind `waitFor` before
 * `phase`). `released` and `failed` are final.
 */
export type WorkerStatus =
  | { readonly kind: 'invoking'; readonly attempt: number }
  | { readonly kind: 'backoff'; readonly attempt: number }
  | { readonly kind: 'idle' }
  | { readonly kind: 'working'; readonly chunk: number; readonly phase: ChunkPhase }
  | { readonly kind: 'waiting'; readonly chunk: number; readonly phase: ChunkPhase; readonly waitFor: StateKind }
  | { readonly kind: 'released' }
  | { readonly kind: 'failed'; readonly reason: string };

/** One line of a worker's transition log. */
export interface Transition {
  readonly at: number;
  readonly worker: number;
  /** What the worker does from `at` on (`working: encode 12`, `waiting: rebase 12`, ...). */
  readonly status: WorkerStatus;
}

/** Commands sent to a connected worker. */
export type Command =
  | { readonly kind: 'fetch'; readonly chunk: number; readonly firstFrame: number; readonly frames: number }
  | { readonly kind: 'encode'; readonly chunk: number }
  | { readonly kind: 'send-state'; readonly chunk: number; readonly to: number }
  | { readonly kind: 'given-state'; readonly chunk: number }
  | { readonly kind: 'rebase'; readonly chunk: number }
  | { readonly kind: 'send-final'; readonly chunk: number; readonly to: number }
  /** Send again, from a finished chunk's outbox, the states a replacement of chunk `to` needs. */
  | { readonly kind: 'resend'; readonly chunk: number; readonly to: number; readonly states: readonly StateKind[] }
  | { readonly kind: 'upload'; readonly chunk: number }
  /** Forget a finished chunk's outbox: the next chunk is safely uploaded. */
  | { readonly kind: 'drop'; readonly chunk: number }
  | { readonly kind: 'quit' };

/** What the coordinator asks its shell to do. */
export type Effect =
  | { readonly kind: 'invoke'; readonly worker: number }
  | { readonly kind: 'command'; readonly worker: number; readonly command: Command }
  /** Stop a worker that is given up on (kill the process; a Lambda just ends on its own). */
  | { readonly kind: 'terminate'; readonly worker: number }
  /** Report `timer` for `worker` after `seconds` (a phase's time limit, or an invocation's backoff). */
  | { readonly kind: 'start-timer'; readonly timer: number; readonly worker: number; readonly seconds: number }
  | { readonly kind: 'cancel-timer'; readonly timer: number; readonly worker: number }
  /** Every chunk is uploaded: concatenate chunks 0..count-1 into the output. */
  | { readonly kind: 'finish'; readonly chunks: number }
  | { readonly kind: 'fail'; readonly reason: string };

/** What the coordinator is told. `at` is seconds since the job started. */
export type Event =
  | { readonly kind: 'start'; readonly at: number }
  /** The invocation was refused; `throttled` ones are retried with backoff. */
  | { readonly kind: 'invoke-failed'; readonly at: number; readonly worker: number; readonly throttled: boolean; readonly reason: string }
  | { readonly kind: 'connected'; readonly at: number; readonly worker: number }
  /** The worker finished `phase` of `chunk` (for send-state/send-final/resend: the state left it). */
  | { readonly kind: 'phase-done'; readonly at: number; readonly worker: number; readonly chunk: number; readonly phase: ChunkPhase }
  /** The worker running `chunk` has received chunk-1's state of `state` kind. */
  | { readonly kind: 'state-received'; readonly at: number; readonly worker: number; readonly chunk: number; readonly state: StateKind }
  /** The worker crashed, closed its connection, or reported an error. */
  | { readonly kind: 'worker-failed'; readonly at: number; readonly worker: number; readonly reason: string }
  | { readonly kind: 'timer'; readonly at: number; readonly timer: number; readonly worker: number };
