// What a worker's message means to the coordinator: a pure translation of a
// message, from a connection whose hello has verified, into an event for
// `step` — or a refusal that says why it is no news.
//
// `step` itself ignores events that do not fit its state, so that it stays
// total for the simulator. Here the same messages are refused at the edge of
// the coordinator, each with its reason: a worker the job never started, one
// already released or given up on, a chunk the worker does not run, a phase
// or a state reported twice, a phase reported before it was asked for. A
// refused message is exactly one that `step` would have ignored, so refusing
// it changes nothing; what it adds is a name for each case, and rules that
// can be tested without a socket.

import { type ChunkPhase, CHUNK_PHASE_INDEX, type Event, type StateKind, type WorkerStatus } from '../coordinator/types.js';
import { stateBit } from '../schedule.js';
import type { CoordinatorState } from '../coordinator/coordinator.js';
import type { Message } from '../protocol.js';

/** Why a message is not news for the coordinator. */
export type Refusal =
  /** The connection's worker is none that the job has invoked. */
  | 'unknown-worker'
  /** The worker has been released or given up on: whatever it says now comes too late. */
  | 'ended'
  /** The message is about a chunk that the worker does not run, or that the job does not have. */
  | 'wrong-chunk'
  /** It reports again what is known already: a phase the worker is past, a state already received. */
  | 'duplicate'
  /** It reports a phase the worker has not been told to start yet. */
  | 'out-of-order'
  /** Workers do not send this type of message to the coordinator. */
  | 'not-for-coordinator';

export type Translation = { readonly event: Event } | { readonly refused: Refusal; readonly reason: string };

/** What the translation needs to know: who sent the message, when, and where the job stands. */
export interface MessageContext {
  /** Seconds since the job started: the event's `at`. */
  readonly at: number;
  /** The worker the connection's hello proved it is. */
  readonly worker: number;
  /** Workers invoked so far (they are numbered from 0) and chunks in the job. */
  readonly workers: number;
  readonly chunks: number;
  /** Where worker `w` is (0 <= w < workers). */
  status(w: number): WorkerStatus;
  /** The worker running chunk `c` (0 <= c < chunks), or -1. */
  runner(c: number): number;
  /** Whether chunk `c`'s current run has received chunk c-1's state of `kind`. */
  received(c: number, kind: StateKind): boolean;
}

/** The context of a message from `worker` at `at`, read from the coordinator's state. */
export function contextOf(state: CoordinatorState, worker: number, at: number): MessageContext {
  return {
    at,
    worker,
    workers: state.workers.size,
    chunks: state.chunkCount,
    status: (w) => state.workers.get(w).status,
    runner: (c) => state.chunks.get(c).worker,
    received: (c, kind) => (state.chunks.get(c).received & stateBit(kind)) !== 0,
  };
}

const refuse = (refused: Refusal, reason: string): Translation => ({ refused, reason });

/** The event a worker's message makes, or why it makes none. No I/O, no clock: a function of its arguments. */
export function eventOf(m: Message, ctx: MessageContext): Translation {
  if (m.type !== 'phase-done' && m.type !== 'state-received' && m.type !== 'failed') return refuse('not-for-coordinator', `a ${m.type} message, which workers do not send to the coordinator`);
  const { at, worker } = ctx;
  if (!(Number.isInteger(worker) && worker >= 0 && worker < ctx.workers)) return refuse('unknown-worker', `worker ${worker} is not one of the job's ${ctx.workers} workers`);
  const status = ctx.status(worker);
  if (status.kind === 'released' || status.kind === 'failed') return refuse('ended', `worker ${worker} has ${status.kind === 'released' ? 'been released' : 'failed'} already`);
  switch (m.type) {
    case 'failed':
      return { event: { kind: 'worker-failed', at, worker, reason: m.reason } };
    case 'phase-done':
      return phaseDone(m.chunk, m.phase, status, ctx);
    case 'state-received': {
      const c = m.chunk;
      if (!(Number.isInteger(c) && c >= 0 && c < ctx.chunks) || ctx.runner(c) !== worker) return refuse('wrong-chunk', `a state received for chunk ${c}, which worker ${worker} does not run`);
      if (ctx.received(c, m.state)) return refuse('duplicate', `chunk ${c} has received its ${m.state} state already`);
      return { event: { kind: 'state-received', at, worker, chunk: c, state: m.state } };
    }
  }
}

/** A phase reported done: news only if it is the phase the worker is carrying out, on its chunk. */
function phaseDone(c: number, phase: ChunkPhase, status: WorkerStatus, ctx: MessageContext): Translation {
  const { at, worker } = ctx;
  if (status.kind !== 'working' && status.kind !== 'waiting') return refuse('wrong-chunk', `${phase} of chunk ${c} done, but worker ${worker} runs no chunk (${status.kind})`);
  if (status.chunk !== c) return refuse('wrong-chunk', `${phase} of chunk ${c} done, but worker ${worker} runs chunk ${status.chunk}`);
  const done = CHUNK_PHASE_INDEX[phase];
  const current = CHUNK_PHASE_INDEX[status.phase];
  if (status.kind === 'working' && done === current) return { event: { kind: 'phase-done', at, worker, chunk: c, phase } };
  // A waiting worker has not been told to start `status.phase`.
  if (done < current) return refuse('duplicate', `${phase} of chunk ${c} done again: worker ${worker} is at ${status.phase}`);
  return refuse('out-of-order', `${phase} of chunk ${c} done before worker ${worker} was told to start it (it is ${status.kind === 'working' ? 'at' : 'waiting for'} ${status.phase})`);
}
