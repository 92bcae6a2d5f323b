import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BoolDecoder } from '../../src/vp8/bool-decoder.js';
import { BoolEncoder } from '../../src/vp8/bool-encoder.js';
import {
  blankHeader, frameHeaderSyntax, readFrameHeader, readFrameTag, writeFrameHeader,
} from '../../src/vp8/header.js';
import { SyntaxReader } from '../../src/vp8/syntax-coder.js';
import { frameInfo } from '../../src/vp8/info.js';
import { Vp8Error } from '../../src/vp8/errors.js';
import { ivfFrames, VECTOR_NAMES, VECTORS } from '../helpers/fixtures.js';

describe('frame header (RFC 6386 section 9, one syntax for reading and writing)', () => {
  it('write then read gives back every header of every test vector frame', () => {
    let frames = 0;
    for (const name of VECTOR_NAMES) {
      for (const frame of ivfFrames(join(VECTORS, `${name}.ivf`))) {
        const { header } = readFrameHeader(frame);
        const e = new BoolEncoder();
        writeFrameHeader(header, e);
        const again = blankHeader(readFrameTag(frame), header);
        frameHeaderSyntax(new SyntaxReader(new BoolDecoder(e.finish())), again);
        expect(again).toEqual(header);
        frames++;
      }
    }
    expect(frames).toBeGreaterThan(800);
  });

  it('writes exactly the bits it read', () => {
    // Re-encode the header bools of a frame and compare them bool by bool with
    // the original first partition: decode both with the same probabilities.
    const frame = ivfFrames(join(VECTORS, 'vp80-00-comprehensive-010.ivf'))[3];
    const { header } = readFrameHeader(frame);
    const e = new BoolEncoder();
    writeFrameHeader(header, e);
    const rewritten = e.finish();
    const bitsOf = (bytes: Uint8Array, start: number): number[] => {
      const d = new BoolDecoder(bytes, start);
      const bits: number[] = [];
      const recorder = {
        flag: () => { const b = d.readBit(); bits.push(b); return b === 1; },
        literal: (n: number) => { const v = d.readLiteral(n); bits.push(v); return v; },
        bool: (p: number) => { const b = d.readBool(p); bits.push(b); return b; },
        tree: () => { throw new Error('the frame header has no tree-coded fields'); },
      };
      frameHeaderSyntax(recorder, blankHeader(readFrameTag(frame), header));
      return bits;
    };
    expect(bitsOf(rewritten, 0)).toEqual(bitsOf(frame, header.keyFrame ? 10 : 3));
  });

  it('reports the scaling bits and sizes of key frames', () => {
    const info = frameInfo(ivfFrames(join(VECTORS, 'vp80-00-comprehensive-008.ivf'))[0]);
    expect(info.type).toBe('key');
    expect(info.width).toBe(1432);
    expect(info.height).toBe(888);
    expect(info.horizontalScale).toBe(0);
    expect(info.partitions.tokens.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses damaged uncompressed chunks with typed errors', () => {
    const key = ivfFrames(join(VECTORS, 'vp80-00-comprehensive-001.ivf'))[0];
    const badStart = key.slice();
    badStart[4] = 0x02;
    const codeOf = (f: Uint8Array): string => {
      try {
        readFrameHeader(f);
        return 'none';
      } catch (e) {
        expect(e).toBeInstanceOf(Vp8Error);
        return (e as Vp8Error).code;
      }
    };
    expect(codeOf(badStart)).toBe('bad-start-code');
    expect(codeOf(key.subarray(0, 2))).toBe('truncated');
    expect(codeOf(key.subarray(0, 8))).toBe('truncated');
    expect(codeOf(key.subarray(0, 40))).toBe('truncated');
    const zeroPartition = key.slice();
    zeroPartition[0] &= 0x1f;
    zeroPartition[1] = 0;
    zeroPartition[2] = 0;
    expect(codeOf(zeroPartition)).toBe('corrupt-header');
  });
});
