// Memory follows the work, not the file: `xc` reads its clip frame by frame
// (raw chunks as they are stored, a batch's pictures once per phase), so a
// clip six times longer must not take much more memory. Measured as users
// run it: the CLI in a fresh process, its own peak RSS (getrusage), on each
// backend.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeY4mFrame, writeY4mHeader } from '../../src/container/index.js';
import { i420Layout } from '../../src/vp8/index.js';
import { excamera } from '../helpers/cli.js';

const WIDTH = 640;
const HEIGHT = 360;
let dir = '';

/** A clip of `frames` frames: gradients that move, so that every frame differs. */
function writeClip(path: string, frames: number): void {
  const header = { width: WIDTH, height: HEIGHT, frameRate: { numerator: 30, denominator: 1 } };
  const l = i420Layout(WIDTH, HEIGHT);
  const parts: Uint8Array[] = [writeY4mHeader(header)];
  for (let f = 0; f < frames; f++) {
    const data = new Uint8Array(l.size);
    for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) data[y * WIDTH + x] = (x + y + 3 * f) & 255;
    data.fill(128, l.uOffset);
    parts.push(writeY4mFrame(header, { data }, f));
  }
  writeFileSync(path, Buffer.concat(parts));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-memory-'));
  writeClip(join(dir, 'short.y4m'), 24);
  writeClip(join(dir, 'long.y4m'), 144);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function peakRss(clip: string, backend: string): number {
  const r = excamera('xc', join(dir, clip), '-o', join(dir, `${clip}-${backend}.ivf`), '--backend', backend, '--speed', '5', '-n', '6', '-x', '4', '--json', '-q');
  expect(r.status, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report.frames).toBe(clip === 'long.y4m' ? 144 : 24);
  return report.peakRssMB;
}

describe('xc memory', () => {
  for (const backend of ['inprocess', 'local']) {
    it(`--backend ${backend}: a clip 6x longer (144 frames of 640x360, 50 MB raw) peaks within 1.5x the memory`, () => {
      const short = peakRss('short.y4m', backend);
      const long = peakRss('long.y4m', backend);
      expect(long, `peak RSS ${short} MB for 24 frames, ${long} MB for 144`).toBeLessThan(1.5 * short);
    }, 120_000);
  }
});
