// The discrete-event simulator (docs/simulator.md): the real coordinator
// (src/excamera/coordinator) driven by virtual workers, storage and a
// rendezvous whose durations are drawn from a profile's models.
//
// Time is a number of seconds; events are ordered by (time, sequence number),
// so two runs with the same seed pop the same events in the same order on any
// machine. Every virtual worker draws from its own random stream (forked from
// the seed by worker number), so adding a worker does not change what the
// others draw. Nothing here reads a clock or does I/O.
//
// What a virtual worker does with each command:
//   fetch        storage.get latency + raw bytes / bandwidth
//   encode       compute.encode (a draw x megapixels x the chunk's frames, its
//                first one weighted, x the clip's content over them x worker speed)
//   send-state   compute.decode, then one state through the rendezvous
//   given-state  compute.givenState, after the part of it that needs no state
//                (compute.givenState.prepare), which the worker began as soon
//                as its send-state ended, while it waited for the state
//   rebase       compute.rebase
//   send-final   one state through the rendezvous
//   upload       storage.put latency + output bytes / bandwidth
//   resend       states through the rendezvous, beside whatever it is doing
// The rendezvous delivers a state to the worker that has claimed the chunk it
// is addressed to (by fetching it), and holds it until one has.

import { createCoordinator, type CoordinatorState, type LogPosition, logPosition, step, transitions } from '../excamera/coordinator/coordinator.js';
import type { Command, Effect, Event, Transition } from '../excamera/coordinator/types.js';
import { NO_PHASE, PhaseSpans, type PhaseStats } from '../excamera/phases.js';
import { CHUNK_PHASE_INDEX, CHUNK_PHASES, type JobConfig, type Schedule, type StateKind, STATE_KINDS } from '../excamera/schedule.js';
import { i420Size } from '../vp8/i420.js';
import { contentAtCqLevel, type ModelAtLevel, modelAtCqLevel } from './cq-level.js';
import { quantile, sample } from './distribution.js';
import { SimError } from './errors.js';
import type { ComputeModel, Profile, TransferModel } from './profile-types.js';
import { EventPool, EventQueue, FifoLane, grown, Sequence } from './queue.js';
import { Random } from './random.js';

export interface SimulationOptions {
  readonly profile: Profile;
  readonly job: JobConfig;
  /** Picture size and chunk-encoder quality; the profile's clip when omitted. */
  readonly width?: number;
  readonly height?: number;
  readonly cqLevel?: number;
  /**
   * Where in the profile's clip the job starts, in frames (default 0): the
   * content profile (Profile.video.content) is read from there, so that a job
   * covering one part of a film costs what that part costs.
   */
  readonly firstFrame?: number;
  /**
   * Seeds the whole-run events (a burst of late connections, the rate of
   * slow workers) apart from the rest (default: `seed`): runs given the same
   * one meet the same conditions, as the runs of one part of the paper's
   * jobs did.
   */
  readonly conditionsSeed?: number;
  /** Seeds every random draw of the world (the coordinator has the job's own seed). */
  readonly seed: number;
  /** Overrides the profile's failure probability per phase. */
  readonly failureProbability?: number;
  /** Stop with an error after this many events (a guard against a livelock). */
  readonly maxEvents?: number;
  /**
   * Return every worker's transitions (the default), for a timeline or for
   * checks. Without them a simulation of 100,000 workers keeps millions
   * fewer objects; the phase statistics are the same.
   */
  readonly keepTransitions?: boolean;
}

export { PHASE_ORDER, type PhaseStats } from '../excamera/phases.js';
export { cqLevelFactor, contentAtCqLevel, modelAtCqLevel } from './cq-level.js';

export interface SimulationResult {
  readonly outcome: 'finished' | 'failed';
  /** Seconds from the start to the last chunk in storage; null when the job failed. */
  readonly latencySeconds: number | null;
  readonly failure: string | null;
  /** Workers invoked (spares and replacements included). */
  readonly workers: number;
  /** Billed worker-seconds (each invocation rounded up to 0.1 s, as Lambda billed). */
  readonly workerSeconds: number;
  readonly costUSD: number;
  /** Phases: `start` (invocation to connection), the chunk phases, `waiting` and `idle`. */
  readonly phases: Readonly<Record<string, PhaseStats>>;
  /** Upload count per chunk (1 each in a clean run; a re-run chunk is uploaded once more). */
  readonly uploads: readonly number[];
  readonly events: number;
  /** Every worker's transitions in order (empty with keepTransitions: false). */
  readonly transitions: readonly Transition[];
  /** The coordinator's final state, for inspection. */
  readonly coordinator: CoordinatorState;
}

/** Runs one job to its end and reports it. */
export function simulate(options: SimulationOptions): SimulationResult {
  return new World(options).run();
}

/** A compute model resolved at the job's quality level, with the content factors it follows (or null). */
interface ResolvedModel {
  readonly model: ModelAtLevel;
  readonly fixed: ComputeModel['fixed'];
  readonly prepare: ComputeModel['prepare'];
  readonly content: Float64Array | null;
}

/**
 * Pending world events are integers: slots of a pool of typed arrays that say
 * what each one is (`EventPool`). With 100,000 workers as many events wait at
 * once; as objects they would outlive the young generation and every garbage
 * collection would copy them.
 */
const enum Ev {
  /** The invocation was refused (throttled). */
  InvokeFailed,
  /** A worker's activity ended: it connected, finished a phase, or received a held state. */
  Connected,
  PhaseDone,
  StateReceived,
  /** A state reaches the rendezvous, addressed to a chunk. */
  Deliver,
  /** The platform stops a worker at its time limit. */
  TimeLimit,
  /** A worker crashes part-way through a phase. */
  Crash,
  Timer,
}

const stateCode = (s: StateKind): number => STATE_KINDS.indexOf(s);

/**
 * What the engine keeps per worker, packed 64 bytes to a worker so that an
 * event touches one cache line of it: three doubles (speed factor, start of
 * its open phase, its random stream's kept normal), eight 32-bit words
 * (life, alive, live timer, open phase, the stream's four state words) and
 * one more double (when its last command ends: it is free from then on).
 */
const STRIDE_BYTES = 64;
const F_SPEED = 0;
const F_OPEN_SINCE = 1;
const F_SPARE = 2;
const F_STRIDE = STRIDE_BYTES / 8;
const I_LIFE = 6;
const I_ALIVE = 7;
const I_TIMER = 8;
/** The phase it is in: a PhaseSpans code. */
const I_OPEN = 9;
const I_RNG = 10;
const I_STRIDE = STRIDE_BYTES / 4;
const F_FREE_AT = 7;

class World {
  private readonly queue: EventQueue;
  /**
   * Events at a fixed delay — phase time limits, the platform's time limit —
   * are started in time order, so they come due in that order: one FIFO lane
   * per delay holds them at O(1) an event, instead of the heap (most timers
   * are cancelled before they fire, and a heap of thousands of far-off events
   * makes every other event slower).
   */
  private readonly lanes = new Map<number, FifoLane>();
  private readonly sequence = new Sequence();
  private readonly pool = new EventPool();
  private coordinator: CoordinatorState;
  private readonly schedule: Schedule;
  private readonly profile: Profile;
  private readonly rng: Random;
  /** One Random object that takes each worker's stream in turn (see `streamOf`). */
  private readonly stream = new Random(0);
  private streamOwner = -1;
  private readonly megapixels: number;
  private readonly rawFrameBytes: number;
  private readonly stateBytes: number;
  private readonly outputFrameBytes: number;
  /** The compute models at the job's quality level, and the content factors each follows (per ContentProfile.framesPerValue frames). */
  private readonly models: Readonly<Record<'encode' | 'decode' | 'givenState' | 'rebase', ResolvedModel>>;
  private readonly framesPerContentValue: number;
  private readonly firstFrame: number;
  /** This run's whole-run events: a burst of late connections (or null), and the probability that a worker is slow. */
  private readonly lateStart: { readonly fraction: number; readonly from: number; readonly to: number } | null;
  private readonly slowRate: number;
  private readonly failureProbability: number;
  private readonly maxEvents: number;

  // Per worker, grown as workers are invoked.
  private workerCount = 0;
  private buffer = new ArrayBuffer(0);
  private f = new Float64Array(this.buffer);
  private i = new Int32Array(this.buffer);
  private u = new Uint32Array(this.buffer);
  private startedAt = new Float64Array(0);
  /** For a slow worker that connects early (Profile.workers.slow.startQuantiles), the quantile of the start latency it connects at; NaN for others. */
  private startQuantile = new Float64Array(0);
  private endedAt = new Float64Array(0);
  private running = 0;
  private requests = 0;

  /** Chunk -> the worker that has claimed it (by fetching it), or -1. */
  private readonly route: Int32Array;
  /** States held for each chunk, in arrival order: up to two codes (1 + state code), two bits each. */
  private readonly held: Uint8Array;
  private readonly uploads: number[];
  private now = 0;
  private events = 0;
  private latency: number | null = null;

  constructor(private readonly options: SimulationOptions) {
    this.profile = options.profile;
    this.keep = options.keepTransitions !== false;
    this.queue = new EventQueue(this.sequence);
    this.coordinator = createCoordinator({ ...options.job, keepLog: this.keep });
    this.schedule = this.coordinator.schedule;
    this.logSeen = logPosition(this.coordinator);
    this.rng = new Random(options.seed);
    const width = options.width ?? this.profile.video.width;
    const height = options.height ?? this.profile.video.height;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width <= 65536 && height <= 65536)) {
      throw new SimError('invalid-argument', `picture size must be positive integers up to 65536, got ${width}x${height}`);
    }
    this.megapixels = (width * height) / 1e6;
    this.rawFrameBytes = i420Size(width, height);
    this.stateBytes = this.profile.sizes.stateBytesPerPixel * width * height;
    this.outputFrameBytes = (this.profile.sizes.outputBitsPerPixel * width * height) / 8;
    const level = options.cqLevel ?? this.profile.video.cqLevel;
    const content = this.profile.video.content;
    const resolve = (m: ComputeModel): ResolvedModel => ({ model: modelAtCqLevel(m, level, this.profile.video.cqLevel), fixed: m.fixed, prepare: m.prepare, content: contentAtCqLevel(content, m.content, level) });
    const c = this.profile.compute;
    this.models = { encode: resolve(c.encode), decode: resolve(c.decode), givenState: resolve(c.givenState), rebase: resolve(c.rebase) };
    this.framesPerContentValue = content?.framesPerValue ?? 1;
    this.firstFrame = options.firstFrame ?? 0;
    if (!(Number.isInteger(this.firstFrame) && this.firstFrame >= 0)) throw new SimError('invalid-argument', `the first frame must be a whole number >= 0, got ${this.firstFrame}`);
    // Whole-run events come from a stream of their own, so that they do not
    // shift any worker's draws.
    const run = new Random(options.conditionsSeed ?? options.seed).fork('run');
    const late = this.profile.platform.lateStarts;
    this.lateStart = late !== undefined && run.uniform() < late.probabilityPerRun ? late.bursts[run.int(late.bursts.length)]! : null;
    const slow = this.profile.workers.slow;
    this.slowRate = slow === undefined ? 0 : slow.runRates[run.int(slow.runRates.length)]!;
    this.failureProbability = options.failureProbability ?? this.profile.failures.probabilityPerPhase;
    if (!(this.failureProbability >= 0 && this.failureProbability <= 1)) throw new SimError('invalid-argument', `failure probability must be in [0, 1], got ${this.failureProbability}`);
    this.maxEvents = options.maxEvents ?? 50_000_000;
    const chunks = this.schedule.chunks;
    this.route = new Int32Array(chunks).fill(-1);
    this.held = new Uint8Array(chunks);
    this.uploads = new Array<number>(chunks).fill(0);
    this.reserve(options.job.workers + options.job.spares);
  }

  run(): SimulationResult {
    this.toCoordinator({ kind: 'start', at: 0 });
    for (;;) {
      // The next event by (time, sequence) of the heap and the lanes.
      let from: EventQueue | FifoLane = this.queue;
      let time = this.queue.peekTime();
      let seq = this.queue.peekSeq();
      for (const lane of this.lanes.values()) {
        const t = lane.peekTime();
        if (t < time || (t === time && lane.peekSeq() < seq)) {
          from = lane;
          time = t;
          seq = lane.peekSeq();
        }
      }
      const id = from.pop();
      if (id < 0) break;
      if (++this.events > this.maxEvents) throw new SimError('internal', `the simulation did not end within ${this.maxEvents} events (at ${time.toFixed(1)} s)`);
      this.now = time;
      this.handle(id);
    }
    return this.report();
  }

  private pushDelayed(delay: number, id: number): void {
    let lane = this.lanes.get(delay);
    if (lane === undefined) this.lanes.set(delay, (lane = new FifoLane(this.sequence)));
    lane.push(this.now + delay, id);
  }

  private handle(id: number): void {
    const pool = this.pool;
    const kind = pool.kind(id);
    const aux = pool.aux(id);
    const w = pool.worker(id);
    const life = pool.life(id);
    const chunk = pool.chunk(id);
    pool.release(id);
    const at = this.now;
    switch (kind) {
      case Ev.InvokeFailed: {
        const limit = this.profile.platform.concurrencyLimit;
        this.toCoordinator({ kind: 'invoke-failed', at, worker: w, throttled: true, reason: `account concurrency limit of ${limit} reached (HTTP 429)` });
        return;
      }
      case Ev.Connected:
        if (!this.current(w, life)) return;
        this.toCoordinator({ kind: 'connected', at, worker: w });
        return;
      case Ev.PhaseDone: {
        if (!this.current(w, life)) return;
        const phase = CHUNK_PHASES[aux]!;
        if (phase === 'upload') this.uploads[chunk]!++;
        this.toCoordinator({ kind: 'phase-done', at, worker: w, chunk, phase });
        return;
      }
      case Ev.StateReceived:
        if (!this.current(w, life)) return;
        this.toCoordinator({ kind: 'state-received', at, worker: w, chunk, state: STATE_KINDS[aux]! });
        return;
      case Ev.Deliver:
        this.deliver(chunk, aux, w, life);
        return;
      case Ev.TimeLimit:
      case Ev.Crash: {
        if (!this.current(w, life)) return;
        this.die(w);
        const limit = this.profile.platform.timeLimitSeconds;
        const reason = kind === Ev.TimeLimit ? `stopped by the platform at its ${limit} s time limit` : `crashed in ${CHUNK_PHASES[aux]!} of chunk ${chunk}`;
        this.toCoordinator({ kind: 'worker-failed', at, worker: w, reason });
        return;
      }
      case Ev.Timer: {
        const b = w * I_STRIDE;
        if (this.i[b + I_TIMER] !== life) return;
        this.i[b + I_TIMER] = -1;
        this.toCoordinator({ kind: 'timer', at, timer: life, worker: w });
        return;
      }
    }
  }

  /** Whether something worker `w` scheduled in its life `life` still counts (it has not died since). */
  private current(w: number, life: number): boolean {
    return this.i[w * I_STRIDE + I_LIFE] === life;
  }

  private toCoordinator(event: Event): void {
    const [state, effects] = step(this.coordinator, event);
    this.coordinator = state;
    for (const t of transitions(state, this.logSeen)) this.observe(t);
    this.logSeen = logPosition(state);
    for (const effect of effects) this.apply(effect);
  }

  // ---- phase statistics, folded in as transitions happen ------------------

  private readonly keep: boolean;
  private logSeen: LogPosition;
  private readonly spans = new PhaseSpans();

  /** A transition ends the phase its worker was in (kept in the worker's record, not in `spans`, for locality). */
  private observe(t: Transition): void {
    // A worker's first transition (invoking) comes before the effect that invokes it.
    while (this.workerCount <= t.worker) this.addWorker();
    const b = t.worker * I_STRIDE;
    this.spans.add(this.i[b + I_OPEN]!, t.at - this.f[t.worker * F_STRIDE + F_OPEN_SINCE]!);
    this.i[b + I_OPEN] = this.spans.codeOf(t);
    this.f[t.worker * F_STRIDE + F_OPEN_SINCE] = t.at;
  }

  private apply(effect: Effect): void {
    switch (effect.kind) {
      case 'invoke':
        return this.invoke(effect.worker);
      case 'command':
        return this.command(effect.worker, effect.command);
      case 'terminate':
        if (this.i[effect.worker * I_STRIDE + I_ALIVE] === 1) this.die(effect.worker);
        return;
      case 'start-timer': {
        // Phase time limits share one delay (a lane); backoffs vary (the heap).
        this.i[effect.worker * I_STRIDE + I_TIMER] = effect.timer;
        const id = this.pool.add(Ev.Timer, 0, effect.worker, effect.timer, -1);
        if (effect.seconds === this.options.job.phaseTimeoutSeconds) this.pushDelayed(effect.seconds, id);
        else this.queue.push(this.now + effect.seconds, id);
        return;
      }
      case 'cancel-timer':
        if (this.i[effect.worker * I_STRIDE + I_TIMER] === effect.timer) this.i[effect.worker * I_STRIDE + I_TIMER] = -1;
        return;
      case 'finish':
        this.latency = this.now;
        return;
      case 'fail':
        return;
    }
  }

  // ---- workers ------------------------------------------------------------

  /** Room for `n` workers' records. */
  private reserve(n: number): void {
    if (n * STRIDE_BYTES <= this.buffer.byteLength) return;
    const bytes = Math.max(n, 64) * STRIDE_BYTES;
    const buffer = new ArrayBuffer(bytes);
    new Uint8Array(buffer).set(new Uint8Array(this.buffer));
    this.buffer = buffer;
    this.f = new Float64Array(buffer);
    this.i = new Int32Array(buffer);
    this.u = new Uint32Array(buffer);
    this.startedAt = grown(this.startedAt, bytes / STRIDE_BYTES);
    this.endedAt = grown(this.endedAt, bytes / STRIDE_BYTES);
    this.startQuantile = grown(this.startQuantile, bytes / STRIDE_BYTES);
  }

  /** A worker's first invocation: its random stream (forked by number) and speed. */
  private addWorker(): void {
    const w = this.workerCount;
    if ((w + 1) * STRIDE_BYTES > this.buffer.byteLength) this.reserve(2 * (w + 1));
    const r = this.rng.fork(w);
    const slow = this.profile.workers.slow;
    const isSlow = slow !== undefined && r.uniform() < this.slowRate;
    this.f[w * F_STRIDE + F_SPEED] = isSlow ? sample(slow.speeds, r) : sample(this.profile.workers.speed, r);
    const early = slow?.startQuantiles;
    this.startQuantile[w] = isSlow && early !== undefined ? early[r.int(early.length)]! : NaN;
    this.f[w * F_STRIDE + F_OPEN_SINCE] = 0;
    this.f[w * F_STRIDE + F_FREE_AT] = 0;
    const b = w * I_STRIDE;
    this.i[b + I_LIFE] = 0;
    this.i[b + I_ALIVE] = 0;
    this.i[b + I_TIMER] = -1;
    this.i[b + I_OPEN] = NO_PHASE;
    r.saveTo(this.u, b + I_RNG, this.f, w * F_STRIDE + F_SPARE);
    this.startedAt[w] = NaN;
    this.endedAt[w] = NaN;
    this.workerCount++;
  }

  /**
   * Worker `w`'s random stream, in the one shared Random object: the stream
   * that had it before is stored back first. Draws for a worker therefore
   * continue where its last ones stopped.
   */
  private streamOf(w: number): Random {
    if (this.streamOwner !== w) {
      if (this.streamOwner >= 0) this.stream.saveTo(this.u, this.streamOwner * I_STRIDE + I_RNG, this.f, this.streamOwner * F_STRIDE + F_SPARE);
      this.stream.loadFrom(this.u, w * I_STRIDE + I_RNG, this.f, w * F_STRIDE + F_SPARE);
      this.streamOwner = w;
    }
    return this.stream;
  }

  private invoke(w: number): void {
    while (this.workerCount <= w) this.addWorker();
    const r = this.streamOf(w);
    const platform = this.profile.platform;
    this.requests++;
    if (this.running >= platform.concurrencyLimit) {
      const after = sample(platform.throttleLatency, r);
      this.queue.push(this.now + after, this.pool.add(Ev.InvokeFailed, 0, w, 0, -1));
      return;
    }
    this.running++;
    const b = w * I_STRIDE;
    this.i[b + I_ALIVE] = 1;
    this.startedAt[w] = this.now;
    this.endedAt[w] = NaN;
    const life = ++this.i[b + I_LIFE]!;
    // A burst of late connections delays part of the job's first invocations.
    const late = this.lateStart;
    const first = this.now === 0;
    const early = this.startQuantile[w]!;
    const start = first && !Number.isNaN(early)
      ? quantile(platform.startLatency, early)
      : late !== null && first && r.uniform() < late.fraction ? r.between(late.from, late.to) : sample(platform.startLatency, r);
    this.queue.push(this.now + start, this.pool.add(Ev.Connected, 0, w, life, -1));
    // The platform stops a worker at its time limit.
    this.pushDelayed(platform.timeLimitSeconds, this.pool.add(Ev.TimeLimit, 0, w, life, -1));
  }

  /**
   * The worker is gone: whatever it had scheduled is void (its life moves
   * on), and a state addressed to a chunk it had claimed is held for the
   * chunk's next worker (`deliver` sees it is not alive). Workers are never
   * brought back, so a dead worker's claims need no clearing.
   */
  private die(w: number): void {
    const b = w * I_STRIDE;
    this.i[b + I_ALIVE] = 0;
    this.i[b + I_LIFE]!++;
    this.running--;
    this.endedAt[w] = this.now;
  }

  private command(w: number, command: Command): void {
    const b = w * I_STRIDE;
    if (this.i[b + I_ALIVE] !== 1) return;
    const life = this.i[b + I_LIFE]!;
    if (command.kind === 'quit') {
      this.die(w);
      return;
    }
    if (command.kind === 'drop') return;
    const r = this.streamOf(w);
    if (command.kind === 'resend') {
      const t = this.transfer(this.profile.rendezvous, this.stateBytes, r);
      for (const state of command.states) this.queue.push(this.now + t, this.pool.add(Ev.Deliver, stateCode(state), w, life, command.to));
      return;
    }
    const chunk = command.chunk;
    const frames = this.schedule.framesOf(chunk);
    let seconds: number;
    const speed = this.f[w * F_STRIDE + F_SPEED]!;
    switch (command.kind) {
      case 'fetch': {
        this.route[chunk] = w;
        seconds = this.transfer(this.profile.storage.get, frames * this.rawFrameBytes, r);
        // States held for this chunk go to its new worker, in the order they came.
        for (let held = this.held[chunk]!; held !== 0; held >>= 2) {
          const at = this.now + this.transfer(this.profile.rendezvous, this.stateBytes, r);
          this.queue.push(at, this.pool.add(Ev.StateReceived, (held & 3) - 1, w, life, chunk));
        }
        this.held[chunk] = 0;
        break;
      }
      case 'encode':
        seconds = this.compute(this.models.encode, chunk, frames, r) * speed;
        break;
      case 'send-state':
        seconds = this.compute(this.models.decode, chunk, frames, r) * speed + this.transfer(this.profile.rendezvous, this.stateBytes, r);
        this.queue.push(this.now + seconds, this.pool.add(Ev.Deliver, stateCode('independent'), w, life, command.to));
        break;
      case 'given-state': {
        const m = this.models.givenState;
        const content = this.contentFactor(m, chunk, frames);
        seconds = this.compute(m, chunk, frames, r, content) * speed;
        // The part that needs no state began when the worker's last command
        // ended; what of it the wait for the state did not cover comes first.
        if (m.prepare !== undefined) {
          seconds += Math.max(0, sample(m.prepare, r) * this.megapixels * content * speed - (this.now - this.f[w * F_STRIDE + F_FREE_AT]!));
        }
        break;
      }
      case 'rebase':
        seconds = this.compute(this.models.rebase, chunk, frames, r) * speed;
        break;
      case 'send-final':
        seconds = this.transfer(this.profile.rendezvous, this.stateBytes, r);
        this.queue.push(this.now + seconds, this.pool.add(Ev.Deliver, stateCode('final'), w, life, command.to));
        break;
      case 'upload':
        seconds = this.transfer(this.profile.storage.put, frames * this.outputFrameBytes, r);
        break;
    }
    this.f[w * F_STRIDE + F_FREE_AT] = this.now + seconds;
    const phase = CHUNK_PHASE_INDEX[command.kind];
    // A fault: the worker crashes part-way through (its connection closes),
    // or hangs and goes quiet (the coordinator's time limit catches it).
    if (this.failureProbability > 0 && r.uniform() < this.failureProbability) {
      const when = this.now + seconds * r.uniform();
      if (r.uniform() >= this.profile.failures.hangFraction) this.queue.push(when, this.pool.add(Ev.Crash, phase, w, life, chunk));
      return;
    }
    this.queue.push(this.now + seconds, this.pool.add(Ev.PhaseDone, phase, w, life, chunk));
  }

  /** A state reaches the rendezvous for `chunk`: it goes to the chunk's worker, or waits for one. */
  private deliver(chunk: number, state: number, sender: number, life: number): void {
    // A sender that died before its state was out lost it.
    if (!this.current(sender, life)) return;
    const w = this.route[chunk]!;
    if (w >= 0 && this.i[w * I_STRIDE + I_ALIVE] === 1) {
      this.toCoordinator({ kind: 'state-received', at: this.now, worker: w, chunk, state: STATE_KINDS[state]! });
      return;
    }
    const held = this.held[chunk]!;
    const code = state + 1;
    if ((held & 3) !== code && held >> 2 !== code) this.held[chunk] = held === 0 ? code : held | (code << 2);
  }

  /** A compute phase of `chunk` (see ComputeModel for the formula), `content` its content factor. */
  private compute(m: ResolvedModel, chunk: number, frames: number, r: Random, content = this.contentFactor(m, chunk, frames)): number {
    const weighted = m.model.firstFrameWeight + frames - 1;
    const base = m.model.perFrameMegapixel(r) * weighted * this.megapixels * content;
    return base + (m.fixed !== undefined ? sample(m.fixed, r) : 0);
  }

  /** The content factor of a phase of `chunk`: 1 when its model follows none. */
  private contentFactor(m: ResolvedModel, chunk: number, frames: number): number {
    return m.content === null ? 1 : this.contentOf(m.content, chunk, frames);
  }

  /** The mean content factor over a chunk's frames (the profile wraps around past its end). */
  private contentOf(values: Float64Array, chunk: number, frames: number): number {
    const start = this.firstFrame + this.schedule.firstFrame(chunk);
    let sum = 0;
    for (let f = start; f < start + frames; f++) sum += values[Math.floor(f / this.framesPerContentValue) % values.length]!;
    return sum / frames;
  }

  private transfer(model: TransferModel, bytes: number, r: Random): number {
    return sample(model.latency, r) + bytes / model.bytesPerSecond;
  }

  // ---- report -------------------------------------------------------------

  private report(): SimulationResult {
    for (let w = 0; w < this.workerCount; w++) this.spans.add(this.i[w * I_STRIDE + I_OPEN]!, this.now - this.f[w * F_STRIDE + F_OPEN_SINCE]!);
    const platform = this.profile.platform;
    let workerSeconds = 0;
    for (let w = 0; w < this.workerCount; w++) {
      const start = this.startedAt[w]!;
      if (Number.isNaN(start)) continue;
      const end = Number.isNaN(this.endedAt[w]!) ? this.now : this.endedAt[w]!;
      // Lambda (2017) billed each invocation in 100 ms steps.
      workerSeconds += Math.ceil((end - start) * 10 - 1e-9) / 10;
    }
    const costUSD = workerSeconds * platform.memoryGB * platform.pricePerGBSecond + this.requests * platform.pricePerRequest;
    return {
      outcome: this.coordinator.outcome === 'finished' ? 'finished' : 'failed',
      latencySeconds: this.latency,
      failure: this.coordinator.failure,
      workers: this.coordinator.workers.size,
      workerSeconds,
      costUSD,
      phases: this.spans.stats(),
      uploads: this.uploads,
      events: this.events,
      transitions: this.keep ? transitions(this.coordinator) : [],
      coordinator: this.coordinator,
    };
  }
}
