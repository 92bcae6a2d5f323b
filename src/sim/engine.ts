// The discrete-event simulator (DESIGN.md section 6): the real coordinator
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
//   encode       compute.encode (frames x megapixels x a draw x worker speed)
//   send-state   compute.decode, then one state through the rendezvous
//   given-state  compute.givenState
//   rebase       compute.rebase
//   send-final   one state through the rendezvous
//   upload       storage.put latency + output bytes / bandwidth
//   resend       states through the rendezvous, beside whatever it is doing
// The rendezvous delivers a state to the worker that has claimed the chunk it
// is addressed to (by fetching it), and holds it until one has.

import { createCoordinator, type CoordinatorState, type LogPosition, logPosition, phaseOf, step, transitions } from '../excamera/coordinator/coordinator.js';
import type { Command, Effect, Event, JobConfig, StateKind, Transition } from '../excamera/coordinator/types.js';
import { sample } from './distribution.js';
import { SimError } from './errors.js';
import type { ComputeModel, Distribution, Profile, TransferModel } from './profile-types.js';
import { type Entry, EventQueue } from './queue.js';
import { Random } from './random.js';

export interface SimulationOptions {
  readonly profile: Profile;
  readonly job: JobConfig;
  /** Picture size and chunk-encoder quality; the profile's clip when omitted. */
  readonly width?: number;
  readonly height?: number;
  readonly cqLevel?: number;
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

/** Durations of one kind of worker activity over the job. */
export interface PhaseStats {
  readonly count: number;
  /** Worker-seconds spent in it. */
  readonly totalSeconds: number;
  readonly medianSeconds: number;
  readonly p90Seconds: number;
  readonly maxSeconds: number;
}

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

type WorldEvent =
  | { readonly kind: 'coordinator'; readonly event: Event }
  /** A worker's activity ended (ignored if the worker has since died). */
  | { readonly kind: 'done'; readonly worker: number; readonly life: number; readonly event: Event }
  | { readonly kind: 'deliver'; readonly chunk: number; readonly state: StateKind; readonly life: number; readonly worker: number }
  | { readonly kind: 'crash'; readonly worker: number; readonly life: number; readonly reason: string }
  | { readonly kind: 'timer'; readonly timer: number; readonly worker: number };

/** Runs one job to its end and reports it. */
export function simulate(options: SimulationOptions): SimulationResult {
  return new World(options).run();
}

class World {
  private readonly queue = new EventQueue<WorldEvent>();
  private coordinator: CoordinatorState;
  private readonly profile: Profile;
  private readonly rng: Random;
  private readonly megapixels: number;
  private readonly rawFrameBytes: number;
  private readonly stateBytes: number;
  private readonly outputFrameBytes: number;
  /** The encode model at the job's quality level, and the factor its draws are scaled by. */
  private readonly encodeModel: ComputeModel;
  private readonly cqFactor: number;
  private readonly failureProbability: number;
  private readonly maxEvents: number;

  // Per worker, grown as workers are invoked.
  private readonly workerRng: Random[] = [];
  private readonly speed: number[] = [];
  /** Incremented when the worker dies, so its scheduled activity is void. */
  private readonly life: number[] = [];
  private readonly alive: boolean[] = [];
  private readonly startedAt: number[] = [];
  private readonly endedAt: number[] = [];
  /** Chunks each worker has claimed at the rendezvous. */
  private readonly claims: number[][] = [];
  private running = 0;
  private requests = 0;

  /** Chunk -> the worker that has claimed it, or -1; and states held for it. */
  private readonly route: number[];
  private readonly held: StateKind[][];
  /** Each worker's running timer (the coordinator keeps at most one per worker), or -1. */
  private readonly liveTimer: number[] = [];
  private readonly uploads: number[];
  private now = 0;
  private events = 0;
  private latency: number | null = null;

  constructor(private readonly options: SimulationOptions) {
    this.profile = options.profile;
    this.keep = options.keepTransitions !== false;
    this.coordinator = createCoordinator({ ...options.job, keepLog: this.keep });
    this.logSeen = logPosition(this.coordinator);
    this.rng = new Random(options.seed);
    const width = options.width ?? this.profile.video.width;
    const height = options.height ?? this.profile.video.height;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width <= 65536 && height <= 65536)) {
      throw new SimError('invalid-argument', `picture size must be positive integers up to 65536, got ${width}x${height}`);
    }
    this.megapixels = (width * height) / 1e6;
    this.rawFrameBytes = 1.5 * width * height;
    this.stateBytes = this.profile.sizes.stateBytesPerPixel * width * height;
    this.outputFrameBytes = (this.profile.sizes.outputBitsPerPixel * width * height) / 8;
    const encode = encodeAtCqLevel(this.profile.compute.encode, options.cqLevel ?? this.profile.video.cqLevel, this.profile.video.cqLevel);
    this.encodeModel = encode.model;
    this.cqFactor = encode.factor;
    this.failureProbability = options.failureProbability ?? this.profile.failures.probabilityPerPhase;
    if (!(this.failureProbability >= 0 && this.failureProbability <= 1)) throw new SimError('invalid-argument', `failure probability must be in [0, 1], got ${this.failureProbability}`);
    this.maxEvents = options.maxEvents ?? 50_000_000;
    const chunks = this.coordinator.chunkCount;
    this.route = new Array<number>(chunks).fill(-1);
    this.held = Array.from({ length: chunks }, () => []);
    this.uploads = new Array<number>(chunks).fill(0);
  }

  run(): SimulationResult {
    this.toCoordinator({ kind: 'start', at: 0 });
    for (let next = this.next(); next !== undefined; next = this.next()) {
      if (++this.events > this.maxEvents) throw new SimError('internal', `the simulation did not end within ${this.maxEvents} events (at ${next.time.toFixed(1)} s)`);
      this.now = next.time;
      this.handle(next.item);
    }
    return this.report();
  }

  /**
   * Events at a fixed delay — phase time limits, the platform's time limit —
   * are started in time order, so they come due in the order they were
   * started: one FIFO lane per delay holds them at O(1) an event, instead of
   * the heap (most timers are cancelled before they fire, and a heap of
   * thousands of far-off events makes every other event slower).
   */
  private readonly lanes = new Map<number, { readonly entries: Entry<WorldEvent>[]; head: number }>();

  private pushDelayed(delay: number, item: WorldEvent): void {
    let lane = this.lanes.get(delay);
    if (lane === undefined) this.lanes.set(delay, (lane = { entries: [], head: 0 }));
    lane.entries.push({ time: this.now + delay, seq: this.queue.takeSequence(), item });
  }

  /** The next event by (time, sequence) from the heap and the lanes. */
  private next(): Entry<WorldEvent> | undefined {
    let best = this.queue.peek();
    let from: { entries: Entry<WorldEvent>[]; head: number } | null = null;
    for (const lane of this.lanes.values()) {
      const e = lane.entries[lane.head];
      if (e !== undefined && (best === undefined || e.time < best.time || (e.time === best.time && e.seq < best.seq))) {
        best = e;
        from = lane;
      }
    }
    if (from === null) return this.queue.pop();
    from.head++;
    // Drop the consumed prefix now and then, so a lane does not grow without bound.
    if (from.head > 4096 && from.head * 2 > from.entries.length) {
      from.entries.splice(0, from.head);
      from.head = 0;
    }
    return best;
  }

  private handle(e: WorldEvent): void {
    switch (e.kind) {
      case 'coordinator':
        this.toCoordinator(e.event);
        return;
      case 'done':
        if (this.life[e.worker] !== e.life) return;
        if (e.event.kind === 'phase-done' && e.event.phase === 'upload') this.uploads[e.event.chunk]!++;
        this.toCoordinator({ ...e.event, at: this.now });
        return;
      case 'deliver':
        this.deliver(e.chunk, e.state, e.worker, e.life);
        return;
      case 'crash':
        if (this.life[e.worker] !== e.life) return;
        this.die(e.worker);
        this.toCoordinator({ kind: 'worker-failed', at: this.now, worker: e.worker, reason: e.reason });
        return;
      case 'timer':
        if (this.liveTimer[e.worker] !== e.timer) return;
        this.liveTimer[e.worker] = -1;
        this.toCoordinator({ kind: 'timer', at: this.now, timer: e.timer, worker: e.worker });
        return;
    }
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
  /** Per worker: the phase it is in and since when. */
  private readonly openPhase: (string | null)[] = [];
  private readonly openSince: number[] = [];
  private readonly spans = new Map<string, number[]>();

  private observe(t: Transition): void {
    const w = t.worker;
    const open = this.openPhase[w];
    if (open !== undefined && open !== null) this.span(open, t.at - this.openSince[w]!);
    this.openPhase[w] = phaseOf(t);
    this.openSince[w] = t.at;
  }

  private span(phase: string, seconds: number): void {
    let list = this.spans.get(phase);
    if (list === undefined) this.spans.set(phase, (list = []));
    list.push(seconds);
  }

  private apply(effect: Effect): void {
    switch (effect.kind) {
      case 'invoke':
        return this.invoke(effect.worker);
      case 'command':
        return this.command(effect.worker, effect.command);
      case 'terminate':
        if (this.alive[effect.worker] === true) this.die(effect.worker);
        return;
      case 'start-timer':
        // Phase time limits share one delay (a lane); backoffs vary (the heap).
        this.liveTimer[effect.worker] = effect.timer;
        if (effect.seconds === this.options.job.phaseTimeoutSeconds) this.pushDelayed(effect.seconds, { kind: 'timer', timer: effect.timer, worker: effect.worker });
        else this.queue.push(this.now + effect.seconds, { kind: 'timer', timer: effect.timer, worker: effect.worker });
        return;
      case 'cancel-timer':
        if (this.liveTimer[effect.worker] === effect.timer) this.liveTimer[effect.worker] = -1;
        return;
      case 'finish':
        this.latency = this.now;
        return;
      case 'fail':
        return;
    }
  }

  // ---- workers ------------------------------------------------------------

  private invoke(w: number): void {
    while (this.workerRng.length <= w) {
      const i = this.workerRng.length;
      const r = this.rng.fork(i);
      this.workerRng.push(r);
      this.speed.push(sample(this.profile.workers.speed, r));
      this.life.push(0);
      this.alive.push(false);
      this.startedAt.push(NaN);
      this.endedAt.push(NaN);
      this.claims.push([]);
    }
    const r = this.workerRng[w]!;
    const platform = this.profile.platform;
    this.requests++;
    if (this.running >= platform.concurrencyLimit) {
      const after = sample(platform.throttleLatency, r);
      this.queue.push(this.now + after, {
        kind: 'coordinator',
        event: { kind: 'invoke-failed', at: this.now + after, worker: w, throttled: true, reason: `account concurrency limit of ${platform.concurrencyLimit} reached (HTTP 429)` },
      });
      return;
    }
    this.running++;
    this.alive[w] = true;
    this.startedAt[w] = this.now;
    this.endedAt[w] = NaN;
    const life = ++this.life[w]!;
    const start = sample(platform.startLatency, r);
    this.queue.push(this.now + start, { kind: 'done', worker: w, life, event: { kind: 'connected', at: 0, worker: w } });
    // The platform stops a worker at its time limit.
    this.pushDelayed(platform.timeLimitSeconds, { kind: 'crash', worker: w, life, reason: `stopped by the platform at its ${platform.timeLimitSeconds} s time limit` });
  }

  private die(w: number): void {
    this.alive[w] = false;
    this.life[w]!++;
    this.running--;
    this.endedAt[w] = this.now;
    for (const c of this.claims[w]!.splice(0)) if (this.route[c] === w) this.route[c] = -1;
  }

  private command(w: number, command: Command): void {
    if (this.alive[w] !== true) return;
    const r = this.workerRng[w]!;
    const life = this.life[w]!;
    if (command.kind === 'quit') {
      this.die(w);
      return;
    }
    if (command.kind === 'drop') return;
    if (command.kind === 'resend') {
      const t = this.transfer(this.profile.rendezvous, this.stateBytes, r);
      for (const state of command.states) this.queue.push(this.now + t, { kind: 'deliver', chunk: command.to, state, life, worker: w });
      return;
    }
    const chunk = command.chunk;
    const frames = this.framesOf(chunk);
    let seconds: number;
    const speed = this.speed[w]!;
    switch (command.kind) {
      case 'fetch':
        this.route[chunk] = w;
        this.claims[w]!.push(chunk);
        seconds = this.transfer(this.profile.storage.get, frames * this.rawFrameBytes, r);
        // States held for this chunk go to its new worker.
        for (const state of this.held[chunk]!.splice(0)) {
          const at = this.now + this.transfer(this.profile.rendezvous, this.stateBytes, r);
          this.queue.push(at, { kind: 'done', worker: w, life, event: { kind: 'state-received', at: 0, worker: w, chunk, state } });
        }
        break;
      case 'encode':
        seconds = this.compute(this.encodeModel, frames, r) * this.cqFactor * speed;
        break;
      case 'send-state':
        seconds = this.compute(this.profile.compute.decode, frames, r) * speed + this.transfer(this.profile.rendezvous, this.stateBytes, r);
        this.queue.push(this.now + seconds, { kind: 'deliver', chunk: command.to, state: 'independent', life, worker: w });
        break;
      case 'given-state':
        seconds = this.compute(this.profile.compute.givenState, frames, r) * speed;
        break;
      case 'rebase':
        seconds = this.compute(this.profile.compute.rebase, frames, r) * speed;
        break;
      case 'send-final':
        seconds = this.transfer(this.profile.rendezvous, this.stateBytes, r);
        this.queue.push(this.now + seconds, { kind: 'deliver', chunk: command.to, state: 'final', life, worker: w });
        break;
      case 'upload':
        seconds = this.transfer(this.profile.storage.put, frames * this.outputFrameBytes, r);
        break;
    }
    // A fault: the worker crashes part-way through (its connection closes),
    // or hangs and goes quiet (the coordinator's time limit catches it).
    if (this.failureProbability > 0 && r.uniform() < this.failureProbability) {
      const when = this.now + seconds * r.uniform();
      if (r.uniform() >= this.profile.failures.hangFraction) this.queue.push(when, { kind: 'crash', worker: w, life, reason: `crashed in ${command.kind} of chunk ${chunk}` });
      return;
    }
    this.queue.push(this.now + seconds, { kind: 'done', worker: w, life, event: { kind: 'phase-done', at: 0, worker: w, chunk, phase: command.kind } });
  }

  /** A state reaches the rendezvous for `chunk`: it goes to the chunk's worker, or waits for one. */
  private deliver(chunk: number, state: StateKind, sender: number, life: number): void {
    // A sender that died before its state was out lost it.
    if (this.life[sender] !== life) return;
    const w = this.route[chunk]!;
    if (w >= 0 && this.alive[w] === true) {
      this.toCoordinator({ kind: 'state-received', at: this.now, worker: w, chunk, state });
      return;
    }
    const held = this.held[chunk]!;
    if (!held.includes(state)) held.push(state);
  }

  private framesOf(chunk: number): number {
    const { frames, framesPerChunk } = this.options.job;
    return Math.min(framesPerChunk, frames - chunk * framesPerChunk);
  }

  private compute(model: ComputeModel, frames: number, r: Random): number {
    const base = sample(model.perFrameMegapixel, r) * frames * this.megapixels;
    return base + (model.fixed !== undefined ? sample(model.fixed, r) : 0);
  }

  private transfer(model: TransferModel, bytes: number, r: Random): number {
    return sample(model.latency, r) + bytes / model.bytesPerSecond;
  }

  // ---- report -------------------------------------------------------------

  private report(): SimulationResult {
    for (const [w, open] of this.openPhase.entries()) if (open !== null && open !== undefined) this.span(open, this.now - this.openSince[w]!);
    this.openPhase.length = 0;
    const platform = this.profile.platform;
    let workerSeconds = 0;
    for (let w = 0; w < this.startedAt.length; w++) {
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
      phases: statsOf(this.spans),
      uploads: this.uploads,
      events: this.events,
      transitions: this.keep ? transitions(this.coordinator) : [],
      coordinator: this.coordinator,
    };
  }
}

/** Count, total, median, p90 and max of each phase's spans. */
function statsOf(spans: ReadonlyMap<string, number[]>): Record<string, PhaseStats> {
  const out: Record<string, PhaseStats> = {};
  for (const [phase, list] of spans) {
    const v = Float64Array.from(list).sort();
    const at = (q: number): number => v[Math.min(v.length - 1, Math.floor(q * v.length))]!;
    let total = 0;
    for (const x of v) total += x;
    out[phase] = { count: v.length, totalSeconds: total, medianSeconds: at(0.5), p90Seconds: at(0.9), maxSeconds: v[v.length - 1]! };
  }
  return out;
}

/** The encode-time factor for a CQ level: piecewise linear between the model's points. */
export function cqLevelFactor(model: ComputeModel, cqLevel: number | undefined): number {
  const points = model.cqLevelFactor;
  if (points === undefined || points.length === 0 || cqLevel === undefined) return 1;
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  if (cqLevel <= sorted[0]![0]) return sorted[0]![1];
  for (let i = 1; i < sorted.length; i++) {
    const [x0, y0] = sorted[i - 1]!;
    const [x1, y1] = sorted[i]!;
    if (cqLevel <= x1) return y0 + ((y1 - y0) * (cqLevel - x0)) / (x1 - x0);
  }
  return sorted[sorted.length - 1]![1];
}

/**
 * The encode model a job at `cqLevel` draws from: the measurement nearest to
 * that level (the base distribution counts as measured at `profileCqLevel`),
 * and the cqLevelFactor ratio that carries it from there to `cqLevel` (1 at
 * a measured level).
 */
export function encodeAtCqLevel(model: ComputeModel, cqLevel: number | undefined, profileCqLevel: number | undefined): { model: ComputeModel; factor: number } {
  if (cqLevel === undefined || model.measuredAt === undefined || model.measuredAt.length === 0) return { model, factor: cqLevelFactor(model, cqLevel) };
  let best: { cqLevel: number | undefined; perFrameMegapixel: Distribution } = { cqLevel: profileCqLevel, perFrameMegapixel: model.perFrameMegapixel };
  let distance = profileCqLevel === undefined ? Infinity : Math.abs(profileCqLevel - cqLevel);
  for (const m of model.measuredAt) {
    const d = Math.abs(m.cqLevel - cqLevel);
    if (d < distance) {
      best = m;
      distance = d;
    }
  }
  const factor = cqLevelFactor(model, cqLevel) / cqLevelFactor(model, best.cqLevel);
  return { model: { ...model, perFrameMegapixel: best.perFrameMegapixel }, factor };
}
