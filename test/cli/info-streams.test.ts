// `excamera info` on streams that are not all good frames, and on a reader
// that stops early:
//  - an empty frame (a dropped frame) is a line of its own, a damaged frame
//    a line naming the error and where, and the frames after both are still
//    read; the command then exits with status 1;
//  - inter frames carry the size of the last key frame;
//  - `excamera info x.ivf | head -1`: a reader that closes the pipe ends the
//    command quietly, with status 0 and nothing on stderr.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeIvf } from '../../src/container/index.js';
import { BIN, excamera } from '../helpers/cli.js';
import { ivfFrames, VECTORS } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'excamera-info-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frames = ivfFrames(join(VECTORS, 'vp80-00-comprehensive-001.ivf'));
const header = { width: 176, height: 144, timebaseDenominator: 30, timebaseNumerator: 1 };

describe('excamera info', () => {
  it('reports empty and damaged frames in their own lines, reads on, and exits with status 1', () => {
    const damaged = frames[0]!.slice();
    damaged[3] ^= 0xff; // the key frame's start code
    const path = join(dir, 'mixed.ivf');
    writeFileSync(path, writeIvf(header, [frames[0]!, new Uint8Array(0), damaged, frames[1]!, new Uint8Array(2)].map((data) => ({ data }))));
    const r = excamera('info', path);
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.frame)).toEqual([0, 1, 2, 3, 4]);
    expect(lines[0]).toMatchObject({ frame: 0, type: 'key', width: 176, height: 144 });
    expect(lines[1]).toEqual({ frame: 1, bytes: 0, type: 'empty' });
    expect(lines[2]).toMatchObject({ frame: 2, bytes: damaged.length, error: { code: expect.any(String), message: expect.stringMatching(/start code/) } });
    expect(lines[2]).not.toHaveProperty('type');
    // The inter frame after the damaged key frame keeps the last good key frame's size.
    expect(lines[3]).toMatchObject({ frame: 3, type: 'inter', width: 176, height: 144 });
    expect(lines[4]).toMatchObject({ frame: 4, bytes: 2, error: { code: expect.any(String) } });
    expect(r.stderr).toBe('');
  });

  it('ends quietly when the reader closes the pipe early (info x.ivf | head -1)', async () => {
    // Enough lines to fill the pipe many times over, so that writing goes on after the reader is gone.
    const path = join(dir, 'long.ivf');
    writeFileSync(path, writeIvf(header, Array.from({ length: 3000 }, (_, i) => ({ data: frames[i % frames.length]! }))));
    const child = spawn(process.execPath, [BIN, 'info', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    child.stdout.destroy();
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(JSON.parse(first.split('\n')[0]!)).toMatchObject({ frame: 0, type: 'key' });
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});
