// The ExCamera coordinator: step(state, event) -> [state, effects], one
// finite-state machine per worker (DESIGN.md section 5; types.ts has the
// vocabulary and the phases a worker goes through with a chunk).
//
// Scheduling, as the paper's coordinator did it, plus fault handling:
//  - Chunks are handed out in connection order, by rank: every batch's first
//    chunk, then every batch's second, and so on. The earliest workers thus
//    head the serial chains, and slow starters land at their tails, where
//    there is slack.
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
// its events.

import { PVec } from './pvec.js';
import type { ChunkPhase, Command, Effect, Event, JobConfig, StateKind, Transition, WorkerStatus } from './types.js';

const INDEPENDENT = 1;
const FINAL = 2;
const bit = (kind: StateKind): number => (kind === 'independent' ? INDEPENDENT : FINAL);

export interface WorkerRecord {
  readonly status: WorkerStatus;
  /** The timer guarding the current phase, connection or backoff; -1 for none. */
  readonly timer: number;
  /** Finished chunks whose states this worker keeps for the next chunk. */
  readonly outbox: readonly number[];
  readonly invokedAt: number;
  readonly connectedAt: number;
  /** When it stopped (released or failed); NaN while it lives. */
  readonly endedAt: number;
  /** A standby spare, in the coordinator's idle list. */
  readonly standby: boolean;
}

export interface ChunkRecord {
  /** The worker running it, or -1. */
  readonly worker: number;
  /** Runs started. */
  readonly attempts: number;
  readonly uploaded: boolean;
  /** States (INDEPENDENT | FINAL) its current run or its holder has sent to the next chunk. */
  readonly sent: number;
  /** After its run: the worker keeping its states for the next chunk, or -1. */
  readonly holder: number;
  /** States of the chunk before that its current worker has received. */
  readonly received: number;
  readonly lastFailure: string;
}

/** The log: each transition linked to the one before (one object per entry, shared by every later state). */
interface LogEntry extends Transition {
  readonly previous: LogEntry | null;
}

export interface CoordinatorState {
  readonly config: JobConfig;
  readonly chunkCount: number;
  /** Chunks in the order they are handed out. */
  readonly order: readonly number[];
  readonly nextInOrder: number;
  /** Chunks to run again, taken before `order`'s, by rank. */
  readonly requeued: readonly number[];
  readonly workers: PVec<WorkerRecord>;
  readonly chunks: PVec<ChunkRecord>;
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

/** Chunk i's place: position in its batch, and whether the next chunk is in the same batch. */
function position(config: JobConfig, chunk: number): number {
  return chunk % config.chunksPerBatch;
}

function chunkCount(config: JobConfig): number {
  return Math.ceil(config.frames / config.framesPerChunk);
}

function hasNext(s: CoordinatorState, chunk: number): boolean {
  return chunk + 1 < s.chunkCount && position(s.config, chunk + 1) !== 0;
}

/** States chunk `chunk` needs from the chunk before it. */
function needs(config: JobConfig, chunk: number): number {
  const e = position(config, chunk);
  return e === 0 ? 0 : e === 1 ? INDEPENDENT : INDEPENDENT | FINAL;
}

function rank(config: JobConfig, chunk: number): number {
  const batches = Math.ceil(chunkCount(config) / config.chunksPerBatch);
  return position(config, chunk) * batches + Math.floor(chunk / config.chunksPerBatch);
}

/** Checks a job's settings; throws RangeError naming the first bad one. */
export function validateJob(config: JobConfig): void {
  const positiveInt = (name: keyof JobConfig, min: number): void => {
    const v = config[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${String(v)}`);
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
    if (!(config[name] > 0) || !Number.isFinite(config[name])) throw new RangeError(`${name} must be a positive number, got ${config[name]}`);
  }
  if (!Number.isInteger(config.seed)) throw new RangeError(`seed must be an integer, got ${config.seed}`);
}

/** The coordinator before the job starts. */
export function createCoordinator(config: JobConfig): CoordinatorState {
  validateJob(config);
  const count = chunkCount(config);
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => rank(config, a) - rank(config, b));
  const chunk: ChunkRecord = { worker: -1, attempts: 0, uploaded: false, sent: 0, holder: -1, received: 0, lastFailure: '' };
  return {
    config,
    chunkCount: count,
    order,
    nextInOrder: 0,
    requeued: [],
    workers: PVec.empty(),
    chunks: PVec.from(new Array<ChunkRecord>(count).fill(chunk)),
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

/**
 * The phase a transition starts, as reports and timelines name it: `start`
 * (invoked, not yet connected), a chunk phase, `waiting`, `idle` or
 * `backoff`; null for the ends (released, failed).
 */
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
  tx.handle(event);
  return [tx.finish(), tx.effects];
}

/**
 * The working copy of one step. It starts from the old state's values and
 * replaces them (the vectors share structure), so the old state is never
 * changed.
 */
class Step {
  readonly effects: Effect[] = [];
  private s: { -readonly [K in keyof CoordinatorState]: CoordinatorState[K] };

  constructor(
    state: CoordinatorState,
    private readonly at: number,
  ) {
    this.s = { ...state };
    if (state.config.keepLog === false) this.s.log = null;
  }

  finish(): CoordinatorState {
    for (const [w, rec] of this.changedWorkers) this.s.workers = this.s.workers.set(w, rec);
    for (const [c, rec] of this.changedChunks) this.s.chunks = this.s.chunks.set(c, rec);
    return this.s;
  }

  handle(event: Event): void {
    const s = this.s;
    switch (event.kind) {
      case 'start':
        if (s.workers.size > 0) return;
        for (let i = 0; i < s.config.workers + s.config.spares; i++) this.invoke(s.workers.size, 0);
        return;
      case 'invoke-failed':
        return this.invokeFailed(event.worker, event.throttled, event.reason);
      case 'connected':
        return this.connected(event.worker);
      case 'phase-done':
        return this.phaseDone(event.worker, event.chunk, event.phase);
      case 'state-received':
        return this.stateReceived(event.worker, event.chunk, event.state);
      case 'worker-failed':
        return this.workerFailed(event.worker, event.reason, false);
      case 'timer':
        return this.timer(event.worker, event.timer);
    }
  }

  // ---- workers ------------------------------------------------------------

  private worker(w: number): WorkerRecord | undefined {
    return w >= 0 && w < this.s.workers.size ? this.getWorker(w) : undefined;
  }

  // Records changed in this step are kept here and written into the vectors
  // once, in finish(): a record changes several times in a step, and each
  // write to a persistent vector copies a path of nodes.
  private readonly changedWorkers = new Map<number, WorkerRecord>();
  private readonly changedChunks = new Map<number, ChunkRecord>();

  private getWorker(w: number): WorkerRecord {
    return this.changedWorkers.get(w) ?? this.s.workers.get(w);
  }

  private getChunk(c: number): ChunkRecord {
    return this.changedChunks.get(c) ?? this.s.chunks.get(c);
  }

  private setWorker(w: number, change: Partial<WorkerRecord>): void {
    this.changedWorkers.set(w, { ...this.getWorker(w), ...change });
  }

  private setChunk(c: number, change: Partial<ChunkRecord>): void {
    this.changedChunks.set(c, { ...this.getChunk(c), ...change });
  }

  /** Moves worker `w` to `status`, logging it and swapping its timer. */
  private become(w: number, status: WorkerStatus, timerSeconds = 0): void {
    const rec = this.getWorker(w);
    if (rec.timer >= 0) this.effects.push({ kind: 'cancel-timer', timer: rec.timer, worker: w });
    let timer = -1;
    if (timerSeconds > 0) {
      timer = this.s.nextTimer++;
      this.effects.push({ kind: 'start-timer', timer, worker: w, seconds: timerSeconds });
    }
    const ended = status.kind === 'released' || status.kind === 'failed';
    this.setWorker(w, { status, timer, endedAt: ended ? this.at : rec.endedAt });
    this.s.log = { at: this.at, worker: w, status, previous: this.s.log };
  }

  private invoke(w: number, attempt: number): void {
    if (w === this.s.workers.size) {
      this.s.workers = this.s.workers.push({ status: { kind: 'invoking', attempt }, timer: -1, outbox: [], invokedAt: this.at, connectedAt: NaN, endedAt: NaN, standby: false });
      this.s.live++;
    }
    this.become(w, { kind: 'invoking', attempt }, this.s.config.phaseTimeoutSeconds);
    this.effects.push({ kind: 'invoke', worker: w });
  }

  private invokeFailed(w: number, throttled: boolean, reason: string): void {
    const rec = this.worker(w);
    if (rec?.status.kind !== 'invoking') return;
    const attempt = rec.status.attempt;
    if (throttled && attempt < this.s.config.maxInvokeRetries && this.s.outcome === 'running') {
      const { base, cap } = { base: this.s.config.invokeBackoffBaseSeconds, cap: this.s.config.invokeBackoffCapSeconds };
      const delay = Math.min(cap, base * 2 ** attempt) * (0.5 + 0.5 * this.random());
      this.become(w, { kind: 'backoff', attempt: attempt + 1 }, delay);
      return;
    }
    this.end(w, { kind: 'failed', reason: `invocation ${throttled ? 'throttled' : 'failed'} ${attempt + 1} time(s): ${reason}` });
    this.checkProgress();
  }

  private connected(w: number): void {
    const rec = this.worker(w);
    if (rec?.status.kind !== 'invoking') return;
    this.setWorker(w, { connectedAt: this.at });
    if (this.s.outcome !== 'running') {
      this.quit(w);
      return;
    }
    this.becomeIdle(w);
  }

  /**
   * A connected worker without a chunk: give it one; or, if it keeps states
   * for a chunk not yet uploaded, let it wait for that; or keep it as a
   * standby spare; or let it go.
   */
  private becomeIdle(w: number): void {
    if (this.s.outcome !== 'running') {
      this.quit(w);
      return;
    }
    const chunk = this.takeChunk();
    if (chunk >= 0) {
      this.assign(w, chunk);
      return;
    }
    const rec = this.getWorker(w);
    if (rec.outbox.length === 0 && this.s.idleCount >= this.s.config.standby) {
      this.quit(w);
      return;
    }
    if (rec.status.kind !== 'idle') this.become(w, { kind: 'idle' });
    if (rec.outbox.length === 0 && !rec.standby) {
      this.s.idle = this.s.idle.push(w);
      this.s.idleCount++;
      this.setWorker(w, { standby: true });
    }
  }

  private leaveStandby(w: number): void {
    if (!this.getWorker(w).standby) return;
    this.setWorker(w, { standby: false });
    this.s.idleCount--;
  }

  private quit(w: number): void {
    this.effects.push({ kind: 'command', worker: w, command: { kind: 'quit' } });
    this.end(w, { kind: 'released' });
  }

  private end(w: number, status: WorkerStatus): void {
    this.become(w, status);
    this.s.live--;
    this.leaveStandby(w);
  }

  private random(): number {
    // xorshift32: enough for jitter, and part of the state.
    let x = this.s.rng;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s.rng = x;
    return x / 0x100000000;
  }

  // ---- chunks -------------------------------------------------------------

  private pending(): number {
    return this.s.chunkCount - this.s.nextInOrder + this.s.requeued.length;
  }

  private takeChunk(): number {
    if (this.s.outcome !== 'running') return -1;
    if (this.s.requeued.length > 0) {
      const [first, ...rest] = this.s.requeued;
      this.s.requeued = rest;
      return first!;
    }
    if (this.s.nextInOrder < this.s.chunkCount) return this.s.order[this.s.nextInOrder++]!;
    return -1;
  }

  private requeue(c: number, reason: string): void {
    const rec = this.getChunk(c);
    // Running, queued already, or never handed out (then it runs in due course).
    if (rec.worker >= 0 || rec.attempts === 0 || this.s.requeued.includes(c)) return;
    if (rec.attempts >= this.s.config.maxAttemptsPerChunk) {
      this.failJob(`chunk ${c} failed ${rec.attempts} time(s); last: ${reason}`);
      return;
    }
    this.setChunk(c, { lastFailure: reason });
    const r = rank(this.s.config, c);
    this.s.requeued = [...this.s.requeued.filter((i) => rank(this.s.config, i) < r), c, ...this.s.requeued.filter((i) => rank(this.s.config, i) > r)];
    // A standby spare takes it at once.
    while (this.s.idleCount > 0 && this.s.idleHead < this.s.idle.size) {
      const w = this.s.idle.get(this.s.idleHead++);
      if (!this.getWorker(w).standby) continue;
      this.leaveStandby(w);
      this.becomeIdle(w);
      break;
    }
  }

  private assign(w: number, c: number): void {
    const config = this.s.config;
    const rec = this.getChunk(c);
    this.setChunk(c, { worker: w, attempts: rec.attempts + 1, sent: 0, received: 0 });
    const firstFrame = c * config.framesPerChunk;
    const frames = Math.min(config.framesPerChunk, config.frames - firstFrame);
    this.command(w, { kind: 'fetch', chunk: c, firstFrame, frames }, 'fetch');
  }

  /**
   * Chunk c has a new worker, which has fetched it: make sure the states it needs from chunk c-1
   * reach it — sent again by whoever has them, sent in due course by c-1's
   * run, or regenerated by running c-1 again.
   */
  private provideStates(c: number): void {
    // What it still lacks: states that reached it while it fetched need not come again.
    const want = needs(this.s.config, c) & ~this.getChunk(c).received;
    if (want === 0) return;
    const before = this.getChunk(c - 1);
    const source = before.worker >= 0 ? before.worker : before.holder;
    if (source >= 0) {
      const states = (['independent', 'final'] as const).filter((k) => (want & before.sent & bit(k)) !== 0);
      if (states.length > 0) this.effects.push({ kind: 'command', worker: source, command: { kind: 'resend', chunk: c - 1, to: c, states } });
      return;
    }
    this.requeue(c - 1, `its states were lost and chunk ${c} needs them`);
  }

  private command(w: number, command: Command, phase: ChunkPhase): void {
    const c = (command as { chunk: number }).chunk;
    this.effects.push({ kind: 'command', worker: w, command });
    this.become(w, { kind: 'working', chunk: c, phase }, this.s.config.phaseTimeoutSeconds);
  }

  private phaseDone(w: number, c: number, phase: ChunkPhase): void {
    const rec = this.worker(w);
    if (rec === undefined || rec.status.kind !== 'working' || rec.status.chunk !== c || rec.status.phase !== phase) return;
    // The worker has claimed the chunk at the rendezvous (it does so as it
    // fetches): only now can states sent for the chunk reach it rather than
    // a worker that had the chunk before.
    if (phase === 'fetch') this.provideStates(c);
    if (phase === 'send-state') this.setChunk(c, { sent: this.getChunk(c).sent | (position(this.s.config, c) === 0 ? INDEPENDENT | FINAL : INDEPENDENT) });
    if (phase === 'send-final') this.setChunk(c, { sent: this.getChunk(c).sent | FINAL });
    if (phase === 'upload' && !this.getChunk(c).uploaded) {
      this.setChunk(c, { uploaded: true });
      this.s.uploaded++;
      this.chunkUploaded(c);
      if (this.s.outcome !== 'running') return;
    }
    this.advance(w, c, phase);
  }

  /** The phase after `done` for chunk c, or the wait for the state it needs. */
  private advance(w: number, c: number, done: ChunkPhase): void {
    const e = position(this.s.config, c);
    const next = hasNext(this.s, c);
    let phase: ChunkPhase | 'finished';
    switch (done) {
      case 'fetch':
        phase = 'encode';
        break;
      case 'encode':
        phase = next ? 'send-state' : e === 0 ? 'upload' : 'given-state';
        break;
      case 'send-state':
        phase = e === 0 ? 'upload' : 'given-state';
        break;
      case 'given-state':
        phase = e >= 2 ? 'rebase' : next ? 'send-final' : 'upload';
        break;
      case 'rebase':
        phase = next ? 'send-final' : 'upload';
        break;
      case 'send-final':
        phase = 'upload';
        break;
      case 'upload':
        phase = 'finished';
        break;
    }
    // A chunk run again only for its states is already in storage.
    if (phase === 'upload' && this.getChunk(c).uploaded) phase = 'finished';
    if (phase === 'finished') {
      this.chunkFinished(w, c);
      return;
    }
    const waitFor: StateKind | null = phase === 'given-state' ? 'independent' : phase === 'rebase' ? 'final' : null;
    if (waitFor !== null && (this.getChunk(c).received & bit(waitFor)) === 0) {
      this.become(w, { kind: 'waiting', chunk: c, phase, waitFor });
      return;
    }
    this.start(w, c, phase);
  }

  private start(w: number, c: number, phase: ChunkPhase): void {
    const command: Command =
      phase === 'send-state' || phase === 'send-final'
        ? { kind: phase, chunk: c, to: c + 1 }
        : phase === 'fetch'
          ? { kind: 'fetch', chunk: c, firstFrame: c * this.s.config.framesPerChunk, frames: Math.min(this.s.config.framesPerChunk, this.s.config.frames - c * this.s.config.framesPerChunk) }
          : { kind: phase, chunk: c };
    this.command(w, command, phase);
  }

  private stateReceived(w: number, c: number, kind: StateKind): void {
    if (!(c >= 0 && c < this.s.chunkCount)) return;
    const chunk = this.getChunk(c);
    if (chunk.worker !== w) return;
    this.setChunk(c, { received: chunk.received | bit(kind) });
    const rec = this.getWorker(w);
    if (rec.status.kind === 'waiting' && rec.status.chunk === c && rec.status.waitFor === kind) this.start(w, c, rec.status.phase);
  }

  /** Chunk c's run is over: its worker keeps its states if the next chunk may need them. */
  private chunkFinished(w: number, c: number): void {
    const keep = hasNext(this.s, c) && !this.getChunk(c + 1).uploaded;
    this.setChunk(c, { worker: -1, holder: keep ? w : -1, sent: keep ? this.getChunk(c).sent : 0 });
    if (keep) this.setWorker(w, { outbox: [...this.getWorker(w).outbox, c] });
    this.becomeIdle(w);
  }

  /** Chunk c is in storage: the states chunk c-1 kept for it can go. */
  private chunkUploaded(c: number): void {
    if (this.s.uploaded === this.s.chunkCount) {
      this.finishJob();
      return;
    }
    if (position(this.s.config, c) === 0) return;
    const before = this.getChunk(c - 1);
    if (before.holder < 0) return;
    const h = before.holder;
    this.setChunk(c - 1, { holder: -1, sent: 0 });
    this.effects.push({ kind: 'command', worker: h, command: { kind: 'drop', chunk: c - 1 } });
    const rec = this.getWorker(h);
    const outbox = rec.outbox.filter((i) => i !== c - 1);
    this.setWorker(h, { outbox });
    // A worker that only stayed for those states is free again.
    if (rec.status.kind === 'idle' && outbox.length === 0) this.becomeIdle(h);
  }

  // ---- faults -------------------------------------------------------------

  private timer(w: number, timer: number): void {
    const rec = this.worker(w);
    if (rec === undefined || rec.timer !== timer) return;
    this.setWorker(w, { timer: -1 });
    const status = rec.status;
    if (status.kind === 'backoff') {
      this.invoke(w, status.attempt);
      return;
    }
    const what = status.kind === 'invoking' ? 'to connect' : status.kind === 'working' ? `in ${status.phase} of chunk ${status.chunk}` : status.kind;
    this.effects.push({ kind: 'terminate', worker: w });
    this.workerFailed(w, `no answer ${what} within ${this.s.config.phaseTimeoutSeconds} s`, true);
  }

  private workerFailed(w: number, reason: string, timedOut: boolean): void {
    const rec = this.worker(w);
    if (rec === undefined || rec.status.kind === 'released' || rec.status.kind === 'failed') return;
    const status = rec.status;
    this.end(w, { kind: 'failed', reason });
    if (this.s.outcome !== 'running') return;
    this.setWorker(w, { outbox: [] });
    // The states it kept are gone; a chunk still waiting for them gets them from a re-run.
    for (const kept of rec.outbox) {
      this.setChunk(kept, { holder: -1, sent: 0 });
      const next = this.getChunk(kept + 1);
      if (!next.uploaded && next.worker >= 0 && (needs(this.s.config, kept + 1) & ~next.received) !== 0) this.requeue(kept, `worker ${w} keeping its states failed: ${reason}`);
    }
    if (status.kind === 'working' || status.kind === 'waiting') {
      this.setChunk(status.chunk, { worker: -1, sent: 0, received: 0 });
      this.requeue(status.chunk, `worker ${w} ${timedOut ? 'timed out' : 'failed'}: ${reason}`);
    }
    this.checkProgress();
  }

  /** After a loss: invoke replacements if the work left has nobody to do it. */
  private checkProgress(): void {
    if (this.s.outcome !== 'running') return;
    let coming = this.s.idleCount;
    for (let w = 0; w < this.s.workers.size && coming < this.pending(); w++) {
      const k = this.getWorker(w).status.kind;
      if (k === 'invoking' || k === 'backoff') coming++;
    }
    const cap = this.s.config.workers + this.s.config.spares;
    const limit = cap + this.s.chunkCount * this.s.config.maxAttemptsPerChunk;
    while (this.pending() > coming && this.s.live < cap && this.s.workers.size < limit) {
      this.invoke(this.s.workers.size, 0);
      coming++;
    }
    if (this.s.live === 0) this.failJob(`no worker is left to run the ${this.pending()} chunk(s) that remain`);
  }

  // ---- the end ------------------------------------------------------------

  private finishJob(): void {
    this.s.outcome = 'finished';
    this.effects.push({ kind: 'finish', chunks: this.s.chunkCount });
    this.stopAll();
  }

  private failJob(reason: string): void {
    if (this.s.outcome !== 'running') return;
    this.s.outcome = 'failed';
    this.s.failure = reason;
    this.effects.push({ kind: 'fail', reason });
    this.stopAll();
  }

  /** Releases every connected worker; workers still starting are released when they connect. */
  private stopAll(): void {
    this.s.requeued = [];
    this.s.idle = PVec.empty();
    this.s.idleHead = 0;
    this.s.idleCount = 0;
    for (let w = 0; w < this.s.workers.size; w++) {
      const rec = this.getWorker(w);
      const k = rec.status.kind;
      if (k === 'idle' || k === 'working' || k === 'waiting') this.quit(w);
      else if (k === 'backoff') this.end(w, { kind: 'released' });
    }
  }
}
