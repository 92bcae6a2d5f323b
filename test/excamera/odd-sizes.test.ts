// Odd picture sizes everywhere a frame is sized: a W×H picture's chroma
// planes are ceil(W/2)×ceil(H/2), so W·H·3/2 is wrong whenever W or H is odd.
// Workers fetch raw chunks by byte count, so a wrong formula there fails only
// on workers — the in-process pipeline never slices raw chunks. These tests
// run odd sizes through worker processes and the CLI and require the
// in-process bytes; a scan of the sources keeps the formula in one place.

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseY4m } from '../../src/container/index.js';
import { runInProcess } from '../../src/excamera/pipeline.js';
import { joinFrames } from '../../src/excamera/raw-chunks.js';
import { LocalLauncher } from '../../src/excamera/runtime/local.js';
import { collectOutput, runDistributed } from '../../src/excamera/runtime/shell.js';
import { LocalStorage } from '../../src/excamera/runtime/storage.js';
import { jobConfig } from '../../src/excamera/schedule.js';
import { chromaSize, i420Layout, i420Size, imageFromI420 } from '../../src/vp8/index.js';
import { excamera } from '../helpers/cli.js';
import { CLIPS, cropI420, ROOT, writeClipPrefix } from '../helpers/fixtures.js';

const RATE = { numerator: 30, denominator: 1 };
let foreman: { width: number; height: number; frames: Uint8Array[] };
let dir = '';

beforeAll(() => {
  const y4m = parseY4m(new Uint8Array(readFileSync(join(CLIPS, 'foreman_cif_352x288_60f.y4m'))));
  foreman = { width: y4m.header.width, height: y4m.header.height, frames: y4m.frames.slice(0, 8).map((f) => Uint8Array.from(f.data)) };
  dir = mkdtempSync(join(tmpdir(), 'excamera-odd-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first `count` foreman frames cropped to w×h. */
function cropped(w: number, h: number, count: number): Uint8Array[] {
  return foreman.frames.slice(0, count).map((f) => cropI420(f, foreman.width, foreman.height, w, h));
}

describe('the I420 frame size', () => {
  it('rounds chroma up for odd sizes', () => {
    expect(chromaSize(333)).toBe(167);
    expect(i420Size(333, 197)).toBe(333 * 197 + 2 * 167 * 99);
    expect(i420Size(1, 1)).toBe(3);
    const l = i420Layout(175, 143);
    expect([l.chromaWidth, l.chromaHeight, l.uOffset, l.vOffset, l.size]).toEqual([88, 72, 175 * 143, 175 * 143 + 88 * 72, 175 * 143 + 2 * 88 * 72]);
  });

  it('is computed by src/vp8/i420.ts only: no other source rounds chroma sizes or multiplies by 3/2', () => {
    // Patterns of an inline I420 size: (w + 1) >> 1 on a size, W·H·3/2, 1.5·W·H.
    const inline = [
      /\(\s*[\w.]*(?:width|height|\bw|\bh|\bW|\bH)\s*\+\s*1\s*\)\s*>>\s*1/,
      /(?:width|height|\bw\b|\bh\b)\s*\*\s*3\s*\)?\s*\/\s*2/i,
      /\b1\.5\s*\*\s*[\w.]*(?:width|height|\bw\b|\bh\b)/i,
      /(?:width|height)\s*\*\s*1\.5\b/i,
    ];
    const offenders: string[] = [];
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith(join('vp8', 'i420.ts'))) {
          readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
            const code = line.replace(/\/\/.*$/, '');
            if (/^\s*\*/.test(code)) return; // a doc comment
            if (inline.some((re) => re.test(code))) offenders.push(`${relative(ROOT, p)}:${i + 1}: ${line.trim()}`);
          });
        }
      }
    };
    walk(join(ROOT, 'src'));
    walk(join(ROOT, 'bench'));
    expect(offenders).toEqual([]);
  });
});

describe('odd sizes on worker processes', () => {
  // Odd width, odd height, both; 2 workers, chunks of 3 frames in batches of 2.
  for (const [w, h] of [[333, 197], [175, 144], [176, 143]] as const) {
    it(`${w}x${h}: the local backend's output equals the in-process output`, async () => {
      const frames = cropped(w, h, 7);
      const spec = { width: w, height: h, frameRate: RATE, framesPerChunk: 3, chunksPerBatch: 2, chunkEncoder: 'builtin' as const, quality: { mode: 'cq' as const, cqLevel: 30 }, speed: 4 };
      const reference = await runInProcess(frames.map((f) => imageFromI420(w, h, f)), { ...spec, chunkEncoder: 'builtin' });
      const storageDir = join(dir, `${w}x${h}`);
      const r = await runDistributed({
        rawChunks: joinFrames(frames, 3), spec,
        config: jobConfig({ frames: frames.length, framesPerChunk: 3, chunksPerBatch: 2, workers: 2, spares: 0, phaseTimeoutSeconds: 60 }),
        storage: new LocalStorage(storageDir), storageSpec: { kind: 'local', dir: storageDir }, launcher: new LocalLauncher(),
      });
      expect(await collectOutput(r)).toEqual([...reference.frames]);
      expect(r.transitions.filter((t) => t.status.kind === 'failed')).toEqual([]);
    }, 120_000);
  }

  it('xc on a 333x197 clip: --backend local writes the bytes of --backend inprocess', () => {
    const clip = join(dir, 'odd-333x197.y4m');
    writeClipPrefix(clip, 'foreman_cif_352x288_60f.y4m', 6, { size: [333, 197], frameRate: RATE });
    const common = ['-n', '3', '-x', '2', '--speed', '4', '--cq-level', '30', '--quiet', '--json'];
    const local = excamera('xc', clip, '-o', join(dir, 'local.ivf'), '--workers', '2', ...common);
    expect(local.stderr).not.toMatch(/error|refused|failed/i);
    expect(local.status).toBe(0);
    const inprocess = excamera('xc', clip, '-o', join(dir, 'inprocess.ivf'), '--backend', 'inprocess', ...common);
    expect(inprocess.status).toBe(0);
    expect(JSON.parse(local.stdout)).toMatchObject({ width: 333, height: 197, frames: 6 });
    expect(readFileSync(join(dir, 'local.ivf')).equals(readFileSync(join(dir, 'inprocess.ivf')))).toBe(true);
  }, 120_000);
});
