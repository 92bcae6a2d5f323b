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
  let ssimSum = 0;
  let windows = 0;
  for (let y = 0; y + 8 <= h; y += 4) {
    for (let x = 0; x + 8 <= w; x += 4) {
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (let r = 0; r < 8; r++) {
        const pa = ao + (y + r) * w + x;
        const pb = bo + (y + r) * w + x;
        for (let c = 0; c < 8; c++) {
          const va = a[pa + c];
          const vb = b[pb + c];
          sa += va;
          sb += vb;
          saa += va * va;
          sbb += vb * vb;
          sab += va * vb;
        }
      }
      const n = 64;
      const ma = sa / n;
      const mb = sb / n;
      const va = saa / n - ma * ma;
      const vb = sbb / n - mb * mb;
      const cov = sab / n - ma * mb;
      ssimSum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      windows++;
    }
  }
  // Planes smaller than a window count as one window of their whole area.
  if (windows === 0) {
    const n = w * h;
    let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (let i = 0; i < n; i++) {
      const va = a[ao + i];
      const vb = b[bo + i];
      sa += va;
      sb += vb;
      saa += va * va;
      sbb += vb * vb;
      sab += va * vb;
    }
    const ma = sa / n, mb = sb / n;
    const va = saa / n - ma * ma, vb = sbb / n - mb * mb, cov = sab / n - ma * mb;
    ssimSum = ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
    windows = 1;
  }
  return { sse, samples: w * h, ssimSum, ssimWindows: windows };
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
    const p = (sse: number, n: number): number => (sse === 0 ? 100 : Math.min(100, 10 * Math.log10((255 * 255 * n) / sse)));
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
