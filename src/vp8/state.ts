// RFC 6386 sections 9.3, 9.4, 9.7-9.11 and 13.4: what a decoder remembers
// between frames, as an immutable value (docs/architecture.md, "The state contract").
//
// `DecoderState` holds everything that survives a frame and nothing else: the
// frame size, the probability tables that persist (coefficients, motion
// vectors, inter-frame luma and chroma modes), segmentation feature values and
// the per-macroblock segment map, the loop-filter reference and mode deltas,
// and the three reference frames. Values used by one frame only (sign biases,
// prob_skip_false, quantizer indices, the probabilities of a frame with
// refresh_entropy_probs = 0) are not part of it.
//
// States are never modified after they are returned. Typed arrays cannot be
// frozen in JavaScript, so this is a promise of the code, checked by tests:
// every change produces new arrays, and what does not change is shared (a
// frame that does not refresh a reference shares the previous image object).

import { createHash } from 'node:crypto';
import { type Image, imagesEqual } from './image.js';
import {
  DEFAULT_COEFF_PROBS, DEFAULT_MV_PROBS, DEFAULT_UV_MODE_PROBS, DEFAULT_YMODE_PROBS,
} from './tables.js';

/** Probabilities that persist from frame to frame (sections 13.4, 16.1, 17.2). */
export interface EntropyProbs {
  /** 4 × 8 × 3 × 11 coefficient probabilities (layout of DEFAULT_COEFF_PROBS). */
  readonly coeff: Uint8Array;
  /** 2 × 19 motion vector probabilities, row component first. */
  readonly mv: Uint8Array;
  /** Inter-frame luma mode probabilities. */
  readonly yMode: Uint8Array;
  /** Inter-frame chroma mode probabilities. */
  readonly uvMode: Uint8Array;
}

/** Segment feature values (section 9.3), kept until updated or reset by a key frame. */
export interface SegmentFeatures {
  /** True: the values replace the frame's; false: they are added to them. */
  readonly absolute: boolean;
  /** Quantizer index value per segment. */
  readonly quantizer: Int8Array;
  /** Loop filter level value per segment. */
  readonly loopFilter: Int8Array;
}

export interface DecoderState {
  /** Visible size; 0 × 0 until the first key frame. */
  readonly width: number;
  readonly height: number;
  readonly probs: EntropyProbs;
  readonly segmentFeatures: SegmentFeatures;
  /** Segment id of each macroblock, in raster order (empty before the first key frame). */
  readonly segmentMap: Uint8Array;
  /** Loop filter deltas per reference frame: intra, last, golden, altref (section 9.4). */
  readonly refLfDeltas: Int8Array;
  /** Loop filter deltas per mode class: B_PRED, ZEROMV, other MV modes, SPLITMV (section 9.4). */
  readonly modeLfDeltas: Int8Array;
  readonly last: Image | null;
  readonly golden: Image | null;
  readonly altref: Image | null;
}

/** The probabilities a key frame resets to. */
export const DEFAULT_PROBS: EntropyProbs = {
  coeff: DEFAULT_COEFF_PROBS,
  mv: DEFAULT_MV_PROBS,
  yMode: DEFAULT_YMODE_PROBS,
  uvMode: DEFAULT_UV_MODE_PROBS,
};

/** Segment features after a key frame: delta mode, all zero. */
export const NO_SEGMENT_FEATURES: SegmentFeatures = {
  absolute: false,
  quantizer: new Int8Array(4),
  loopFilter: new Int8Array(4),
};

/** The state of a decoder that has seen no frame: it accepts only a key frame. */
export function createDecoderState(): DecoderState {
  return {
    width: 0,
    height: 0,
    probs: DEFAULT_PROBS,
    segmentFeatures: NO_SEGMENT_FEATURES,
    segmentMap: new Uint8Array(0),
    refLfDeltas: new Int8Array(4),
    modeLfDeltas: new Int8Array(4),
    last: null,
    golden: null,
    altref: null,
  };
}

function bytesEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function refsEqual(a: Image | null, b: Image | null): boolean {
  if (a === null || b === null) return a === b;
  return imagesEqual(a, b);
}

/** True when two states would decode every future frame identically. */
export function stateEquals(a: DecoderState, b: DecoderState): boolean {
  if (a === b) return true;
  return (
    a.width === b.width &&
    a.height === b.height &&
    bytesEqual(a.probs.coeff, b.probs.coeff) &&
    bytesEqual(a.probs.mv, b.probs.mv) &&
    bytesEqual(a.probs.yMode, b.probs.yMode) &&
    bytesEqual(a.probs.uvMode, b.probs.uvMode) &&
    a.segmentFeatures.absolute === b.segmentFeatures.absolute &&
    bytesEqual(a.segmentFeatures.quantizer, b.segmentFeatures.quantizer) &&
    bytesEqual(a.segmentFeatures.loopFilter, b.segmentFeatures.loopFilter) &&
    bytesEqual(a.segmentMap, b.segmentMap) &&
    bytesEqual(a.refLfDeltas, b.refLfDeltas) &&
    bytesEqual(a.modeLfDeltas, b.modeLfDeltas) &&
    refsEqual(a.last, b.last) &&
    refsEqual(a.golden, b.golden) &&
    refsEqual(a.altref, b.altref)
  );
}

/** Where stateHashInput sends its pieces: a hash's update. */
export type HashSink = (chunk: Uint8Array | string) => void;

function hashImage(update: HashSink, img: Image | null): void {
  if (img === null) {
    update('none;');
    return;
  }
  update(`image ${img.width}x${img.height};`);
  for (const p of [img.y, img.u, img.v]) {
    for (let y = 0; y < p.height; y++) {
      const row = p.offset + y * p.stride;
      update(p.data.subarray(row, row + p.width));
    }
  }
}

/**
 * Everything `stateEquals` compares, as the sequence of pieces stateHash
 * hashes (strings as UTF-8): for a hash computed elsewhere (the inspector's
 * page has no node:crypto) to be the same hash.
 */
export function stateHashInput(s: DecoderState, update: HashSink): void {
  update(`vp8-state v1 ${s.width}x${s.height};`);
  update(s.probs.coeff);
  update(s.probs.mv);
  update(s.probs.yMode);
  update(s.probs.uvMode);
  update(s.segmentFeatures.absolute ? 'abs;' : 'delta;');
  update(new Uint8Array(s.segmentFeatures.quantizer.buffer, s.segmentFeatures.quantizer.byteOffset, 4));
  update(new Uint8Array(s.segmentFeatures.loopFilter.buffer, s.segmentFeatures.loopFilter.byteOffset, 4));
  update(`map ${s.segmentMap.length};`);
  update(s.segmentMap);
  update(new Uint8Array(s.refLfDeltas.buffer, s.refLfDeltas.byteOffset, 4));
  update(new Uint8Array(s.modeLfDeltas.buffer, s.modeLfDeltas.byteOffset, 4));
  hashImage(update, s.last);
  hashImage(update, s.golden);
  hashImage(update, s.altref);
}

/**
 * A SHA-256 hash (hex) of everything `stateEquals` compares: equal states have
 * equal hashes. Reference images are hashed by content over their aligned
 * area; borders are derived from it.
 */
export function stateHash(s: DecoderState): string {
  const h = createHash('sha256');
  stateHashInput(s, (chunk) => h.update(chunk));
  return h.digest('hex');
}
