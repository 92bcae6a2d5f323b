import { describe, expect, it } from 'vitest';
import { allocateImage, type Image } from '../../src/vp8/image.js';
import { type LoopFilterInput, loopFilterFrame, loopFilterRows } from '../../src/vp8/loop-filter.js';

const MB_COLS = 4;
const MB_ROWS = 4;

/** A 64x64 picture of blocky noise: flat 4x4 blocks with small steps between them, which the filter smooths. */
function blockyPicture(): Image {
  const img = allocateImage(16 * MB_COLS, 16 * MB_ROWS);
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 16;
  };
  for (const p of [img.y, img.u, img.v]) {
    const blocks = new Uint8Array((p.width >> 2) * (p.height >> 2)).map(() => 100 + (next() % 24));
    for (let y = 0; y < p.height; y++) {
      for (let x = 0; x < p.width; x++) p.data[p.offset + y * p.stride + x] = blocks[(y >> 2) * (p.width >> 2) + (x >> 2)] + (next() & 1);
    }
  }
  return img;
}

function input(simple: boolean): LoopFilterInput {
  const n = MB_COLS * MB_ROWS;
  return {
    simple,
    sharpness: 0,
    keyFrame: false,
    mbCols: MB_COLS,
    mbRows: MB_ROWS,
    level: new Uint8Array(n).map((_, i) => 10 + 7 * (i % 5)),
    skipInner: new Uint8Array(n).map((_, i) => (i % 3 === 0 ? 1 : 0)),
  };
}

const planes = (img: Image): Uint8Array[] => [img.y.data, img.u.data, img.v.data];

describe('loop filter by rows (RFC 6386 section 15)', () => {
  for (const simple of [false, true]) {
    it(`filters row after row exactly as the whole frame at once (${simple ? 'simple' : 'normal'} filter)`, () => {
      const whole = blockyPicture();
      const byRows = blockyPicture();
      const f = input(simple);
      loopFilterFrame(whole, f);
      for (let r = 0; r < MB_ROWS; r++) {
        const before = planes(byRows).map((d) => d.slice());
        loopFilterRows(byRows, f, r, r + 1);
        // What the decoder relies on: filtering a row leaves every sample
        // row below it alone, so the next rows can still be predicted from
        // unfiltered samples.
        const planeList = [byRows.y, byRows.u, byRows.v];
        planeList.forEach((p, i) => {
          const firstBelow = p.offset + (r + 1) * (p === byRows.y ? 16 : 8) * p.stride;
          expect(p.data.subarray(firstBelow)).toEqual(before[i].subarray(firstBelow));
        });
        expect(planes(byRows).some((d, i) => d.some((v, k) => v !== before[i][k]))).toBe(true);
      }
      expect(planes(byRows)).toEqual(planes(whole));
    });
  }
});
