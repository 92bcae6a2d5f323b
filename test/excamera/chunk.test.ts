// ExCamera's chunk operations with the built-in encoder (no external tools):
// rebase, encode-given-state, the expected-state check, chunk files, and the
// pipeline's structure and quality.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseY4m } from '../../src/container/index.js';
import {
  type Chunk, decodeChunk, encodeGivenState, rebaseChunk, refreshAllAtEnd, tagOf,
} from '../../src/excamera/chunk.js';
import { encodeChunk } from '../../src/excamera/chunk-encoder.js';
import { ExcameraError } from '../../src/excamera/errors.js';
import { chunkToIvf, parseChunkFile } from '../../src/excamera/files.js';
import { runInProcess } from '../../src/excamera/pipeline.js';
import {
  createDecoderState, decodeFrame, type DecoderState, type Image, imageFromI420, imageToI420, stateEquals, stateHash,
} from '../../src/vp8/index.js';
import { Vp8Encoder } from '../../src/vp8/encoder/sequence.js';
import { frameQuality, QualityTotals } from '../../src/vp8/metrics.js';
import { CLIPS } from '../helpers/fixtures.js';

const RATE = { numerator: 30000, denominator: 1001 };
let pictures: Image[] = [];
let i420: Uint8Array[] = [];

beforeAll(() => {
  const y4m = parseY4m(new Uint8Array(readFileSync(join(CLIPS, 'carphone_qcif_176x144_120f.y4m'))));
  i420 = y4m.frames.slice(0, 48).map((f) => f.data.slice());
  pictures = i420.map((d) => imageFromI420(176, 144, d));
});

const builtin = (raws: readonly Image[], cqLevel = 24): Promise<Chunk> =>
  encodeChunk(raws, { encoder: 'builtin', quality: { mode: 'cq', cqLevel }, frameRate: RATE });

function errorOf(f: () => unknown): ExcameraError {
  try {
    f();
  } catch (e) {
    if (e instanceof ExcameraError) return e;
    throw e;
  }
  throw new Error('expected an ExcameraError');
}

/** PSNR (all planes) of a stream's shown frames against the source. */
function psnrOf(frames: readonly Uint8Array[], from: DecoderState = createDecoderState()): number {
  const t = new QualityTotals();
  let s = from;
  let k = 0;
  for (const f of frames) {
    const r = decodeFrame(s, f);
    s = r.state;
    if (r.image) t.add(frameQuality(i420[k++], imageToI420(r.image), 176, 144));
  }
  return t.psnr().all;
}

describe('chunks', () => {
  it('an independent chunk starts with a key frame, expects no state and ends with all references equal', async () => {
    const c = await builtin(pictures.slice(0, 6));
    expect(c.expects).toBeNull();
    expect(c.frames[0][0] & 1).toBe(0);
    expect(c.frames.slice(1).every((f) => (f[0] & 1) === 1)).toBe(true);
    const end = decodeChunk(c).state;
    expect(end.golden).toBe(end.last);
    expect(end.altref).toBe(end.last);
  });

  it('rebasing a chunk onto the state it was coded against gives it back byte for byte', async () => {
    const a = await builtin(pictures.slice(0, 6));
    const b = encodeGivenState(await builtin(pictures.slice(6, 12)), decodeChunk(a).state, pictures.slice(6, 12)).chunk;
    const from = decodeChunk(a).state;
    const again = rebaseChunk(b, from, from, pictures.slice(6, 12));
    expect(again.chunk.frames).toEqual(b.frames);
    expect(again.chunk.expects).toBe(b.expects);
  });

  it('a rebased chunk decodes from its new state to exactly the state rebase returns', async () => {
    const a = await builtin(pictures.slice(0, 6));
    const other = await builtin(pictures.slice(0, 6), 40); // the same pictures, coarser: another state
    const b = encodeGivenState(await builtin(pictures.slice(6, 12)), decodeChunk(a).state, pictures.slice(6, 12)).chunk;
    const to = decodeChunk(other).state;
    const r = rebaseChunk(b, decodeChunk(a).state, to, pictures.slice(6, 12));
    expect(r.chunk.expects).toBe(tagOf(to));
    const decoded = decodeChunk(r.chunk, to);
    expect(stateEquals(decoded.state, r.state)).toBe(true);
    expect(decoded.pictures).toHaveLength(6);
    // Modes are kept: the same number of frames, all inter, and the quality close to the original's.
    expect(r.chunk.frames.every((f) => (f[0] & 1) === 1)).toBe(true);
    expect(psnrOf(r.chunk.frames, to)).toBeGreaterThan(psnrOf(b.frames, decodeChunk(a).state) - 1.5);
  });

  it('encode-given-state replaces the key frame by an inter frame against the given state', async () => {
    const a = await builtin(pictures.slice(0, 6));
    const end = decodeChunk(a).state;
    const b = await builtin(pictures.slice(6, 12));
    const g = encodeGivenState(b, end, pictures.slice(6, 12));
    expect(g.chunk.expects).toBe(tagOf(end));
    expect(g.chunk.frames).toHaveLength(6);
    expect(g.chunk.frames.every((f) => (f[0] & 1) === 1)).toBe(true);
    const d = decodeChunk(g.chunk, end);
    expect(stateEquals(d.state, g.state)).toBe(true);
    // Its first frame refreshes every reference, as the key frame did.
    const first = decodeFrame(end, g.chunk.frames[0]).state;
    expect(first.golden).toBe(first.last);
    expect(first.altref).toBe(first.last);
    // A key frame's worth of bits is saved, at nearly the same quality.
    const bytes = (c: Chunk): number => c.frames.reduce((n, f) => n + f.length, 0);
    expect(bytes(g.chunk)).toBeLessThan(bytes(b));
  });

  it('refuses a chunk applied to a state other than the one it expects', async () => {
    const a = await builtin(pictures.slice(0, 6));
    const g = encodeGivenState(await builtin(pictures.slice(6, 12)), decodeChunk(a).state, pictures.slice(6, 12));
    const wrong = decodeChunk(await builtin(pictures.slice(0, 6), 40)).state;
    const e1 = errorOf(() => decodeChunk(g.chunk, wrong, 3));
    expect(e1.code).toBe('state-mismatch');
    expect(e1.message).toMatch(/coded against state [0-9a-f]{8}, not against the state given.*chunk 3/);
    expect(errorOf(() => rebaseChunk(g.chunk, wrong, wrong, pictures.slice(6, 12))).code).toBe('state-mismatch');
    expect(errorOf(() => decodeChunk(g.chunk, createDecoderState())).code).toBe('state-mismatch');
    // Encode-given-state takes chunks that start with a key frame only.
    expect(errorOf(() => encodeGivenState(g.chunk, wrong, pictures.slice(6, 12))).code).toBe('bad-chunk');
    // The wrong number of raw pictures.
    expect(errorOf(() => rebaseChunk(g.chunk, decodeChunk(a).state, wrong, pictures.slice(6, 11))).code).toBe('bad-chunk');
  });

  it('a damaged chunk is an ExcameraError naming the chunk and frame', async () => {
    const a = await builtin(pictures.slice(0, 3));
    const damaged = { ...a, frames: [a.frames[0], a.frames[1].subarray(0, 5), a.frames[2]] };
    const e = errorOf(() => decodeChunk(damaged, undefined, 7));
    expect(e.code).toBe('bad-chunk');
    expect(e.where).toMatchObject({ chunk: 7, frame: 1 });
  });

  it('chunk files keep the expected state in the IVF header and round-trip', async () => {
    const a = await builtin(pictures.slice(0, 6));
    const g = encodeGivenState(await builtin(pictures.slice(6, 12)), decodeChunk(a).state, pictures.slice(6, 12)).chunk;
    for (const c of [a, g]) {
      const bytes = chunkToIvf(c, RATE, 6);
      const back = parseChunkFile(bytes);
      expect(back.chunk).toEqual({ frames: c.frames, width: 176, height: 144, expects: c.expects });
      expect(back.frameRate).toEqual(RATE);
      expect(new DataView(bytes.buffer).getUint32(28, true)).toBe(c.expects ?? 0);
    }
    expect(() => parseChunkFile(new Uint8Array(10), 'x.ivf')).toThrow(/x\.ivf/);
  });

  it('refreshAllAtEnd changes only reference updates: every picture stays the same', async () => {
    const e = new Vp8Encoder({ width: 176, height: 144, frameRate: 30, rateControl: { mode: 'quantizer', quantizer: 30 } });
    const frames = pictures.slice(0, 5).map((p) => e.encode(p).frame);
    const c: Chunk = { frames, width: 176, height: 144, expects: null };
    const fixed = refreshAllAtEnd(c);
    expect(fixed.frames.slice(0, 4)).toEqual(frames.slice(0, 4));
    const before = decodeChunk(c);
    const after = decodeChunk(fixed);
    expect(after.pictures.map((p) => imageToI420(p))).toEqual(before.pictures.map((p) => imageToI420(p)));
    expect(after.state.golden).toBe(after.state.last);
    expect(after.state.altref).toBe(after.state.last);
    expect(before.state.golden).not.toBe(before.state.last);
  });
});

describe('ExCamera[n,x] in one process (built-in chunk encoder)', () => {
  for (const [n, x] of [[2, 3], [3, 4], [6, 4], [6, 1]] as const) {
    it(`[${n},${x}]: every frame, key frames exactly at multiples of n·x, quality within 0.5 dB of independent chunks`, async () => {
      const config = { framesPerChunk: n, chunksPerBatch: x, chunkEncoder: 'builtin' as const, quality: { mode: 'cq' as const, cqLevel: 24 }, frameRate: RATE };
      const r = await runInProcess(pictures, config);
      // Frame count and key-frame positions, read from the decoded stream.
      let s = createDecoderState();
      const keys: number[] = [];
      let shown = 0;
      for (const f of r.frames) {
        const d = decodeFrame(s, f);
        s = d.state;
        if (d.header?.keyFrame) keys.push(shown);
        if (d.image) shown++;
      }
      expect(shown).toBe(pictures.length);
      const expected = Array.from({ length: Math.ceil(pictures.length / (n * x)) }, (_, i) => i * n * x);
      expect(keys).toEqual(expected);
      expect(stateHash(s)).toBe(stateHash(r.finalState));
      // The chunks' origins follow their positions in the batch.
      expect(r.chunks.map((c) => c.origin)).toEqual(r.chunks.map((_, i) => (i % x === 0 ? 'independent' : i % x === 1 ? 'given-state' : 'rebased')));
      expect(r.chunks.reduce((a, c) => a + c.frames, 0)).toBe(pictures.length);
      // Quality against the same chunks encoded independently.
      const independent = x === 1 ? r : await runInProcess(pictures, { ...config, chunksPerBatch: 1 });
      const psnr = psnrOf(r.frames);
      const reference = psnrOf(independent.frames);
      expect(psnr).toBeGreaterThan(reference - 0.5);
      if (x > 1) expect(r.frames.reduce((a, f) => a + f.length, 0)).toBeLessThan(independent.frames.reduce((a, f) => a + f.length, 0));
    });
  }
});
