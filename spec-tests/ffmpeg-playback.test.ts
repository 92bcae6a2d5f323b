// The IVF files that `excamera encode` and `excamera xc` write play in ffmpeg
// (its own VP8 decoder) and vpxdec: ffmpeg decodes every frame, and each
// frame's md5 equals vpxdec's and our decoder's.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { i420Size } from '../src/vp8/index.js';
import { excamera } from '../test/helpers/cli.js';
import { ivfFrames, md5, shownFrameMd5s, writeClipPrefix } from '../test/helpers/fixtures.js';
import { requireTools, skipWithout } from '../test/helpers/tools.js';

/** Runs a program; fails the test with its error output when it does not exit 0. */
function run(command: string, args: readonly string[]): Buffer {
  const r = spawnSync(command, args, { maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.error?.message ?? ''}${r.stderr?.toString() ?? ''}`);
  return r.stdout;
}

/** ffmpeg's md5 of every frame it decodes (its native VP8 decoder, every frame passed through as it comes). */
function ffmpegMd5s(ivf: string, width: number, height: number): string[] {
  const raw = run('ffmpeg', ['-v', 'error', '-i', ivf, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-']);
  const size = i420Size(width, height);
  expect(raw.length % size, 'ffmpeg output is whole frames').toBe(0);
  return Array.from({ length: raw.length / size }, (_, i) => md5(raw.subarray(i * size, (i + 1) * size)));
}

function vpxdecMd5s(ivf: string): string[] {
  return run('vpxdec', ['--md5', '--i420', '-o', 'x-%wx%h-%4.i420', ivf]).toString().trim().split('\n').map((l) => l.split(/\s+/)[0]!);
}

function ourMd5s(ivf: string): string[] {
  return shownFrameMd5s(ivfFrames(ivf));
}

describe.skipIf(skipWithout('ffmpeg', 'vpxdec'))('IVF output plays in ffmpeg (needs ffmpeg and vpxdec)', () => {
  let dir = '';
  let clip = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'excamera-playback-'));
    // An odd size, so that chroma rounding is part of the check: the top-left 175x143 of carphone.
    clip = join(dir, 'clip.y4m');
    writeClipPrefix(clip, 'carphone_qcif_176x144_120f.y4m', 12, { size: [175, 143] });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => requireTools('ffmpeg', 'vpxdec'));

  it('excamera encode: ffmpeg decodes every frame to the md5 of vpxdec and of our decoder', () => {
    const ivf = join(dir, 'encode.ivf');
    const r = excamera('encode', clip, '-o', ivf, '--cq-level', '30', '--speed', '4', '-q');
    expect(r.status, r.stderr).toBe(0);
    const ffmpeg = ffmpegMd5s(ivf, 175, 143);
    expect(ffmpeg).toHaveLength(12);
    expect(ffmpeg).toEqual(vpxdecMd5s(ivf));
    expect(ffmpeg).toEqual(ourMd5s(ivf));
  });

  it('excamera xc (worker processes, ExCamera[3,2]): ffmpeg decodes every frame to the md5 of vpxdec and of our decoder', () => {
    const ivf = join(dir, 'xc.ivf');
    const r = excamera('xc', clip, '-o', ivf, '-n', '3', '-x', '2', '--workers', '2', '--speed', '4', '-q');
    expect(r.status, r.stderr).toBe(0);
    const ffmpeg = ffmpegMd5s(ivf, 175, 143);
    expect(ffmpeg).toHaveLength(12);
    expect(ffmpeg).toEqual(vpxdecMd5s(ivf));
    expect(ffmpeg).toEqual(ourMd5s(ivf));
  });
});
