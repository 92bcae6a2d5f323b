// The chunk encoder's quality level in the compute models (profile-types.ts,
// ComputeModel): a phase measured at two levels is interpolated between them,
// quantile by quantile, so a prediction moves smoothly from one measurement
// to the next instead of jumping at the midpoint; beyond the measured levels
// the nearest measurement is scaled by the model's CQ factors.

import { quantile, sample } from './distribution.js';
import type { ComputeModel, ContentProfile, Distribution } from './profile-types.js';
import type { Random } from './random.js';

/** A factor at a quality level: piecewise linear between [cqLevel, factor] points, constant beyond the ends; 1 without points or level. */
export function levelFactor(points: readonly (readonly [number, number])[] | undefined, cqLevel: number | undefined): number {
  if (points === undefined || points.length === 0 || cqLevel === undefined) return 1;
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  if (cqLevel <= sorted[0]![0]) return sorted[0]![1];
  for (let i = 1; i < sorted.length; i++) {
    const [x0, y0] = sorted[i - 1]!;
    const [x1, y1] = sorted[i]!;
    if (cqLevel <= x1) return y0 + ((y1 - y0) * (cqLevel - x0)) / (x1 - x0);
  }
  return sorted[sorted.length - 1]![1];
}

/** The encode-time factor of a model at a quality level (its cqLevelFactor). */
export function cqLevelFactor(model: ComputeModel, cqLevel: number | undefined): number {
  return levelFactor(model.cqLevelFactor, cqLevel);
}

/**
 * Where a level falls among measurements: the two around it and how far it
 * is from the lower one (t in [0, 1]), or the nearest one alone (t = 0,
 * `upper` null) at or beyond the ends.
 */
interface Bracket<T> {
  readonly lower: { readonly cqLevel: number | undefined; readonly value: T };
  readonly upper: { readonly cqLevel: number; readonly value: T } | null;
  readonly t: number;
}

function bracket<T>(measured: readonly { cqLevel: number | undefined; value: T }[], cqLevel: number | undefined): Bracket<T> {
  const known = measured.filter((m): m is { cqLevel: number; value: T } => m.cqLevel !== undefined).sort((a, b) => a.cqLevel - b.cqLevel);
  if (cqLevel === undefined || known.length === 0) return { lower: measured[0]!, upper: null, t: 0 };
  if (cqLevel <= known[0]!.cqLevel) return { lower: known[0]!, upper: null, t: 0 };
  for (let i = 1; i < known.length; i++) {
    const hi = known[i]!;
    if (cqLevel <= hi.cqLevel) {
      const lo = known[i - 1]!;
      return cqLevel === hi.cqLevel ? { lower: hi, upper: null, t: 0 } : { lower: lo, upper: hi, t: (cqLevel - lo.cqLevel) / (hi.cqLevel - lo.cqLevel) };
    }
  }
  return { lower: known[known.length - 1]!, upper: null, t: 0 };
}

/** Geometric interpolation: a at t = 0, b at t = 1. */
function between(a: number, b: number, t: number): number {
  return t === 0 ? a : a * Math.exp(Math.log(b / a) * t);
}

/** A compute model resolved at one quality level: what the engine draws from. */
export interface ModelAtLevel {
  /** Seconds per frame and million pixels: one draw, quality factors included. */
  perFrameMegapixel(r: Random): number;
  /** The first frame's weight, in frames, at this level. */
  readonly firstFrameWeight: number;
}

/**
 * `model` at quality level `cqLevel` (undefined: the profile's own level,
 * `profileCqLevel`, at which `perFrameMegapixel` counts as measured).
 */
export function modelAtCqLevel(model: ComputeModel, cqLevel: number | undefined, profileCqLevel: number | undefined): ModelAtLevel {
  const level = cqLevel ?? profileCqLevel;
  const firstFrameWeight = (model.firstFrameWeight ?? 1) * (levelFactor(model.firstFrameCqLevelFactor, level) / levelFactor(model.firstFrameCqLevelFactor, profileCqLevel));
  if (model.measuredAt === undefined || model.measuredAt.length === 0 || level === undefined) {
    const factor = levelFactor(model.cqLevelFactor, level) / levelFactor(model.cqLevelFactor, profileCqLevel);
    return { perFrameMegapixel: (r) => sample(model.perFrameMegapixel, r) * factor, firstFrameWeight };
  }
  const measured: { cqLevel: number | undefined; value: Distribution }[] = [
    { cqLevel: profileCqLevel, value: model.perFrameMegapixel },
    ...model.measuredAt.map((m) => ({ cqLevel: m.cqLevel, value: m.perFrameMegapixel })),
  ];
  const b = bracket(measured, level);
  if (b.upper === null) {
    // At a measured level, or beyond the ends: the nearest, carried by the factors.
    const factor = levelFactor(model.cqLevelFactor, level) / levelFactor(model.cqLevelFactor, b.lower.cqLevel);
    const d = b.lower.value;
    return { perFrameMegapixel: (r) => sample(d, r) * factor, firstFrameWeight };
  }
  const lower = b.lower.value;
  const upper = b.upper.value;
  const t = b.t;
  return {
    perFrameMegapixel: (r) => {
      // The same quantile of both measurements, so that a slow draw at one
      // level is a slow draw at the other.
      const u = Math.min(1 - 1e-12, Math.max(1e-12, r.uniform()));
      return between(quantile(lower, u), quantile(upper, u), t);
    },
    firstFrameWeight,
  };
}

/**
 * The clip's content factors at a quality level for one phase, per
 * `framesPerValue` frames (ContentProfile), or null when the phase follows
 * none.
 */
export function contentAtCqLevel(content: ContentProfile | undefined, phase: 'encode' | 'rebase' | 'givenState' | undefined, cqLevel: number | undefined): Float64Array | null {
  if (content === undefined || phase === undefined) return null;
  if (phase === 'rebase') return Float64Array.from(content.rebase);
  if (phase === 'givenState') return content.givenState === undefined ? null : Float64Array.from(content.givenState);
  const b = bracket(content.encode.map((m) => ({ cqLevel: m.cqLevel, value: m.values })), cqLevel);
  const lo = b.lower.value;
  const hi = b.upper?.value ?? lo;
  return Float64Array.from(lo, (v, i) => between(v, hi[i]!, b.t));
}
