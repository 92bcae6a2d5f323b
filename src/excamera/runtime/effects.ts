// Carrying out the coordinator's effects (types.ts lists them): starting
// workers through a launcher, sending commands on the workers' connections,
// timers, terminations; and at the end of a job, letting go of all of them.
//
// What happens to the effects comes back as events — a launch refused, a
// timer gone off, a worker's connection closed — through `dispatch`. The
// clock and the connections are interfaces, so that the executor runs as
// well on a fake clock and fake sockets (the tests) as on real ones.

import type { Effect, Event } from '../coordinator/types.js';
import type { Message } from '../protocol.js';
import type { Invocation } from './invocation.js';

/** How workers are started: local processes, Lambda invocations, ... */
export interface Launcher {
  /** Starts worker `worker`; rejects (with `throttled` set when retrying may help) if it cannot. */
  invoke(worker: number, payload: Invocation): Promise<void>;
  /** Stops a worker given up on. */
  terminate(worker: number): void;
  /** Told of a worker that ended on its own (a process exit); the shell turns it into an event. */
  onExit?: (worker: number, reason: string) => void;
  close(): Promise<void>;
}

/** The job's time, and timers on it. */
export interface Clock {
  /** Seconds since the job started. */
  now(): number;
  /** Calls `fire` after `ms` milliseconds; the function returned cancels it. */
  schedule(ms: number, fire: () => void): () => void;
  /** Resolves after `ms` milliseconds, without keeping the process alive for it. */
  sleep(ms: number): Promise<void>;
}

/** The real clock, counting from now. */
export function realClock(): Clock {
  const started = performance.now();
  return {
    now: () => (performance.now() - started) / 1000,
    schedule: (ms, fire) => {
      const t = setTimeout(fire, ms);
      return () => clearTimeout(t);
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
  };
}

/** What the executor needs of a worker's connection (a MessageSocket). */
export interface PeerLink {
  readonly worker: number;
  /** Whether it is closed or closing. */
  readonly closed: boolean;
  /** Called once when the connection is gone. */
  onClose: (why: string | null) => void;
  send(m: Message): void;
  destroy(why?: string): void;
}

export interface ExecutorPorts {
  readonly clock: Clock;
  readonly launcher: Launcher;
  /** The payload that starts worker `worker`. */
  readonly invocation: (worker: number) => Invocation;
  /** Hands an event back to the coordinator. */
  readonly dispatch: (event: Event) => void;
  /** The job has finished (every chunk is uploaded) or failed. */
  readonly finish: () => void;
  readonly fail: (reason: string) => void;
}

export class EffectExecutor {
  /** Each connected worker's connection: where its commands go. */
  private readonly peers = new Map<number, PeerLink>();
  /** Running timers, by the coordinator's number: each one's cancel. */
  private readonly timers = new Map<number, () => void>();
  /** Resolve when a worker told to quit has closed its connection. */
  private readonly quitting: Promise<void>[] = [];
  /** Set once the job has ended: the connections closed then are no news. */
  private ending = false;

  constructor(private readonly ports: ExecutorPorts) {}

  /**
   * A worker whose hello verified: its commands go on `peer` from now on, and
   * the connection closing while it is the worker's is the worker failing.
   */
  connected(peer: PeerLink): void {
    const worker = peer.worker;
    this.peers.set(worker, peer);
    peer.onClose = () => {
      if (this.peers.get(worker) !== peer) return;
      this.peers.delete(worker);
      if (!this.ending) this.ports.dispatch({ kind: 'worker-failed', at: this.ports.clock.now(), worker, reason: 'its connection closed' });
    };
  }

  apply(e: Effect): void {
    const { clock, dispatch } = this.ports;
    switch (e.kind) {
      case 'invoke':
        this.ports.launcher.invoke(e.worker, this.ports.invocation(e.worker)).catch((err: Error & { throttled?: boolean }) => {
          dispatch({ kind: 'invoke-failed', at: clock.now(), worker: e.worker, throttled: err.throttled === true, reason: err.message });
        });
        return;
      case 'command': {
        const peer = this.peers.get(e.worker);
        peer?.send({ type: 'command', command: e.command });
        // A worker told to quit closes its connection itself: that is no failure.
        if (e.command.kind === 'quit') {
          this.peers.delete(e.worker);
          if (peer !== undefined && !peer.closed) this.quitting.push(new Promise<void>((resolve) => (peer.onClose = () => resolve())));
        }
        return;
      }
      case 'terminate': {
        const peer = this.peers.get(e.worker);
        this.peers.delete(e.worker);
        peer?.destroy();
        this.ports.launcher.terminate(e.worker);
        return;
      }
      case 'start-timer': {
        const cancel = clock.schedule(e.seconds * 1000, () => {
          this.timers.delete(e.timer);
          dispatch({ kind: 'timer', at: clock.now(), timer: e.timer, worker: e.worker });
        });
        this.timers.set(e.timer, cancel);
        return;
      }
      case 'cancel-timer':
        this.timers.get(e.timer)?.();
        this.timers.delete(e.timer);
        return;
      case 'finish':
        this.ports.finish();
        return;
      case 'fail':
        this.ports.fail(e.reason);
        return;
    }
  }

  /**
   * The end of the job, finished or not: timers stop; workers still at work
   * are cut loose, so that their processes end; the launcher closes; and
   * workers told to quit are left up to `graceMs` to read it and leave by
   * themselves — Lambda workers cannot be waited for as processes, and one
   * whose connection the listeners cut before its quit arrived would take
   * that for a failure.
   */
  async end(graceMs: number): Promise<void> {
    this.ending = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    for (const p of this.peers.values()) p.destroy();
    await this.ports.launcher.close();
    await Promise.race([Promise.all(this.quitting), this.ports.clock.sleep(graceMs)]);
  }
}
