import { describe, expect, it } from 'vitest';
import { allocateImage, extendImageBorders, type Image, type Plane } from '../../src/vp8/image.js';
import { InterScratch, predictInter, predictInterChroma } from '../../src/vp8/inter.js';
import { SIXTAP_FILTERS } from '../../src/vp8/tables.js';

/** A 64x64 picture of noise with its borders extended. */
function noisyPicture(seed: number): Image {
  const img = allocateImage(64, 64);
  let state = seed;
  for (const p of [img.y, img.u, img.v]) {
    for (let y = 0; y < p.height; y++) {
      for (let x = 0; x < p.width; x++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        p.data[p.offset + y * p.stride + x] = state >>> 24;
      }
    }
  }
  extendImageBorders(img);
  return img;
}

/** Sample (x, y) of a plane, clamped to the plane (section 18.1). */
function at(p: Plane, x: number, y: number): number {
  const cx = Math.min(Math.max(x, 0), p.width - 1);
  const cy = Math.min(Math.max(y, 0), p.height - 1);
  return p.data[p.offset + cy * p.stride + cx];
}

/** Section 18.3 written out: both six-tap passes over every needed row, one sample at a time. */
function sixtapReference(ref: Plane, x: number, y: number, w: number, h: number, mvx: number, mvy: number): number[] {
  const fx = (mvx & 7) * 6;
  const fy = (mvy & 7) * 6;
  const ix = x + (mvx >> 3);
  const iy = y + (mvy >> 3);
  const clamp = (v: number): number => Math.min(Math.max(v, 0), 255);
  const firstPass: number[][] = [];
  for (let r = -2; r < h + 3; r++) {
    const row: number[] = [];
    for (let c = 0; c < w; c++) {
      let sum = 0;
      for (let t = 0; t < 6; t++) sum += SIXTAP_FILTERS[fx + t] * at(ref, ix + c + t - 2, iy + r);
      row.push(clamp((sum + 64) >> 7));
    }
    firstPass.push(row);
  }
  const out: number[] = [];
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      let sum = 0;
      for (let t = 0; t < 6; t++) sum += SIXTAP_FILTERS[fy + t] * firstPass[r + t][c];
      out.push(clamp((sum + 64) >> 7));
    }
  }
  return out;
}

function block(p: Plane, x: number, y: number, w: number, h: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) out.push(p.data[p.offset + (y + r) * p.stride + x + c]);
  return out;
}

const SIZES: [number, number][] = [[16, 16], [8, 8], [8, 4], [4, 4]];

describe('inter prediction (RFC 6386 section 18)', () => {
  it('six-tap prediction equals the two passes of section 18.3 at every fraction, the half-sample one included', () => {
    const ref = noisyPicture(1);
    const dst = allocateImage(64, 64);
    const s = new InterScratch();
    for (const [w, h] of SIZES) {
      for (let fx = 0; fx < 8; fx++) {
        for (let fy = 0; fy < 8; fy++) {
          const mvx = 8 * 3 + fx;
          const mvy = -8 * 2 + fy;
          predictInter(ref.y, dst.y, 16, 16, w, h, mvx, mvy, false, s);
          expect(block(dst.y, 16, 16, w, h), `${w}x${h} fraction ${fx},${fy}`).toEqual(sixtapReference(ref.y, 16, 16, w, h, mvx, mvy));
        }
      }
    }
  });

  it('predicts both chroma planes together exactly as one plane at a time', () => {
    const ref = noisyPicture(2);
    const s = new InterScratch();
    // Vectors with every fraction pair, some far enough out to need the clamped window.
    const vectors: [number, number][] = [];
    for (let fx = 0; fx < 8; fx++) for (let fy = 0; fy < 8; fy++) vectors.push([8 * (fx - 4) + fx, 8 * (3 - fy) + fy]);
    vectors.push([-8 * 40 + 3, 5], [6, 8 * 45 + 2], [-8 * 30 + 4, -8 * 30 + 4]);
    for (const bilinear of [false, true]) {
      for (const [w, h] of [[8, 8], [8, 4], [4, 4]]) {
        for (const [mvx, mvy] of vectors) {
          const together = allocateImage(64, 64);
          const apart = allocateImage(64, 64);
          predictInterChroma(ref.u, ref.v, together.u, together.v, 8, 4, w, h, mvx, mvy, bilinear, s);
          predictInter(ref.u, apart.u, 8, 4, w, h, mvx, mvy, bilinear, s);
          predictInter(ref.v, apart.v, 8, 4, w, h, mvx, mvy, bilinear, s);
          const label = `${bilinear ? 'bilinear' : 'six-tap'} ${w}x${h} (${mvx}, ${mvy})`;
          expect(together.u.data, label).toEqual(apart.u.data);
          expect(together.v.data, label).toEqual(apart.v.data);
        }
      }
    }
  });
});
