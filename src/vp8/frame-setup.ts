// RFC 6386 sections 9.3-9.11: what a frame header sets up, and what a frame
// leaves to the next one.
//
// A frame is decoded with values that follow from its header and the state
// before it — its size, the probabilities it is coded with, the segment and
// loop-filter values, the dequantization factors, the context its macroblock
// headers are read with — and ends in a state whose probabilities,
// segmentation, deltas and references follow from the same header. Both halves
// are pure functions of (state, header); the decoder, the syntax layer
// (parseFrame/serializeFrame) and the encoder all use them, so the rules of
// what persists from frame to frame are written once.

import { DEFAULT_LIMITS, type DecoderLimits, Vp8Error } from './errors.js';
import { type FrameHeader, deltaValue } from './header.js';
import type { Image } from './image.js';
import type { ModeContext } from './modes.js';
import { type DequantFactors, dequantFactors, segmentQIndex } from './quant.js';
import {
  type DecoderState, DEFAULT_PROBS, type EntropyProbs, NO_SEGMENT_FEATURES, type SegmentFeatures,
} from './state.js';
import { ALTREF_FRAME, GOLDEN_FRAME } from './tables.js';

/**
 * Everything about a frame that follows from its header and the state it is
 * decoded against (sections 9.3-9.11): size, probabilities, segment values,
 * loop-filter deltas, dequantization factors and the context its macroblock
 * headers are read with. Shared by the decoder, the syntax layer and the
 * encoder.
 */
export interface FrameSetup {
  readonly keyFrame: boolean;
  readonly width: number;
  readonly height: number;
  readonly mbCols: number;
  readonly mbRows: number;
  /** The probabilities this frame is coded with. */
  readonly frameProbs: EntropyProbs;
  /** The probabilities the next frame starts from. */
  readonly persistentProbs: EntropyProbs;
  readonly features: SegmentFeatures;
  readonly refLfDeltas: Int8Array;
  readonly modeLfDeltas: Int8Array;
  /** Dequantization factors of each segment. */
  readonly segmentQuant: readonly DequantFactors[];
  readonly modeContext: ModeContext;
  /** Version 1-3 streams use bilinear filters; version 3 full-sample chroma vectors. */
  readonly bilinear: boolean;
  readonly fullPixel: boolean;
}

/** Works out a frame's setup from its header and the state (sections 9.3-9.11). */
export function frameSetup(state: DecoderState, header: FrameHeader, limits: DecoderLimits = DEFAULT_LIMITS): FrameSetup {
  const keyFrame = header.keyFrame;
  if (!keyFrame && state.last === null) {
    throw new Vp8Error('no-keyframe', 'an inter frame cannot be decoded before a key frame', { byteOffset: 0 });
  }
  if (header.copyBufferToGolden === 3 || header.copyBufferToAlternate === 3) {
    throw new Vp8Error('corrupt-header', 'copy_buffer_to_golden/alternate value 3 is reserved');
  }
  const width = keyFrame ? header.width : state.width;
  const height = keyFrame ? header.height : state.height;
  if (keyFrame) checkDimensions(width, height, limits);

  // Sections 9.9-9.11, 13.4, 16.1, 17.2: this frame's probabilities. Key
  // frames start from the defaults; updates apply to this frame, and persist
  // only when refresh_entropy_probs is set.
  const base = keyFrame ? DEFAULT_PROBS : state.probs;
  const frameProbs = updatedProbs(base, header);
  const persistentProbs = header.refreshEntropyProbs ? frameProbs : base;

  // Section 9.3: segmentation. Key frames reset the feature values (libvpx).
  let features: SegmentFeatures = keyFrame ? NO_SEGMENT_FEATURES : state.segmentFeatures;
  if (header.segmentationEnabled && header.updateSegmentFeatureData) {
    features = {
      absolute: header.segmentFeatureMode === 1,
      quantizer: Int8Array.from(header.quantizerUpdate, deltaValue),
      loopFilter: Int8Array.from(header.loopFilterUpdate, deltaValue),
    };
  }

  // Section 9.4: loop filter deltas persist; key frames reset them (libvpx).
  let refLfDeltas = keyFrame ? new Int8Array(4) : state.refLfDeltas;
  let modeLfDeltas = keyFrame ? new Int8Array(4) : state.modeLfDeltas;
  if (header.loopFilterAdjEnable && header.modeRefLfDeltaUpdate) {
    refLfDeltas = applyDeltaUpdates(refLfDeltas, header.refFrameDeltaUpdate);
    modeLfDeltas = applyDeltaUpdates(modeLfDeltas, header.mbModeDeltaUpdate);
  }

  // Section 9.6 / 14.1: dequantization factors per segment.
  const qDeltas = {
    y1Dc: deltaValue(header.yDcDelta),
    y2Dc: deltaValue(header.y2DcDelta),
    y2Ac: deltaValue(header.y2AcDelta),
    uvDc: deltaValue(header.uvDcDelta),
    uvAc: deltaValue(header.uvAcDelta),
  };
  const segmentQuant: DequantFactors[] = [];
  for (let s = 0; s < 4; s++) {
    segmentQuant.push(dequantFactors(segmentQIndex(header.yAcQi, header.segmentationEnabled, features.absolute, features.quantizer[s]), qDeltas));
  }

  const signBias = new Uint8Array(4);
  signBias[GOLDEN_FRAME] = header.signBiasGolden ? 1 : 0;
  signBias[ALTREF_FRAME] = header.signBiasAlternate ? 1 : 0;
  const modeContext: ModeContext = {
    keyFrame,
    updateSegmentMap: header.segmentationEnabled && header.updateMbSegmentationMap,
    segmentProbs: Uint8Array.from(header.segmentProb, (p) => p ?? 255),
    previousSegmentMap: state.segmentMap,
    mbNoSkipCoeff: header.mbNoSkipCoeff,
    probSkipFalse: header.probSkipFalse,
    probIntra: header.probIntra,
    probLast: header.probLast,
    probGf: header.probGf,
    yModeProbs: frameProbs.yMode,
    uvModeProbs: frameProbs.uvMode,
    mvProbs: frameProbs.mv,
    signBias,
  };
  return {
    keyFrame,
    width,
    height,
    mbCols: (width + 15) >> 4,
    mbRows: (height + 15) >> 4,
    frameProbs,
    persistentProbs,
    features,
    refLfDeltas,
    modeLfDeltas,
    segmentQuant,
    modeContext,
    bilinear: header.version >= 1 && header.version <= 3,
    fullPixel: header.version === 3,
  };
}

/**
 * The state after a frame (sections 9.3-9.11): its persistent probabilities,
 * segmentation and loop-filter deltas, and its reference updates with `img`
 * as the new picture. With `img` null, the references stay as they were:
 * such a state is good for parsing the frames that follow (the syntax layer
 * never looks at pictures) but not for decoding them.
 */
export function stateAfterFrame(
  state: DecoderState, header: FrameHeader, setup: FrameSetup, segmentIds: Uint8Array, img: Image | null,
): DecoderState {
  const { keyFrame } = setup;
  // Sections 9.7-9.8: reference updates, in libvpx's order: copies to altref,
  // then to golden (which sees the new altref), then refreshes.
  let { last, golden, altref } = state;
  if (img !== null) {
    if (keyFrame) {
      last = golden = altref = img;
    } else {
      if (header.copyBufferToAlternate === 1) altref = last;
      else if (header.copyBufferToAlternate === 2) altref = golden;
      if (header.copyBufferToGolden === 1) golden = last;
      else if (header.copyBufferToGolden === 2) golden = altref;
      if (header.refreshGoldenFrame) golden = img;
      if (header.refreshAlternateFrame) altref = img;
      if (header.refreshLast) last = img;
    }
  }

  // Section 10: the segment map persists unless this frame rewrote it; key
  // frames without a map update reset it to zeros.
  let segmentMap = state.segmentMap;
  if (setup.modeContext.updateSegmentMap || keyFrame) segmentMap = segmentIds.slice();

  return {
    width: setup.width,
    height: setup.height,
    probs: setup.persistentProbs,
    segmentFeatures: setup.features,
    segmentMap,
    refLfDeltas: setup.refLfDeltas,
    modeLfDeltas: setup.modeLfDeltas,
    last,
    golden,
    altref,
  };
}

function checkDimensions(width: number, height: number, limits: DecoderLimits): void {
  if (width === 0 || height === 0) {
    throw new Vp8Error('bad-dimensions', `key frame size ${width}x${height} has a zero dimension`, { byteOffset: 6 });
  }
  if (width > limits.maxWidth || height > limits.maxHeight || width * height > limits.maxPixels) {
    throw new Vp8Error(
      'bad-dimensions',
      `key frame size ${width}x${height} exceeds the limits (${limits.maxWidth}x${limits.maxHeight}, ${limits.maxPixels} pixels)`,
      { byteOffset: 6 },
    );
  }
}

/** Applies the header's probability updates to `base`, sharing what is unchanged. */
function updatedProbs(base: EntropyProbs, h: FrameHeader): EntropyProbs {
  let coeff = base.coeff;
  const cu = h.coeffProbUpdates;
  for (let i = 0; i < cu.length; i++) {
    if (cu[i] >= 0) {
      if (coeff === base.coeff) coeff = coeff.slice();
      coeff[i] = cu[i];
    }
  }
  let mv = base.mv;
  const mu = h.mvProbUpdates;
  for (let i = 0; i < mu.length; i++) {
    if (mu[i] >= 0) {
      if (mv === base.mv) mv = mv.slice();
      // Section 17.2: a 7-bit value x stands for probability x << 1, or 1 when x is 0.
      mv[i] = mu[i] ? mu[i] << 1 : 1;
    }
  }
  const yMode = h.intra16x16Prob ? h.intra16x16Prob.slice() : base.yMode;
  const uvMode = h.intraChromaProb ? h.intraChromaProb.slice() : base.uvMode;
  if (coeff === base.coeff && mv === base.mv && yMode === base.yMode && uvMode === base.uvMode) return base;
  return { coeff, mv, yMode, uvMode };
}

function applyDeltaUpdates(current: Int8Array, updates: readonly ({ magnitude: number; negative: boolean } | null)[]): Int8Array {
  if (updates.every((u) => u === null)) return current;
  const next = current.slice();
  updates.forEach((u, i) => {
    if (u !== null) next[i] = deltaValue(u);
  });
  return next;
}
