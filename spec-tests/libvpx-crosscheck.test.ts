// Live cross-check against libvpx: the fixture clips are encoded by vpxenc with
// a matrix of settings chosen to reach every decoder feature, and every frame
// our decoder shows must have the md5 vpxdec prints for it. Each case also
// checks that its stream really uses the feature it is named for, so a
// setting that silently stops doing so fails here instead of passing vacuously.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeFile } from '../src/cli/decode.js';
import { parseIvf, parseY4m, writeIvf, writeY4m } from '../src/container/index.js';
import { frameInfo, type FrameInfo } from '../src/vp8/index.js';
import { roundTripMismatches } from '../test/helpers/roundtrip.js';
import { CLIPS, cropI420 } from '../test/helpers/fixtures.js';
import { requireTools, skipWithout } from '../test/helpers/tools.js';

const run = promisify(execFile);
const CARPHONE = join(CLIPS, 'carphone_qcif_176x144_120f.y4m');
const FOREMAN = join(CLIPS, 'foreman_cif_352x288_60f.y4m');

interface Case {
  readonly name: string;
  readonly clip: 'carphone' | 'foreman' | 'odd';
  readonly args: readonly string[];
  /** What the stream must contain for the case to mean anything. */
  readonly expect: (infos: readonly FrameInfo[], inputFrames: number) => void;
}

const partitions = (infos: readonly FrameInfo[]): Set<number> => new Set(infos.map((i) => i.partitions.tokens.length));

const CASES: readonly Case[] = [
  {
    name: '8 token partitions',
    clip: 'carphone',
    args: ['--limit=30', '--good', '--cpu-used=4', '--target-bitrate=400', '--token-parts=3'],
    expect: (infos) => expect(partitions(infos)).toEqual(new Set([8])),
  },
  {
    name: '4 token partitions, two encoder threads',
    clip: 'foreman',
    args: ['--limit=20', '--good', '--cpu-used=2', '--target-bitrate=600', '--token-parts=2', '--threads=2'],
    expect: (infos) => expect(partitions(infos)).toEqual(new Set([4])),
  },
  {
    name: 'two-pass auto alt-ref, 16-frame lag (hidden frames, altref copies, sign bias, refresh_last = 0)',
    clip: 'carphone',
    args: ['--limit=100', '--passes=2', '--good', '--cpu-used=2', '--target-bitrate=300', '--auto-alt-ref=1', '--lag-in-frames=16'],
    expect: (infos) => {
      expect(infos.some((i) => !i.showFrame)).toBe(true);
      expect(infos.some((i) => i.copy.toAltref !== 'none')).toBe(true);
      expect(infos.some((i) => i.signBias.altref)).toBe(true);
      expect(infos.some((i) => !i.refresh.last)).toBe(true);
    },
  },
  {
    name: 'one-pass auto alt-ref (golden refreshes, altref copies)',
    clip: 'carphone',
    args: ['--limit=100', '--good', '--cpu-used=0', '--target-bitrate=300', '--auto-alt-ref=1', '--lag-in-frames=16'],
    expect: (infos) => {
      expect(infos.some((i) => i.type === 'inter' && i.refresh.golden)).toBe(true);
      expect(infos.some((i) => i.copy.toAltref !== 'none')).toBe(true);
    },
  },
  {
    name: 'error resilient real-time (no entropy refresh)',
    clip: 'carphone',
    args: ['--limit=30', '--rt', '--cpu-used=8', '--target-bitrate=300', '--error-resilient=1'],
    expect: (infos) => expect(infos.some((i) => !i.refresh.entropyProbs)).toBe(true),
  },
  {
    name: 'sharpness 7',
    clip: 'carphone',
    args: ['--limit=30', '--good', '--cpu-used=4', '--target-bitrate=200', '--sharpness=7'],
    expect: (infos) => expect(infos.some((i) => i.loopFilter.sharpness === 7 && i.loopFilter.level > 0)).toBe(true),
  },
  {
    name: 'noise sensitivity 3',
    clip: 'foreman',
    args: ['--limit=20', '--good', '--cpu-used=4', '--target-bitrate=300', '--noise-sensitivity=3'],
    expect: (infos) => expect(infos.length).toBe(20),
  },
  {
    name: 'static threshold 800',
    clip: 'carphone',
    args: ['--limit=30', '--good', '--cpu-used=4', '--target-bitrate=300', '--static-thresh=800'],
    expect: (infos) => expect(infos.length).toBe(30),
  },
  {
    name: 'CBR with frame drops',
    clip: 'carphone',
    args: ['--limit=60', '--rt', '--cpu-used=6', '--end-usage=cbr', '--target-bitrate=40', '--drop-frame=60', '--buf-sz=200', '--buf-initial-sz=100'],
    expect: (infos, input) => expect(infos.length).toBeLessThan(input),
  },
  {
    name: 'spatial resizing (key frames change size, scaling bits set)',
    clip: 'foreman',
    args: ['--limit=60', '--good', '--cpu-used=4', '--end-usage=cbr', '--target-bitrate=8', '--resize-allowed=1', '--resize-up=100', '--resize-down=90',
      '--kf-max-dist=5', '--buf-sz=50', '--buf-initial-sz=20', '--buf-optimal-sz=30'],
    expect: (infos) => {
      const keys = infos.filter((i) => i.type === 'key');
      expect(new Set(keys.map((k) => `${k.width}x${k.height}`)).size).toBeGreaterThan(1);
      expect(keys.some((k) => (k.horizontalScale ?? 0) > 0 && (k.verticalScale ?? 0) > 0)).toBe(true);
    },
  },
  {
    name: 'quantizer 0 (largest coefficients)',
    clip: 'carphone',
    args: ['--limit=6', '--good', '--cpu-used=4', '--end-usage=q', '--cq-level=0', '--min-q=0', '--max-q=0'],
    expect: (infos) => expect(infos.every((i) => i.quantizer.yAcQi === 0)).toBe(true),
  },
  {
    name: 'quantizer 63 (coarsest)',
    clip: 'carphone',
    args: ['--limit=20', '--good', '--cpu-used=4', '--min-q=63', '--max-q=63'],
    expect: (infos) => expect(infos.every((i) => i.quantizer.yAcQi === 127)).toBe(true),
  },
  {
    name: 'real-time, fastest speed',
    clip: 'foreman',
    args: ['--limit=30', '--rt', '--cpu-used=-16', '--target-bitrate=300'],
    expect: (infos) => expect(infos.length).toBe(30),
  },
  {
    name: 'screen content mode 2',
    clip: 'carphone',
    args: ['--limit=30', '--rt', '--cpu-used=8', '--target-bitrate=300', '--screen-content-mode=2'],
    expect: (infos) => expect(infos.length).toBe(30),
  },
  {
    name: 'odd size 175x143',
    clip: 'odd',
    args: ['--good', '--cpu-used=4', '--target-bitrate=300'],
    expect: (infos) => expect([infos[0].width, infos[0].height]).toEqual([175, 143]),
  },
  {
    name: 'best quality, key frame every 10 frames',
    clip: 'foreman',
    args: ['--limit=30', '--good', '--cpu-used=0', '--target-bitrate=800', '--kf-max-dist=10'],
    expect: (infos) => expect(infos.filter((i) => i.type === 'key').length).toBeGreaterThanOrEqual(3),
  },
  {
    name: 'two-pass with alt-ref noise reduction',
    clip: 'foreman',
    args: ['--limit=40', '--passes=2', '--good', '--cpu-used=2', '--target-bitrate=500', '--auto-alt-ref=1', '--lag-in-frames=25', '--arnr-maxframes=7', '--arnr-strength=5'],
    expect: (infos) => expect(infos.some((i) => !i.showFrame)).toBe(true),
  },
];

/** The md5 lines vpxdec prints for every shown frame (name "x" so that they compare as text). */
async function vpxdecMd5(ivf: string, keepGoing = false): Promise<string[]> {
  const args = ['--md5', '--i420', '-o', 'x-%wx%h-%4.i420', ...(keepGoing ? ['--keep-going'] : []), ivf];
  try {
    const { stdout } = await run('vpxdec', args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim().split('\n').filter(Boolean);
  } catch (e) {
    // With --keep-going vpxdec exits non-zero after reporting the frames it skipped.
    const stdout = (e as { stdout?: string }).stdout;
    if (keepGoing && typeof stdout === 'string') return stdout.trim().split('\n').filter(Boolean);
    throw e;
  }
}

async function ourMd5(ivf: string): Promise<string[]> {
  const lines: string[] = [];
  const summary = await decodeFile(ivf, { md5: (l) => lines.push(l) }, { name: 'x' });
  expect(summary.errors).toEqual([]);
  return lines;
}

describe.skipIf(skipWithout('vpxenc', 'vpxdec'))('live cross-check with libvpx (needs vpxenc and vpxdec; .ci/run installs vpx-tools)', () => {
  beforeEach(() => requireTools('vpxenc', 'vpxdec'));
  let dir = '';
  const clips: Record<Case['clip'], string> = { carphone: CARPHONE, foreman: FOREMAN, odd: '' };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'excamera-crosscheck-'));
    // An odd-sized clip: the top-left 175x143 of carphone's first 30 frames.
    const src = parseY4m(new Uint8Array(readFileSync(CARPHONE)));
    const W = 175;
    const H = 143;
    const frames = src.frames.slice(0, 30).map((f) => ({ data: cropI420(f.data, src.header.width, src.header.height, W, H) }));
    clips.odd = join(dir, 'odd.y4m');
    writeFileSync(clips.odd, writeY4m({ width: W, height: H, frameRate: { numerator: 30000, denominator: 1001 }, colorSpace: '420jpeg' }, frames));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [n, c] of CASES.entries()) {
    it(`${c.name}: every frame equals vpxdec's`, async () => {
      const ivf = join(dir, `case${n}.ivf`);
      await run('vpxenc', ['--codec=vp8', '--ivf', '-q', '--disable-warning-prompt', '-o', ivf, ...c.args, clips[c.clip]], { maxBuffer: 16 * 1024 * 1024 });
      const file = parseIvf(new Uint8Array(readFileSync(ivf)));
      const inputFrames = c.clip === 'odd' ? 30 : Number(c.args.find((a) => a.startsWith('--limit='))?.slice(8) ?? 0);
      c.expect(file.frames.map((f) => frameInfo(f.data)), inputFrames);
      // The syntax layer reproduces vpxenc's bytes exactly.
      expect(roundTripMismatches(file.frames.map((f) => f.data))).toEqual([]);
      const expected = await vpxdecMd5(ivf);
      const actual = await ourMd5(ivf);
      expect(actual.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(actual[i], `shown frame ${i}`).toBe(expected[i]);
    });
  }

  it('a zero-length frame shows nothing and changes nothing, as with vpxdec --keep-going', async () => {
    const src = parseIvf(new Uint8Array(readFileSync(join(CLIPS, '..', 'vectors', 'vp80-00-comprehensive-001.ivf'))));
    const frames = src.frames.slice(0, 8).map((f) => ({ data: f.data, pts: f.pts }));
    frames.splice(4, 0, { data: new Uint8Array(0), pts: frames[3].pts });
    const ivf = join(dir, 'empty-frame.ivf');
    writeFileSync(ivf, writeIvf({ width: src.header.width, height: src.header.height, timebaseDenominator: 30, timebaseNumerator: 1 }, frames));
    const expected = await vpxdecMd5(ivf, true);
    expect(expected.length).toBe(8);
    expect(await ourMd5(ivf)).toEqual(expected);
  });
});
