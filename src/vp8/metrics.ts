// Objective quality of a decoded picture against its source: PSNR and SSIM,
// computed on packed I420 frames (Y, then U, then V, as in Y4M).
//
// PSNR is 10·log10(255² / mean squared error), per plane and over all
// samples. SSIM (Wang, Bovik, Sheikh and Simoncelli, 2004) compares local
// means, variances and covariance in 8x8 windows placed every 4 samples, with
// C1 = (0.01·255)² and C2 = (0.03·255)², the arrangement libvpx's tools use;
// the frame's SSIM weights the planes 0.8 (Y), 0.1 (U), 0.1 (V). In dB, SSIM
// is −10·log10(1 − SSIM), the scale the ExCamera paper reports.

import { i420Layout } from './i420.js';

export interface PlaneQuality {
  readonly sse: number;
  readonly samples: number;
  /** Sum of the SSIM of every window, and the number of windows. */
  readonly ssimSum: number;
  readonly ssimWindows: number;
}

export interface FrameQuality {
  readonly y: PlaneQuality;
  readonly u: PlaneQuality;
  readonly v: PlaneQuality;
}

const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

/** SSE and SSIM of one plane of w×h samples at offsets `ao`, `bo` in packed frames. */
function planeQuality(a: Uint8Array, ao: number, b: Uint8Array, bo: number, w: number, h: number): PlaneQuality {
  let sse = 0;
  for (let i = 0; i < w * h; i++) {
    const d = a[ao + i] - b[bo + i];
    sse += d * d;
  }
  // Each 8x8 window is four 4x4 blocks, and each block belongs to up to four
  // windows: the sums of every block are taken once (one row of blocks at a
  // time, the previous row kept), and a window adds up its four. The sums are
  // integers, so the windows' values are exactly those of summing their 64
  // samples, and they are added up in the same order (rows of windows, left
  // to right).
  let ssimSum = 0;
  let windows = 0;
  const bw = w >> 2;
  if (h >= 8 && bw >= 2) {
    let prev = blockSums(bw, 0);
    let cur = blockSums(bw, 1);
    for (let by = 0; (by + 1) * 4 <= h; by++) {
      sumBlockRow(a, ao + by * 4 * w, b, bo + by * 4 * w, w, bw, cur);
      if (by > 0) {
        for (let bx = 0; bx + 1 < bw; bx++) {
          const i = 5 * bx;
          const j = i + 5;
          const sa = prev[i] + prev[j] + cur[i] + cur[j];
          const sb = prev[i + 1] + prev[j + 1] + cur[i + 1] + cur[j + 1];
          const saa = prev[i + 2] + prev[j + 2] + cur[i + 2] + cur[j + 2];
          const sbb = prev[i + 3] + prev[j + 3] + cur[i + 3] + cur[j + 3];
          const sab = prev[i + 4] + prev[j + 4] + cur[i + 4] + cur[j + 4];
          ssimSum += windowSsim(sa, sb, saa, sbb, sab, 64);
          windows++;
        }
      }
      const t = prev;
      prev = cur;
      cur = t;
    }
  }
  // Planes smaller than a window count as one window of their whole area.
  if (windows === 0) {
    const s5 = blockSums(1, 0);
    regionSums(a, ao, b, bo, w, w, h, s5, 0);
    ssimSum = windowSsim(s5[0], s5[1], s5[2], s5[3], s5[4], w * h);
    windows = 1;
  }
  return { sse, samples: w * h, ssimSum, ssimWindows: windows };
}

/** SSIM of a window of n samples from its sums of a, b, a², b² and ab. */
function windowSsim(sa: number, sb: number, saa: number, sbb: number, sab: number, n: number): number {
  const ma = sa / n;
  const mb = sb / n;
  const va = saa / n - ma * ma;
  const vb = sbb / n - mb * mb;
  const cov = sab / n - ma * mb;
  return ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
}

/** Two rows of block sums for planeQuality, grown as needed and reused. */
const blockSumRows: [Float64Array, Float64Array] = [new Float64Array(0), new Float64Array(0)];

function blockSums(bw: number, k: 0 | 1): Float64Array {
  if (blockSumRows[k].length < 5 * bw) blockSumRows[k] = new Float64Array(5 * bw);
  return blockSumRows[k];
}

/** The sums of a, b, a², b² and ab over each 4x4 block of the 4 rows at `ao`/`bo` (row stride w), block bx at out[5·bx ..]. */
function sumBlockRow(a: Uint8Array, ao: number, b: Uint8Array, bo: number, w: number, bw: number, out: Float64Array): void {
  for (let bx = 0; bx < bw; bx++) regionSums(a, ao + 4 * bx, b, bo + 4 * bx, w, 4, 4, out, 5 * bx);
}

/** The sums of a, b, a², b² and ab over a w×h region (row stride `stride`), into out[o .. o + 4]. */
function regionSums(a: Uint8Array, ao: number, b: Uint8Array, bo: number, stride: number, w: number, h: number, out: Float64Array, o: number): void {
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let r = 0; r < h; r++) {
    const pa = ao + r * stride;
    const pb = bo + r * stride;
    for (let c = 0; c < w; c++) {
      const va = a[pa + c];
      const vb = b[pb + c];
      sa += va;
      sb += vb;
      saa += va * va;
      sbb += vb * vb;
      sab += va * vb;
    }
  }
  out[o] = sa;
  out[o + 1] = sb;
  out[o + 2] = saa;
  out[o + 3] = sbb;
  out[o + 4] = sab;
}

/** Quality of packed I420 frame `b` against `a`, both `width`×`height`. */
export function frameQuality(a: Uint8Array, b: Uint8Array, width: number, height: number): FrameQuality {
  const l = i420Layout(width, height);
  return {
    y: planeQuality(a, 0, b, 0, width, height),
    u: planeQuality(a, l.uOffset, b, l.uOffset, l.chromaWidth, l.chromaHeight),
    v: planeQuality(a, l.vOffset, b, l.vOffset, l.chromaWidth, l.chromaHeight),
  };
}

/** Accumulates frame qualities into the figures a report gives. */
/** PSNR in dB of `samples` 8-bit samples with total squared error `sse` (100 for a perfect match, and at most 100). */
export function psnr(sse: number, samples: number): number {
  return sse === 0 ? 100 : Math.min(100, 10 * Math.log10((255 * 255 * samples) / sse));
}

export class QualityTotals {
  private readonly sse = [0, 0, 0];
  private readonly samples = [0, 0, 0];
  private readonly ssimSums = [0, 0, 0];
  private frames = 0;

  add(q: FrameQuality): void {
    [q.y, q.u, q.v].forEach((p, i) => {
      this.sse[i] += p.sse;
      this.samples[i] += p.samples;
      this.ssimSums[i] += p.ssimSum / p.ssimWindows;
    });
    this.frames++;
  }

  get count(): number {
    return this.frames;
  }

  /** PSNR in dB of Y, U, V and of all samples together (from the total squared error). */
  psnr(): { y: number; u: number; v: number; all: number } {
    const p = psnr;
    const total = this.sse[0] + this.sse[1] + this.sse[2];
    const n = this.samples[0] + this.samples[1] + this.samples[2];
    return { y: p(this.sse[0], this.samples[0]), u: p(this.sse[1], this.samples[1]), v: p(this.sse[2], this.samples[2]), all: p(total, n) };
  }

  /** Mean SSIM per plane and the 0.8/0.1/0.1 combination, each also in dB. */
  ssim(): { y: number; u: number; v: number; all: number; yDb: number; allDb: number } {
    const f = Math.max(1, this.frames);
    const y = this.ssimSums[0] / f;
    const u = this.ssimSums[1] / f;
    const v = this.ssimSums[2] / f;
    const all = 0.8 * y + 0.1 * (u + v);
    return { y, u, v, all, yDb: ssimDb(y), allDb: ssimDb(all) };
  }
}

/** SSIM on the dB scale: −10·log10(1 − SSIM). */
export function ssimDb(ssim: number): number {
  return ssim >= 1 ? 100 : -10 * Math.log10(1 - ssim);
}
