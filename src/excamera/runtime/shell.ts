// The coordinator's shell: the thin, impure part around the pure `step`. It
// wires the job's parts together and owns nothing else:
//  - the raw chunks go to storage first (job-chunks.ts);
//  - the rendezvous and the coordinator's listener accept, authenticate,
//    bound and at the end close every connection (message-socket.ts): here a
//    connection exists once its worker's hello has verified;
//  - each message of a worker becomes an event for `step`, or is refused as
//    no news (message-event.ts, a pure function);
//  - `step`'s effects are carried out — launches, commands, timers,
//    terminations — and what comes of them comes back as events (effects.ts);
//  - when the job finishes, the output chunks are read back from storage in
//    order, one at a time, as the caller consumes them.

import { createCoordinator, type CoordinatorState, logPosition, type LogPosition, step, transitions } from '../coordinator/coordinator.js';
import type { Event, JobConfig, Transition } from '../coordinator/types.js';
import { ExcameraError } from '../errors.js';
import { EffectExecutor, type Launcher, realClock } from './effects.js';
import type { Invocation, StorageSpec } from './invocation.js';
import { outputFramesOf, uploadRawChunks } from './job-chunks.js';
import { contextOf, eventOf } from './message-event.js';
import { DEFAULT_LISTENER_LIMITS, MessageListener, type MessageSocket } from './message-socket.js';
import { Rendezvous } from './rendezvous.js';
import { createJobCredentials, type JobCredentials, workerToken } from './security.js';
import type { JobSpec, Storage } from './worker.js';

export type { Launcher } from './effects.js';

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
  const chunks = await uploadRawChunks(job.rawChunks, job.storage, job.spec, job.config);
  // Every worker the job starts at once opens one connection to each listener:
  // the cap on strangers must not be lower than that.
  const maxUnauthenticated = Math.max(DEFAULT_LISTENER_LIMITS.maxUnauthenticated, job.config.workers + job.config.spares);
  const rendezvous = await Rendezvous.start({ credentials, host, log, maxUnauthenticated });
  const clock = realClock();
  let state = createCoordinator({ ...job.config, keepLog: true });
  let logged: LogPosition = null;
  let settle: { resolve: (r: DistributedResult) => void; reject: (e: Error) => void } | null = null;
  const result = new Promise<DistributedResult>((resolve, reject) => (settle = { resolve, reject }));
  const ports = { coordinator: 0, rendezvous: rendezvous.port };
  const executor = new EffectExecutor({
    clock,
    launcher: job.launcher,
    dispatch: (event) => dispatch(event),
    invocation: (worker) => invocationOf(worker, credentials, { host: job.advertiseHost ?? host, ...ports }, job),
    finish: () => settle?.resolve({ outputFrames: () => outputFramesOf(job.storage, chunks), latencySeconds: clock.now(), transitions: transitions(state), coordinator: state }),
    fail: (reason) => settle?.reject(new ExcameraError('job-failed', `the job failed: ${reason}`)),
  });
  const dispatch = (event: Event): void => {
    const [next, effects] = step(state, event);
    state = next;
    if (job.onTransition) {
      for (const t of transitions(state, logged)) job.onTransition(t);
      logged = logPosition(state);
    }
    for (const e of effects) executor.apply(e);
  };
  const onPeer = (peer: MessageSocket): void => {
    executor.connected(peer);
    peer.onMessage = (m) => {
      // A refused message is one `step` would ignore: stale or stray, no news.
      const t = eventOf(m, contextOf(state, peer.worker, clock.now()));
      if ('event' in t) dispatch(t.event);
    };
    dispatch({ kind: 'connected', at: clock.now(), worker: peer.worker });
  };
  const listener = await MessageListener.start({ name: 'coordinator', credentials, host, log, maxUnauthenticated, onPeer }).catch(async (e: unknown) => {
    await rendezvous.close();
    throw e;
  });
  ports.coordinator = listener.port;
  job.launcher.onExit = (worker, reason) => dispatch({ kind: 'worker-failed', at: clock.now(), worker, reason });
  job.onListening?.({ coordinatorPort: listener.port, rendezvousPort: rendezvous.port, fingerprint: credentials.fingerprint });
  dispatch({ kind: 'start', at: 0 });
  try {
    return await result;
  } finally {
    await executor.end(QUIT_GRACE_MS);
    // Then every connection left, whoever holds it, ends at once.
    await Promise.all([rendezvous.close(), listener.close()]);
  }
}

/** What worker `worker` is started with: where to connect, how to prove who it is, its job. */
function invocationOf(worker: number, credentials: JobCredentials, at: { host: string; coordinator: number; rendezvous: number }, job: Pick<DistributedJob, 'storageSpec' | 'spec'>): Invocation {
  return {
    version: 1,
    worker,
    jobId: Buffer.from(credentials.jobId).toString('hex'),
    token: Buffer.from(workerToken(credentials.secret, credentials.jobId, worker)).toString('hex'),
    fingerprint: credentials.fingerprint,
    coordinator: { host: at.host, port: at.coordinator },
    rendezvous: { host: at.host, port: at.rendezvous },
    storage: job.storageSpec,
    spec: job.spec,
  };
}

/** Every frame of a finished job's output, in one array (for tests and short jobs). */
export async function collectOutput(result: DistributedResult): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  for await (const f of result.outputFrames()) frames.push(f);
  return frames;
}
