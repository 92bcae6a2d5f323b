import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  detectContainer, detectContainerFile, parseIvf, readVp8Frames, writeWebmVp8,
} from '../../src/container/index.js';
import { CLIPS, expectContainerError, makeTempDir, VECTORS } from './helpers.js';

const temp = makeTempDir();
afterAll(temp.remove);

const IVF = join(VECTORS, 'vp80-00-comprehensive-001.ivf');
const Y4M = join(CLIPS, 'carphone_qcif_176x144_120f.y4m');
const ivf = parseIvf(new Uint8Array(readFileSync(IVF)));
const WEBM = join(temp.dir, 'clip.webm');
writeFileSync(WEBM, await writeWebmVp8({ width: 176, height: 144, frameRate: 30 }, ivf.frames.map(({ data }) => ({ data, keyFrame: (data[0]! & 1) === 0 }))));

describe('detectContainer', () => {
  it('recognises each signature, in memory and on disk', async () => {
    expect(detectContainer(readFileSync(IVF))).toBe('ivf');
    expect(detectContainer(readFileSync(WEBM))).toBe('webm');
    expect(detectContainer(new TextEncoder().encode('YUV4MPEG2 W2 H2\n'))).toBe('y4m');
    expect(await detectContainerFile(IVF)).toBe('ivf');
    expect(await detectContainerFile(Y4M)).toBe('y4m');
    expect(await detectContainerFile(WEBM)).toBe('webm');
  });

  it('returns null for anything else, including a signature cut short', async () => {
    expect(detectContainer(new Uint8Array(0))).toBeNull();
    expect(detectContainer(new TextEncoder().encode('DKI'))).toBeNull();
    expect(detectContainer(new TextEncoder().encode('YUV4MPEG2'))).toBeNull(); // the space belongs to the signature
    expect(detectContainer(Uint8Array.of(0x00, 0x00, 0x00, 0x20, 0x66, 0x74, 0x79, 0x70))).toBeNull(); // MP4
    const empty = join(temp.dir, 'empty');
    writeFileSync(empty, '');
    expect(await detectContainerFile(empty)).toBeNull();
  });
});

describe('readVp8Frames', () => {
  it('gives the same frames, size and rate from IVF and WebM', async () => {
    const fromIvf = await readVp8Frames(IVF);
    const fromWebm = await readVp8Frames(WEBM);
    expect(fromIvf).toMatchObject({ container: 'ivf', width: 176, height: 144, frameRate: 30 });
    expect(fromWebm).toMatchObject({ container: 'webm', width: 176, height: 144, frameRate: 30 });
    expect(fromIvf.frames).toHaveLength(ivf.frames.length);
    expect(fromWebm.frames.map((f) => Buffer.from(f).toString('hex'))).toEqual(fromIvf.frames.map((f) => Buffer.from(f).toString('hex')));
  });

  it('refuses raw video and unknown files with typed errors', async () => {
    expect((await expectContainerError(() => readVp8Frames(Y4M), 'unsupported')).format).toBe('y4m');
    const other = join(temp.dir, 'other.bin');
    writeFileSync(other, 'not a video');
    expect((await expectContainerError(() => readVp8Frames(other), 'bad-signature')).format).toBe('unknown');
    await expectContainerError(() => readVp8Frames(IVF, { maxFileBytes: 100 }), 'too-large');
  });
});
