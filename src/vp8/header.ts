// RFC 6386 section 9 and section 19.1-19.2 (Annex A): the frame header.
//
// A compressed frame starts with an uncompressed data chunk (the frame tag and,
// on key frames, the start code and dimensions; section 9.1) followed by the
// first partition, whose leading bools are the frame header proper (sections
// 9.2-9.11). The header is described once, by `frameHeaderSyntax`, in terms of
// a `SyntaxCoder` (syntax-coder.ts) that either reads or writes each field;
// `readFrameHeader` and `writeFrameHeader` are that one description run in
// each direction, so the two can never disagree. Field names follow Annex A.
//
// The header records the syntax as coded, not only its meaning: an optional
// delta keeps its presence flag, magnitude and sign bit separately, because an
// encoder may code "-0", and a rewritten header must reproduce the input bits.

import { BoolDecoder } from './bool-decoder.js';
import type { BoolEncoder } from './bool-encoder.js';
import { Vp8Error } from './errors.js';
import { type SyntaxCoder, SyntaxReader, SyntaxWriter } from './syntax-coder.js';
import { COEFF_PROBS_SIZE, COEFF_UPDATE_PROBS, MV_PROB_COUNT, MV_UPDATE_PROBS } from './tables.js';

/** The 3-byte frame tag (section 9.1). */
export interface FrameTag {
  readonly keyFrame: boolean;
  /** Bitstream version 0..3 (section 9.1); libvpx decodes 4..7 like 0. */
  readonly version: number;
  readonly showFrame: boolean;
  /** Size of the first partition in bytes, excluding the uncompressed chunk. */
  readonly firstPartSize: number;
}

/** An optional signed field as coded: present when non-null, with magnitude and sign bit. */
export interface CodedDelta {
  readonly magnitude: number;
  readonly negative: boolean;
}

/** The value a coded delta stands for; an absent delta is 0. */
export function deltaValue(d: CodedDelta | null): number {
  return d === null ? 0 : d.negative ? -d.magnitude : d.magnitude;
}

/** Everything sections 9.1-9.11 put in front of the macroblock data. */
export interface FrameHeader extends FrameTag {
  // Section 9.1, key frames only (0 on inter frames).
  readonly width: number;
  readonly horizontalScale: number;
  readonly height: number;
  readonly verticalScale: number;
  // Section 9.2, key frames only.
  readonly colorSpace: number;
  readonly clampingType: number;
  // Section 9.3.
  readonly segmentationEnabled: boolean;
  readonly updateMbSegmentationMap: boolean;
  readonly updateSegmentFeatureData: boolean;
  /** 1: segment values are absolute; 0: deltas from the frame values. */
  readonly segmentFeatureMode: number;
  readonly quantizerUpdate: readonly (CodedDelta | null)[];
  readonly loopFilterUpdate: readonly (CodedDelta | null)[];
  /** Segment id tree probabilities; null = not coded (255). */
  readonly segmentProb: readonly (number | null)[];
  // Section 9.4.
  /** 0: normal loop filter; 1: simple. */
  readonly filterType: number;
  readonly loopFilterLevel: number;
  readonly sharpnessLevel: number;
  readonly loopFilterAdjEnable: boolean;
  readonly modeRefLfDeltaUpdate: boolean;
  readonly refFrameDeltaUpdate: readonly (CodedDelta | null)[];
  readonly mbModeDeltaUpdate: readonly (CodedDelta | null)[];
  // Section 9.5.
  readonly log2NbrOfDctPartitions: number;
  // Section 9.6.
  readonly yAcQi: number;
  readonly yDcDelta: CodedDelta | null;
  readonly y2DcDelta: CodedDelta | null;
  readonly y2AcDelta: CodedDelta | null;
  readonly uvDcDelta: CodedDelta | null;
  readonly uvAcDelta: CodedDelta | null;
  // Sections 9.7-9.8 (key frames refresh everything; these read as set).
  readonly refreshGoldenFrame: boolean;
  readonly refreshAlternateFrame: boolean;
  /** 0: none, 1: last frame, 2: alternate reference. */
  readonly copyBufferToGolden: number;
  /** 0: none, 1: last frame, 2: golden frame. */
  readonly copyBufferToAlternate: number;
  readonly signBiasGolden: boolean;
  readonly signBiasAlternate: boolean;
  readonly refreshEntropyProbs: boolean;
  readonly refreshLast: boolean;
  // Section 9.9: new coefficient probabilities, -1 where not updated (layout of COEFF_UPDATE_PROBS).
  readonly coeffProbUpdates: Int16Array;
  // Sections 9.10-9.11.
  readonly mbNoSkipCoeff: boolean;
  readonly probSkipFalse: number;
  readonly probIntra: number;
  readonly probLast: number;
  readonly probGf: number;
  readonly intra16x16Prob: Uint8Array | null;
  readonly intraChromaProb: Uint8Array | null;
  /** Coded 7-bit MV probability updates, -1 where not updated (section 17.2). */
  readonly mvProbUpdates: Int16Array;
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** L(n) under its Annex A name (the name only reaches a coder that traces). */
function literal(c: SyntaxCoder, name: string, bits: number, value: number, index?: number): number {
  c.element?.(name, index);
  return c.literal(bits, value);
}

/** L(1) read as a flag, under its Annex A name. */
function flag(c: SyntaxCoder, name: string, value: boolean, index?: number): boolean {
  c.element?.(name, index);
  return c.flag(value);
}

/** The names of an optional signed field's presence flag, magnitude and sign. */
type DeltaNames = readonly [present: string, magnitude: string, sign: string];

function codedDelta(c: SyntaxCoder, names: DeltaNames, bits: number, d: CodedDelta | null, index?: number): CodedDelta | null {
  if (!flag(c, names[0], d !== null, index)) return null;
  const magnitude = literal(c, names[1], bits, d ? d.magnitude : 0, index);
  const negative = flag(c, names[2], d ? d.negative : false, index);
  return { magnitude, negative };
}

function codedDeltas(c: SyntaxCoder, names: DeltaNames, bits: number, ds: readonly (CodedDelta | null)[]): (CodedDelta | null)[] {
  const out: (CodedDelta | null)[] = [];
  for (let i = 0; i < 4; i++) out.push(codedDelta(c, names, bits, ds[i] ?? null, i));
  return out;
}

const QUANTIZER_UPDATE: DeltaNames = ['quantizer_update', 'quantizer_update_value', 'quantizer_update_sign'];
const LOOP_FILTER_UPDATE: DeltaNames = ['loop_filter_update', 'lf_update_value', 'lf_update_sign'];
const REF_FRAME_DELTA: DeltaNames = ['ref_frame_delta_update_flag', 'delta_magnitude', 'delta_sign'];
const MB_MODE_DELTA: DeltaNames = ['mb_mode_delta_update_flag', 'delta_magnitude', 'delta_sign'];
const Y_DC_DELTA: DeltaNames = ['y_dc_delta_present', 'y_dc_delta_magnitude', 'y_dc_delta_sign'];
const Y2_DC_DELTA: DeltaNames = ['y2_dc_delta_present', 'y2_dc_delta_magnitude', 'y2_dc_delta_sign'];
const Y2_AC_DELTA: DeltaNames = ['y2_ac_delta_present', 'y2_ac_delta_magnitude', 'y2_ac_delta_sign'];
const UV_DC_DELTA: DeltaNames = ['uv_dc_delta_present', 'uv_dc_delta_magnitude', 'uv_dc_delta_sign'];
const UV_AC_DELTA: DeltaNames = ['uv_ac_delta_present', 'uv_ac_delta_magnitude', 'uv_ac_delta_sign'];

/**
 * The frame header syntax of Annex A section 19.2, run against a reader or a
 * writer. Reading starts from `blankHeader(tag)` and fills it in; writing
 * passes the header to write and leaves it unchanged. Each field goes by its
 * Annex A name (with its index in a loop), which a tracing coder records.
 */
export function frameHeaderSyntax(c: SyntaxCoder, h: Mutable<FrameHeader>): void {
  if (h.keyFrame) {
    h.colorSpace = literal(c, 'color_space', 1, h.colorSpace);
    h.clampingType = literal(c, 'clamping_type', 1, h.clampingType);
  }
  // Section 9.3: segmentation (update_segmentation()).
  h.segmentationEnabled = flag(c, 'segmentation_enabled', h.segmentationEnabled);
  if (h.segmentationEnabled) {
    h.updateMbSegmentationMap = flag(c, 'update_mb_segmentation_map', h.updateMbSegmentationMap);
    h.updateSegmentFeatureData = flag(c, 'update_segment_feature_data', h.updateSegmentFeatureData);
    if (h.updateSegmentFeatureData) {
      h.segmentFeatureMode = literal(c, 'segment_feature_mode', 1, h.segmentFeatureMode);
      h.quantizerUpdate = codedDeltas(c, QUANTIZER_UPDATE, 7, h.quantizerUpdate);
      h.loopFilterUpdate = codedDeltas(c, LOOP_FILTER_UPDATE, 6, h.loopFilterUpdate);
    }
    if (h.updateMbSegmentationMap) {
      const probs: (number | null)[] = [];
      for (let i = 0; i < 3; i++) {
        const p = h.segmentProb[i] ?? null;
        probs.push(flag(c, 'segment_prob_update', p !== null, i) ? literal(c, 'segment_prob', 8, p ?? 0, i) : null);
      }
      h.segmentProb = probs;
    }
  }
  // Section 9.4: loop filter (and mb_lf_adjustments()).
  h.filterType = literal(c, 'filter_type', 1, h.filterType);
  h.loopFilterLevel = literal(c, 'loop_filter_level', 6, h.loopFilterLevel);
  h.sharpnessLevel = literal(c, 'sharpness_level', 3, h.sharpnessLevel);
  h.loopFilterAdjEnable = flag(c, 'loop_filter_adj_enable', h.loopFilterAdjEnable);
  if (h.loopFilterAdjEnable) {
    h.modeRefLfDeltaUpdate = flag(c, 'mode_ref_lf_delta_update', h.modeRefLfDeltaUpdate);
    if (h.modeRefLfDeltaUpdate) {
      h.refFrameDeltaUpdate = codedDeltas(c, REF_FRAME_DELTA, 6, h.refFrameDeltaUpdate);
      h.mbModeDeltaUpdate = codedDeltas(c, MB_MODE_DELTA, 6, h.mbModeDeltaUpdate);
    }
  }
  // Section 9.5: token partitions.
  h.log2NbrOfDctPartitions = literal(c, 'log2_nbr_of_dct_partitions', 2, h.log2NbrOfDctPartitions);
  // Section 9.6: quantizer indices (quant_indices()).
  h.yAcQi = literal(c, 'y_ac_qi', 7, h.yAcQi);
  h.yDcDelta = codedDelta(c, Y_DC_DELTA, 4, h.yDcDelta);
  h.y2DcDelta = codedDelta(c, Y2_DC_DELTA, 4, h.y2DcDelta);
  h.y2AcDelta = codedDelta(c, Y2_AC_DELTA, 4, h.y2AcDelta);
  h.uvDcDelta = codedDelta(c, UV_DC_DELTA, 4, h.uvDcDelta);
  h.uvAcDelta = codedDelta(c, UV_AC_DELTA, 4, h.uvAcDelta);
  // Sections 9.7-9.8: reference updates.
  if (!h.keyFrame) {
    h.refreshGoldenFrame = flag(c, 'refresh_golden_frame', h.refreshGoldenFrame);
    h.refreshAlternateFrame = flag(c, 'refresh_alternate_frame', h.refreshAlternateFrame);
    if (!h.refreshGoldenFrame) h.copyBufferToGolden = literal(c, 'copy_buffer_to_golden', 2, h.copyBufferToGolden);
    if (!h.refreshAlternateFrame) h.copyBufferToAlternate = literal(c, 'copy_buffer_to_alternate', 2, h.copyBufferToAlternate);
    h.signBiasGolden = flag(c, 'sign_bias_golden', h.signBiasGolden);
    h.signBiasAlternate = flag(c, 'sign_bias_alternate', h.signBiasAlternate);
    h.refreshEntropyProbs = flag(c, 'refresh_entropy_probs', h.refreshEntropyProbs);
    h.refreshLast = flag(c, 'refresh_last', h.refreshLast);
  } else {
    h.refreshEntropyProbs = flag(c, 'refresh_entropy_probs', h.refreshEntropyProbs);
  }
  // Section 9.9 / 13.4: coefficient probability updates (token_prob_update()),
  // each flag a bool with its own probability; the index is i*264 + j*33 + k*11 + l.
  const coeff = h.coeffProbUpdates;
  for (let i = 0; i < COEFF_PROBS_SIZE; i++) {
    c.element?.('coeff_prob_update_flag', i);
    if (c.bool(COEFF_UPDATE_PROBS[i], coeff[i] >= 0 ? 1 : 0)) coeff[i] = literal(c, 'coeff_prob', 8, coeff[i], i);
  }
  // Sections 9.10-9.11.
  h.mbNoSkipCoeff = flag(c, 'mb_no_skip_coeff', h.mbNoSkipCoeff);
  if (h.mbNoSkipCoeff) h.probSkipFalse = literal(c, 'prob_skip_false', 8, h.probSkipFalse);
  if (!h.keyFrame) {
    h.probIntra = literal(c, 'prob_intra', 8, h.probIntra);
    h.probLast = literal(c, 'prob_last', 8, h.probLast);
    h.probGf = literal(c, 'prob_gf', 8, h.probGf);
    if (flag(c, 'intra_16x16_prob_update_flag', h.intra16x16Prob !== null)) {
      const p = h.intra16x16Prob ?? new Uint8Array(4);
      for (let i = 0; i < 4; i++) p[i] = literal(c, 'intra_16x16_prob', 8, p[i], i);
      h.intra16x16Prob = p;
    }
    if (flag(c, 'intra_chroma_prob_update_flag', h.intraChromaProb !== null)) {
      const p = h.intraChromaProb ?? new Uint8Array(3);
      for (let i = 0; i < 3; i++) p[i] = literal(c, 'intra_chroma_prob', 8, p[i], i);
      h.intraChromaProb = p;
    }
    // Section 17.2: MV probability updates (mv_prob_update()); the index is i*19 + j.
    const mv = h.mvProbUpdates;
    for (let i = 0; i < 2 * MV_PROB_COUNT; i++) {
      c.element?.('mv_prob_update_flag', i);
      if (c.bool(MV_UPDATE_PROBS[i], mv[i] >= 0 ? 1 : 0)) mv[i] = literal(c, 'prob', 7, mv[i], i);
    }
  }
}

/** A header with every field at its "absent" value, ready to be read into. */
export function blankHeader(tag: FrameTag, dims?: { width: number; horizontalScale: number; height: number; verticalScale: number }): Mutable<FrameHeader> {
  // The tag's fields written out rather than spread: a spread builds the
  // object field by field at run time, slower and with less stable shapes.
  return {
    keyFrame: tag.keyFrame,
    version: tag.version,
    showFrame: tag.showFrame,
    firstPartSize: tag.firstPartSize,
    width: dims?.width ?? 0,
    horizontalScale: dims?.horizontalScale ?? 0,
    height: dims?.height ?? 0,
    verticalScale: dims?.verticalScale ?? 0,
    colorSpace: 0,
    clampingType: 0,
    segmentationEnabled: false,
    updateMbSegmentationMap: false,
    updateSegmentFeatureData: false,
    segmentFeatureMode: 0,
    quantizerUpdate: [null, null, null, null],
    loopFilterUpdate: [null, null, null, null],
    segmentProb: [null, null, null],
    filterType: 0,
    loopFilterLevel: 0,
    sharpnessLevel: 0,
    loopFilterAdjEnable: false,
    modeRefLfDeltaUpdate: false,
    refFrameDeltaUpdate: [null, null, null, null],
    mbModeDeltaUpdate: [null, null, null, null],
    log2NbrOfDctPartitions: 0,
    yAcQi: 0,
    yDcDelta: null,
    y2DcDelta: null,
    y2AcDelta: null,
    uvDcDelta: null,
    uvAcDelta: null,
    // Key frames refresh every reference (section 9.7).
    refreshGoldenFrame: tag.keyFrame,
    refreshAlternateFrame: tag.keyFrame,
    copyBufferToGolden: 0,
    copyBufferToAlternate: 0,
    signBiasGolden: false,
    signBiasAlternate: false,
    refreshEntropyProbs: false,
    refreshLast: tag.keyFrame,
    coeffProbUpdates: new Int16Array(COEFF_PROBS_SIZE).fill(-1),
    mbNoSkipCoeff: false,
    probSkipFalse: 0,
    probIntra: 0,
    probLast: 0,
    probGf: 0,
    intra16x16Prob: null,
    intraChromaProb: null,
    mvProbUpdates: new Int16Array(2 * MV_PROB_COUNT).fill(-1),
  };
}

/**
 * A copy of `h` to modify, with its own probability-update arrays (other
 * fields are shared). It is built on blankHeader, as every parsed or encoded
 * header is, so that all headers share one hidden class: a spread copy would
 * have another, and code compiled for one (the syntax, the probability and
 * loop-filter decisions) would be thrown away and compiled again when the
 * other first reached it.
 */
export function copyHeader(h: FrameHeader): Mutable<FrameHeader> {
  const copy = blankHeader(h, h);
  const { coeffProbUpdates, mvProbUpdates } = copy;
  Object.assign(copy, h);
  coeffProbUpdates.set(h.coeffProbUpdates);
  mvProbUpdates.set(h.mvProbUpdates);
  copy.coeffProbUpdates = coeffProbUpdates;
  copy.mvProbUpdates = mvProbUpdates;
  copy.intra16x16Prob = h.intra16x16Prob ? h.intra16x16Prob.slice() : null;
  copy.intraChromaProb = h.intraChromaProb ? h.intraChromaProb.slice() : null;
  return copy;
}

/** Size of the uncompressed data chunk: 3 bytes, plus 7 on key frames (section 9.1). */
export function uncompressedChunkSize(keyFrame: boolean): number {
  return keyFrame ? 10 : 3;
}

/** Parses the frame tag (section 9.1). The caller has checked that 3 bytes exist. */
export function readFrameTag(frame: Uint8Array): FrameTag {
  const tmp = frame[0] | (frame[1] << 8) | (frame[2] << 16);
  return {
    // The frame type bit is 0 for key frames.
    keyFrame: (tmp & 1) === 0,
    version: (tmp >> 1) & 7,
    showFrame: ((tmp >> 4) & 1) === 1,
    firstPartSize: (tmp >> 5) & 0x7ffff,
  };
}

/** Key-frame start code and dimensions (section 9.1). */
export interface KeyFrameDims {
  readonly width: number;
  readonly horizontalScale: number;
  readonly height: number;
  readonly verticalScale: number;
}

export function readKeyFrameDims(frame: Uint8Array): KeyFrameDims {
  if (frame.length < 10) throw new Vp8Error('truncated', `key frame of ${frame.length} bytes ends inside its 10-byte uncompressed chunk`, { byteOffset: frame.length });
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) {
    const seen = [frame[3], frame[4], frame[5]].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Vp8Error('bad-start-code', `key frame start code is ${seen}, expected 9d 01 2a`, { byteOffset: 3 });
  }
  const w = frame[6] | (frame[7] << 8);
  const h = frame[8] | (frame[9] << 8);
  // The top two bits of each 16-bit size are the scaling mode (section 9.1).
  return { width: w & 0x3fff, horizontalScale: w >> 14, height: h & 0x3fff, verticalScale: h >> 14 };
}

/** How the first partition's header is read: a bool decoder over the partition, and the syntax coder that drives it. */
export type HeaderReading<D extends BoolDecoder> = (frame: Uint8Array, start: number) => { readonly decoder: D; readonly coder: SyntaxCoder };

const plainReading: HeaderReading<BoolDecoder> = (frame, start) => {
  const decoder = new BoolDecoder(frame, start, frame.length);
  return { decoder, coder: new SyntaxReader(decoder) };
};

/**
 * Reads the frame header of a complete compressed frame. Returns the header
 * and the bool decoder positioned at the first macroblock header, which reads
 * to the end of the frame as libvpx's does (the first partition's declared
 * size only locates the token partitions). `reading` supplies another bool
 * decoder and coder (the inspector's recording ones); the checks are the same.
 */
export function readFrameHeader<D extends BoolDecoder = BoolDecoder>(
  frame: Uint8Array, reading: HeaderReading<D> = plainReading as HeaderReading<D>,
): { header: FrameHeader; decoder: D; firstPartitionStart: number } {
  if (frame.length < 3) throw new Vp8Error('truncated', `frame of ${frame.length} bytes is shorter than its 3-byte frame tag`, { byteOffset: frame.length });
  const tag = readFrameTag(frame);
  const dims = tag.keyFrame ? readKeyFrameDims(frame) : undefined;
  const start = uncompressedChunkSize(tag.keyFrame);
  if (tag.firstPartSize === 0) throw new Vp8Error('corrupt-header', 'first partition size is 0', { byteOffset: 0 });
  if (start + tag.firstPartSize > frame.length) {
    throw new Vp8Error('truncated', `first partition of ${tag.firstPartSize} bytes runs past the end of a ${frame.length}-byte frame`, { byteOffset: frame.length });
  }
  const { decoder, coder } = reading(frame, start);
  const header = blankHeader(tag, dims);
  frameHeaderSyntax(coder, header);
  return { header, decoder, firstPartitionStart: start };
}

/** Writes the frame header bools of `header` (not the uncompressed chunk) to `e`. */
export function writeFrameHeader(header: FrameHeader, e: BoolEncoder): void {
  // The syntax function assigns every field it codes; give it a copy so the
  // caller's value is untouched even in principle.
  frameHeaderSyntax(new SyntaxWriter(e), copyHeader(header));
}

/** Byte ranges of the token partitions (section 9.5). */
export interface PartitionLayout {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

/** Locates the token partitions that follow the first partition (section 9.5). */
export function locatePartitions(frame: Uint8Array, firstPartitionStart: number, header: FrameHeader): PartitionLayout {
  const count = 1 << header.log2NbrOfDctPartitions;
  const sizesAt = firstPartitionStart + header.firstPartSize;
  let pos = sizesAt + 3 * (count - 1);
  if (pos > frame.length) {
    throw new Vp8Error('truncated', `the sizes of ${count} token partitions run past the end of the frame`, { byteOffset: frame.length });
  }
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < count; i++) {
    let size: number;
    if (i < count - 1) {
      const s = sizesAt + 3 * i;
      size = frame[s] | (frame[s + 1] << 8) | (frame[s + 2] << 16);
    } else {
      size = frame.length - pos;
    }
    // libvpx refuses empty and overlong partitions alike.
    if (size === 0 || pos + size > frame.length) {
      throw new Vp8Error('truncated', `token partition ${i + 1} of ${count} (${size} bytes at ${pos}) does not fit in the ${frame.length}-byte frame`, { byteOffset: pos });
    }
    starts.push(pos);
    ends.push(pos + size);
    pos += size;
  }
  return { starts, ends };
}
