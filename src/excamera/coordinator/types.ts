// The coordinator's vocabulary: the job it runs, the events it is told of and
// the effects it asks for (DESIGN.md section 5, "Runtime pieces").
//
// The coordinator is a pure function step(state, event) -> [state, effects].
// It has no clock and does no I/O: every event carries the time it happened
// (seconds since the job started, as the shell or the simulator measures it),
// and every effect is data that a shell carries out — the real runtime with
// processes, Lambda invocations and sockets, the simulator with virtual
// workers. Both drive the same code, so what the simulator predicts is what
// the runtime would do.
//
// The job is ExCamera[n, x]: chunk i covers frames [i·n, min((i+1)·n, F)) and
// sits at position e = i mod x of its batch. A worker runs one chunk at a time
// through these phases:
//
//   fetch        read the chunk's raw frames from storage
//   encode       encode them as an independent chunk (phase 1)
//   send-state   decode that chunk and send its final state to chunk i+1
//                (only when chunk i+1 is in the same batch)
//   given-state  e >= 1: once chunk i-1's state has arrived, encode the first
//                frame against it and rebase the rest (phase 2)
//   rebase       e >= 2: once chunk i-1's true final state has arrived, rebase
//                onto it (phase 3, the serial chain)
//   send-final   send the chunk's true final state to chunk i+1 (same batch)
//   upload       write the chunk's output to storage
//
// A worker that has finished a chunk keeps the two states it sent (its
// "outbox") until the next chunk is uploaded, so that a replacement of that
// next chunk can be given them again; meanwhile it may take another chunk.

/** What the job is and how the coordinator may spend workers and time. */
export interface JobConfig {
  /** F: frames in the input. */
  readonly frames: number;
  /** n: frames per chunk. */
  readonly framesPerChunk: number;
  /** x: chunks per batch (a key frame every n·x frames). */
  readonly chunksPerBatch: number;
  /** Workers invoked at the start to run chunks (usually one per chunk). */
  readonly workers: number;
  /** Extra workers invoked at the start: they absorb slow starters and replace failed workers. */
  readonly spares: number;
  /**
   * Spares kept idle for replacing failed workers once every chunk has a
   * worker; any further spare is released as soon as it connects.
   */
  readonly standby: number;
  /** Seconds a worker may take in one phase (or to connect) before it is given up. */
  readonly phaseTimeoutSeconds: number;
  /** How many times a chunk may be started before the job fails. */
  readonly maxAttemptsPerChunk: number;
  /** Invocations refused for throttling are retried this many times per worker. */
  readonly maxInvokeRetries: number;
  /** Backoff before the k-th retry: min(cap, base·2^k), times a uniform jitter in [0.5, 1). */
  readonly invokeBackoffBaseSeconds: number;
  readonly invokeBackoffCapSeconds: number;
  /** Seeds the coordinator's own generator (used for backoff jitter only). */
  readonly seed: number;
  /**
   * Keep every transition in the state (the default). When false, the state's
   * log holds only the last step's transitions: a shell that folds them into
   * its own statistics as they come need not keep millions of them.
   */
  readonly keepLog?: boolean;
}

/** A worker's phases with a chunk, in the order it goes through them. */
export type ChunkPhase = 'fetch' | 'encode' | 'send-state' | 'given-state' | 'rebase' | 'send-final' | 'upload';
export const CHUNK_PHASES: readonly ChunkPhase[] = ['fetch', 'encode', 'send-state', 'given-state', 'rebase', 'send-final', 'upload'];

/** A phase's place in CHUNK_PHASES: how compact encodings (tables, event pools) store it. */
export const CHUNK_PHASE_INDEX: Readonly<Record<ChunkPhase, number>> = Object.fromEntries(CHUNK_PHASES.map((p, i) => [p, i])) as Record<ChunkPhase, number>;

/** The two states a chunk sends to the next chunk of its batch. */
export type StateKind = 'independent' | 'final';
/** The state kinds, in the order compact encodings number them. */
export const STATE_KINDS: readonly StateKind[] = ['independent', 'final'];

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
