// A job's settings with the defaults the simulator, the calibration and the
// command line share: one worker per chunk, 50% spares (as the paper ran),
// a standby pool of about 1% of the chunks kept to replace failed workers.

import type { JobConfig } from '../excamera/coordinator/types.js';

export interface JobOptions {
  readonly frames: number;
  readonly framesPerChunk: number;
  readonly chunksPerBatch: number;
  readonly workers?: number;
  readonly spares?: number;
  readonly standby?: number;
  readonly seed?: number;
  readonly phaseTimeoutSeconds?: number;
  readonly maxAttemptsPerChunk?: number;
}

export const DEFAULT_SPARE_FRACTION = 0.5;
export const DEFAULT_PHASE_TIMEOUT_SECONDS = 120;
export const DEFAULT_MAX_ATTEMPTS = 3;

export function jobConfig(o: JobOptions): JobConfig {
  const chunks = Math.ceil(o.frames / o.framesPerChunk);
  const workers = o.workers ?? chunks;
  const spares = o.spares ?? Math.ceil(DEFAULT_SPARE_FRACTION * workers);
  return {
    frames: o.frames,
    framesPerChunk: o.framesPerChunk,
    chunksPerBatch: o.chunksPerBatch,
    workers,
    spares,
    standby: o.standby ?? Math.min(spares, Math.max(1, Math.ceil(chunks / 100))),
    phaseTimeoutSeconds: o.phaseTimeoutSeconds ?? DEFAULT_PHASE_TIMEOUT_SECONDS,
    maxAttemptsPerChunk: o.maxAttemptsPerChunk ?? DEFAULT_MAX_ATTEMPTS,
    maxInvokeRetries: 8,
    invokeBackoffBaseSeconds: 0.25,
    invokeBackoffCapSeconds: 8,
    seed: o.seed ?? 1,
  };
}
