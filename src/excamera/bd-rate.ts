// Bjøntegaard delta rate (VCEG-M33): how much more (or less, if negative) rate
// one encoder needs than another for the same quality, averaged over the
// quality range both curves cover. Each curve's log-rate is fitted as a cubic
// in quality and the fits are integrated over the common range.

export interface RdPoint {
  /** Bits per second (any unit, the same for both curves). */
  readonly rate: number;
  /** Quality in dB (PSNR, or SSIM on the dB scale). */
  readonly quality: number;
}

/** Least-squares polynomial fit of degree `d`: coefficients c0 + c1·x + ... */
function polyfit(xs: readonly number[], ys: readonly number[], d: number): number[] {
  const n = d + 1;
  // Normal equations A c = b with A[i][j] = Σ x^(i+j), b[i] = Σ y·x^i.
  const a = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  for (let k = 0; k < xs.length; k++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) a[i][j] += xs[k] ** (i + j);
      a[i][n] += ys[k] * xs[k] ** i;
    }
  }
  // Gaussian elimination with partial pivoting.
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let c = col; c <= n; c++) a[r][c] -= f * a[col][c];
    }
  }
  return a.map((row, i) => row[n] / row[i]);
}

function integral(c: readonly number[], lo: number, hi: number): number {
  let s = 0;
  c.forEach((ci, i) => {
    s += (ci / (i + 1)) * (hi ** (i + 1) - lo ** (i + 1));
  });
  return s;
}

/**
 * BD-rate of `test` against `anchor`, in percent (positive: `test` needs more
 * bits). Needs at least 4 points per curve; null when the quality ranges do
 * not overlap.
 */
export function bdRate(anchor: readonly RdPoint[], test: readonly RdPoint[]): number | null {
  if (anchor.length < 4 || test.length < 4) return null;
  const fit = (pts: readonly RdPoint[]): number[] => polyfit(pts.map((p) => p.quality), pts.map((p) => Math.log(p.rate)), 3);
  const lo = Math.max(Math.min(...anchor.map((p) => p.quality)), Math.min(...test.map((p) => p.quality)));
  const hi = Math.min(Math.max(...anchor.map((p) => p.quality)), Math.max(...test.map((p) => p.quality)));
  if (!(hi > lo)) return null;
  const avgA = integral(fit(anchor), lo, hi) / (hi - lo);
  const avgT = integral(fit(test), lo, hi) / (hi - lo);
  return (Math.exp(avgT - avgA) - 1) * 100;
}
