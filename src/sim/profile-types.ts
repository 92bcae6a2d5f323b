// The models a simulation draws durations from, as a JSON profile
// (docs/simulator.md). A profile is data and says where its numbers come
// from: `paper-sintel-4k` from the ExCamera paper's measurements, others from
// `excamera calibrate` runs of this project on a clip.

/**
 * A distribution of a non-negative quantity (seconds, a speed factor, ...).
 *  - constant: always `value`;
 *  - lognormal: median `median`, 90th percentile `p90` (p90 >= median);
 *  - loguniform: log-uniform between `min` and `max`;
 *  - uniform: uniform between `min` and `max`;
 *  - empirical: one of `values`, each equally likely;
 *  - mixture: one of `components`, chosen with probability proportional to `weight`.
 * Every kind may carry `min` / `max` bounds that samples are clamped to (a
 * measured minimum, or a time limit).
 */
export type Distribution =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'lognormal'; readonly median: number; readonly p90: number; readonly min?: number; readonly max?: number }
  | { readonly kind: 'loguniform'; readonly min: number; readonly max: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  | { readonly kind: 'empirical'; readonly values: readonly number[]; readonly min?: number; readonly max?: number }
  | { readonly kind: 'mixture'; readonly components: readonly { readonly weight: number; readonly distribution: Distribution }[]; readonly min?: number; readonly max?: number };

/**
 * The time of a compute phase: `perFrameMegapixel` seconds for each frame
 * and million pixels of the chunk (drawn once per phase), plus `fixed`
 * seconds. `cqLevelFactor` (optional) scales it by the chunk encoder's
 * quality level, piecewise-linearly between the given [cqLevel, factor]
 * points (constant beyond the ends).
 */
export interface ComputeModel {
  readonly perFrameMegapixel: Distribution;
  readonly fixed?: Distribution;
  readonly cqLevelFactor?: readonly (readonly [number, number])[];
  /**
   * The same phase measured at other quality levels, for a phase whose
   * spread, not only its median, changes with the level. A simulation at
   * level L draws from the measurement nearest to L (`perFrameMegapixel`
   * counts as measured at the profile's `video.cqLevel`), scaled by
   * cqLevelFactor(L) / cqLevelFactor(that level): exact at a measured level.
   */
  readonly measuredAt?: readonly { readonly cqLevel: number; readonly perFrameMegapixel: Distribution }[];
}

/** A transfer: `latency` seconds plus bytes / `bytesPerSecond`. */
export interface TransferModel {
  readonly latency: Distribution;
  readonly bytesPerSecond: number;
}

export interface Profile {
  /** Profile format version (1). */
  readonly version: 1;
  readonly name: string;
  /** Where the numbers come from, in a sentence or two. */
  readonly source: string;
  /** Per-field notes on how each model was derived. */
  readonly notes?: Readonly<Record<string, string>>;
  /** The clip the profile was measured on; simulate uses it unless told otherwise. */
  readonly video: {
    readonly width: number;
    readonly height: number;
    readonly frameRate: number;
    /** Frames in the clip (a simulation's default job length). */
    readonly frames?: number;
    /** The chunk encoder's quality level the compute models were measured at. */
    readonly cqLevel?: number;
  };
  readonly platform: {
    /** Invocation to connected (cold start, runtime start, TLS handshake). */
    readonly startLatency: Distribution;
    /** How long a refused (throttled) invocation takes to be refused. */
    readonly throttleLatency: Distribution;
    /** Concurrent workers the account allows; more invocations are refused (HTTP 429). */
    readonly concurrencyLimit: number;
    /** Billing: memory of a worker and prices. */
    readonly memoryGB: number;
    readonly pricePerGBSecond: number;
    readonly pricePerRequest: number;
    /** A worker is stopped by the platform after this long. */
    readonly timeLimitSeconds: number;
  };
  /** Object storage: raw chunk download and output upload. */
  readonly storage: { readonly get: TransferModel; readonly put: TransferModel };
  /** State transfer between workers through the rendezvous. */
  readonly rendezvous: TransferModel;
  /**
   * Bytes: a raw frame is packed I420, i420Size(W, H); a state crossing a chunk boundary is
   * `stateBytesPerPixel`·W·H (compressed); an output chunk is
   * `outputBitsPerPixel`·W·H/8 per frame.
   */
  readonly sizes: { readonly stateBytesPerPixel: number; readonly outputBitsPerPixel: number };
  readonly compute: {
    /** Phase 1: encode the chunk independently. */
    readonly encode: ComputeModel;
    /** Decode the independent chunk to its final state and serialize it. */
    readonly decode: ComputeModel;
    /** Phase 2: encode the first frame given the state, rebase the rest. */
    readonly givenState: ComputeModel;
    /** Phase 3: rebase the chunk onto the true state. */
    readonly rebase: ComputeModel;
  };
  /** Per-worker variation: every compute phase of a worker is multiplied by one `speed` draw. */
  readonly workers: { readonly speed: Distribution };
  /** Faults: each phase a worker carries out fails with `probabilityPerPhase`; `hangFraction` of failures hang instead of crashing. */
  readonly failures: { readonly probabilityPerPhase: number; readonly hangFraction: number };
}
