// RFC 6386 sections 9.6 and 14.1: dequantization factors.
//
// A frame carries one quantizer index (y_ac_qi) and five optional deltas; a
// segment may override the index (section 9.3). Each of the six coefficient
// groups (Y DC, Y AC, Y2 DC, Y2 AC, UV DC, UV AC) looks its index, clamped to
// 0..127, up in the DC or AC table, with three adjustments: Y2 DC is doubled,
// Y2 AC is scaled by 155/100 and at least 8, and UV DC is at most 132.

import { AC_QUANT, DC_QUANT, MAX_QINDEX } from './tables.js';

/** The six dequantization factors of one quantizer level. */
export interface DequantFactors {
  readonly y1Dc: number;
  readonly y1Ac: number;
  readonly y2Dc: number;
  readonly y2Ac: number;
  readonly uvDc: number;
  readonly uvAc: number;
}

/** The frame's quantizer deltas, as values (section 9.6). */
export interface QuantDeltas {
  readonly y1Dc: number;
  readonly y2Dc: number;
  readonly y2Ac: number;
  readonly uvDc: number;
  readonly uvAc: number;
}

const clampQ = (q: number): number => (q < 0 ? 0 : q > MAX_QINDEX ? MAX_QINDEX : q);

/** Factors for quantizer index `q` (already clamped) and the frame's deltas (section 14.1). */
export function dequantFactors(q: number, d: QuantDeltas): DequantFactors {
  const y2Ac = (AC_QUANT[clampQ(q + d.y2Ac)] * 155 / 100) | 0;
  const uvDc = DC_QUANT[clampQ(q + d.uvDc)];
  return {
    y1Dc: DC_QUANT[clampQ(q + d.y1Dc)],
    y1Ac: AC_QUANT[clampQ(q)],
    y2Dc: DC_QUANT[clampQ(q + d.y2Dc)] * 2,
    y2Ac: y2Ac < 8 ? 8 : y2Ac,
    uvDc: uvDc > 132 ? 132 : uvDc,
    uvAc: AC_QUANT[clampQ(q + d.uvAc)],
  };
}

/**
 * The quantizer index of a segment (section 9.3): the segment's value replaces
 * the frame's index in absolute mode and is added to it in delta mode; the
 * result is clamped to 0..127.
 */
export function segmentQIndex(frameQ: number, segmentationEnabled: boolean, absolute: boolean, segmentValue: number): number {
  if (!segmentationEnabled) return frameQ;
  return clampQ(absolute ? segmentValue : frameQ + segmentValue);
}
