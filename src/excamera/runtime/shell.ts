// The coordinator's shell: the thin, impure part around the pure `step`.
// It starts the rendezvous, puts the raw chunks in storage, listens (TLS)
// for workers, turns what happens — connections, messages, closed sockets,
// timers, failed launches — into events for `step`, and carries out the
// effects `step` returns. When the job finishes, the output chunks are read
// back from storage in order, one at a time, as the caller consumes them.
//
// Accepting, authenticating and bounding connections, and closing them all
// at the end, is the shared listener's (message-socket.ts), the same as the
// rendezvous's: here a connection exists for the shell once its worker's
// hello has verified.

import { createCoordinator, type CoordinatorState, step, transitions } from '../coordinator/coordinator.js';
import type { Effect, Event, JobConfig, Transition } from '../coordinator/types.js';
import { ExcameraError } from '../errors.js';
import { parseChunkFile } from '../files.js';
import { i420Size } from '../../vp8/index.js';
import { Rendezvous } from './rendezvous.js';
import { DEFAULT_LISTENER_LIMITS, MessageListener, type MessageSocket } from './message-socket.js';
import { createJobCredentials, workerToken } from './security.js';
import type { Invocation, StorageSpec } from './invocation.js';
import { type JobSpec, outputChunkKey, rawChunkKey, type Storage } from './worker.js';

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

export interface DistributedJob {
  /**
   * The raw chunks, in order: chunk c is frames [c·n, (c+1)·n) of the input as
   * packed I420, one after another. They are read one at a time as they are
   * put in storage, so the job never holds the whole input; each is stored
   * before the next is asked for, so a source may reuse one buffer.
   */
  readonly rawChunks: AsyncIterable<Uint8Array>;
  readonly spec: JobSpec;
  readonly config: JobConfig;
  readonly storage: Storage;
  readonly storageSpec: StorageSpec;
  readonly launcher: Launcher;
  /** The address the coordinator and the rendezvous listen on (default 127.0.0.1). */
  readonly host?: string;
  /** The address workers are told to reach them at (default: `host`; a public one for Lambda). */
  readonly advertiseHost?: string;
  readonly log?: (line: string) => void;
  /** Told of every transition, as it happens (progress bars). */
  readonly onTransition?: (t: Transition) => void;
  /** Told where the job listens, once it does. */
  readonly onListening?: (where: { readonly coordinatorPort: number; readonly rendezvousPort: number; readonly fingerprint: string }) => void;
}

export interface DistributedResult {
  /**
   * The output stream's frames, in decoding order, read from storage one
   * chunk at a time as they are consumed — never all at once, so a long job's
   * output is not held in memory. The storage must still be there.
   */
  outputFrames(): AsyncGenerator<Uint8Array>;
  readonly latencySeconds: number;
  readonly transitions: Transition[];
  readonly coordinator: CoordinatorState;
}

/** How long the end of a job waits for workers told to quit to leave by themselves. */
const QUIT_GRACE_MS = 1000;

export async function runDistributed(job: DistributedJob): Promise<DistributedResult> {
  const log = job.log ?? (() => undefined);
  const host = job.host ?? '127.0.0.1';
  const credentials = createJobCredentials();
  const { spec, config } = job;
  const n = config.framesPerChunk;
  const chunks = Math.ceil(config.frames / n);
  const frameBytes = i420Size(spec.width, spec.height);
  let uploaded = 0;
  for await (const bytes of job.rawChunks) {
    const expected = frameBytes * Math.min(n, config.frames - uploaded * n);
    if (uploaded >= chunks || bytes.length !== expected) {
      throw new ExcameraError('invalid-argument', uploaded >= chunks ? `more than the job's ${chunks} raw chunks were given` : `raw chunk ${uploaded} holds ${bytes.length} bytes, ${expected} were expected`, { chunk: uploaded });
    }
    await job.storage.put(rawChunkKey(uploaded++), bytes);
  }
  if (uploaded !== chunks) throw new ExcameraError('invalid-argument', `the job has ${chunks} chunks but ${uploaded} raw chunks were given`);

  // Every worker the job starts at once opens one connection to each listener:
  // the cap on strangers must not be lower than that.
  const maxUnauthenticated = Math.max(DEFAULT_LISTENER_LIMITS.maxUnauthenticated, config.workers + config.spares);
  const rendezvous = await Rendezvous.start({ credentials, host, log, maxUnauthenticated });
  const peers = new Map<number, MessageSocket>();
  const timers = new Map<number, NodeJS.Timeout>();
  const started = performance.now();
  const now = (): number => (performance.now() - started) / 1000;
  let state = createCoordinator({ ...config, keepLog: true });
  let settle: { resolve: (r: DistributedResult) => void; reject: (e: Error) => void } | null = null;
  const result = new Promise<DistributedResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  let logged: object | null = null;
  /** Set once the job has ended: the connections closed then are no news for `step`. */
  let ending = false;
  /** Resolve when a worker told to quit has closed its connection. */
  const quitting: Promise<void>[] = [];

  const dispatch = (event: Event): void => {
    const [next, effects] = step(state, event);
    state = next;
    if (job.onTransition) {
      for (const t of transitions(state, logged)) job.onTransition(t);
      logged = state.log;
    }
    for (const e of effects) apply(e);
  };

  /** A worker whose hello verified: its messages become events. */
  const onPeer = (peer: MessageSocket): void => {
    const worker = peer.worker;
    peers.set(worker, peer);
    peer.onMessage = (m) => {
      if (m.type === 'phase-done') dispatch({ kind: 'phase-done', at: now(), worker, chunk: m.chunk, phase: m.phase });
      else if (m.type === 'state-received') dispatch({ kind: 'state-received', at: now(), worker, chunk: m.chunk, state: m.state });
      else if (m.type === 'failed') dispatch({ kind: 'worker-failed', at: now(), worker, reason: m.reason });
      else if (m.type === 'ping') peer.send({ type: 'pong', nonce: m.nonce });
    };
    peer.onClose = () => {
      if (peers.get(worker) === peer) {
        peers.delete(worker);
        if (!ending) dispatch({ kind: 'worker-failed', at: now(), worker, reason: 'its connection closed' });
      }
    };
    dispatch({ kind: 'connected', at: now(), worker });
  };
  let listener: MessageListener;
  try {
    listener = await MessageListener.start({ name: 'coordinator', credentials, host, log, maxUnauthenticated, onPeer });
  } catch (e) {
    await rendezvous.close();
    throw e;
  }
  const port = listener.port;
  job.launcher.onExit = (worker, reason) => dispatch({ kind: 'worker-failed', at: now(), worker, reason });
  job.onListening?.({ coordinatorPort: port, rendezvousPort: rendezvous.port, fingerprint: credentials.fingerprint });

  const payload = (worker: number): Invocation => ({
    version: 1,
    worker,
    jobId: Buffer.from(credentials.jobId).toString('hex'),
    token: Buffer.from(workerToken(credentials.secret, credentials.jobId, worker)).toString('hex'),
    fingerprint: credentials.fingerprint,
    coordinator: { host: job.advertiseHost ?? host, port },
    rendezvous: { host: job.advertiseHost ?? host, port: rendezvous.port },
    storage: job.storageSpec,
    spec,
  });

  const storage = job.storage;
  async function* outputFrames(): AsyncGenerator<Uint8Array> {
    for (let c = 0; c < chunks; c++) yield* parseChunkFile(await storage.get(outputChunkKey(c)), outputChunkKey(c)).chunk.frames;
  }

  function apply(e: Effect): void {
    switch (e.kind) {
      case 'invoke':
        job.launcher.invoke(e.worker, payload(e.worker)).catch((err: Error & { throttled?: boolean }) => {
          dispatch({ kind: 'invoke-failed', at: now(), worker: e.worker, throttled: err.throttled === true, reason: err.message });
        });
        return;
      case 'command': {
        peers.get(e.worker)?.send({ type: 'command', command: e.command });
        // A worker told to quit closes its connection itself.
        if (e.command.kind === 'quit') {
          const peer = peers.get(e.worker);
          peers.delete(e.worker);
          if (peer !== undefined && !peer.closed) quitting.push(new Promise<void>((resolve) => (peer.onClose = () => resolve())));
        }
        return;
      }
      case 'terminate':
        peers.get(e.worker)?.destroy();
        peers.delete(e.worker);
        job.launcher.terminate(e.worker);
        return;
      case 'start-timer': {
        const t = setTimeout(() => {
          timers.delete(e.timer);
          dispatch({ kind: 'timer', at: now(), timer: e.timer, worker: e.worker });
        }, e.seconds * 1000);
        timers.set(e.timer, t);
        return;
      }
      case 'cancel-timer':
        clearTimeout(timers.get(e.timer));
        timers.delete(e.timer);
        return;
      case 'finish':
        settle?.resolve({ outputFrames, latencySeconds: now(), transitions: transitions(state), coordinator: state });
        return;
      case 'fail':
        settle?.reject(new ExcameraError('job-failed', `the job failed: ${e.reason}`));
        return;
    }
  }

  dispatch({ kind: 'start', at: 0 });
  try {
    return await result;
  } finally {
    ending = true;
    for (const t of timers.values()) clearTimeout(t);
    // Workers still at work are cut loose, so their processes end; workers
    // told to quit are left a moment to read it and leave by themselves.
    for (const p of peers.values()) p.destroy();
    await job.launcher.close();
    // Lambda workers cannot be waited for as processes: wait (briefly) for
    // those told to quit to close their connections, so that the listeners
    // closing does not reach one before its quit does — it would take that
    // for a failure.
    await Promise.race([Promise.all(quitting), new Promise((resolve) => setTimeout(resolve, QUIT_GRACE_MS).unref())]);
    // Then every connection left, whoever holds it, ends at once.
    await Promise.all([rendezvous.close(), listener.close()]);
  }
}

/** Every frame of a finished job's output, in one array (for tests and short jobs). */
export async function collectOutput(result: DistributedResult): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  for await (const f of result.outputFrames()) frames.push(f);
  return frames;
}
