// The ExCamera[n, x] schedule (docs/excamera.md): which frames each chunk
// holds, which states it needs from the chunk before it, the phases a worker
// takes it through, and the order chunks are handed out — and the job's
// settings, with their defaults and checks. The coordinator, the in-process
// pipeline, the worker, the command line and the simulator all ask here, so
// the rule is written once.
//
// Chunk i covers frames [i·n, min((i+1)·n, F)) — the last chunk of a clip
// may be short — and sits at position e = i mod x of its batch; each batch
// starts with a key frame. A worker runs a chunk through these phases:
//
//   fetch        read the chunk's raw frames from storage
//   encode       encode them as an independent chunk (phase 1)
//   send-state   decode that chunk and send the state it ends in to chunk i+1
//                (only when chunk i+1 is in the same batch)
//   given-state  e >= 1: once chunk i-1's state has arrived, encode the first
//                frame against it and rebase the rest (phase 2)
//   rebase       e >= 2: once chunk i-1's true final state has arrived, rebase
//                onto it (phase 3, the serial chain)
//   send-final   e >= 1: send the chunk's true final state to chunk i+1 (same batch)
//   upload       write the chunk's output to storage
//
// A chunk at position 0 is its own output, so the state its send-state sends
// is also its true final state: it needs no send-final.

import { ExcameraError } from './errors.js';

/** A worker's phases with a chunk, in the order it goes through them. */
export type ChunkPhase = 'fetch' | 'encode' | 'send-state' | 'given-state' | 'rebase' | 'send-final' | 'upload';
export const CHUNK_PHASES: readonly ChunkPhase[] = ['fetch', 'encode', 'send-state', 'given-state', 'rebase', 'send-final', 'upload'];

/** A phase's place in CHUNK_PHASES: how compact encodings (tables, event pools) store it. */
export const CHUNK_PHASE_INDEX: Readonly<Record<ChunkPhase, number>> = Object.fromEntries(CHUNK_PHASES.map((p, i) => [p, i])) as Record<ChunkPhase, number>;

/** The two states a chunk sends to the next chunk of its batch. */
export type StateKind = 'independent' | 'final';
/** The state kinds, in the order compact encodings number them. */
export const STATE_KINDS: readonly StateKind[] = ['independent', 'final'];

/** A set of state kinds, one bit each (a state kind's bit is 1 << its index in STATE_KINDS). */
export type StateSet = number;
export const NO_STATES: StateSet = 0;
export const INDEPENDENT: StateSet = 1;
export const FINAL: StateSet = 2;
export const stateBit = (kind: StateKind): StateSet => (kind === 'independent' ? INDEPENDENT : FINAL);

/** How a chunk's output comes about: its independent encode, its encode given state, or a rebase. */
export type ChunkOrigin = 'independent' | 'given-state' | 'rebased';

/** e: chunk i's position in its batch. */
export function positionInBatch(chunk: number, chunksPerBatch: number): number {
  return chunk % chunksPerBatch;
}

/**
 * Where chunk i's output comes from: position 0 is a key frame's chunk, as
 * encoded; position 1 follows a chunk that is never changed, so what it was
 * given is the true state; further on, a chunk is rebased onto its
 * predecessor's true final state.
 */
export function originOf(chunk: number, chunksPerBatch: number): ChunkOrigin {
  const e = positionInBatch(chunk, chunksPerBatch);
  return e === 0 ? 'independent' : e === 1 ? 'given-state' : 'rebased';
}

/** The phase a worker waits for a state before, and which (null: none). */
export function awaitedBefore(phase: ChunkPhase): StateKind | null {
  return phase === 'given-state' ? 'independent' : phase === 'rebase' ? 'final' : null;
}

/** What fixes the schedule: F frames, n per chunk, x chunks per batch. */
export interface ScheduleShape {
  readonly frames: number;
  readonly framesPerChunk: number;
  readonly chunksPerBatch: number;
}

/** The schedule of one job (see the file comment). */
export class Schedule {
  readonly frames: number;
  readonly framesPerChunk: number;
  readonly chunksPerBatch: number;
  /** Chunks in the job. */
  readonly chunks: number;
  /** Batches in the job (the last may be short). */
  readonly batches: number;

  constructor(shape: ScheduleShape) {
    this.frames = shape.frames;
    this.framesPerChunk = shape.framesPerChunk;
    this.chunksPerBatch = shape.chunksPerBatch;
    this.chunks = chunkCount(shape.frames, shape.framesPerChunk);
    this.batches = Math.ceil(this.chunks / this.chunksPerBatch);
  }

  position(chunk: number): number {
    return chunk % this.chunksPerBatch;
  }

  origin(chunk: number): ChunkOrigin {
    return originOf(chunk, this.chunksPerBatch);
  }

  /** The first frame chunk i holds. */
  firstFrame(chunk: number): number {
    return chunk * this.framesPerChunk;
  }

  /** Frames chunk i holds: n, or fewer for the clip's last chunk. */
  framesOf(chunk: number): number {
    return Math.min(this.framesPerChunk, this.frames - chunk * this.framesPerChunk);
  }

  /** Whether chunk i+1 exists and is in chunk i's batch: then chunk i sends it states. */
  hasNext(chunk: number): boolean {
    return chunk + 1 < this.chunks && this.position(chunk + 1) !== 0;
  }

  /** The states chunk i needs from chunk i-1: none at position 0, its independent end at 1, and its true final state too from 2 on. */
  needs(chunk: number): StateSet {
    const e = this.position(chunk);
    return e === 0 ? NO_STATES : e === 1 ? INDEPENDENT : INDEPENDENT | FINAL;
  }

  /** The states chunk i has sent to chunk i+1 once `phase` is done (at position 0 the independent end is the final one). */
  sentBy(chunk: number, phase: ChunkPhase): StateSet {
    if (phase === 'send-state') return this.position(chunk) === 0 ? INDEPENDENT | FINAL : INDEPENDENT;
    return phase === 'send-final' ? FINAL : NO_STATES;
  }

  /** The phase of chunk i after `done`, or `finished` after its upload. */
  next(chunk: number, done: ChunkPhase): ChunkPhase | 'finished' {
    const e = this.position(chunk);
    switch (done) {
      case 'fetch':
        return 'encode';
      case 'encode':
        return this.hasNext(chunk) ? 'send-state' : e === 0 ? 'upload' : 'given-state';
      case 'send-state':
        return e === 0 ? 'upload' : 'given-state';
      case 'given-state':
        return e >= 2 ? 'rebase' : this.hasNext(chunk) ? 'send-final' : 'upload';
      case 'rebase':
        return this.hasNext(chunk) ? 'send-final' : 'upload';
      case 'send-final':
        return 'upload';
      case 'upload':
        return 'finished';
    }
  }

  /** Every phase of chunk i, in order. */
  phasesOf(chunk: number): ChunkPhase[] {
    const out: ChunkPhase[] = [];
    for (let p: ChunkPhase | 'finished' = 'fetch'; p !== 'finished'; p = this.next(chunk, p)) out.push(p);
    return out;
  }

  /** How many chunks go through `phase`. */
  chunksIn(phase: ChunkPhase): number {
    let count = 0;
    for (let c = 0; c < this.chunks; c++) if (this.phasesOf(c).includes(phase)) count++;
    return count;
  }

  /**
   * Chunk i's place in the order chunks are handed out: every batch's first
   * chunk, then every batch's second, and so on. The earliest workers thus
   * head the serial chains, and slow starters land at their tails, where
   * there is slack.
   */
  rank(chunk: number): number {
    return this.position(chunk) * this.batches + Math.floor(chunk / this.chunksPerBatch);
  }

  /** The chunks in the order they are handed out. */
  handoutOrder(): number[] {
    return Array.from({ length: this.chunks }, (_, i) => i).sort((a, b) => this.rank(a) - this.rank(b));
  }
}

/** Chunks of n frames in F frames. */
export function chunkCount(frames: number, framesPerChunk: number): number {
  return Math.ceil(frames / framesPerChunk);
}

// ---- the job's settings -------------------------------------------------------

/** What the job is and how the coordinator may spend workers and time. */
export interface JobConfig extends ScheduleShape {
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

/** The settings a job may leave out (see `jobConfig`). */
export interface JobOptions extends ScheduleShape {
  readonly workers?: number;
  readonly spares?: number;
  readonly standby?: number;
  readonly seed?: number;
  readonly phaseTimeoutSeconds?: number;
  readonly maxAttemptsPerChunk?: number;
}

export const DEFAULT_SPARE_FRACTION = 0.5;
export const DEFAULT_PHASE_TIMEOUT_SECONDS = 120;
export const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * A job's settings with the defaults the simulator, the calibration and the
 * command line share: one worker per chunk, 50% spares (as the paper ran),
 * a standby pool of about 1% of the chunks kept to replace failed workers.
 */
export function jobConfig(o: JobOptions): JobConfig {
  const chunks = chunkCount(o.frames, o.framesPerChunk);
  const workers = o.workers ?? chunks;
  const spares = o.spares ?? Math.ceil(DEFAULT_SPARE_FRACTION * workers);
  return {
    frames: o.frames,
    framesPerChunk: o.framesPerChunk,
    chunksPerBatch: o.chunksPerBatch,
    workers,
    spares,
    standby: o.standby ?? Math.min(spares, Math.max(1, Math.ceil(chunks / 100))),
    phaseTimeoutSeconds: o.phaseTimeoutSeconds ?? DEFAULT_PHASE_TIMEOUT_SECONDS,
    maxAttemptsPerChunk: o.maxAttemptsPerChunk ?? DEFAULT_MAX_ATTEMPTS,
    maxInvokeRetries: 8,
    invokeBackoffBaseSeconds: 0.25,
    invokeBackoffCapSeconds: 8,
    seed: o.seed ?? 1,
  };
}

/** Checks a job's settings; throws an ExcameraError (invalid-argument) naming the first bad one. */
export function validateJob(config: JobConfig): void {
  const positiveInt = (name: keyof JobConfig, min: number): void => {
    const v = config[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ExcameraError('invalid-argument', `${name} must be an integer >= ${min}, got ${String(v)}`);
  };
  positiveInt('frames', 1);
  positiveInt('framesPerChunk', 1);
  positiveInt('chunksPerBatch', 1);
  positiveInt('workers', 1);
  positiveInt('spares', 0);
  positiveInt('standby', 0);
  positiveInt('maxAttemptsPerChunk', 1);
  positiveInt('maxInvokeRetries', 0);
  for (const name of ['phaseTimeoutSeconds', 'invokeBackoffBaseSeconds', 'invokeBackoffCapSeconds'] as const) {
    if (!(config[name] > 0) || !Number.isFinite(config[name])) throw new ExcameraError('invalid-argument', `${name} must be a positive number, got ${config[name]}`);
  }
  if (!Number.isInteger(config.seed)) throw new ExcameraError('invalid-argument', `seed must be an integer, got ${config.seed}`);
}
