// The lesson "One macroblock from bits to pixels" (docs/lessons/one-macroblock.md),
// generated from a real decode so that it cannot drift from the decoder.
//
//   node scripts/lessons/one-macroblock.mjs     (after npm run build; npm run lessons runs it)
//
// It encodes the first two frames of a fixture clip with the built CLI, as a
// reader would (`excamera encode`), checks that `excamera inspect` makes a page
// of the result, and decodes the stream with the build's inspector modules,
// which run the decoder's own functions:
//
//   - StreamInspector (src/inspect/analyze.ts): every frame's modes, levels and
//     block ends, and the decoder state before each frame;
//   - traceFrameHeader (src/inspect/header-trace.ts): each frame header's plain
//     bits and bools, field by field;
//   - traceMacroblock (src/inspect/trace.ts): every bool of one macroblock, its
//     syntax elements, tokens, and for an inter macroblock how its vector was
//     predicted;
//   - replayFrame (src/inspect/reconstruct.ts): the macroblock's prediction,
//     coefficients, transforms, residual, and its samples before and after the
//     loop filter (and the whole picture before and after it);
//   - frameInfo (src/vp8/info.ts) and frameSetup (src/vp8/frame-setup.ts): the
//     frame headers, and the loop filter deltas in force.
//
// It picks the two macroblocks by the rules of chooseIntra and chooseInter (not
// by coordinates), re-reads the intra macroblock's header with a bool decoder
// written as section 7.3 describes it (a two-byte window) driven by the
// decoder's own syntax functions, checks every claim its prose makes against
// the decode (claim(): a failed claim stops the run and says which), fills the
// template (one-macroblock.template.md, where every number is a placeholder)
// and draws the figures as SVG.
//
// Everything is deterministic: the encode, the decode and the drawing. The
// test (test/lessons-one-macroblock.test.ts) generates the lesson again and
// compares it with the committed files byte for byte.
//
// Options:
//   --out DIR       where the lesson goes (default docs/lessons): DIR/one-macroblock.md,
//                   DIR/images/one-macroblock-*.svg, DIR/data/one-macroblock.json
//   --run-dir DIR   run the commands in DIR and leave what they wrote there (default: a
//                   temporary directory, removed after)
//   --fixed-only, --measured FILE
//                   accepted (and ignored) so that `npm run lessons` can pass them to every
//                   generator: this lesson measures nothing
//   --quiet         no progress lines

import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dist, excamera, fill, generatorMain, line, LESSONS_DIR, marker, MONO, r1, rect, ROOT, shown, svg, table, text } from './common.mjs';

export const NAME = 'one-macroblock';
export const TEMPLATE = join(ROOT, 'scripts', 'lessons', `${NAME}.template.md`);

/** The stream the lesson decodes: the first frames of a fixture clip, encoded by the project's encoder at its defaults. */
export const RUN = { clip: 'fixtures/clips/foreman_cif_352x288_60f.y4m', frames: 2, stream: 'foreman.ivf', page: 'foreman.html' };

/** The figures, in the order the lesson shows them. */
export const IMAGES = [
  'where', 'bools', 'token-tree', 'block', 'intra-prediction', 'intra-reconstruction', 'intra-loop-filter',
  'vectors', 'y2', 'inter-reconstruction', 'inter-loop-filter',
].map((n) => `images/${NAME}-${n}.svg`);
/** Every file the generator writes, relative to --out. */
export const FILES = [`${NAME}.md`, `data/${NAME}.json`, ...IMAGES];

export const RFC = 'https://www.rfc-editor.org/rfc/rfc6386#section-';

// ---- running the CLI ---------------------------------------------------------------------

export const ENCODE_ARGS = ['encode', RUN.clip, '-o', RUN.stream, '--limit', RUN.frames];
export const INSPECT_ARGS = ['inspect', RUN.stream, '-o', RUN.page];

/** Throws unless a claim the lesson's prose makes holds for this decode. */
function claim(ok, what) {
  if (!ok) throw new Error(`the lesson says ${what}, which this decode contradicts: edit the template or the rules`);
}

// ---- the rules that pick the macroblocks ---------------------------------------------------

const onBorder = (row, col, rows, cols) => row === 0 || col === 0 || row === rows - 1 || col === cols - 1;

/**
 * The intra macroblock: in the key frame, the first macroblock in raster order
 * that is coded B_PRED, does not touch the picture's border, and codes
 * coefficients in all sixteen of its luma blocks and in at least one chroma block.
 * `frame` is an InspectedFrame.
 */
export function chooseIntra(frame, B_PRED) {
  const { mbCols, mbRows, modes, eobs } = frame;
  for (let mb = 0; mb < mbCols * mbRows; mb++) {
    if (onBorder(Math.floor(mb / mbCols), mb % mbCols, mbRows, mbCols) || modes.yMode[mb] !== B_PRED) continue;
    const e = Array.from(eobs.subarray(25 * mb, 25 * mb + 25));
    if (e.slice(0, 16).every((v) => v > 0) && e.slice(16, 24).some((v) => v > 0)) return mb;
  }
  throw new Error('no macroblock of the key frame follows the rule for the intra macroblock');
}

/**
 * The inter macroblock: in the first inter frame, the first macroblock in
 * raster order that is coded NEWMV, does not touch the border, codes
 * coefficients, whose neighbours give two different nonzero vectors (so that
 * both "nearest" and "near" exist), and whose Y2 block codes more than its
 * first coefficient (so the whole inverse WHT runs). `trace(mb)` is
 * traceMacroblock for that frame.
 */
export function chooseInter(frame, NEWMV, trace) {
  const { mbCols, mbRows, modes, eobs } = frame;
  for (let mb = 0; mb < mbCols * mbRows; mb++) {
    if (onBorder(Math.floor(mb / mbCols), mb % mbCols, mbRows, mbCols) || modes.yMode[mb] !== NEWMV || modes.skipCoeff[mb]) continue;
    if (eobs[25 * mb + 24] <= 1) continue;
    const v = trace(mb).vector;
    if (v.candidates[1].weight > 0 && v.candidates[2].weight > 0) return mb;
  }
  throw new Error('no macroblock of the inter frame follows the rule for the inter macroblock');
}

// ---- a bool decoder as section 7.3 describes it ---------------------------------------------

/**
 * The boolean decoder of section 7.3 in its plain form: a 16-bit window on the
 * partition whose top byte is compared with the split, refilled one byte
 * after every eight shifts. (src/vp8/bool-decoder.ts keeps more bits to load
 * bytes less often; the bools are the same, which collectIntraBools checks.)
 * While `log` is an array it records each bool with the state it was read in.
 */
class WindowBoolDecoder {
  constructor(data, start, end) {
    this.data = data;
    this.pos = start;
    this.end = end;
    this.value = (this.nextByte() << 8) | this.nextByte();
    this.range = 255;
    this.bitCount = 0;
    this.shifted = 0;
    this.log = null;
  }

  nextByte() {
    const b = this.pos < this.end ? this.data[this.pos] : 0;
    this.pos++;
    return b;
  }

  readBool(prob) {
    const range = this.range;
    const value = this.value;
    const split = 1 + (((range - 1) * prob) >> 8);
    let bit;
    if (value >= split << 8) {
      bit = 1;
      this.range = range - split;
      this.value = value - (split << 8);
    } else {
      bit = 0;
      this.range = split;
    }
    const chosen = this.range;
    let shift = 0;
    while (this.range < 128) {
      this.value <<= 1;
      this.range <<= 1;
      if (++this.bitCount === 8) {
        this.bitCount = 0;
        this.value |= this.nextByte();
      }
      shift++;
    }
    this.shifted += shift;
    this.log?.push({ prob, range, value, split, bit, chosen, shift, rangeAfter: this.range, valueAfter: this.value });
    return bit;
  }

  readBit() {
    return this.readBool(128);
  }

  readLiteral(bits) {
    let v = 0;
    for (let i = 0; i < bits; i++) v = (v << 1) | this.readBool(128);
    return v;
  }

  readTree(tree, probs, offset = 0) {
    let i = 0;
    do i = tree[i + this.readBool(probs[offset + (i >> 1)])];
    while (i > 0);
    return -i | 0;
  }

  bitsConsumed() {
    return this.shifted;
  }
}

/**
 * Reads frame `bytes` (coded against `state`) up to the end of macroblock
 * `mb`'s header with WindowBoolDecoder, through the decoder's own syntax
 * (frameHeaderSyntax, frameModesSyntax), and returns the bools of that header
 * with the decoder's state at each.
 */
async function windowBools(state, bytes, mb) {
  const { parseFrame } = await dist('vp8/frame.js');
  const { frameSetup } = await dist('vp8/frame-setup.js');
  const { blankHeader, frameHeaderSyntax, readFrameTag, readKeyFrameDims, uncompressedChunkSize } = await dist('vp8/header.js');
  const { frameModesSyntax } = await dist('vp8/modes.js');
  const { SyntaxReader } = await dist('vp8/syntax-coder.js');
  const frame = parseFrame(state, bytes);
  const setup = frameSetup(state, frame.header);
  const tag = readFrameTag(bytes);
  const start = uncompressedChunkSize(tag.keyFrame);
  const d = new WindowBoolDecoder(bytes, start, bytes.length);
  const reader = new SyntaxReader(d);
  frameHeaderSyntax(reader, blankHeader(tag, tag.keyFrame ? readKeyFrameDims(bytes) : undefined));
  const log = [];
  if (mb === 0) d.log = log;
  let firstBit = 0;
  frameModesSyntax(reader, setup.modeContext, frame.modes.clone(), (done) => {
    if (done === mb - 1) {
      d.log = log;
      firstBit = d.bitsConsumed();
    } else if (done === mb) d.log = null;
  });
  return { bools: log, firstBit };
}

// ---- the token tree (section 13.2) --------------------------------------------------------------

/** Internal nodes of the token tree: [question, child if 0, child if 1]; a string child is a token. Node k is read with probability k of its context. */
export const TOKEN_TREE = [
  ['end of block?', 'EOB', 1],
  ['zero?', 'ZERO', 2],
  ['one?', 'ONE', 3],
  ['2 to 4?', 4, 6],
  ['two?', 'TWO', 5],
  ['three?', 'THREE', 'FOUR'],
  ['5 to 10?', 7, 8],
  ['5 or 6?', 'DCT_CAT1', 'DCT_CAT2'],
  ['11 to 34?', 9, 10],
  ['11 to 18?', 'DCT_CAT3', 'DCT_CAT4'],
  ['35 to 66?', 'DCT_CAT5', 'DCT_CAT6'],
];

/** Each token's smallest magnitude and the fixed probabilities of its extra bits (section 13.2; DCT_CAT1 and 2 as in src/vp8/tokens.ts). */
function tokenTable(tables) {
  const t = { ONE: { base: 1, extra: [] }, TWO: { base: 2, extra: [] }, THREE: { base: 3, extra: [] }, FOUR: { base: 4, extra: [] } };
  t.DCT_CAT1 = { base: 5, extra: [159] };
  t.DCT_CAT2 = { base: 7, extra: [165, 145] };
  tables.DCT_CAT_PROBS.forEach((p, k) => (t[`DCT_CAT${k + 3}`] = { base: tables.DCT_CAT_BASE[k], extra: Array.from(p) }));
  for (const v of Object.values(t)) v.max = v.base + 2 ** v.extra.length - 1;
  return t;
}

/**
 * Splits one traced token's bools into its path down the tree (from node
 * `startNode`: 0, or 1 after a ZERO token, whose end-of-block question is
 * skipped), its extra bits and its sign, and checks that they give the level
 * the trace states.
 */
function tokenPath(element, startNode, tokens) {
  const bools = element.bools;
  const nodes = [];
  let node = startNode;
  let k = 0;
  let leaf;
  for (;;) {
    const b = bools[k++];
    claim(b !== undefined, `that a token of ${element.value} follows the token tree`);
    nodes.push({ node, prob: b.prob, bit: b.bit });
    const child = TOKEN_TREE[node][1 + b.bit];
    if (typeof child === 'string') {
      leaf = child;
      break;
    }
    node = child;
  }
  let extra = [];
  let sign = null;
  let magnitude = 0;
  if (leaf !== 'EOB' && leaf !== 'ZERO') {
    const t = tokens[leaf];
    extra = bools.slice(k, k + t.extra.length);
    claim(extra.every((b, i) => b.prob === t.extra[i]), `the extra-bit probabilities of ${leaf}`);
    k += extra.length;
    sign = bools[k++];
    claim(sign?.prob === 128, 'that a sign is read with probability one half');
    magnitude = t.base + extra.reduce((v, b) => 2 * v + b.bit, 0);
  }
  claim(k === bools.length, `that the bools of "${element.value}" are its path, extra bits and sign`);
  const level = sign === null ? (leaf === 'EOB' ? null : 0) : sign.bit ? -magnitude : magnitude;
  claim(level === element.token.level && element.value.startsWith(leaf === 'EOB' ? 'EOB' : leaf), `that "${element.value}" is ${leaf} ${level}`);
  return { startNode, nodes, leaf, extra, sign, magnitude, level };
}

// ---- collecting the facts ------------------------------------------------------------------------

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const bits1 = (v) => Number(v.toFixed(1));
const bits2 = (v) => Number(v.toFixed(2));

/** Parses the trace's context text of a token: band, context, and for a block's first token its neighbours' flags. */
function tokenContext(e) {
  const m = /^(.*) block, band (\d+), context (\d+)(?: \(block above (\d) \+ block left (\d)\))?$/.exec(e.context);
  claim(m !== null, `that the trace says which context token "${e.value}" was read in`);
  return { type: m[1], band: Number(m[2]), context: Number(m[3]), above: m[4] === undefined ? null : Number(m[4]), left: m[5] === undefined ? null : Number(m[5]) };
}

/**
 * The tokens of a traced macroblock, block by block in reading order: each
 * token with its context, its path down the tree, and what it cost.
 */
function blocksOf(trace, names, tokens, factors) {
  const out = new Map();
  let prev = null;
  for (const e of trace.elements.filter((x) => x.name === 'token')) {
    const b = e.token.block;
    if (!out.has(b)) {
      out.set(b, { block: b, name: names(b), tokens: [] });
      prev = null;
    }
    const blk = out.get(b);
    const ctx = tokenContext(e);
    const startNode = prev === 'ZERO' ? 1 : 0;
    const path = tokenPath(e, startNode, tokens);
    const f = factors(b);
    blk.tokens.push({
      position: e.token.position, band: ctx.band, context: ctx.context, above: ctx.above, left: ctx.left, type: ctx.type,
      token: path.leaf, level: path.level, factor: e.token.position === 0 ? f.dc : f.ac, path,
      shifted: sum(e.bools.map((x) => x.shifted)), info: sum(e.bools.map((x) => x.cost)), bools: e.bools.length,
    });
    prev = path.leaf;
  }
  return [...out.values()].map((blk) => {
    const last = blk.tokens[blk.tokens.length - 1];
    return {
      ...blk, type: blk.tokens[0].type, above: blk.tokens[0].above, left: blk.tokens[0].left, firstContext: blk.tokens[0].context,
      eob: blk.tokens.length === 1 && last.token === 'EOB' ? 0 : last.token === 'EOB' ? last.position : 16, nonzero: blk.tokens.filter((t) => t.level !== null && t.level !== 0).length,
      shifted: sum(blk.tokens.map((t) => t.shifted)), info: sum(blk.tokens.map((t) => t.info)), bools: sum(blk.tokens.map((t) => t.bools)),
    };
  });
}

/** A macroblock-sized window of an I420 picture's luma: `size` samples from (x, y). */
function lumaWindow(i420, width, x, y, size) {
  return Array.from({ length: size * size }, (_, k) => i420[(y + Math.floor(k / size)) * width + x + (k % size)]);
}

/**
 * The 13 edge samples luma subblock b of a B_PRED macroblock is predicted from
 * (section 12.3): P, the four above (A), the four above-right and the four to
 * the left (L), from the macroblock's edges or, inside it, from the subblocks
 * already reconstructed. The right column of subblocks below the first row
 * takes the macroblock's above-right samples (those to its right are not
 * decoded yet).
 */
function subblockEdges(edges, recon, b) {
  const bx = b & 3;
  const by = b >> 2;
  const at = (r, c) => recon[16 * r + c];
  let P, A, AR, L;
  if (by === 0) {
    P = edges.above[4 * bx];
    A = Array.from(edges.above.subarray(4 * bx + 1, 4 * bx + 5));
    AR = Array.from(edges.above.subarray(4 * bx + 5, 4 * bx + 9));
  } else {
    P = bx === 0 ? edges.left[4 * by - 1] : at(4 * by - 1, 4 * bx - 1);
    A = [0, 1, 2, 3].map((i) => at(4 * by - 1, 4 * bx + i));
    AR = bx < 3 ? [0, 1, 2, 3].map((i) => at(4 * by - 1, 4 * bx + 4 + i)) : Array.from(edges.above.subarray(17, 21));
  }
  L = bx === 0 ? Array.from(edges.left.subarray(4 * by, 4 * by + 4)) : [0, 1, 2, 3].map((i) => at(4 * by + i, 4 * bx - 1));
  return { P, A, AR, L };
}

const avg2 = (a, b) => (a + b + 1) >> 1;
const avg3 = (a, b, c) => (a + 2 * b + c + 2) >> 2;

/**
 * The first (top-left) sample of a subblock's prediction worked out by hand
 * from its edges, for each subblock mode, as the lesson writes it.
 */
function firstSampleWorked(mode, e) {
  const { P, A, L } = e;
  switch (mode) {
    case 'B_DC_PRED': return { how: `(A0 + A1 + A2 + A3 + L0 + L1 + L2 + L3 + 4) >> 3 = (${[...A, ...L].join(' + ')} + 4) >> 3`, v: (sum(A) + sum(L) + 4) >> 3 };
    case 'B_TM_PRED': return { how: `L0 + A0 − P = ${L[0]} + ${A[0]} − ${P}, kept within 0..255`, v: Math.min(255, Math.max(0, L[0] + A[0] - P)) };
    case 'B_VE_PRED': return { how: `(P + 2·A0 + A1 + 2) >> 2 = (${P} + 2·${A[0]} + ${A[1]} + 2) >> 2`, v: avg3(P, A[0], A[1]) };
    case 'B_HE_PRED': return { how: `(P + 2·L0 + L1 + 2) >> 2 = (${P} + 2·${L[0]} + ${L[1]} + 2) >> 2`, v: avg3(P, L[0], L[1]) };
    case 'B_LD_PRED': return { how: `(A0 + 2·A1 + A2 + 2) >> 2 = (${A[0]} + 2·${A[1]} + ${A[2]} + 2) >> 2`, v: avg3(A[0], A[1], A[2]) };
    case 'B_RD_PRED': return { how: `(L0 + 2·P + A0 + 2) >> 2 = (${L[0]} + 2·${P} + ${A[0]} + 2) >> 2`, v: avg3(L[0], P, A[0]) };
    case 'B_VR_PRED': return { how: `(P + A0 + 1) >> 1 = (${P} + ${A[0]} + 1) >> 1`, v: avg2(P, A[0]) };
    case 'B_VL_PRED': return { how: `(A0 + A1 + 1) >> 1 = (${A[0]} + ${A[1]} + 1) >> 1`, v: avg2(A[0], A[1]) };
    case 'B_HD_PRED': return { how: `(L0 + P + 1) >> 1 = (${L[0]} + ${P} + 1) >> 1`, v: avg2(L[0], P) };
    case 'B_HU_PRED': return { how: `(L0 + L1 + 1) >> 1 = (${L[0]} + ${L[1]} + 1) >> 1`, v: avg2(L[0], L[1]) };
    default: throw new Error(`no worked example for ${mode}`);
  }
}

/** What each subblock mode does, in a few words (section 12.3). */
export const SUBBLOCK_MODE_WORDS = {
  B_DC_PRED: 'every sample is the rounded average of the four samples above and the four to the left',
  B_TM_PRED: 'each sample is its left neighbour plus its above neighbour minus the corner sample P, kept within 0..255',
  B_VE_PRED: 'each column repeats the sample above it, smoothed with the samples on either side of that one',
  B_HE_PRED: 'each row repeats the sample to its left, smoothed with the samples above and below that one',
  B_LD_PRED: 'a diagonal running down to the left, from the samples above and above-right',
  B_RD_PRED: 'a diagonal running down to the right, from the samples to the left, the corner and above',
  B_VR_PRED: 'a steep diagonal, down and slightly to the right',
  B_VL_PRED: 'a steep diagonal, down and slightly to the left, from the samples above and above-right',
  B_HD_PRED: 'a shallow diagonal, across and slightly down',
  B_HU_PRED: 'a shallow diagonal, across and slightly up, from the samples to the left only',
};

/**
 * Encodes the stream, decodes it, picks the two macroblocks and gathers
 * everything the lesson states about them.
 */
export async function collect(dir, log = () => {}) {
  await mkdir(join(dir, dirname(RUN.clip)), { recursive: true });
  if (!existsSync(join(dir, RUN.clip))) await symlink(join(ROOT, RUN.clip), join(dir, RUN.clip));
  log(shown(ENCODE_ARGS));
  await excamera(dir, [...ENCODE_ARGS, '--quiet']);
  log(shown(INSPECT_ARGS));
  const inspected = await excamera(dir, INSPECT_ARGS);
  const ivfBytes = new Uint8Array(await readFile(join(dir, RUN.stream)));
  const page = await readFile(join(dir, RUN.page), 'utf8');
  claim(inspected.stderr.includes(`wrote ${RUN.page}`) && page.includes(Buffer.from(ivfBytes).toString('base64')), 'that excamera inspect writes a page holding the stream');

  const { parseIvf } = await dist('container/index.js');
  const { StreamInspector } = await dist('inspect/analyze.js');
  const { traceMacroblock } = await dist('inspect/trace.js');
  const { traceFrameHeader } = await dist('inspect/header-trace.js');
  const { replayFrame } = await dist('inspect/reconstruct.js');
  const { frameInfo } = await dist('vp8/info.js');
  const { parseFrame } = await dist('vp8/frame.js');
  const { frameSetup } = await dist('vp8/frame-setup.js');
  const { blockName } = await dist('vp8/tokens.js');
  const tables = await dist('vp8/tables.js');
  const { B_PRED, NEWMV, MB_MODE_NAMES, B_MODE_NAMES, REF_FRAME_NAMES } = tables;
  const tokens = tokenTable(tables);

  const ivf = parseIvf(ivfBytes);
  const frames = ivf.frames.map((f) => f.data);
  claim(frames.length === RUN.frames, `that the stream has ${RUN.frames} frames`);
  const inspector = new StreamInspector(frames);
  const summaries = [...inspector.summaries()];
  claim(summaries.every((s) => s.error === null), 'that every frame decodes');
  const detail = [inspector.frame(0), inspector.frame(1)];
  const states = [inspector.stateBefore(0), inspector.stateBefore(1)];
  const infos = frames.map((f) => frameInfo(f));
  claim(infos[0].type === 'key' && infos[1].type === 'inter', 'that frame 0 is a key frame and frame 1 an inter frame');
  claim(infos.every((i) => i.version === 0 && i.loopFilter.type === 'normal' && i.partitions.tokens.length === 1 && !i.segmentation.enabled),
    'version 0 (six-tap filters), the normal loop filter, one token partition and no segmentation in both frames');
  const setups = frames.map((f, i) => frameSetup(states[i], parseFrame(states[i], f).header));
  const { width, height, mbCols, mbRows } = detail[0];

  // The frame header's trace: the plain bits before the first partition, then its header's bools.
  const headerFacts = (i) => {
    const t = traceFrameHeader(frames[i]);
    const bools = t.elements.flatMap((e) => e.bools);
    const update = t.elements.filter((e) => e.name === 'coeff_prob_update_flag' || e.name === 'coeff_prob');
    const flags = update.filter((e) => e.name === 'coeff_prob_update_flag');
    const unset = flags.filter((e) => e.bools[0].bit === 0);
    const cost = (es) => sum(es.flatMap((e) => e.bools).map((b) => b.cost));
    claim(flags.length === 1056 && flags.length - unset.length === infos[i].coeffProbUpdates, `that frame ${i}'s header trace has the 1,056 coefficient update flags, as many set as the frame updates`);
    claim(t.bits < 8 * infos[i].partitions.first, `that frame ${i}'s header ends inside its first partition`);
    const probs = flags.map((e) => e.bools[0].prob);
    return {
      chunkBytes: t.chunkBytes,
      startCode: t.uncompressed.find((f) => f.name === 'start_code')?.meaning ?? null, updateFlags: flags.length.toLocaleString('en'),
      fields: t.uncompressed.length + t.elements.length, bools: bools.length, bits: t.bits,
      updateBits: r1(cost(update)), unset: unset.length, unsetBits: r1(cost(unset)), minProb: Math.min(...probs), maxProb: Math.max(...probs),
    };
  };
  const frameFacts = (i) => {
    const info = infos[i];
    return {
      header: headerFacts(i),
      index: i, type: info.type, bytes: frames[i].length, firstPartition: info.partitions.first, tokenPartition: info.partitions.tokens[0],
      tokenPartitionBits: 8 * info.partitions.tokens[0], q: info.quantizer.yAcQi, lfLevel: info.loopFilter.level, sharpness: info.loopFilter.sharpness,
      coeffProbUpdates: info.coeffProbUpdates, probSkipFalse: info.probSkipFalse, mbNoSkipCoeff: info.mbNoSkipCoeff,
      refDeltas: Array.from(setups[i].refLfDeltas), modeDeltas: Array.from(setups[i].modeLfDeltas),
    };
  };
  const f0 = frameFacts(0);
  const f1 = frameFacts(1);
  claim(infos.every((inf) => Object.entries(inf.quantizer).every(([k, v]) => k === 'yAcQi' || v === 0)), 'that neither frame has quantizer deltas');
  claim(f0.q < f1.q, 'that the key frame is quantized more finely than the inter frame');
  claim(f0.mbNoSkipCoeff, 'that the key frame codes mb_skip_coeff');
  const interCount = detail[1].modes.refFrame.filter((r) => r !== 0).length;
  claim(2 * interCount > detail[1].mbCols * detail[1].mbRows, 'that most macroblocks of the inter frame are inter macroblocks');

  // ---- part 1: the intra macroblock -----------------------------------------------------------
  const iMb = chooseIntra(detail[0], B_PRED);
  log(`intra macroblock ${iMb}`);
  const iTrace = traceMacroblock(states[0], frames[0], iMb);
  const iReplay = replayFrame(states[0], frames[0], {}, [iMb]);
  const iSteps = iReplay.steps[0];
  claim(iSteps.yMode === B_PRED && !iSteps.hasY2 && iSteps.y2 === null, 'that a B_PRED macroblock has no Y2 block');
  claim(iSteps.loopFilter.applied && iSteps.loopFilter.innerEdges, 'that the loop filter runs on the intra macroblock, inner edges too');
  const header = iTrace.elements.filter((e) => e.partition === 0);
  const headerBools = header.flatMap((e) => e.bools);
  claim(sum(headerBools.map((b) => b.shifted)) === iTrace.headerBits, 'that the header\'s bits are the bits its bools shifted');
  // The same bools read by the plain decoder of section 7.3.
  const win = await windowBools(states[0], frames[0], iMb);
  claim(win.bools.length === headerBools.length && win.bools.every((b, k) => b.prob === headerBools[k].prob && b.bit === headerBools[k].bit && b.shift === headerBools[k].shifted),
    'that a two-byte-window bool decoder reads the same bools as the project\'s decoder');
  const elementOfBool = header.flatMap((e) => e.bools.map(() => e.name));
  const SHOWN_BOOLS = 8;
  const shownBools = win.bools.slice(0, SHOWN_BOOLS).map((b, k) => ({ ...b, element: elementOfBool[k] }));
  claim(shownBools[0].bit === 0 && shownBools[0].shift === 0, 'that the header\'s first bool reads 0 and shifts nothing');

  const qI = iSteps.quant;
  const factorsOf = (steps) => (b) => steps.blocks[b].factors;
  const iBlocks = blocksOf(iTrace, blockName, tokens, factorsOf(iSteps));
  claim(iBlocks.length === 24 && iBlocks.every((b, k) => b.block === k), 'that a B_PRED macroblock reads 24 blocks, Y first, then U and V');
  claim(sum(iBlocks.map((b) => b.shifted)) === iTrace.tokenBits, 'that the tokens\' bits add up to the macroblock\'s token bits');
  for (const b of iBlocks) claim(b.eob === iSteps.blocks[b.block].eob, `that ${b.name} ends where the decoder says`);
  // The neighbours' flags of the first tokens, worked out again from the block ends of the frame.
  checkNeighbourFlags(detail[0], iMb, iBlocks);

  // The featured block: the one holding the macroblock's largest level (the first such in reading order).
  const largest = (b) => Math.max(...b.tokens.map((t) => Math.abs(t.level ?? 0)));
  const fb = iBlocks.reduce((a, b) => (largest(b) > largest(a) ? b : a));
  claim(fb.block < 16, 'that the largest level sits in a luma block');
  const fbStep = iSteps.blocks[fb.block];
  const bigToken = fb.tokens.reduce((a, t) => (Math.abs(t.level ?? 0) > Math.abs(a.level ?? 0) ? t : a));
  claim(bigToken.path.extra.length > 0 && bigToken.path.startNode === 0, 'that the block\'s largest token has extra bits and is read from the top of the tree');
  const chroma = iBlocks.filter((b) => b.block >= 16);

  // The featured subblock's prediction, worked out from its edges.
  const modes = Array.from(iSteps.subblockModes, (m) => B_MODE_NAMES[m]);
  const recon = iSteps.beforeLoopFilter.y.values;
  const pred = iSteps.prediction.y.values;
  const sbEdges = subblockEdges(iSteps.intraEdges.y, recon, fb.block);
  const sbMode = modes[fb.block];
  const worked = firstSampleWorked(sbMode, sbEdges);
  const sbX = 4 * (fb.block & 3);
  const sbY = 4 * (fb.block >> 2);
  claim(worked.v === pred[16 * sbY + sbX], `that the first sample of ${fb.name}'s ${sbMode} prediction is ${worked.v}`);
  // Every subblock's worked first sample agrees with the decoder's prediction (the rule for the edges holds everywhere).
  for (let b = 0; b < 16; b++) claim(firstSampleWorked(modes[b], subblockEdges(iSteps.intraEdges.y, recon, b)).v === pred[16 * 4 * (b >> 2) + 4 * (b & 3)], `the edges of subblock ${b}`);

  // Prediction + residual, clamped: samples where the sum left 0..255.
  const planes = ['y', 'u', 'v'];
  const clamped = planes.map((p) => {
    const pr = iSteps.prediction[p].values;
    const rs = iSteps.residual[p].values;
    const out = iSteps.beforeLoopFilter[p].values;
    let n = 0;
    for (let k = 0; k < pr.length; k++) {
      const s = pr[k] + rs[k];
      claim(out[k] === Math.min(255, Math.max(0, s)), 'that reconstruction is prediction + residual, clamped');
      if (s < 0 || s > 255) n++;
    }
    return n;
  });
  const iRes = Array.from(iSteps.residual.y.values);
  const bigRes = iRes.reduce((best, v, k) => (Math.abs(v) > Math.abs(iRes[best]) ? k : best), 0);
  const sampleFacts = (steps, k) => {
    const p = steps.prediction.y.values[k];
    const r = steps.residual.y.values[k];
    return { row: k >> 4, col: k & 15, x: steps.x + (k & 15), y: steps.y + (k >> 4), prediction: p, residual: r, sum: p + r, clamped: steps.beforeLoopFilter.y.values[k], after: steps.afterLoopFilter.y.values[k] };
  };

  // The loop filter around the macroblock.
  const lfWindow = (replay, steps) => {
    const x0 = steps.x - 4;
    const y0 = steps.y - 4;
    const before = lumaWindow(replay.beforeLoopFilter, width, x0, y0, 24);
    const after = lumaWindow(replay.picture, width, x0, y0, 24);
    const inside = (k) => { const r = Math.floor(k / 24) - 4; const c = (k % 24) - 4; return r >= 0 && r < 16 && c >= 0 && c < 16; };
    const changed = before.map((v, k) => after[k] !== v);
    const changes = after.map((v, k) => v - before[k]);
    const insideChanged = changed.filter((c, k) => c && inside(k)).length;
    const maxChange = Math.max(...changes.map(Math.abs));
    // The macroblock's own samples after the filter are the steps' afterLoopFilter.
    claim(Array.from(steps.afterLoopFilter.y.values).every((v, k) => v === after[(4 + (k >> 4)) * 24 + 4 + (k & 15)]), 'that the window\'s middle is the macroblock after the filter');
    return { x0, y0, before, after, changes, insideChanged, windowChanged: changed.filter(Boolean).length, maxChange };
  };
  const iLf = lfWindow(iReplay, iSteps);
  claim(iLf.insideChanged > 0, 'that the loop filter changes some of the intra macroblock\'s samples');
  const lfLevelParts = (frame, steps, ref, modeClass) => {
    const refDelta = frame.refDeltas[ref];
    const modeDelta = ref === 0 && modeClass !== 0 ? 0 : frame.modeDeltas[modeClass];
    const level = Math.min(63, Math.max(0, frame.lfLevel + refDelta + modeDelta));
    claim(level === steps.loopFilter.level, `that the filter level is ${frame.lfLevel} + ${refDelta} + ${modeDelta}`);
    return { frame: frame.lfLevel, refDelta, modeDelta, level, ...steps.loopFilter.params };
  };

  const intra = {
    frame: 0, mb: iMb, row: iSteps.mbRow, col: iSteps.mbCol, x: iSteps.x, y: iSteps.y, mode: MB_MODE_NAMES[iSteps.yMode], uvMode: MB_MODE_NAMES[iSteps.uvMode],
    headerBits: iTrace.headerBits, tokenBits: iTrace.tokenBits,
    header: header.map((e) => ({ name: e.name, section: e.section, value: e.value, context: e.context, bools: e.bools.map((b) => ({ prob: b.prob, bit: b.bit, shifted: b.shifted, cost: bits2(b.cost) })) })),
    headerBools: headerBools.length, headerInfo: bits1(sum(headerBools.map((b) => b.cost))),
    tokenBools: sum(iBlocks.map((b) => b.bools)), tokenInfo: bits1(sum(iBlocks.map((b) => b.info))),
    firstHeaderBit: win.firstBit, shownBools,
    subblockModes: modes,
    quant: qI,
    blocks: iBlocks.map(blockSummary),
    featured: {
      block: fb.block, name: fb.name, eob: fb.eob, nonzero: fb.nonzero, shifted: fb.shifted, info: bits1(fb.info),
      tokens: fb.tokens.map(tokenRow),
      levels: Array.from(fbStep.levels), dequantized: Array.from(fbStep.dequantized), residual: Array.from(fbStep.residual),
      factors: fbStep.factors,
      big: { ...tokenRow(bigToken), nodes: bigToken.path.nodes, extra: bigToken.path.extra.map((b) => ({ prob: b.prob, bit: b.bit })), sign: { prob: bigToken.path.sign.prob, bit: bigToken.path.sign.bit } },
      subblock: { mode: sbMode, x: sbX, y: sbY, edges: sbEdges, worked: worked.how, first: worked.v, prediction: blockOf(pred, fb.block), reconstruction: blockOf(recon, fb.block) },
    },
    chroma: { blocksWithTokens: chroma.filter((b) => b.eob > 0).map((b) => b.name), shifted: sum(chroma.map((b) => b.shifted)) },
    edges: { above: Array.from(iSteps.intraEdges.y.above), left: Array.from(iSteps.intraEdges.y.left) },
    prediction: Array.from(pred), residual: iRes, reconstruction: Array.from(recon), after: Array.from(iSteps.afterLoopFilter.y.values),
    residualRange: [Math.min(...iRes), Math.max(...iRes)],
    clamped: { y: clamped[0], u: clamped[1], v: clamped[2] },
    bigSample: sampleFacts(iSteps, bigRes),
    loopFilter: { ...lfLevelParts(f0, iSteps, 0, 0), window: iLf },
  };

  // ---- part 2: the inter macroblock -----------------------------------------------------------
  const traces = new Map();
  const traceOf = (mb) => {
    if (!traces.has(mb)) traces.set(mb, traceMacroblock(states[1], frames[1], mb));
    return traces.get(mb);
  };
  const pMb = chooseInter(detail[1], NEWMV, traceOf);
  log(`inter macroblock ${pMb}`);
  const pTrace = traceOf(pMb);
  const pReplay = replayFrame(states[1], frames[1], {}, [pMb]);
  const pSteps = pReplay.steps[0];
  const v = pTrace.vector;
  claim(pSteps.hasY2 && pSteps.y2 !== null && !pSteps.y2.dcOnly, 'that the inter macroblock\'s Y2 block goes through the whole inverse WHT');
  claim(v.ref === 1 && pSteps.inter.refFrame === 1, 'that the inter macroblock predicts from LAST');
  claim(v.coded !== null && v.mv[0] === v.best[0] + v.coded[0] && v.mv[1] === v.best[1] + v.coded[1], 'that the vector is best + the coded difference');
  claim(v.mv[0] === pSteps.inter.mv[0] && v.mv[1] === pSteps.inter.mv[1], 'that the trace and the replay agree on the vector');
  const pHeader = pTrace.elements.filter((e) => e.partition === 0);
  const pBlocks = blocksOf(pTrace, blockName, tokens, factorsOf(pSteps));
  claim(pBlocks[0].block === 24 && pBlocks.length === 25, 'that a macroblock with a Y2 block reads it first, then 24 more');
  claim(sum(pBlocks.map((b) => b.shifted)) === pTrace.tokenBits, 'that the inter macroblock\'s tokens add up to its token bits');
  for (const b of pBlocks) claim(b.eob === pSteps.blocks[b.block].eob, `that ${b.name} ends where the decoder says`);
  claim(pBlocks.filter((b) => b.block < 16).every((b) => b.tokens[0].position === 1), 'that luma blocks after a Y2 block start at position 1');
  const mvMode = pHeader.find((e) => e.name === 'mv_mode');
  claim(mvMode.bools.every((b, k) => b.prob === v.modeProbs[k]), 'that mv_mode is read with the probabilities the neighbour weights select');
  const weights = v.candidates.map((c) => c.weight);
  const y2 = pSteps.y2;
  const y2Step = pSteps.blocks[24];
  const whole = (q) => q >> 2;
  const frac = (q) => q & 3;
  const ref = states[1].last;
  const refBlock = Array.from({ length: 256 }, (_, k) => ref.y.data[ref.y.offset + (pSteps.y + whole(v.mv[0]) + (k >> 4)) * ref.y.stride + pSteps.x + whole(v.mv[1]) + (k & 15)]);
  claim(frac(v.mv[0]) !== 0 && frac(v.mv[1]) !== 0, 'that the vector has a fraction in both directions, so the prediction is interpolated both ways');
  const pRes = Array.from(pSteps.residual.y.values);
  const pLf = lfWindow(pReplay, pSteps);
  claim(pLf.insideChanged > 0, 'that the loop filter changes some of the inter macroblock\'s samples');
  const flatBlocks = pSteps.blocks.filter((b) => b.block < 16 && b.eob === 0);
  for (const b of flatBlocks) claim(b.residual.every((r) => r === ((b.transformInput[0] + 4) >> 3)), `that ${blockName(b.block)}, with only a DC, has the flat residual (DC + 4) >> 3`);
  const flat = flatBlocks[0];
  const pSample = pRes.reduce((best, r, k) => (Math.abs(r) > Math.abs(pRes[best]) ? k : best), 0);
  const modeClass = 2; // NEWMV shares the loop filter's mode delta with NEARESTMV and NEARMV
  const inter = {
    frame: 1, mb: pMb, row: pSteps.mbRow, col: pSteps.mbCol, x: pSteps.x, y: pSteps.y, mode: MB_MODE_NAMES[pSteps.yMode], ref: REF_FRAME_NAMES[v.ref],
    headerBits: pTrace.headerBits, tokenBits: pTrace.tokenBits,
    header: pHeader.map((e) => ({ name: e.name, section: e.section, value: e.value, context: e.context, bools: e.bools.map((b) => ({ prob: b.prob, bit: b.bit, shifted: b.shifted, cost: bits2(b.cost) })) })),
    vector: {
      neighbours: v.neighbours.map((n) => ({ ...n, mv: Array.from(n.mv), mode: n.inside ? MB_MODE_NAMES[detail[1].modes.yMode[neighbourMb(pMb, mbCols, n.which)]] : null })),
      candidates: v.candidates.map((c) => ({ mv: Array.from(c.mv), weight: c.weight })),
      nearest: Array.from(v.nearest), near: Array.from(v.near), best: Array.from(v.best), modeProbs: Array.from(v.modeProbs),
      coded: Array.from(v.coded), mv: Array.from(v.mv), weights,
    },
    whole: v.mv.map(whole), frac: v.mv.map(frac),
    chromaMv: Array.from(pSteps.inter.chromaMvs.slice(0, 2)),
    quant: pSteps.quant,
    blocks: pBlocks.map(blockSummary),
    y2: {
      levels: Array.from(y2Step.levels), dequantized: Array.from(y2.input), output: Array.from(y2.output), factors: y2Step.factors,
      tokens: pBlocks[0].tokens.map(tokenRow),
    },
    flat: { name: blockName(flat.block), dc: flat.transformInput[0], value: flat.residual[0] },
    refBlock, prediction: Array.from(pSteps.prediction.y.values), residual: pRes, reconstruction: Array.from(pSteps.beforeLoopFilter.y.values),
    after: Array.from(pSteps.afterLoopFilter.y.values),
    residualRange: [Math.min(...pRes), Math.max(...pRes)],
    bigSample: sampleFacts(pSteps, pSample),
    loopFilter: { ...lfLevelParts(f1, pSteps, 1, modeClass), window: pLf },
  };

  // The two pictures, for figure 1.
  const pictures = detail.map((d) => d.picture);
  return {
    facts: {
      stream: { clip: RUN.clip, file: RUN.stream, page: RUN.page, frames: RUN.frames, width, height, mbCols, mbRows, mbs: mbCols * mbRows, bytes: ivfBytes.length },
      commands: { encode: shown(ENCODE_ARGS), inspect: shown(INSPECT_ARGS) },
      frames: [f0, f1],
      intra, inter,
    },
    pictures,
  };
}

/** The macroblock next to `mb` on the side `which` (above, left, above-left). */
function neighbourMb(mb, mbCols, which) {
  return which === 'above' ? mb - mbCols : which === 'left' ? mb - 1 : mb - mbCols - 1;
}

/** The 4x4 samples of luma block b out of a macroblock's 16x16 grid (raster order). */
function blockOf(grid, b) {
  const x = 4 * (b & 3);
  const y = 4 * (b >> 2);
  return Array.from({ length: 16 }, (_, k) => grid[16 * (y + (k >> 2)) + x + (k & 3)]);
}

function blockSummary(b) {
  return { block: b.block, name: b.name, type: b.type, above: b.above, left: b.left, context: b.firstContext, tokens: b.tokens.length, nonzero: b.nonzero, eob: b.eob, bools: b.bools, shifted: b.shifted, info: bits1(b.info) };
}

function tokenRow(t) {
  return {
    position: t.position, band: t.band, context: t.context, token: t.token, level: t.level, factor: t.factor,
    dequantized: t.level === null ? null : t.level * t.factor,
    tree: t.path.nodes.map((n) => `${n.prob}:${n.bit}`), extra: t.path.extra.map((b) => `${b.prob}:${b.bit}`), sign: t.path.sign === null ? null : t.path.sign.bit,
    shifted: t.shifted, info: bits2(t.info), startNode: t.path.startNode,
  };
}

/**
 * The flags a block's first token counts (section 13.3) are whether the block
 * above and the block to the left had any token: worked out here from the
 * block ends of the whole frame, they must be what the trace says.
 */
function checkNeighbourFlags(frame, mb, blocks) {
  const { mbCols, eobs } = frame;
  const eob = (m, b) => eobs[25 * m + b];
  const col = mb % mbCols;
  for (const blk of blocks) {
    const b = blk.block;
    let above;
    let left;
    if (b < 16) {
      above = b >= 4 ? eob(mb, b - 4) : eob(mb - mbCols, b + 12);
      left = b & 3 ? eob(mb, b - 1) : col > 0 ? eob(mb - 1, b + 3) : 0;
    } else {
      const base = b < 20 ? 16 : 20;
      const i = b - base;
      above = i >= 2 ? eob(mb, b - 2) : eob(mb - mbCols, b + 2);
      left = i & 1 ? eob(mb, b - 1) : eob(mb - 1, b + 1);
    }
    claim((above > 0 ? 1 : 0) === blk.above && (left > 0 ? 1 : 0) === blk.left, `the neighbours' flags of ${blk.name}`);
  }
}

// ---- what the prose states, derived from the facts ---------------------------------------------

const minus = (v) => (v < 0 ? `−${-v}` : `${v}`);
const signed = (v) => (v < 0 ? `−${-v}` : `+${v}`);
const vec = (mv) => `(${minus(mv[0])}, ${minus(mv[1])})`;
const samples = (q) => {
  const s = q / 4;
  return s < 0 ? `−${-s}` : `${s}`;
};
const link = (section, text = `section ${section}`) => `[${text}](${RFC}${section})`;

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What each whole-block chroma mode does (section 12.2). */
const UV_MODE_WORDS = {
  DC_PRED: 'each chroma plane is predicted whole with one value, the rounded average of the samples above and to the left',
  V_PRED: 'each column of a chroma plane repeats the sample above it',
  H_PRED: 'each row of a chroma plane repeats the sample to its left',
  TM_PRED: 'each chroma sample is its left neighbour plus its above neighbour minus the corner sample, kept within 0..255',
};

/** The numbers and phrases the template uses beyond the facts themselves. */
export function derive(f) {
  const { intra: i, inter: p } = f;
  const [f0, f1] = f.frames;
  const fb = i.featured;
  const big = fb.big;
  const bModesUsed = [...new Set(i.subblockModes)];
  const headerB = i.header.filter((e) => e.name === 'intra_b_mode');
  const bCost = headerB.map((e) => sum(e.bools.map((b) => b.cost)));
  const cheapest = bCost.indexOf(Math.min(...bCost));
  const dearest = bCost.indexOf(Math.max(...bCost));
  const sb = fb.subblock;
  const lfI = i.loopFilter;
  const lfP = p.loopFilter;
  const v = p.vector;
  const skipEl = i.header.find((e) => e.name === 'mb_skip_coeff');
  const yModeEl = i.header.find((e) => e.name === 'intra_y_mode');
  const withTokens = (blocks) => blocks.filter((b) => b.eob > 0).length;
  const pLuma = p.blocks.filter((b) => b.block < 16 && b.eob > 0);
  const pChroma = p.blocks.filter((b) => b.block >= 16 && b.block < 24 && b.eob > 0);
  const bs = i.bigSample;
  const ps = p.bigSample;
  const shownBools = i.shownBools;
  const fb0 = shownBools[0];
  const wordsExtra = big.extra.map((b) => b.bit).join('');
  const extraValue = big.extra.reduce((a, b) => 2 * a + b.bit, 0);
  const b0 = i.blocks[0];
  const had = (flag) => (flag ? 'had tokens' : 'had none');
  const w0 = v.weights[0];
  const p0 = v.modeProbs[0];
  const names = (bs) => bs.map((b) => b.name).join(', ');
  return {
    f0: { ...f0, firstPartitionBits: 8 * f0.firstPartition },
    f1: { ...f1 },
    i: {
      x1: i.x + 15, y1: i.y + 15, headerElements: i.header.length, bModes: headerB.length,
      firstBlockWords: `Block Y[0]'s two neighbours lie in other macroblocks: block Y[12] of the macroblock above, which ${had(b0.above)}, and block Y[3] of the one to the left, which ${had(b0.left)}.`,
      bModesUsed: bModesUsed.length, modeList: bModesUsed.map((m) => `\`${m}\``).join(', '),
      cheapest: { subblock: cheapest, mode: i.subblockModes[cheapest], bits: bCost[cheapest].toFixed(2), boolsText: plural(headerB[cheapest].bools.length, 'bool'), context: headerB[cheapest].context },
      dearest: { subblock: dearest, mode: i.subblockModes[dearest], bits: bCost[dearest].toFixed(2), boolsText: plural(headerB[dearest].bools.length, 'bool'), context: headerB[dearest].context },
      uvWords: UV_MODE_WORDS[i.uvMode],
      skipProb: skipEl.bools[0].prob, skipBit: skipEl.bools[0].bit, skipShifted: skipEl.bools[0].shifted, skipCost: skipEl.bools[0].cost.toFixed(2),
      yModeProb: yModeEl.bools[0].prob, yModeBools: yModeEl.bools.length,
      shownBools: shownBools.length,
      firstOneWords: firstOneWords(shownBools),
      clampWords: i.clamped.y + i.clamped.u + i.clamped.v === 0
        ? 'No sample of this macroblock needed clamping: no sum left 0..255.'
        : `In this macroblock ${i.clamped.y} luma sample${i.clamped.y === 1 ? '' : 's'} needed clamping (${i.clamped.y + i.clamped.u + i.clamped.v} counting chroma).`,
      b0: { range: fb0.range, prob: fb0.prob, split: fb0.split, top: fb0.value >> 8, bit: fb0.bit, chosen: fb0.chosen, shift: fb0.shift, rangeAfter: fb0.rangeAfter, element: fb0.element },
      totalBits: i.headerBits + i.tokenBits, blocksWithTokens: withTokens(i.blocks),
      featured: {
        ...fb, tokenCount: fb.tokens.length, eobPosition: fb.eob,
        zeros: fb.tokens.filter((t) => t.level === 0).length,
        firstContext: i.blocks[fb.block].context, above: i.blocks[fb.block].above, left: i.blocks[fb.block].left,
        dc: fb.factors.dc, ac: fb.factors.ac,
      },
      big: {
        which: big.position === 0 ? 'Its first token' : `Its token at position ${big.position}`,
        token: big.token, level: minus(big.level), magnitude: Math.abs(big.level), position: big.position, band: big.band, context: big.context,
        treeBools: big.nodes.length, extraBits: big.extra.length, extraWord: wordsExtra, extraValue, base: big.level === null ? 0 : Math.abs(big.level) - extraValue,
        signBit: big.sign.bit, factor: big.factor, dequantized: minus(big.dequantized), shifted: big.shifted, info: big.info,
        extraProbs: big.extra.map((b) => b.prob).join(', '),
      },
      sb: { mode: sb.mode, words: SUBBLOCK_MODE_WORDS[sb.mode], worked: sb.worked, first: sb.first, P: sb.edges.P, A: sb.edges.A.join(', '), AR: sb.edges.AR.join(', '), L: sb.edges.L.join(', ') },
      residualMin: minus(i.residualRange[0]), residualMax: minus(i.residualRange[1]),
      fbResidualMin: minus(Math.min(...fb.residual)), fbResidualMax: minus(Math.max(...fb.residual)),
      clampedY: i.clamped.y, clampedAll: i.clamped.y + i.clamped.u + i.clamped.v,
      bs: { ...bs, residual: minus(bs.residual), sumText: bs.sum < 0 || bs.sum > 255 ? `${bs.sum}, clamped to ${bs.clamped}` : `${bs.sum}, inside 0..255, so it stays ${bs.clamped}` },
      lf: { ...lfI, refDelta: signed(lfI.refDelta), modeDelta: signed(lfI.modeDelta), changed: lfI.window.insideChanged, windowChanged: lfI.window.windowChanged, maxChange: lfI.window.maxChange, unchanged: 256 - lfI.window.insideChanged, samples: 256 },
      uvMode: i.uvMode,
      chromaBlocks: i.chroma.blocksWithTokens.join(', '), chromaBits: i.chroma.shifted,
    },
    p: {
      x1: p.x + 15, y1: p.y + 15,
      headerList: p.header.map((e) => `\`${e.name}\``).join(', '),
      nearest: vec(v.nearest), near: vec(v.near), best: vec(v.best), coded: vec(v.coded), mv: vec(v.mv),
      mvSamples: `(${samples(v.mv[0])}, ${samples(v.mv[1])})`,
      zeroWeight: v.weights[0], nearestWeight: v.weights[1], nearWeight: v.weights[2], splitWeight: v.weights[3],
      bestIs: v.best[0] === v.nearest[0] && v.best[1] === v.nearest[1] ? 'nearest' : 'the zero vector',
      modeProbs: v.modeProbs.join(', '), mvModeBits: p.header.find((e) => e.name === 'mv_mode').bools.map((b) => b.bit).join(' '),
      whole: vec(p.whole), fracRow: p.frac[0], fracCol: p.frac[1],
      chromaMv: vec(p.chromaMv),
      totalBits: p.headerBits + p.tokenBits,
      y2Tokens: p.y2.tokens.filter((t) => t.token !== 'EOB').length, y2Nonzero: p.y2.tokens.filter((t) => t.level).length, y2Eob: p.blocks[0].eob,
      flat: { ...p.flat, dc: minus(p.flat.dc), value: minus(p.flat.value) },
      residualMin: minus(p.residualRange[0]), residualMax: minus(p.residualRange[1]),
      ps: { ...ps, residual: minus(ps.residual) },
      lf: { ...lfP, refDelta: signed(lfP.refDelta), modeDelta: signed(lfP.modeDelta), changed: lfP.window.insideChanged, windowChanged: lfP.window.windowChanged, maxChange: lfP.window.maxChange },
      mvRowWords: mvWords(p.header.find((e) => e.name === 'mv_row'), 'row'),
      mvColWords: mvWords(p.header.find((e) => e.name === 'mv_col'), 'column'),
      zeroWords: `${w0 === 0 ? 'No neighbour votes for the zero vector' : `The zero vector has weight ${w0}`}, so "ZEROMV?" is read with P(0) = ${p0}/256: the decoder ${p0 < 64 ? 'expects a zero vector to be unlikely' : p0 > 192 ? 'expects a zero vector' : 'is unsure about a zero vector'}.`,
      ownWords: `${pLuma.length === 0 ? 'No luma block codes' : pLuma.length === 1 ? `${names(pLuma)} is the only luma block that codes` : `${names(pLuma)} are the luma blocks that code`} coefficients of its own, and ${pChroma.length === 0 ? 'no chroma block does' : `${pChroma.length} chroma block${pChroma.length > 1 ? 's do' : ' does'} (${names(pChroma)})`}.`,
    },
  };
}

/** What the first bool of figure 2 that reads 1 shows. */
function firstOneWords(bools) {
  const k = bools.findIndex((b) => b.bit === 1);
  claim(k >= 0, 'that figure 2 shows a bool that reads 1');
  const b = bools[k];
  claim(b.prob > 128 && b.shift > 0, 'that the first 1 of figure 2 was the unlikely value, and cost bits');
  return `Bool ${k + 1} (\`${b.element}\`) is the first to read 1, which its probability (P(0) = ${b.prob}/256) made unlikely: the part of the range kept is only ${b.chosen} wide, and is doubled ${b.shift} times back to ${b.rangeAfter}, ${b.shift} bits of the stream for one bool.`;
}

/**
 * What a vector component's bools say (section 17.1): the first chooses the
 * short or the long form; the short form reads the magnitude (0 to 7) with a
 * tree of three bools, the long form its bits (the lowest three, then from the
 * top down to the bit for 16, then the bit for 8 only when a higher one is
 * set); a sign follows a nonzero magnitude.
 */
function mvWords(e, component) {
  const m = /^(-?\d+) \(quarter samples\) \+ best (-?\d+) = (-?\d+)$/.exec(e.value);
  claim(m !== null, `that the trace states ${e.name} as a difference from best`);
  const diff = Number(m[1]);
  const mag = Math.abs(diff);
  const b = e.bools;
  const long = b[0].bit === 1;
  const sign = diff === 0 ? null : b[b.length - 1];
  const Cap = component === 'row' ? 'The row' : 'The column';
  const signText = sign === null ? 'a zero has no sign' : `the sign bool (P(0) = ${sign.prob}/256) reads ${sign.bit}: ${sign.bit ? 'negative' : 'positive'}, ${minus(diff)}`;
  if (!long) {
    claim(mag < 8 && b.length === 4 + (sign ? 1 : 0), `that ${e.name} is coded in the short form`);
    return `${Cap}'s first bool (P(0) = ${b[0].prob}/256) reads 0, the short form: three bools read ${b.slice(1, 4).map((x) => x.bit).join(' ')} down a small tree, magnitude ${mag}; ${signText}.`;
  }
  const third = (mag & 0xfff0) !== 0;
  claim(mag >= 8 && b.length === 1 + 9 + (third ? 1 : 0) + 1, `that ${e.name} is coded in the long form`);
  return `${Cap}'s first bool (P(0) = ${b[0].prob}/256) reads 1, the long form: the next ${b.length - 2} bools are the bits of the magnitude ${mag} (binary ${mag.toString(2)}), each with its own probability: the lowest three, then the others from the top down${third ? ', the bit for 8 last (it is read only when a higher bit is set; otherwise it must be 1, or the short form would have been used)' : ''}; ${signText}.`;
}

// ---- tables ---------------------------------------------------------------------------------------

const boolList = (bools) => bools.map((b) => `${b.prob}:${b.bit}`).join(' ');
const cell = (s) => String(s).replace(/\|/g, '\\|');

export function tables(f, d) {
  const { intra: i, inter: p } = f;
  const headerTable = (header) => table(['element', 'section', 'bools (P(0) in 256ths : value)', 'bits shifted', 'information (bits)', 'value', 'context'],
    header.map((e) => [`\`${e.name}\``, link(e.section, e.section), boolList(e.bools), sum(e.bools.map((b) => b.shifted)), sum(e.bools.map((b) => b.cost)).toFixed(2), cell(e.value), cell(e.context || '—')]),
    ['l', 'l', 'l', 'r', 'r', 'l', 'l']);
  const blockTable = (blocks) => table(['block', 'above + left', 'first context', 'tokens', 'nonzero', 'ends at', 'bools', 'bits shifted', 'information (bits)'],
    blocks.map((b) => [b.name, `${b.above} + ${b.left}`, b.context, b.tokens, b.nonzero, b.eob, b.bools, b.shifted, b.info]),
    ['l', 'c', 'r', 'r', 'r', 'r', 'r', 'r', 'r']);
  const tokenTableOf = (tokens, zigzag) => table(['position', 'raster', 'band', 'context', 'token', 'tree (P(0):bit)', 'extra bits', 'sign', 'level', '× factor', '= dequantized', 'bits shifted'],
    tokens.map((t) => [t.position, t.token === 'EOB' ? '—' : zigzag[t.position], t.band, t.context, t.token, t.tree.join(' '), t.extra.join(' ') || '—', t.sign === null ? '—' : t.sign,
      t.level === null ? '—' : minus(t.level), t.level === null ? '—' : t.factor, t.dequantized === null ? '—' : minus(t.dequantized), t.shifted]),
    ['r', 'r', 'r', 'r', 'l', 'l', 'l', 'c', 'r', 'r', 'r', 'r']);
  const frames = table(['frame', 'type', 'bytes', 'first partition (bytes)', 'token partition (bytes)', 'y_ac_qi', 'loop filter level'],
    f.frames.map((x) => [x.index, x.type, x.bytes, x.firstPartition, x.tokenPartition, x.q, x.lfLevel]), ['r', 'l', 'r', 'r', 'r', 'r', 'r']);
  const factors = table(['', 'DC factor', 'AC factor'], [
    ['Y (luma) blocks', i.quant.y1Dc, i.quant.y1Ac],
    ['U and V (chroma) blocks', i.quant.uvDc, i.quant.uvAc],
    ['Y2 block', i.quant.y2Dc, i.quant.y2Ac],
  ], ['l', 'r', 'r']);
  const pFactors = table(['', 'DC factor', 'AC factor'], [
    ['Y (luma) blocks', p.quant.y1Dc, p.quant.y1Ac],
    ['U and V (chroma) blocks', p.quant.uvDc, p.quant.uvAc],
    ['Y2 block', p.quant.y2Dc, p.quant.y2Ac],
  ], ['l', 'r', 'r']);
  const modes = table(['subblock mode', 'subblocks', 'what it predicts'],
    [...new Set(i.subblockModes)].map((m) => [`\`${m}\``, i.subblockModes.map((x, k) => (x === m ? k : null)).filter((k) => k !== null).join(', '), SUBBLOCK_MODE_WORDS[m]]), ['l', 'l', 'l']);
  const v = p.vector;
  const neighbours = table(['neighbour', 'weight', 'mode', 'reference', 'vector (row, column)', 'counts for'],
    v.neighbours.map((n) => [n.which, n.weight, n.inside ? `\`${n.mode}\`` : 'outside', n.inside ? (n.ref === 0 ? 'intra' : ['', 'LAST', 'GOLDEN', 'ALTREF'][n.ref]) : '—',
      n.inside && n.ref !== 0 ? vec(n.mv) : '—', !n.inside || n.ref === 0 ? 'nothing' : neighbourCounts(n, v)]),
    ['l', 'r', 'l', 'l', 'l', 'l']);
  const candidates = table(['candidate', 'vector', 'weight', 'its mode probability (node)'],
    ['zero', 'nearest', 'near', 'split'].map((name, k) => [name, k === 3 ? '—' : vec(k === 0 ? [0, 0] : v.candidates[k].mv), v.weights[k], `${v.modeProbs[k]} (${['ZEROMV?', 'NEARESTMV?', 'NEARMV?', 'NEWMV or SPLITMV?'][k]})`]),
    ['l', 'l', 'r', 'l']);
  const lf = (x) => table(['', 'value'], [
    ['frame level (`loop_filter_level`)', x.frame],
    ['reference delta', signed(x.refDelta)],
    ['mode delta', signed(x.modeDelta)],
    ['**macroblock level**', `**${x.level}**`],
    ['interior limit', x.interior],
    ['edge limit, macroblock edges', x.mbEdge],
    ['edge limit, subblock edges', x.subEdge],
    ['high edge variance threshold', x.hevThreshold],
  ], ['l', 'r']);
  return {
    frames, factors, pFactors, modes, neighbours, candidates,
    intraHeader: headerTable(i.header), interHeader: headerTable(p.header),
    intraBlocks: blockTable(i.blocks), interBlocks: blockTable(p.blocks.filter((b) => b.eob > 0 || b.block === 24)),
    featuredTokens: tokenTableOf(i.featured.tokens, d.zigzag), y2Tokens: tokenTableOf(p.y2.tokens, d.zigzag),
    intraLf: lf(i.loopFilter), interLf: lf(p.loopFilter),
  };
}

function neighbourCounts(n, v) {
  const same = (a, b) => a[0] === b[0] && a[1] === b[1];
  if (n.mv[0] === 0 && n.mv[1] === 0) return 'zero';
  const slot = [1, 2, 3].find((k) => same(v.candidates[k].mv, n.mv) && v.candidates[k].weight > 0);
  return slot === 1 ? 'nearest' : slot === 2 ? 'near' : 'a third vector';
}

// ---- the template ------------------------------------------------------------------------------

export async function renderMarkdown(f) {
  const { ZIGZAG } = await dist('vp8/tables.js');
  const d = derive(f);
  const t = tables(f, { zigzag: ZIGZAG });
  const template = await readFile(TEMPLATE, 'utf8');
  return fill(template, { ...f, ...d, table: t, rfc: RFC, rfcDoc: RFC.slice(0, RFC.indexOf('#')) });
}

// ---- figures (SVG) ------------------------------------------------------------------------------

const MARKERS = [marker('arrow-dark', '#333', 6), marker('arrow-red', '#d62728', 5), marker('arrow-blue', '#1f77b4', 5), marker('arrow-green', '#2a8a2a', 5)];

const TITLE = 'font-weight="bold" font-size="13"';
const NOTE = 'font-size="11" fill="#555"';

/** Splits `s` into lines of at most `width` characters, at spaces. */
function wrap(s, width) {
  const lines = [];
  let cur = '';
  for (const word of s.split(' ')) {
    if (cur !== '' && cur.length + 1 + word.length > width) {
      lines.push(cur);
      cur = word;
    } else cur = cur === '' ? word : `${cur} ${word}`;
  }
  if (cur !== '') lines.push(cur);
  return lines;
}

/** A note of several lines from (x, y), `width` characters wide; returns the y below it. */
function note(out, x, y, s, width, attrs = NOTE, lineHeight = 15) {
  const lines = wrap(s, width);
  lines.forEach((l, k) => out.push(text(x, y + k * lineHeight, l, attrs)));
  return y + lines.length * lineHeight;
}

const hex2 = (v) => v.toString(16).padStart(2, '0');
const gray = (v) => `#${hex2(v)}${hex2(v)}${hex2(v)}`;
/** A signed value's colour: white at 0, red above, blue below, stronger with |v| / max. */
function signedFill(v, max) {
  if (v === 0 || max === 0) return '#fff';
  const t = Math.round(210 * Math.min(1, Math.abs(v) / max));
  return v > 0 ? `#ff${hex2(255 - t)}${hex2(255 - t)}` : `#${hex2(255 - t)}${hex2(255 - t)}ff`;
}

/**
 * A grid of values drawn as cells: `kind` 'gray' shades each cell with its
 * sample value, 'signed' with signedFill against `max`. Lines every `major`
 * cells; `marked(k)` frames cell k; `blank(k)` leaves a cell's number out
 * (and, with `blankFill`, paints it so).
 */
function grid(out, x0, y0, values, cols, { cell = 24, kind = 'gray', max = 0, major = 4, marked = null, blank = null, blankFill = null, font = null, markColor = '#ff7f0e' } = {}) {
  const rows = Math.ceil(values.length / cols);
  const size = font ?? r1(cell * 0.4);
  const cells = [];
  const labels = [];
  values.forEach((v, k) => {
    const x = r1(x0 + (k % cols) * cell);
    const y = r1(y0 + Math.floor(k / cols) * cell);
    const empty = blank !== null && blank(k);
    const fill = empty && blankFill !== null ? blankFill : kind === 'gray' ? gray(v) : signedFill(v, max);
    cells.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}"/>`);
    if (!empty) {
      const dark = kind === 'gray' && v < 120;
      labels.push(`<text x="${r1(x + cell / 2)}" y="${r1(y + cell / 2 + size * 0.36)}"${dark ? ' fill="#fff"' : ''}>${minus(v)}</text>`);
    }
  });
  out.push(`<g stroke="#bbb" stroke-width="0.3">${cells.join('')}</g>`);
  out.push(`<g font-size="${size}" text-anchor="middle" font-family="${MONO}">${labels.join('')}</g>`);
  const lines = [];
  for (let c = major; c < cols; c += major) lines.push(`M${r1(x0 + c * cell)} ${r1(y0)}v${r1(rows * cell)}`);
  for (let r = major; r < rows; r += major) lines.push(`M${r1(x0)} ${r1(y0 + r * cell)}h${r1(cols * cell)}`);
  if (lines.length > 0) out.push(`<path d="${lines.join('')}" stroke="#555" stroke-width="0.8" fill="none"/>`);
  out.push(rect(x0, y0, cols * cell, rows * cell, 'fill="none" stroke="#222" stroke-width="1.2"'));
  if (marked !== null) {
    const m = [];
    values.forEach((_, k) => {
      if (marked(k)) m.push(rect(x0 + (k % cols) * cell + 1.5, y0 + Math.floor(k / cols) * cell + 1.5, cell - 3, cell - 3, ''));
    });
    out.push(`<g fill="none" stroke="${markColor}" stroke-width="2">${m.join('')}</g>`);
  }
  return { width: cols * cell, height: rows * cell };
}

/** Figure 1: where the two macroblocks are, on 8x8-sample averages of each frame's luma. */
export function whereFigure(f, pictures) {
  const { width, height } = f.stream;
  const cell = 8;
  const out = [];
  const gap = 40;
  const top = 30;
  const panels = [[0, f.intra, '#ff7f0e', 'intra'], [1, f.inter, '#1f77b4', 'inter']];
  panels.forEach(([frame, mb, color, kind], p) => {
    const x0 = 10 + p * (width + gap);
    const pic = pictures[frame];
    const byLevel = new Map();
    for (let by = 0; by < height / cell; by++) {
      for (let bx = 0; bx < width / cell; bx++) {
        let s = 0;
        for (let r = 0; r < cell; r++) for (let c = 0; c < cell; c++) s += pic[(by * cell + r) * width + bx * cell + c];
        const level = Math.min(255, Math.round(s / (cell * cell) / 8) * 8);
        if (!byLevel.has(level)) byLevel.set(level, []);
        byLevel.get(level).push(`M${bx * cell} ${by * cell}h${cell}v${cell}h-${cell}z`);
      }
    }
    out.push(`<g transform="translate(${x0} ${top})">`);
    for (const level of [...byLevel.keys()].sort((a, b) => a - b)) out.push(`<path fill="${gray(level)}" d="${byLevel.get(level).join('')}"/>`);
    const lines = [];
    for (let x = 16; x < width; x += 16) lines.push(`M${x} 0V${height}`);
    for (let y = 16; y < height; y += 16) lines.push(`M0 ${y}H${width}`);
    out.push(`<path d="${lines.join('')}" stroke="#fff" stroke-opacity="0.25" stroke-width="0.5" fill="none"/>`);
    out.push(rect(mb.x - 1, mb.y - 1, 18, 18, `fill="none" stroke="${color}" stroke-width="3"`));
    const right = mb.x + 22 + 60 < width;
    out.push(text(right ? mb.x + 22 : mb.x - 6, mb.y + 12, mb.mode, `font-size="11" font-weight="bold" fill="${color}" stroke="#fff" stroke-width="3" paint-order="stroke" text-anchor="${right ? 'start' : 'end'}"`));
    out.push('</g>');
    out.push(text(x0, 20, `frame ${frame} (${f.frames[frame].type}): the ${kind} macroblock, row ${mb.row}, column ${mb.col}`, 'font-weight="bold" font-size="12"'));
  });
  note(out, 10, top + height + 18, `Each square is the average of 8×8 luma samples; the faint grid marks the ${f.stream.mbCols}×${f.stream.mbRows} macroblocks of 16×16 samples.`, 140);
  return svg(2 * width + gap + 20, top + height + 28, out, MARKERS);
}

/** Figure 2: the first bools of the intra macroblock's header, read as section 7.3 does. */
export function boolsFigure(f) {
  const bools = f.intra.shownBools;
  const left = 170;
  const scale = 2;
  const rowH = 58;
  const top = 48;
  const out = [];
  out.push(text(10, 20, `The first ${bools.length} bools of macroblock ${f.intra.row},${f.intra.col}'s header (first partition, from its bit ${f.intra.firstHeaderBit})`, TITLE));
  out.push(text(left, top - 8, '0', 'font-size="10" fill="#555" text-anchor="middle"'));
  out.push(text(left + 255 * scale, top - 8, '255', 'font-size="10" fill="#555" text-anchor="middle"'));
  bools.forEach((b, k) => {
    const y = top + k * rowH;
    out.push(text(10, y + 14, `${k + 1}. ${b.element}`, `font-size="12" font-family="${MONO}"`));
    out.push(text(10, y + 30, `P(0) = ${b.prob}/256`, 'font-size="11" fill="#444"'));
    const w0 = b.split * scale;
    const w1 = (b.range - b.split) * scale;
    const pick0 = b.bit === 0;
    out.push(rect(left, y, w0, 22, `fill="${pick0 ? '#a8dfa0' : '#eee'}" stroke="#666" stroke-width="0.8"`));
    out.push(rect(left + w0, y, w1, 22, `fill="${pick0 ? '#eee' : '#a8dfa0'}" stroke="#666" stroke-width="0.8"`));
    out.push(text(left + 3, y + 15, w0 > 60 ? `0: [0, ${b.split})` : '0', 'font-size="10"'));
    out.push(text(left + w0 + 3, y + 15, w1 > 70 ? `1: [${b.split}, ${b.range})` : '1', 'font-size="10"'));
    const vx = left + (b.value / 256) * scale;
    out.push(line(vx, y - 4, vx, y + 26, 'stroke="#d62728" stroke-width="2"'));
    out.push(text(vx, y + 38, `value ${(b.value / 256).toFixed(2)}`, 'font-size="10" fill="#d62728" text-anchor="middle"'));
    const tx = left + 255 * scale + 18;
    out.push(text(tx, y + 10, `range ${b.range}: split = 1 + (${b.range - 1}·${b.prob} >> 8) = ${b.split}`, 'font-size="11"'));
    out.push(text(tx, y + 25, `value's top byte ${b.value >> 8} ${b.bit ? '≥' : '<'} ${b.split}: the bool is ${b.bit}; range ${b.chosen}`, 'font-size="11"'));
    out.push(text(tx, y + 40, b.shift === 0 ? 'range ≥ 128: no bit shifted' : `doubled ${b.shift}× to ${b.rangeAfter}: ${b.shift} bit${b.shift === 1 ? '' : 's'} shifted in`, `font-size="11" fill="${b.shift ? '#1f77b4' : '#555'}"`));
  });
  const ly = top + bools.length * rowH + 6;
  out.push(rect(left, ly - 10, 14, 12, 'fill="#a8dfa0" stroke="#666" stroke-width="0.8"'));
  out.push(text(left + 20, ly, 'where the value falls: the new range', 'font-size="11"'));
  out.push(line(left + 250, ly - 10, left + 250, ly + 2, 'stroke="#d62728" stroke-width="2"'));
  out.push(text(left + 258, ly, 'the value: the 16-bit window / 256 (its top byte is what is compared)', 'font-size="11"'));
  return svg(left + 255 * scale + 18 + 370, ly + 14, out, MARKERS);
}

/** Figure 3: the token tree, with the path of the featured block's largest token. */
export function tokenTreeFigure(f, tokens) {
  const big = f.intra.featured.big;
  const visited = new Map(big.nodes.map((n) => [n.node, n]));
  // Leaves top to bottom in tree order, inner nodes at the middle of their children, depth to the right.
  const pos = new Map();
  let leafRow = 0;
  const place = (child, depth) => {
    if (typeof child === 'string') {
      const p = { x: depth, y: leafRow++ };
      pos.set(`leaf:${child}`, p);
      return p;
    }
    const a = place(TOKEN_TREE[child][1], depth + 1);
    const b = place(TOKEN_TREE[child][2], depth + 1);
    const p = { x: depth, y: (a.y + b.y) / 2 };
    pos.set(child, p);
    return p;
  };
  place(0, 0);
  const dx = 104;
  const dy = 34;
  const x0 = 60;
  const y0 = 70;
  const X = (p) => x0 + p.x * dx;
  const Y = (p) => y0 + p.y * dy;
  const onPath = new Set();
  let node = big.nodes[0].node;
  for (const n of big.nodes) {
    onPath.add(`${node}>${n.bit}`);
    node = TOKEN_TREE[node][1 + n.bit];
  }
  const out = [];
  out.push(text(10, 20, `The token tree (section 13.2): how ${f.intra.featured.name}'s token at position ${big.position} was read`, TITLE));
  out.push(text(10, 38, `Band ${big.band}, context ${big.context}. Each question is one bool, read with the probability its node has in that band and context; 0 answers yes.`, NOTE));
  TOKEN_TREE.forEach(([, c0, c1], n) => {
    const p = pos.get(n);
    [c0, c1].forEach((c, bit) => {
      const q = typeof c === 'string' ? pos.get(`leaf:${c}`) : pos.get(c);
      const hot = onPath.has(`${n}>${bit}`);
      const mx = X(p) + 40;
      out.push(`<path d="M${r1(X(p) + 8)} ${r1(Y(p))}H${r1(mx)}V${r1(Y(q))}H${r1(X(q) - (typeof c === 'string' ? 6 : 10))}" fill="none" stroke="${hot ? '#d62728' : '#aaa'}" stroke-width="${hot ? 2.4 : 1}"/>`);
      out.push(text(mx + 4, Y(q) - 4, bit, `font-size="10" fill="${hot ? '#d62728' : '#888'}"`));
    });
  });
  TOKEN_TREE.forEach(([question], n) => {
    const p = pos.get(n);
    const v = visited.get(n);
    out.push(`<circle cx="${r1(X(p))}" cy="${r1(Y(p))}" r="9" fill="${v ? '#d62728' : '#fff'}" stroke="${v ? '#d62728' : '#888'}"/>`);
    out.push(text(X(p), Y(p) + 3.5, n, `font-size="9" text-anchor="middle" fill="${v ? '#fff' : '#444'}"`));
    out.push(text(X(p) - 12, Y(p) - 12, question, `font-size="10" fill="${v ? '#000' : '#666'}"`));
    if (v) out.push(text(X(p) - 12, Y(p) + 21, `P(0) ${v.prob} → ${v.bit}`, 'font-size="10" font-weight="bold" fill="#d62728"'));
  });
  for (const [k, p] of pos.entries()) {
    if (typeof k !== 'string') continue;
    const name = k.slice(5);
    const t = tokens[name];
    const label = name === 'EOB' ? 'EOB (block ends)' : name === 'ZERO' ? 'ZERO (0)' : t.base === t.max ? `${name} (${t.base})` : `${name} (${t.base}–${t.max}, ${t.extra.length} extra bit${t.extra.length > 1 ? 's' : ''})`;
    out.push(text(X(p) - 4, Y(p) + 4, label, `font-size="11"${name === big.token ? ' font-weight="bold" fill="#d62728"' : ''}`));
  }
  const bx = x0 + 7 * dx + 60;
  const by = y0 + 0.5 * dy;
  const extraVal = big.extra.reduce((a, b) => 2 * a + b.bit, 0);
  const base = tokens[big.token].base;
  const lines = [
    `${big.token}: magnitude ${base} + extra bits`,
    ...big.extra.map((b, k) => `extra bit ${k + 1}: P(0) ${b.prob} → ${b.bit}`),
    `extra bits ${big.extra.map((b) => b.bit).join('')} = ${extraVal}: ${base} + ${extraVal} = ${base + extraVal}`,
    `sign: P(0) ${big.sign.prob} → ${big.sign.bit} (${big.sign.bit ? 'negative' : 'positive'})`,
    `level ${minus(big.level)}, × factor ${big.factor} = ${minus(big.dequantized)}`,
    `${big.tree.length + big.extra.length + 1} bools, ${big.shifted} bits shifted,`,
    `${big.info} bits of information`,
  ];
  out.push(rect(bx - 10, by - 18, 320, lines.length * 20 + 14, 'fill="#fff5f5" stroke="#d62728" stroke-width="1"'));
  lines.forEach((l, k) => out.push(text(bx, by + k * 20, l, `font-size="11"${k === 0 ? ' font-weight="bold"' : ''}`)));
  return svg(bx + 320, y0 + leafRow * dy - 10, out, MARKERS);
}

/** Three 4x4 grids with arrows between them; `zigzag` numbers the first grid's cells with their zigzag positions. */
function fourByFour(title, items, caption, zigzag) {
  const cell = 44;
  const out = [text(10, 20, title, TITLE)];
  const top = 56;
  const gap = 76;
  const zz = new Map(Array.from(zigzag, (r, n) => [r, n]));
  items.forEach(([name, values], k) => {
    const x0 = 10 + k * (4 * cell + gap);
    out.push(text(x0, top - 10, name, 'font-size="12"'));
    grid(out, x0, top, values, 4, { cell, kind: 'signed', max: Math.max(1, ...values.map(Math.abs)), major: 4, font: 14 });
    if (k === 0) for (let r = 0; r < 16; r++) out.push(text(x0 + (r % 4) * cell + 3, top + Math.floor(r / 4) * cell + 11, zz.get(r), 'font-size="9" fill="#777"'));
    if (k < items.length - 1) out.push(line(x0 + 4 * cell + 10, top + 2 * cell, x0 + 4 * cell + gap - 10, top + 2 * cell, 'stroke="#333" stroke-width="1.5" marker-end="url(#arrow-dark)"'));
  });
  const w = 10 + items.length * 4 * cell + (items.length - 1) * gap + 10;
  const end = note(out, 10, top + 4 * cell + 22, caption, Math.floor((w - 20) / 6.2));
  return svg(w, end, out, MARKERS);
}

/** Figure 4: the featured block's levels, dequantized coefficients and residual. */
export function blockFigure(f, zigzag) {
  const fb = f.intra.featured;
  return fourByFour(`Block ${fb.name} of macroblock ${f.intra.row},${f.intra.col}: from levels to residual (sections 14.1, 14.4)`, [
    ['levels as coded', fb.levels],
    [`× factors (DC ${fb.factors.dc}, AC ${fb.factors.ac})`, fb.dequantized],
    ['inverse DCT: the residual', fb.residual],
  ], 'Raster order, row by row. Small grey numbers: each coefficient\'s position in the zigzag order the tokens follow. Red: positive, blue: negative.', zigzag);
}

/** Figure 9: the Y2 block and its inverse WHT. */
export function y2Figure(f, zigzag) {
  const y = f.inter.y2;
  return fourByFour(`Macroblock ${f.inter.row},${f.inter.col}: the Y2 block and the inverse WHT (section 14.3)`, [
    ['Y2 levels as coded', y.levels],
    [`× factors (DC ${y.factors.dc}, AC ${y.factors.ac})`, y.dequantized],
    ['inverse WHT: the 16 luma DCs', y.output],
  ], 'Raster order; small grey numbers: zigzag positions. The output at row r, column c becomes coefficient 0 (the DC) of luma block 4r + c before that block\'s inverse DCT.', zigzag);
}

/** Figure 5: the intra macroblock's edges and its prediction, and the map of its subblock modes. */
export function intraPredictionFigure(f) {
  const i = f.intra;
  const cell = 26;
  const x0 = 10 + cell;
  const y0 = 74 + cell;
  const out = [];
  out.push(text(10, 20, `Macroblock ${i.row},${i.col}: its edges and the prediction of each subblock (section 12.3)`, TITLE));
  out.push(text(10, 38, 'Above: P (the corner), A (16 samples) and the 4 samples above-right; left: L (16 samples).', NOTE));
  out.push(text(10, 53, 'Inside: each subblock\'s prediction; lines mark the 4×4 subblocks. Right: the subblock modes.', NOTE));
  const above = i.edges.above;
  grid(out, x0 - cell, y0 - cell - 4, above, above.length, { cell, major: 100 });
  grid(out, x0 - cell - 4, y0, i.edges.left, 1, { cell, major: 100 });
  grid(out, x0, y0, i.prediction, 16, { cell, major: 4 });
  out.push(text(x0 - cell / 2, y0 - cell - 9, 'P', 'font-size="11" text-anchor="middle" font-weight="bold"'));
  out.push(text(x0 + 8 * cell, y0 - cell - 9, 'A: the row above', 'font-size="11" text-anchor="middle" font-weight="bold"'));
  out.push(text(x0 + 18 * cell, y0 - cell - 9, 'above-right', 'font-size="11" text-anchor="middle" font-weight="bold"'));
  const fb = i.featured;
  out.push(rect(x0 + fb.subblock.x * cell, y0 + fb.subblock.y * cell, 4 * cell, 4 * cell, 'fill="none" stroke="#ff7f0e" stroke-width="3"'));
  // The mode map.
  const mx = x0 + 20 * cell + 24;
  const m = 64;
  out.push(text(mx, y0 - 8, 'subblock modes', 'font-size="12"'));
  i.subblockModes.forEach((mode, b) => {
    const bx = mx + m * (b & 3);
    const by = y0 + m * (b >> 2);
    const hot = b === fb.block;
    out.push(rect(bx, by, m, m, `fill="${hot ? '#fff1e0' : '#f6f6f6'}" stroke="${hot ? '#ff7f0e' : '#999'}" stroke-width="${hot ? 3 : 1}"`));
    out.push(text(bx + m / 2, by + 24, b, 'font-size="11" text-anchor="middle" fill="#777"'));
    out.push(text(bx + m / 2, by + 42, mode.replace('_PRED', '').replace('B_', ''), 'font-size="12" text-anchor="middle" font-weight="bold"'));
  });
  const end = note(out, mx, y0 + 4 * m + 20, `Orange: subblock ${fb.block} (block ${fb.name}), followed in the text. The modes are written without B_ and _PRED.`, 42);
  return svg(Math.max(mx + 4 * m, x0 + 20 * cell) + 14, Math.max(end, y0 + 16 * cell) + 12, out, MARKERS);
}

/** Grids of 16x16 samples, two to a row. */
function panelsFigure(title, caption, panels, { cell = 24 } = {}) {
  const out = [text(10, 20, title, TITLE)];
  const gapX = 30;
  const gapY = 44;
  const w = 16 * cell;
  const top = 50;
  panels.forEach((p, k) => {
    const x0 = 10 + (k % 2) * (w + gapX);
    const y0 = top + Math.floor(k / 2) * (w + gapY);
    out.push(text(x0, y0 - 10, p.title, 'font-size="12" font-weight="bold"'));
    grid(out, x0, y0, p.values, 16, { cell, kind: p.kind ?? 'gray', max: p.max ?? 0, major: 4, marked: p.marked ?? null });
  });
  const rows = Math.ceil(panels.length / 2);
  const width = 10 + 2 * w + gapX + 10;
  let end;
  if (panels.length % 2 === 1) {
    end = note(out, 10 + w + gapX, top + (rows - 1) * (w + gapY) + 14, caption, 58);
    end = top + rows * (w + gapY) - gapY + 10;
  } else {
    end = note(out, 10, top + rows * (w + gapY) - gapY + 20, caption, Math.floor((width - 20) / 6.2));
  }
  return svg(width, end, out, MARKERS);
}

/** Figure 6: prediction + residual → reconstruction, clamped. */
export function intraReconstructionFigure(f) {
  const i = f.intra;
  const max = Math.max(...i.residual.map(Math.abs));
  const k0 = i.bigSample.row * 16 + i.bigSample.col;
  return panelsFigure(`Macroblock ${i.row},${i.col}: prediction + residual, clamped to 0..255 (section 14.5)`,
    `The residual is shaded red where positive and blue where negative (|value| up to ${max}). Framed in orange: the sample with the largest residual, worked out in the text. The lines mark the 4×4 blocks: each block's residual comes from its own inverse DCT, and each subblock's prediction from its own mode.`,
    [
      { title: 'prediction', values: i.prediction, marked: (k) => k === k0 },
      { title: '+ residual (inverse DCT of each block)', values: i.residual, kind: 'signed', max, marked: (k) => k === k0 },
      { title: '= reconstruction, clamped (before the loop filter)', values: i.reconstruction, marked: (k) => k === k0 },
    ]);
}

/** Figure 10: inter prediction, residual and reconstruction. */
export function interReconstructionFigure(f) {
  const p = f.inter;
  const max = Math.max(1, ...p.residual.map(Math.abs));
  return panelsFigure(`Macroblock ${p.row},${p.col} of frame 1: predicted from LAST along ${vec(p.vector.mv)} quarter samples (section 18)`,
    `Top left: the samples of the reference picture at the vector's whole-sample part ${vec(p.whole)}. The prediction interpolates ${p.frac[0]}/4 of a sample further down and ${p.frac[1]}/4 further across. The residual is shaded red where positive and blue where negative; the lines mark the 4×4 blocks.`,
    [
      { title: `LAST, ${vec(p.whole)} whole samples away`, values: p.refBlock },
      { title: '→ prediction (six-tap interpolation)', values: p.prediction },
      { title: '+ residual', values: p.residual, kind: 'signed', max },
      { title: '= reconstruction, clamped (before the loop filter)', values: p.reconstruction },
    ]);
}

/** Figures 7 and 11: the loop filter around a macroblock. */
export function loopFilterFigure(mb, title) {
  const w = mb.loopFilter.window;
  const cell = 19;
  const out = [text(10, 20, title, TITLE)];
  const top = 50;
  const gap = 30;
  const size = 24 * cell;
  const frame = (x0) => out.push(rect(x0 + 4 * cell, top + 4 * cell, 16 * cell, 16 * cell, 'fill="none" stroke="#2a8a2a" stroke-width="2.4"'));
  out.push(text(10, top - 10, 'before the loop filter', 'font-size="12" font-weight="bold"'));
  grid(out, 10, top, w.before, 24, { cell, major: 4, font: 7 });
  frame(10);
  const x1 = 10 + size + gap;
  const max = Math.max(1, ...w.changes.map(Math.abs));
  out.push(text(x1, top - 10, 'after it: only the samples it changed', 'font-size="12" font-weight="bold"'));
  grid(out, x1, top, w.after, 24, { cell, major: 4, font: 7, blank: (k) => w.changes[k] === 0, blankFill: '#f4f4f4' });
  // Shade the changed samples by the sign of the change, under their values.
  const marks = [];
  w.changes.forEach((c, k) => {
    if (c !== 0) marks.push(rect(x1 + (k % 24) * cell + 1, top + Math.floor(k / 24) * cell + 1, cell - 2, cell - 2, `fill="none" stroke="${c > 0 ? '#d62728' : '#1f77b4'}" stroke-width="${Math.abs(c) === max ? 2.4 : 1.4}"`));
  });
  out.push(`<g>${marks.join('')}</g>`);
  frame(x1);
  const lf = mb.loopFilter;
  const end = note(out, 10, top + size + 22,
    `The macroblock (green square) and 4 luma samples around it: x ${w.x0}–${w.x0 + 23}, y ${w.y0}–${w.y0 + 23}; the lines every 4 samples are the edges the filter works on. Right: the samples the filter changed, with their new values, framed red where it raised them and blue where it lowered them (thicker: the largest change, ${w.maxChange}); grey: unchanged. Filter level ${lf.level}: interior limit ${lf.interior}, edge limits ${lf.mbEdge} (macroblock edges) and ${lf.subEdge} (subblock edges), high edge variance threshold ${lf.hevThreshold}. ${w.insideChanged} of the macroblock's 256 samples changed, ${w.windowChanged} of the window's.`,
    150);
  return svg(x1 + size + 10, end, out, MARKERS);
}

/** Figure 8: the vectors of the inter macroblock's neighbours and how its own is built. */
export function vectorsFigure(f) {
  const p = f.inter;
  const v = p.vector;
  const box = 170;
  const x0 = 14;
  const y0 = 58;
  const vectors = [...v.neighbours.filter((n) => n.inside && n.ref !== 0).map((n) => n.mv), v.best, v.mv];
  const maxC = Math.max(4, ...vectors.flat().map(Math.abs));
  const s = 70 / maxC;
  const out = [];
  out.push(text(10, 20, `Macroblock ${p.row},${p.col} of frame 1: its neighbours' vectors (section 16.3) and its own (section 17)`, TITLE));
  out.push(text(10, 38, `Vectors (row, column) in quarter samples, a positive row pointing down; arrows drawn ${r1(s)} pixels per quarter sample.`, NOTE));
  const cellAt = { 'above-left': [0, 0], above: [1, 0], left: [0, 1] };
  const arrow = (cx, cy, mv, color, marker, extra = '') => (mv[0] === 0 && mv[1] === 0
    ? `<circle cx="${r1(cx)}" cy="${r1(cy)}" r="3" fill="${color}"/>`
    : line(cx, cy, cx + mv[1] * s, cy + mv[0] * s, `stroke="${color}" stroke-width="2.2" marker-end="url(#${marker})"${extra}`));
  for (const n of v.neighbours) {
    const [c, r] = cellAt[n.which];
    const bx = x0 + c * box;
    const by = y0 + r * box;
    const inter = n.inside && n.ref !== 0;
    out.push(rect(bx, by, box, box, `fill="${inter ? '#eef5fb' : '#f3f3f3'}" stroke="#888"`));
    out.push(text(bx + 6, by + 16, n.which, 'font-size="12" font-weight="bold"'));
    out.push(text(bx + 6, by + 31, `weight ${n.weight}; ${n.inside ? n.mode : 'outside'}`, 'font-size="11" fill="#555"'));
    if (inter) {
      out.push(`<circle cx="${r1(bx + box / 2)}" cy="${r1(by + box / 2 + 8)}" r="2.5" fill="#1f77b4"/>`);
      out.push(arrow(bx + box / 2, by + box / 2 + 8, n.mv, '#1f77b4', 'arrow-blue'));
      out.push(text(bx + 6, by + box - 8, vec(n.mv), `font-size="12" font-family="${MONO}"`));
    } else {
      out.push(text(bx + 6, by + box - 8, n.inside ? 'intra: no vector' : 'no vector', 'font-size="11" fill="#777"'));
    }
  }
  const sx = x0 + box;
  const sy = y0 + box;
  out.push(rect(sx, sy, box, box, 'fill="#fff8ee" stroke="#ff7f0e" stroke-width="2.5"'));
  out.push(text(sx + 6, sy + 16, 'this macroblock', 'font-size="12" font-weight="bold"'));
  out.push(text(sx + 6, sy + 31, p.mode, 'font-size="11" fill="#555"'));
  const cx = sx + box / 2;
  const cy = sy + box / 2 + 4;
  out.push(`<circle cx="${r1(cx)}" cy="${r1(cy)}" r="2.5" fill="#2a8a2a"/>`);
  out.push(arrow(cx, cy, v.best, '#2a8a2a', 'arrow-green'));
  out.push(line(cx + v.best[1] * s, cy + v.best[0] * s, cx + v.mv[1] * s, cy + v.mv[0] * s, 'stroke="#d62728" stroke-width="2" stroke-dasharray="4 2" marker-end="url(#arrow-red)"'));
  out.push(text(sx + 6, sy + box - 24, `best ${vec(v.best)}`, `font-size="12" fill="#2a8a2a" font-family="${MONO}"`));
  out.push(text(sx + 6, sy + box - 8, `vector ${vec(v.mv)}`, `font-size="12" fill="#d62728" font-family="${MONO}"`));
  const tx = x0 + 2 * box + 30;
  const lines = [
    ['Candidates, weighted by the neighbours that have them:', 'bold'],
    [`zero vector: weight ${v.weights[0]}`, ''],
    [`nearest ${vec(v.nearest)}: weight ${v.weights[1]}`, ''],
    [`near ${vec(v.near)}: weight ${v.weights[2]}`, ''],
    [`neighbours coded SPLITMV: weight ${v.weights[3]}`, ''],
    ['', ''],
    ['The weights pick the mode tree\'s probabilities, P(0):', 'bold'],
    [`ZEROMV? ${v.modeProbs[0]}   NEARESTMV? ${v.modeProbs[1]}`, 'mono'],
    [`NEARMV? ${v.modeProbs[2]}   SPLITMV? ${v.modeProbs[3]}`, 'mono'],
    [`read ${p.header.find((e) => e.name === 'mv_mode').bools.map((b) => b.bit).join(' ')}: ${p.mode}`, 'mono'],
    ['', ''],
    ['NEWMV codes a difference from best:', 'bold'],
    [`best ${vec(v.best)} (green)`, 'mono'],
    [`+ coded ${vec(v.coded)} (red, dashed)`, 'mono'],
    [`= ${vec(v.mv)} quarter samples`, 'mono'],
    [`= (${samples(v.mv[0])}, ${samples(v.mv[1])}) samples`, 'mono'],
  ];
  lines.forEach(([l, style], k) => out.push(text(tx, y0 + 14 + k * 19, l, `font-size="12"${style === 'bold' ? ' font-weight="bold"' : ''}${style === 'mono' ? ` font-family="${MONO}"` : ''}`)));
  return svg(tx + 410, y0 + 2 * box + 14, out, MARKERS);
}

// ---- main -----------------------------------------------------------------------------------------

const json = (v) => `${JSON.stringify(v, null, 1)}\n`;

/** The facts file: what the lesson states, without the sample grids the figures draw. */
function factsFile(f) {
  const drop = ({ prediction, residual, reconstruction, after, refBlock, edges, ...rest }) => rest;
  const lf = (x) => ({ ...x, window: { x0: x.window.x0, y0: x.window.y0, insideChanged: x.window.insideChanged, windowChanged: x.window.windowChanged, maxChange: x.window.maxChange } });
  const intra = drop(f.intra);
  const inter = drop(f.inter);
  return json({ ...f, intra: { ...intra, loopFilter: lf(intra.loopFilter) }, inter: { ...inter, loopFilter: lf(inter.loopFilter) } });
}

/** Writes the lesson into `out`; returns the files written. */
export async function writeLesson(out, f, pictures) {
  const { ZIGZAG } = await dist('vp8/tables.js');
  const tokens = tokenTable(await dist('vp8/tables.js'));
  await mkdir(join(out, 'images'), { recursive: true });
  await mkdir(join(out, 'data'), { recursive: true });
  const files = {
    [`${NAME}.md`]: await renderMarkdown(f),
    [`data/${NAME}.json`]: factsFile(f),
    [IMAGES[0]]: whereFigure(f, pictures),
    [IMAGES[1]]: boolsFigure(f),
    [IMAGES[2]]: tokenTreeFigure(f, tokens),
    [IMAGES[3]]: blockFigure(f, ZIGZAG),
    [IMAGES[4]]: intraPredictionFigure(f),
    [IMAGES[5]]: intraReconstructionFigure(f),
    [IMAGES[6]]: loopFilterFigure(f.intra, `Macroblock ${f.intra.row},${f.intra.col} of frame 0: the loop filter (section 15)`),
    [IMAGES[7]]: vectorsFigure(f),
    [IMAGES[8]]: y2Figure(f, ZIGZAG),
    [IMAGES[9]]: interReconstructionFigure(f),
    [IMAGES[10]]: loopFilterFigure(f.inter, `Macroblock ${f.inter.row},${f.inter.col} of frame 1: the loop filter (section 15)`),
  };
  if (Object.keys(files).join() !== FILES.join()) throw new Error('internal: the files written are not FILES');
  for (const [name, content] of Object.entries(files)) await writeFile(join(out, name), content);
  return Object.keys(files);
}

// The options for measured lessons (--fixed-only, --measured) are taken and ignored: this one measures nothing.
generatorMain(import.meta.url, NAME, async ({ out, dir, log }) => {
  const { facts, pictures } = await collect(dir, log);
  const written = await writeLesson(out, facts, pictures);
  for (const f of written) log(`wrote ${join(out, f)}`);
});
