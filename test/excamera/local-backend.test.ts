// The local backend end to end: worker processes on this machine, TLS to the
// coordinator and the rendezvous, a directory as storage. The output must be
// the in-process reference byte for byte, also when a worker process is
// killed mid-job; strangers are refused without disturbing the job.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseY4m } from '../../src/container/index.js';
import type { Transition } from '../../src/excamera/coordinator/types.js';
import { runInProcess } from '../../src/excamera/pipeline.js';
import { encodeMessage } from '../../src/excamera/protocol.js';
import { LocalLauncher } from '../../src/excamera/runtime/local.js';
import { connectPinned } from '../../src/excamera/runtime/message-socket.js';
import { collectOutput, type Launcher, runDistributed } from '../../src/excamera/runtime/shell.js';
import { joinFrames } from '../../src/excamera/raw-chunks.js';
import { LocalStorage } from '../../src/excamera/runtime/storage.js';
import type { JobSpec } from '../../src/excamera/runtime/worker.js';
import { jobConfig } from '../../src/excamera/schedule.js';
import { imageFromI420 } from '../../src/vp8/index.js';
import { CLIPS } from '../helpers/fixtures.js';

const RATE = { numerator: 30000, denominator: 1001 };
const FRAMES = 32;
let raw: Uint8Array[] = [];
let spec: JobSpec;
let reference: Uint8Array[] = [];
let dir = '';

beforeAll(async () => {
  const y4m = parseY4m(new Uint8Array(readFileSync(join(CLIPS, 'carphone_qcif_176x144_120f.y4m'))));
  raw = y4m.frames.slice(0, FRAMES).map((f) => Uint8Array.from(f.data));
  const { width, height } = y4m.header;
  spec = { width, height, frameRate: RATE, framesPerChunk: 4, chunksPerBatch: 4, chunkEncoder: 'builtin', quality: { mode: 'cq', cqLevel: 30 }, speed: 4 };
  const pictures = raw.map((f) => imageFromI420(width, height, f));
  reference = [...(await runInProcess(pictures, { framesPerChunk: 4, chunksPerBatch: 4, chunkEncoder: 'builtin', quality: spec.quality, frameRate: RATE, speed: 4 })).frames];
  dir = mkdtempSync(join(tmpdir(), 'excamera-local-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('local backend', () => {
  it('3 worker processes produce the in-process output byte for byte', async () => {
    const storageDir = join(dir, 'a');
    const r = await runDistributed({
      rawChunks: joinFrames(raw, 4), spec, config: jobConfig({ frames: FRAMES, framesPerChunk: 4, chunksPerBatch: 4, workers: 3, spares: 0, phaseTimeoutSeconds: 60 }),
      storage: new LocalStorage(storageDir), storageSpec: { kind: 'local', dir: storageDir }, launcher: new LocalLauncher(),
    });
    expect(await collectOutput(r)).toEqual(reference);
    expect(r.transitions.filter((t) => t.status.kind === 'failed')).toEqual([]);
  }, 120_000);

  it('survives a worker process killed mid-job, and refuses strangers, with the same output', async () => {
    const storageDir = join(dir, 'b');
    const local = new LocalLauncher({ stderr: 'ignore' });
    // Two strangers connect as soon as the coordinator listens: one with a
    // forged token, one speaking garbage. No worker starts before both are
    // dropped, so the job cannot end first and the check does not race it.
    let strangersDropped: Promise<unknown> = Promise.resolve();
    const launcher: Launcher = {
      invoke: async (worker, payload) => {
        await strangersDropped;
        return local.invoke(worker, payload);
      },
      terminate: (worker) => local.terminate(worker),
      close: () => local.close(),
      set onExit(f: ((worker: number, reason: string) => void) | undefined) {
        local.onExit = f;
      },
      get onExit() {
        return local.onExit;
      },
    };
    let killed = -1;
    const logs: string[] = [];
    const onTransition = (t: Transition): void => {
      // Kill the first worker to start encoding given state.
      if (killed < 0 && t.status.kind === 'working' && t.status.phase === 'given-state') {
        killed = t.worker;
        process.kill(local.pids.get(t.worker)!, 'SIGKILL');
      }
    };
    const stranger = async (port: number, fingerprint: string, bytes: Uint8Array): Promise<void> => {
      const s = await connectPinned({ host: '127.0.0.1', port, fingerprint });
      s.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
      s.write(bytes);
      await closed;
    };
    const r = await runDistributed({
      rawChunks: joinFrames(raw, 4), spec, config: jobConfig({ frames: FRAMES, framesPerChunk: 4, chunksPerBatch: 4, workers: 4, spares: 1, standby: 1, phaseTimeoutSeconds: 60 }),
      storage: new LocalStorage(storageDir), storageSpec: { kind: 'local', dir: storageDir }, launcher, onTransition, log: (l) => logs.push(l),
      onListening: ({ coordinatorPort, fingerprint }) => {
        strangersDropped = Promise.all([
          stranger(coordinatorPort, fingerprint, encodeMessage({ type: 'hello', job: new Uint8Array(16), worker: 0, token: new Uint8Array(32) })),
          stranger(coordinatorPort, fingerprint, Uint8Array.from([0, 0, 0, 2, 7, 7])),
        ]);
      },
    });
    expect(killed).toBeGreaterThanOrEqual(0);
    expect(await collectOutput(r)).toEqual(reference);
    const failed = r.transitions.filter((t) => t.status.kind === 'failed');
    expect(failed.map((t) => t.worker)).toEqual([killed]);
    expect(logs.join('\n')).toMatch(/coordinator: dropped an unauthenticated client .*a hello for another job/);
    expect(logs.join('\n')).toMatch(/coordinator: dropped an unauthenticated client .*protocol version 7/);
  }, 120_000);

  it('replaces a worker process that hangs (stopped with SIGSTOP) after the phase time limit', async () => {
    const storageDir = join(dir, 'c');
    const launcher = new LocalLauncher({ stderr: 'ignore' });
    let stopped = -1;
    const onTransition = (t: Transition): void => {
      if (stopped < 0 && t.status.kind === 'working' && t.status.phase === 'encode' && t.status.chunk === 1) {
        stopped = t.worker;
        process.kill(launcher.pids.get(t.worker)!, 'SIGSTOP');
      }
    };
    const r = await runDistributed({
      // A short limit, so the test is quick; two spares in case a busy machine makes another worker miss it too.
      rawChunks: joinFrames(raw, 4), spec, config: jobConfig({ frames: FRAMES, framesPerChunk: 4, chunksPerBatch: 4, workers: 3, spares: 2, standby: 2, phaseTimeoutSeconds: 6 }),
      storage: new LocalStorage(storageDir), storageSpec: { kind: 'local', dir: storageDir }, launcher, onTransition,
    });
    expect(stopped).toBeGreaterThanOrEqual(0);
    expect(await collectOutput(r)).toEqual(reference);
    const failed = r.transitions.filter((t) => t.status.kind === 'failed');
    expect(failed.find((t) => t.worker === stopped)?.status).toEqual({ kind: 'failed', reason: 'no answer in encode of chunk 1 within 6 s' });
  }, 120_000);
});
