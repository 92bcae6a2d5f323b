// A job's settings for the simulator: the ExCamera layer's, with its
// defaults (src/excamera/schedule.ts), under the names the simulator's
// callers have always used.

export { DEFAULT_MAX_ATTEMPTS, DEFAULT_PHASE_TIMEOUT_SECONDS, DEFAULT_SPARE_FRACTION, jobConfig, type JobOptions } from '../excamera/schedule.js';
