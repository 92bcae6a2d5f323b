// Distributions of durations and factors, as a profile writes them
// (profile-types.ts): drawing from them, checking them, and fitting one to
// the median / 90th percentile / maximum that measurements usually report.

import { SimError } from './errors.js';
import type { Distribution } from './profile-types.js';
import type { Random } from './random.js';

/** z of the standard normal's 90th percentile. */
export const Z90 = 1.2815515655446004;

/** sigma of a lognormal with this median and 90th percentile. */
export function lognormalSigma(median: number, p90: number): number {
  return median > 0 && p90 > median ? Math.log(p90 / median) / Z90 : 0;
}

/** One draw from `d`, within its bounds. */
export function sample(d: Distribution, rng: Random): number {
  let v: number;
  switch (d.kind) {
    case 'constant':
      return d.value;
    case 'lognormal':
      v = d.median * Math.exp(lognormalSigma(d.median, d.p90) * rng.normal());
      break;
    case 'loguniform':
      return d.min * Math.exp(Math.log(d.max / d.min) * rng.uniform());
    case 'uniform':
      return rng.between(d.min, d.max);
    case 'empirical':
      v = d.values[rng.int(d.values.length)]!;
      break;
    case 'quantiles':
      v = quantilePoints(d.points, rng.uniform());
      break;
    case 'mixture': {
      let total = 0;
      for (const c of d.components) total += c.weight;
      let pick = rng.uniform() * total;
      let chosen = d.components[d.components.length - 1]!.distribution;
      for (const c of d.components) {
        if (pick < c.weight) {
          chosen = c.distribution;
          break;
        }
        pick -= c.weight;
      }
      v = sample(chosen, rng);
      break;
    }
  }
  if (d.min !== undefined && v < d.min) v = d.min;
  if (d.max !== undefined && v > d.max) v = d.max;
  return v;
}

/** The inverse of the standard normal distribution (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`a probability strictly between 0 and 1 is needed, got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const e = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number => (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((e[0]! * q + e[1]!) * q + e[2]!) * q + e[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * The value at probability `u` of [probability, value] points (a `quantiles`
 * distribution): log-linear between the two points around `u`.
 */
function quantilePoints(points: readonly (readonly [number, number])[], u: number): number {
  for (let i = 1; i < points.length; i++) {
    const [p1, v1] = points[i]!;
    if (u <= p1) {
      const [p0, v0] = points[i - 1]!;
      const t = p1 > p0 ? (u - p0) / (p1 - p0) : 1;
      return v0 * Math.exp(Math.log(v1 / v0) * t);
    }
  }
  return points[points.length - 1]![1];
}

/** The probability that a draw from `d` is at most `x` (its bounds ignored). */
export function cdf(d: Distribution, x: number): number {
  switch (d.kind) {
    case 'constant':
      return x >= d.value ? 1 : 0;
    case 'lognormal': {
      if (x <= 0) return 0;
      const sigma = lognormalSigma(d.median, d.p90);
      if (sigma === 0) return x >= d.median ? 1 : 0;
      return normalCdf(Math.log(x / d.median) / sigma);
    }
    case 'loguniform':
      return x <= d.min ? 0 : x >= d.max ? 1 : Math.log(x / d.min) / Math.log(d.max / d.min);
    case 'uniform':
      return x < d.min ? 0 : x >= d.max ? 1 : (x - d.min) / (d.max - d.min);
    case 'empirical':
      return d.values.filter((v) => v <= x).length / d.values.length;
    case 'quantiles': {
      const pts = d.points;
      if (x < pts[0]![1]) return 0;
      for (let i = 1; i < pts.length; i++) {
        const [p1, v1] = pts[i]!;
        if (x < v1) {
          const [p0, v0] = pts[i - 1]!;
          return p0 + ((p1 - p0) * Math.log(x / v0)) / Math.log(v1 / v0);
        }
      }
      return 1;
    }
    case 'mixture': {
      let total = 0;
      let sum = 0;
      for (const c of d.components) {
        total += c.weight;
        sum += c.weight * cdf(c.distribution, x);
      }
      return sum / total;
    }
  }
}

/** The standard normal distribution function (Abramowitz and Stegun 7.1.26 through erf; |error| < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * The q-quantile of `d`, within its bounds: in closed form, and for a
 * mixture by bisection on its distribution function.
 */
export function quantile(d: Distribution, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`a quantile needs q in [0, 1], got ${q}`);
  let v: number;
  switch (d.kind) {
    case 'constant':
      return d.value;
    case 'lognormal':
      v = q === 0 ? 0 : q === 1 ? Infinity : d.median * Math.exp(lognormalSigma(d.median, d.p90) * normalQuantile(q));
      break;
    case 'loguniform':
      return d.min * Math.exp(Math.log(d.max / d.min) * q);
    case 'uniform':
      return d.min + (d.max - d.min) * q;
    case 'empirical': {
      const sorted = [...d.values].sort((x, y) => x - y);
      v = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      break;
    }
    case 'quantiles':
      v = quantilePoints(d.points, q);
      break;
    case 'mixture': {
      // The mixture's q-quantile lies between its components' smallest and
      // largest q-quantiles (there every component's F is below / above q);
      // bisection on the mixture's F finds it.
      const p = Math.min(q, 1 - 1e-9);
      let lo = Infinity;
      let hi = 0;
      for (const c of d.components) {
        const x = quantile(c.distribution, p);
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
      for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
        const mid = (lo + hi) / 2;
        if (cdf(d, mid) < p) lo = mid;
        else hi = mid;
      }
      v = hi;
      break;
    }
  }
  if (d.min !== undefined) v = Math.max(d.min, v);
  if (d.max !== undefined) v = Math.min(d.max, v);
  return v;
}

/**
 * A model of a duration from what a measurement reports: its median, its 90th
 * percentile and its maximum over `samples` observations.
 *
 * The body is the lognormal through the median and the 90th percentile. Over
 * `samples` draws, that body's largest value is about its (1 - 1/samples)
 * quantile; when the observed maximum is well beyond it, the measurement had
 * stragglers the body cannot produce. They become a second component of
 * weight 1/samples (one straggler expected per `samples` draws), log-uniform
 * between the 90th percentile and the observed maximum. Nothing is fitted to
 * any end-to-end result: only the phase's own statistics go in.
 */
export function fitHeavyTail(m: { median: number; p90: number; max: number; samples: number; min?: number }): Distribution {
  const { median, p90, max, samples } = m;
  if (!(median > 0 && p90 >= median && max >= p90 && samples >= 2)) throw new RangeError(`fitHeavyTail needs 0 < median <= p90 <= max and samples >= 2, got ${JSON.stringify(m)}`);
  const body: Distribution = { kind: 'lognormal', median, p90 };
  const bodyMax = quantile(body, 1 - 1 / samples);
  const bounds = { ...(m.min !== undefined ? { min: m.min } : {}), max };
  if (max <= bodyMax * 1.05) return { ...body, ...bounds };
  return {
    kind: 'mixture',
    components: [
      { weight: samples - 1, distribution: body },
      { weight: 1, distribution: { kind: 'loguniform', min: p90, max } },
    ],
    ...bounds,
  };
}

/** Checks a distribution read from a profile; throws a SimError naming `path` and the bad field. */
export function validateDistribution(d: unknown, path: string, depth = 0): asserts d is Distribution {
  const bad = (field: string, why: string): never => {
    throw new SimError('bad-profile', `${path}${field ? `.${field}` : ''}: ${why}`);
  };
  if (typeof d !== 'object' || d === null || Array.isArray(d)) bad('', 'must be a distribution object ({"kind": ...})');
  const o = d as Record<string, unknown>;
  const num = (field: string, min = 0): number => {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) bad(field, `must be a finite number >= ${min}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const allow = (fields: string[]): void => {
    for (const k of Object.keys(o)) if (!fields.includes(k)) bad(k, `is not a field of a ${String(o.kind)} distribution`);
  };
  const bounds = (): void => {
    if (o.min !== undefined) num('min');
    if (o.max !== undefined) num('max');
    if (o.min !== undefined && o.max !== undefined && (o.min as number) > (o.max as number)) bad('min', `${String(o.min)} is above max ${String(o.max)}`);
  };
  switch (o.kind) {
    case 'constant':
      allow(['kind', 'value']);
      num('value');
      return;
    case 'lognormal': {
      allow(['kind', 'median', 'p90', 'min', 'max']);
      const median = num('median');
      if (median <= 0) bad('median', 'must be positive');
      if (num('p90') < median) bad('p90', `must be >= the median ${median}`);
      bounds();
      return;
    }
    case 'loguniform':
    case 'uniform': {
      allow(['kind', 'min', 'max']);
      const min = num('min');
      if (o.kind === 'loguniform' && min <= 0) bad('min', 'must be positive for a log-uniform distribution');
      if (num('max') < min) bad('max', `must be >= min ${min}`);
      return;
    }
    case 'empirical': {
      allow(['kind', 'values', 'min', 'max']);
      const values = o.values;
      if (!Array.isArray(values) || values.length === 0 || values.length > 100_000) bad('values', 'must be a list of 1 to 100,000 numbers');
      for (const [i, v] of (values as unknown[]).entries()) if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) bad(`values[${i}]`, `must be a finite number >= 0, got ${JSON.stringify(v)}`);
      bounds();
      return;
    }
    case 'quantiles': {
      allow(['kind', 'points', 'min', 'max']);
      const points = o.points;
      if (!Array.isArray(points) || points.length < 2 || points.length > 10_000) bad('points', 'must be a list of 2 to 10,000 [probability, value] points');
      let last: [number, number] = [-1, 0];
      for (const [i, pt] of (points as unknown[]).entries()) {
        if (!Array.isArray(pt) || pt.length !== 2 || pt.some((x) => typeof x !== 'number' || !Number.isFinite(x))) bad(`points[${i}]`, `must be [probability, value], got ${JSON.stringify(pt)}`);
        const [p, v] = pt as [number, number];
        if (!(p > last[0] && p <= 1)) bad(`points[${i}]`, `probabilities must rise strictly within [0, 1], got ${p} after ${last[0]}`);
        if (!(v > 0 && v >= last[1])) bad(`points[${i}]`, `values must be positive and never fall, got ${v} after ${last[1]}`);
        last = [p, v];
      }
      if ((points as [number, number][])[0]![0] !== 0 || last[0] !== 1) bad('points', 'must run from probability 0 (the minimum) to 1 (the maximum)');
      bounds();
      return;
    }
    case 'mixture': {
      allow(['kind', 'components', 'min', 'max']);
      if (depth > 4) bad('', 'mixtures nest too deep (at most 4 levels)');
      const components = o.components;
      if (!Array.isArray(components) || components.length === 0 || components.length > 64) bad('components', 'must be a list of 1 to 64 components');
      for (const [i, c] of (components as unknown[]).entries()) {
        const where = `components[${i}]`;
        if (typeof c !== 'object' || c === null) bad(where, 'must be {"weight": w, "distribution": {...}}');
        const { weight, distribution, ...rest } = c as Record<string, unknown>;
        if (Object.keys(rest).length > 0) bad(`${where}.${Object.keys(rest)[0]}`, 'is not a field of a mixture component');
        if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) bad(`${where}.weight`, `must be a positive number, got ${JSON.stringify(weight)}`);
        validateDistribution(distribution, `${path}.${where}.distribution`, depth + 1);
      }
      bounds();
      return;
    }
    default:
      bad('kind', `unknown distribution kind ${JSON.stringify(o.kind)} (constant, lognormal, loguniform, uniform, empirical, quantiles, mixture)`);
  }
}
