// One step of the coordinator (coordinator.ts): what an event does to the
// workers, the chunks and the job. The rules of the [n, x] schedule — which
// states a chunk needs, which phase comes next — are asked of the job's
// Schedule; the records are read and written by name (records.ts).

import { awaitedBefore, type ChunkPhase, type Schedule, type StateKind, STATE_KINDS, stateBit } from '../schedule.js';
import type { CoordinatorState } from './coordinator.js';
import { PVec } from './pvec.js';
import { ChunkRows, ChunkTable, type Reasons, WorkerRows } from './records.js';
import type { Command, Effect, Event, WorkerStatus } from './types.js';

/**
 * The working copy of one step. Its tables are edits of the old state's:
 * written in place with every overwritten value logged, and made a new
 * version at the end, so the old state reads as it was.
 */
export class Step implements Reasons {
  readonly effects: Effect[] = [];
  private s: { -readonly [K in keyof CoordinatorState]: CoordinatorState[K] };
  private readonly workers: WorkerRows;
  private readonly chunks: ChunkRows;
  private readonly schedule: Schedule;

  constructor(
    state: CoordinatorState,
    private readonly at: number,
  ) {
    this.s = { ...state };
    if (state.config.keepLog === false) this.s.log = null;
    this.schedule = state.schedule;
    this.chunks = new ChunkRows(state.chunks, this);
    this.workers = new WorkerRows(state.workers, this.chunks, this);
  }

  finish(): CoordinatorState {
    const chunkRows = this.chunks.commit();
    this.s.workers = this.workers.commit(chunkRows, this.s.reasons);
    this.s.chunks = new ChunkTable(chunkRows, this.s.reasons);
    return this.s;
  }

  abandon(): void {
    this.workers.abandon();
    this.chunks.abandon();
  }

  handle(event: Event): void {
    const s = this.s;
    switch (event.kind) {
      case 'start':
        if (this.workers.count > 0) return;
        for (let i = 0; i < s.config.workers + s.config.spares; i++) this.invoke(this.workers.count, 0);
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

  /** A failure reason's index in the state's list of them. */
  keepReason(text: string): number {
    this.s.reasons = this.s.reasons.push(text);
    return this.s.reasons.size - 1;
  }

  /** Moves worker `w` to `status`, logging it and swapping its timer. */
  private become(w: number, status: WorkerStatus, timerSeconds = 0): void {
    const old = this.workers.timer(w);
    if (old >= 0) this.effects.push({ kind: 'cancel-timer', timer: old, worker: w });
    let timer = -1;
    if (timerSeconds > 0) {
      timer = this.s.nextTimer++;
      this.effects.push({ kind: 'start-timer', timer, worker: w, seconds: timerSeconds });
    }
    this.workers.setStatus(w, status, this.at);
    this.workers.setTimer(w, timer);
    this.s.log = { at: this.at, worker: w, status, previous: this.s.log };
  }

  private invoke(w: number, attempt: number): void {
    if (w === this.workers.count) {
      this.workers.add(this.at, attempt);
      this.s.live++;
    }
    this.become(w, { kind: 'invoking', attempt }, this.s.config.phaseTimeoutSeconds);
    this.effects.push({ kind: 'invoke', worker: w });
  }

  private invokeFailed(w: number, throttled: boolean, reason: string): void {
    if (!this.workers.exists(w) || this.workers.kind(w) !== 'invoking') return;
    const attempt = this.workers.attempt(w);
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
    if (!this.workers.exists(w) || this.workers.kind(w) !== 'invoking') return;
    this.workers.setConnected(w, this.at);
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
    const keeps = this.workers.outboxSize(w) > 0;
    if (!keeps && this.s.idleCount >= this.s.config.standby) {
      this.quit(w);
      return;
    }
    if (this.workers.kind(w) !== 'idle') this.become(w, { kind: 'idle' });
    if (!keeps && !this.workers.standby(w)) {
      this.s.idle = this.s.idle.push(w);
      this.s.idleCount++;
      this.workers.setStandby(w, true);
    }
  }

  private leaveStandby(w: number): void {
    if (!this.workers.standby(w)) return;
    this.workers.setStandby(w, false);
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
    const attempts = this.chunks.attempts(c);
    // Running, queued already, or never handed out (then it runs in due course).
    if (this.chunks.worker(c) >= 0 || attempts === 0 || this.s.requeued.includes(c)) return;
    if (attempts >= this.s.config.maxAttemptsPerChunk) {
      this.failJob(`chunk ${c} failed ${attempts} time(s); last: ${reason}`);
      return;
    }
    this.chunks.setLastFailure(c, reason);
    const rank = (i: number): number => this.schedule.rank(i);
    const r = rank(c);
    this.s.requeued = [...this.s.requeued.filter((i) => rank(i) < r), c, ...this.s.requeued.filter((i) => rank(i) > r)];
    // A standby spare takes it at once.
    while (this.s.idleCount > 0 && this.s.idleHead < this.s.idle.size) {
      const w = this.s.idle.get(this.s.idleHead++);
      if (!this.workers.standby(w)) continue;
      this.leaveStandby(w);
      this.becomeIdle(w);
      break;
    }
  }

  private assign(w: number, c: number): void {
    this.chunks.setWorker(c, w);
    this.chunks.countAttempt(c);
    this.chunks.clearSent(c);
    this.chunks.clearReceived(c);
    this.start(w, c, 'fetch');
  }

  /**
   * Chunk c has a new worker, which has fetched it: make sure the states it needs from chunk c-1
   * reach it — sent again by whoever has them, sent in due course by c-1's
   * run, or regenerated by running c-1 again.
   */
  private provideStates(c: number): void {
    // What it still lacks: states that reached it while it fetched need not come again.
    const want = this.schedule.needs(c) & ~this.chunks.received(c);
    if (want === 0) return;
    const running = this.chunks.worker(c - 1);
    const source = running >= 0 ? running : this.chunks.holder(c - 1);
    if (source >= 0) {
      const sent = this.chunks.sent(c - 1);
      const states = STATE_KINDS.filter((k) => (want & sent & stateBit(k)) !== 0);
      if (states.length > 0) this.effects.push({ kind: 'command', worker: source, command: { kind: 'resend', chunk: c - 1, to: c, states } });
      return;
    }
    this.requeue(c - 1, `its states were lost and chunk ${c} needs them`);
  }

  private phaseDone(w: number, c: number, phase: ChunkPhase): void {
    const workers = this.workers;
    if (!workers.exists(w) || workers.kind(w) !== 'working' || workers.chunk(w) !== c || workers.phase(w) !== phase) return;
    // The worker has claimed the chunk at the rendezvous (it does so as it
    // fetches): only now can states sent for the chunk reach it rather than
    // a worker that had the chunk before.
    if (phase === 'fetch') this.provideStates(c);
    if (phase === 'send-state' || phase === 'send-final') this.chunks.addSent(c, this.schedule.sentBy(c, phase));
    if (phase === 'upload' && !this.chunks.uploaded(c)) {
      this.chunks.setUploaded(c);
      this.s.uploaded++;
      this.chunkUploaded(c);
      if (this.s.outcome !== 'running') return;
    }
    this.advance(w, c, phase);
  }

  /** The phase after `done` for chunk c, or the wait for the state it needs. */
  private advance(w: number, c: number, done: ChunkPhase): void {
    let phase = this.schedule.next(c, done);
    // A chunk run again only for its states is already in storage.
    if (phase === 'upload' && this.chunks.uploaded(c)) phase = 'finished';
    if (phase === 'finished') {
      this.chunkFinished(w, c);
      return;
    }
    const waitFor = awaitedBefore(phase);
    if (waitFor !== null && (this.chunks.received(c) & stateBit(waitFor)) === 0) {
      this.become(w, { kind: 'waiting', chunk: c, phase, waitFor });
      return;
    }
    this.start(w, c, phase);
  }

  /** Tells worker w to carry out `phase` of chunk c, under the phase time limit. */
  private start(w: number, c: number, phase: ChunkPhase): void {
    const schedule = this.schedule;
    const command: Command =
      phase === 'send-state' || phase === 'send-final'
        ? { kind: phase, chunk: c, to: c + 1 }
        : phase === 'fetch'
          ? { kind: 'fetch', chunk: c, firstFrame: schedule.firstFrame(c), frames: schedule.framesOf(c) }
          : { kind: phase, chunk: c };
    this.effects.push({ kind: 'command', worker: w, command });
    this.become(w, { kind: 'working', chunk: c, phase }, this.s.config.phaseTimeoutSeconds);
  }

  private stateReceived(w: number, c: number, kind: StateKind): void {
    if (!(c >= 0 && c < this.s.chunkCount)) return;
    if (this.chunks.worker(c) !== w) return;
    this.chunks.addReceived(c, stateBit(kind));
    const workers = this.workers;
    if (workers.kind(w) === 'waiting' && workers.chunk(w) === c && workers.awaited(w) === kind) this.start(w, c, workers.phase(w));
  }

  /** Chunk c's run is over: its worker keeps its states if the next chunk may need them. */
  private chunkFinished(w: number, c: number): void {
    const keep = this.schedule.hasNext(c) && !this.chunks.uploaded(c + 1);
    this.chunks.setWorker(c, -1);
    this.chunks.setHolder(c, keep ? w : -1);
    if (!keep) this.chunks.clearSent(c);
    if (keep) this.workers.keep(w, c);
    this.becomeIdle(w);
  }

  /** Chunk c is in storage: the states chunk c-1 kept for it can go. */
  private chunkUploaded(c: number): void {
    if (this.s.uploaded === this.s.chunkCount) {
      this.finishJob();
      return;
    }
    if (this.schedule.position(c) === 0) return;
    const h = this.chunks.holder(c - 1);
    if (h < 0) return;
    this.chunks.setHolder(c - 1, -1);
    this.chunks.clearSent(c - 1);
    this.effects.push({ kind: 'command', worker: h, command: { kind: 'drop', chunk: c - 1 } });
    this.workers.unkeep(h, c - 1);
    // A worker that only stayed for those states is free again.
    if (this.workers.kind(h) === 'idle' && this.workers.outboxSize(h) === 0) this.becomeIdle(h);
  }

  // ---- faults -------------------------------------------------------------

  private timer(w: number, timer: number): void {
    const workers = this.workers;
    if (!workers.exists(w) || workers.timer(w) !== timer) return;
    workers.setTimer(w, -1);
    const kind = workers.kind(w);
    if (kind === 'backoff') {
      this.invoke(w, workers.attempt(w));
      return;
    }
    const what = kind === 'invoking' ? 'to connect' : kind === 'working' ? `in ${workers.phase(w)} of chunk ${workers.chunk(w)}` : kind;
    this.effects.push({ kind: 'terminate', worker: w });
    this.workerFailed(w, `no answer ${what} within ${this.s.config.phaseTimeoutSeconds} s`, true);
  }

  private workerFailed(w: number, reason: string, timedOut: boolean): void {
    if (!this.workers.exists(w)) return;
    const kind = this.workers.kind(w);
    if (kind === 'released' || kind === 'failed') return;
    const chunk = this.workers.chunk(w);
    this.end(w, { kind: 'failed', reason });
    if (this.s.outcome !== 'running') return;
    // The states it kept are gone; a chunk still waiting for them gets them from a re-run.
    const chunks = this.chunks;
    for (const kept of this.workers.unkeepAll(w)) {
      chunks.setHolder(kept, -1);
      chunks.clearSent(kept);
      const next = kept + 1;
      if (!chunks.uploaded(next) && chunks.worker(next) >= 0 && (this.schedule.needs(next) & ~chunks.received(next)) !== 0) this.requeue(kept, `worker ${w} keeping its states failed: ${reason}`);
    }
    if (kind === 'working' || kind === 'waiting') {
      chunks.setWorker(chunk, -1);
      chunks.clearSent(chunk);
      chunks.clearReceived(chunk);
      this.requeue(chunk, `worker ${w} ${timedOut ? 'timed out' : 'failed'}: ${reason}`);
    }
    this.checkProgress();
  }

  /** After a loss: invoke replacements if the work left has nobody to do it. */
  private checkProgress(): void {
    if (this.s.outcome !== 'running') return;
    let coming = this.s.idleCount;
    for (let w = 0; w < this.workers.count && coming < this.pending(); w++) {
      const k = this.workers.kind(w);
      if (k === 'invoking' || k === 'backoff') coming++;
    }
    const cap = this.s.config.workers + this.s.config.spares;
    const limit = cap + this.s.chunkCount * this.s.config.maxAttemptsPerChunk;
    while (this.pending() > coming && this.s.live < cap && this.workers.count < limit) {
      this.invoke(this.workers.count, 0);
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
    for (let w = 0; w < this.workers.count; w++) {
      const k = this.workers.kind(w);
      if (k === 'idle' || k === 'working' || k === 'waiting') this.quit(w);
      else if (k === 'backoff') this.end(w, { kind: 'released' });
    }
  }
}
