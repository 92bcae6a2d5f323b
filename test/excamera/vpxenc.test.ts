// The vpxenc chunk encoder: the flags it passes (the paper's settings, the
// quality mode asked for, key frames only first unless an interval is given),
// and its errors — nothing to encode, and vpxenc refusing the settings — as
// ExcameraErrors that name the chunk.

import { describe, expect, it } from 'vitest';
import { encodeWithVpxenc, ExcameraError, vpxencArguments } from '../../src/excamera/index.js';
import { imageFromI420, i420Size } from '../../src/vp8/index.js';
import { requireTools, skipWithout } from '../helpers/tools.js';

const FRAME_RATE = { numerator: 30, denominator: 1 };

describe('vpxencArguments', () => {
  const paper = ['--codec=vp8', '--good', '--cpu-used=0', '--passes=2', '--auto-alt-ref=1', '--threads=1', '--token-parts=0', '--tune=ssim'];

  it('constrained quality: the paper\'s settings, no key frame but the first, the level as the lowest quantizer', () => {
    const args = vpxencArguments({ mode: 'cq', cqLevel: 28 });
    expect(args).toEqual(expect.arrayContaining([...paper, '--disable-kf', '--end-usage=cq', '--cq-level=28', '--min-q=28', '--max-q=63']));
    expect(args.filter((a) => a.startsWith('--kf-'))).toEqual([]);
  });

  it('constant quantizer: both bounds at the quantizer', () => {
    const args = vpxencArguments({ mode: 'quantizer', quantizer: 40 });
    expect(args).toEqual(expect.arrayContaining([...paper, '--end-usage=vbr', '--min-q=40', '--max-q=40']));
    expect(args.some((a) => a.startsWith('--cq-level'))).toBe(false);
  });

  it('with a key frame interval: a key frame exactly every that many frames', () => {
    const args = vpxencArguments({ mode: 'cq', cqLevel: 20 }, 12);
    expect(args).toEqual(expect.arrayContaining(['--kf-min-dist=12', '--kf-max-dist=12']));
    expect(args).not.toContain('--disable-kf');
  });
});

describe.skipIf(skipWithout('vpxenc'))('encodeWithVpxenc errors (needs vpxenc)', () => {
  const grey = imageFromI420(16, 16, new Uint8Array(i420Size(16, 16)).fill(128));

  it('refuses to encode no pictures, naming the chunk', async () => {
    requireTools('vpxenc');
    const e = await encodeWithVpxenc([], FRAME_RATE, { mode: 'cq', cqLevel: 30 }, 4).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExcameraError);
    expect(e).toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/no pictures to encode/) });
    expect((e as ExcameraError).where.chunk).toBe(4);
    expect((e as Error).message).toMatch(/\(chunk 4\)$/);
  });

  it('reports vpxenc refusing its settings with vpxenc\'s own words and the chunk', async () => {
    requireTools('vpxenc');
    const e = await encodeWithVpxenc([grey, grey], FRAME_RATE, { mode: 'cq', cqLevel: 99 }, 7).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExcameraError);
    expect(e).toMatchObject({ code: 'chunk-encoder', message: expect.stringMatching(/vpxenc exited with status 1: .*rc_min_quantizer out of range/) });
    expect((e as ExcameraError).where.chunk).toBe(7);
  });

  it('encodes pictures into frames, the first a key frame and the others not', async () => {
    requireTools('vpxenc');
    const frames = await encodeWithVpxenc([grey, grey, grey], FRAME_RATE, { mode: 'cq', cqLevel: 30 });
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames[0]![0]! & 1).toBe(0); // key frame: bit 0 of the frame tag is 0
    expect(frames.slice(1).every((f) => (f[0]! & 1) === 1)).toBe(true);
  });

  it('encodes at a constant quantizer, which vpxenc warns about, without waiting for an answer', async () => {
    requireTools('vpxenc');
    const frames = await encodeWithVpxenc([grey, grey], FRAME_RATE, { mode: 'quantizer', quantizer: 30 }, 2);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames[0]![0]! & 1).toBe(0);
  });
});
