// The coordinator's step function, driven by a small scripted world: every
// phase takes one second unless a test says otherwise, workers connect in the
// order a test chooses, and faults happen exactly where a test puts them.

import { describe, expect, it } from 'vitest';
import { createCoordinator, type CoordinatorState, step, transitions } from '../../src/excamera/coordinator/coordinator.js';
import { PTable } from '../../src/excamera/coordinator/ptable.js';
import { PVec } from '../../src/excamera/coordinator/pvec.js';
import type { ChunkPhase, Command, Effect, Event, JobConfig, StateKind } from '../../src/excamera/coordinator/types.js';

function job(over: Partial<JobConfig>): JobConfig {
  return {
    frames: 60,
    framesPerChunk: 6,
    chunksPerBatch: 4,
    workers: 10,
    spares: 0,
    standby: 0,
    phaseTimeoutSeconds: 50,
    maxAttemptsPerChunk: 3,
    maxInvokeRetries: 3,
    invokeBackoffBaseSeconds: 1,
    invokeBackoffCapSeconds: 4,
    seed: 7,
    ...over,
  };
}

interface Script {
  /** Seconds from invocation to connection, by worker. */
  connectAfter?: (worker: number) => number;
  /** Seconds a phase takes. */
  duration?: (worker: number, phase: ChunkPhase, chunk: number) => number;
  /** What happens instead of finishing: a crash, a hang, or nothing special. */
  fault?: (worker: number, phase: ChunkPhase, chunk: number, attempt: number) => 'crash' | 'hang' | null;
  /** Invocations refused for throttling, by worker and attempt. */
  throttle?: (worker: number, attempt: number) => boolean;
  /** Workers that die at a given time, whatever they are doing. */
  kills?: readonly { readonly worker: number; readonly at: number }[];
}

interface Run {
  state: CoordinatorState;
  effects: Effect[];
  /** Commands in order, with the time they were given. */
  commands: { at: number; worker: number; command: Command }[];
  finishedAt: number | null;
  failure: string | null;
}

/** Runs a job to its end in a world that does what `script` says. */
function drive(config: JobConfig, script: Script = {}): Run {
  let state = createCoordinator(config);
  const queue: { at: number; seq: number; event: Event }[] = [];
  let seq = 0;
  const at = (t: number, event: Event): void => {
    queue.push({ at: t, seq: seq++, event });
  };
  const run: Run = { state, effects: [], commands: [], finishedAt: null, failure: null };
  const route = new Map<number, number>();
  const held = new Map<number, StateKind[]>();
  const dead = new Set<number>();
  const cancelled = new Set<number>();
  const attempts = new Map<string, number>();
  const invokes = new Map<number, number>();
  let now = 0;
  const deliver = (chunk: number, kind: StateKind, t: number): void => {
    const w = route.get(chunk);
    if (w !== undefined && !dead.has(w)) at(t, { kind: 'state-received', at: t, worker: w, chunk, state: kind });
    else held.set(chunk, [...(held.get(chunk) ?? []), kind]);
  };
  const apply = (e: Effect): void => {
    run.effects.push(e);
    switch (e.kind) {
      case 'invoke': {
        const n = invokes.get(e.worker) ?? 0;
        invokes.set(e.worker, n + 1);
        if (script.throttle?.(e.worker, n)) at(now + 0.1, { kind: 'invoke-failed', at: now + 0.1, worker: e.worker, throttled: true, reason: '429' });
        else {
          const t = now + (script.connectAfter?.(e.worker) ?? 1);
          at(t, { kind: 'connected', at: t, worker: e.worker });
        }
        return;
      }
      case 'start-timer':
        at(now + e.seconds, { kind: 'timer', at: now + e.seconds, timer: e.timer, worker: e.worker });
        return;
      case 'cancel-timer':
        cancelled.add(e.timer);
        return;
      case 'terminate':
        dead.add(e.worker);
        return;
      case 'finish':
        run.finishedAt = now;
        return;
      case 'fail':
        run.failure = e.reason;
        return;
      case 'command': {
        const { worker: w, command: c } = e;
        run.commands.push({ at: now, worker: w, command: c });
        if (c.kind === 'quit') {
          dead.add(w);
          return;
        }
        if (c.kind === 'drop') return;
        if (c.kind === 'resend') {
          for (const k of c.states) deliver(c.to, k, now + 0.5);
          return;
        }
        if (c.kind === 'fetch') {
          route.set(c.chunk, w);
          for (const k of held.get(c.chunk) ?? []) at(now + 0.5, { kind: 'state-received', at: now + 0.5, worker: w, chunk: c.chunk, state: k });
          held.delete(c.chunk);
        }
        const key = `${c.kind}:${c.chunk}`;
        const attempt = attempts.get(key) ?? 0;
        attempts.set(key, attempt + 1);
        const t = now + (script.duration?.(w, c.kind, c.chunk) ?? 1);
        const fault = script.fault?.(w, c.kind, c.chunk, attempt) ?? null;
        if (fault === 'crash') {
          dead.add(w);
          at(now + 0.5, { kind: 'worker-failed', at: now + 0.5, worker: w, reason: 'crashed' });
          return;
        }
        if (fault === 'hang') return;
        if (c.kind === 'send-state') deliver(c.to, 'independent', t);
        if (c.kind === 'send-final') deliver(c.to, 'final', t);
        at(t, { kind: 'phase-done', at: t, worker: w, chunk: c.chunk, phase: c.kind });
        return;
      }
    }
  };
  const send = (event: Event): void => {
    const [next, effects] = step(state, event);
    state = next;
    for (const e of effects) apply(e);
  };
  for (const k of script.kills ?? []) at(k.at, { kind: 'worker-failed', at: k.at, worker: k.worker, reason: 'killed' });
  send({ kind: 'start', at: 0 });
  for (let guard = 0; queue.length > 0; guard++) {
    if (guard > 100_000) throw new Error('the job did not end');
    queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const { at: t, event } = queue.shift()!;
    now = t;
    if (event.kind === 'timer' && cancelled.has(event.timer)) continue;
    if ((event.kind === 'phase-done' || event.kind === 'connected' || event.kind === 'state-received') && dead.has(event.worker)) continue;
    if (event.kind === 'worker-failed') dead.add(event.worker);
    send(event);
  }
  run.state = state;
  return run;
}

/** Start times of a phase, by chunk. */
function started(r: Run, kind: Command['kind']): Map<number, number> {
  const m = new Map<number, number>();
  for (const c of r.commands) if (c.command.kind === kind && 'chunk' in c.command) m.set(c.command.chunk, c.at);
  return m;
}

function uploads(r: Run): number[] {
  return r.commands.filter((c) => c.command.kind === 'upload').map((c) => (c.command as { chunk: number }).chunk);
}

function finalStatuses(r: Run): string[] {
  const out: string[] = [];
  for (let w = 0; w < r.state.workers.size; w++) out.push(r.state.workers.get(w).status.kind);
  return out;
}

describe('coordinator', () => {
  it('runs ExCamera[6,4]: every phase in order, the serial chain in order, every chunk uploaded once', () => {
    const r = drive(job({}));
    expect(r.failure).toBeNull();
    expect(r.finishedAt).not.toBeNull();
    expect(uploads(r).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const rebase = started(r, 'rebase');
    const given = started(r, 'given-state');
    // Positions 2 and 3 rebase, 1.. encode given state; position 0 neither.
    expect([...rebase.keys()].sort((a, b) => a - b)).toEqual([2, 3, 6, 7]);
    expect([...given.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 5, 6, 7, 9]);
    // The chain: chunk i rebases only after chunk i-1's true final state is out.
    const finals = started(r, 'send-final');
    for (const c of [2, 3, 6, 7]) {
      const before = c - 1;
      const readyAt = finals.get(before)!;
      expect(rebase.get(c)!).toBeGreaterThan(readyAt);
    }
    // Every worker ends released.
    expect(finalStatuses(r).every((s) => s === 'released')).toBe(true);
    expect(r.state.live).toBe(0);
  });

  it('hands chunks out in connection order, heads of the serial chains first', () => {
    // Workers connect in reverse order of their number, all before anyone finishes.
    const r = drive(job({ frames: 48, chunksPerBatch: 4, workers: 8 }), { connectAfter: (w) => 1 + (10 - w) * 0.01 });
    const fetches = r.commands.filter((c) => c.command.kind === 'fetch');
    const order = fetches.map((c) => (c.command as { chunk: number }).chunk);
    // Batch heads (0, 4) first, then the second chunks (1, 5), ...
    expect(order).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    expect(fetches.map((c) => c.worker)).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it('keeps `standby` spares and releases the others as soon as they connect', () => {
    const r = drive(job({ frames: 24, workers: 4, spares: 3, standby: 1 }), { connectAfter: (w) => 1 + w * 0.01 });
    const quitAt = new Map(r.commands.filter((c) => c.command.kind === 'quit').map((c) => [c.worker, c.at]));
    // Workers 4, 5, 6 are spares: 4 stays on standby until the end, 5 and 6 go at once.
    expect(quitAt.get(5)).toBeCloseTo(1.05);
    expect(quitAt.get(6)).toBeCloseTo(1.06);
    expect(quitAt.get(4)).toBe(r.finishedAt);
    expect(finalStatuses(r).every((s) => s === 'released')).toBe(true);
  });

  it('re-runs the chunk of a crashed worker on a standby spare', () => {
    const r = drive(job({ frames: 24, workers: 4, spares: 1, standby: 1 }), { fault: (w, phase) => (w === 2 && phase === 'encode' ? 'crash' : null) });
    expect(r.failure).toBeNull();
    const fetches = r.commands.filter((c) => c.command.kind === 'fetch' && c.command.chunk === 2);
    expect(fetches.map((c) => c.worker)).toEqual([2, 4]);
    expect(uploads(r).sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
    expect(r.state.workers.get(2).status).toEqual({ kind: 'failed', reason: 'crashed' });
  });

  it('gives up on a worker that hangs, terminates it and re-runs its chunk on a replacement', () => {
    const r = drive(job({ frames: 24, workers: 4 }), { fault: (w, phase) => (w === 1 && phase === 'given-state' ? 'hang' : null) });
    expect(r.failure).toBeNull();
    expect(r.effects).toContainEqual({ kind: 'terminate', worker: 1 });
    // No spare: a fifth worker is invoked to replace it.
    expect(r.state.workers.size).toBe(5);
    expect(r.commands.filter((c) => c.command.kind === 'fetch' && c.command.chunk === 1).map((c) => c.worker)).toEqual([1, 4]);
    const status = r.state.workers.get(1).status;
    expect(status.kind === 'failed' && status.reason).toMatch(/no answer in given-state of chunk 1 within 50 s/);
    expect(uploads(r).sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
  });

  it('re-runs a finished chunk whose kept states were lost when the next chunk needs them again', () => {
    // Chunk 0 is done by t=5 and worker 0 keeps its state for chunk 1, which
    // has it by t=4. Worker 0 is killed at t=10; chunk 1's worker crashes
    // encoding at t=21. Chunk 1's replacement needs chunk 0's state, which
    // nobody has any more: chunk 0 runs again (and is not uploaded twice).
    const r = drive(job({ frames: 24, workers: 4, spares: 2, standby: 2 }), {
      duration: (w, phase) => (w === 1 && phase === 'fetch' ? 20 : 1),
      fault: (w, phase) => (w === 1 && phase === 'encode' ? 'crash' : null),
      kills: [{ worker: 0, at: 10 }],
    });
    expect(r.failure).toBeNull();
    // Chunk 1 goes to one standby spare and, once it has fetched, chunk 0 runs again on the other.
    const fetches = (chunk: number): number[] => r.commands.filter((c) => c.command.kind === 'fetch' && c.command.chunk === chunk).map((c) => c.worker);
    expect(fetches(1)).toEqual([1, 4]);
    expect(fetches(0)).toEqual([0, 5]);
    expect(uploads(r).sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
    expect(r.state.workers.get(0).status).toEqual({ kind: 'failed', reason: 'killed' });
  });

  it('fails the job with a clear reason when a chunk keeps failing', () => {
    const r = drive(job({ frames: 24, workers: 4, spares: 4, standby: 4, maxAttemptsPerChunk: 2 }), { fault: (_w, phase, chunk) => (chunk === 3 && phase === 'rebase' ? 'crash' : null) });
    expect(r.finishedAt).toBeNull();
    expect(r.failure).toMatch(/^chunk 3 failed 2 time\(s\); last: worker \d+ failed: crashed$/);
    expect(r.state.outcome).toBe('failed');
    expect(finalStatuses(r).every((s) => s === 'released' || s === 'failed')).toBe(true);
  });

  it('retries throttled invocations with growing, jittered backoff', () => {
    const r = drive(job({ frames: 12, workers: 2 }), { throttle: (w, attempt) => w === 0 && attempt < 2 });
    expect(r.failure).toBeNull();
    const invokes = r.effects.filter((e) => e.kind === 'invoke' && e.worker === 0);
    expect(invokes).toHaveLength(3);
    const backoffs = r.effects.filter((e): e is Extract<Effect, { kind: 'start-timer' }> => e.kind === 'start-timer' && e.worker === 0 && e.seconds < 10);
    // Base 1 s doubling, times a jitter in [0.5, 1).
    expect(backoffs).toHaveLength(2);
    expect(backoffs[0]!.seconds).toBeGreaterThanOrEqual(0.5);
    expect(backoffs[0]!.seconds).toBeLessThan(1);
    expect(backoffs[1]!.seconds).toBeGreaterThanOrEqual(1);
    expect(backoffs[1]!.seconds).toBeLessThan(2);
  });

  it('caps the backoff of throttled invocations: delays grow to the cap, never beyond it, and are jittered', () => {
    // Every worker's first 7 invocations are refused for throttling. Base 1 s,
    // cap 4 s: before retry k the delay is min(4, 2^k) times a jitter in [0.5, 1).
    // The phase limit is 1000 s, so every shorter timer is a backoff.
    const workers = 6;
    const refusals = 7;
    const r = drive(job({ frames: 36, workers, maxInvokeRetries: 10, phaseTimeoutSeconds: 1000, invokeBackoffBaseSeconds: 1, invokeBackoffCapSeconds: 4 }), {
      throttle: (_w, attempt) => attempt < refusals,
    });
    expect(r.failure).toBeNull();
    const delays = Array.from({ length: workers }, (_, w) =>
      r.effects.filter((e): e is Extract<Effect, { kind: 'start-timer' }> => e.kind === 'start-timer' && e.worker === w && e.seconds !== 1000).map((e) => e.seconds));
    const problems: string[] = [];
    for (let w = 0; w < workers; w++) {
      if (delays[w]!.length !== refusals) problems.push(`worker ${w}: ${delays[w]!.length} backoffs, expected ${refusals}`);
      delays[w]!.forEach((d, k) => {
        const envelope = Math.min(4, 2 ** k);
        if (!(d >= 0.5 * envelope && d < envelope)) problems.push(`worker ${w}, retry ${k}: ${d} s is outside [${0.5 * envelope}, ${envelope})`);
        if (d > 4) problems.push(`worker ${w}, retry ${k}: ${d} s exceeds the 4 s cap`);
      });
    }
    expect(problems).toEqual([]);
    // Grow: the mean delay over the workers rises retry by retry until the cap is reached ...
    const mean = (k: number): number => delays.reduce((sum, d) => sum + d[k]!, 0) / workers;
    expect(mean(1)).toBeGreaterThan(mean(0));
    expect(mean(2)).toBeGreaterThan(mean(1));
    // ... and stays within the cap afterwards (retries 2..6 all have envelope 4).
    expect(Math.max(...delays.flat())).toBeLessThanOrEqual(4);
    // Jittered: workers refused together do not retry together.
    for (let k = 0; k < refusals; k++) expect(new Set(delays.map((d) => d[k])).size, `distinct delays at retry ${k}`).toBeGreaterThan(workers / 2);
    // Each worker was invoked once more than it was refused, and every chunk was uploaded.
    for (let w = 0; w < workers; w++) expect(r.effects.filter((e) => e.kind === 'invoke' && e.worker === w)).toHaveLength(refusals + 1);
    expect(uploads(r).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('gives a worker that never connects up, and fails when no worker is left', () => {
    const r = drive(job({ frames: 12, workers: 1, maxInvokeRetries: 0 }), { throttle: () => true });
    expect(r.failure).toMatch(/no worker is left to run the 2 chunk\(s\)/);
  });

  it('runs many chunks on few workers without deadlock (workers keep states while taking new chunks)', () => {
    const r = drive(job({ frames: 120, chunksPerBatch: 16, workers: 2 }));
    expect(r.failure).toBeNull();
    expect(uploads(r).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(r.state.workers.size).toBe(2);
  });

  it('never changes the state it is given, whichever states are stepped from or read later', () => {
    const view = (s: CoordinatorState): string => JSON.stringify({ ...s, workers: s.workers.toArray(), chunks: s.chunks.toArray(), reasons: s.reasons.toArray(), idle: s.idle.toArray() });
    const s0 = createCoordinator(job({ frames: 24, workers: 4, spares: 1, standby: 1 }));
    const v0 = view(s0);
    const [s1] = step(s0, { kind: 'start', at: 0 });
    const v1 = view(s1);
    const [s2] = step(s1, { kind: 'connected', at: 1, worker: 0 });
    const [s3] = step(s2, { kind: 'worker-failed', at: 2, worker: 0, reason: 'crashed' });
    const v3 = view(s3);
    expect(view(s0)).toBe(v0);
    // A different future from s1 (a branch), then every state again, in an odd order.
    const [t2] = step(s1, { kind: 'connected', at: 1, worker: 4 });
    const [t3] = step(t2, { kind: 'connected', at: 1.5, worker: 0 });
    expect(view(s3)).toBe(v3);
    expect(view(s1)).toBe(v1);
    expect(view(s0)).toBe(v0);
    expect(s3.workers.get(0).status).toEqual({ kind: 'failed', reason: 'crashed' });
    expect(t3.workers.get(0).status).toMatchObject({ kind: 'working', phase: 'fetch' });
    expect(t3.workers.get(4).status).toMatchObject({ kind: 'working', phase: 'fetch' });
    expect(s1.workers.size).toBe(5);
    expect(transitions(s1).every((t) => t.status.kind === 'invoking')).toBe(true);
  });

  it('ignores events from workers it has let go and stale timers', () => {
    const r = drive(job({ frames: 12, workers: 2 }));
    const [s, effects] = step(r.state, { kind: 'phase-done', at: 99, worker: 0, chunk: 0, phase: 'upload' });
    expect(effects).toEqual([]);
    const [, effects2] = step(s, { kind: 'timer', at: 100, timer: 0, worker: 0 });
    expect(effects2).toEqual([]);
  });

  it('refuses impossible settings', () => {
    expect(() => createCoordinator(job({ frames: 0 }))).toThrow(/frames must be an integer >= 1/);
    expect(() => createCoordinator(job({ chunksPerBatch: 1.5 }))).toThrow(/chunksPerBatch/);
    expect(() => createCoordinator(job({ phaseTimeoutSeconds: -1 }))).toThrow(/phaseTimeoutSeconds/);
  });
});

describe('PTable', () => {
  /** Differences between a table and the plain rows it should read as (at most `limit` of them, as text). */
  function differences(t: PTable, want: readonly (readonly number[])[], stride: number, limit = 5): string[] {
    const out: string[] = [];
    if (t.size !== want.length) out.push(`size ${t.size}, expected ${want.length}`);
    for (let r = 0; r < Math.min(t.size, want.length) && out.length < limit; r++) {
      for (let f = 0; f < stride; f++) if (t.get(r, f) !== want[r]![f]) out.push(`row ${r} field ${f}: ${t.get(r, f)}, expected ${want[r]![f]}`);
    }
    return out;
  }

  it('behaves as a table under random edits, branches and reads of old versions, across lineages', () => {
    // Every check compares in plain loops and records what differs; one
    // assertion at the end reports the first differences.
    const stride = 3;
    let x = 99;
    const rnd = (n: number): number => {
      x = (x * 1103515245 + 12345) >>> 0;
      return x % n;
    };
    const problems: string[] = [];
    const note = (i: number, what: string[]): void => {
      if (problems.length < 20) problems.push(...what.map((w) => `step ${i}: ${w}`));
    };
    // Each version with the plain array it should read as.
    const versions: [PTable, number[][]][] = [[PTable.filled([1, 2, 3], 4), Array.from({ length: 4 }, () => [1, 2, 3])]];
    let cellsRead = 0;
    for (let i = 0; i < 6000; i++) {
      // Mostly edit the newest version; sometimes an old one (a branch).
      const from = rnd(10) === 0 ? versions[rnd(versions.length)]! : versions[versions.length - 1]!;
      const [table, rows] = from;
      const expected = rows.map((r) => [...r]);
      const edit = table.edit();
      for (let k = rnd(5); k >= 0; k--) {
        if (rnd(8) === 0) {
          const row = [i, -i, i / 2];
          const index = edit.push(row);
          if (index !== expected.length) note(i, [`push returned ${index}, expected ${expected.length}`]);
          expected.push(row);
        } else {
          const r = rnd(expected.length);
          const f = rnd(stride);
          edit.set(r, f, i);
          expected[r]![f] = i;
          if (edit.get(r, f) !== i) note(i, [`edit.get(${r}, ${f}) is ${edit.get(r, f)} right after setting ${i}`]);
        }
      }
      const next = edit.commit();
      let committedTwice = true;
      try {
        edit.commit();
      } catch (e) {
        committedTwice = !/once/.test(String(e));
      }
      if (committedTwice) note(i, ['a second commit of the same edit did not throw "once"']);
      versions.push([next, expected]);
      if (versions.length > 40) versions.splice(1 + rnd(39), 1);
      // Read a random version in full.
      const [t, want] = versions[rnd(versions.length)]!;
      note(i, differences(t, want, stride));
      cellsRead += want.length * stride;
    }
    for (const [t, want] of versions) note(6000, differences(t, want, stride));
    expect(problems).toEqual([]);
    expect(cellsRead).toBeGreaterThan(1_000_000); // the reads covered large tables, not just the first few rows
  });

  it('leaves the version unchanged when an edit is abandoned, grown or not', () => {
    const t = PTable.filled([5, 6], 20);
    const edit = t.edit();
    edit.set(3, 1, 99);
    for (let i = 0; i < 100; i++) edit.push([i, i]);
    edit.set(4, 0, 77);
    edit.abandon();
    expect(t.size).toBe(20);
    for (let r = 0; r < 20; r++) expect([t.get(r, 0), t.get(r, 1)]).toEqual([5, 6]);
    expect(() => t.get(20, 0)).toThrow(RangeError);
  });
});

describe('PVec', () => {
  it('keeps old versions across branches: a set on an old version leaves the newer ones as they were', () => {
    const v0 = PVec.from([1, 2, 3]);
    const v1 = v0.set(0, 10);
    const v2 = v1.push(4);
    const w1 = v0.set(2, 30);
    expect(v2.toArray()).toEqual([10, 2, 3, 4]);
    expect(w1.toArray()).toEqual([1, 2, 30]);
    expect(v1.toArray()).toEqual([10, 2, 3]);
    expect(v0.toArray()).toEqual([1, 2, 3]);
    expect(w1.get(2)).toBe(30);
    expect(v2.get(3)).toBe(4);
  });

  it('behaves as an array under random sets and pushes, and old versions never change', () => {
    let v = PVec.empty<number>();
    const ref: number[] = [];
    const versions: [PVec<number>, number[]][] = [];
    let x = 12345;
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      if (ref.length === 0 || x % 3 === 0) {
        v = v.push(i);
        ref.push(i);
      } else {
        const at = x % ref.length;
        v = v.set(at, -i);
        ref[at] = -i;
      }
      if (i % 500 === 0) versions.push([v, [...ref]]);
    }
    expect(v.toArray()).toEqual(ref);
    for (const [old, snapshot] of versions) expect(old.toArray()).toEqual(snapshot);
    expect(PVec.from(ref).toArray()).toEqual(ref);
    expect(() => v.get(ref.length)).toThrow(RangeError);
  });
});
