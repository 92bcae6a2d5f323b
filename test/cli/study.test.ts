// `excamera study` as a user runs it, on a short real clip, and the work it
// shares: independent chunks encoded once for every batch length.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRawVideo } from '../../src/cli/raw.js';
import { runInProcess } from '../../src/excamera/pipeline.js';
import { excamera } from '../helpers/cli.js';
import { ROOT } from '../helpers/fixtures.js';

const CLIP = join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m');
const dir = mkdtempSync(join(tmpdir(), 'excamera-study-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('excamera study', () => {
  it('writes every point as CSV, the trade-off as SVG, and a self-contained report that names the best configuration per budget', () => {
    const out = join(dir, 'study');
    const r = excamera('study', CLIP, '--limit', '24', '-n', '6,12', '-x', '1,2', '--quantizers', '16,24,32,40', '--speed', '5', '--frames', '1200', '--seeds', '2', '--latency-budget', '30', '-o', out, '-q');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Chunk-size study of carphone_qcif_176x144_120f\.y4m: .*study\.html/);
    expect(r.stdout).toMatch(/\n {2}ExCamera\[6,1\] +\d+\.\d kbit\/s {2}SSIM BD +[+−]\d+\.\d%/);
    const csv = readFileSync(join(out, 'study.csv'), 'utf8').trimEnd().split('\r\n').map((l) => l.split(','));
    expect(csv[0]!.slice(0, 3)).toEqual(['framesPerChunk', 'chunksPerBatch', 'quantizer']);
    // 2 n x 2 x x 4 quantizers, then the serial encode at each quantizer.
    expect(csv).toHaveLength(1 + 16 + 4);
    for (const row of csv.slice(1, 17)) {
      expect(Number(row[4]), row.join(',')).toBeGreaterThan(0);
      expect(Number(row[7]), row.join(',')).toBeGreaterThan(0);
    }
    expect(csv.slice(17).map((row) => row[0])).toEqual(['serial', 'serial', 'serial', 'serial']);
    // ExCamera[n,1] has a key frame every n frames: more bits than [n,2] at the same quantizer.
    const bytes = (n: string, x: string, q: string): number => Number(csv.find((row) => row[0] === n && row[1] === x && row[2] === q)![3]);
    expect(bytes('6', '1', '24')).toBeGreaterThan(bytes('6', '2', '24'));
    const svg = readFileSync(join(out, 'study.svg'), 'utf8');
    expect(svg).toMatch(/^<svg /);
    expect(svg.match(/<circle [^>]*><title>\[\d+,\d\]: /g)).toHaveLength(4);
    expect(svg).toContain('serial encode');
    const html = readFileSync(join(out, 'study.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    // Nothing to fetch: no URL but the SVG namespace, no script, stylesheet or image source.
    expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/https?:|<script|<link|src=/);
    expect(html).toContain(svg.trim());
    expect(html).toMatch(/latency at most 30 s \(yours\)<\/td><td>(<b>ExCamera\[\d+,\d\]<\/b>|none fits)/);
    expect(html).toMatch(/latency at most [\d.]+ s \(1x the fastest\)<\/td><td><b>ExCamera\[\d+,\d\]<\/b>/);
    expect(html).toMatch(/cost at most \$[\d.]+ \(1x the cheapest\)<\/td><td><b>ExCamera/);
  }, 180_000);

  it('refuses what it cannot study, in one line', () => {
    const bad = excamera('study', CLIP, '--quantizers', '16,99');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/quantizers/);
    expect(excamera('study', join(dir, 'missing.y4m')).status).toBeGreaterThan(0);
  });

  it('shares independent chunks between batch lengths: the same bytes, encoded once', async () => {
    const { pictures, frameRate } = await readRawVideo(CLIP, 0, 18);
    const config = (x: number) => ({ framesPerChunk: 6, chunksPerBatch: x, chunkEncoder: 'builtin' as const, quality: { mode: 'quantizer' as const, quantizer: 30 }, frameRate, speed: 5 });
    const independentChunks = new Map();
    const first = await runInProcess(pictures, config(1), { independentChunks });
    expect(independentChunks.size).toBe(3);
    const shared = await runInProcess(pictures, config(3), { independentChunks });
    const alone = await runInProcess(pictures, config(3));
    expect(shared.frames).toEqual(alone.frames);
    expect(shared.seconds.encode).toBe(0);
    expect(first.seconds.encode).toBeGreaterThan(0);
  });
});
