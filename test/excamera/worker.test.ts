// The worker runtime under the real coordinator: workers in this process,
// linked through a relay that routes states as the rendezvous does, with
// memory storage and messages passed through the wire encoding. The output
// must equal the in-process reference byte for byte — with enough workers,
// with fewer workers than chunks, and when workers die mid-job.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseY4m } from '../../src/container/index.js';
import { createCoordinator, type CoordinatorState, step, transitions } from '../../src/excamera/coordinator/coordinator.js';
import type { Effect, Event } from '../../src/excamera/coordinator/types.js';
import { parseChunkFile } from '../../src/excamera/files.js';
import { runInProcess } from '../../src/excamera/pipeline.js';
import { decodeMessage, encodeMessage, type Message } from '../../src/excamera/protocol.js';
import { type JobSpec, outputChunkKey, rawChunkKey, type Storage, WorkerRuntime } from '../../src/excamera/runtime/worker.js';
import { jobConfig } from '../../src/excamera/schedule.js';
import { imageFromI420 } from '../../src/vp8/index.js';
import { CLIPS } from '../helpers/fixtures.js';

const RATE = { numerator: 30000, denominator: 1001 };
let raw: Uint8Array[] = [];
let W = 0;
let H = 0;

beforeAll(() => {
  const y4m = parseY4m(new Uint8Array(readFileSync(join(CLIPS, 'carphone_qcif_176x144_120f.y4m'))));
  W = y4m.header.width;
  H = y4m.header.height;
  raw = y4m.frames.slice(0, 40).map((f) => f.data);
});

class MemoryStorage implements Storage {
  readonly data = new Map<string, Uint8Array>();
  puts = 0;
  async get(key: string): Promise<Uint8Array> {
    const v = this.data.get(key);
    if (v === undefined) throw new Error(`no ${key}`);
    return v;
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.puts++;
    this.data.set(key, Uint8Array.from(bytes));
  }
}

/** Every message crosses the wire encoding, as it would over a socket. */
const wire = (m: Message): Message => decodeMessage(encodeMessage(m));

/**
 * Runs a job: the coordinator, workers made on `invoke`, a relay routing
 * states by claim. `kill` names workers that die when they receive a given
 * command (by count). Time is a step counter.
 */
async function runJob(spec: JobSpec, frames: number, workers: number, kill: { worker: number; afterCommands: number }[] = []): Promise<{ output: Uint8Array[]; storage: MemoryStorage; state: CoordinatorState; resends: number }> {
  const storage = new MemoryStorage();
  const n = spec.framesPerChunk;
  for (let c = 0; c * n < frames; c++) {
    const chunkFrames = raw.slice(c * n, Math.min(frames, (c + 1) * n));
    const bytes = new Uint8Array(chunkFrames.reduce((a, f) => a + f.length, 0));
    let at = 0;
    for (const f of chunkFrames) {
      bytes.set(f, at);
      at += f.length;
    }
    await storage.put(rawChunkKey(c), bytes);
  }
  let state = createCoordinator(jobConfig({ frames, framesPerChunk: n, chunksPerBatch: spec.chunksPerBatch, workers, spares: 1, standby: 1, phaseTimeoutSeconds: 1e9 }));
  const runtimes = new Map<number, WorkerRuntime>();
  const dead = new Set<number>();
  const commandsSeen = new Map<number, number>();
  const route = new Map<number, number>();
  const held = new Map<number, Message[]>();
  const inbox: Event[] = [];
  let clock = 0;
  let finished = false;
  let failure: string | null = null;
  const pending: Promise<void>[] = [];
  let resends = 0;

  const fromWorker = (w: number, m: Message): void => {
    if (dead.has(w)) return;
    const at = ++clock;
    if (m.type === 'phase-done') inbox.push({ kind: 'phase-done', at, worker: w, chunk: m.chunk, phase: m.phase });
    else if (m.type === 'state-received') inbox.push({ kind: 'state-received', at, worker: w, chunk: m.chunk, state: m.state });
    else if (m.type === 'failed') inbox.push({ kind: 'worker-failed', at, worker: w, reason: m.reason });
  };
  const toRelay = (w: number, m: Message): void => {
    if (dead.has(w)) return;
    if (m.type === 'claim') {
      route.set(m.chunk, w);
      for (const h of held.get(m.chunk) ?? []) pending.push(runtimes.get(w)!.receive(wire(h)));
      held.delete(m.chunk);
    } else if (m.type === 'state') {
      const to = route.get(m.to);
      if (to !== undefined && !dead.has(to)) pending.push(runtimes.get(to)!.receive(wire(m)));
      else held.set(m.to, [...(held.get(m.to) ?? []), m]);
    }
  };
  const apply = (e: Effect): void => {
    switch (e.kind) {
      case 'invoke': {
        const w = e.worker;
        runtimes.set(w, new WorkerRuntime(spec, storage, { send: (m) => fromWorker(w, wire(m)) }, { send: (m) => toRelay(w, wire(m)) }));
        inbox.push({ kind: 'connected', at: ++clock, worker: w });
        return;
      }
      case 'command': {
        if (dead.has(e.worker)) return;
        const count = (commandsSeen.get(e.worker) ?? 0) + 1;
        commandsSeen.set(e.worker, count);
        if (kill.some((k) => k.worker === e.worker && k.afterCommands === count)) {
          dead.add(e.worker);
          for (const [c, w] of route) if (w === e.worker) route.delete(c);
          inbox.push({ kind: 'worker-failed', at: ++clock, worker: e.worker, reason: 'killed' });
          return;
        }
        if (e.command.kind === 'resend') resends++;
        pending.push(runtimes.get(e.worker)!.receive(wire({ type: 'command', command: e.command })));
        return;
      }
      case 'terminate':
        dead.add(e.worker);
        return;
      case 'finish':
        finished = true;
        return;
      case 'fail':
        failure = e.reason;
        return;
      default:
    }
  };
  const send = (event: Event): void => {
    const [next, effects] = step(state, event);
    state = next;
    for (const e of effects) apply(e);
  };
  send({ kind: 'start', at: 0 });
  for (let guard = 0; !finished && failure === null; guard++) {
    if (guard > 100_000) throw new Error('the job did not end');
    if (inbox.length === 0) {
      if (pending.length === 0) throw new Error('the job is stuck: no events and no work in progress');
      await Promise.all(pending.splice(0));
      continue;
    }
    send(inbox.shift()!);
  }
  await Promise.all(pending.splice(0));
  if (failure !== null) throw new Error(failure);
  const count = Math.ceil(frames / n);
  const output: Uint8Array[] = [];
  for (let c = 0; c < count; c++) output.push(...parseChunkFile(await storage.get(outputChunkKey(c))).chunk.frames);
  return { output, storage, state, resends };
}

describe('worker runtime under the coordinator', () => {
  const spec = (x: number): JobSpec => ({ width: W, height: H, frameRate: RATE, framesPerChunk: 4, chunksPerBatch: x, chunkEncoder: 'builtin', quality: { mode: 'cq', cqLevel: 30 }, speed: 4 });
  const reference = async (x: number, frames: number): Promise<Uint8Array[]> => {
    const pictures = raw.slice(0, frames).map((f) => imageFromI420(W, H, f));
    return [...(await runInProcess(pictures, { framesPerChunk: 4, chunksPerBatch: x, chunkEncoder: 'builtin', quality: { mode: 'cq', cqLevel: 30 }, frameRate: RATE, speed: 4 })).frames];
  };

  it('produces the in-process reference byte for byte, one worker per chunk', async () => {
    const { output, storage } = await runJob(spec(4), 38, 10);
    expect(output).toEqual(await reference(4, 38));
    // Every chunk uploaded once (the raw chunks were 10 puts).
    expect(storage.puts).toBe(20);
  });

  it('produces the same bytes with 2 workers for 10 chunks', async () => {
    const { output, state } = await runJob(spec(8), 40, 2);
    expect(output).toEqual(await reference(8, 40));
    expect(state.workers.size).toBe(3);
  });

  it('produces the same bytes when workers die mid-chunk, their chunks re-run with states sent again', async () => {
    // Chunks go out by rank (0, 4, 8, 1, 5, 9, 2, 6, 3, 7), so worker 6 runs chunk 2 and
    // worker 4 chunk 5. Worker 6 dies at its 4th command (chunk 2's given-state), worker 4
    // at its 5th (chunk 5's send-final); their replacements need the states of chunks 1 and 4
    // again, from the workers that kept them.
    const { output, state, resends } = await runJob(spec(4), 40, 10, [{ worker: 6, afterCommands: 4 }, { worker: 4, afterCommands: 5 }]);
    expect(output).toEqual(await reference(4, 40));
    const log = transitions(state);
    const chunkOf = (w: number): number => (log.find((t) => t.worker === w && t.status.kind === 'working') as { status: { chunk: number } }).status.chunk;
    expect([chunkOf(6), chunkOf(4)]).toEqual([2, 5]);
    for (const w of [6, 4]) expect(state.workers.get(w).status).toEqual({ kind: 'failed', reason: 'killed' });
    expect(state.chunks.get(2).attempts).toBe(2);
    expect(state.chunks.get(5).attempts).toBe(2);
    // The states were sent again by the workers that kept them.
    expect(resends).toBeGreaterThanOrEqual(2);
  });
});
