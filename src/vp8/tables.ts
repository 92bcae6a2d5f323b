// RFC 6386 sections 8.1, 11, 13, 16 and 17: the enumerations, coding trees and
// small constant tables of VP8. The large probability and quantizer tables are
// in tables-data.ts.
//
// A coding tree is stored as in the RFC (section 8.1): an array of pairs, where
// a positive entry is the index of the next pair and an entry <= 0 is a leaf
// holding the negated value. Reading walks from index 0 with one bool per pair,
// using probability number (index >> 1).

export * from './tables-data.js';

// --- Macroblock-level prediction modes (sections 11.2 and 16) ---------------
// One numbering for intra and inter modes so that a single Uint8Array per frame
// records every macroblock's mode.
export const DC_PRED = 0;
export const V_PRED = 1;
export const H_PRED = 2;
export const TM_PRED = 3;
export const B_PRED = 4;
export const NEARESTMV = 5;
export const NEARMV = 6;
export const ZEROMV = 7;
export const NEWMV = 8;
export const SPLITMV = 9;

export const MB_MODE_NAMES: readonly string[] = [
  'DC_PRED', 'V_PRED', 'H_PRED', 'TM_PRED', 'B_PRED',
  'NEARESTMV', 'NEARMV', 'ZEROMV', 'NEWMV', 'SPLITMV',
];

// --- Subblock intra modes (section 11.2) -------------------------------------
export const B_DC_PRED = 0;
export const B_TM_PRED = 1;
export const B_VE_PRED = 2;
export const B_HE_PRED = 3;
export const B_LD_PRED = 4;
export const B_RD_PRED = 5;
export const B_VR_PRED = 6;
export const B_VL_PRED = 7;
export const B_HD_PRED = 8;
export const B_HU_PRED = 9;

export const B_MODE_NAMES: readonly string[] = [
  'B_DC_PRED', 'B_TM_PRED', 'B_VE_PRED', 'B_HE_PRED', 'B_LD_PRED',
  'B_RD_PRED', 'B_VR_PRED', 'B_VL_PRED', 'B_HD_PRED', 'B_HU_PRED',
];

// --- Reference frames (section 9.7) ------------------------------------------
export const INTRA_FRAME = 0;
export const LAST_FRAME = 1;
export const GOLDEN_FRAME = 2;
export const ALTREF_FRAME = 3;

export const REF_FRAME_NAMES: readonly string[] = ['INTRA_FRAME', 'LAST_FRAME', 'GOLDEN_FRAME', 'ALTREF_FRAME'];

// --- Split MV partitionings and sub-block MV modes (section 16.4) ------------
export const SPLIT_16X8 = 0;
export const SPLIT_8X16 = 1;
export const SPLIT_8X8 = 2;
export const SPLIT_4X4 = 3;

export const LEFT4X4 = 0;
export const ABOVE4X4 = 1;
export const ZERO4X4 = 2;
export const NEW4X4 = 3;

export const SPLIT_NAMES: readonly string[] = ['SPLIT_16X8', 'SPLIT_8X16', 'SPLIT_8X8', 'SPLIT_4X4'];
export const SUB_MV_MODE_NAMES: readonly string[] = ['LEFT4X4', 'ABOVE4X4', 'ZERO4X4', 'NEW4X4'];

// --- Coding trees -------------------------------------------------------------
/** Key-frame luma mode tree (section 11.2). */
export const KF_YMODE_TREE: Int8Array = Int8Array.of(-B_PRED, 2, 4, 6, -DC_PRED, -V_PRED, -H_PRED, -TM_PRED);
/** Inter-frame luma mode tree for intra macroblocks (section 16.1). */
export const YMODE_TREE: Int8Array = Int8Array.of(-DC_PRED, 2, 4, 6, -V_PRED, -H_PRED, -TM_PRED, -B_PRED);
/** Chroma mode tree (section 11.4). */
export const UV_MODE_TREE: Int8Array = Int8Array.of(-DC_PRED, 2, -V_PRED, 4, -H_PRED, -TM_PRED);
/** Subblock mode tree (section 11.2). */
export const BMODE_TREE: Int8Array = Int8Array.of(
  -B_DC_PRED, 2,
  -B_TM_PRED, 4,
  -B_VE_PRED, 6,
  8, 12,
  -B_HE_PRED, 10,
  -B_RD_PRED, -B_VR_PRED,
  -B_LD_PRED, 14,
  -B_VL_PRED, 16,
  -B_HD_PRED, -B_HU_PRED,
);
/** Segment id tree (section 9.3). */
export const SEGMENT_TREE: Int8Array = Int8Array.of(2, 4, -0, -1, -2, -3);
/** Macroblock motion vector mode tree (section 16.3). */
export const MV_REF_TREE: Int8Array = Int8Array.of(-ZEROMV, 2, -NEARESTMV, 4, -NEARMV, 6, -NEWMV, -SPLITMV);
/** Split partitioning tree (section 16.4): 4x4 = "0", 8x8 = "10", 16x8 = "110", 8x16 = "111". */
export const SPLIT_MV_TREE: Int8Array = Int8Array.of(-SPLIT_4X4, 2, -SPLIT_8X8, 4, -SPLIT_16X8, -SPLIT_8X16);
/** Sub-block motion vector mode tree (section 16.4). */
export const SUBMV_REF_TREE: Int8Array = Int8Array.of(-LEFT4X4, 2, -ABOVE4X4, 4, -ZERO4X4, -NEW4X4);
/** Tree for short motion vector magnitudes 0..7 (section 17.1). */
export const SMALL_MV_TREE: Int8Array = Int8Array.of(2, 8, 4, 6, -0, -1, -2, -3, 10, 12, -4, -5, -6, -7);

// --- Fixed mode probabilities -------------------------------------------------
/** Key-frame luma mode probabilities (section 11.2). */
export const KF_YMODE_PROBS: Uint8Array = Uint8Array.of(145, 156, 163, 128);
/** Key-frame chroma mode probabilities (section 11.4). */
export const KF_UV_MODE_PROBS: Uint8Array = Uint8Array.of(142, 114, 183);
/** Default inter-frame luma mode probabilities, reset on key frames (section 16.1). */
export const DEFAULT_YMODE_PROBS: Uint8Array = Uint8Array.of(112, 86, 140, 37);
/** Default inter-frame chroma mode probabilities (section 16.1). */
export const DEFAULT_UV_MODE_PROBS: Uint8Array = Uint8Array.of(162, 101, 204);
/** Subblock mode probabilities in inter frames, without contexts (section 16.1). */
export const BMODE_PROBS: Uint8Array = Uint8Array.of(120, 90, 79, 133, 87, 85, 80, 111, 151);
/** Split partitioning probabilities (section 16.4). */
export const SPLIT_MV_PROBS: Uint8Array = Uint8Array.of(110, 111, 150);

/**
 * Probabilities of the macroblock MV mode tree given the neighbour counts of
 * section 16.3: MODE_CONTEXTS[count * 4 + node].
 */
export const MODE_CONTEXTS: Uint8Array = Uint8Array.of(
  7, 1, 1, 143,
  14, 18, 14, 107,
  135, 64, 57, 68,
  60, 56, 128, 65,
  159, 134, 128, 34,
  234, 188, 128, 28,
);

/**
 * Sub-block MV mode probabilities (section 16.4), chosen by comparing the
 * vectors of the sub-blocks to the left and above: SUBMV_REF_PROBS[context * 3 + node].
 */
export const SUBMV_REF_PROBS: Uint8Array = Uint8Array.of(
  147, 136, 18, // SUBMVREF_NORMAL
  106, 145, 1, // SUBMVREF_LEFT_ZED: left is zero
  179, 121, 1, // SUBMVREF_ABOVE_ZED: above is zero
  223, 1, 34, // SUBMVREF_LEFT_ABOVE_SAME: left equals above, not zero
  208, 1, 1, // SUBMVREF_LEFT_ABOVE_ZED: both zero
);
export const SUBMVREF_NORMAL = 0;
export const SUBMVREF_LEFT_ZED = 1;
export const SUBMVREF_ABOVE_ZED = 2;
export const SUBMVREF_LEFT_ABOVE_SAME = 3;
export const SUBMVREF_LEFT_ABOVE_ZED = 4;

/** For each partitioning, the partition that each of the 16 luma subblocks belongs to (section 16.4). */
export const MV_PARTITIONS: readonly Uint8Array[] = [
  Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
  Uint8Array.of(0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1),
  Uint8Array.of(0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3),
  Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
];
/** Number of partitions of each partitioning. */
export const MV_PARTITION_COUNT: Uint8Array = Uint8Array.of(2, 2, 4, 16);

// --- Motion vector probabilities (section 17.2) --------------------------------
/** Number of probabilities per MV component. */
export const MV_PROB_COUNT = 19;
/** Offsets inside one component's 19 probabilities. */
export const MV_PROB_IS_SHORT = 0;
export const MV_PROB_SIGN = 1;
export const MV_PROB_SHORT = 2;
export const MV_PROB_LONG = 9;
/** Number of bits of a long MV magnitude. */
export const MV_LONG_BITS = 10;

// --- DCT tokens (section 13) ---------------------------------------------------
/** Block types indexing the coefficient probabilities (section 13.3). */
export const BLOCK_TYPE_Y_AFTER_Y2 = 0;
export const BLOCK_TYPE_Y2 = 1;
export const BLOCK_TYPE_UV = 2;
export const BLOCK_TYPE_Y_WITH_DC = 3;

export const NUM_BLOCK_TYPES = 4;
export const NUM_COEFF_BANDS = 8;
export const NUM_PREV_COEFF_CONTEXTS = 3;
export const NUM_ENTROPY_NODES = 11;
/** Size of one complete set of coefficient probabilities. */
export const COEFF_PROBS_SIZE = NUM_BLOCK_TYPES * NUM_COEFF_BANDS * NUM_PREV_COEFF_CONTEXTS * NUM_ENTROPY_NODES;

/** Coefficient band of each position in zigzag order, plus a sentinel (section 13.3). */
export const COEFF_BANDS: Uint8Array = Uint8Array.of(0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0);
/** Raster position of the i-th coefficient in zigzag order (section 13). */
export const ZIGZAG: Uint8Array = Uint8Array.of(0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15);

/**
 * Probabilities of the extra bits of the DCT_CAT3..DCT_CAT6 tokens, most
 * significant bit first (section 13.2); DCT_CAT1 and DCT_CAT2 are coded inline.
 */
export const DCT_CAT3_PROBS: Uint8Array = Uint8Array.of(173, 148, 140);
export const DCT_CAT4_PROBS: Uint8Array = Uint8Array.of(176, 155, 140, 135);
export const DCT_CAT5_PROBS: Uint8Array = Uint8Array.of(180, 157, 141, 134, 130);
export const DCT_CAT6_PROBS: Uint8Array = Uint8Array.of(254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129);
export const DCT_CAT_PROBS: readonly Uint8Array[] = [DCT_CAT3_PROBS, DCT_CAT4_PROBS, DCT_CAT5_PROBS, DCT_CAT6_PROBS];
/** Smallest magnitude of DCT_CAT3..DCT_CAT6. */
export const DCT_CAT_BASE: Uint8Array = Uint8Array.of(11, 19, 35, 67);

// --- Segmentation and loop-filter adjustments (sections 9.3 and 9.4) ------------
export const MAX_MB_SEGMENTS = 4;
export const SEGMENT_TREE_PROBS = 3;
/** Bits of a segment's quantizer and loop-filter values. */
export const SEGMENT_QUANT_BITS = 7;
export const SEGMENT_LF_BITS = 6;
export const NUM_REF_LF_DELTAS = 4;
export const NUM_MODE_LF_DELTAS = 4;

/** Largest quantizer index and loop-filter level. */
export const MAX_QINDEX = 127;
export const MAX_LOOP_FILTER = 63;

// --- Bool coder (section 7.3) ---------------------------------------------------
/** Number of left shifts that bring a range value 1..255 back into 128..255. */
export const NORM_SHIFT: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let r = 1; r < 256; r++) {
    let s = 0;
    while (((r << s) & 0x80) === 0) s++;
    t[r] = s;
  }
  return t;
})();
