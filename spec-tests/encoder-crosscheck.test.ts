// The encoder's output checked by libvpx: for each fixture clip at several
// settings, vpxdec decodes every frame, and its md5 equals both our decoder's
// and the encoder's own reconstruction of that frame.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseY4m, writeIvf } from '../src/container/index.js';
import { createDecoderState, decodeFrame, frameInfo, imageFromI420, imageToI420 } from '../src/vp8/index.js';
import { type EncoderConfig, Vp8Encoder } from '../src/vp8/encoder/sequence.js';
import { CLIPS, cropI420, md5 } from '../test/helpers/fixtures.js';
import { roundTripMismatches } from '../test/helpers/roundtrip.js';
import { requireTools, skipWithout } from '../test/helpers/tools.js';

const run = promisify(execFile);

interface Case {
  readonly name: string;
  readonly clip: string;
  readonly frames: number;
  readonly crop?: readonly [number, number];
  readonly config: Omit<EncoderConfig, 'width' | 'height' | 'frameRate'>;
}

/** Token partitions every frame of a case codes (1 unless the case sets log2TokenPartitions). */
const partitionsOf = (c: Case): number => 1 << (c.config.log2TokenPartitions ?? 0);

const CARPHONE = 'carphone_qcif_176x144_120f.y4m';
const FOREMAN = 'foreman_cif_352x288_60f.y4m';
const FLOWER = 'flower_720p_1280x720_12f.y4m';

const CASES: readonly Case[] = [
  { name: 'carphone, speed 0, quantizer 20', clip: CARPHONE, frames: 8, config: { rateControl: { mode: 'quantizer', quantizer: 20 }, speed: 0 } },
  { name: 'carphone, speed 2, cq 30 capped at 150 kbit/s', clip: CARPHONE, frames: 20, config: { rateControl: { mode: 'cq', cqLevel: 30, maxBitrate: 150 }, speed: 2 } },
  { name: 'carphone, speed 5, 120 kbit/s', clip: CARPHONE, frames: 20, config: { rateControl: { mode: 'bitrate', targetBitrate: 120 }, speed: 5 } },
  {
    name: 'carphone, 8 partitions, key frame every 7, golden every 3',
    clip: CARPHONE,
    frames: 16,
    config: { rateControl: { mode: 'quantizer', quantizer: 35 }, speed: 3, log2TokenPartitions: 3, keyframeInterval: 7, goldenInterval: 3 },
  },
  { name: 'foreman, speed 1, quantizer 40', clip: FOREMAN, frames: 6, config: { rateControl: { mode: 'quantizer', quantizer: 40 }, speed: 1 } },
  { name: 'foreman, speed 4, quantizer 4', clip: FOREMAN, frames: 6, config: { rateControl: { mode: 'quantizer', quantizer: 4 }, speed: 4 } },
  { name: 'flower 720p, speed 5, quantizer 30', clip: FLOWER, frames: 3, config: { rateControl: { mode: 'quantizer', quantizer: 30 }, speed: 5 } },
  { name: 'odd size 175x143, speed 3, cq 20', clip: CARPHONE, frames: 10, crop: [175, 143], config: { rateControl: { mode: 'cq', cqLevel: 20 }, speed: 3 } },
  { name: 'one-frame input, speed 2, cq 24', clip: FOREMAN, frames: 1, config: { rateControl: { mode: 'cq', cqLevel: 24 }, speed: 2 } },
  { name: 'foreman, 2 partitions, speed 4, quantizer 20', clip: FOREMAN, frames: 4, config: { rateControl: { mode: 'quantizer', quantizer: 20 }, speed: 4, log2TokenPartitions: 1 } },
  { name: 'foreman, 4 partitions, speed 4, 400 kbit/s', clip: FOREMAN, frames: 4, config: { rateControl: { mode: 'bitrate', targetBitrate: 400 }, speed: 4, log2TokenPartitions: 2 } },
];

describe.skipIf(skipWithout('vpxdec'))('our encoder, decoded by libvpx (needs vpxdec; .ci/run installs vpx-tools)', () => {
  beforeEach(() => requireTools('vpxdec'));
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'excamera-enc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [n, c] of CASES.entries()) {
    it(`${c.name}: vpxdec, our decoder and the encoder agree on every frame`, async () => {
      const y4m = parseY4m(new Uint8Array(readFileSync(join(CLIPS, c.clip))));
      const W = y4m.header.width;
      const H = y4m.header.height;
      const [width, height] = c.crop ?? [W, H];
      const encoder = new Vp8Encoder({ width, height, frameRate: 30, ...c.config });
      const frames: Uint8Array[] = [];
      const reconstructions: string[] = [];
      for (let i = 0; i < c.frames; i++) {
        const src = c.crop ? cropI420(y4m.frames[i].data, W, H, width, height) : y4m.frames[i].data;
        const out = encoder.encode(imageFromI420(width, height, src));
        frames.push(out.frame);
        reconstructions.push(md5(imageToI420(out.reconstruction)));
      }
      const path = join(dir, `case${n}.ivf`);
      writeFileSync(path, writeIvf({ width, height, timebaseDenominator: 30, timebaseNumerator: 1 }, frames.map((data) => ({ data }))));
      const { stdout } = await run('vpxdec', ['--md5', '--i420', '-o', 'x-%wx%h-%4.i420', path], { maxBuffer: 16 * 1024 * 1024 });
      const libvpx = stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
      let state = createDecoderState();
      const ours = frames.map((f) => {
        const r = decodeFrame(state, f);
        state = r.state;
        return md5(imageToI420(r.image!));
      });
      expect(libvpx).toHaveLength(c.frames);
      expect(libvpx).toEqual(reconstructions);
      expect(ours).toEqual(reconstructions);
      expect(roundTripMismatches(frames)).toEqual([]);
      // The case is what its name says: every frame codes that many token partitions.
      expect(frames.map((f) => frameInfo(f).partitions.tokens.length)).toEqual(frames.map(() => partitionsOf(c)));
    });
  }
});
