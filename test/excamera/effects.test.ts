// The effect executor (effects.ts) on a fake clock, fake connections and a
// fake launcher: each effect does what it says, what comes of it comes back
// as the right event at the right time, and the end of a job lets go of
// everything — timers, connections, the launcher — waiting a bounded time
// for workers told to quit.

import { describe, expect, it } from 'vitest';
import type { Effect, Event } from '../../src/excamera/coordinator/types.js';
import type { Message } from '../../src/excamera/protocol.js';
import { type Clock, EffectExecutor, type Launcher, type PeerLink } from '../../src/excamera/runtime/effects.js';
import type { Invocation } from '../../src/excamera/runtime/invocation.js';

/** Time that moves only when a test moves it. */
class FakeClock implements Clock {
  ms = 0;
  private pending: { at: number; seq: number; fire: () => void }[] = [];
  private seq = 0;

  now(): number {
    return this.ms / 1000;
  }

  schedule(ms: number, fire: () => void): () => void {
    const entry = { at: this.ms + ms, seq: this.seq++, fire };
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((e) => e !== entry);
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ms, resolve));
  }

  get timers(): number {
    return this.pending.length;
  }

  /** Moves time on by `ms`, firing what falls due, in order. */
  advance(ms: number): void {
    const end = this.ms + ms;
    for (;;) {
      const due = this.pending.filter((e) => e.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.pending = this.pending.filter((e) => e !== due);
      this.ms = due.at;
      due.fire();
    }
    this.ms = end;
  }
}

/** A worker's connection: it records what is sent, and closes (later, as a socket does) when destroyed. */
class FakePeer implements PeerLink {
  readonly sent: Message[] = [];
  closed = false;
  destroyed = false;
  onClose: (why: string | null) => void = () => undefined;

  constructor(readonly worker: number) {}

  send(m: Message): void {
    if (!this.closed) this.sent.push(m);
  }

  destroy(): void {
    this.destroyed = true;
    this.hangUp();
  }

  /** The connection goes, from either end: `onClose` follows on a later tick. */
  hangUp(): void {
    if (this.closed) return;
    this.closed = true;
    setImmediate(() => this.onClose(null));
  }
}

class FakeLauncher implements Launcher {
  readonly invoked: { worker: number; payload: Invocation }[] = [];
  readonly terminated: number[] = [];
  closed = false;
  /** Why worker w's invocation fails, if it does. */
  refuse = new Map<number, Error & { throttled?: boolean }>();

  invoke(worker: number, payload: Invocation): Promise<void> {
    this.invoked.push({ worker, payload });
    const e = this.refuse.get(worker);
    return e === undefined ? Promise.resolve() : Promise.reject(e);
  }

  terminate(worker: number): void {
    this.terminated.push(worker);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const clock = new FakeClock();
  const launcher = new FakeLauncher();
  const events: Event[] = [];
  const ends: string[] = [];
  const executor = new EffectExecutor({
    clock,
    launcher,
    invocation: (worker) => ({ worker }) as unknown as Invocation,
    dispatch: (e) => events.push(e),
    finish: () => ends.push('finished'),
    fail: (reason) => ends.push(`failed: ${reason}`),
  });
  const run = (...effects: Effect[]): void => effects.forEach((e) => executor.apply(e));
  const connect = (worker: number): FakePeer => {
    const p = new FakePeer(worker);
    executor.connected(p);
    return p;
  };
  return { clock, launcher, events, ends, executor, run, connect };
}

describe('effect executor', () => {
  it('invokes a worker with its payload; a refusal comes back as invoke-failed, throttled or not', async () => {
    const { clock, launcher, events, run } = setup();
    launcher.refuse.set(1, Object.assign(new Error('rate exceeded'), { throttled: true }));
    launcher.refuse.set(2, new Error('no such function'));
    clock.ms = 1500;
    run({ kind: 'invoke', worker: 0 }, { kind: 'invoke', worker: 1 }, { kind: 'invoke', worker: 2 });
    expect(launcher.invoked.map((i) => [i.worker, i.payload])).toEqual([
      [0, { worker: 0 }],
      [1, { worker: 1 }],
      [2, { worker: 2 }],
    ]);
    await tick();
    expect(events).toEqual([
      { kind: 'invoke-failed', at: 1.5, worker: 1, throttled: true, reason: 'rate exceeded' },
      { kind: 'invoke-failed', at: 1.5, worker: 2, throttled: false, reason: 'no such function' },
    ]);
  });

  it('sends a command on its worker\'s connection, and nowhere when the worker has none', () => {
    const { run, connect } = setup();
    const a = connect(0);
    const b = connect(1);
    run({ kind: 'command', worker: 1, command: { kind: 'encode', chunk: 4 } }, { kind: 'command', worker: 7, command: { kind: 'encode', chunk: 5 } });
    expect(a.sent).toEqual([]);
    expect(b.sent).toEqual([{ type: 'command', command: { kind: 'encode', chunk: 4 } }]);
  });

  it('takes a worker\'s connection closing for its failure, unless a newer one replaced it', async () => {
    const { clock, events, connect } = setup();
    const old = connect(3);
    const fresh = connect(3);
    old.hangUp();
    await tick();
    expect(events).toEqual([]);
    clock.ms = 2000;
    fresh.hangUp();
    await tick();
    expect(events).toEqual([{ kind: 'worker-failed', at: 2, worker: 3, reason: 'its connection closed' }]);
  });

  it('terminates: the connection is cut (no failure reported for it) and the launcher stops the worker', async () => {
    const { launcher, events, run, connect } = setup();
    const p = connect(2);
    run({ kind: 'terminate', worker: 2 }, { kind: 'terminate', worker: 5 });
    expect(p.destroyed).toBe(true);
    expect(launcher.terminated).toEqual([2, 5]);
    await tick();
    expect(events).toEqual([]);
  });

  it('reports a timer when it goes off, at the time it does, and not once cancelled', () => {
    const { clock, events, run } = setup();
    run({ kind: 'start-timer', timer: 0, worker: 4, seconds: 30 }, { kind: 'start-timer', timer: 1, worker: 5, seconds: 10 }, { kind: 'start-timer', timer: 2, worker: 6, seconds: 20 });
    run({ kind: 'cancel-timer', timer: 2, worker: 6 });
    clock.advance(9_999);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual([{ kind: 'timer', at: 10, timer: 1, worker: 5 }]);
    clock.advance(60_000);
    expect(events).toEqual([
      { kind: 'timer', at: 10, timer: 1, worker: 5 },
      { kind: 'timer', at: 30, timer: 0, worker: 4 },
    ]);
    // Cancelling a timer that has gone off, or never was, is nothing.
    run({ kind: 'cancel-timer', timer: 0, worker: 4 }, { kind: 'cancel-timer', timer: 9, worker: 4 });
  });

  it('passes the job\'s end on: finished or failed', () => {
    const { ends, run } = setup();
    run({ kind: 'finish', chunks: 3 }, { kind: 'fail', reason: 'chunk 2 failed 3 time(s)' });
    expect(ends).toEqual(['finished', 'failed: chunk 2 failed 3 time(s)']);
  });

  it('ends a job: timers stop, workers at work are cut, the launcher closes, and a worker told to quit may leave by itself', async () => {
    const { clock, launcher, events, executor, run, connect } = setup();
    const working = connect(0);
    const quitting = connect(1);
    run({ kind: 'start-timer', timer: 0, worker: 0, seconds: 5 }, { kind: 'command', worker: 1, command: { kind: 'quit' } });
    expect(quitting.sent).toEqual([{ type: 'command', command: { kind: 'quit' } }]);
    let ended = false;
    const end = executor.end(1000).then(() => (ended = true));
    expect(working.destroyed).toBe(true);
    expect(quitting.destroyed).toBe(false);
    expect(launcher.closed).toBe(true);
    await tick();
    // Only the grace period's sleep is on the clock: the job's timer is gone.
    expect(clock.timers).toBe(1);
    expect(ended).toBe(false);
    quitting.hangUp();
    await end;
    // Neither the worker cut at the end nor the one that quit counts as failing.
    expect(events).toEqual([]);
  });

  it('waits no longer than the grace period for a worker told to quit that does not leave', async () => {
    const { clock, executor, run, connect } = setup();
    const stays = connect(1);
    run({ kind: 'command', worker: 1, command: { kind: 'quit' } });
    let ended = false;
    const end = executor.end(1000).then(() => (ended = true));
    await tick();
    clock.advance(999);
    await tick();
    expect(ended).toBe(false);
    clock.advance(1);
    await end;
    expect(stays.destroyed).toBe(false);
  });
});
