import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ContainerError, IvfWriter, openIvfFile, parseIvf, writeIvf, writeIvfHeader, type IvfFrame,
} from '../../src/container/index.js';
import { expectContainerError, makeTempDir, prng, VECTOR_FILES, VECTORS } from './helpers.js';

const temp = makeTempDir();
afterAll(temp.remove);

const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(VECTORS, name)));

/** Checks that the frames cover the file exactly: header, then frame header + data, back to back. */
function expectFramesTile(bytes: Uint8Array, frames: readonly IvfFrame[]): void {
  let offset = 32;
  for (const frame of frames) {
    expect(frame.byteOffset).toBe(offset);
    expect(frame.data.byteOffset - bytes.byteOffset).toBe(offset + 12);
    expect(frame.data.buffer).toBe(bytes.buffer); // a view, not a copy
    offset += 12 + frame.data.length;
  }
  expect(offset).toBe(bytes.length);
}

describe('parseIvf on the VP8 test vectors', () => {
  it('finds all 18 vectors', () => {
    expect(VECTOR_FILES).toHaveLength(18);
  });

  for (const name of VECTOR_FILES) {
    it(`${name}: header matches the decoded size, frames tile the file, write reproduces it`, () => {
      const bytes = read(name);
      const { header, frames, truncatedAt } = parseIvf(bytes);
      // The .md5 files name each decoded frame <name>-<width>x<height>-<n>.i420.
      const md5 = readFileSync(join(VECTORS, `${name}.md5`), 'utf8');
      const [, width, height] = /-(\d+)x(\d+)-\d+\.i420/.exec(md5)!;
      expect(header).toMatchObject({ fourcc: 'VP80', width: Number(width), height: Number(height), unused: 0 });
      expect(header.timebaseDenominator / header.timebaseNumerator).toBeGreaterThan(0);
      expect(frames.length).toBe(header.frameCount);
      expect(truncatedAt).toBeNull();
      expectFramesTile(bytes, frames);
      expect(frames.map((frame) => frame.pts)).toEqual(frames.map((_, index) => BigInt(index)));
      expect(Buffer.from(writeIvf(header, frames)).equals(bytes)).toBe(true);
    });
  }

  it('reports the time base in libvpx field order (rate = denominator first)', () => {
    const { header } = parseIvf(read('vp80-00-comprehensive-001.ivf'));
    expect(header.timebaseDenominator).toBe(30000);
    expect(header.timebaseNumerator).toBe(1000);
  });

  it('returns frozen values', () => {
    const file = parseIvf(read('vp80-00-comprehensive-001.ivf'));
    expect(Object.isFrozen(file) && Object.isFrozen(file.header) && Object.isFrozen(file.frames) && Object.isFrozen(file.frames[0])).toBe(true);
  });
});

describe('IVF writing', () => {
  const frames = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.of(9)];

  it('round-trips any fourcc, the unused field, negative and 64-bit timestamps', () => {
    const header = { fourcc: 'I420', width: 65535, height: 1, timebaseDenominator: 0xffffffff, timebaseNumerator: 7, unused: 0xdeadbeef };
    const ptsValues = [-1n, 2n ** 63n - 1n, -(2n ** 63n)];
    const bytes = writeIvf(header, frames.map((data, i) => ({ data, pts: ptsValues[i]! })));
    const parsed = parseIvf(bytes, { maxWidth: 65535 });
    expect(parsed.header).toEqual({ ...header, frameCount: 3 });
    expect(parsed.frames.map((frame) => frame.pts)).toEqual(ptsValues);
    expect(parsed.frames.map((frame) => [...frame.data])).toEqual(frames.map((data) => [...data]));
    expect(Buffer.from(writeIvf(parsed.header, parsed.frames)).equals(bytes)).toBe(true);
  });

  it('writes the unused field at bytes 28..31, little-endian', () => {
    const bytes = writeIvfHeader({ width: 1, height: 1, timebaseDenominator: 1, timebaseNumerator: 1, unused: 0x04030201 });
    expect([...bytes.subarray(28, 32)]).toEqual([1, 2, 3, 4]);
  });

  it('refuses values the header cannot hold', async () => {
    const base = { width: 16, height: 16, timebaseDenominator: 30, timebaseNumerator: 1 };
    await expectContainerError(() => writeIvfHeader({ ...base, width: 65536 }), 'invalid-argument');
    await expectContainerError(() => writeIvfHeader({ ...base, fourcc: 'VP8' }), 'invalid-argument');
    await expectContainerError(() => writeIvfHeader({ ...base, unused: -1 }), 'invalid-argument');
    await expectContainerError(() => writeIvf(base, [{ data: frames[0]!, pts: 0.5 }]), 'invalid-argument');
    await expectContainerError(() => writeIvf(base, [{ data: frames[0]!, pts: 2n ** 64n }]), 'invalid-argument');
  });

  it('IvfWriter streams to a file, patches the frame count on commit and matches writeIvf', async () => {
    const { header, frames: vectorFrames } = parseIvf(read('vp80-00-comprehensive-004.ivf'));
    const path = join(temp.dir, 'streamed.ivf');
    const writer = await IvfWriter.create(path, { ...header, frameCount: undefined });
    for (const frame of vectorFrames) await writer.writeFrame(frame.data, frame.pts);
    expect(existsSync(path)).toBe(false); // nothing visible before commit
    expect(writer.frameCount).toBe(vectorFrames.length);
    await writer.commit();
    const written = new Uint8Array(readFileSync(path));
    expect(parseIvf(written).header.frameCount).toBe(vectorFrames.length);
    expect(Buffer.from(written).equals(read('vp80-00-comprehensive-004.ivf'))).toBe(true);
  });

  it('IvfWriter keeps a frame count fixed by the caller, and abort leaves no file', async () => {
    const path = join(temp.dir, 'fixed.ivf');
    const writer = await IvfWriter.create(path, { width: 2, height: 2, timebaseDenominator: 1, timebaseNumerator: 1, frameCount: 0 });
    await writer.writeFrame(frames[0]!);
    await writer.commit();
    expect(parseIvf(new Uint8Array(readFileSync(path))).header.frameCount).toBe(0);

    const aborted = join(temp.dir, 'aborted.ivf');
    const other = await IvfWriter.create(aborted, { width: 2, height: 2, timebaseDenominator: 1, timebaseNumerator: 1 });
    await other.writeFrame(frames[0]!);
    await other.abort();
    expect(existsSync(aborted)).toBe(false);
    expect(existsSync(`${aborted}.tmp-${process.pid}`)).toBe(false);
  });
});

describe('IVF bad input', () => {
  const good = read('vp80-00-comprehensive-017.ivf'); // 2582 bytes, 29 frames
  const goodFrames = parseIvf(good).frames;
  const boundaries = new Map(goodFrames.map((frame, index) => [frame.byteOffset, index]));
  boundaries.set(good.length, goodFrames.length);

  it('at every truncation point: whole frames, or a typed error naming the cut frame', async () => {
    for (let cut = 0; cut <= good.length; cut++) {
      const bytes = good.subarray(0, cut);
      const complete = boundaries.get(cut);
      if (complete !== undefined) {
        expect(parseIvf(bytes).frames).toHaveLength(complete);
        continue;
      }
      const error = await expectContainerError(() => parseIvf(bytes), 'truncated');
      if (cut >= 32) {
        const index = goodFrames.findIndex((frame) => frame.byteOffset + 12 + frame.data.length > cut);
        expect(error.frameIndex).toBe(index);
        expect(error.byteOffset).toBe(goodFrames[index]!.byteOffset);
        expect(error.message).toContain(`frame ${index}`);
        const tolerant = parseIvf(bytes, { allowTruncated: true });
        expect(tolerant.frames).toHaveLength(index);
        expect(tolerant.truncatedAt).toBe(goodFrames[index]!.byteOffset);
      }
    }
  });

  it('random corruption of the headers gives a ContainerError or frames that tile the file', () => {
    const random = prng(1);
    let errors = 0;
    for (let run = 0; run < 3000; run++) {
      const bytes = Uint8Array.from(good);
      const flips = 1 + Math.floor(random() * 4);
      for (let i = 0; i < flips; i++) {
        // Mostly the file header and the first frame headers, sometimes anywhere.
        const at = random() < 0.8 ? Math.floor(random() * 80) : Math.floor(random() * bytes.length);
        bytes[at] = Math.floor(random() * 256);
      }
      try {
        expectFramesTile(bytes, parseIvf(bytes).frames);
      } catch (error) {
        if (!(error instanceof ContainerError)) throw error;
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(100); // the sweep did reach the error paths
  });

  it('names the problem for each kind of bad header', async () => {
    const withHeader = (patch: (view: DataView) => void): Uint8Array => {
      const bytes = Uint8Array.from(good);
      patch(new DataView(bytes.buffer));
      return bytes;
    };
    await expectContainerError(() => parseIvf(new TextEncoder().encode('RIFF....WEBPVP8 ')), 'bad-signature');
    expect((await expectContainerError(() => parseIvf(withHeader((v) => v.setUint16(4, 1, true))), 'unsupported')).byteOffset).toBe(4);
    expect((await expectContainerError(() => parseIvf(withHeader((v) => v.setUint16(6, 64, true))), 'bad-header')).byteOffset).toBe(6);
    await expectContainerError(() => parseIvf(good, { maxWidth: 100 }), 'too-large');
    await expectContainerError(() => parseIvf(good, { maxHeight: 100 }), 'too-large');
    const absurd = await expectContainerError(() => parseIvf(withHeader((v) => v.setUint32(32, 0xffffffff, true))), 'too-large');
    expect(absurd).toMatchObject({ frameIndex: 0, byteOffset: 32, format: 'ivf' });
    const big = goodFrames.reduce((a, b) => (b.data.length > a.data.length ? b : a));
    const limited = await expectContainerError(() => parseIvf(good, { maxFrameBytes: big.data.length - 1 }), 'too-large');
    expect(limited.byteOffset).toBe(big.byteOffset);
    await expectContainerError(() => parseIvf(good, { maxFrameBytes: -5 }), 'invalid-argument');
  });
});

describe('IVF streaming reader', () => {
  it('yields the same frames as parseIvf for every vector', async () => {
    for (const name of VECTOR_FILES) {
      const parsed = parseIvf(read(name));
      const reader = await openIvfFile(join(VECTORS, name));
      expect(reader.header).toEqual(parsed.header);
      const streamed: IvfFrame[] = [];
      for await (const frame of reader) streamed.push(frame);
      expect(streamed.length).toBe(parsed.frames.length);
      streamed.forEach((frame, i) => {
        expect(frame.pts).toBe(parsed.frames[i]!.pts);
        expect(frame.byteOffset).toBe(parsed.frames[i]!.byteOffset);
        expect(Buffer.from(frame.data).equals(parsed.frames[i]!.data)).toBe(true);
      });
      expect(await reader.next()).toBeNull(); // stays finished after the iterator closed the file
    }
  });

  it('reports a cut last frame, or stops before it with allowTruncated', async () => {
    const good = read('vp80-00-comprehensive-001.ivf');
    const { frames } = parseIvf(good);
    const path = join(temp.dir, 'cut.ivf');
    writeFileSync(path, good.subarray(0, good.length - 5));
    const strict = await openIvfFile(path);
    for (let i = 0; i < frames.length - 1; i++) expect(await strict.next()).not.toBeNull();
    const error = await expectContainerError(() => strict.next(), 'truncated');
    expect(error.frameIndex).toBe(frames.length - 1);
    await strict.close();

    const tolerant = await openIvfFile(path, { allowTruncated: true });
    let count = 0;
    for await (const frame of tolerant) count += frame.data.length > 0 ? 1 : 0;
    expect(count).toBe(frames.length - 1);
    expect(tolerant.truncatedAt).toBe(frames.at(-1)!.byteOffset);
  });

  it('checks an absurd frame size against the file before allocating', async () => {
    const bytes = Uint8Array.from(read('vp80-00-comprehensive-001.ivf'));
    new DataView(bytes.buffer).setUint32(32, 60 * 1024 * 1024, true); // under the limit, beyond the file
    const path = join(temp.dir, 'absurd.ivf');
    writeFileSync(path, bytes);
    const reader = await openIvfFile(path);
    const error = await expectContainerError(() => reader.next(), 'truncated');
    expect(error.frameIndex).toBe(0);
    await reader.close();
    await expectContainerError(() => openIvfFile(path, { maxWidth: 10 }), 'too-large');
  });
});
