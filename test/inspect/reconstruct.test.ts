// The inspector's step-through reconstruction (src/inspect/reconstruct.ts):
// a replay of a frame from its parsed syntax is the decoder's picture, for
// every frame of every test vector; the steps of a macroblock add up
// (prediction + residual, clamped, is the reconstruction; the WHT's outputs
// are the DCs the luma blocks use; the loop-filtered samples are the
// decoder's); and each what-if changes what it says and nothing else.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MacroblockSteps, macroblockSteps, replayFrame, type WhatIf } from '../../src/inspect/reconstruct.js';
import { parseFrame, type Frame } from '../../src/vp8/frame.js';
import type { FrameHeader } from '../../src/vp8/header.js';
import { i420Layout } from '../../src/vp8/i420.js';
import { createDecoderState, type DecoderState, decodeFrame, type Image, imageToI420 } from '../../src/vp8/index.js';
import {
  B_PRED, DC_PRED, H_PRED, INTRA_FRAME, NEARESTMV, NEARMV, NEWMV, SPLITMV, TM_PRED, V_PRED, ZEROMV,
} from '../../src/vp8/tables.js';
import { inverseDctAdd, inverseDctResidual } from '../../src/vp8/transform.js';
import { ivfFrames, md5, VECTOR_NAMES, VECTORS } from '../helpers/fixtures.js';

const vector = (n: number): string => VECTOR_NAMES[n - 1]!;

/** One frame of a stream as the decoder saw it: the state before it, its syntax, and the decoder's picture (I420). */
interface DecodedFrame {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly before: DecoderState;
  readonly parsed: Frame;
  readonly header: FrameHeader;
  readonly picture: Uint8Array;
  readonly shown: boolean;
}

const streams = new Map<string, DecodedFrame[]>();

/** Every frame of a test vector, decoded by the decoder (cached). */
function decoded(name: string): DecodedFrame[] {
  let out = streams.get(name);
  if (out !== undefined) return out;
  out = [];
  let state = createDecoderState();
  for (const [index, bytes] of ivfFrames(join(VECTORS, `${name}.ivf`)).entries()) {
    const r = decodeFrame(state, bytes);
    const before = state;
    let parsed: Frame | null = null;
    out.push({
      index, bytes, before, header: r.header!, picture: imageToI420(r.reconstruction!), shown: r.image !== null,
      // Parsed when asked for: most frames are only replayed.
      get parsed(): Frame {
        return parsed ??= parseFrame(before, bytes);
      },
    });
    state = r.state;
  }
  streams.set(name, out);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const clamp255 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

// --- Reference transforms, written from the RFC's text for these tests --------

/** Section 14.3: the inverse WHT, vertical then horizontal pass; output i is luma block i's DC. */
function referenceWht(input: Int16Array): number[] {
  const t = new Array<number>(16);
  for (let i = 0; i < 4; i++) {
    const a = input[i]! + input[12 + i]!;
    const b = input[4 + i]! + input[8 + i]!;
    const c = input[4 + i]! - input[8 + i]!;
    const d = input[i]! - input[12 + i]!;
    t[i] = (a + b) << 16 >> 16;
    t[4 + i] = (c + d) << 16 >> 16;
    t[8 + i] = (a - b) << 16 >> 16;
    t[12 + i] = (d - c) << 16 >> 16;
  }
  const out = new Array<number>(16);
  for (let r = 0; r < 4; r++) {
    const [x0, x1, x2, x3] = [t[4 * r]!, t[4 * r + 1]!, t[4 * r + 2]!, t[4 * r + 3]!];
    const a = x0 + x3;
    const b = x1 + x2;
    const c = x1 - x2;
    const d = x0 - x3;
    out[4 * r] = ((a + b + 3) >> 3) << 16 >> 16;
    out[4 * r + 1] = ((c + d + 3) >> 3) << 16 >> 16;
    out[4 * r + 2] = ((a - b + 3) >> 3) << 16 >> 16;
    out[4 * r + 3] = ((d - c + 3) >> 3) << 16 >> 16;
  }
  return out;
}

/** Section 14.4: the inverse DCT, columns then rows, in 16-bit intermediate storage as libvpx keeps it. */
function referenceIdct(input: Int16Array): number[] {
  const s1 = (x: number): number => (x * 35468) >> 16; // x·sqrt(2)·sin(π/8)
  const c1 = (x: number): number => x + ((x * 20091) >> 16); // x·sqrt(2)·cos(π/8)
  const t = new Array<number>(16);
  for (let i = 0; i < 4; i++) {
    const [x0, x1, x2, x3] = [input[i]!, input[4 + i]!, input[8 + i]!, input[12 + i]!];
    const a = x0 + x2;
    const b = x0 - x2;
    const c = s1(x1) - c1(x3);
    const d = c1(x1) + s1(x3);
    t[i] = (a + d) << 16 >> 16;
    t[4 + i] = (b + c) << 16 >> 16;
    t[8 + i] = (b - c) << 16 >> 16;
    t[12 + i] = (a - d) << 16 >> 16;
  }
  const out = new Array<number>(16);
  for (let r = 0; r < 4; r++) {
    const [x0, x1, x2, x3] = [t[4 * r]!, t[4 * r + 1]!, t[4 * r + 2]!, t[4 * r + 3]!];
    const a = x0 + x2;
    const b = x0 - x2;
    const c = s1(x1) - c1(x3);
    const d = c1(x1) + s1(x3);
    out[4 * r] = ((a + d + 4) >> 3) << 16 >> 16;
    out[4 * r + 1] = ((b + c + 4) >> 3) << 16 >> 16;
    out[4 * r + 2] = ((b - c + 4) >> 3) << 16 >> 16;
    out[4 * r + 3] = ((a - d + 4) >> 3) << 16 >> 16;
  }
  return out;
}

// --- Samples of a macroblock in a packed I420 picture --------------------------

type PlaneName = 'y' | 'u' | 'v';
const PLANES: readonly PlaneName[] = ['y', 'u', 'v'];

/** Where sample (x, y) of a plane lies in a packed I420 picture of width × height, or -1 outside it. */
function i420Index(width: number, height: number, plane: PlaneName, x: number, y: number): number {
  const l = i420Layout(width, height);
  const [w, h, base] = plane === 'y' ? [l.width, l.height, 0] : [l.chromaWidth, l.chromaHeight, plane === 'u' ? l.uOffset : l.vOffset];
  return x < w && y < h ? base + y * w + x : -1;
}

/** Checks the visible samples of a macroblock's planes against a packed I420 picture. */
function expectMacroblockIn(picture: Uint8Array, width: number, height: number, s: MacroblockSteps, planes: MacroblockSteps['beforeLoopFilter'], what: string): void {
  for (const p of PLANES) {
    const g = planes[p];
    const size = p === 'y' ? 16 : 8;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const i = i420Index(width, height, p, size * s.mbCol + c, size * s.mbRow + r);
        if (i >= 0 && picture[i] !== g.values[r * size + c]) {
          throw new Error(`${what}: macroblock ${s.mb} plane ${p} (${c}, ${r}): ${g.values[r * size + c]}, picture ${picture[i]}`);
        }
      }
    }
  }
}

/** Samples where two I420 pictures differ, as [plane, x, y]. */
function differences(a: Uint8Array, b: Uint8Array, width: number, height: number): Array<[PlaneName, number, number]> {
  const l = i420Layout(width, height);
  const out: Array<[PlaneName, number, number]> = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (i < l.uOffset) out.push(['y', i % width, Math.floor(i / width)]);
    else {
      const plane = i < l.vOffset ? 'u' : 'v';
      const j = i - (plane === 'u' ? l.uOffset : l.vOffset);
      out.push([plane, j % l.chromaWidth, Math.floor(j / l.chromaWidth)]);
    }
  }
  return out;
}

/** The macroblock and the block (0-23) a sample falls in. */
function locate(plane: PlaneName, x: number, y: number, mbCols: number): { mb: number; block: number } {
  const size = plane === 'y' ? 16 : 8;
  const mb = Math.floor(y / size) * mbCols + Math.floor(x / size);
  const bx = Math.floor((x % size) / 4);
  const by = Math.floor((y % size) / 4);
  const block = plane === 'y' ? 4 * by + bx : (plane === 'u' ? 16 : 20) + 2 * by + bx;
  return { mb, block };
}

// --- (a) --------------------------------------------------------------------------

describe('replayFrame', () => {
  it('rebuilds every frame of every test vector exactly as the decoder does (shown frames at libvpx\'s md5)', () => {
    for (const name of VECTOR_NAMES) {
      const expected = readFileSync(join(VECTORS, `${name}.ivf.md5`), 'utf8').trim().split('\n').map((l) => l.split(/\s+/)[0]);
      const shown: string[] = [];
      for (const f of decoded(name)) {
        const r = replayFrame(f.before, f.bytes);
        if (!sameBytes(r.picture, f.picture)) throw new Error(`${name} frame ${f.index}: the replay is not the decoder's picture`);
        if (f.header.loopFilterLevel === 0 && !sameBytes(r.beforeLoopFilter, f.picture)) throw new Error(`${name} frame ${f.index}: unfiltered, yet the picture before the filter differs`);
        expect(r.loopFilter.applied).toBe(f.header.loopFilterLevel > 0);
        if (f.shown) shown.push(md5(r.picture));
      }
      expect(shown, name).toEqual(expected);
    }
  });
});

// --- (b) --------------------------------------------------------------------------

/** Frames whose macroblocks are all checked (vector number, frame indices): key and inter frames, odd sizes (006, 014), segmentation (002, 010, 015), the simple filter (003, 005, 007), unfiltered frames (004, 005). */
const STEP_FRAMES: ReadonlyArray<readonly [number, readonly number[]]> = [
  [1, [0, 14]], [2, [30]], [3, [0, 12]], [4, [5]], [5, [20]], [6, [0, 9]], [7, [3]], [9, [25]],
  [10, [33]], [11, [7]], [12, [11]], [14, [1, 48]], [15, [100]], [16, [4]], [17, [28]],
];

describe('macroblockSteps', () => {
  it('adds up, for every macroblock of sampled frames: prediction + residual is the reconstruction, the filtered samples the decoder\'s', () => {
    const seen = { bPred: 0, splitMv: 0, interWhole: 0, intraWhole: 0, intraInInterFrame: 0, skipped: 0, y2Full: 0, y2DcOnly: 0, partial: 0, unfiltered: 0, simple: 0, innerSkipped: 0 };
    for (const [n, indices] of STEP_FRAMES) {
      const frames = decoded(vector(n));
      for (const index of indices) {
        const f = frames[index]!;
        const m = f.parsed.modes;
        // One replay records every macroblock (thousands of replays would be slow); macroblockSteps is checked against it below.
        const replay = replayFrame(f.before, f.bytes, {}, range(0, m.count));
        const { width, height } = replay;
        expect(sameBytes(replay.picture, f.picture)).toBe(true);
        for (const [mb, s] of replay.steps.entries()) {
          const where = `${vector(n)} frame ${index} macroblock ${mb}`;
          const check = (ok: boolean, what: string): void => {
            if (!ok) throw new Error(`${where}: ${what}`);
          };
          check(s.mb === mb && s.mbCol === mb % m.mbCols && s.mbRow === Math.floor(mb / m.mbCols) && s.x === 16 * s.mbCol && s.y === 16 * s.mbRow, 'position');
          check(s.yMode === m.yMode[mb] && s.codedYMode === s.yMode, 'mode');
          check(s.hasY2 === (s.yMode !== B_PRED && s.yMode !== SPLITMV), 'hasY2');

          // Section 14.5: clamp(prediction + residual) is the reconstruction, sample by sample.
          for (const p of PLANES) {
            const pred = s.prediction[p].values, res = s.residual[p].values, rec = s.beforeLoopFilter[p].values;
            for (let i = 0; i < pred.length; i++) check(clamp255(pred[i]! + res[i]!) === rec[i], `plane ${p} sample ${i}: ${pred[i]} + ${res[i]} is not ${rec[i]}`);
          }
          // The reconstruction is the replay's before the filter, and the decoder's when the frame is not filtered; after the filter, the decoder's.
          expectMacroblockIn(replay.beforeLoopFilter, width, height, s, s.beforeLoopFilter, where);
          if (f.header.loopFilterLevel === 0) expectMacroblockIn(f.picture, width, height, s, s.beforeLoopFilter, `${where} (unfiltered frame)`);
          expectMacroblockIn(f.picture, width, height, s, s.afterLoopFilter, where);

          // Sections 14.1-14.4, block by block, against the parser's levels and the RFC's transforms.
          const levels = f.parsed.levels, eobs = f.parsed.eobs;
          for (const b of s.blocks) {
            const at = `block ${b.block}`;
            check(b.block === s.blocks.indexOf(b) && b.eob === eobs[25 * mb + b.block] && !b.dropped, `${at}: number, eob`);
            const lumaAfterY2 = s.hasY2 && b.block < 16;
            check((b.factors.dc === 0) === lumaAfterY2, `${at}: DC factor`);
            const idct = b.residual === null ? null : referenceIdct(b.transformInput);
            for (let i = 0; i < 16; i++) {
              check(b.levels[i] === levels[400 * mb + 16 * b.block + i], `${at}: level ${i}`);
              check(b.dequantized[i] === ((b.levels[i]! * (i === 0 ? b.factors.dc : b.factors.ac)) << 16 >> 16), `${at}: dequantized ${i}`);
              if (i > 0 || !lumaAfterY2) check(b.transformInput[i] === b.dequantized[i], `${at}: transform input ${i}`);
              if (idct !== null) check(b.residual![i] === idct[i], `${at}: residual ${i}`);
            }
          }
          if (s.hasY2) {
            const y2 = s.y2!;
            const wht = referenceWht(y2.input);
            for (let i = 0; i < 16; i++) {
              check(y2.input[i] === s.blocks[24]!.dequantized[i], `Y2 input ${i}`);
              check(y2.output[i] === wht[i], `WHT output ${i}: ${y2.output[i]}, RFC ${wht[i]}`);
              // The WHT's outputs are the DCs the luma blocks' inverse DCTs use.
              check(s.blocks[i]!.transformInput[0] === y2.output[i], `DC of block ${i}`);
            }
            if (y2.dcOnly) seen.y2DcOnly++;
            else seen.y2Full++;
          } else {
            check(s.y2 === null && !s.blocks[24]!.present, 'no Y2');
          }

          // Predictions that can be checked against their edges (section 12.2).
          if (s.intraEdges !== null && s.yMode !== B_PRED) {
            const { above, left } = s.intraEdges.y;
            const pred = s.prediction.y.values;
            for (let i = 0; i < 256; i++) {
              const [r, c] = [i >> 4, i & 15];
              const want = s.yMode === V_PRED ? above[1 + c] : s.yMode === H_PRED ? left[r] : s.yMode === TM_PRED ? clamp255(left[r]! + above[1 + c]! - above[0]!) : pred[0];
              check(pred[i] === want, `${s.yMode} prediction at (${c}, ${r})`);
            }
          }
          check((s.intraEdges === null) === (m.refFrame[mb] !== INTRA_FRAME) && (s.inter === null) === (m.refFrame[mb] === INTRA_FRAME), 'intra or inter');
          check((s.subblockModes === null) === (s.yMode !== B_PRED), 'subblock modes');
          if (s.inter !== null) {
            check(s.inter.mv[0] === m.mv[2 * mb] && s.inter.mv[1] === m.mv[2 * mb + 1] && s.inter.refFrame === m.refFrame[mb], 'vector');
            check((s.inter.subblockMvs === null) === (s.yMode !== SPLITMV), 'subblock vectors');
          }

          // Section 15: the level is the frame's unless segments or deltas adjust it.
          const h = f.header;
          const lf = s.loopFilter;
          if (h.loopFilterLevel === 0) check(lf.level === 0, 'level of an unfiltered frame');
          else if (!h.segmentationEnabled && !h.loopFilterAdjEnable) check(lf.level === h.loopFilterLevel, 'level');
          check(lf.level === replay.loopFilter.levels[mb], 'level in the frame');
          check(lf.applied === (h.loopFilterLevel > 0 && lf.level > 0), 'applied');
          check(lf.type === (h.filterType === 1 ? 'simple' : 'normal'), 'type');
          check(lf.innerEdges === (!s.hasY2 || s.blocks.some((b) => b.eob > 0)), 'inner edges');
          check((lf.params === null) === (lf.level === 0), 'params');

          if (s.yMode === B_PRED) seen.bPred++;
          else if (s.yMode === SPLITMV) seen.splitMv++;
          else if (s.inter !== null) seen.interWhole++;
          else seen.intraWhole++;
          if (s.inter === null && !s.keyFrame) seen.intraInInterFrame++;
          if (s.skipCoeff) seen.skipped++;
          if (s.visible.width < 16 || s.visible.height < 16) seen.partial++;
          if (!lf.applied) seen.unfiltered++;
          if (lf.type === 'simple') seen.simple++;
          if (!lf.innerEdges) seen.innerSkipped++;
        }
        // macroblockSteps is the same record, by a replay of its own.
        for (const mb of [0, m.count >> 1, m.count - 1]) expect(macroblockSteps(f.before, f.bytes, mb)).toEqual(replay.steps[mb]);
      }
    }
    // The sample covers every kind of macroblock.
    for (const [kind, count] of Object.entries(seen)) expect(count, kind).toBeGreaterThan(0);
  });

  it('covers large frames: sampled macroblocks of a 1432x888 frame', () => {
    const f = decoded(vector(8))[1]!;
    const replay = replayFrame(f.before, f.bytes, {}, range(0, f.parsed.modes.count).filter((mb) => mb % 97 === 0));
    expect(replay.steps.length).toBe(52);
    for (const s of replay.steps) {
      expectMacroblockIn(f.picture, replay.width, replay.height, s, s.afterLoopFilter, `macroblock ${s.mb}`);
      expectMacroblockIn(replay.beforeLoopFilter, replay.width, replay.height, s, s.beforeLoopFilter, `macroblock ${s.mb}`);
    }
  });

  it('has a signed residual that, added and clamped, is what the decoder adds, for any coefficients (16-bit wrap included)', () => {
    const coeff = fc.integer({ min: -32768, max: 32767 });
    fc.assert(fc.property(fc.array(coeff, { minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 255 }), (values, p) => {
      const c = Int16Array.from(values);
      const res = new Int16Array(16);
      inverseDctResidual(c, 0, res, 0);
      expect([...res]).toEqual(referenceIdct(c));
      const dst = new Uint8Array(16).fill(p);
      inverseDctAdd(c, 0, dst, 0, 4);
      expect([...dst]).toEqual([...res].map((r) => clamp255(p + r)));
    }), { numRuns: 2000 });
  });
});

// --- (c) --------------------------------------------------------------------------

/** The macroblocks of a frame whose luma mode and reference frame pass `want`. */
function macroblocksOf(f: DecodedFrame, want: (mode: number, ref: number) => boolean): number[] {
  const m = f.parsed.modes;
  const out: number[] = [];
  for (let mb = 0; mb < m.count; mb++) if (want(m.yMode[mb]!, m.refFrame[mb]!)) out.push(mb);
  return out;
}

/** The block of a macroblock with the largest coded coefficient (and so a residual that shows), or -1. */
function strongestBlock(f: DecodedFrame, mb: number, blocks: readonly number[]): number {
  let best = -1, max = 0;
  for (const b of blocks) {
    for (let i = 0; i < 16; i++) {
      const v = Math.abs(f.parsed.levels[400 * mb + 16 * b + i]!);
      if (v > max) [best, max] = [b, v];
    }
  }
  return best;
}

describe('what-ifs', () => {
  it('loopFilter: false gives the picture before the filter, which is the one the filtered replay starts from', () => {
    for (const [n, index] of [[1, 3], [3, 12], [6, 9], [14, 24]] as const) {
      const f = decoded(vector(n))[index]!;
      const plain = replayFrame(f.before, f.bytes);
      const off = replayFrame(f.before, f.bytes, { loopFilter: false });
      expect(sameBytes(off.picture, off.beforeLoopFilter)).toBe(true);
      expect(sameBytes(off.beforeLoopFilter, plain.beforeLoopFilter)).toBe(true);
      expect(off.loopFilter.applied).toBe(false);
      expect(off.loopFilter.levels).toEqual(plain.loopFilter.levels);
      // These frames are filtered, and filtering shows.
      expect(f.header.loopFilterLevel).toBeGreaterThan(0);
      expect(sameBytes(off.picture, plain.picture)).toBe(false);
      expect(sameBytes(replayFrame(f.before, f.bytes, { loopFilter: true }).picture, f.picture)).toBe(true);
    }
  });

  it('zeroResidual of a block changes that block, later subblocks of a B_PRED macroblock and later intra macroblocks only', () => {
    let tried = 0;
    for (const [n, index] of [[1, 14], [6, 0], [6, 9], [14, 23], [10, 33], [15, 100]] as const) {
      const f = decoded(vector(n))[index]!;
      const m = f.parsed.modes;
      const plain = replayFrame(f.before, f.bytes);
      const { width, height, mbCols } = plain;
      // Up to two macroblocks of each kind with coefficients; in each, the luma and the chroma block with the strongest coefficient.
      const kinds = [
        macroblocksOf(f, (mode) => mode === B_PRED), macroblocksOf(f, (mode) => mode === SPLITMV),
        macroblocksOf(f, (mode, ref) => ref !== INTRA_FRAME && mode !== SPLITMV), macroblocksOf(f, (mode, ref) => ref === INTRA_FRAME && mode !== B_PRED),
      ];
      for (const list of kinds) {
        for (const mb of list.filter((x) => !m.skipCoeff[x]).slice(0, 2)) {
          for (const blocks of [range(0, 16), range(16, 24)]) {
            const block = strongestBlock(f, mb, blocks);
            if (block < 0) continue;
            const whatIf: WhatIf = { zeroResidual: { mb, block } };
            const r = replayFrame(f.before, f.bytes, whatIf);
            const where = `${vector(n)} frame ${index} macroblock ${mb} block ${block}`;
            const bPred = m.yMode[mb] === B_PRED;
            for (const [p, x, y] of differences(plain.beforeLoopFilter, r.beforeLoopFilter, width, height)) {
              const at = locate(p, x, y, mbCols);
              const inBlock = at.mb === mb && at.block === block;
              const laterSubblock = at.mb === mb && bPred && p === 'y' && block < 16 && at.block > block;
              const laterIntra = at.mb > mb && m.refFrame[at.mb] === INTRA_FRAME;
              if (!inBlock && !laterSubblock && !laterIntra) throw new Error(`${where}: sample ${p} (${x}, ${y}) of macroblock ${at.mb} block ${at.block} changed`);
            }
            // The block is rebuilt from its prediction alone (plus, in a macroblock with Y2, the DC the Y2 block gives it).
            const before = macroblockSteps(f.before, f.bytes, mb);
            const after = macroblockSteps(f.before, f.bytes, mb, whatIf);
            const b = after.blocks[block]!;
            expect(b.dropped).toBe(true);
            expect(b.eob).toBe(0);
            expect(b.levels).toEqual(before.blocks[block]!.levels);
            expect(b.dequantized.every((v) => v === 0)).toBe(true);
            const dc = after.hasY2 && block < 16 ? (after.y2!.output[block]! + 4) >> 3 : 0;
            expect([...b.residual!]).toEqual(new Array(16).fill(dc));
            const plane = block < 16 ? 'y' : block < 20 ? 'u' : 'v';
            const grid = after.beforeLoopFilter[plane];
            for (let i = 0; i < 16; i++) {
              const at = (b.y + (i >> 2)) * grid.width + b.x + (i & 3);
              expect(grid.values[at]).toBe(clamp255(after.prediction[plane].values[at]! + dc));
            }
            // Its prediction is unchanged (in B_PRED, the later subblocks' may not be), and every other block keeps its coefficients.
            if (!bPred || block >= 16) expect(after.prediction).toEqual(before.prediction);
            else for (let i = 0; i < 16; i++) expect(after.prediction.y.values[(b.y + (i >> 2)) * 16 + b.x + (i & 3)]).toBe(before.prediction.y.values[(b.y + (i >> 2)) * 16 + b.x + (i & 3)]);
            for (const o of after.blocks) if (o.block !== block) expect(o.dequantized).toEqual(before.blocks[o.block]!.dequantized);
            // It made a difference.
            expect(sameBytes(r.beforeLoopFilter, plain.beforeLoopFilter), where).toBe(false);
            tried++;
          }
        }
      }
    }
    expect(tried).toBeGreaterThan(20);
  });

  it('zeroResidual of a Y2 block takes away the luma DCs, of a whole macroblock all its residual', () => {
    const f = decoded(vector(6))[9]!;
    const withY2 = macroblocksOf(f, (mode) => mode !== B_PRED && mode !== SPLITMV).filter((mb) => f.parsed.eobs[25 * mb + 24]! > 0);
    expect(withY2.length).toBeGreaterThan(0);
    for (const mb of withY2.slice(0, 4)) {
      const plain = macroblockSteps(f.before, f.bytes, mb);
      const noY2 = macroblockSteps(f.before, f.bytes, mb, { zeroResidual: { mb, block: 24 } });
      expect([...noY2.y2!.output]).toEqual(new Array(16).fill(0));
      for (let b = 0; b < 16; b++) {
        expect(noY2.blocks[b]!.transformInput[0]).toBe(0);
        expect(noY2.blocks[b]!.dequantized).toEqual(plain.blocks[b]!.dequantized);
      }
      // Chroma is untouched.
      expect(noY2.beforeLoopFilter.u).toEqual(plain.beforeLoopFilter.u);
      expect(noY2.beforeLoopFilter.v).toEqual(plain.beforeLoopFilter.v);

      const none = macroblockSteps(f.before, f.bytes, mb, { zeroResidual: { mb } });
      expect(none.beforeLoopFilter).toEqual(none.prediction);
      expect(none.blocks.every((b) => b.eob === 0 && (b.residual === null || b.residual.every((v) => v === 0)))).toBe(true);
      // With no coefficients left, a macroblock with Y2 has its inner edges unfiltered, as in a decoder.
      expect(none.loopFilter.innerEdges).toBe(false);
      expect(none.prediction).toEqual(plain.prediction);
    }
  });

  it('forceMode changes the prediction of one macroblock, keeps its residual, and leaves the macroblocks before it alone', () => {
    const f = decoded(vector(1))[0]!; // a key frame
    const plain = replayFrame(f.before, f.bytes);
    const { width, height, mbCols } = plain;
    // Inside the frame, where the edges are samples (on its top row and left column they are constants, and modes often agree).
    const intra = macroblocksOf(f, (mode) => mode !== B_PRED).filter((mb) => mb >= mbCols && mb % mbCols > 0).slice(0, 6);
    expect(intra.length).toBeGreaterThan(0);
    let changed = 0, tried = 0;
    for (const mb of intra) {
      const coded = f.parsed.modes.yMode[mb]!;
      const before = macroblockSteps(f.before, f.bytes, mb);
      for (const yMode of [DC_PRED, V_PRED, H_PRED, TM_PRED].filter((x) => x !== coded)) {
        const whatIf: WhatIf = { forceMode: { mb, yMode } };
        tried++;
        const s = macroblockSteps(f.before, f.bytes, mb, whatIf);
        expect([s.yMode, s.codedYMode]).toEqual([yMode, coded]);
        const { above, left } = s.intraEdges!.y;
        for (let i = 0; i < 256; i++) {
          const [r, c] = [i >> 4, i & 15];
          const want = yMode === V_PRED ? above[1 + c] : yMode === H_PRED ? left[r] : yMode === TM_PRED ? clamp255(left[r]! + above[1 + c]! - above[0]!) : s.prediction.y.values[0];
          expect(s.prediction.y.values[i]).toBe(want);
        }
        if (!sameBytes(s.prediction.y.values, before.prediction.y.values)) changed++;
        expect(s.intraEdges).toEqual(before.intraEdges);
        expect(s.blocks.map((b) => b.transformInput)).toEqual(before.blocks.map((b) => b.transformInput));
        expect(s.prediction.u).toEqual(before.prediction.u);
        const r = replayFrame(f.before, f.bytes, whatIf);
        for (const [p, x, y] of differences(plain.beforeLoopFilter, r.beforeLoopFilter, width, height)) {
          const at = locate(p, x, y, mbCols);
          if (at.mb < mb || (at.mb === mb && p !== 'y')) throw new Error(`forcing macroblock ${mb} changed ${p} (${x}, ${y})`);
        }
      }
    }
    // Most substitutions predict something else (two modes agree only where the edges are flat).
    expect(changed).toBeGreaterThan(tried / 2);
  });

  it('forceMode on inter macroblocks: ZEROMV predicts from the co-located reference samples; a macroblock\'s own mode changes nothing', () => {
    let zero = 0, own = 0;
    for (const [n, index] of [[1, 14], [9, 25], [14, 23], [15, 100]] as const) {
      const f = decoded(vector(n))[index]!;
      const m = f.parsed.modes;
      const plain = replayFrame(f.before, f.bytes);
      const refs: (Image | null)[] = [null, f.before.last, f.before.golden, f.before.altref];
      const inter = macroblocksOf(f, (mode, ref) => ref !== INTRA_FRAME && mode !== SPLITMV && mode !== ZEROMV);
      for (const mb of inter.slice(0, 3)) {
        const s = macroblockSteps(f.before, f.bytes, mb, { forceMode: { mb, yMode: ZEROMV } });
        expect([...s.inter!.mv]).toEqual([0, 0]);
        const ref = refs[m.refFrame[mb]!]!;
        for (let i = 0; i < 256; i++) {
          const sample = ref.y.data[ref.y.offset + (s.y + (i >> 4)) * ref.y.stride + s.x + (i & 15)];
          expect(s.prediction.y.values[i]).toBe(sample);
        }
        const plainSteps = macroblockSteps(f.before, f.bytes, mb);
        expect(s.blocks.map((b) => b.transformInput)).toEqual(plainSteps.blocks.map((b) => b.transformInput));
        zero++;
      }
      // NEARESTMV and NEARMV are worked out afresh from the neighbours: forcing the coded mode reproduces the picture.
      for (const mb of macroblocksOf(f, (mode) => mode === NEARESTMV || mode === NEARMV || mode === NEWMV).slice(0, 8)) {
        const r = replayFrame(f.before, f.bytes, { forceMode: { mb, yMode: m.yMode[mb]! } });
        expect(sameBytes(r.picture, plain.picture)).toBe(true);
        own++;
      }
    }
    expect(zero).toBeGreaterThan(4);
    expect(own).toBeGreaterThan(4);
  });

  it('never changes the stream or the state later frames are decoded with', () => {
    const name = vector(14);
    const frames = decoded(name);
    const expected = readFileSync(join(VECTORS, `${name}.ivf.md5`), 'utf8').trim().split('\n').map((l) => l.split(/\s+/)[0]);
    const refHashes = (s: DecoderState): string[] => [s.last, s.golden, s.altref].map((img) => (img === null ? '' : md5(img.y.data) + md5(img.u.data) + md5(img.v.data)));
    let state = createDecoderState();
    const shown: string[] = [];
    for (const f of frames) {
      const copy = f.bytes.slice();
      const held = refHashes(state);
      const mb = Math.min(5, f.parsed.modes.count - 1);
      replayFrame(state, f.bytes, { loopFilter: false, zeroResidual: { mb } });
      const m = f.parsed.modes;
      const forcible = macroblocksOf(f, (mode, ref) => ref !== INTRA_FRAME ? mode !== SPLITMV : mode !== B_PRED)[0];
      if (forcible !== undefined) replayFrame(state, f.bytes, { forceMode: { mb: forcible, yMode: m.refFrame[forcible] === INTRA_FRAME ? TM_PRED : ZEROMV } });
      expect(sameBytes(copy, f.bytes)).toBe(true);
      expect(refHashes(state)).toEqual(held);
      const r = decodeFrame(state, f.bytes);
      if (r.image !== null) shown.push(md5(imageToI420(r.image)));
      state = r.state;
    }
    expect(shown).toEqual(expected);
  });

  it('refuses what it cannot do with a RangeError that says why', () => {
    const key = decoded(vector(6))[0]!;
    const inter = decoded(vector(6))[12]!;
    const count = key.parsed.modes.count;
    const bPredKey = macroblocksOf(key, (mode) => mode === B_PRED)[0]!;
    const wholeKey = macroblocksOf(key, (mode) => mode !== B_PRED)[0]!;
    const split = macroblocksOf(inter, (mode) => mode === SPLITMV)[0]!;
    const nearest = macroblocksOf(inter, (mode) => mode === NEARESTMV || mode === NEARMV)[0]!;
    const cases: Array<[DecodedFrame, WhatIf, RegExp]> = [
      [key, { zeroResidual: { mb: -1 } }, /zeroResidual: macroblock -1 is not in this frame, which has 99 \(11x9\)/],
      [key, { zeroResidual: { mb: count } }, /not in this frame/],
      [key, { zeroResidual: { mb: 1.5 } }, /not in this frame/],
      [key, { zeroResidual: { mb: Number.NaN } }, /not in this frame/],
      [key, { zeroResidual: { mb: 0, block: 25 } }, /block 25 is not a block number/],
      [key, { zeroResidual: { mb: bPredKey, block: 24 } }, /B_PRED, which has no Y2 block/],
      [key, { forceMode: { mb: count + 3, yMode: DC_PRED } }, /forceMode: macroblock \d+ is not in this frame/],
      [key, { forceMode: { mb: bPredKey, yMode: DC_PRED } }, /coded B_PRED: .* cannot change mode/],
      [key, { forceMode: { mb: wholeKey, yMode: B_PRED } }, /may take DC_PRED, V_PRED, H_PRED or TM_PRED, not B_PRED/],
      [key, { forceMode: { mb: wholeKey, yMode: ZEROMV } }, /not ZEROMV/],
      [inter, { forceMode: { mb: split, yMode: ZEROMV } }, /coded SPLITMV: .* cannot change mode/],
      [inter, { forceMode: { mb: nearest, yMode: NEWMV } }, /may take ZEROMV, NEARESTMV, NEARMV or its own mode, not NEWMV/],
      [inter, { forceMode: { mb: nearest, yMode: SPLITMV } }, /not SPLITMV/],
      [inter, { forceMode: { mb: nearest, yMode: DC_PRED } }, /not DC_PRED/],
      [inter, { forceMode: { mb: nearest, yMode: 42 } }, /not mode 42/],
    ];
    for (const [f, whatIf, message] of cases) {
      expect(() => replayFrame(f.before, f.bytes, whatIf), JSON.stringify(whatIf)).toThrow(RangeError);
      expect(() => replayFrame(f.before, f.bytes, whatIf)).toThrow(message);
      expect(() => macroblockSteps(f.before, f.bytes, 0, whatIf)).toThrow(message);
    }
    expect(() => macroblockSteps(key.before, key.bytes, count)).toThrow(/macroblock 99 is not in this frame, which has 99/);
    expect(() => macroblockSteps(key.before, key.bytes, -2)).toThrow(RangeError);
    expect(() => macroblockSteps(key.before, key.bytes, 0.5)).toThrow(RangeError);
  });
});
