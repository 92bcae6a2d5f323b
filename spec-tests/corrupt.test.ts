// Damaged input: every truncation point of a few streams and thousands of
// random bit flips must end in a decoded frame or a Vp8Error carrying a code,
// the frame index and a byte offset — never another exception, a hang (the
// test's time limit) or an allocation beyond the documented limits.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDecoderState, decodeFrame, type DecoderState, Vp8Error } from '../src/vp8/index.js';
import { ivfFrames, VECTORS } from '../test/helpers/fixtures.js';

const CODES = new Set(['truncated', 'bad-start-code', 'corrupt-header', 'bad-dimensions', 'too-large', 'no-keyframe', 'unsupported']);

/** Decodes one frame and classifies the outcome; fails the test on any other exception. */
function attempt(state: DecoderState, frame: Uint8Array, frameIndex: number): { ok: true; state: DecoderState } | { ok: false; code: string } {
  try {
    return { ok: true, state: decodeFrame(state, frame, { frameIndex }).state };
  } catch (e) {
    if (!(e instanceof Vp8Error)) throw new Error(`frame ${frameIndex}: ${String(e)}`, { cause: e });
    expect(CODES.has(e.code), e.code).toBe(true);
    expect(e.frameIndex).toBe(frameIndex);
    if (e.byteOffset !== undefined) {
      expect(e.byteOffset).toBeGreaterThanOrEqual(0);
      expect(e.byteOffset).toBeLessThanOrEqual(frame.length);
    }
    return { ok: false, code: e.code };
  }
}

/** A small deterministic PRNG, so failures can be reproduced. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('truncated frames', () => {
  const cases: Array<[string, number]> = [
    ['vp80-00-comprehensive-001', 3], // a key frame and two inter frames
    ['vp80-00-comprehensive-004', 29], // the whole stream: version 2 (bilinear)
    ['vp80-00-comprehensive-005', 3], // version 3 (full-pixel chroma, simple filter)
    ['vp80-00-comprehensive-016', 29], // the whole stream: two token partitions
  ];

  for (const [name, count] of cases) {
    it(`${name}: every truncation point of the first ${count} frames`, () => {
      const frames = ivfFrames(join(VECTORS, `${name}.ivf`)).slice(0, count);
      let state = createDecoderState();
      let decoded = 0;
      let refused = 0;
      frames.forEach((frame, index) => {
        for (let cut = 0; cut < frame.length; cut++) {
          const r = attempt(state, frame.subarray(0, cut), index);
          if (r.ok) decoded++;
          else refused++;
        }
        // The whole frame still decodes, from the untouched state.
        const whole = attempt(state, frame, index);
        expect(whole.ok).toBe(true);
        if (whole.ok) state = whole.state;
      });
      expect(decoded + refused).toBe(frames.reduce((n, f) => n + f.length, 0));
      expect(refused).toBeGreaterThan(0);
    });
  }
});

describe('random bit flips', () => {
  // [vector, frames to damage, copies]: 3,600 damaged streams in all.
  const cases: Array<[string, number, number]> = [
    ['vp80-00-comprehensive-001', 5, 600],
    ['vp80-00-comprehensive-003', 5, 600], // version 1, simple filter
    ['vp80-00-comprehensive-005', 5, 600], // version 3
    ['vp80-00-comprehensive-007', 5, 600], // two partitions, no entropy refresh
    ['vp80-00-comprehensive-008', 2, 200], // 1432x888
    ['vp80-00-comprehensive-010', 3, 400], // segmentation, golden/altref copies
    ['vp80-00-comprehensive-015', 5, 600], // segmentation
  ];

  for (const [k, [name, count, copies]] of cases.entries()) {
    it(`${name}: ${copies} damaged copies of the first ${count} frames`, () => {
      const frames = ivfFrames(join(VECTORS, `${name}.ivf`)).slice(0, count);
      const rnd = prng(1000 + k);
      const outcomes = new Map<string, number>();
      for (let trial = 0; trial < copies; trial++) {
        const damaged = frames.map((f) => f.slice());
        const target = damaged[Math.floor(rnd() * damaged.length)];
        const flips = 1 + Math.floor(rnd() * 8);
        for (let i = 0; i < flips; i++) {
          const bit = Math.floor(rnd() * target.length * 8);
          target[bit >> 3] ^= 1 << (bit & 7);
        }
        let state = createDecoderState();
        damaged.forEach((frame, index) => {
          const r = attempt(state, frame, index);
          const key = r.ok ? 'decoded' : r.code;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          if (r.ok) state = r.state;
        });
      }
      expect(outcomes.get('decoded') ?? 0).toBeGreaterThan(0);
    });
  }
});

describe('limits', () => {
  const key = (): Uint8Array => ivfFrames(join(VECTORS, 'vp80-00-comprehensive-001.ivf'))[0].slice();
  const withSize = (w: number, h: number): Uint8Array => {
    const f = key();
    f[6] = w & 0xff;
    f[7] = (w >> 8) & 0x3f;
    f[8] = h & 0xff;
    f[9] = (h >> 8) & 0x3f;
    return f;
  };
  const codeOf = (f: Uint8Array, limits = {}): string => {
    try {
      decodeFrame(createDecoderState(), f, { limits });
      return 'decoded';
    } catch (e) {
      if (!(e instanceof Vp8Error)) throw e;
      return e.code;
    }
  };

  it('refuses the largest size the format can code, before allocating it', () => {
    expect(codeOf(withSize(16383, 16383))).toBe('bad-dimensions');
  });

  it('refuses a zero dimension', () => {
    expect(codeOf(withSize(0, 144))).toBe('bad-dimensions');
    expect(codeOf(withSize(176, 0))).toBe('bad-dimensions');
  });

  it('applies caller-supplied limits', () => {
    expect(codeOf(key(), { maxWidth: 160 })).toBe('bad-dimensions');
    expect(codeOf(key(), { maxPixels: 176 * 144 - 1 })).toBe('bad-dimensions');
    expect(codeOf(key(), { maxFrameBytes: 100 })).toBe('too-large');
    expect(codeOf(key(), { maxWidth: 176, maxHeight: 144, maxPixels: 176 * 144 })).toBe('decoded');
  });

  it('decodes a damaged stream that claims a large but allowed size without hanging', () => {
    // 4000 x 3000 is within the limits; the data cannot fill it, so the
    // decoder must stop at the end of the partitions.
    expect(['truncated', 'decoded']).toContain(codeOf(withSize(4000, 3000)));
  });
});
