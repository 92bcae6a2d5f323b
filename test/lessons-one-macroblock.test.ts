// The lesson "One macroblock from bits to pixels" (docs/lessons/one-macroblock.md)
// cannot drift from the decoder. Its generator (scripts/lessons/one-macroblock.mjs)
// runs again here into a temporary directory, and:
//   - the markdown, the facts and every figure must equal the committed files
//     byte for byte (nothing in this lesson is measured in seconds), so that a
//     change to the encoder or the decoder that moves one of its numbers fails
//     until `npm run lessons` is run again;
//   - the lesson's key numbers are worked out again here, without the
//     inspector modules the generator uses, straight from the decoder: the two
//     macroblocks its rules pick (with the parser's modes and block ends, and
//     the decoder's findNearMvs), their modes and vectors, the bits their
//     header and tokens took (parseFrame's count), a sample's residual (the
//     decoder's inverse DCT of the parsed levels), its value before the loop
//     filter (the frame decoded again with the filter level set to 0) and
//     after it (decodeFrame), and the loop filter levels from the headers;
//     each must be what the text states;
//   - the template states no number of its own;
//   - the commands it shows do what it says: the encode makes the stream it
//     decodes, and `excamera inspect` makes a page that (in Chromium, when it
//     is installed) shows the two macroblocks as the lesson does.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIvf } from '../src/container/index.js';
import { decodeFrame, frameInfo, imageToI420, parseFrame, serializeFrame } from '../src/vp8/index.js';
import type { MacroblockBits } from '../src/vp8/frame.js';
import { frameSetup } from '../src/vp8/frame-setup.js';
import { findNearMvs, NearMvs } from '../src/vp8/modes.js';
import { readFrameHeader } from '../src/vp8/header.js';
import { createDecoderState, type DecoderState } from '../src/vp8/state.js';
import { COEFF_UPDATE_PROBS } from '../src/vp8/tables.js';
import { B_PRED, MB_MODE_NAMES, NEWMV, ZEROMV, SPLITMV } from '../src/vp8/tables.js';
import { inverseDctResidual } from '../src/vp8/transform.js';
import { openInspector } from './helpers/browser.js';
import { BIN } from './helpers/cli.js';
import { ROOT } from './helpers/fixtures.js';
import { findChromium, TOOLS_REQUIRED } from './helpers/tools.js';

const NAME = 'one-macroblock';
const SCRIPT = join(ROOT, 'scripts', 'lessons', `${NAME}.mjs`);
const TEMPLATE = join(ROOT, 'scripts', 'lessons', `${NAME}.template.md`);
const COMMITTED = join(ROOT, 'docs', 'lessons');
const IMAGES = ['where', 'bools', 'token-tree', 'block', 'intra-prediction', 'intra-reconstruction', 'intra-loop-filter', 'vectors', 'y2', 'inter-reconstruction', 'inter-loop-filter'];
const FILES = [`${NAME}.md`, `data/${NAME}.json`, ...IMAGES.map((n) => `images/${NAME}-${n}.svg`)];

interface Facts {
  stream: { clip: string; file: string; page: string; frames: number; width: number; height: number; mbCols: number; mbRows: number };
  commands: { encode: string; inspect: string };
  intra: { mb: number; row: number; col: number; mode: string; headerBits: number; tokenBits: number; bigSample: Sample; header: { name: string; bools: unknown[] }[] };
  inter: { mb: number; row: number; col: number; mode: string; headerBits: number; tokenBits: number; bigSample: Sample; header: { name: string }[]; vector: { mv: number[] } };
}
interface Sample { row: number; col: number; x: number; y: number; prediction: number; residual: number; sum: number; clamped: number; after: number }

let dir = '';
let out = '';
let run = '';
let markdown = '';
/** The markdown with every run of white space made one space: what a reader reads, whatever the line breaks. */
let prose = '';
let facts: Facts;
let frames: Uint8Array[] = [];
/** The decoder state before each frame, and each frame's picture (I420) after and before the loop filter. */
const states: DecoderState[] = [];
const after: Uint8Array[] = [];
const before: Uint8Array[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-lesson-mb-'));
  out = join(dir, 'lesson');
  run = join(dir, 'run');
  const r = spawnSync(process.execPath, [SCRIPT, '--quiet', '--out', out, '--run-dir', run], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed:\n${r.stderr}`);
  markdown = readFileSync(join(out, `${NAME}.md`), 'utf8');
  prose = markdown.replace(/\s+/g, ' ');
  facts = JSON.parse(readFileSync(join(out, 'data', `${NAME}.json`), 'utf8')) as Facts;
  frames = parseIvf(new Uint8Array(readFileSync(join(run, facts.stream.file)))).frames.map((f) => f.data);
  let state = createDecoderState();
  for (const bytes of frames) {
    states.push(state);
    const decoded = decodeFrame(state, bytes);
    after.push(imageToI420(decoded.image!));
    // The same frame with its loop filter level set to 0: the picture before the filter.
    const parsed = parseFrame(state, bytes);
    const unfiltered = serializeFrame(state, { ...parsed, header: { ...parsed.header, loopFilterLevel: 0 } });
    before.push(imageToI420(decodeFrame(state, unfiltered).image!));
    state = decoded.state;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function files(root: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort();
}

const minus = (v: number): string => (v < 0 ? `−${-v}` : `${v}`);
const onBorder = (row: number, col: number, rows: number, cols: number): boolean => row === 0 || col === 0 || row === rows - 1 || col === cols - 1;

/** A frame parsed with the bits of each macroblock counted, and its setup. */
function parsed(k: number): { frame: ReturnType<typeof parseFrame>; bits: MacroblockBits; setup: ReturnType<typeof frameSetup> } {
  const { mbCols, mbRows } = facts.stream;
  const bits: MacroblockBits = { header: new Float64Array(mbCols * mbRows), tokens: new Float64Array(mbCols * mbRows) };
  const frame = parseFrame(states[k]!, frames[k]!, undefined, bits);
  return { frame, bits, setup: frameSetup(states[k]!, frame.header) };
}

describe('the lesson "One macroblock from bits to pixels"', () => {
  it('is generated again exactly as committed (else: npm run lessons)', () => {
    expect(files(out)).toEqual([...FILES].sort());
    for (const f of FILES) {
      expect(readFileSync(join(out, f)).equals(readFileSync(join(COMMITTED, f))), `${f} is not what the code gives now: run npm run lessons`).toBe(true);
    }
    // Every figure the markdown shows is one of its files, and each is shown.
    const shown = [...markdown.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(shown).toEqual(FILES.filter((f) => f.startsWith('images/')));
    // The index lists it, and `npm run lessons` runs it.
    expect(readFileSync(join(COMMITTED, 'README.md'), 'utf8')).toContain(`(${NAME}.md)`);
    expect(readFileSync(join(ROOT, 'scripts', 'lessons', 'index.mjs'), 'utf8')).toContain(`'${NAME}.mjs'`);
  });

  it('follows the intra macroblock its rule picks, and states what the decoder decodes', () => {
    const { mbCols, mbRows } = facts.stream;
    const { frame, bits, setup } = parsed(0);
    expect(frame.header.keyFrame).toBe(true);
    const m = frame.modes;
    // The rule: the first B_PRED macroblock off the border with tokens in all 16 luma blocks and some chroma block.
    const eob = (mb: number, b: number): number => frame.eobs[25 * mb + b]!;
    const mb = Array.from({ length: mbCols * mbRows }, (_, k) => k).find((k) => !onBorder(Math.floor(k / mbCols), k % mbCols, mbRows, mbCols) && m.yMode[k] === B_PRED
      && [...Array(16).keys()].every((b) => eob(k, b) > 0) && [16, 17, 18, 19, 20, 21, 22, 23].some((b) => eob(k, b) > 0))!;
    const row = Math.floor(mb / mbCols);
    const col = mb % mbCols;
    expect([facts.intra.mb, facts.intra.row, facts.intra.col, facts.intra.mode]).toEqual([mb, row, col, MB_MODE_NAMES[m.yMode[mb]!]]);
    expect(prose).toContain(`macroblock **${mb}, at row ${row}, column ${col}**`);
    expect(markdown).toContain(`| \`intra_y_mode\` | [11.2](`);
    expect(markdown).toMatch(/\| `intra_y_mode` \|[^\n]*\| B_PRED \|/);
    // Its header and token bits, as the parser counts them.
    const h = bits.header[mb]!;
    const t = bits.tokens[mb]!;
    expect([facts.intra.headerBits, facts.intra.tokenBits]).toEqual([h, t]);
    expect(prose).toContain(`reads **${facts.intra.header.reduce((a, e) => a + e.bools.length, 0)} bools** for its header (${h} bits shifted,`);
    expect(prose).toContain(`for its tokens (${t} bits shifted,`);
    expect(prose).toContain(`**${h + t} bits** in all`);
    // The framed sample: its residual from the decoder's inverse DCT of its block's parsed levels, and its values before and after the loop filter.
    const s = facts.intra.bigSample;
    const b = 4 * (s.row >> 2) + (s.col >> 2);
    const q = setup.segmentQuant[m.segmentId[mb]!]!;
    const coeffs = Int16Array.from(frame.levels.subarray(400 * mb + 16 * b, 400 * mb + 16 * b + 16), (v, k) => v * (k === 0 ? q.y1Dc : q.y1Ac));
    const residual = new Int16Array(16);
    inverseDctResidual(coeffs, 0, residual, 0);
    const { width } = facts.stream;
    expect(residual[4 * (s.row & 3) + (s.col & 3)]).toBe(s.residual);
    expect(before[0]![s.y * width + s.x]).toBe(Math.min(255, Math.max(0, s.prediction + s.residual)));
    expect(before[0]![s.y * width + s.x]).toBe(s.clamped);
    expect(after[0]![s.y * width + s.x]).toBe(s.after);
    expect(prose).toContain(`predicted ${s.prediction}, residual ${minus(s.residual)}, sum ${s.sum}`);
    expect(prose).toContain(`(x ${s.x}, y ${s.y}) ends as **${s.after}** after the filter`);
    // The loop filter level: the frame's, with the deltas for intra and B_PRED (a key frame starts from no deltas).
    const lf = frameInfo(frames[0]!).loopFilter;
    const level = lf.level + (lf.refDeltas[0] ?? 0) + (lf.modeDeltas[0] ?? 0);
    expect(markdown).toContain(`| **macroblock level** | **${level}** |`);
  });

  it('follows the inter macroblock its rule picks, and states what the decoder decodes', () => {
    const { mbCols, mbRows, width } = facts.stream;
    const { frame, bits, setup } = parsed(1);
    expect(frame.header.keyFrame).toBe(false);
    const m = frame.modes;
    const near = new NearMvs();
    // The rule: the first NEWMV macroblock off the border, with coefficients, two nonzero candidates, and a Y2 block past its first coefficient.
    const mb = Array.from({ length: mbCols * mbRows }, (_, k) => k).find((k) => {
      const row = Math.floor(k / mbCols);
      const col = k % mbCols;
      if (onBorder(row, col, mbRows, mbCols) || m.yMode[k] !== NEWMV || m.skipCoeff[k] || frame.eobs[25 * k + 24]! <= 1) return false;
      findNearMvs(m, k, col, row, m.refFrame[k]!, setup.modeContext.signBias, near);
      return near.count[1]! > 0 && near.count[2]! > 0;
    })!;
    const row = Math.floor(mb / mbCols);
    const col = mb % mbCols;
    expect([facts.inter.mb, facts.inter.row, facts.inter.col, facts.inter.mode]).toEqual([mb, row, col, 'NEWMV']);
    expect(prose).toContain(`macroblock **${mb}, at row ${row}, column ${col}**`);
    // Its vector, and its bits.
    const mv = [m.mv[2 * mb]!, m.mv[2 * mb + 1]!];
    expect(facts.inter.vector.mv).toEqual(mv);
    expect(prose).toContain(`= **(${minus(mv[0]!)}, ${minus(mv[1]!)}) quarter samples**`);
    const h = bits.header[mb]!;
    const t = bits.tokens[mb]!;
    expect([facts.inter.headerBits, facts.inter.tokenBits]).toEqual([h, t]);
    expect(prose).toContain(`The macroblock's header took ${h} bits and its tokens ${t};`);
    // The sample of step 15 before and after the loop filter.
    const s = facts.inter.bigSample;
    expect(before[1]![s.y * width + s.x]).toBe(s.clamped);
    expect(after[1]![s.y * width + s.x]).toBe(s.after);
    expect(prose).toContain(`corrected by ${minus(s.residual)} to ${s.clamped} (picture sample x ${s.x}, y ${s.y})`);
    expect(prose).toContain(`the sample of step 15 ends as **${s.after}**`);
    // The loop filter level: frame 1 updates no delta, so frame 0's hold; NEWMV takes the delta of NEARESTMV, NEARMV and NEWMV.
    expect(frameInfo(frames[1]!).loopFilter.deltasUpdated).toBe(false);
    const lf0 = frameInfo(frames[0]!).loopFilter;
    const level = frameInfo(frames[1]!).loopFilter.level + (lf0.refDeltas[1] ?? 0) + (lf0.modeDeltas[2] ?? 0);
    expect(markdown).toContain(`| **macroblock level** | **${level}** |`);
    expect([ZEROMV, SPLITMV]).not.toContain(m.yMode[mb]);
  });

  it('states the frame headers\' sizes as the decoder reads them', () => {
    // Bits the decoder's header read consumed, and the coefficient update flags it read as 0 and what they cost, computed here.
    const words = frames.map((bytes) => {
      const { header, decoder } = readFrameHeader(bytes);
      const unset = Array.from(header.coeffProbUpdates).map((v, i) => (v < 0 ? COEFF_UPDATE_PROBS[i]! : 0)).filter((p) => p > 0);
      return { bits: decoder.bitsConsumed(), unset: unset.length, unsetBits: Math.round(10 * unset.reduce((n, p) => n - Math.log2(p / 256), 0)) / 10, key: header.keyFrame };
    });
    expect(words[0]!.key && !words[1]!.key).toBe(true);
    expect(prose).toMatch(new RegExp(`\\d+ bools taking ${words[0]!.bits} bits in the key frame, \\d+ taking ${words[1]!.bits} bits in the inter frame`));
    expect(prose).toContain(`in the key frame ${words[0]!.unset} flags read 0 and cost ${words[0]!.unsetBits} bits together`);
    expect(prose).toContain(`between ${Math.min(...COEFF_UPDATE_PROBS)}/256 and ${Math.max(...COEFF_UPDATE_PROBS)}/256`);
  });

  it('states no number of its own: every number in the template is a placeholder or a constant of the format', () => {
    const template = readFileSync(TEMPLATE, 'utf8');
    // Names and references that hold digits: RFC sections (in text and links), figure, step and part numbers, sizes such as 16×16,
    // the sample range, block names, list numbers, log2, VP8, Y2, DCT_CAT1..6 and the decoder's source path.
    const allowed = /RFC 6386|\]\(\{\{rfc\}\}[\d.]+\)|[Ss]ections? \d+(\.\d+)?|[Ff]igure \d+|[Ss]teps? \d+|Part \d|\d+×\d+|0\.\.255|Y\[\d+\]|^\d+\. |log2|VP8|vp8|Y2|DCT_CAT\d/gm;
    const bare = template.replace(allowed, '').replace(/\{\{[\w.]+\}\}/g, '');
    // What is left may only be the constants the format fixes: bool values and contexts (0, 1, 2), neighbour weights,
    // the bool coder's 128, 255, 256 and shift of 8, and counts of blocks (16, 24, 25) and the quarter-sample denominator.
    const constants = new Set(['0', '1', '2', '4', '8', '16', '24', '25', '128', '255', '256']);
    const numbers = [...bare.matchAll(/\d+/g)].map((x) => x[0]);
    expect(numbers.filter((n) => !constants.has(n))).toEqual([]);
  });

  it('shows commands that do what it says', async () => {
    // The encode, as shown, made the stream the lesson decodes (the generator ran it in the run directory, where the clip is linked).
    expect(markdown).toContain(`\`\`\`sh\n${facts.commands.encode}\n\`\`\``);
    expect(markdown).toContain(`\`\`\`sh\n${facts.commands.inspect}\n\`\`\``);
    const words = facts.commands.inspect.split(' ');
    expect(words.slice(0, 2)).toEqual(['npx', 'excamera']);
    rmSync(join(run, facts.stream.page), { force: true });
    const r = spawnSync(process.execPath, [BIN, ...words.slice(2)], { cwd: run, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const page = join(run, facts.stream.page);
    expect(readFileSync(page, 'utf8')).toContain(Buffer.from(readFileSync(join(run, facts.stream.file))).toString('base64'));
    expect(existsSync(page)).toBe(true);
  });

  const CHROMIUM = findChromium('the lesson\'s check of the inspector page it describes');
  it.skipIf(CHROMIUM === null && !TOOLS_REQUIRED)('makes an inspector page that shows the two macroblocks as the lesson does (needs chromium)', async () => {
    if (CHROMIUM === null) throw new Error('chromium is not installed, and this run requires it (EXCAMERA_REQUIRE_TOOLS=1); apt-get install -y chromium');
    const page = join(run, facts.stream.page);
    if (!existsSync(page)) expect(spawnSync(process.execPath, [BIN, ...facts.commands.inspect.split(' ').slice(2)], { cwd: run }).status).toBe(0);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const { page: p, problems } = await openInspector(browser, page);
      const { width, mbCols } = facts.stream;
      for (const [k, mb] of [[0, facts.intra], [1, facts.inter]] as const) {
        // "Click frame F in the frame table, then macroblock R,C in the picture."
        await p.locator(`#frames-body tr[data-frame="${k}"]`).click();
        await p.waitForFunction(`document.getElementById('frame-detail')?.dataset.frame === '${k}'`);
        const box = (await p.locator('#overlay').boundingBox())!;
        const scale = box.width / width;
        await p.mouse.click(box.x + (mb.col * 16 + 8) * scale, box.y + (mb.row * 16 + 8) * scale);
        await p.waitForFunction(`document.getElementById('mb-detail').dataset.mb === '${mb.row},${mb.col}' && document.getElementById('mb-trace')?.dataset.ready === 'true' && document.getElementById('mb-steps')?.dataset.ready === 'true'`);
        expect(mb.mb).toBe(mb.row * mbCols + mb.col);
        const fields = Object.fromEntries(await p.$$eval('#mb-detail > table.fields tr', (trs) => trs.map((tr) => [tr.children[0]!.textContent, tr.children[1]!.textContent])));
        expect(fields['luma mode']).toBe(mb.mode);
        expect(fields.bits).toBe(`${mb.headerBits} in its header (first partition), ${mb.tokenBits} in its tokens`);
        // Its decode trace: the header elements of the lesson's table, then the tokens.
        const elements = await p.$$eval('#mb-trace tr[data-element]', (trs) => trs.map((tr) => tr.getAttribute('data-element')));
        expect(elements.filter((e) => e !== 'token')).toEqual(mb.header.map((e) => e.name));
        // Its reconstruction: the lesson's sample before and after the loop filter.
        const luma = (step: string): Promise<number[]> => p.$$eval(`#mb-steps [data-step="${step}"] [data-plane="Y"] td`, (tds) => tds.map((td) => Number(td.textContent)));
        const s = mb.bigSample;
        expect((await luma('before-loop-filter'))[16 * s.row + s.col]).toBe(s.clamped);
        expect((await luma('after-loop-filter'))[16 * s.row + s.col]).toBe(after[k]![s.y * width + s.x]);
      }
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
