// What a worker's message means to the coordinator (message-event.ts): every
// type of message, every refusal, on real coordinator states; and the rule
// that makes refusing safe — a refused message is one `step` would have
// ignored (no effect, no transition), checked on the cases below and on
// random messages thrown at a running job.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCoordinator, type CoordinatorState, logPosition, step, transitions } from '../../src/excamera/coordinator/coordinator.js';
import { CHUNK_PHASES, type Event, type JobConfig, STATE_KINDS } from '../../src/excamera/coordinator/types.js';
import type { Message } from '../../src/excamera/protocol.js';
import { contextOf, eventOf, type MessageContext, type Refusal, type Translation } from '../../src/excamera/runtime/message-event.js';

/** 3 chunks of 2 frames in one batch: chunk 1 needs chunk 0's independent state, chunk 2 also its final one. */
const CONFIG: JobConfig = {
  frames: 6,
  framesPerChunk: 2,
  chunksPerBatch: 3,
  workers: 3,
  spares: 1,
  standby: 1,
  phaseTimeoutSeconds: 60,
  maxAttemptsPerChunk: 3,
  maxInvokeRetries: 0,
  invokeBackoffBaseSeconds: 1,
  invokeBackoffCapSeconds: 1,
  seed: 1,
};

const apply = (s: CoordinatorState, ...events: Event[]): CoordinatorState => events.reduce((state, e) => step(state, e)[0], s);

/** Workers 0-2 connected and fetching chunks 0-2; worker 3, the spare, idle on standby. */
function started(): CoordinatorState {
  const s = apply(createCoordinator(CONFIG), { kind: 'start', at: 0 });
  return apply(s, ...[0, 1, 2, 3].map((worker): Event => ({ kind: 'connected', at: 1, worker })));
}

const done = (worker: number, chunk: number, phase: (typeof CHUNK_PHASES)[number]): Event => ({ kind: 'phase-done', at: 2, worker, chunk, phase });

/** The event the message would make were nothing refused: how the coordinator's shell once translated. */
function unchecked(m: Message, worker: number, at: number): Event | null {
  if (m.type === 'phase-done') return { kind: 'phase-done', at, worker, chunk: m.chunk, phase: m.phase };
  if (m.type === 'state-received') return { kind: 'state-received', at, worker, chunk: m.chunk, state: m.state };
  if (m.type === 'failed') return { kind: 'worker-failed', at, worker, reason: m.reason };
  return null;
}

/** Whether `step` does nothing that anyone can see with `event`: no effect and no transition. */
function ignoredByStep(s: CoordinatorState, event: Event): boolean {
  const [next, effects] = step(s, event);
  return effects.length === 0 && transitions(next, logPosition(s)).length === 0;
}

/** eventOf on `s`, checked against `step`: an event is the unchecked one; a refusal is a message step ignores. */
function translate(s: CoordinatorState, worker: number, m: Message, at = 3): Translation {
  const t = eventOf(m, contextOf(s, worker, at));
  const raw = unchecked(m, worker, at);
  if ('event' in t) expect(t.event).toEqual(raw);
  else if (raw !== null) expect(ignoredByStep(s, raw), `step acts on what eventOf refused: ${t.reason}`).toBe(true);
  return t;
}

function refusal(s: CoordinatorState, worker: number, m: Message): Refusal | null {
  const t = translate(s, worker, m);
  return 'refused' in t ? t.refused : null;
}

describe('eventOf', () => {
  it('makes a phase-done event of the phase a worker is carrying out', () => {
    const s = started();
    expect(translate(s, 1, { type: 'phase-done', chunk: 1, phase: 'fetch', seconds: 0.5 })).toEqual({ event: { kind: 'phase-done', at: 3, worker: 1, chunk: 1, phase: 'fetch' } });
  });

  it('makes a state-received event of a state for the chunk the worker runs, early or awaited', () => {
    let s = started();
    // Early: chunk 1 is still fetching.
    expect(translate(s, 1, { type: 'state-received', chunk: 1, state: 'independent' })).toEqual({ event: { kind: 'state-received', at: 3, worker: 1, chunk: 1, state: 'independent' } });
    // Awaited: chunk 2 waits for chunk 1's independent state before given-state.
    s = apply(s, done(2, 2, 'fetch'), done(2, 2, 'encode'));
    expect(s.workers.get(2).status).toEqual({ kind: 'waiting', chunk: 2, phase: 'given-state', waitFor: 'independent' });
    const t = translate(s, 2, { type: 'state-received', chunk: 2, state: 'independent' });
    expect('event' in t && step(s, t.event)[1].some((e) => e.kind === 'command' && e.command.kind === 'given-state')).toBe(true);
  });

  it('makes a worker-failed event of a failure report', () => {
    expect(translate(started(), 0, { type: 'failed', reason: 'out of memory' })).toEqual({ event: { kind: 'worker-failed', at: 3, worker: 0, reason: 'out of memory' } });
  });

  it('refuses the types of message workers do not send to the coordinator', () => {
    const s = started();
    const others: Message[] = [
      { type: 'hello', job: new Uint8Array(16), worker: 0, token: new Uint8Array(32) },
      { type: 'command', command: { kind: 'quit' } },
      { type: 'state', from: 0, to: 1, state: 'independent', bytes: new Uint8Array(4) },
      { type: 'ping', nonce: 1 },
      { type: 'pong', nonce: 1 },
      { type: 'claim', chunk: 0 },
      { type: 'refused', reason: 'no' },
    ];
    for (const m of others) expect(refusal(s, 0, m), m.type).toBe('not-for-coordinator');
  });

  it('refuses a worker the job has not invoked', () => {
    const s = started();
    for (const m of [{ type: 'phase-done', chunk: 0, phase: 'fetch', seconds: 1 }, { type: 'state-received', chunk: 0, state: 'independent' }, { type: 'failed', reason: 'x' }] as const) {
      expect(refusal(s, 4, m), m.type).toBe('unknown-worker');
      expect(refusal(s, 1000, m), m.type).toBe('unknown-worker');
    }
  });

  it('refuses a worker already released or given up on', () => {
    const failed = apply(started(), { kind: 'worker-failed', at: 2, worker: 0, reason: 'crashed' });
    expect(failed.workers.get(0).status.kind).toBe('failed');
    expect(refusal(failed, 0, { type: 'phase-done', chunk: 0, phase: 'fetch', seconds: 1 })).toBe('ended');
    expect(refusal(failed, 0, { type: 'failed', reason: 'again' })).toBe('ended');
    expect(refusal(failed, 0, { type: 'state-received', chunk: 0, state: 'independent' })).toBe('ended');
    // A spare connecting once every chunk has a worker and the standby is full is released at once.
    const released = apply(createCoordinator({ ...CONFIG, standby: 0 }), { kind: 'start', at: 0 }, ...[0, 1, 2, 3].map((worker): Event => ({ kind: 'connected', at: 1, worker })));
    expect(released.workers.get(3).status.kind).toBe('released');
    expect(refusal(released, 3, { type: 'failed', reason: 'bye' })).toBe('ended');
  });

  it('refuses a message about a chunk the worker does not run', () => {
    const s = started();
    expect(refusal(s, 0, { type: 'phase-done', chunk: 1, phase: 'fetch', seconds: 1 })).toBe('wrong-chunk');
    expect(refusal(s, 0, { type: 'phase-done', chunk: 99, phase: 'fetch', seconds: 1 })).toBe('wrong-chunk');
    expect(refusal(s, 0, { type: 'state-received', chunk: 1, state: 'independent' })).toBe('wrong-chunk');
    expect(refusal(s, 0, { type: 'state-received', chunk: 3, state: 'independent' })).toBe('wrong-chunk');
    // The standby spare runs no chunk at all.
    expect(s.workers.get(3).status.kind).toBe('idle');
    expect(refusal(s, 3, { type: 'phase-done', chunk: 0, phase: 'fetch', seconds: 1 })).toBe('wrong-chunk');
    expect(refusal(s, 3, { type: 'state-received', chunk: 0, state: 'independent' })).toBe('wrong-chunk');
  });

  it('refuses a phase or a state reported twice', () => {
    let s = apply(started(), done(1, 1, 'fetch'));
    expect(s.workers.get(1).status).toEqual({ kind: 'working', chunk: 1, phase: 'encode' });
    expect(refusal(s, 1, { type: 'phase-done', chunk: 1, phase: 'fetch', seconds: 1 })).toBe('duplicate');
    s = apply(s, { kind: 'state-received', at: 2, worker: 1, chunk: 1, state: 'independent' });
    expect(refusal(s, 1, { type: 'state-received', chunk: 1, state: 'independent' })).toBe('duplicate');
    // Waiting for given-state: encode is behind it.
    s = apply(started(), done(2, 2, 'fetch'), done(2, 2, 'encode'));
    expect(refusal(s, 2, { type: 'phase-done', chunk: 2, phase: 'encode', seconds: 1 })).toBe('duplicate');
  });

  it('refuses a phase reported before the worker was told to start it', () => {
    let s = started();
    expect(refusal(s, 0, { type: 'phase-done', chunk: 0, phase: 'encode', seconds: 1 })).toBe('out-of-order');
    expect(refusal(s, 0, { type: 'phase-done', chunk: 0, phase: 'upload', seconds: 1 })).toBe('out-of-order');
    // A worker waiting for a state has not been told to start the phase it waits to start.
    s = apply(s, done(2, 2, 'fetch'), done(2, 2, 'encode'));
    expect(refusal(s, 2, { type: 'phase-done', chunk: 2, phase: 'given-state', seconds: 1 })).toBe('out-of-order');
    expect(refusal(s, 2, { type: 'phase-done', chunk: 2, phase: 'rebase', seconds: 1 })).toBe('out-of-order');
  });

  it('needs no coordinator: a context is plain data and functions', () => {
    const ctx: MessageContext = { at: 9, worker: 5, workers: 6, chunks: 10, status: () => ({ kind: 'working', chunk: 7, phase: 'rebase' }), runner: (c) => (c === 7 ? 5 : -1), received: (_c, kind) => kind === 'independent' };
    expect(eventOf({ type: 'phase-done', chunk: 7, phase: 'rebase', seconds: 1 }, ctx)).toEqual({ event: { kind: 'phase-done', at: 9, worker: 5, chunk: 7, phase: 'rebase' } });
    expect(eventOf({ type: 'state-received', chunk: 7, state: 'final' }, ctx)).toEqual({ event: { kind: 'state-received', at: 9, worker: 5, chunk: 7, state: 'final' } });
    const refused = eventOf({ type: 'state-received', chunk: 7, state: 'independent' }, ctx);
    expect(refused).toEqual({ refused: 'duplicate', reason: expect.stringMatching(/chunk 7 has received its independent state already/) });
  });

  it('refuses only what step ignores, on random messages thrown at a running job', () => {
    const message = fc.oneof(
      fc.record({ type: fc.constant('phase-done' as const), chunk: fc.integer({ min: -1, max: 4 }), phase: fc.constantFrom(...CHUNK_PHASES), seconds: fc.constant(1) }),
      fc.record({ type: fc.constant('state-received' as const), chunk: fc.integer({ min: -1, max: 4 }), state: fc.constantFrom(...STATE_KINDS) }),
      fc.record({ type: fc.constant('failed' as const), reason: fc.constant('random failure') }),
    );
    // Each step: a random message from a random worker, or (`null`) the right report of a working worker, so the job moves on.
    const move = fc.record({ worker: fc.integer({ min: 0, max: 5 }), message: fc.option(message, { freq: 3 }) });
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.array(move, { maxLength: 120 }), (moves) => {
        let s = started();
        let at = 3;
        for (const { worker, message: random } of moves) {
          const status = worker < s.workers.size ? s.workers.get(worker).status : null;
          const m: Message | null = random ?? (status?.kind === 'working' ? { type: 'phase-done', chunk: status.chunk, phase: status.phase, seconds: 1 } : null);
          if (m === null) continue;
          const t = translate(s, worker, m, at++);
          seen.add('event' in t ? t.event.kind : t.refused);
          if ('event' in t) s = step(s, t.event)[0];
        }
      }),
      { numRuns: 300, seed: 12 },
    );
    // The runs met every event a worker's message makes and every refusal but the message types.
    expect([...seen].sort()).toEqual(['duplicate', 'ended', 'out-of-order', 'phase-done', 'state-received', 'unknown-worker', 'worker-failed', 'wrong-chunk']);
  });
});
