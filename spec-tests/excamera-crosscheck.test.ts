// ExCamera's output checked by libvpx: for ExCamera[n,x] with each chunk
// encoder (the built-in one, and vpxenc with the paper's settings when it is
// installed), vpxdec decodes the stitched stream without error and every
// frame's md5 equals our decoder's; the frame count is the input's; key
// frames fall exactly at multiples of n·x; quality stays within 0.5 dB PSNR
// of the same chunks encoded independently. And a chunk with hidden alt-ref
// frames (vpxenc with a lag) survives encode-given-state and rebase.

import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseIvf, parseY4m, writeY4m } from '../src/container/index.js';
import { type Chunk, decodeChunk, encodeGivenState, rebaseChunk, refreshAllAtEnd } from '../src/excamera/chunk.js';
import { encodeChunk } from '../src/excamera/chunk-encoder.js';
import { chunkToIvf } from '../src/excamera/files.js';
import { type ExcameraConfig, runInProcess } from '../src/excamera/pipeline.js';
import { createDecoderState, decodeFrame, type Image, imageFromI420, imageToI420 } from '../src/vp8/index.js';
import { frameQuality, QualityTotals } from '../src/vp8/metrics.js';
import { CLIPS, md5 } from '../test/helpers/fixtures.js';
import { requireTools, skipWithout } from '../test/helpers/tools.js';

const run = promisify(execFile);
const RATE = { numerator: 30000, denominator: 1001 };

interface Clip {
  readonly i420: Uint8Array[];
  readonly pictures: Image[];
  readonly width: number;
  readonly height: number;
}

function loadClip(file: string, frames: number): Clip {
  const y4m = parseY4m(new Uint8Array(readFileSync(join(CLIPS, file))));
  const { width, height } = y4m.header;
  const i420 = y4m.frames.slice(0, frames).map((f) => f.data.slice());
  return { i420, pictures: i420.map((d) => imageFromI420(width, height, d)), width, height };
}

/** Our decoder over a stream: md5 of every shown frame, key-frame positions (in shown frames) and PSNR. */
function ours(frames: readonly Uint8Array[], clip: Clip): { md5s: string[]; keys: number[]; psnr: number } {
  let s = createDecoderState();
  const md5s: string[] = [];
  const keys: number[] = [];
  const totals = new QualityTotals();
  for (const f of frames) {
    const r = decodeFrame(s, f);
    s = r.state;
    if (r.header?.keyFrame) keys.push(md5s.length);
    if (r.image) {
      const pic = imageToI420(r.image);
      totals.add(frameQuality(clip.i420[md5s.length], pic, clip.width, clip.height));
      md5s.push(md5(pic));
    }
  }
  return { md5s, keys, psnr: totals.psnr().all };
}

describe.skipIf(skipWithout('vpxdec'))('ExCamera output, decoded by libvpx (needs vpxdec; .ci/run installs vpx-tools)', () => {
  beforeEach(() => requireTools('vpxdec'));
  let dir = '';
  let carphone: Clip;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'excamera-xc-'));
    carphone = loadClip('carphone_qcif_176x144_120f.y4m', 48);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function vpxdecMd5s(frames: readonly Uint8Array[], name: string, clip: Clip): Promise<string[]> {
    const path = join(dir, `${name}.ivf`);
    writeFileSync(path, chunkToIvf({ frames, width: clip.width, height: clip.height, expects: null }, RATE));
    const { stdout } = await run('vpxdec', ['--md5', '--i420', '-o', 'x-%wx%h-%4.i420', path], { maxBuffer: 16 * 1024 * 1024 });
    return stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
  }

  for (const encoder of ['builtin', 'vpxenc'] as const) {
    const needs = encoder === 'vpxenc' ? ' (needs vpxenc)' : '';
    for (const [n, x] of [[2, 3], [3, 4], [6, 4], [6, 1]] as const) {
      it.skipIf(encoder === 'vpxenc' && skipWithout('vpxenc'))(`[${n},${x}] with the ${encoder} chunk encoder: vpxdec agrees on every frame; keys at multiples of n·x; quality holds${needs}`, async () => {
        if (encoder === 'vpxenc') requireTools('vpxenc');
        const frames = encoder === 'builtin' ? 24 : 48;
        const clip: Clip = { ...carphone, i420: carphone.i420.slice(0, frames), pictures: carphone.pictures.slice(0, frames) };
        const config: ExcameraConfig = { framesPerChunk: n, chunksPerBatch: x, chunkEncoder: encoder, quality: { mode: 'cq', cqLevel: 24 }, frameRate: RATE };
        const out = await runInProcess(clip.pictures, config);
        const mine = ours(out.frames, clip);
        const libvpx = await vpxdecMd5s(out.frames, `${encoder}-${n}-${x}`, clip);
        expect(mine.md5s).toHaveLength(frames);
        expect(libvpx).toEqual(mine.md5s);
        expect(mine.keys).toEqual(Array.from({ length: Math.ceil(frames / (n * x)) }, (_, i) => i * n * x));
        if (x > 1) {
          const independent = await runInProcess(clip.pictures, { ...config, chunksPerBatch: 1 });
          expect(mine.psnr).toBeGreaterThan(ours(independent.frames, clip).psnr - 0.5);
        }
      });
    }
  }

  it.skipIf(skipWithout('vpxenc'))('a vpxenc chunk with a hidden alt-ref frame survives encode-given-state and rebase (needs vpxenc)', async () => {
    requireTools('vpxenc');
    // vpxenc makes a hidden alt-ref frame when it may look ahead (two passes, a lag).
    const clip = loadClip('carphone_qcif_176x144_120f.y4m', 36);
    const y4mPath = join(dir, 'hidden.y4m');
    writeFileSync(y4mPath, writeY4m({ width: clip.width, height: clip.height, frameRate: RATE }, clip.i420.slice(12, 36).map((data) => ({ data }))));
    const ivfPath = join(dir, 'hidden.ivf');
    const r = spawnSync('vpxenc', [
      '--codec=vp8', '--good', '--cpu-used=0', '--passes=2', '--auto-alt-ref=1', '--lag-in-frames=16', '--threads=1',
      '--disable-kf', '--target-bitrate=300', '--ivf', '-q', '-o', ivfPath, y4mPath,
    ], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const raw = parseIvf(new Uint8Array(readFileSync(ivfPath))).frames.map((f) => f.data.slice());
    const hidden = raw.filter((f) => (f[0] & 0x10) === 0).length;
    expect(hidden, 'the chunk must contain a hidden frame for this test to mean anything').toBeGreaterThan(0);
    const chunk: Chunk = refreshAllAtEnd({ frames: raw, width: clip.width, height: clip.height, expects: null });

    // Chunk 0 (frames 0..11) from the built-in encoder; chunk 1 is the vpxenc chunk.
    const first = await encodeChunk(clip.pictures.slice(0, 12), { encoder: 'builtin', quality: { mode: 'cq', cqLevel: 24 }, frameRate: RATE });
    const firstEnd = decodeChunk(first).state;
    const given = encodeGivenState(chunk, firstEnd, clip.pictures.slice(12, 36));
    expect(given.chunk.frames).toHaveLength(raw.length);
    expect(given.chunk.frames.filter((f) => (f[0] & 0x10) === 0)).toHaveLength(hidden);
    const stream = [...first.frames, ...given.chunk.frames];
    const mine = ours(stream, clip);
    expect(mine.md5s).toHaveLength(36);
    expect(await vpxdecMd5s(stream, 'hidden-given', clip)).toEqual(mine.md5s);

    // Rebase it onto another state (the first chunk coded coarser), hidden frames included.
    const coarse = await encodeChunk(clip.pictures.slice(0, 12), { encoder: 'builtin', quality: { mode: 'cq', cqLevel: 40 }, frameRate: RATE });
    const rebased = rebaseChunk(given.chunk, firstEnd, decodeChunk(coarse).state, clip.pictures.slice(12, 36));
    const stream2 = [...coarse.frames, ...rebased.chunk.frames];
    const mine2 = ours(stream2, clip);
    expect(await vpxdecMd5s(stream2, 'hidden-rebased', clip)).toEqual(mine2.md5s);
    expect(mine2.md5s).toHaveLength(36);
  });
});
