// encodeChunk refuses what it cannot encode before encoding anything — no
// pictures, pictures of different sizes, a quality level off vpxenc's 0..63
// scale — with an ExcameraError naming the chunk; and on the command line,
// --quantizer and --cq-level together are a usage error.

import { describe, expect, it } from 'vitest';
import { encodeChunk, ExcameraError } from '../../src/excamera/index.js';
import { i420Size, imageFromI420 } from '../../src/vp8/index.js';
import { excamera } from '../helpers/cli.js';
import { CLIPS } from '../helpers/fixtures.js';

const picture = (w: number, h: number) => imageFromI420(w, h, new Uint8Array(i420Size(w, h)).fill(100));
const options = { encoder: 'builtin' as const, quality: { mode: 'cq' as const, cqLevel: 30 }, frameRate: { numerator: 30, denominator: 1 }, chunkIndex: 5 };

async function refusal(p: Promise<unknown>): Promise<ExcameraError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ExcameraError);
  return e as ExcameraError;
}

describe('encodeChunk refuses', () => {
  it('no pictures', async () => {
    const e = await refusal(encodeChunk([], options));
    expect(e).toMatchObject({ code: 'invalid-argument', detail: 'a chunk needs at least one picture', where: { chunk: 5 } });
  });

  it('pictures of different sizes', async () => {
    const e = await refusal(encodeChunk([picture(16, 16), picture(16, 16), picture(32, 16)], options));
    expect(e).toMatchObject({ code: 'invalid-argument', detail: 'the pictures of a chunk must all have one size', where: { chunk: 5 } });
  });

  it('a quality level off the 0..63 scale, in either mode', async () => {
    for (const quality of [{ mode: 'cq' as const, cqLevel: 64 }, { mode: 'quantizer' as const, quantizer: -1 }, { mode: 'quantizer' as const, quantizer: 2.5 }]) {
      const e = await refusal(encodeChunk([picture(16, 16)], { ...options, quality }));
      expect(e.code).toBe('invalid-argument');
      expect(e.message).toMatch(/^quality level must be an integer 0\.\.63, got (64|-1|2\.5) \(chunk 5\)$/);
    }
  });

  it('and encodes a good chunk starting with a key frame, one frame per picture', async () => {
    const chunk = await encodeChunk([picture(16, 16), picture(16, 16)], options);
    expect(chunk.frames).toHaveLength(2);
    expect(chunk.frames[0]![0]! & 1).toBe(0);
    expect(chunk.expects).toBeNull();
  });
});

describe('the quality flags', () => {
  it('--quantizer and --cq-level together are a usage error', () => {
    for (const command of ['xc', 'calibrate']) {
      const r = excamera(command, `${CLIPS}/carphone_qcif_176x144_120f.y4m`, '-o', '/tmp/never-written.ivf', '--quantizer', '10', '--cq-level', '20');
      expect(r.status, command).toBe(2);
      expect(r.stderr, command).toMatch(/^excamera: --quantizer and --cq-level cannot be combined/);
    }
  });
});
