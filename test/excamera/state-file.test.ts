import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExcameraError } from '../../src/excamera/errors.js';
import { deserializeState, readStateFileHeader, serializeState, stateTag } from '../../src/excamera/state-file.js';
import {
  allocateImage, createDecoderState, decodeFrame, type DecoderState, type Image, stateEquals, stateHash,
} from '../../src/vp8/index.js';
import { extendImageBorders } from '../../src/vp8/image.js';
import { COEFF_PROBS_SIZE } from '../../src/vp8/tables.js';
import { ivfFrames, VECTORS } from '../helpers/fixtures.js';

/** A random picture of the given size: every aligned sample drawn from `seed`. */
function randomImage(width: number, height: number, seed: number): Image {
  const img = allocateImage(width, height);
  let x = seed >>> 0 || 1;
  for (const p of [img.y, img.u, img.v]) {
    for (let r = 0; r < p.height; r++) {
      for (let c = 0; c < p.width; c++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        p.data[p.offset + r * p.stride + c] = x & 255;
      }
    }
  }
  extendImageBorders(img);
  return img;
}

const probs = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n, min: 1, max: 255 });
const int8s = fc.int8Array({ minLength: 4, maxLength: 4, min: -63, max: 63 });

/** Random states: any size, any tables, references distinct or shared in every pattern. */
const arbitraryState: fc.Arbitrary<DecoderState> = fc
  .record({
    width: fc.integer({ min: 1, max: 70 }),
    height: fc.integer({ min: 1, max: 70 }),
    coeff: probs(COEFF_PROBS_SIZE),
    mv: probs(38),
    yMode: probs(4),
    uvMode: probs(3),
    absolute: fc.boolean(),
    quantizer: int8s,
    loopFilter: int8s,
    withMap: fc.boolean(),
    mapSeed: fc.integer(),
    refLfDeltas: int8s,
    modeLfDeltas: int8s,
    sharing: fc.constantFrom('distinct', 'all-shared', 'golden-is-last', 'altref-is-golden', 'altref-is-last'),
    seeds: fc.tuple(fc.integer(), fc.integer(), fc.integer()),
  })
  .map((r) => {
    const mbs = ((r.width + 15) >> 4) * ((r.height + 15) >> 4);
    const last = randomImage(r.width, r.height, r.seeds[0]);
    let golden = randomImage(r.width, r.height, r.seeds[1]);
    let altref = randomImage(r.width, r.height, r.seeds[2]);
    if (r.sharing === 'all-shared') golden = altref = last;
    else if (r.sharing === 'golden-is-last') golden = last;
    else if (r.sharing === 'altref-is-golden') altref = golden;
    else if (r.sharing === 'altref-is-last') altref = last;
    return {
      width: r.width,
      height: r.height,
      probs: { coeff: r.coeff, mv: r.mv, yMode: r.yMode, uvMode: r.uvMode },
      segmentFeatures: { absolute: r.absolute, quantizer: r.quantizer, loopFilter: r.loopFilter },
      segmentMap: r.withMap ? Uint8Array.from({ length: mbs }, (_, i) => (r.mapSeed >>> (i % 16 * 2)) & 3) : new Uint8Array(0),
      refLfDeltas: r.refLfDeltas,
      modeLfDeltas: r.modeLfDeltas,
      last,
      golden,
      altref,
    };
  });

function errorOf(f: () => unknown): ExcameraError {
  try {
    f();
  } catch (e) {
    if (e instanceof ExcameraError) return e;
    throw new Error(`expected an ExcameraError, got ${String(e)}`);
  }
  throw new Error('expected an ExcameraError, nothing was thrown');
}

describe('state files', () => {
  it('serialize → deserialize is the identity (property)', () => {
    fc.assert(
      fc.property(arbitraryState, (state) => {
        const bytes = serializeState(state, 1);
        const back = deserializeState(bytes);
        expect(stateEquals(back, state)).toBe(true);
        expect(stateHash(back)).toBe(stateHash(state));
        expect(readStateFileHeader(bytes).stateHash).toBe(stateHash(state));
        // Shared pictures stay shared: a state costs each distinct picture once.
        expect(back.golden === back.last).toBe(stateEquals({ ...state, golden: state.last }, state));
        // And serializing again gives the same bytes.
        expect(serializeState(back, 1)).toEqual(bytes);
      }),
      { numRuns: 40 },
    );
  });

  it('round-trips the states of a real stream, including the empty state', () => {
    const empty = createDecoderState();
    expect(stateEquals(deserializeState(serializeState(empty)), empty)).toBe(true);
    // Vector 010 uses segmentation, golden and altref with sign bias.
    let s = empty;
    for (const frame of ivfFrames(join(VECTORS, 'vp80-00-comprehensive-010.ivf')).slice(0, 12)) {
      s = decodeFrame(s, frame).state;
      const back = deserializeState(serializeState(s));
      expect(stateHash(back)).toBe(stateHash(s));
    }
  });

  it('a state whose references are one picture costs one picture', () => {
    const img = randomImage(64, 48, 7);
    const shared: DecoderState = { ...createDecoderState(), width: 64, height: 48, last: img, golden: img, altref: img };
    const distinct: DecoderState = { ...shared, golden: randomImage(64, 48, 8), altref: randomImage(64, 48, 9) };
    const payload = (s: DecoderState): number => readStateFileHeader(serializeState(s)).payloadBytes;
    expect(payload(distinct) - payload(shared)).toBe(2 * 64 * 48 * 1.5);
  });

  describe('refuses what is not a good state file', () => {
    const state = fc.sample(arbitraryState, { numRuns: 1, seed: 42 })[0];
    const good = serializeState(state);

    it('a file of another kind', () => {
      const e = errorOf(() => deserializeState(new TextEncoder().encode('DKIF and more bytes than a header'), { file: 'x.state' }));
      expect(e.code).toBe('bad-state-file');
      expect(e.message).toMatch(/not an ExCamera state file.*x\.state/);
    });

    it('another format version', () => {
      const bad = good.slice();
      bad[4] = 9;
      const e = errorOf(() => deserializeState(bad));
      expect(e.code).toBe('state-version');
      expect(e.message).toContain('version 9');
    });

    it('every truncation', () => {
      for (const n of [0, 3, 20, 47, 48, 60, good.length >> 1, good.length - 1]) {
        expect(errorOf(() => deserializeState(good.subarray(0, n))).code).toBe('bad-state-file');
      }
    });

    it('a flipped bit anywhere', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 7 }), (at, bit) => {
          const bad = good.slice();
          bad[at] ^= 1 << bit;
          const e = errorOf(() => deserializeState(bad));
          expect(['bad-state-file', 'state-version']).toContain(e.code);
        }),
        { numRuns: 60 },
      );
    });

    it('every flipped bit, one by one (a padding bit of the compressed stream too)', () => {
      let accepted = 0;
      for (let at = 0; at < good.length; at++) {
        for (let bit = 0; bit < 8; bit++) {
          const bad = good.slice();
          bad[at] ^= 1 << bit;
          try {
            deserializeState(bad);
            accepted++;
          } catch (e) {
            if (!(e instanceof ExcameraError)) throw e;
          }
        }
      }
      expect(accepted).toBe(0);
    });

    it('a payload that claims to be enormous, before inflating it', () => {
      const bad = good.slice();
      new DataView(bad.buffer).setUint32(8, 0xfffffff0, true);
      expect(errorOf(() => deserializeState(bad)).message).toMatch(/more than any state within the size limits/);
    });

    it('a state larger than the limits', () => {
      expect(errorOf(() => deserializeState(good, { limits: { maxWidth: 8 } })).code).toBe('bad-state-file');
    });

    it('a well-formed payload with impossible values (checksum and hash recomputed)', () => {
      // Rebuild a file around a payload whose segment map holds an id of 7.
      const header = readStateFileHeader(good);
      const payload = new Uint8Array(header.payloadBytes);
      payload.set([16, 0, 16, 0]); // 16x16
      payload.fill(128, 4, 4 + COEFF_PROBS_SIZE + 45);
      let o = 4 + COEFF_PROBS_SIZE + 45 + 9;
      new DataView(payload.buffer).setUint32(o, 1, true);
      payload[o + 4] = 7;
      o += 5 + 8;
      const file = new Uint8Array(48 + 0);
      const compressed = deflateSync(payload.subarray(0, o + 3));
      const bytes = new Uint8Array(file.length + compressed.length);
      bytes.set(good.subarray(0, 48));
      new DataView(bytes.buffer).setUint32(8, o + 3, true);
      bytes.set(compressed, 48);
      // The checksum covers every byte of the file but its own four.
      new DataView(bytes.buffer).setUint32(12, crc32Of(Buffer.concat([bytes.subarray(0, 12), bytes.subarray(16)])), true);
      expect(errorOf(() => deserializeState(bytes)).message).toMatch(/segment map holds an id above 3/);
    });
  });

  it('stateTag is the first 32 bits of the hash', () => {
    expect(stateTag('deadbeef' + '0'.repeat(56))).toBe(0xdeadbeef);
  });
});

function crc32Of(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

describe('a state read from a file is a value', () => {
  it('decoding from it leaves it unchanged (its tables are its own, not views of the file)', () => {
    const frames = ivfFrames(join(VECTORS, 'vp80-00-comprehensive-010.ivf'));
    let s = createDecoderState();
    for (const f of frames.slice(0, 5)) s = decodeFrame(s, f).state;
    const read = deserializeState(serializeState(s));
    const hash = stateHash(read);
    // Later frames update coefficient probabilities.
    let t = read;
    for (const f of frames.slice(5, 15)) t = decodeFrame(t, f).state;
    expect(stateHash(read)).toBe(hash);
  });
});
