// RFC 6386 sections 9 and 19: a plain-data description of a frame's headers,
// for tools and scripts (the `excamera info` command prints one per frame).
// Parsing the header needs no decoder state, so any frame can be described on
// its own.

import { deltaValue, type FrameHeader, locatePartitions, readFrameHeader } from './header.js';

export interface FrameInfo {
  readonly type: 'key' | 'inter';
  /** Key frames only: the coded size and scaling bits (section 9.1). */
  readonly width?: number;
  readonly height?: number;
  readonly horizontalScale?: number;
  readonly verticalScale?: number;
  readonly colorSpace?: number;
  readonly clampingType?: number;
  readonly version: number;
  readonly showFrame: boolean;
  readonly quantizer: {
    readonly yAcQi: number;
    readonly yDcDelta: number;
    readonly y2DcDelta: number;
    readonly y2AcDelta: number;
    readonly uvDcDelta: number;
    readonly uvAcDelta: number;
  };
  readonly loopFilter: {
    readonly type: 'normal' | 'simple';
    readonly level: number;
    readonly sharpness: number;
    readonly deltasEnabled: boolean;
    readonly deltasUpdated: boolean;
    /** Updated values (null where not updated) for intra, last, golden, altref. */
    readonly refDeltas: readonly (number | null)[];
    /** Updated values for B_PRED, ZEROMV, other MV modes, SPLITMV. */
    readonly modeDeltas: readonly (number | null)[];
  };
  readonly segmentation: {
    readonly enabled: boolean;
    readonly updateMap: boolean;
    readonly updateData: boolean;
    readonly absolute: boolean;
    readonly quantizer: readonly (number | null)[];
    readonly loopFilter: readonly (number | null)[];
    readonly treeProbs: readonly (number | null)[];
  };
  readonly refresh: {
    readonly golden: boolean;
    readonly altref: boolean;
    readonly last: boolean;
    readonly entropyProbs: boolean;
  };
  readonly copy: {
    readonly toGolden: 'none' | 'last' | 'altref' | 'reserved';
    readonly toAltref: 'none' | 'last' | 'golden' | 'reserved';
  };
  readonly signBias: { readonly golden: boolean; readonly altref: boolean };
  readonly mbNoSkipCoeff: boolean;
  readonly probSkipFalse: number | null;
  readonly probIntra?: number;
  readonly probLast?: number;
  readonly probGf?: number;
  /** Number of coefficient and MV probabilities this frame updates. */
  readonly coeffProbUpdates: number;
  readonly mvProbUpdates: number;
  readonly partitions: {
    /** Size of the first partition in bytes. */
    readonly first: number;
    /** Sizes of the token partitions in bytes. */
    readonly tokens: readonly number[];
  };
}

const valueOrNull = (d: { magnitude: number; negative: boolean } | null): number | null => (d === null ? null : deltaValue(d));

/** Describes a frame from its headers. Throws Vp8Error when the headers are damaged. */
export function frameInfo(frame: Uint8Array): FrameInfo {
  const { header: h, firstPartitionStart } = readFrameHeader(frame);
  const layout = locatePartitions(frame, firstPartitionStart, h);
  return describeHeader(h, layout.starts.map((s, i) => layout.ends[i] - s));
}

export function describeHeader(h: FrameHeader, tokenPartitionSizes: readonly number[]): FrameInfo {
  const key = h.keyFrame;
  const copyNames = ['none', 'last', 'altref', 'reserved'] as const;
  const copyAltNames = ['none', 'last', 'golden', 'reserved'] as const;
  return {
    type: key ? 'key' : 'inter',
    ...(key
      ? {
          width: h.width,
          height: h.height,
          horizontalScale: h.horizontalScale,
          verticalScale: h.verticalScale,
          colorSpace: h.colorSpace,
          clampingType: h.clampingType,
        }
      : {}),
    version: h.version,
    showFrame: h.showFrame,
    quantizer: {
      yAcQi: h.yAcQi,
      yDcDelta: deltaValue(h.yDcDelta),
      y2DcDelta: deltaValue(h.y2DcDelta),
      y2AcDelta: deltaValue(h.y2AcDelta),
      uvDcDelta: deltaValue(h.uvDcDelta),
      uvAcDelta: deltaValue(h.uvAcDelta),
    },
    loopFilter: {
      type: h.filterType === 1 ? 'simple' : 'normal',
      level: h.loopFilterLevel,
      sharpness: h.sharpnessLevel,
      deltasEnabled: h.loopFilterAdjEnable,
      deltasUpdated: h.modeRefLfDeltaUpdate,
      refDeltas: h.refFrameDeltaUpdate.map(valueOrNull),
      modeDeltas: h.mbModeDeltaUpdate.map(valueOrNull),
    },
    segmentation: {
      enabled: h.segmentationEnabled,
      updateMap: h.updateMbSegmentationMap,
      updateData: h.updateSegmentFeatureData,
      absolute: h.segmentFeatureMode === 1,
      quantizer: h.quantizerUpdate.map(valueOrNull),
      loopFilter: h.loopFilterUpdate.map(valueOrNull),
      treeProbs: h.segmentProb,
    },
    refresh: {
      golden: h.refreshGoldenFrame,
      altref: h.refreshAlternateFrame,
      last: h.refreshLast,
      entropyProbs: h.refreshEntropyProbs,
    },
    copy: { toGolden: copyNames[h.copyBufferToGolden], toAltref: copyAltNames[h.copyBufferToAlternate] },
    signBias: { golden: h.signBiasGolden, altref: h.signBiasAlternate },
    mbNoSkipCoeff: h.mbNoSkipCoeff,
    probSkipFalse: h.mbNoSkipCoeff ? h.probSkipFalse : null,
    ...(key ? {} : { probIntra: h.probIntra, probLast: h.probLast, probGf: h.probGf }),
    coeffProbUpdates: h.coeffProbUpdates.reduce((n, v) => n + (v >= 0 ? 1 : 0), 0),
    mvProbUpdates: h.mvProbUpdates.reduce((n, v) => n + (v >= 0 ? 1 : 0), 0),
    partitions: { first: h.firstPartSize, tokens: tokenPartitionSizes },
  };
}
