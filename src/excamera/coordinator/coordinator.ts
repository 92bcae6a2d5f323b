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

import { PTable, type TableEdit } from './ptable.js';
import { PVec } from './pvec.js';
import { type ChunkPhase, CHUNK_PHASE_INDEX, CHUNK_PHASES, type Command, type Effect, type Event, type JobConfig, type StateKind, STATE_KINDS, type Transition, type WorkerStatus } from './types.js';

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

// The records live as rows of numbers in persistent tables (ptable.ts): a
// record object per change would outlive the young generation in a job of
// 100,000 workers and be copied by every garbage collection. Strings (failure
// reasons) go in a persistent list, and a row holds their index.

/** A worker's row. */
const W_KIND = 0; // status kind (K_*)
const W_CHUNK = 1; // working/waiting: the chunk
const W_PHASE = 2; // working/waiting: the phase (index in CHUNK_PHASES)
const W_AUX = 3; // invoking/backoff: the attempt; waiting: the state kind awaited; failed: the reason's index
const W_TIMER = 4;
const W_INVOKED = 5;
const W_CONNECTED = 6;
const W_ENDED = 7;
const W_STANDBY = 8;
/** The outbox, a list linked through the chunks' rows (C_OUTBOX_NEXT), in the order chunks joined it. */
const W_OUTBOX_HEAD = 9;
const W_OUTBOX_TAIL = 10;
const W_OUTBOX_COUNT = 11;
const WORKER_FIELDS = 12;

const K_INVOKING = 0;
const K_BACKOFF = 1;
const K_IDLE = 2;
const K_WORKING = 3;
const K_WAITING = 4;
const K_RELEASED = 5;
const K_FAILED = 6;
const KIND_NAMES: readonly WorkerStatus['kind'][] = ['invoking', 'backoff', 'idle', 'working', 'waiting', 'released', 'failed'];

/** A chunk's row. */
const C_WORKER = 0;
const C_ATTEMPTS = 1;
const C_UPLOADED = 2;
const C_SENT = 3;
const C_HOLDER = 4;
const C_RECEIVED = 5;
const C_FAILURE = 6; // the last failure's index in the reasons, or -1
const C_OUTBOX_NEXT = 7;
const CHUNK_FIELDS = 8;

/** A row with `fields` fields, zero but for `set`. */
function newRow(fields: number, set: readonly (readonly [number, number])[]): number[] {
  const r = new Array<number>(fields).fill(0);
  for (const [field, value] of set) r[field] = value;
  return r;
}

const NEW_CHUNK = newRow(CHUNK_FIELDS, [
  [C_WORKER, -1],
  [C_HOLDER, -1],
  [C_FAILURE, -1],
  [C_OUTBOX_NEXT, -1],
]);

function statusOf(row: (field: number) => number, reasons: PVec<string>): WorkerStatus {
  const chunk = row(W_CHUNK);
  const aux = row(W_AUX);
  switch (row(W_KIND)) {
    case K_INVOKING:
      return { kind: 'invoking', attempt: aux };
    case K_BACKOFF:
      return { kind: 'backoff', attempt: aux };
    case K_IDLE:
      return { kind: 'idle' };
    case K_WORKING:
      return { kind: 'working', chunk, phase: CHUNK_PHASES[row(W_PHASE)]! };
    case K_WAITING:
      return { kind: 'waiting', chunk, phase: CHUNK_PHASES[row(W_PHASE)]!, waitFor: STATE_KINDS[aux]! };
    case K_RELEASED:
      return { kind: 'released' };
    default:
      return { kind: 'failed', reason: reasons.get(aux) };
  }
}

/** The workers of a state, read as records. */
export class WorkerTable {
  constructor(
    readonly rows: PTable,
    private readonly chunkRows: PTable,
    private readonly reasons: PVec<string>,
  ) {}

  get size(): number {
    return this.rows.size;
  }

  get(w: number): WorkerRecord {
    const row = (field: number): number => this.rows.get(w, field);
    const outbox: number[] = [];
    for (let c = row(W_OUTBOX_HEAD); c >= 0; c = this.chunkRows.get(c, C_OUTBOX_NEXT)) outbox.push(c);
    return { status: statusOf(row, this.reasons), timer: row(W_TIMER), outbox, invokedAt: row(W_INVOKED), connectedAt: row(W_CONNECTED), endedAt: row(W_ENDED), standby: row(W_STANDBY) === 1 };
  }

  toArray(): WorkerRecord[] {
    return Array.from({ length: this.size }, (_, w) => this.get(w));
  }
}

/** The chunks of a state, read as records. */
export class ChunkTable {
  constructor(
    readonly rows: PTable,
    private readonly reasons: PVec<string>,
  ) {}

  get size(): number {
    return this.rows.size;
  }

  get(c: number): ChunkRecord {
    const row = (field: number): number => this.rows.get(c, field);
    const failure = row(C_FAILURE);
    return { worker: row(C_WORKER), attempts: row(C_ATTEMPTS), uploaded: row(C_UPLOADED) === 1, sent: row(C_SENT), holder: row(C_HOLDER), received: row(C_RECEIVED), lastFailure: failure >= 0 ? this.reasons.get(failure) : '' };
  }

  toArray(): ChunkRecord[] {
    return Array.from({ length: this.size }, (_, c) => this.get(c));
  }
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
  const reasons = PVec.empty<string>();
  const chunks = PTable.filled(NEW_CHUNK, count);
  return {
    config,
    chunkCount: count,
    order,
    nextInOrder: 0,
    requeued: [],
    workers: new WorkerTable(PTable.filled(newRow(WORKER_FIELDS, []), 0), chunks, reasons),
    chunks: new ChunkTable(chunks, reasons),
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
  try {
    tx.handle(event);
  } catch (e) {
    tx.abandon();
    throw e;
  }
  return [tx.finish(), tx.effects];
}

/**
 * The working copy of one step. Its tables are edits of the old state's:
 * written in place with every overwritten value logged, and made a new
 * version at the end, so the old state reads as it was.
 */
class Step {
  readonly effects: Effect[] = [];
  private s: { -readonly [K in keyof CoordinatorState]: CoordinatorState[K] };
  private readonly W: TableEdit;
  private readonly C: TableEdit;

  constructor(
    state: CoordinatorState,
    private readonly at: number,
  ) {
    this.s = { ...state };
    if (state.config.keepLog === false) this.s.log = null;
    this.W = state.workers.rows.edit();
    this.C = state.chunks.rows.edit();
  }

  finish(): CoordinatorState {
    const chunks = this.C.commit();
    this.s.workers = new WorkerTable(this.W.commit(), chunks, this.s.reasons);
    this.s.chunks = new ChunkTable(chunks, this.s.reasons);
    return this.s;
  }

  abandon(): void {
    this.W.abandon();
    this.C.abandon();
  }

  handle(event: Event): void {
    const s = this.s;
    switch (event.kind) {
      case 'start':
        if (this.W.rows > 0) return;
        for (let i = 0; i < s.config.workers + s.config.spares; i++) this.invoke(this.W.rows, 0);
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

  private exists(w: number): boolean {
    return w >= 0 && w < this.W.rows;
  }

  private kind(w: number): number {
    return this.W.get(w, W_KIND);
  }

  /** A failure reason's index in the state's list of them. */
  private reason(text: string): number {
    this.s.reasons = this.s.reasons.push(text);
    return this.s.reasons.size - 1;
  }

  /** Moves worker `w` to `status`, logging it and swapping its timer. */
  private become(w: number, status: WorkerStatus, timerSeconds = 0): void {
    const W = this.W;
    const old = W.get(w, W_TIMER);
    if (old >= 0) this.effects.push({ kind: 'cancel-timer', timer: old, worker: w });
    let timer = -1;
    if (timerSeconds > 0) {
      timer = this.s.nextTimer++;
      this.effects.push({ kind: 'start-timer', timer, worker: w, seconds: timerSeconds });
    }
    let kind: number;
    switch (status.kind) {
      case 'invoking':
      case 'backoff':
        kind = status.kind === 'invoking' ? K_INVOKING : K_BACKOFF;
        W.set(w, W_AUX, status.attempt);
        break;
      case 'working':
      case 'waiting':
        kind = status.kind === 'working' ? K_WORKING : K_WAITING;
        W.set(w, W_CHUNK, status.chunk);
        W.set(w, W_PHASE, CHUNK_PHASE_INDEX[status.phase]);
        if (status.kind === 'waiting') W.set(w, W_AUX, status.waitFor === 'independent' ? 0 : 1);
        break;
      case 'failed':
        kind = K_FAILED;
        W.set(w, W_AUX, this.reason(status.reason));
        break;
      default:
        kind = status.kind === 'idle' ? K_IDLE : K_RELEASED;
    }
    W.set(w, W_KIND, kind);
    W.set(w, W_TIMER, timer);
    if (kind === K_RELEASED || kind === K_FAILED) W.set(w, W_ENDED, this.at);
    this.s.log = { at: this.at, worker: w, status, previous: this.s.log };
  }

  private invoke(w: number, attempt: number): void {
    if (w === this.W.rows) {
      this.W.push(
        newRow(WORKER_FIELDS, [
          [W_KIND, K_INVOKING],
          [W_CHUNK, -1],
          [W_AUX, attempt],
          [W_TIMER, -1],
          [W_INVOKED, this.at],
          [W_CONNECTED, NaN],
          [W_ENDED, NaN],
          [W_OUTBOX_HEAD, -1],
          [W_OUTBOX_TAIL, -1],
        ]),
      );
      this.s.live++;
    }
    this.become(w, { kind: 'invoking', attempt }, this.s.config.phaseTimeoutSeconds);
    this.effects.push({ kind: 'invoke', worker: w });
  }

  private invokeFailed(w: number, throttled: boolean, reason: string): void {
    if (!this.exists(w) || this.kind(w) !== K_INVOKING) return;
    const attempt = this.W.get(w, W_AUX);
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
    if (!this.exists(w) || this.kind(w) !== K_INVOKING) return;
    this.W.set(w, W_CONNECTED, this.at);
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
    const keeps = this.W.get(w, W_OUTBOX_COUNT) > 0;
    if (!keeps && this.s.idleCount >= this.s.config.standby) {
      this.quit(w);
      return;
    }
    if (this.kind(w) !== K_IDLE) this.become(w, { kind: 'idle' });
    if (!keeps && this.W.get(w, W_STANDBY) !== 1) {
      this.s.idle = this.s.idle.push(w);
      this.s.idleCount++;
      this.W.set(w, W_STANDBY, 1);
    }
  }

  private leaveStandby(w: number): void {
    if (this.W.get(w, W_STANDBY) !== 1) return;
    this.W.set(w, W_STANDBY, 0);
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

  // ---- outboxes -----------------------------------------------------------

  /** Chunk c joins the end of worker w's outbox. */
  private keep(w: number, c: number): void {
    const W = this.W;
    this.C.set(c, C_OUTBOX_NEXT, -1);
    const tail = W.get(w, W_OUTBOX_TAIL);
    if (tail >= 0) this.C.set(tail, C_OUTBOX_NEXT, c);
    else W.set(w, W_OUTBOX_HEAD, c);
    W.set(w, W_OUTBOX_TAIL, c);
    W.set(w, W_OUTBOX_COUNT, W.get(w, W_OUTBOX_COUNT) + 1);
  }

  /** Chunk c leaves worker w's outbox (if it is there). */
  private unkeep(w: number, c: number): void {
    const W = this.W;
    let before = -1;
    let at = W.get(w, W_OUTBOX_HEAD);
    while (at >= 0 && at !== c) {
      before = at;
      at = this.C.get(at, C_OUTBOX_NEXT);
    }
    if (at < 0) return;
    const after = this.C.get(c, C_OUTBOX_NEXT);
    if (before >= 0) this.C.set(before, C_OUTBOX_NEXT, after);
    else W.set(w, W_OUTBOX_HEAD, after);
    if (W.get(w, W_OUTBOX_TAIL) === c) W.set(w, W_OUTBOX_TAIL, before);
    this.C.set(c, C_OUTBOX_NEXT, -1);
    W.set(w, W_OUTBOX_COUNT, W.get(w, W_OUTBOX_COUNT) - 1);
  }

  /** Empties worker w's outbox; returns what was in it, in order. */
  private unkeepAll(w: number): number[] {
    const kept: number[] = [];
    for (let c = this.W.get(w, W_OUTBOX_HEAD); c >= 0; ) {
      kept.push(c);
      const next = this.C.get(c, C_OUTBOX_NEXT);
      this.C.set(c, C_OUTBOX_NEXT, -1);
      c = next;
    }
    this.W.set(w, W_OUTBOX_HEAD, -1);
    this.W.set(w, W_OUTBOX_TAIL, -1);
    this.W.set(w, W_OUTBOX_COUNT, 0);
    return kept;
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
    const attempts = this.C.get(c, C_ATTEMPTS);
    // Running, queued already, or never handed out (then it runs in due course).
    if (this.C.get(c, C_WORKER) >= 0 || attempts === 0 || this.s.requeued.includes(c)) return;
    if (attempts >= this.s.config.maxAttemptsPerChunk) {
      this.failJob(`chunk ${c} failed ${attempts} time(s); last: ${reason}`);
      return;
    }
    this.C.set(c, C_FAILURE, this.reason(reason));
    const r = rank(this.s.config, c);
    this.s.requeued = [...this.s.requeued.filter((i) => rank(this.s.config, i) < r), c, ...this.s.requeued.filter((i) => rank(this.s.config, i) > r)];
    // A standby spare takes it at once.
    while (this.s.idleCount > 0 && this.s.idleHead < this.s.idle.size) {
      const w = this.s.idle.get(this.s.idleHead++);
      if (this.W.get(w, W_STANDBY) !== 1) continue;
      this.leaveStandby(w);
      this.becomeIdle(w);
      break;
    }
  }

  private assign(w: number, c: number): void {
    const config = this.s.config;
    const C = this.C;
    C.set(c, C_WORKER, w);
    C.set(c, C_ATTEMPTS, C.get(c, C_ATTEMPTS) + 1);
    C.set(c, C_SENT, 0);
    C.set(c, C_RECEIVED, 0);
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
    const want = needs(this.s.config, c) & ~this.C.get(c, C_RECEIVED);
    if (want === 0) return;
    const running = this.C.get(c - 1, C_WORKER);
    const source = running >= 0 ? running : this.C.get(c - 1, C_HOLDER);
    if (source >= 0) {
      const sent = this.C.get(c - 1, C_SENT);
      const states = STATE_KINDS.filter((k) => (want & sent & bit(k)) !== 0);
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
    const W = this.W;
    if (!this.exists(w) || this.kind(w) !== K_WORKING || W.get(w, W_CHUNK) !== c || W.get(w, W_PHASE) !== CHUNK_PHASE_INDEX[phase]) return;
    const C = this.C;
    // The worker has claimed the chunk at the rendezvous (it does so as it
    // fetches): only now can states sent for the chunk reach it rather than
    // a worker that had the chunk before.
    if (phase === 'fetch') this.provideStates(c);
    if (phase === 'send-state') C.set(c, C_SENT, C.get(c, C_SENT) | (position(this.s.config, c) === 0 ? INDEPENDENT | FINAL : INDEPENDENT));
    if (phase === 'send-final') C.set(c, C_SENT, C.get(c, C_SENT) | FINAL);
    if (phase === 'upload' && C.get(c, C_UPLOADED) !== 1) {
      C.set(c, C_UPLOADED, 1);
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
    if (phase === 'upload' && this.C.get(c, C_UPLOADED) === 1) phase = 'finished';
    if (phase === 'finished') {
      this.chunkFinished(w, c);
      return;
    }
    const waitFor: StateKind | null = phase === 'given-state' ? 'independent' : phase === 'rebase' ? 'final' : null;
    if (waitFor !== null && (this.C.get(c, C_RECEIVED) & bit(waitFor)) === 0) {
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
    if (this.C.get(c, C_WORKER) !== w) return;
    this.C.set(c, C_RECEIVED, this.C.get(c, C_RECEIVED) | bit(kind));
    const W = this.W;
    if (this.kind(w) === K_WAITING && W.get(w, W_CHUNK) === c && STATE_KINDS[W.get(w, W_AUX)] === kind) this.start(w, c, CHUNK_PHASES[W.get(w, W_PHASE)]!);
  }

  /** Chunk c's run is over: its worker keeps its states if the next chunk may need them. */
  private chunkFinished(w: number, c: number): void {
    const keep = hasNext(this.s, c) && this.C.get(c + 1, C_UPLOADED) !== 1;
    this.C.set(c, C_WORKER, -1);
    this.C.set(c, C_HOLDER, keep ? w : -1);
    if (!keep) this.C.set(c, C_SENT, 0);
    if (keep) this.keep(w, c);
    this.becomeIdle(w);
  }

  /** Chunk c is in storage: the states chunk c-1 kept for it can go. */
  private chunkUploaded(c: number): void {
    if (this.s.uploaded === this.s.chunkCount) {
      this.finishJob();
      return;
    }
    if (position(this.s.config, c) === 0) return;
    const h = this.C.get(c - 1, C_HOLDER);
    if (h < 0) return;
    this.C.set(c - 1, C_HOLDER, -1);
    this.C.set(c - 1, C_SENT, 0);
    this.effects.push({ kind: 'command', worker: h, command: { kind: 'drop', chunk: c - 1 } });
    this.unkeep(h, c - 1);
    // A worker that only stayed for those states is free again.
    if (this.kind(h) === K_IDLE && this.W.get(h, W_OUTBOX_COUNT) === 0) this.becomeIdle(h);
  }

  // ---- faults -------------------------------------------------------------

  private timer(w: number, timer: number): void {
    const W = this.W;
    if (!this.exists(w) || W.get(w, W_TIMER) !== timer) return;
    W.set(w, W_TIMER, -1);
    const kind = this.kind(w);
    if (kind === K_BACKOFF) {
      this.invoke(w, W.get(w, W_AUX));
      return;
    }
    const what = kind === K_INVOKING ? 'to connect' : kind === K_WORKING ? `in ${CHUNK_PHASES[W.get(w, W_PHASE)]!} of chunk ${W.get(w, W_CHUNK)}` : KIND_NAMES[kind]!;
    this.effects.push({ kind: 'terminate', worker: w });
    this.workerFailed(w, `no answer ${what} within ${this.s.config.phaseTimeoutSeconds} s`, true);
  }

  private workerFailed(w: number, reason: string, timedOut: boolean): void {
    if (!this.exists(w)) return;
    const kind = this.kind(w);
    if (kind === K_RELEASED || kind === K_FAILED) return;
    const chunk = this.W.get(w, W_CHUNK);
    this.end(w, { kind: 'failed', reason });
    if (this.s.outcome !== 'running') return;
    // The states it kept are gone; a chunk still waiting for them gets them from a re-run.
    const C = this.C;
    for (const kept of this.unkeepAll(w)) {
      C.set(kept, C_HOLDER, -1);
      C.set(kept, C_SENT, 0);
      const next = kept + 1;
      if (C.get(next, C_UPLOADED) !== 1 && C.get(next, C_WORKER) >= 0 && (needs(this.s.config, next) & ~C.get(next, C_RECEIVED)) !== 0) this.requeue(kept, `worker ${w} keeping its states failed: ${reason}`);
    }
    if (kind === K_WORKING || kind === K_WAITING) {
      C.set(chunk, C_WORKER, -1);
      C.set(chunk, C_SENT, 0);
      C.set(chunk, C_RECEIVED, 0);
      this.requeue(chunk, `worker ${w} ${timedOut ? 'timed out' : 'failed'}: ${reason}`);
    }
    this.checkProgress();
  }

  /** After a loss: invoke replacements if the work left has nobody to do it. */
  private checkProgress(): void {
    if (this.s.outcome !== 'running') return;
    let coming = this.s.idleCount;
    for (let w = 0; w < this.W.rows && coming < this.pending(); w++) {
      const k = this.kind(w);
      if (k === K_INVOKING || k === K_BACKOFF) coming++;
    }
    const cap = this.s.config.workers + this.s.config.spares;
    const limit = cap + this.s.chunkCount * this.s.config.maxAttemptsPerChunk;
    while (this.pending() > coming && this.s.live < cap && this.W.rows < limit) {
      this.invoke(this.W.rows, 0);
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
    for (let w = 0; w < this.W.rows; w++) {
      const k = this.kind(w);
      if (k === K_IDLE || k === K_WORKING || k === K_WAITING) this.quit(w);
      else if (k === K_BACKOFF) this.end(w, { kind: 'released' });
    }
  }
}
