// The quantizer, checked against libvpx rather than against itself:
//  - the map from the 0..63 quantizer of vpxenc's options to the frame
//    header's q_index (0..127): vpxenc --min-q=Q --max-q=Q codes every frame
//    at q_index QUANTIZER_TO_QINDEX[Q], and so do our encoder and
//    `excamera encode --quantizer Q`;
//  - the dequantization tables (RFC 6386 section 14.1): those 64 vpxenc
//    streams, and a stream of our encoder at every q_index 0..127 (vpxenc
//    reaches only 64 of them), decode to vpxdec's md5 on every frame — a
//    wrong DC or AC factor at any index would change the pictures.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseIvf, parseY4m, writeIvf } from '../src/container/index.js';
import { QUANTIZER_TO_QINDEX, Vp8Encoder } from '../src/vp8/encoder/sequence.js';
import { createDecoderState, encodeFrame, frameInfo, imageFromI420, imageToI420, i420Size, parseFrame } from '../src/vp8/index.js';
import { excamera } from '../test/helpers/cli.js';
import { md5, shownFrameMd5s, writeClipPrefix } from '../test/helpers/fixtures.js';
import { requireTools, skipWithout } from '../test/helpers/tools.js';

const run = promisify(execFile);
const RATE = { numerator: 30000, denominator: 1001 };

/** vpxdec's md5 of every shown frame. */
async function vpxdecMd5s(ivf: string): Promise<string[]> {
  const { stdout } = await run('vpxdec', ['--md5', '--i420', '-o', 'x-%wx%h-%4.i420', ivf], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]!);
}

/** Runs `task` over `items`, two at a time (the machine has two cores). */
async function twoAtATime<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all([worker(), worker()]);
}

describe.skipIf(skipWithout('vpxenc', 'vpxdec'))('quantizer levels and dequantization against libvpx (needs vpxenc and vpxdec)', () => {
  let dir = '';
  let clip = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'excamera-quant-'));
    // Three frames of carphone: a key frame and two inter frames per level.
    clip = join(dir, 'carphone-3.y4m');
    writeClipPrefix(clip, 'carphone_qcif_176x144_120f.y4m', 3, { frameRate: RATE });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => requireTools('vpxenc', 'vpxdec'));

  it('vpxenc --min-q=Q --max-q=Q codes every frame at q_index QUANTIZER_TO_QINDEX[Q], for Q = 0..63, and our decoder matches vpxdec on those streams', async () => {
    const levels = Array.from({ length: 64 }, (_, q) => q);
    const problems: string[] = [];
    const seen = new Set<number>();
    await twoAtATime(levels, async (q) => {
      const ivf = join(dir, `vpxenc-q${q}.ivf`);
      await run('vpxenc', ['--codec=vp8', '--ivf', '-q', '--disable-warning-prompt', '--good', '--cpu-used=4', '--end-usage=vbr', '--target-bitrate=500',
        `--min-q=${q}`, `--max-q=${q}`, '--threads=1', '-o', ivf, clip]);
      const frames = parseIvf(new Uint8Array(readFileSync(ivf))).frames.map((f) => f.data);
      const qIndices = frames.map((f) => frameInfo(f).quantizer.yAcQi);
      qIndices.forEach((qi) => seen.add(qi));
      if (frames.length !== 3 || qIndices.some((qi) => qi !== QUANTIZER_TO_QINDEX[q])) {
        problems.push(`Q ${q}: vpxenc coded q_index ${qIndices.join(', ')}; QUANTIZER_TO_QINDEX says ${QUANTIZER_TO_QINDEX[q]}`);
      }
      const expected = await vpxdecMd5s(ivf);
      const ours = shownFrameMd5s(frames);
      if (ours.join() !== expected.join()) problems.push(`Q ${q}: our md5s ${ours.join(', ')}, vpxdec ${expected.join(', ')}`);
    });
    expect(problems).toEqual([]);
    expect(seen.size).toBe(64);
  });

  it('our encoder codes QUANTIZER_TO_QINDEX[Q] for quantizer Q, and `excamera encode --quantizer Q` the q_index vpxenc codes for Q', async () => {
    const y4m = parseY4m(new Uint8Array(readFileSync(clip)));
    const picture = imageFromI420(176, 144, y4m.frames[0]!.data);
    const problems: string[] = [];
    for (let q = 0; q < 64; q++) {
      const encoder = new Vp8Encoder({ width: 176, height: 144, frameRate: 30, rateControl: { mode: 'quantizer', quantizer: q }, speed: 5 });
      const out = encoder.encode(picture);
      const coded = frameInfo(out.frame).quantizer.yAcQi;
      if (coded !== QUANTIZER_TO_QINDEX[q] || out.qIndex !== coded) problems.push(`quantizer ${q}: coded q_index ${coded} (reported ${out.qIndex}), expected ${QUANTIZER_TO_QINDEX[q]}`);
    }
    expect(problems).toEqual([]);
    // The command line, against vpxenc itself.
    for (const q of [0, 20, 63]) {
      const ours = join(dir, `cli-q${q}.ivf`);
      const r = excamera('encode', clip, '-o', ours, '--quantizer', String(q), '--speed', '5', '-q');
      expect(r.status, r.stderr).toBe(0);
      const libvpx = join(dir, `vpxenc-cli-q${q}.ivf`);
      await run('vpxenc', ['--codec=vp8', '--ivf', '-q', '--disable-warning-prompt', '--good', '--cpu-used=4', `--min-q=${q}`, `--max-q=${q}`, '-o', libvpx, clip]);
      const qIndices = (path: string): number[] => parseIvf(new Uint8Array(readFileSync(path))).frames.map((f) => frameInfo(f.data).quantizer.yAcQi);
      expect(qIndices(ours), `--quantizer ${q}`).toEqual(qIndices(libvpx));
    }
  });

  it('frames coded at every q_index 0..127 decode to vpxdec\'s md5: the DC and AC tables at every index', async () => {
    // A 64x48 picture: a smooth gradient on the left (16x16 prediction, so the
    // Y2 factors are used) and noise on the right (every coefficient band).
    const width = 64;
    const height = 48;
    const picture = (k: number): Uint8Array => {
      const data = new Uint8Array(i420Size(width, height));
      let seed = 12345 + k;
      const noise = (): number => {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        return seed >>> 24;
      };
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = x < 32 ? (4 * x + 2 * y + 3 * k) & 255 : noise();
      for (let i = width * height; i < data.length; i++) data[i] = (i & 1) === 0 ? noise() : 128 + ((i * 7 + k) % 64) - 32;
      return data;
    };
    let state = createDecoderState();
    const frames: Uint8Array[] = [];
    const reconstructions: string[] = [];
    const problems: string[] = [];
    for (let q = 0; q <= 127; q++) {
      // A key frame and an inter frame at each index. The inter frame codes
      // Y2 blocks with AC coefficients (speed 5 tries B_PRED on key frames
      // only), so every factor is used at every index.
      let y2WithAc = 0;
      for (const keyFrame of [true, false]) {
        const out = encodeFrame(state, imageFromI420(width, height, picture(keyFrame ? q : 1000 + q)), { qIndex: q, keyFrame, speed: 5 });
        const syntax = parseFrame(state, out.frame);
        if (syntax.header.yAcQi !== q) problems.push(`q_index ${q}: coded at ${syntax.header.yAcQi}`);
        for (let mb = 0; mb < syntax.modes.count; mb++) if (syntax.eobs[mb * 25 + 24]! > 1) y2WithAc++;
        frames.push(out.frame);
        reconstructions.push(md5(imageToI420(out.reconstruction)));
        state = out.state;
      }
      if (y2WithAc === 0) problems.push(`q_index ${q}: no Y2 block with AC coefficients, so the Y2 factors were not checked`);
    }
    const ivf = join(dir, 'every-qindex.ivf');
    writeFileSync(ivf, writeIvf({ width, height, timebaseDenominator: 30, timebaseNumerator: 1 }, frames.map((data) => ({ data }))));
    const libvpx = await vpxdecMd5s(ivf);
    const ours = shownFrameMd5s(frames);
    libvpx.forEach((m, i) => {
      if (m !== ours[i] || m !== reconstructions[i]) problems.push(`q_index ${i >> 1} (${i % 2 === 0 ? 'key' : 'inter'} frame): vpxdec ${m}, our decoder ${ours[i]}, encoder ${reconstructions[i]}`);
    });
    expect(problems).toEqual([]);
    expect(libvpx).toHaveLength(256);
  });
});
