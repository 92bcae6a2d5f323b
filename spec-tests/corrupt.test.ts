// Damaged input: every truncation point of a few streams and thousands of
// random bit flips must end in a decoded frame or a Vp8Error carrying a code,
// the frame index and a byte offset — never another exception, a hang (the
// test's time limit) or an allocation beyond the documented limits.
//
// And the state passed in is untouched: its hash is the same after every
// frame refused (and, in the truncation sweep, after every truncated frame
// decoded), and the pictures decoded where the stream is intact — every whole
// frame after its truncations, the frames before a damaged one, and a
// damaged frame's original decoded from the state its damaged copy was
// refused from — have libvpx's md5 (the vectors' .md5 files).
//
// The checks run in plain loops and record what goes wrong; each test
// asserts once, on the list of problems, so a sweep of tens of thousands of
// frames stays fast.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDecoderState, decodeFrame, type DecoderState, type Image, imageToI420, stateHash, Vp8Error } from '../src/vp8/index.js';
import { ivfFrames, md5, VECTORS } from '../test/helpers/fixtures.js';

const CODES = new Set(['truncated', 'bad-start-code', 'corrupt-header', 'bad-dimensions', 'too-large', 'no-keyframe', 'unsupported']);

type Outcome = { ok: true; state: DecoderState; image: Image | null } | { ok: false; code: string };

/**
 * Decodes one frame and classifies the outcome. A Vp8Error that lacks a known
 * code, the right frame index or a byte offset inside the frame is recorded
 * in `problems`; any other exception fails the test at once.
 */
function attempt(state: DecoderState, frame: Uint8Array, frameIndex: number, problems: string[]): Outcome {
  try {
    const r = decodeFrame(state, frame, { frameIndex });
    return { ok: true, state: r.state, image: r.image };
  } catch (e) {
    if (!(e instanceof Vp8Error)) throw new Error(`frame ${frameIndex}: ${String(e)}`, { cause: e });
    if (!CODES.has(e.code)) problems.push(`frame ${frameIndex}: unknown code ${e.code}`);
    if (e.frameIndex !== frameIndex) problems.push(`frame ${frameIndex}: error names frame ${e.frameIndex}`);
    if (e.byteOffset !== undefined && (e.byteOffset < 0 || e.byteOffset > frame.length)) problems.push(`frame ${frameIndex}: byte offset ${e.byteOffset} outside 0..${frame.length}`);
    return { ok: false, code: e.code };
  }
}

/**
 * libvpx's md5 of the picture of each frame of a vector (its .md5 file lists
 * the shown frames in order), or null for a hidden frame (show_frame, bit 4
 * of the frame tag, clear).
 */
function expectedMd5s(name: string, frames: readonly Uint8Array[]): (string | null)[] {
  const lines = readFileSync(join(VECTORS, `${name}.ivf.md5`), 'utf8').trim().split('\n').map((line) => line.split(/\s+/)[0]!);
  let shown = 0;
  return frames.map((f) => ((f[0]! & 0x10) !== 0 ? lines[shown++]! : null));
}

/** A small deterministic PRNG, so failures can be reproduced. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Adds at most 20 problems to `problems`, so that a broken decoder gives a readable failure. */
function record(problems: string[], problem: string): void {
  if (problems.length < 20) problems.push(problem);
}

describe('truncated frames', () => {
  const cases: Array<[string, number]> = [
    ['vp80-00-comprehensive-001', 3], // a key frame and two inter frames
    ['vp80-00-comprehensive-004', 29], // the whole stream: version 2 (bilinear)
    ['vp80-00-comprehensive-005', 3], // version 3 (full-pixel chroma, simple filter)
    ['vp80-00-comprehensive-016', 29], // the whole stream: two token partitions
  ];

  for (const [name, count] of cases) {
    it(`${name}: every truncation point of the first ${count} frames leaves the state untouched; the whole frames then decode to libvpx's pictures`, () => {
      const frames = ivfFrames(join(VECTORS, `${name}.ivf`)).slice(0, count);
      const expected = expectedMd5s(name, frames);
      const problems: string[] = [];
      let state = createDecoderState();
      let shown = 0;
      let decoded = 0;
      let refused = 0;
      frames.forEach((frame, index) => {
        const before = stateHash(state);
        for (let cut = 0; cut < frame.length; cut++) {
          const r = attempt(state, frame.subarray(0, cut), index, problems);
          if (r.ok) decoded++;
          else refused++;
          if (stateHash(state) !== before) record(problems, `frame ${index} cut at ${cut} (${r.ok ? 'decoded' : r.code}): the state passed in changed`);
        }
        // The whole frame still decodes, from the untouched state, to libvpx's picture.
        const whole = attempt(state, frame, index, problems);
        if (!whole.ok) {
          record(problems, `frame ${index}: the whole frame was refused (${whole.code})`);
          return;
        }
        if (whole.image) {
          const got = md5(imageToI420(whole.image));
          if (got !== expected[index]) record(problems, `frame ${index}: md5 ${got}, libvpx ${expected[index]}`);
          shown++;
        }
        state = whole.state;
      });
      expect(problems).toEqual([]);
      expect(shown).toBe(frames.length); // every frame of these vectors is shown, so every picture was checked
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
    it(`${name}: ${copies} damaged copies of the first ${count} frames; every refusal leaves the state untouched; intact frames decode to libvpx's pictures`, () => {
      const frames = ivfFrames(join(VECTORS, `${name}.ivf`)).slice(0, count);
      const expected = expectedMd5s(name, frames);
      const rnd = prng(1000 + k);
      const outcomes = new Map<string, number>();
      const problems: string[] = [];
      let intactChecked = 0;
      let refusedDamaged = 0;
      // The intact stream decoded once: the hash of the state before each frame.
      const intactHashes: string[] = [];
      for (let i = 0, s = createDecoderState(); i < frames.length; s = decodeFrame(s, frames[i]!).state, i++) intactHashes.push(stateHash(s));
      for (let trial = 0; trial < copies; trial++) {
        const damaged = frames.map((f) => f.slice());
        const targetIndex = Math.floor(rnd() * damaged.length);
        const target = damaged[targetIndex]!;
        const flips = 1 + Math.floor(rnd() * 8);
        for (let i = 0; i < flips; i++) {
          const bit = Math.floor(rnd() * target.length * 8);
          target[bit >> 3] ^= 1 << (bit & 7);
        }
        const intact = (index: number): boolean => index < targetIndex || (index === targetIndex && frames[index]!.every((b, i) => b === target[i]));
        let state = createDecoderState();
        damaged.forEach((frame, index) => {
          // Up to the damaged frame the state is the intact stream's (its pictures are checked below).
          const before = index <= targetIndex ? intactHashes[index]! : stateHash(state);
          const r = attempt(state, frame, index, problems);
          const key = r.ok ? 'decoded' : r.code;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          if (!r.ok) {
            if (stateHash(state) !== before) record(problems, `trial ${trial}, frame ${index} (${r.code}): the state passed in changed`);
            if (index === targetIndex) {
              // The refused copy left the state exactly as it was: the original frame decodes from it to libvpx's picture.
              refusedDamaged++;
              const original = attempt(state, frames[index]!, index, problems);
              const got = !original.ok ? 'refused' : original.image ? md5(imageToI420(original.image)) : null;
              if (got !== expected[index]) record(problems, `trial ${trial}, frame ${index}: after the damaged copy was refused, the original decodes to ${got}, libvpx ${expected[index]}`);
            }
            return;
          }
          if (intact(index)) {
            const got = r.image ? md5(imageToI420(r.image)) : null;
            if (got !== expected[index]) record(problems, `trial ${trial}, intact frame ${index}: md5 ${got}, libvpx ${expected[index]}`);
            intactChecked++;
          }
          state = r.state;
        });
      }
      expect(problems).toEqual([]);
      expect(outcomes.get('decoded') ?? 0).toBeGreaterThan(0);
      expect(intactChecked).toBeGreaterThan(0);
      expect(refusedDamaged).toBeGreaterThan(0);
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
