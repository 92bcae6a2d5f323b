// The output stream's file (README, ExCamera "Known limits"): WebM cannot
// carry hidden frames, so a stream with one is refused as WebM — no file is
// left behind — and written as IVF instead, where every frame survives.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIvf, readWebmVp8 } from '../../src/container/index.js';
import { ExcameraError } from '../../src/excamera/errors.js';
import { writeStream } from '../../src/excamera/files.js';
import { frameInfo } from '../../src/vp8/index.js';
import { ivfFrames, md5, shownFrameMd5s, VECTORS } from '../helpers/fixtures.js';

const RATE = { numerator: 30, denominator: 1 };
const dir = mkdtempSync(join(tmpdir(), 'excamera-stream-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writing the output stream', () => {
  // Test vector 018 has a hidden frame (show_frame = 0).
  const hidden = ivfFrames(join(VECTORS, 'vp80-00-comprehensive-018.ivf'));
  const expected = readFileSync(join(VECTORS, 'vp80-00-comprehensive-018.ivf.md5'), 'utf8').trim().split('\n').map((l) => l.split(/\s+/)[0]);

  it('refuses a stream with hidden frames as WebM, leaving no file, and writes it as IVF with every frame', async () => {
    expect(hidden.filter((f) => !frameInfo(f).showFrame)).toHaveLength(1);
    const webm = join(dir, 'hidden.webm');
    const error = await writeStream(webm, hidden, 176, 144, RATE).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ExcameraError);
    expect((error as ExcameraError).code).toBe('invalid-argument');
    expect((error as ExcameraError).message).toMatch(/hidden frames.*write IVF instead/);
    expect(existsSync(webm)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.startsWith('hidden.webm'))).toEqual([]); // no temporary file either

    const ivf = join(dir, 'hidden.ivf');
    await writeStream(ivf, hidden, 176, 144, RATE);
    const written = parseIvf(new Uint8Array(readFileSync(ivf))).frames.map((f) => f.data);
    expect(written.map((f) => md5(f))).toEqual(hidden.map((f) => md5(f)));
    expect(shownFrameMd5s(written)).toEqual(expected);
  });

  it('writes a stream of shown frames as WebM, frame for frame', async () => {
    const shown = ivfFrames(join(VECTORS, 'vp80-00-comprehensive-001.ivf'));
    const webm = join(dir, 'shown.webm');
    await writeStream(webm, shown, 176, 144, RATE);
    const read = await readWebmVp8(webm);
    expect(read.frames.map((f) => md5(f.data))).toEqual(shown.map((f) => md5(f)));
  });
});
