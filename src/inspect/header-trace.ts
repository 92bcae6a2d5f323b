// The decode trace of a frame header (RFC 6386 section 9 and Annex A
// sections 19.1-19.2): the uncompressed data chunk bit by bit, then every
// bool of the first partition up to the first macroblock header, grouped into
// Annex A's fields, each with the probability it was read with and what it
// cost.
//
// The trace is the decoder's own header syntax (frameHeaderSyntax) run with a
// recording bool decoder: the syntax names each field as it reads it, so the
// trace cannot describe a header other than the one the decoder parsed.

import { readFrameHeader } from '../vp8/header.js';
import { MV_PROB_COUNT, NUM_COEFF_BANDS, NUM_ENTROPY_NODES, NUM_PREV_COEFF_CONTEXTS } from '../vp8/tables.js';
import { RecordingBoolDecoder, type TracedBool, type TracedElement, TracingReader } from './recording.js';

/** A field of the uncompressed data chunk (section 9.1): plain bits, not bools. */
export interface ChunkField {
  /** Annex A's name. */
  readonly name: string;
  readonly section: string;
  /** Where its first bit is: byte offset in the frame, and bit within the byte (0 = least significant). */
  readonly byte: number;
  readonly bit: number;
  /** How many bits it takes (little-endian across bytes, as section 9.1 reads them). */
  readonly bits: number;
  readonly value: number;
  /** What the value means, in words. */
  readonly meaning: string;
}

export interface FrameHeaderTrace {
  /** Size of the uncompressed data chunk: 10 bytes on key frames, 3 on inter frames. */
  readonly chunkBytes: number;
  /** The frame tag, and on key frames the start code and dimensions. */
  readonly uncompressed: readonly ChunkField[];
  /** The first partition's header fields in reading order (partition 0; `index` for fields coded in a loop). */
  readonly elements: readonly TracedElement[];
  /** Bits the bool decoder shifted out reading them. */
  readonly bits: number;
  /** The first partition's size (first_part_size), in bytes. */
  readonly firstPartitionBytes: number;
}

/** The RFC section that explains each field (the Annex A table points to these); the rest are described in 19.2 itself. */
const SECTIONS: Record<string, string> = {
  color_space: '9.2', clamping_type: '9.2',
  segmentation_enabled: '9.3', update_mb_segmentation_map: '9.3', update_segment_feature_data: '9.3', segment_feature_mode: '9.3',
  quantizer_update: '9.3', quantizer_update_value: '9.3', quantizer_update_sign: '9.3',
  loop_filter_update: '9.3', lf_update_value: '9.3', lf_update_sign: '9.3', segment_prob_update: '9.3', segment_prob: '9.3',
  filter_type: '9.4', loop_filter_level: '9.4', sharpness_level: '9.4', loop_filter_adj_enable: '9.4', mode_ref_lf_delta_update: '9.4',
  ref_frame_delta_update_flag: '9.4', mb_mode_delta_update_flag: '9.4', delta_magnitude: '9.4', delta_sign: '9.4',
  log2_nbr_of_dct_partitions: '9.5',
  y_ac_qi: '9.6', y_dc_delta_present: '9.6', y_dc_delta_magnitude: '9.6', y_dc_delta_sign: '9.6',
  y2_dc_delta_present: '9.6', y2_dc_delta_magnitude: '9.6', y2_dc_delta_sign: '9.6', y2_ac_delta_present: '9.6', y2_ac_delta_magnitude: '9.6', y2_ac_delta_sign: '9.6',
  uv_dc_delta_present: '9.6', uv_dc_delta_magnitude: '9.6', uv_dc_delta_sign: '9.6', uv_ac_delta_present: '9.6', uv_ac_delta_magnitude: '9.6', uv_ac_delta_sign: '9.6',
  refresh_golden_frame: '9.7', refresh_alternate_frame: '9.7', copy_buffer_to_golden: '9.7', copy_buffer_to_alternate: '9.7',
  sign_bias_golden: '9.7', sign_bias_alternate: '9.7', refresh_last: '9.8',
  coeff_prob_update_flag: '13.4', coeff_prob: '13.4',
  mb_no_skip_coeff: '9.10', prob_skip_false: '9.10', prob_intra: '9.10', prob_last: '9.10', prob_gf: '9.10',
  intra_16x16_prob_update_flag: '9.10', intra_16x16_prob: '9.10', intra_chroma_prob_update_flag: '9.10', intra_chroma_prob: '9.10',
  mv_prob_update_flag: '17.2', prob: '17.2',
};

/** How the decoder predicts under each version (the loop filter goes by filter_type); libvpx decodes 4-7 as 0. */
const VERSIONS = [
  'six-tap interpolation', 'bilinear interpolation', 'bilinear interpolation', 'bilinear interpolation, full-sample chroma vectors',
  'decoded as version 0', 'decoded as version 0', 'decoded as version 0', 'decoded as version 0',
];
const REFERENCES = ['intra', 'LAST', 'GOLDEN', 'ALTREF'];
/** The mode classes the loop filter's mode deltas go by (section 9.4). */
const MODE_CLASSES = ['B_PRED', 'ZEROMV', 'NEARESTMV, NEARMV and NEWMV', 'SPLITMV'];
const BLOCK_TYPES = ['Y after Y2', 'Y2', 'chroma', 'Y with DC'];
const MV_PROBS = ['is_short', 'sign', ...Array.from({ length: 7 }, (_, i) => `short tree node ${i}`), ...Array.from({ length: 10 }, (_, i) => `long bit ${i}`)];

/** The value of a field from its bools: a flag is its bool; a literal its bools, most significant first. */
function valueOf(bools: readonly TracedBool[]): number {
  return bools.reduce((v, b) => v * 2 + b.bit, 0);
}

/** Which table entry a field coded in a loop updates, in words. */
function contextOf(name: string, index: number | undefined): string {
  if (index === undefined) return '';
  switch (name) {
    case 'quantizer_update': case 'quantizer_update_value': case 'quantizer_update_sign':
    case 'loop_filter_update': case 'lf_update_value': case 'lf_update_sign':
      return `segment ${index}`;
    case 'segment_prob_update': case 'segment_prob':
      return `segment_id tree node ${index}`;
    case 'ref_frame_delta_update_flag':
      return `reference ${REFERENCES[index]}`;
    case 'mb_mode_delta_update_flag':
      return `mode class ${MODE_CLASSES[index]}`;
    case 'coeff_prob_update_flag': case 'coeff_prob': {
      const node = index % NUM_ENTROPY_NODES;
      const ctx = Math.floor(index / NUM_ENTROPY_NODES) % NUM_PREV_COEFF_CONTEXTS;
      const band = Math.floor(index / (NUM_ENTROPY_NODES * NUM_PREV_COEFF_CONTEXTS)) % NUM_COEFF_BANDS;
      const type = Math.floor(index / (NUM_ENTROPY_NODES * NUM_PREV_COEFF_CONTEXTS * NUM_COEFF_BANDS));
      return `[${type}][${band}][${ctx}][${node}]: ${BLOCK_TYPES[type]} blocks, band ${band}, context ${ctx}, tree node ${node}`;
    }
    case 'intra_16x16_prob': case 'intra_chroma_prob':
      return `tree node ${index}`;
    case 'mv_prob_update_flag': case 'prob':
      return `${index < MV_PROB_COUNT ? 'row' : 'column'} ${MV_PROBS[index % MV_PROB_COUNT]}`;
    default:
      return `${index}`;
  }
}

/** A field's value in words, where the number alone does not say it. */
function meaningOf(name: string, v: number, delta: string | null): string {
  switch (name) {
    case 'color_space': return v === 0 ? '0: YUV as in ITU-R BT.601' : `${v}: reserved`;
    case 'clamping_type': return v === 0 ? '0: the decoder clamps reconstructed samples' : '1: no clamping needed';
    case 'segment_feature_mode': return v === 1 ? '1: absolute values' : '0: deltas from the frame\'s values';
    case 'filter_type': return v === 0 ? '0: normal loop filter' : '1: simple loop filter';
    case 'log2_nbr_of_dct_partitions': return `${v}: ${1 << v} token partition${v === 0 ? '' : 's'}`;
    case 'copy_buffer_to_golden': return `${v}: ${['no copy', 'LAST copied to GOLDEN', 'ALTREF copied to GOLDEN', 'invalid'][v]}`;
    case 'copy_buffer_to_alternate': return `${v}: ${['no copy', 'LAST copied to ALTREF', 'GOLDEN copied to ALTREF', 'invalid'][v]}`;
    case 'refresh_entropy_probs': return v === 1 ? '1: this frame\'s probabilities are kept for later frames' : '0: they last this frame only';
    case 'coeff_prob_update_flag': case 'mv_prob_update_flag': case 'segment_prob_update':
      return v === 1 ? '1: updated' : '0: kept';
    case 'prob': return `${v}: probability ${v === 0 ? 1 : v << 1} (7 bits, doubled)`;
    case 'prob_skip_false': case 'prob_intra': case 'prob_last': case 'prob_gf': case 'coeff_prob': case 'segment_prob':
    case 'intra_16x16_prob': case 'intra_chroma_prob':
      return `${v}: P(0) = ${v}/256`;
    default:
      return delta !== null ? `${v}: ${delta}` : String(v);
  }
}

/**
 * The decode trace of a frame's header. Throws as the decoder would on a
 * header it refuses (a truncated frame, a bad start code).
 */
export function traceFrameHeader(bytes: Uint8Array): FrameHeaderTrace {
  // The decoder's own header read (refusing what it refuses), through a recording decoder and coder.
  const raw: { name: string; index?: number; bools: TracedBool[] }[] = [];
  const { header, decoder, firstPartitionStart } = readFrameHeader(bytes, (f, start) => {
    const recorder = new RecordingBoolDecoder(f, start, f.length);
    const reader = new TracingReader(recorder);
    reader.elements = raw;
    return { decoder: recorder, coder: reader };
  });
  const tagField = (name: string, bit: number, bits: number, value: number, meaning: string): ChunkField => ({ name, section: '9.1', byte: bit >> 3, bit: bit & 7, bits, value, meaning });
  const uncompressed: ChunkField[] = [
    tagField('key_frame', 0, 1, header.keyFrame ? 0 : 1, header.keyFrame ? '0: a key frame' : '1: an inter frame'),
    tagField('version', 1, 3, header.version, `${header.version}: ${VERSIONS[header.version]}`),
    tagField('show_frame', 4, 1, header.showFrame ? 1 : 0, header.showFrame ? '1: shown' : '0: decoded but not shown'),
    tagField('first_part_size', 5, 19, header.firstPartSize, `${header.firstPartSize} bytes of first partition after this chunk`),
  ];
  if (header.keyFrame) {
    const scale = (s: number): string => (s === 0 ? '0: no upscaling' : `${s}: upscale ${['', '5/4', '5/3', '2'][s]}`);
    uncompressed.push(
      { name: 'start_code', section: '9.1', byte: 3, bit: 0, bits: 24, value: 0x9d012a, meaning: '9d 01 2a' },
      { name: 'width', section: '9.1', byte: 6, bit: 0, bits: 14, value: header.width, meaning: `${header.width} samples` },
      { name: 'horizontal_scale', section: '9.1', byte: 7, bit: 6, bits: 2, value: header.horizontalScale, meaning: scale(header.horizontalScale) },
      { name: 'height', section: '9.1', byte: 8, bit: 0, bits: 14, value: header.height, meaning: `${header.height} samples` },
      { name: 'vertical_scale', section: '9.1', byte: 9, bit: 6, bits: 2, value: header.verticalScale, meaning: scale(header.verticalScale) },
    );
  }

  // A magnitude says the signed value its sign bit (the next field) makes;
  // the loop filter's delta_magnitude and delta_sign take the context of the
  // update flag before them (a reference or a mode class).
  let flagContext = '';
  const elements = raw.map(({ name, index, bools }, i): TracedElement => {
    const v = valueOf(bools);
    const next = raw[i + 1];
    const signed = /(_value|_magnitude)$/.test(name) && next !== undefined && next.name.endsWith('_sign') ? `magnitude, ${valueOf(next.bools) ? -v : v} with the sign bit after it` : null;
    let context = contextOf(name, index);
    if (name === 'ref_frame_delta_update_flag' || name === 'mb_mode_delta_update_flag') flagContext = context;
    else if (name === 'delta_magnitude' || name === 'delta_sign') context = flagContext;
    // The skip flag's fields are described for key frames in 9.11, for inter frames in 9.10.
    const section = header.keyFrame && (name === 'mb_no_skip_coeff' || name === 'prob_skip_false') ? '9.11' : SECTIONS[name] ?? '19.2';
    return { name, section, partition: 0, value: meaningOf(name, v, signed), context, bools, ...(index !== undefined ? { index } : {}) };
  });
  return { chunkBytes: firstPartitionStart, uncompressed, elements, bits: decoder.bitsConsumed(), firstPartitionBytes: header.firstPartSize };
}
