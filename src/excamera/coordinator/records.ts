// The coordinator's records of its workers and chunks, and the accessors its
// step reads and writes them through.
//
// The records live as rows of numbers in persistent tables (ptable.ts): a
// record object per change would outlive the young generation in a job of
// 100,000 workers and be copied by every garbage collection. Strings (failure
// reasons) go in a persistent list, and a row holds their index. Which field
// sits in which column, and how a status is coded, is known to this file
// only: the rest of the coordinator uses names (WorkerRows, ChunkRows), and
// its callers get records (WorkerTable, ChunkTable).

import { type ChunkPhase, CHUNK_PHASE_INDEX, CHUNK_PHASES, type StateKind, STATE_KINDS, type StateSet } from '../schedule.js';
import { PTable, type TableEdit } from './ptable.js';
import type { PVec } from './pvec.js';
import type { WorkerStatus } from './types.js';

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
  /** States its current run or its holder has sent to the next chunk. */
  readonly sent: StateSet;
  /** After its run: the worker keeping its states for the next chunk, or -1. */
  readonly holder: number;
  /** States of the chunk before that its current worker has received. */
  readonly received: StateSet;
  readonly lastFailure: string;
}

export type StatusKind = WorkerStatus['kind'];

/** The status kinds; a row stores a kind as its index here. */
const STATUS_KINDS: readonly StatusKind[] = ['invoking', 'backoff', 'idle', 'working', 'waiting', 'released', 'failed'];
const statusCode = (kind: StatusKind): number => STATUS_KINDS.indexOf(kind);

/** A worker's row. */
const W_STATUS = 0; // the status kind's code
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

/** Rows to read: a table's version, or an edit of one. */
interface Rows {
  get(row: number, field: number): number;
}

function statusOf(t: Rows, w: number, reasons: PVec<string>): WorkerStatus {
  const chunk = t.get(w, W_CHUNK);
  const aux = t.get(w, W_AUX);
  switch (STATUS_KINDS[t.get(w, W_STATUS)]!) {
    case 'invoking':
      return { kind: 'invoking', attempt: aux };
    case 'backoff':
      return { kind: 'backoff', attempt: aux };
    case 'idle':
      return { kind: 'idle' };
    case 'working':
      return { kind: 'working', chunk, phase: CHUNK_PHASES[t.get(w, W_PHASE)]! };
    case 'waiting':
      return { kind: 'waiting', chunk, phase: CHUNK_PHASES[t.get(w, W_PHASE)]!, waitFor: STATE_KINDS[aux]! };
    case 'released':
      return { kind: 'released' };
    case 'failed':
      return { kind: 'failed', reason: reasons.get(aux) };
  }
}

// ---- records, as a state's callers read them ----------------------------------

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
    const t = this.rows;
    const outbox: number[] = [];
    for (let c = t.get(w, W_OUTBOX_HEAD); c >= 0; c = this.chunkRows.get(c, C_OUTBOX_NEXT)) outbox.push(c);
    return { status: statusOf(t, w, this.reasons), timer: t.get(w, W_TIMER), outbox, invokedAt: t.get(w, W_INVOKED), connectedAt: t.get(w, W_CONNECTED), endedAt: t.get(w, W_ENDED), standby: t.get(w, W_STANDBY) === 1 };
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
    const t = this.rows;
    const failure = t.get(c, C_FAILURE);
    return { worker: t.get(c, C_WORKER), attempts: t.get(c, C_ATTEMPTS), uploaded: t.get(c, C_UPLOADED) === 1, sent: t.get(c, C_SENT), holder: t.get(c, C_HOLDER), received: t.get(c, C_RECEIVED), lastFailure: failure >= 0 ? this.reasons.get(failure) : '' };
  }

  toArray(): ChunkRecord[] {
    return Array.from({ length: this.size }, (_, c) => this.get(c));
  }
}

/** The tables of a job before it starts: no worker yet, every chunk unassigned. */
export function initialTables(chunks: number, reasons: PVec<string>): { workers: WorkerTable; chunks: ChunkTable } {
  const chunkRows = PTable.filled(NEW_CHUNK, chunks);
  return { workers: new WorkerTable(PTable.filled(newRow(WORKER_FIELDS, []), 0), chunkRows, reasons), chunks: new ChunkTable(chunkRows, reasons) };
}

// ---- records, as a step changes them -------------------------------------------

/** Where a step keeps failure reasons: `keepReason` returns the index of one in the state's list of them. */
export interface Reasons {
  keepReason(text: string): number;
}

/**
 * A step's edit of the chunks' rows: written in place with every
 * overwritten value logged (ptable.ts), read as they change, and made a new
 * table version by `commit`.
 */
export class ChunkRows {
  /** Also WorkerRows' (outboxes are linked through the chunks' rows). */
  readonly edit: TableEdit;

  constructor(
    chunks: ChunkTable,
    private readonly reasons: Reasons,
  ) {
    this.edit = chunks.rows.edit();
  }

  /** The worker running chunk c, or -1. */
  worker(c: number): number {
    return this.edit.get(c, C_WORKER);
  }
  setWorker(c: number, w: number): void {
    this.edit.set(c, C_WORKER, w);
  }

  attempts(c: number): number {
    return this.edit.get(c, C_ATTEMPTS);
  }
  /** A run of chunk c starts. */
  countAttempt(c: number): void {
    this.edit.set(c, C_ATTEMPTS, this.edit.get(c, C_ATTEMPTS) + 1);
  }

  uploaded(c: number): boolean {
    return this.edit.get(c, C_UPLOADED) === 1;
  }
  setUploaded(c: number): void {
    this.edit.set(c, C_UPLOADED, 1);
  }

  /** States chunk c has sent to the next chunk (by its current run, or kept by its holder). */
  sent(c: number): StateSet {
    return this.edit.get(c, C_SENT);
  }
  addSent(c: number, states: StateSet): void {
    this.edit.set(c, C_SENT, this.edit.get(c, C_SENT) | states);
  }
  clearSent(c: number): void {
    this.edit.set(c, C_SENT, 0);
  }

  /** The worker keeping chunk c's states after its run, or -1. */
  holder(c: number): number {
    return this.edit.get(c, C_HOLDER);
  }
  setHolder(c: number, w: number): void {
    this.edit.set(c, C_HOLDER, w);
  }

  /** States of chunk c-1 that chunk c's current worker has received. */
  received(c: number): StateSet {
    return this.edit.get(c, C_RECEIVED);
  }
  addReceived(c: number, states: StateSet): void {
    this.edit.set(c, C_RECEIVED, this.edit.get(c, C_RECEIVED) | states);
  }
  clearReceived(c: number): void {
    this.edit.set(c, C_RECEIVED, 0);
  }

  setLastFailure(c: number, reason: string): void {
    this.edit.set(c, C_FAILURE, this.reasons.keepReason(reason));
  }

  /** The chunks' new table version; the edit is closed. */
  commit(): PTable {
    return this.edit.commit();
  }

  abandon(): void {
    this.edit.abandon();
  }
}

/** A step's edit of the workers' rows (as ChunkRows is of the chunks'). */
export class WorkerRows {
  private readonly edit: TableEdit;
  private readonly chunks: TableEdit;

  constructor(
    workers: WorkerTable,
    chunks: ChunkRows,
    private readonly reasons: Reasons,
  ) {
    this.edit = workers.rows.edit();
    this.chunks = chunks.edit;
  }

  /** Workers invoked so far (numbered 0 up). */
  get count(): number {
    return this.edit.rows;
  }

  exists(w: number): boolean {
    return w >= 0 && w < this.edit.rows;
  }

  /** A new worker, invoked at `at` for its first attempt; returns its number. */
  add(at: number, attempt: number): number {
    return this.edit.push(
      newRow(WORKER_FIELDS, [
        [W_STATUS, statusCode('invoking')],
        [W_CHUNK, -1],
        [W_AUX, attempt],
        [W_TIMER, -1],
        [W_INVOKED, at],
        [W_CONNECTED, NaN],
        [W_ENDED, NaN],
        [W_OUTBOX_HEAD, -1],
        [W_OUTBOX_TAIL, -1],
      ]),
    );
  }

  // ---- status ------------------------------------------------------------

  kind(w: number): StatusKind {
    return STATUS_KINDS[this.edit.get(w, W_STATUS)]!;
  }

  /** Working or waiting: the chunk. */
  chunk(w: number): number {
    return this.edit.get(w, W_CHUNK);
  }

  /** Working or waiting: the phase. */
  phase(w: number): ChunkPhase {
    return CHUNK_PHASES[this.edit.get(w, W_PHASE)]!;
  }

  /** Invoking or in backoff: the invocation's attempt. */
  attempt(w: number): number {
    return this.edit.get(w, W_AUX);
  }

  /** Waiting: the state it waits for. */
  awaited(w: number): StateKind {
    return STATE_KINDS[this.edit.get(w, W_AUX)]!;
  }

  /** Writes `status` (a final one also ends the worker at `at`). */
  setStatus(w: number, status: WorkerStatus, at: number): void {
    const t = this.edit;
    switch (status.kind) {
      case 'invoking':
      case 'backoff':
        t.set(w, W_AUX, status.attempt);
        break;
      case 'working':
      case 'waiting':
        t.set(w, W_CHUNK, status.chunk);
        t.set(w, W_PHASE, CHUNK_PHASE_INDEX[status.phase]);
        if (status.kind === 'waiting') t.set(w, W_AUX, STATE_KINDS.indexOf(status.waitFor));
        break;
      case 'failed':
        t.set(w, W_AUX, this.reasons.keepReason(status.reason));
        break;
      case 'idle':
      case 'released':
        break;
    }
    t.set(w, W_STATUS, statusCode(status.kind));
    if (status.kind === 'released' || status.kind === 'failed') t.set(w, W_ENDED, at);
  }

  /** The timer guarding its phase, connection or backoff; -1 for none. */
  timer(w: number): number {
    return this.edit.get(w, W_TIMER);
  }
  setTimer(w: number, timer: number): void {
    this.edit.set(w, W_TIMER, timer);
  }

  setConnected(w: number, at: number): void {
    this.edit.set(w, W_CONNECTED, at);
  }

  /** A standby spare, in the coordinator's idle list. */
  standby(w: number): boolean {
    return this.edit.get(w, W_STANDBY) === 1;
  }
  setStandby(w: number, standby: boolean): void {
    this.edit.set(w, W_STANDBY, standby ? 1 : 0);
  }

  // ---- outbox: finished chunks whose states it keeps --------------------------

  /** How many chunks' states it keeps. */
  outboxSize(w: number): number {
    return this.edit.get(w, W_OUTBOX_COUNT);
  }

  /** Chunk c joins the end of worker w's outbox. */
  keep(w: number, c: number): void {
    const W = this.edit;
    const C = this.chunks;
    C.set(c, C_OUTBOX_NEXT, -1);
    const tail = W.get(w, W_OUTBOX_TAIL);
    if (tail >= 0) C.set(tail, C_OUTBOX_NEXT, c);
    else W.set(w, W_OUTBOX_HEAD, c);
    W.set(w, W_OUTBOX_TAIL, c);
    W.set(w, W_OUTBOX_COUNT, W.get(w, W_OUTBOX_COUNT) + 1);
  }

  /** Chunk c leaves worker w's outbox (if it is there). */
  unkeep(w: number, c: number): void {
    const W = this.edit;
    const C = this.chunks;
    let before = -1;
    let at = W.get(w, W_OUTBOX_HEAD);
    while (at >= 0 && at !== c) {
      before = at;
      at = C.get(at, C_OUTBOX_NEXT);
    }
    if (at < 0) return;
    const after = C.get(c, C_OUTBOX_NEXT);
    if (before >= 0) C.set(before, C_OUTBOX_NEXT, after);
    else W.set(w, W_OUTBOX_HEAD, after);
    if (W.get(w, W_OUTBOX_TAIL) === c) W.set(w, W_OUTBOX_TAIL, before);
    C.set(c, C_OUTBOX_NEXT, -1);
    W.set(w, W_OUTBOX_COUNT, W.get(w, W_OUTBOX_COUNT) - 1);
  }

  /** Empties worker w's outbox; returns what was in it, in order. */
  unkeepAll(w: number): number[] {
    const W = this.edit;
    const C = this.chunks;
    const kept: number[] = [];
    for (let c = W.get(w, W_OUTBOX_HEAD); c >= 0; ) {
      kept.push(c);
      const next = C.get(c, C_OUTBOX_NEXT);
      C.set(c, C_OUTBOX_NEXT, -1);
      c = next;
    }
    W.set(w, W_OUTBOX_HEAD, -1);
    W.set(w, W_OUTBOX_TAIL, -1);
    W.set(w, W_OUTBOX_COUNT, 0);
    return kept;
  }

  /** The workers' table after the step, beside the chunks' (`chunkRows`) and the failure reasons. */
  commit(chunkRows: PTable, reasons: PVec<string>): WorkerTable {
    return new WorkerTable(this.edit.commit(), chunkRows, reasons);
  }

  abandon(): void {
    this.edit.abandon();
  }
}
