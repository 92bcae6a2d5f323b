// The [n, x] schedule: frames per chunk, dependencies between chunks, the
// phases of each chunk and the handout order, against the rules written out
// by hand for small jobs.

import { describe, expect, it } from 'vitest';
import { awaitedBefore, FINAL, INDEPENDENT, jobConfig, NO_STATES, originOf, Schedule, validateJob } from '../../src/excamera/schedule.js';

const schedule = (frames: number, n: number, x: number): Schedule => new Schedule({ frames, framesPerChunk: n, chunksPerBatch: x });
const all = <T>(s: Schedule, f: (chunk: number) => T): T[] => Array.from({ length: s.chunks }, (_, i) => f(i));

describe('schedule', () => {
  it('cuts the clip into chunks of n frames, the last one short', () => {
    const s = schedule(23, 6, 16);
    expect(s.chunks).toBe(4);
    expect(all(s, (i) => s.firstFrame(i))).toEqual([0, 6, 12, 18]);
    expect(all(s, (i) => s.framesOf(i))).toEqual([6, 6, 6, 5]);
    for (const [frames, n] of [[1, 1], [5, 6], [6, 6], [7, 6], [100, 7], [3000, 12]] as const) {
      const t = schedule(frames, n, 4);
      expect(t.chunks).toBe(Math.ceil(frames / n));
      // Contiguous, each 1..n frames, covering [0, frames).
      let next = 0;
      for (let i = 0; i < t.chunks; i++) {
        expect(t.firstFrame(i)).toBe(next);
        expect(t.framesOf(i)).toBeGreaterThanOrEqual(1);
        expect(t.framesOf(i)).toBeLessThanOrEqual(n);
        next += t.framesOf(i);
      }
      expect(next).toBe(frames);
    }
  });

  it("gives chunk i's dependencies on chunk i-1 by its position in the batch", () => {
    const BOTH = INDEPENDENT | FINAL;
    expect(all(schedule(60, 6, 1), (i) => schedule(60, 6, 1).needs(i))).toEqual(Array(10).fill(NO_STATES));
    expect(all(schedule(60, 6, 2), (i) => schedule(60, 6, 2).needs(i))).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1].map((e) => (e === 0 ? NO_STATES : INDEPENDENT)));
    const s = schedule(60, 6, 4);
    expect(all(s, (i) => s.needs(i))).toEqual([NO_STATES, INDEPENDENT, BOTH, BOTH, NO_STATES, INDEPENDENT, BOTH, BOTH, NO_STATES, INDEPENDENT]);
    // The next chunk in the same batch, if the clip has it.
    expect(all(s, (i) => s.hasNext(i))).toEqual([true, true, true, false, true, true, true, false, true, false]);
    expect(all(s, (i) => s.position(i))).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
    expect(all(s, (i) => s.origin(i))).toEqual(['independent', 'given-state', 'rebased', 'rebased', 'independent', 'given-state', 'rebased', 'rebased', 'independent', 'given-state']);
    expect(originOf(17, 16)).toBe('given-state');
  });

  it('takes a first-in-batch chunk through fewer phases than the others', () => {
    const s = schedule(60, 6, 4);
    // Position 0: its independent chunk is its output; its send-state also sends its final state.
    expect(s.phasesOf(0)).toEqual(['fetch', 'encode', 'send-state', 'upload']);
    expect(s.sentBy(0, 'send-state')).toBe(INDEPENDENT | FINAL);
    expect(s.phasesOf(1)).toEqual(['fetch', 'encode', 'send-state', 'given-state', 'send-final', 'upload']);
    expect(s.sentBy(1, 'send-state')).toBe(INDEPENDENT);
    expect(s.sentBy(1, 'send-final')).toBe(FINAL);
    expect(s.phasesOf(2)).toEqual(['fetch', 'encode', 'send-state', 'given-state', 'rebase', 'send-final', 'upload']);
    // Last in its batch: sends nothing on.
    expect(s.phasesOf(3)).toEqual(['fetch', 'encode', 'given-state', 'rebase', 'upload']);
    // Last in the clip, mid-batch (chunk 9 at position 1).
    expect(s.phasesOf(9)).toEqual(['fetch', 'encode', 'given-state', 'upload']);
    // A batch of one chunk.
    expect(schedule(12, 6, 1).phasesOf(1)).toEqual(['fetch', 'encode', 'upload']);
    expect(s.next(0, 'upload')).toBe('finished');
    expect(awaitedBefore('given-state')).toBe('independent');
    expect(awaitedBefore('rebase')).toBe('final');
    expect(awaitedBefore('encode')).toBeNull();
    expect((['fetch', 'encode', 'given-state', 'rebase', 'upload'] as const).map((p) => s.chunksIn(p))).toEqual([10, 10, 7, 4, 10]);
  });

  it('hands out every batch\'s first chunk, then every second, and so on', () => {
    expect(schedule(60, 6, 4).handoutOrder()).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 3, 7]);
    expect(schedule(30, 6, 1).handoutOrder()).toEqual([0, 1, 2, 3, 4]);
    expect(schedule(30, 6, 16).handoutOrder()).toEqual([0, 1, 2, 3, 4]);
  });

  it('fills in a job\'s defaults, and refuses impossible settings', () => {
    const job = jobConfig({ frames: 600, framesPerChunk: 6, chunksPerBatch: 16 });
    expect(job).toMatchObject({ workers: 100, spares: 50, standby: 1, phaseTimeoutSeconds: 120, maxAttemptsPerChunk: 3, seed: 1 });
    expect(jobConfig({ frames: 60_000, framesPerChunk: 6, chunksPerBatch: 16, spares: 3 }).standby).toBe(3);
    expect(() => validateJob({ ...job, framesPerChunk: 0 })).toThrow(/framesPerChunk must be an integer >= 1/);
    expect(() => validateJob({ ...job, phaseTimeoutSeconds: Infinity })).toThrow(/phaseTimeoutSeconds/);
  });
});
