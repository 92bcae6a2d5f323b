// The decode trace of a frame header (src/inspect/header-trace.ts): on every
// frame of every test vector its fields are Annex A section 19.2's, in the
// order the table lists them (built here from the parsed header, not from the
// decoder's syntax), their values are the parsed header's, the uncompressed
// chunk's fields are the frame tag's and the key frame's dimensions, and its
// bools end where the decoder's header ends — and the page shows it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceFrameHeader } from '../../src/inspect/header-trace.js';
import type { TracedElement } from '../../src/inspect/trace.js';
import { type FrameHeader, readFrameHeader, readFrameTag } from '../../src/vp8/header.js';
import { Vp8Error } from '../../src/vp8/errors.js';
import { COEFF_UPDATE_PROBS, MV_UPDATE_PROBS } from '../../src/vp8/tables.js';
import { excamera } from '../helpers/cli.js';
import { FIXTURES, ivfFrames, VECTOR_NAMES, VECTORS } from '../helpers/fixtures.js';
import { launchChromium, openInspector } from '../helpers/browser.js';
import { findChromium, TOOLS_REQUIRED } from '../helpers/tools.js';

const vector = (name: string): string => join(VECTORS, `${name}.ivf`);

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-header-trace-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A field as the test expects it: its Annex A name, loop index, and value. */
type Field = readonly [name: string, index: number | undefined, value: number];

/** Annex A section 19.2's fields, in its order, with the values of a parsed header. */
function annexAFields(h: FrameHeader): Field[] {
  const out: Field[] = [];
  const f = (name: string, value: number | boolean, index?: number): void => {
    out.push([name, index, Number(value)]);
  };
  const delta = (names: readonly [string, string, string], d: { magnitude: number; negative: boolean } | null, index?: number): void => {
    f(names[0], d !== null, index);
    if (d !== null) {
      f(names[1], d.magnitude, index);
      f(names[2], d.negative, index);
    }
  };
  if (h.keyFrame) {
    f('color_space', h.colorSpace);
    f('clamping_type', h.clampingType);
  }
  f('segmentation_enabled', h.segmentationEnabled);
  if (h.segmentationEnabled) {
    f('update_mb_segmentation_map', h.updateMbSegmentationMap);
    f('update_segment_feature_data', h.updateSegmentFeatureData);
    if (h.updateSegmentFeatureData) {
      f('segment_feature_mode', h.segmentFeatureMode);
      for (let i = 0; i < 4; i++) delta(['quantizer_update', 'quantizer_update_value', 'quantizer_update_sign'], h.quantizerUpdate[i] ?? null, i);
      for (let i = 0; i < 4; i++) delta(['loop_filter_update', 'lf_update_value', 'lf_update_sign'], h.loopFilterUpdate[i] ?? null, i);
    }
    if (h.updateMbSegmentationMap) {
      for (let i = 0; i < 3; i++) {
        const p = h.segmentProb[i] ?? null;
        f('segment_prob_update', p !== null, i);
        if (p !== null) f('segment_prob', p, i);
      }
    }
  }
  f('filter_type', h.filterType);
  f('loop_filter_level', h.loopFilterLevel);
  f('sharpness_level', h.sharpnessLevel);
  f('loop_filter_adj_enable', h.loopFilterAdjEnable);
  if (h.loopFilterAdjEnable) {
    f('mode_ref_lf_delta_update', h.modeRefLfDeltaUpdate);
    if (h.modeRefLfDeltaUpdate) {
      for (let i = 0; i < 4; i++) delta(['ref_frame_delta_update_flag', 'delta_magnitude', 'delta_sign'], h.refFrameDeltaUpdate[i] ?? null, i);
      for (let i = 0; i < 4; i++) delta(['mb_mode_delta_update_flag', 'delta_magnitude', 'delta_sign'], h.mbModeDeltaUpdate[i] ?? null, i);
    }
  }
  f('log2_nbr_of_dct_partitions', h.log2NbrOfDctPartitions);
  f('y_ac_qi', h.yAcQi);
  delta(['y_dc_delta_present', 'y_dc_delta_magnitude', 'y_dc_delta_sign'], h.yDcDelta);
  delta(['y2_dc_delta_present', 'y2_dc_delta_magnitude', 'y2_dc_delta_sign'], h.y2DcDelta);
  delta(['y2_ac_delta_present', 'y2_ac_delta_magnitude', 'y2_ac_delta_sign'], h.y2AcDelta);
  delta(['uv_dc_delta_present', 'uv_dc_delta_magnitude', 'uv_dc_delta_sign'], h.uvDcDelta);
  delta(['uv_ac_delta_present', 'uv_ac_delta_magnitude', 'uv_ac_delta_sign'], h.uvAcDelta);
  if (h.keyFrame) f('refresh_entropy_probs', h.refreshEntropyProbs);
  else {
    f('refresh_golden_frame', h.refreshGoldenFrame);
    f('refresh_alternate_frame', h.refreshAlternateFrame);
    if (!h.refreshGoldenFrame) f('copy_buffer_to_golden', h.copyBufferToGolden);
    if (!h.refreshAlternateFrame) f('copy_buffer_to_alternate', h.copyBufferToAlternate);
    f('sign_bias_golden', h.signBiasGolden);
    f('sign_bias_alternate', h.signBiasAlternate);
    f('refresh_entropy_probs', h.refreshEntropyProbs);
    f('refresh_last', h.refreshLast);
  }
  // token_prob_update(): for i, j, k, l — flat index i*264 + j*33 + k*11 + l.
  for (let i = 0; i < 4 * 8 * 3 * 11; i++) {
    f('coeff_prob_update_flag', h.coeffProbUpdates[i]! >= 0, i);
    if (h.coeffProbUpdates[i]! >= 0) f('coeff_prob', h.coeffProbUpdates[i]!, i);
  }
  f('mb_no_skip_coeff', h.mbNoSkipCoeff);
  if (h.mbNoSkipCoeff) f('prob_skip_false', h.probSkipFalse);
  if (!h.keyFrame) {
    f('prob_intra', h.probIntra);
    f('prob_last', h.probLast);
    f('prob_gf', h.probGf);
    f('intra_16x16_prob_update_flag', h.intra16x16Prob !== null);
    if (h.intra16x16Prob !== null) for (let i = 0; i < 4; i++) f('intra_16x16_prob', h.intra16x16Prob[i]!, i);
    f('intra_chroma_prob_update_flag', h.intraChromaProb !== null);
    if (h.intraChromaProb !== null) for (let i = 0; i < 3; i++) f('intra_chroma_prob', h.intraChromaProb[i]!, i);
    // mv_prob_update(): for i (row, column), j — flat index i*19 + j.
    for (let i = 0; i < 2 * 19; i++) {
      f('mv_prob_update_flag', h.mvProbUpdates[i]! >= 0, i);
      if (h.mvProbUpdates[i]! >= 0) f('prob', h.mvProbUpdates[i]!, i);
    }
  }
  return out;
}

/** A traced field's value from its bools, most significant first. */
const valueOf = (e: TracedElement): number => e.bools.reduce((v, b) => v * 2 + b.bit, 0);

/** The fixed probability a field's bools were read with: literals at one half, update flags at their tables'. */
function expectedProb(name: string, index: number | undefined): number {
  if (name === 'coeff_prob_update_flag') return COEFF_UPDATE_PROBS[index!]!;
  if (name === 'mv_prob_update_flag') return MV_UPDATE_PROBS[index!]!;
  return 128;
}

describe('the decode trace of a frame header', () => {
  it('is Annex A\'s fields in order with the parsed values, every bool the decoder read, on every frame of every test vector and a 720p stream', () => {
    let frames = 0;
    let keyFrames = 0;
    let withSegments = 0;
    let withDeltas = 0;
    // Every frame of the vectors, and of a long 720p stream from vpxenc.
    const streams = [...VECTOR_NAMES.map(vector), join(FIXTURES, 'streams', 'flower_720p_300f_2mbps.ivf')];
    for (const path of streams) {
      for (const bytes of ivfFrames(path)) {
        const { header, decoder } = readFrameHeader(bytes);
        const t = traceFrameHeader(bytes);
        const fields = annexAFields(header);
        // As text: a deep comparison of a thousand fields per frame is slow, and the first difference shows as well.
        const traced = t.elements.map((e) => `${e.name}${e.index === undefined ? '' : `[${e.index}]`} = ${valueOf(e)}`);
        const expected = fields.map(([name, index, value]) => `${name}${index === undefined ? '' : `[${index}]`} = ${value}`);
        if (traced.join('\n') !== expected.join('\n')) expect(traced, path).toEqual(expected);
        // Every field is at least one bool, each read at the field's fixed probability.
        const misread = t.elements.filter((e) => e.bools.length === 0 || e.bools.some((b) => b.prob !== expectedProb(e.name, e.index)));
        expect(misread.map((e) => `${e.name}[${e.index}]: ${e.bools.map((b) => b.prob).join(' ')}`)).toEqual([]);
        // The bools end where the decoder starts reading the macroblock headers.
        expect(t.bits).toBe(decoder.bitsConsumed());
        expect(t.bits).toBe(t.elements.reduce((n, e) => n + e.bools.reduce((m, b) => m + b.shifted, 0), 0));
        // The uncompressed chunk: the frame tag, and a key frame's start code and dimensions.
        const tag = readFrameTag(bytes);
        const chunk = Object.fromEntries(t.uncompressed.map((f) => [f.name, f.value]));
        expect(chunk).toEqual({
          key_frame: tag.keyFrame ? 0 : 1, version: tag.version, show_frame: tag.showFrame ? 1 : 0, first_part_size: tag.firstPartSize,
          ...(tag.keyFrame ? { start_code: 0x9d012a, width: header.width, horizontal_scale: header.horizontalScale, height: header.height, vertical_scale: header.verticalScale } : {}),
        });
        // Each field's bits, read back from the frame's bytes where the trace says they are.
        for (const f of t.uncompressed) {
          let v = 0;
          for (let k = 0; k < f.bits; k++) {
            const bit = f.byte * 8 + f.bit + k;
            v |= ((bytes[bit >> 3]! >> (bit & 7)) & 1) << k;
          }
          if (f.name !== 'start_code') expect(v, f.name).toBe(f.value);
        }
        expect(t.firstPartitionBytes).toBe(tag.firstPartSize);
        frames++;
        if (header.keyFrame) keyFrames++;
        if (header.segmentationEnabled && header.updateSegmentFeatureData) withSegments++;
        if (header.modeRefLfDeltaUpdate) withDeltas++;
      }
    }
    // The vectors exercise every branch of the syntax.
    expect(frames).toBeGreaterThan(500);
    expect(keyFrames).toBeGreaterThan(18);
    expect(withSegments).toBeGreaterThan(0);
    expect(withDeltas).toBeGreaterThan(0);
  });

  it('says what values mean, and which table entry a field in a loop updates', () => {
    const frames = ivfFrames(vector('vp80-00-comprehensive-007'));
    const key = traceFrameHeader(frames[0]!);
    const by = (name: string, index?: number): TracedElement => key.elements.find((e) => e.name === name && e.index === index)!;
    expect(by('filter_type').value).toMatch(/^[01]: (normal|simple) loop filter$/);
    expect(by('log2_nbr_of_dct_partitions').value).toMatch(/^\d: \d token partitions?$/);
    const q = by('quantizer_update_value', 1);
    expect(q.context).toBe('segment 1');
    const sign = by('quantizer_update_sign', 1);
    expect(q.value).toBe(`${valueOf(q)}: magnitude, ${valueOf(sign) ? -valueOf(q) : valueOf(q)} with the sign bit after it`);
    // The loop filter's delta_magnitude takes the context of its update flag.
    const flagged = key.elements.filter((e) => e.name === 'ref_frame_delta_update_flag' && valueOf(e) === 1);
    expect(flagged.length).toBeGreaterThan(0);
    for (const f of flagged) expect(key.elements.find((e) => e.name === 'delta_magnitude' && e.index === f.index)!.context).toBe(f.context);
    const update = key.elements.find((e) => e.name === 'coeff_prob' && e.index !== undefined)!;
    const i = update.index!;
    expect(update.context.startsWith(`[${Math.floor(i / 264)}][${Math.floor(i / 33) % 8}][${Math.floor(i / 11) % 3}][${i % 11}]`)).toBe(true);
    expect(update.section).toBe('13.4');
    expect(by('y_ac_qi').section).toBe('9.6');
    expect(by('mb_no_skip_coeff').section).toBe('9.11');
  });

  it('refuses what the decoder refuses: a frame cut inside its header, a bad start code', () => {
    const frame = ivfFrames(vector('vp80-00-comprehensive-001'))[0]!;
    expect(() => traceFrameHeader(frame.subarray(0, 6))).toThrow(Vp8Error);
    const bad = frame.slice();
    bad[4] = 0;
    expect(() => traceFrameHeader(bad)).toThrow(/start code/);
    expect(() => traceFrameHeader(frame.subarray(0, 20))).toThrow(/first partition of \d+ bytes runs past the end/);
  });

  const CHROMIUM = findChromium('the inspector\'s browser test of the frame header trace');
  it.skipIf(CHROMIUM === null && !TOOLS_REQUIRED)('is shown for the frame picked, folded, and stays open from frame to frame (needs chromium)', async () => {
    const stream = vector('vp80-00-comprehensive-007');
    const out = join(dir, 'v007.html');
    const r = excamera('inspect', stream, '-o', out);
    expect(r.status, r.stderr).toBe(0);
    const frames = ivfFrames(stream);
    const browser = await launchChromium(CHROMIUM);
    try {
      const { page, problems } = await openInspector(browser, out);
      for (const index of [0, 1]) {
        await page.locator(`#frames-body tr[data-frame="${index}"]`).click();
        await page.waitForFunction(`document.getElementById('frame-detail').dataset.frame === '${index}' && document.querySelector('#frame-detail [data-view="header-trace"]') !== null`);
        if (index === 0) {
          // Folded until opened; then it stays open for the next frame.
          expect(await page.locator('[data-view="uncompressed"]').count()).toBe(0);
          await page.locator('[data-view="header-trace"] > summary').click();
        }
        await page.locator('[data-view="uncompressed"]').waitFor();
        const t = traceFrameHeader(frames[index]!);
        expect(await page.$$eval('[data-view="uncompressed"] tr[data-element]', (trs) => trs.map((tr) => tr.getAttribute('data-element')))).toEqual(t.uncompressed.map((f) => f.name));
        // The fields outside the two probability-update loops are rows; each loop is one folded group.
        const loops = new Set(['coeff_prob_update_flag', 'coeff_prob', 'mv_prob_update_flag', 'prob']);
        const rows = await page.$$eval('[data-view="header-trace"] > table:not([data-view="uncompressed"]) tr[data-element]', (trs) => trs.map((tr) => tr.getAttribute('data-element')));
        expect(rows).toEqual(t.elements.filter((e) => !loops.has(e.name)).map((e) => e.name));
        expect(await page.locator('[data-view="header-trace"] tr[data-element="y_ac_qi"] td').nth(1).textContent()).toBe(String(readFrameHeader(frames[index]!).header.yAcQi));
        const token = page.locator('details[data-view="token_prob_update"]');
        const updated = t.elements.filter((e) => e.name === 'coeff_prob').length;
        expect(await token.locator('summary').textContent()).toContain(`1056 flags, ${updated} set`);
        await token.locator('summary').click();
        await page.waitForFunction(`document.querySelectorAll('details[data-view="token_prob_update"] tr[data-element]').length === ${1056 + updated}`);
        expect(await page.locator('details[data-view="mv_prob_update"]').count()).toBe(index === 0 ? 0 : 1);
      }
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
