// PSNR and SSIM of a picture against its source (metrics.ts), checked against
// the formulas on pictures whose figures are known in closed form:
//  - identical pictures: SSIM 1 (100 dB), PSNR capped at 100 dB;
//  - a picture shifted by a constant d: per window, SSIM is
//    (2·μa·μb + C1) / (μa² + μb² + C1) (the contrast and structure terms are
//    1), and PSNR is 10·log10(255² / d²);
//  - 8x8 windows every 4 samples, and a plane smaller than one window (a
//    small picture's chroma, or a small picture) counts as one window of its
//    whole area.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameQuality, QualityTotals, ssimDb } from '../../src/vp8/metrics.js';

const C1 = (0.01 * 255) ** 2;

/** A packed I420 picture whose samples are `f(plane, i)`. */
function picture(width: number, height: number, f: (plane: number, i: number) => number): Uint8Array {
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const sizes = [width * height, cw * ch, cw * ch];
  return Uint8Array.from(sizes.flatMap((n, plane) => Array.from({ length: n }, (_, i) => f(plane, i))));
}

/** A textured picture: every window has some variance. */
const textured = (width: number, height: number): Uint8Array => picture(width, height, (p, i) => 60 + ((i * 37 + p * 11) % 101));

describe('frameQuality and QualityTotals', () => {
  it('counts the 8x8 windows every 4 samples, and a plane smaller than a window as one', () => {
    for (const [w, h, yWindows, cWindows] of [[16, 16, 9, 1], [20, 8, 4, 1], [6, 30, 1, 1], [4, 4, 1, 1], [32, 24, 35, 6]] as const) {
      const a = textured(w, h);
      const q = frameQuality(a, a, w, h);
      expect([q.y.ssimWindows, q.u.ssimWindows, q.v.ssimWindows], `${w}x${h}`).toEqual([yWindows, cWindows, cWindows]);
      expect(q.y.samples).toBe(w * h);
      expect(q.u.samples).toBe(((w + 1) >> 1) * ((h + 1) >> 1));
    }
  });

  it('identical pictures: SSIM 1, which is 100 dB, and PSNR 100 dB', () => {
    for (const [w, h] of [[4, 4], [6, 10], [16, 16]] as const) {
      const a = textured(w, h);
      const totals = new QualityTotals();
      totals.add(frameQuality(a, a, w, h));
      const ssim = totals.ssim();
      for (const v of [ssim.y, ssim.u, ssim.v, ssim.all]) expect(v).toBeCloseTo(1, 12);
      expect(ssim.yDb).toBe(100);
      expect(totals.psnr()).toEqual({ y: 100, u: 100, v: 100, all: 100 });
    }
  });

  it('a picture shifted by a constant: the closed-form SSIM and PSNR, in whole-plane and windowed planes', () => {
    const d = 9;
    for (const [w, h] of [[4, 4], [6, 12], [16, 16]] as const) {
      const a = textured(w, h);
      const b = a.map((v) => v + d);
      const q = frameQuality(a, b, w, h);
      for (const [plane, p] of [[0, q.y], [1, q.u]] as const) {
        // The mean of each window of plane `plane` of `a`, and the SSIM the formula gives it.
        const pw = plane === 0 ? w : (w + 1) >> 1;
        const ph = plane === 0 ? h : (h + 1) >> 1;
        const offset = plane === 0 ? 0 : w * h;
        const means: number[] = [];
        if (pw < 8 || ph < 8) means.push(a.subarray(offset, offset + pw * ph).reduce((s, v) => s + v, 0) / (pw * ph));
        for (let y = 0; y + 8 <= ph; y += 4) {
          for (let x = 0; x + 8 <= pw; x += 4) {
            let s = 0;
            for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) s += a[offset + (y + r) * pw + x + c]!;
            means.push(s / 64);
          }
        }
        const expected = means.reduce((s, m) => s + (2 * m * (m + d) + C1) / (m * m + (m + d) ** 2 + C1), 0);
        expect(p.ssimWindows, `${w}x${h} plane ${plane}`).toBe(means.length);
        expect(p.ssimSum, `${w}x${h} plane ${plane}`).toBeCloseTo(expected, 9);
        expect(p.sse).toBe(d * d * pw * ph);
      }
      const totals = new QualityTotals();
      totals.add(q);
      expect(totals.psnr().all).toBeCloseTo(10 * Math.log10((255 * 255) / (d * d)), 9);
      expect(totals.ssim().y).toBeLessThan(1);
    }
  });

  it('averages SSIM over frames and pools the squared error of all of them for PSNR', () => {
    const w = 16;
    const h = 16;
    const a = textured(w, h);
    const totals = new QualityTotals();
    totals.add(frameQuality(a, a, w, h));
    totals.add(frameQuality(a, a.map((v) => v + 4), w, h));
    expect(totals.count).toBe(2);
    const second = new QualityTotals();
    second.add(frameQuality(a, a.map((v) => v + 4), w, h));
    expect(totals.ssim().y).toBeCloseTo((1 + second.ssim().y) / 2, 12);
    // Half the samples off by 4: MSE 8.
    expect(totals.psnr().all).toBeCloseTo(10 * Math.log10((255 * 255) / 8), 9);
  });
});

describe('ssimDb', () => {
  it('is −10·log10(1 − SSIM), and 100 dB for a perfect match', () => {
    expect(ssimDb(0.9)).toBeCloseTo(10, 12);
    expect(ssimDb(0.99)).toBeCloseTo(20, 12);
    expect(ssimDb(1)).toBe(100);
    expect(ssimDb(1.0000001)).toBe(100);
  });

  it('gives, bit for bit, the SSIM of summing every window\'s 64 samples, in rows of windows', () => {
    // The definition, written out: planeQuality gets its windows' sums from
    // 4x4 blocks, which must change neither a value nor the order of the sum.
    const C2 = (0.03 * 255) ** 2;
    const direct = (a: Uint8Array, b: Uint8Array, w: number, h: number): number => {
      let sum = 0;
      for (let y = 0; y + 8 <= h; y += 4) {
        for (let x = 0; x + 8 <= w; x += 4) {
          let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
          for (let i = 0; i < 64; i++) {
            const va = a[(y + (i >> 3)) * w + x + (i & 7)], vb = b[(y + (i >> 3)) * w + x + (i & 7)];
            sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
          }
          const ma = sa / 64, mb = sb / 64;
          const va = saa / 64 - ma * ma, vb = sbb / 64 - mb * mb, cov = sab / 64 - ma * mb;
          sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        }
      }
      return sum;
    };
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 40 }), fc.integer({ min: 8, max: 40 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 64 }), (w, h, seed, noise) => {
        let r = seed;
        const next = (): number => (r = (Math.imul(r, 1103515245) + 12345) >>> 0) >>> 24;
        const a = picture(w, h, () => next());
        const b = a.map((v) => Math.max(0, Math.min(255, v + (next() % (noise + 1)) - (noise >> 1))));
        expect(frameQuality(a, b, w, h).y.ssimSum).toBe(direct(a, b, w, h));
      }),
      { numRuns: 200 },
    );
  });
});
