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
 *  - quantiles: a measured distribution as [probability, value] points from
 *    [0, min] to [1, max]; between two points the value is interpolated
 *    log-linearly in the probability (values must be positive);
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
  | { readonly kind: 'quantiles'; readonly points: readonly (readonly [number, number])[]; readonly min?: number; readonly max?: number }
  | { readonly kind: 'mixture'; readonly components: readonly { readonly weight: number; readonly distribution: Distribution }[]; readonly min?: number; readonly max?: number };

/**
 * The time of a compute phase for a chunk of `frames` frames:
 *
 *   draw × megapixels × (firstFrameWeight × firstFrameCqLevelFactor(L) + frames − 1)
 *        × cqLevelFactor(L) × content + fixed
 *
 * where `draw` is one draw of `perFrameMegapixel` per phase (seconds per
 * frame and million pixels), L the chunk encoder's quality level and
 * `content` the clip's cost over the chunk's frames (Profile.video.content,
 * when this phase names one).
 *
 * The quality level enters in two ways. `measuredAt` holds the phase measured
 * at other levels (its spread, not only its median, may change with the
 * level; `perFrameMegapixel` counts as measured at the profile's
 * `video.cqLevel`): between two measured levels a draw takes the same
 * quantile of both and interpolates geometrically, so the prediction moves
 * smoothly from one measurement to the next; beyond the measured levels the
 * nearest one is scaled by cqLevelFactor(L) / cqLevelFactor(that level).
 * Without `measuredAt`, `cqLevelFactor` (piecewise linear between the given
 * [cqLevel, factor] points, constant beyond the ends) scales the draw.
 */
export interface ComputeModel {
  readonly perFrameMegapixel: Distribution;
  readonly fixed?: Distribution;
  readonly cqLevelFactor?: readonly (readonly [number, number])[];
  readonly measuredAt?: readonly { readonly cqLevel: number; readonly perFrameMegapixel: Distribution }[];
  /**
   * What the chunk's first frame costs, in frames (default 1): a key frame
   * for the encode, the frame coded against the given state for
   * encode-given-state, whose other frames are rebased.
   */
  readonly firstFrameWeight?: number;
  /** Scales the first frame's weight by quality level, as cqLevelFactor does the whole (given-state: its first frame is an encode). */
  readonly firstFrameCqLevelFactor?: readonly (readonly [number, number])[];
  /** Which of the clip's content profiles scales this phase (Profile.video.content). */
  readonly content?: 'encode' | 'rebase' | 'givenState';
  /**
   * Encode-given-state only: the part of it that needs no state, in seconds
   * per megapixel per chunk (whatever its frames; times the chunk's content
   * when the model follows one), which a worker begins as soon as its last
   * command ends, while it waits for the state; the rest of the model is
   * what remains once the state is there.
   */
  readonly prepare?: Distribution;
}

/**
 * How costly each stretch of a clip is to code, relative to its median
 * stretch: one value per `framesPerValue` frames, measured per phase (the
 * same chunk of a film is slow or fast to encode in every run). A chunk's
 * factor is the mean over its frames; a job longer than the profile wraps
 * around. `encode` may hold several quality levels: between two, each value
 * is interpolated geometrically, as for ComputeModel.measuredAt.
 */
export interface ContentProfile {
  readonly framesPerValue: number;
  readonly encode: readonly { readonly cqLevel: number; readonly values: readonly number[] }[];
  readonly rebase: readonly number[];
  /** Encode-given-state, where measured (its first frame is coded against the state, so it need not follow the encode). */
  readonly givenState?: readonly number[];
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
    /** How costly each stretch of this clip is to code (the compute models name the profile they follow). */
    readonly content?: ContentProfile;
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
    /**
     * A whole-run event: with `probabilityPerRun`, one of `bursts` happens —
     * that `fraction` of the job's first invocations connects late, each at a
     * time uniform in [from, to] seconds instead of its start latency.
     */
    readonly lateStarts?: { readonly probabilityPerRun: number; readonly bursts: readonly { readonly fraction: number; readonly from: number; readonly to: number }[] };
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
  /**
   * Per-worker variation: every compute phase of a worker is multiplied by one
   * `speed` draw. `slow` adds workers that are slow in every phase: a run
   * takes one of `runRates` (as measured run by run), and each of its workers
   * is slow with that probability, its speed then drawn from `speeds`. With
   * `startQuantiles`, a slow worker of the job's first invocations connects
   * at one of these quantiles of the start latency (slow workers were the
   * early ones to connect, so they took the first chunks of batches).
   */
  readonly workers: {
    readonly speed: Distribution;
    readonly slow?: { readonly runRates: readonly number[]; readonly speeds: Distribution; readonly startQuantiles?: readonly number[] };
  };
  /** Faults: each phase a worker carries out fails with `probabilityPerPhase`; `hangFraction` of failures hang instead of crashing. */
  readonly failures: { readonly probabilityPerPhase: number; readonly hangFraction: number };
}
