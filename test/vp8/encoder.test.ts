import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createDecoderState, decodeFrame, imageFromI420, imagesEqual, imageToI420, stateEquals, stateHash, Vp8Error,
} from '../../src/vp8/index.js';
import { encodeFrame, MAX_SPEED } from '../../src/vp8/encoder/encoder.js';
import { QUANTIZER_TO_QINDEX, Vp8Encoder } from '../../src/vp8/encoder/sequence.js';
import { parseFrame, serializeFrame } from '../../src/vp8/frame.js';
import { i420Size } from '../../src/vp8/image.js';

/** A packed I420 picture: `kind` 0 noise, 1 gradient, 2 flat, 3 moving bars (t shifts them). */
function picture(width: number, height: number, kind: number, seed: number, t: number): Uint8Array {
  const out = new Uint8Array(i420Size(width, height));
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const planes: Array<[number, number, number]> = [[0, width, height], [width * height, cw, ch], [width * height + cw * ch, cw, ch]];
  for (const [base, w, h] of planes) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v: number;
        if (kind === 0) v = rnd();
        else if (kind === 1) v = ((x * 255) / Math.max(1, w - 1) + (y * 64) / Math.max(1, h)) & 255;
        else if (kind === 2) v = (seed * 37) & 255;
        else v = ((x + 3 * t) >> 2) % 2 ? 200 : 40 + ((y + t) & 31);
        out[base + y * w + x] = v;
      }
    }
  }
  return out;
}

describe('encodeFrame', () => {
  it('returns the state decodeFrame reaches, for random pictures, sizes, quantizers and speeds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 127 }), fc.boolean()), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: MAX_SPEED }),
        fc.integer({ min: 1, max: 1 << 30 }),
        (width, height, frames, speed, seed) => {
          let encState = createDecoderState();
          let decState = createDecoderState();
          frames.forEach(([kind, q, key], i) => {
            const raw = imageFromI420(width, height, picture(width, height, kind, seed + i, i));
            const r = encodeFrame(encState, raw, { qIndex: q, keyFrame: key, speed, refreshGolden: i === 1, copyToAltref: i === 2 ? 2 : 0 });
            const d = decodeFrame(decState, r.frame);
            expect(stateEquals(r.state, d.state)).toBe(true);
            expect(d.image).not.toBeNull();
            expect(imagesEqual(d.image!, r.reconstruction)).toBe(true);
            // The syntax layer reads the frame back and writes the same bytes.
            expect(serializeFrame(encState, parseFrame(encState, r.frame))).toEqual(r.frame);
            encState = r.state;
            decState = d.state;
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('never changes the state it is given', () => {
    const w = 48;
    const h = 32;
    const enc = new Vp8Encoder({ width: w, height: h, frameRate: 30, rateControl: { mode: 'quantizer', quantizer: 20 }, goldenInterval: 2 });
    enc.encode(imageFromI420(w, h, picture(w, h, 1, 1, 0)));
    const before = enc.state;
    const hash = stateHash(before);
    for (let i = 1; i < 4; i++) enc.encode(imageFromI420(w, h, picture(w, h, 3, 1, i)));
    expect(stateHash(before)).toBe(hash);
  });

  it('encodes a one-frame input and a 1x1 picture', () => {
    const one = encodeFrame(createDecoderState(), imageFromI420(1, 1, Uint8Array.of(90, 100, 110)), { qIndex: 10 });
    const d = decodeFrame(createDecoderState(), one.frame);
    expect([d.image!.width, d.image!.height]).toEqual([1, 1]);
    expect(Math.abs(imageToI420(d.image!)[0] - 90)).toBeLessThanOrEqual(2);
  });

  it('reproduces a smooth picture closely at a fine quantizer', () => {
    const w = 64;
    const h = 48;
    const src = picture(w, h, 1, 5, 0);
    const r = encodeFrame(createDecoderState(), imageFromI420(w, h, src), { qIndex: 4, speed: 2 });
    const out = imageToI420(decodeFrame(createDecoderState(), r.frame).image!);
    let sse = 0;
    for (let i = 0; i < w * h; i++) sse += (out[i] - src[i]) ** 2;
    const psnr = 10 * Math.log10((255 * 255 * w * h) / Math.max(1, sse));
    expect(psnr).toBeGreaterThan(40);
  });

  it('spends fewer bits at a coarser quantizer', () => {
    const w = 64;
    const h = 64;
    const raw = imageFromI420(w, h, picture(w, h, 0, 9, 0));
    const fine = encodeFrame(createDecoderState(), raw, { qIndex: 10, speed: 3 }).frame.length;
    const coarse = encodeFrame(createDecoderState(), raw, { qIndex: 100, speed: 3 }).frame.length;
    expect(coarse).toBeLessThan(fine / 2);
  });

  it('refuses bad settings with typed errors', () => {
    const raw = imageFromI420(16, 16, picture(16, 16, 2, 1, 0));
    expect(() => encodeFrame(createDecoderState(), raw, { qIndex: 128 })).toThrow(Vp8Error);
    expect(() => encodeFrame(createDecoderState(), raw, { qIndex: -1 })).toThrow(Vp8Error);
    expect(() => new Vp8Encoder({ width: 16, height: 16, frameRate: 30, rateControl: { mode: 'quantizer', quantizer: 64 } })).toThrow(Vp8Error);
    const enc = new Vp8Encoder({ width: 16, height: 16, frameRate: 30, rateControl: { mode: 'quantizer', quantizer: 10 } });
    expect(() => enc.encode(imageFromI420(32, 16, picture(32, 16, 2, 1, 0)))).toThrow(Vp8Error);
  });
});

describe('Vp8Encoder', () => {
  const w = 64;
  const h = 48;
  const frames = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => picture(w, h, 3, 11, i));

  it('places key frames at the interval and refreshes golden with an altref copy', () => {
    const enc = new Vp8Encoder({ width: w, height: h, frameRate: 30, rateControl: { mode: 'quantizer', quantizer: 30 }, keyframeInterval: 5, goldenInterval: 2 });
    let dec = createDecoderState();
    const keys: number[] = [];
    frames(12).forEach((f, i) => {
      const out = enc.encode(imageFromI420(w, h, f));
      if (out.keyFrame) keys.push(i);
      dec = decodeFrame(dec, out.frame).state;
      expect(stateEquals(dec, enc.state)).toBe(true);
    });
    expect(keys).toEqual([0, 5, 10]);
  });

  it('uses the quantizer index libvpx maps each level to', () => {
    const enc = new Vp8Encoder({ width: w, height: h, frameRate: 30, rateControl: { mode: 'quantizer', quantizer: 40 } });
    expect(enc.encode(imageFromI420(w, h, frames(1)[0])).qIndex).toBe(QUANTIZER_TO_QINDEX[40]);
  });

  it('gives key and golden frames finer quantizers in constrained-quality mode', () => {
    const enc = new Vp8Encoder({ width: w, height: h, frameRate: 30, rateControl: { mode: 'cq', cqLevel: 40 }, goldenInterval: 3 });
    const qs = frames(5).map((f) => enc.encode(imageFromI420(w, h, f)).qIndex);
    expect(qs[0]).toBeLessThan(qs[1]);
    expect(qs[3]).toBeLessThan(qs[2]);
  });

  it('steers a one-pass encode towards its target bitrate', () => {
    const fps = 30;
    const target = 120;
    const enc = new Vp8Encoder({ width: w, height: h, frameRate: fps, rateControl: { mode: 'bitrate', targetBitrate: target }, speed: 4 });
    let bytes = 0;
    const n = 40;
    frames(n).forEach((f) => {
      bytes += enc.encode(imageFromI420(w, h, f)).frame.length;
    });
    const kbps = (bytes * 8 * fps) / n / 1000;
    expect(kbps).toBeGreaterThan(target * 0.7);
    expect(kbps).toBeLessThan(target * 1.3);
  });
});
