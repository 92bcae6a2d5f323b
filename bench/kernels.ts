// bench/kernels: micro-benchmarks of the codec's inner kernels on benny, to
// guide optimization kernel by kernel. Every case calls the real function
// from src/ on inputs cut from real footage (the first two frames of
// foreman), built once before timing: inter prediction (six-tap and
// bilinear, 16x16 and 4x4, at a few fractional positions), the loop filters,
// the forward and inverse DCT and WHT, SAD and the mode decision's 4x4
// SATD, the bool encoder and decoder, and token costing. One op is one
// call on one block unless the case's name says otherwise; cases that filter
// or add in place first restore their input (a copy of at most a few hundred
// bytes, included in the time).
//
//   npm run bench:kernels [-- --only sixtap] [--max-time 1] [--out DIR] [--json]

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { add, configure, cycle, save, suite } from 'benny';
import { parseY4m } from '../src/container/index.js';
import { BoolDecoder } from '../src/vp8/bool-decoder.js';
import { BoolEncoder } from '../src/vp8/bool-encoder.js';
import { tokenCostsFor } from '../src/vp8/encoder/costs.js';
import { forwardDct, forwardWht } from '../src/vp8/encoder/fdct.js';
import { satd4x4 } from '../src/vp8/encoder/satd.js';
import { sad } from '../src/vp8/encoder/motion.js';
import { quantizeBlock } from '../src/vp8/encoder/quantize.js';
import { acRounding, dcRounding } from '../src/vp8/encoder/residual.js';
import { type Image, imageFromI420, type Plane } from '../src/vp8/image.js';
import { InterScratch, predictInter } from '../src/vp8/inter.js';
import { loopFilterFrame, type LoopFilterInput } from '../src/vp8/loop-filter.js';
import { DEFAULT_PROBS } from '../src/vp8/state.js';
import { blockTypeOffset } from '../src/vp8/tokens.js';
import { inverseDctAdd, inverseWht } from '../src/vp8/transform.js';
import { exitOnHelp, flag, option, ROOT } from './args.js';
import { clipPath } from './clips.js';
import { fixed, table } from './stats.js';

exitOnHelp(`usage: npm run bench:kernels [-- --only NAME] [--max-time SECONDS] [--out DIR] [--json]

Micro-benchmarks of the codec's kernels on real footage (foreman), with benny:
ops/s of each case.

  --only NAME        only the cases whose name contains NAME (case-insensitive; e.g. sixtap, loop, dct, bool)
  --max-time S       seconds benny may spend on each case (default 1)
  --out DIR          where benny writes kernels.json (default: bench/results)
  --json             one JSON object on stdout instead of the table`);

const json = flag('json');
const only = option('only')?.toLowerCase();
const maxTime = Number(option('max-time') ?? 1);
const outDir = option('out') ?? join(ROOT, 'bench', 'results');
if (!(maxTime > 0)) throw new Error('--max-time must be a positive number of seconds');

// ---- Inputs, built once from the first two frames of foreman (CIF). ----

const y4m = parseY4m(new Uint8Array(readFileSync(clipPath('foreman'))));
const { width, height } = y4m.header;
const frame0 = imageFromI420(width, height, y4m.frames[0].data);
const frame1 = imageFromI420(width, height, y4m.frames[1].data);
const mbCols = width >> 4;
const mbRows = height >> 4;

/** Fixed, varied macroblock positions (in samples) well inside the picture, so predictions read the plane directly. */
const POSITIONS = 64;
const positions = new Int32Array(2 * POSITIONS);
for (let i = 0; i < POSITIONS; i++) {
  positions[2 * i] = 16 * (1 + ((i * 7) % (mbCols - 2)));
  positions[2 * i + 1] = 16 * (1 + ((i * 5) % (mbRows - 2)));
}
let at = 0;
/** The next position's index (cycling through POSITIONS). */
const next = (): number => (at = (at + 1) & (POSITIONS - 1));

/** A small picture of `mbW` × `mbH` macroblocks copied from frame0 at macroblock (col, row), without border. */
function smallImage(mbW: number, mbH: number, col: number, row: number): { img: Image; restore: () => void } {
  const plane = (src: Plane, size: number): { p: Plane; original: Uint8Array } => {
    const w = mbW * size;
    const h = mbH * size;
    const data = new Uint8Array(w * h);
    for (let r = 0; r < h; r++) {
      const s = src.offset + (row * size + r) * src.stride + col * size;
      data.set(src.data.subarray(s, s + w), r * w);
    }
    return { p: { data, stride: w, offset: 0, width: w, height: h, border: 0 }, original: data.slice() };
  };
  const y = plane(frame0.y, 16);
  const u = plane(frame0.u, 8);
  const v = plane(frame0.v, 8);
  return {
    img: { width: mbW * 16, height: mbH * 16, y: y.p, u: u.p, v: v.p },
    restore: () => {
      y.p.data.set(y.original);
      u.p.data.set(u.original);
      v.p.data.set(v.original);
    },
  };
}

/** Loop-filter settings of a frame of `mbW` × `mbH` macroblocks at level 32 (a typical mid-quality level). */
function filterInput(mbW: number, mbH: number, simple: boolean, skipInner: boolean): LoopFilterInput {
  return {
    simple, sharpness: 0, keyFrame: false, mbCols: mbW, mbRows: mbH,
    level: new Uint8Array(mbW * mbH).fill(32), skipInner: new Uint8Array(mbW * mbH).fill(skipInner ? 1 : 0),
  };
}

// Residual blocks (frame1 - frame0, the difference a zero-vector inter prediction leaves), 4x4 each.
const BLOCKS = 256;
const residual = new Int16Array(16 * BLOCKS);
for (let b = 0; b < BLOCKS; b++) {
  const x = positions[2 * (b & 63)] + 4 * (b >> 6);
  const y = positions[2 * (b & 63) + 1] + 4 * ((b >> 4) & 3);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      const o0 = frame0.y.offset + (y + r) * frame0.y.stride + x + c;
      residual[16 * b + 4 * r + c] = frame1.y.data[o0] - frame0.y.data[o0];
    }
  }
}
// Their forward transforms, quantized as the encoder would at DC/AC factors 24/30 (about quantizer 24).
const coeffs = new Int16Array(16 * BLOCKS);
const levels = new Int16Array(16 * BLOCKS);
const dequantized = new Int16Array(16 * BLOCKS);
const eobs = new Uint8Array(BLOCKS);
const dcRound = dcRounding(24);
const acRound = acRounding(30);
for (let b = 0; b < BLOCKS; b++) {
  forwardDct(residual, 16 * b, 4, coeffs, 16 * b);
  eobs[b] = quantizeBlock(coeffs, 16 * b, 0, 24, 30, dcRound, acRound, levels, 16 * b, dequantized, 16 * b);
}
// Sixteen DC values laid out as the WHT reads them (one per 16 coefficients), and a Y2 block to invert.
const dcs = new Int16Array(256);
for (let i = 0; i < 16; i++) dcs[16 * i] = coeffs[16 * (i * 5)];
const y2 = new Int16Array(16);
forwardWht(dcs, 0, y2, 0);

// Bools: probabilities from a fixed pseudo-random sequence, each bool drawn with its probability of being 0.
const BOOLS = 4096;
const boolProbs = new Uint8Array(BOOLS);
const boolBits = new Uint8Array(BOOLS);
{
  let s = 0x2545f491;
  const rand = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) / (1 << 24);
  for (let i = 0; i < BOOLS; i++) {
    boolProbs[i] = 1 + Math.floor(rand() * 255);
    boolBits[i] = rand() * 256 < boolProbs[i] ? 0 : 1;
  }
}
const boolEncoded = (() => {
  const e = new BoolEncoder(2 * BOOLS);
  for (let i = 0; i < BOOLS; i++) e.writeBool(boolProbs[i], boolBits[i]);
  return e.finish();
})();

// ---- Cases ----

type Case = readonly [name: string, fn: () => void];
const cases: Case[] = [];
const scratch = new InterScratch();
const dst = imageFromI420(16, 16, new Uint8Array(16 * 16 * 3 / 2)).y;
let sink = 0;

for (const [filter, bilinear] of [['sixtap', false], ['bilinear', true]] as const) {
  for (const [label, size, mvx, mvy] of [
    ['16x16 horizontal 1/4', 16, 2, 0], ['16x16 vertical 3/4', 16, 0, 6], ['16x16 2-D (1/4, 3/4)', 16, 2, 6], ['16x16 2-D (1/2, 1/2)', 16, 4, 4],
    ['4x4 2-D (1/4, 3/4)', 4, 2, 6], ['4x4 2-D (3/8, 5/8) chroma', 4, 3, 5],
  ] as const) {
    cases.push([`${filter} prediction ${label}`, () => {
      const i = next();
      predictInter(frame0.y, dst, positions[2 * i], positions[2 * i + 1], size, size, mvx, mvy, bilinear, scratch, 0, 0);
    }]);
  }
}
cases.push(['whole-sample prediction 16x16 (copy)', () => {
  const i = next();
  predictInter(frame0.y, dst, positions[2 * i], positions[2 * i + 1], 16, 16, 0, 0, false, scratch, 0, 0);
}]);

{
  const mbEdges = smallImage(2, 2, 5, 5);
  const mbEdgesInput = filterInput(2, 2, false, true);
  cases.push(['loop filter normal, macroblock edges (2x2 MBs: 4 edges, Y U V)', () => {
    mbEdges.restore();
    loopFilterFrame(mbEdges.img, mbEdgesInput);
  }]);
  const inner = smallImage(1, 1, 8, 6);
  const innerInput = filterInput(1, 1, false, false);
  cases.push(['loop filter normal, inner edges (1 MB: 6 luma, 2+2 chroma edges)', () => {
    inner.restore();
    loopFilterFrame(inner.img, innerInput);
  }]);
  const simple = smallImage(2, 2, 10, 8);
  const simpleInput = filterInput(2, 2, true, false);
  cases.push(['loop filter simple, all edges (2x2 MBs, Y)', () => {
    simple.restore();
    loopFilterFrame(simple.img, simpleInput);
  }]);
  const whole = smallImage(mbCols, mbRows, 0, 0);
  const wholeInput = filterInput(mbCols, mbRows, false, false);
  cases.push([`loop filter normal, whole ${width}x${height} frame (one op = one frame)`, () => {
    whole.restore();
    loopFilterFrame(whole.img, wholeInput);
  }]);
}

{
  const out = new Int16Array(16);
  let b = 0;
  cases.push(['forward DCT 4x4', () => {
    b = (b + 1) & (BLOCKS - 1);
    forwardDct(residual, 16 * b, 4, out, 0);
  }]);
  const pred = new Uint8Array(16).fill(128);
  const block = new Uint8Array(16);
  cases.push(['inverse DCT 4x4 + add', () => {
    b = (b + 1) & (BLOCKS - 1);
    block.set(pred);
    inverseDctAdd(dequantized, 16 * b, block, 0, 4);
  }]);
  cases.push(['forward WHT (16 luma DCs)', () => forwardWht(dcs, 0, out, 0)]);
  const dcOut = new Int16Array(256);
  cases.push(['inverse WHT (16 luma DCs)', () => inverseWht(y2, 0, dcOut, 0)]);
}

cases.push(['SAD 16x16', () => {
  const i = next();
  const x = positions[2 * i];
  const y = positions[2 * i + 1];
  sink += sad(frame1.y, x, y, frame0.y, x + 1, y - 1, 16, 16);
}]);
{
  // The mode decision's SATD: a 4x4 block of the source (as the encoder holds it, 16-bit) against a prediction.
  const source = new Int16Array(16 * 16);
  const a = frame1.y;
  for (let r = 0; r < 16; r++) for (let c = 0; c < 16; c++) source[16 * r + c] = a.data[a.offset + (32 + r) * a.stride + 48 + c];
  const b = frame0.y;
  cases.push(['SATD 4x4 (the mode decision\'s Hadamard screen)', () => {
    const i = next();
    const x = positions[2 * i];
    const y = positions[2 * i + 1];
    sink += satd4x4(source, 4 * (i & 3) + 64 * ((i >> 2) & 3), 16, b.data, b.offset + y * b.stride + x, b.stride);
  }]);
}

cases.push([`bool encoder, ${BOOLS} bools at assorted probabilities (one op = all, with finish)`, () => {
  const e = new BoolEncoder(2 * BOOLS);
  for (let i = 0; i < BOOLS; i++) e.writeBool(boolProbs[i], boolBits[i]);
  sink += e.finish().length;
}]);
cases.push([`bool decoder, ${BOOLS} bools at assorted probabilities (one op = all)`, () => {
  const d = new BoolDecoder(boolEncoded);
  let s = 0;
  for (let i = 0; i < BOOLS; i++) s += d.readBool(boolProbs[i]);
  sink += s;
}]);

{
  // The encoder's token rates: one table per probability table, then a sum per block.
  const costs = tokenCostsFor(DEFAULT_PROBS.coeff);
  const typeOff = blockTypeOffset(0, false);
  let b = 0;
  cases.push(['token costing, one 4x4 luma block (TokenCosts.block)', () => {
    b = (b + 1) & (BLOCKS - 1);
    sink += costs.block(typeOff, b % 3, 0, levels, 16 * b, eobs[b]);
  }]);
}

// ---- Run ----

const selected = only === undefined ? cases : cases.filter(([name]) => name.toLowerCase().includes(only));
if (selected.length === 0) {
  process.stderr.write(`no case matches --only ${only}; cases:\n${cases.map(([n]) => `  ${n}`).join('\n')}\n`);
  process.exit(2);
}

// benny announces each suite with console.log; keep stdout for the results.
const log = console.log;
console.log = (...a: unknown[]) => console.error(...a);
const summary = await suite(
  'kernels',
  configure({ cases: { maxTime, minSamples: 5 } }),
  ...selected.map(([name, fn]) => add(name, fn)),
  cycle((result) => {
    if (!json) process.stderr.write(`${result.name}: ${fixed(result.ops, 0)} ops/s ±${result.margin.toFixed(2)}%\n`);
    return undefined;
  }),
  save({ file: 'kernels', folder: outDir, format: 'json', details: false }),
);
console.log = log;

const rows = summary.results.map((r) => ({ name: r.name, opsPerSecond: r.ops, marginPercent: r.margin, samples: r.samples, nsPerOp: 1e9 / r.ops }));
if (json) process.stdout.write(`${JSON.stringify({ clip: 'foreman', frames: [0, 1], maxTime, results: rows })}\n`);
else {
  const body = rows.map((r) => [r.name, fixed(r.opsPerSecond, 0), fixed(r.nsPerOp, 1), `±${r.marginPercent.toFixed(1)}%`]);
  process.stdout.write(`kernels on foreman (frames 0-1), ${maxTime} s per case; results also in ${join(outDir, 'kernels.json')}\n\n`);
  process.stdout.write(`${table([['case', 'ops/s', 'ns/op', 'margin'], ...body])}\n`);
}
