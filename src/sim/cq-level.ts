// The chunk encoder's speed at a quality level: a profile measures encode
// times at one or more CQ levels (profile-types.ts, ComputeModel), and a job
// at another level draws from the nearest measurement, scaled.

import type { ComputeModel, Distribution } from './profile-types.js';

/** The encode-time factor for a CQ level: piecewise linear between the model's points. */
export function cqLevelFactor(model: ComputeModel, cqLevel: number | undefined): number {
  const points = model.cqLevelFactor;
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

/**
 * The encode model a job at `cqLevel` draws from: the measurement nearest to
 * that level (the base distribution counts as measured at `profileCqLevel`),
 * and the cqLevelFactor ratio that carries it from there to `cqLevel` (1 at
 * a measured level).
 */
export function encodeAtCqLevel(model: ComputeModel, cqLevel: number | undefined, profileCqLevel: number | undefined): { model: ComputeModel; factor: number } {
  if (cqLevel === undefined || model.measuredAt === undefined || model.measuredAt.length === 0) return { model, factor: cqLevelFactor(model, cqLevel) };
  let best: { cqLevel: number | undefined; perFrameMegapixel: Distribution } = { cqLevel: profileCqLevel, perFrameMegapixel: model.perFrameMegapixel };
  let distance = profileCqLevel === undefined ? Infinity : Math.abs(profileCqLevel - cqLevel);
  for (const m of model.measuredAt) {
    const d = Math.abs(m.cqLevel - cqLevel);
    if (d < distance) {
      best = m;
      distance = d;
    }
  }
  const factor = cqLevelFactor(model, cqLevel) / cqLevelFactor(model, best.cqLevel);
  return { model: { ...model, perFrameMegapixel: best.perFrameMegapixel }, factor };
}
