import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTools, skipWithout } from '../helpers/tools.js';
import {
  ContainerError, openY4mFile, parseY4m, writeY4m, writeY4mFrame, writeY4mHeader, y4mFrameSize, Y4mWriter,
  type Y4mFrame, type Y4mHeaderInit,
} from '../../src/container/index.js';
import { CLIP_FILES, CLIPS, expectContainerError, makeTempDir, prng, run } from './helpers.js';

const temp = makeTempDir();
afterAll(temp.remove);

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** A small synthetic clip with deterministic samples. */
function synthetic(header: Y4mHeaderInit, frames: number, seed = 1): { frames: Uint8Array[]; bytes: Uint8Array } {
  const random = prng(seed);
  const data = Array.from({ length: frames }, () => Uint8Array.from({ length: y4mFrameSize(header.width, header.height) }, () => random() * 256));
  return { frames: data, bytes: writeY4m(header, data.map((d) => ({ data: d }))) };
}

function expectFramesTile(bytes: Uint8Array, headerLength: number, frames: readonly Y4mFrame[], frameBytes: number): void {
  let offset = headerLength;
  for (const frame of frames) {
    expect(frame.byteOffset).toBe(offset);
    expect(frame.data.length).toBe(frameBytes);
    offset += 6 + frameBytes; // "FRAME\n" + samples
  }
  expect(offset).toBe(bytes.length);
}

describe('parseY4m on the fixture clips', () => {
  const expected: Record<string, { width: number; height: number; frames: number; rate: [number, number]; aspect: [number, number]; c: string; x: string }> = {
    'carphone_qcif_176x144_120f.y4m': { width: 176, height: 144, frames: 120, rate: [30000, 1001], aspect: [128, 117], c: '420mpeg2', x: 'XYSCSS=420MPEG2' },
    'flower_720p_1280x720_12f.y4m': { width: 1280, height: 720, frames: 12, rate: [30, 1], aspect: [1, 1], c: '420mpeg2', x: 'XYSCSS=420MPEG2' },
    'foreman_cif_352x288_60f.y4m': { width: 352, height: 288, frames: 60, rate: [30000, 1001], aspect: [0, 0], c: '420jpeg', x: 'XYSCSS=420JPEG' },
  };

  it('finds the three clips', () => {
    expect(CLIP_FILES).toEqual(Object.keys(expected));
  });

  for (const name of CLIP_FILES) {
    it(`${name}: header tags, frame count, frames tile the file, write reproduces it byte for byte`, () => {
      const want = expected[name]!;
      const bytes = new Uint8Array(readFileSync(join(CLIPS, name)));
      const file = parseY4m(bytes);
      expect(file.header).toEqual({
        width: want.width, height: want.height,
        frameRate: { numerator: want.rate[0], denominator: want.rate[1] },
        interlace: 'p',
        pixelAspect: { numerator: want.aspect[0], denominator: want.aspect[1] },
        colorSpace: want.c,
        otherTags: [want.x],
      });
      expect(file.frames).toHaveLength(want.frames);
      expect(file.frameBytes).toBe(want.width * want.height * 1.5);
      expect(file.truncatedAt).toBeNull();
      expectFramesTile(bytes, bytes.indexOf(0x0a) + 1, file.frames, file.frameBytes);
      expect(file.frames[0]!.data.buffer).toBe(bytes.buffer); // views, not copies
      expect(Buffer.from(writeY4m(file.header, file.frames)).equals(bytes)).toBe(true);
    });
  }
});

describe('Y4M streaming', () => {
  const name = 'flower_720p_1280x720_12f.y4m';
  const bytes = new Uint8Array(readFileSync(join(CLIPS, name)));
  const parsed = parseY4m(bytes);

  it('reads the 720p clip frame by frame, and Y4mWriter writes it back identically', async () => {
    const reader = await openY4mFile(join(CLIPS, name));
    expect(reader.header).toEqual(parsed.header);
    const out = join(temp.dir, 'copy.y4m');
    const writer = await Y4mWriter.create(out, reader.header);
    let index = 0;
    for await (const frame of reader) {
      expect(frame.byteOffset).toBe(parsed.frames[index]!.byteOffset);
      expect(Buffer.from(frame.data).equals(parsed.frames[index]!.data)).toBe(true);
      await writer.writeFrame(frame.data, frame.tags);
      index++;
    }
    expect(index).toBe(12);
    expect(existsSync(out)).toBe(false);
    await writer.commit();
    expect(Buffer.from(readFileSync(out)).equals(bytes)).toBe(true);
  });

  it('names the cut frame, or stops before it with allowTruncated', async () => {
    const path = join(temp.dir, 'cut.y4m');
    writeFileSync(path, bytes.subarray(0, parsed.frames[5]!.byteOffset + 1000));
    const strict = await openY4mFile(path);
    for (let i = 0; i < 5; i++) await strict.next();
    const error = await expectContainerError(() => strict.next(), 'truncated');
    expect(error).toMatchObject({ frameIndex: 5, byteOffset: parsed.frames[5]!.byteOffset });
    await strict.close();
    const tolerant = await openY4mFile(path, { allowTruncated: true });
    const frames: Y4mFrame[] = [];
    for await (const frame of tolerant) frames.push(frame);
    expect(frames).toHaveLength(5);
    expect(tolerant.truncatedAt).toBe(parsed.frames[5]!.byteOffset);
  });

  it('Y4mWriter.abort leaves no file behind', async () => {
    const path = join(temp.dir, 'aborted.y4m');
    const writer = await Y4mWriter.create(path, parsed.header);
    await writer.writeFrame(parsed.frames[0]!.data);
    await writer.abort();
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.tmp-${process.pid}`)).toBe(false);
  });
});

describe('Y4M odd sizes, tags and defaults', () => {
  const odd = { width: 175, height: 143, frameRate: { numerator: 25, denominator: 1 } };

  it('uses rounded-up chroma planes for odd sizes (175x143 → 88x72)', () => {
    expect(y4mFrameSize(175, 143)).toBe(175 * 143 + 2 * 88 * 72);
    const { frames, bytes } = synthetic(odd, 3);
    const file = parseY4m(bytes);
    expect(file.header).toMatchObject({ width: 175, height: 143, colorSpace: null, interlace: null, pixelAspect: null });
    expect(file.frames.map((f) => Buffer.from(f.data))).toEqual(frames.map((f) => Buffer.from(f)));
    expect(Buffer.from(writeY4m(file.header, file.frames)).equals(bytes)).toBe(true);
  });

  it.skipIf(skipWithout('ffmpeg'))('agrees with ffmpeg on a 175x143 clip, both ways (needs ffmpeg)', () => {
    requireTools('ffmpeg');
    const path = join(temp.dir, 'odd-ffmpeg.y4m');
    run('ffmpeg', ['-v', 'error', '-y', '-i', join(CLIPS, 'carphone_qcif_176x144_120f.y4m'), '-vf', 'scale=175:143', '-frames:v', '3', '-pix_fmt', 'yuv420p', path]);
    const bytes = new Uint8Array(readFileSync(path));
    const file = parseY4m(bytes);
    expect(file.header).toMatchObject({ width: 175, height: 143 });
    expect(file.frames).toHaveLength(3);
    const raw = run('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-']);
    expect(raw.equals(Buffer.concat(file.frames.map((f) => f.data)))).toBe(true);
    // Our own file, read by ffmpeg, gives back the same samples.
    const ours = join(temp.dir, 'odd-ours.y4m');
    const synth = synthetic(odd, 2, 7);
    writeFileSync(ours, synth.bytes);
    const decoded = run('ffmpeg', ['-v', 'error', '-i', ours, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-']);
    expect(decoded.equals(Buffer.concat(synth.frames))).toBe(true);
  });

  it('keeps FRAME tags and unknown header tags, in order', () => {
    const header = { width: 2, height: 2, otherTags: ['XFOO=1', 'Zzz'] };
    const data = Uint8Array.of(1, 2, 3, 4, 5, 6);
    const bytes = writeY4m(header, [{ data, tags: ['Ixyz', 'XBAR'] }, { data }]);
    expect(new TextDecoder().decode(bytes.subarray(0, 29))).toBe('YUV4MPEG2 W2 H2 XFOO=1 Zzz\nFR');
    const file = parseY4m(bytes);
    expect(file.header.otherTags).toEqual(['XFOO=1', 'Zzz']);
    expect(file.frames.map((f) => f.tags)).toEqual([['Ixyz', 'XBAR'], []]);
    expect(Buffer.from(writeY4m(file.header, file.frames)).equals(bytes)).toBe(true);
  });

  it('accepts every 4:2:0 C tag and a missing one', () => {
    for (const c of ['420', '420jpeg', '420paldv', '420mpeg2']) {
      const file = parseY4m(concat(encode(`YUV4MPEG2 W2 H2 C${c}\nFRAME\n`), new Uint8Array(6)));
      expect(file.header.colorSpace).toBe(c);
      expect(file.frames).toHaveLength(1);
    }
  });

  it('writeY4mFrame and the writers refuse frames of the wrong size or with bad tags', async () => {
    const header = { width: 4, height: 4 };
    expect(writeY4mFrame(header, { data: new Uint8Array(24) })).toHaveLength(30);
    const error = await expectContainerError(() => writeY4mFrame(header, { data: new Uint8Array(23) }, 9), 'invalid-argument');
    expect(error.frameIndex).toBe(9);
    await expectContainerError(() => writeY4mHeader({ ...header, otherTags: ['X A'] }), 'invalid-argument');
    await expectContainerError(() => writeY4mHeader({ width: 0, height: 4 }), 'invalid-argument');
    await expectContainerError(() => writeY4m(header, [{ data: new Uint8Array(24), tags: [''] }]), 'invalid-argument');
  });
});

describe('Y4M bad input', () => {
  const frame = new Uint8Array(6); // 2x2 4:2:0
  const file = (header: string, ...frames: Uint8Array[]): Uint8Array => concat(encode(header), ...frames);

  it('refuses chroma formats other than 8-bit 4:2:0, naming the tag', async () => {
    for (const c of ['C422', 'C444', 'Cmono', 'C420p10', 'C444alpha', 'C411']) {
      const error = await expectContainerError(() => parseY4m(file(`YUV4MPEG2 W2 H2 ${c}\n`)), 'unsupported');
      expect(error.message).toContain(c);
      expect(error.byteOffset).toBe('YUV4MPEG2 W2 H2 '.length);
    }
  });

  it('names the problem in the stream header', async () => {
    await expectContainerError(() => parseY4m(encode('YUV4MPEG W2 H2\n')), 'bad-signature');
    await expectContainerError(() => parseY4m(encode('YUV4MPEG2 W2\n')), 'bad-header');
    await expectContainerError(() => parseY4m(encode('YUV4MPEG2 W0 H2\n')), 'bad-header');
    await expectContainerError(() => parseY4m(encode('YUV4MPEG2 Wx H2\n')), 'bad-header');
    await expectContainerError(() => parseY4m(encode('YUV4MPEG2 W2 W2 H2\n')), 'bad-header');
    await expectContainerError(() => parseY4m(encode('YUV4MPEG2 W2 H2 F30:0\n')), 'bad-header');
    await expectContainerError(() => parseY4m(encode('YUV4MPEG2 W2 H2 A1\n')), 'bad-header');
    await expectContainerError(() => parseY4m(encode(`YUV4MPEG2 W${'9'.repeat(400)} H2\n`)), 'too-large');
    await expectContainerError(() => parseY4m(encode('YUV4MPEG2 W20000 H2\n')), 'too-large');
    await expectContainerError(() => parseY4m(encode('YUV4MPEG2 W16000 H16000\n')), 'too-large'); // 384 MB frames
    await expectContainerError(() => parseY4m(encode('YUV4MPEG2 W2 H2')), 'truncated');
    await expectContainerError(() => parseY4m(encode(`YUV4MPEG2 W2 H2 X${'a'.repeat(70000)}\n`)), 'bad-header');
    expect(parseY4m(encode('YUV4MPEG2 W2 H2 F30:1 A0:0\n')).header.pixelAspect).toEqual({ numerator: 0, denominator: 0 });
  });

  it('names the frame index of a cut or damaged frame', async () => {
    const header = 'YUV4MPEG2 W2 H2\n';
    const cut = await expectContainerError(() => parseY4m(file(header, encode('FRAME\n'), frame, encode('FRAME\n'), frame.subarray(0, 3))), 'truncated');
    expect(cut).toMatchObject({ frameIndex: 1, byteOffset: header.length + 12 });
    expect(cut.message).toContain('frame 1');
    const line = await expectContainerError(() => parseY4m(file(header, encode('FRAME\n'), frame, encode('FRA'))), 'truncated');
    expect(line.frameIndex).toBe(1);
    const garbage = await expectContainerError(() => parseY4m(file(header, encode('FRAMX\n'), frame)), 'bad-header');
    expect(garbage.frameIndex).toBe(0);
    await expectContainerError(() => parseY4m(file(header, encode('FRAMEX\n'), frame)), 'bad-header');
    const tolerant = parseY4m(file(header, encode('FRAME\n'), frame, encode('FRAME\n'), frame.subarray(0, 3)), { allowTruncated: true });
    expect(tolerant.frames).toHaveLength(1);
    expect(tolerant.truncatedAt).toBe(header.length + 12);
  });

  it('at every truncation point of a small clip: whole frames or a typed error', async () => {
    const { bytes } = synthetic({ width: 5, height: 3, frameRate: { numerator: 30, denominator: 1 } }, 4);
    const size = y4mFrameSize(5, 3);
    const headerLength = bytes.indexOf(0x0a) + 1;
    for (let cut = 0; cut <= bytes.length; cut++) {
      const complete = (cut - headerLength) / (6 + size);
      if (cut >= headerLength && Number.isInteger(complete)) {
        expect(parseY4m(bytes.subarray(0, cut)).frames).toHaveLength(complete);
      } else {
        const error = await expectContainerError(() => parseY4m(bytes.subarray(0, cut)), 'truncated');
        if (cut > headerLength) expect(error.frameIndex).toBe(Math.floor(complete));
      }
    }
  });

  it('random corruption of the headers gives a ContainerError or a parse', () => {
    const { bytes: good } = synthetic({ width: 6, height: 4, frameRate: { numerator: 30, denominator: 1 }, interlace: 'p', colorSpace: '420jpeg' }, 3);
    const random = prng(2);
    let errors = 0;
    for (let run = 0; run < 3000; run++) {
      const bytes = Uint8Array.from(good);
      for (let i = 0, n = 1 + Math.floor(random() * 3); i < n; i++) bytes[Math.floor(random() * 60)] = Math.floor(random() * 256);
      try {
        const parsed = parseY4m(bytes);
        expect(parsed.frames.every((f) => f.data.length === parsed.frameBytes)).toBe(true);
      } catch (error) {
        if (!(error instanceof ContainerError)) throw error;
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(100);
  });
});
