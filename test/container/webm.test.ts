import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BufferTarget, EncodedPacket, EncodedVideoPacketSource, Output, WebMOutputFormat,
} from 'mediabunny';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ContainerError, parseIvf, readWebmVp8, writeWebmVp8, type WebmFrameInit,
} from '../../src/container/index.js';
import { requireTools, skipWithout } from '../helpers/tools.js';
import { caught, expectContainerError, makeTempDir, prng, ROOT, run, VECTOR_FILES, VECTORS } from './helpers.js';

const temp = makeTempDir();
afterAll(temp.remove);


/** A vector's frames, flagged as key frames by the VP8 frame tag (RFC 6386 section 9.1: bit 0 clear). */
function vectorFrames(name: string): { width: number; height: number; frames: WebmFrameInit[] } {
  const { header, frames } = parseIvf(new Uint8Array(readFileSync(join(VECTORS, name))));
  return { width: header.width, height: header.height, frames: frames.map(({ data }) => ({ data, keyFrame: (data[0]! & 1) === 0 })) };
}

const first = vectorFrames('vp80-00-comprehensive-001.ivf');
const firstWebm = await writeWebmVp8({ width: first.width, height: first.height, frameRate: 30 }, first.frames);

describe('WebM write → read', () => {
  it('returns the packets written, with key flags, size, frame rate and timestamps', async () => {
    const video = await readWebmVp8(firstWebm);
    expect(video).toMatchObject({ width: 176, height: 144, frameRate: 30 });
    expect(video.frames).toHaveLength(first.frames.length);
    video.frames.forEach((frame, i) => {
      expect(Buffer.from(frame.data).equals(first.frames[i]!.data)).toBe(true);
      expect(frame.keyFrame).toBe(first.frames[i]!.keyFrame);
      expect(frame.timestampSeconds).toBeCloseTo(i / 30, 3); // WebM stores milliseconds
    });
  });

  it('round-trips the packets of every test vector, also when read from a path', async () => {
    for (const name of VECTOR_FILES) {
      const { width, height, frames } = vectorFrames(name);
      const path = join(temp.dir, name.replace('.ivf', '.webm'));
      writeFileSync(path, await writeWebmVp8({ width, height, frameRate: 30000 / 1001 }, frames));
      const video = await readWebmVp8(path);
      expect([video.width, video.height]).toEqual([width, height]);
      expect(video.frames.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(frames.map((f) => Buffer.from(f.data).toString('hex')));
      if (frames.length > 2) expect(video.frameRate).toBeCloseTo(30000 / 1001, 6);
    }
  });

  it('writes an empty file that reads back with no frames', async () => {
    const video = await readWebmVp8(await writeWebmVp8({ width: 64, height: 48, frameRate: 25 }, []));
    expect(video).toMatchObject({ width: 64, height: 48, frameRate: null, frames: [] });
  });

  it('refuses what WebM/VP8 cannot hold', async () => {
    const key = first.frames[0]!;
    const delta = first.frames[1]!;
    expect((await expectContainerError(() => writeWebmVp8({ width: 176, height: 144, frameRate: 30 }, [delta, key]), 'invalid-argument')).frameIndex).toBe(0);
    await expectContainerError(() => writeWebmVp8({ width: 0, height: 144, frameRate: 30 }, [key]), 'invalid-argument');
    await expectContainerError(() => writeWebmVp8({ width: 16384, height: 144, frameRate: 30 }, [key]), 'invalid-argument');
    await expectContainerError(() => writeWebmVp8({ width: 176, height: 144, frameRate: Number.NaN }, [key]), 'invalid-argument');
  });
});

describe.skipIf(skipWithout('vpxdec', 'ffprobe'))('WebM output plays in libvpx and ffmpeg (needs vpxdec and ffprobe)', () => {
  beforeEach(() => requireTools('vpxdec', 'ffprobe'));

  it('vpxdec decodes the WebM to the same md5 as the IVF; ffprobe sees a VP8 stream of the right size', async () => {
    for (const name of ['vp80-00-comprehensive-001.ivf', 'vp80-00-comprehensive-008.ivf', 'vp80-00-comprehensive-018.ivf']) {
      const { width, height, frames } = vectorFrames(name);
      const path = join(temp.dir, `played-${name}.webm`);
      writeFileSync(path, await writeWebmVp8({ width, height, frameRate: 30 }, frames));
      const fromIvf = run('vpxdec', ['--md5', '--i420', join(VECTORS, name)]).toString();
      const fromWebm = run('vpxdec', ['--md5', '--i420', path]).toString();
      expect(fromWebm).toMatch(/^[0-9a-f]{32}/);
      expect(fromWebm).toBe(fromIvf);
      const probe = run('ffprobe', ['-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_entries',
        'stream=codec_name,width,height,nb_read_packets', '-of', 'json', path]).toString();
      expect(JSON.parse(probe).streams[0]).toEqual({ codec_name: 'vp8', width, height, nb_read_packets: String(frames.length) });
    }
  });
});

describe('WebM bad input', () => {
  it('refuses a file without a VP8 track as unsupported, naming what it found', async () => {
    const target = new BufferTarget();
    const output = new Output({ format: new WebMOutputFormat(), target });
    const source = new EncodedVideoPacketSource('vp9');
    output.addVideoTrack(source, { decoderConfig: { codec: 'vp09.00.10.08', codedWidth: 64, codedHeight: 64 } });
    await output.start();
    await source.add(new EncodedPacket(Uint8Array.of(0x82, 0x49, 0x83, 0x42, 0x00), 'key', 0, 0.04));
    await output.finalize();
    const error = await expectContainerError(() => readWebmVp8(new Uint8Array(target.buffer!)), 'unsupported');
    expect(error.message).toContain('vp9');
  });

  it('refuses other files by signature', async () => {
    await expectContainerError(() => readWebmVp8(readFileSync(join(VECTORS, 'vp80-00-comprehensive-001.ivf'))), 'bad-signature');
    await expectContainerError(() => readWebmVp8(new Uint8Array(0)), 'truncated');
  });

  it('reports every truncation point as truncated', async () => {
    for (let cut = 0; cut < firstWebm.length; cut += 7) {
      await expectContainerError(() => readWebmVp8(firstWebm.subarray(0, cut)), 'truncated');
    }
  });

  it('stops the demuxer loop on a damaged element size (mediabunny 1.61 would spin forever)', () => {
    // The SeekHead element (ID 11 4D 9B 74) right after the Segment header; a size byte of 0 is no valid EBML integer.
    const bytes = Uint8Array.from(firstWebm);
    const seekHead = Buffer.from(bytes).indexOf(Buffer.of(0x11, 0x4d, 0x9b, 0x74));
    expect(seekHead).toBeGreaterThan(0);
    bytes[seekHead + 4] = 0;
    const path = join(temp.dir, 'spinning.webm');
    writeFileSync(path, bytes);
    // The spin is a loop of promises that never yields to timers, so a test
    // timeout could not end it: the read runs in a child process (the built
    // module), which a deadline can kill. The deadline only catches a hang;
    // what stops the loop is the read budget, which the message names.
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { readFileSync } from 'node:fs';
      import { ContainerError, readWebmVp8 } from ${JSON.stringify(join(ROOT, 'dist', 'src', 'container', 'index.js'))};
      try {
        const video = await readWebmVp8(readFileSync(process.argv[1]));
        console.log(JSON.stringify({ frames: video.frames.length }));
      } catch (e) {
        if (!(e instanceof ContainerError)) throw e;
        console.log(JSON.stringify({ code: e.code, format: e.format, message: e.message }));
      }`, path], { encoding: 'utf8', timeout: 60_000 });
    expect(child.error, 'the read did not end within 60 s: the demuxer loop was not stopped').toBeUndefined();
    expect(child.status, child.stderr).toBe(0);
    const outcome = JSON.parse(child.stdout) as { code?: string; format?: string; message?: string };
    expect(outcome).toMatchObject({ code: 'corrupt', format: 'webm' });
    expect(outcome.message).toMatch(/demuxer re-read the file past \d+ bytes/);
  });

  it('random corruption gives frames or a ContainerError, never a hang or a raw exception', async () => {
    const random = prng(3);
    const codes = new Map<string, number>();
    for (let run = 0; run < 400; run++) {
      const bytes = Uint8Array.from(firstWebm);
      for (let i = 0, n = 1 + Math.floor(random() * 4); i < n; i++) {
        bytes[Math.floor(random() * (run % 2 === 0 ? 400 : bytes.length))] = Math.floor(random() * 256);
      }
      let code = 'ok';
      try {
        const video = await readWebmVp8(bytes);
        expect(video.frames.length).toBeLessThanOrEqual(first.frames.length * 2);
      } catch (error) {
        if (!(error instanceof ContainerError)) throw error;
        code = error.code;
      }
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(codes.get('ok')).toBeGreaterThan(0);
    expect([...codes.keys()].filter((code) => code !== 'ok').length).toBeGreaterThan(1); // several error kinds were reached
  });

  it('applies the limits', async () => {
    await expectContainerError(() => readWebmVp8(firstWebm, { maxWidth: 100 }), 'too-large');
    const largest = Math.max(...first.frames.map((f) => f.data.length));
    const error = await expectContainerError(() => readWebmVp8(firstWebm, { maxFrameBytes: largest - 1 }), 'too-large');
    expect(error.frameIndex).toBe(first.frames.findIndex((f) => f.data.length === largest));
    const path = join(temp.dir, 'limits.webm');
    writeFileSync(path, firstWebm);
    await expectContainerError(() => readWebmVp8(path, { maxFileBytes: 1000 }), 'too-large');
    const missing = await caught(() => readWebmVp8(join(temp.dir, 'missing.webm')));
    expect((missing as NodeJS.ErrnoException).code).toBe('ENOENT'); // file-system errors stay Node errors
  });
});
