// `excamera xc --storage DIR` keeps the job's raw and output chunks in DIR
// (README, Distributed runtime): after the run, DIR holds every raw chunk —
// the input's frames, n at a time, as packed I420 — and every output chunk,
// whose frames, in order, are the output file's.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIvf, parseY4m } from '../../src/container/index.js';
import { outputChunkKey, rawChunkKey } from '../../src/excamera/runtime/worker.js';
import { excamera } from '../helpers/cli.js';
import { CLIPS, md5 } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'excamera-xc-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xc --storage DIR', () => {
  it('keeps every raw chunk and every output chunk in DIR; they are the input\'s frames and the output\'s', () => {
    const clip = join(CLIPS, 'carphone_qcif_176x144_120f.y4m');
    const storage = join(dir, 'job');
    const out = join(dir, 'out.ivf');
    const r = excamera('xc', clip, '-o', out, '--storage', storage, '-n', '3', '-x', '2', '--limit', '12', '--workers', '2', '--speed', '5', '-q');
    expect(r.status, r.stderr).toBe(0);

    // 12 frames in chunks of 3: four raw chunks and four output chunks.
    const chunks = [0, 1, 2, 3];
    expect(readdirSync(join(storage, 'input')).sort()).toEqual(chunks.map((c) => rawChunkKey(c).split('/')[1]));
    expect(readdirSync(join(storage, 'output')).sort()).toEqual(chunks.map((c) => outputChunkKey(c).split('/')[1]));

    const input = parseY4m(new Uint8Array(readFileSync(clip))).frames.slice(0, 12).map((f) => f.data);
    for (const c of chunks) {
      const raw = readFileSync(join(storage, rawChunkKey(c)));
      expect(md5(raw), `raw chunk ${c}`).toBe(md5(Buffer.concat(input.slice(3 * c, 3 * c + 3))));
    }

    const written = parseIvf(new Uint8Array(readFileSync(out))).frames.map((f) => md5(f.data));
    const fromChunks = chunks.flatMap((c) => parseIvf(new Uint8Array(readFileSync(join(storage, outputChunkKey(c))))).frames.map((f) => md5(f.data)));
    expect(written).toHaveLength(12);
    expect(fromChunks).toEqual(written);
    expect(existsSync(storage)).toBe(true);
  });
});
