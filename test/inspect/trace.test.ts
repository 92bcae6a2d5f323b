// The inspector's decode trace (src/inspect/trace.ts), state hash and what
// changed (state-view.ts, sha256.ts), and ExCamera chunks (`excamera inspect
// --chunks`): the trace is every bool the decoder read, adding up to the
// parser's bit counts and giving back the parsed levels and vectors; the
// page's SHA-256 is node's and the state hash is stateHash; the chunks of an
// `excamera xc --keep` run are found, checked against the stream, and each
// chunk's expected state is the state the decoder reaches — in a browser too.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sha256 } from '../../src/inspect/sha256.js';
import { describeStateAfter, portableStateHash } from '../../src/inspect/state-view.js';
import { replayFrame } from '../../src/inspect/reconstruct.js';
import { traceMacroblock } from '../../src/inspect/trace.js';
import { parseFrame } from '../../src/vp8/frame.js';
import { createDecoderState, decodeFrame, type DecoderState, imageToI420, stateHash } from '../../src/vp8/index.js';
import { NEARESTMV, NEARMV, NEWMV, SPLITMV, ZEROMV, B_PRED, INTRA_FRAME, ZIGZAG } from '../../src/vp8/tables.js';
import { excamera } from '../helpers/cli.js';
import { CLIPS, ivfFrames, VECTOR_NAMES, VECTORS, writeClipPrefix } from '../helpers/fixtures.js';
import { launchChromium, openInspector } from '../helpers/browser.js';
import { findChromium, TOOLS_REQUIRED } from '../helpers/tools.js';

const vector = (name: string): string => join(VECTORS, `${name}.ivf`);

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-trace-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The state before each frame, and after the last. */
function statesOf(frames: readonly Uint8Array[]): DecoderState[] {
  const states = [createDecoderState()];
  for (const f of frames) states.push(decodeFrame(states[states.length - 1]!, f).state);
  return states;
}

describe('the decode trace of a macroblock', () => {
  it('is every bool the decoder read: the parser\'s bit counts, levels, eobs, modes and vectors, on every test vector', () => {
    let traced = 0;
    for (const name of VECTOR_NAMES) {
      const frames = ivfFrames(vector(name));
      const states = statesOf(frames);
      for (const index of [0, 1, Math.floor(frames.length / 2), frames.length - 1]) {
        const bytes = frames[index]!;
        const bits = { header: new Float64Array(1 << 14), tokens: new Float64Array(1 << 14) };
        const parsed = parseFrame(states[index]!, bytes, undefined, bits);
        const m = parsed.modes;
        // A spread of macroblocks, and the first of each mode.
        const chosen = new Set<number>();
        for (let k = 0; k < 8; k++) chosen.add(Math.floor((k * (m.count - 1)) / 7));
        for (let mode = 0; mode < 10; mode++) {
          const first = m.yMode.indexOf(mode);
          if (first >= 0) chosen.add(first);
        }
        for (const mb of chosen) {
          const t = traceMacroblock(states[index]!, bytes, mb);
          traced++;
          const shifted = (p: (partition: number) => boolean): number => t.elements.filter((e) => p(e.partition)).flatMap((e) => e.bools).reduce((n, b) => n + b.shifted, 0);
          expect(shifted((p) => p === 0)).toBe(bits.header[mb]);
          expect(shifted((p) => p > 0)).toBe(bits.tokens[mb]);
          expect([t.headerBits, t.tokenBits]).toEqual([bits.header[mb], bits.tokens[mb]]);
          for (const e of t.elements) for (const b of e.bools) expect(b.cost).toBeCloseTo(-Math.log2((b.bit ? 256 - b.prob : b.prob) / 256), 9);

          // The header's elements follow the macroblock's modes.
          const names = t.elements.filter((e) => e.partition === 0).map((e) => e.name);
          const inter = m.refFrame[mb] !== INTRA_FRAME;
          expect(names.includes('mv_mode')).toBe(inter);
          expect(names.filter((n) => n === 'intra_b_mode')).toHaveLength(m.yMode[mb] === B_PRED ? 16 : 0);
          const newSplits = t.elements.filter((e) => e.name === 'sub_mv_mode' && e.value.endsWith('NEW4X4')).length;
          expect(names.filter((n) => n === 'mv_row')).toHaveLength(m.yMode[mb] === NEWMV ? 1 : newSplits);
          expect(names.includes('mv_split_mode')).toBe(m.yMode[mb] === SPLITMV);

          // The tokens give back each block's levels and end.
          const levels = new Int16Array(400);
          const ends = new Map<number, number>();
          for (const e of t.elements) {
            if (e.token === undefined) continue;
            if (e.token.level === null) ends.set(e.token.block, e.token.position);
            else levels[16 * e.token.block + ZIGZAG[e.token.position]!] = e.token.level;
          }
          expect(levels).toEqual(parsed.levels.subarray(400 * mb, 400 * mb + 400));
          // A block that ends at once has eob 0, whatever position it starts at.
          for (const [block, end] of ends) {
            const eob = parsed.eobs[25 * mb + block]!;
            if (eob === 0) expect(t.elements.filter((e) => e.token?.block === block)).toHaveLength(1);
            else expect(end).toBe(eob);
          }

          // The vector: the mode picks nearest, near, zero, or best plus the coded difference.
          const v = t.vector;
          expect(v === null).toBe(!inter);
          if (v !== null) {
            const mv = [m.mv[2 * mb], m.mv[2 * mb + 1]];
            expect(v.mv).toEqual(mv);
            if (m.yMode[mb] === NEARESTMV) expect(v.nearest).toEqual(mv);
            if (m.yMode[mb] === NEARMV) expect(v.near).toEqual(mv);
            if (m.yMode[mb] === ZEROMV) expect(mv).toEqual([0, 0]);
            if (m.yMode[mb] === NEWMV) expect([v.coded![0] + v.best[0], v.coded![1] + v.best[1]]).toEqual(mv);
            expect(v.candidates.reduce((n, c) => n + c.weight, 0)).toBeLessThanOrEqual(6);
          }
        }
      }
    }
    expect(traced).toBeGreaterThan(500);
  });

  it('refuses a macroblock outside the frame, and a frame the decoder refuses', () => {
    const frames = ivfFrames(vector('vp80-00-comprehensive-001'));
    const state = createDecoderState();
    expect(() => traceMacroblock(state, frames[0]!, 99 * 99)).toThrow(/no macroblock 9801 in a frame of 11x9 macroblocks/);
    expect(() => traceMacroblock(state, frames[0]!.subarray(0, 20), 0)).toThrow(/partition|truncated|ends/);
  });
});

describe('the state hash and what a frame changed', () => {
  it('hashes with SHA-256 as node:crypto does, split anywhere', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_001]) {
      const bytes = randomBytes(n);
      const h = new Sha256().update(bytes.subarray(0, n >> 1)).update(bytes.subarray(n >> 1)).update('état;');
      expect(h.hex()).toBe(createHash('sha256').update(bytes).update('état;').digest('hex'));
    }
  });

  it('names every state as stateHash does, and lists what changed', () => {
    for (const name of ['vp80-00-comprehensive-004', 'vp80-00-comprehensive-011', 'vp80-00-comprehensive-017']) {
      const frames = ivfFrames(vector(name));
      const states = statesOf(frames);
      for (let i = 0; i < Math.min(frames.length, 12); i++) {
        const after = describeStateAfter(states[i]!, states[i + 1]!, () => -1);
        expect(after.hash).toBe(stateHash(states[i + 1]!));
        // Nothing listed: the same state, so the same hash.
        if (after.changes.length === 0) expect(portableStateHash(states[i]!)).toBe(after.hash);
        if (i === 0) expect(after.changes.map((c) => c.part)).toEqual(expect.arrayContaining(['size', 'LAST', 'GOLDEN', 'ALTREF']));
        const coefficients = after.changes.find((c) => c.part === 'coefficient probabilities');
        const changed = states[i]!.probs.coeff.reduce((n, p, k) => n + (p !== states[i + 1]!.probs.coeff[k] ? 1 : 0), 0);
        expect(coefficients?.detail ?? '0 of').toMatch(new RegExp(`^${changed} of`));
      }
    }
  });
});

describe('excamera inspect --chunks', () => {
  let kept = '';
  let stream = '';
  beforeAll(() => {
    writeClipPrefix(join(dir, 'c.y4m'), 'carphone_qcif_176x144_120f.y4m', 18);
    kept = join(dir, 'kept');
    stream = join(dir, 'xc.ivf');
    const r = excamera('xc', join(dir, 'c.y4m'), '-o', stream, '-n', '6', '-x', '2', '--backend', 'inprocess', '--keep', kept, '--speed', '5', '--quiet');
    expect(r.status, r.stderr).toBe(0);
  });

  it('embeds each chunk: its frames, the state it expects, its first frame through the phases', () => {
    const out = join(dir, 'chunks.html');
    const r = excamera('inspect', stream, '--chunks', kept, '-o', out);
    expect(r.status, r.stderr).toBe(0);
    const json = /<script type="application\/json" id="chunks">(.*?)<\/script>/s.exec(readFileSync(out, 'utf8'))![1]!;
    const chunks = JSON.parse(json) as { index: number; first: number; frames: number; expects: string | null; endHash: string | null; firstFrameBytes: { independent: number | null; givenState: number | null; output: number } }[];
    expect(chunks.map((c) => [c.first, c.frames])).toEqual([[0, 6], [6, 6], [12, 6]]);
    const frames = ivfFrames(stream);
    const states = statesOf(frames);
    for (const c of chunks) {
      // A chunk after a key frame expects the state the decoder is in when it starts, and ends where its state file says.
      if (c.expects !== null) expect(c.expects).toBe(stateHash(states[c.first]!).slice(0, 8));
      expect(c.endHash).toBe(stateHash(states[c.first + c.frames]!));
      expect(c.firstFrameBytes.output).toBe(frames[c.first]!.length);
      expect(c.firstFrameBytes.independent).toBeGreaterThan(0);
    }
    expect(chunks[0]!.expects).toBeNull();
    // Chunk 1 of [6,2] starts with a frame made an inter frame (it expects a state); chunk 2 starts a new batch with a key frame.
    expect(chunks[1]!.expects).not.toBeNull();
    expect(chunks[1]!.firstFrameBytes.givenState).toBeGreaterThan(0);
    expect(chunks[2]!.expects).toBeNull();
  });

  it('refuses chunks that are not the stream\'s, and a directory without chunks, writing nothing', () => {
    const other = join(dir, 'other');
    cpSync(kept, other, { recursive: true });
    const bytes = readFileSync(join(other, '0001.output.ivf'));
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(join(other, '0001.output.ivf'), bytes);
    const out = join(dir, 'refused.html');
    const r = excamera('inspect', stream, '--chunks', other, '-o', out);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/0001\.output\.ivf: its frame \d+ is not frame \d+ of the stream/);
    const empty = join(dir, 'empty');
    cpSync(CLIPS, empty, { recursive: true });
    expect(excamera('inspect', stream, '--chunks', empty, '-o', out).stderr).toMatch(/holds no NNNN\.output\.ivf chunk/);
    expect(excamera('inspect', stream, '--chunks', join(dir, 'missing'), '-o', out).stderr).toMatch(/no such directory/);
    expect(() => readFileSync(out)).toThrow();
  });

  const CHROMIUM = findChromium('the inspector\'s browser test of chunks and traces');
  it.skipIf(CHROMIUM === null && !TOOLS_REQUIRED)('shows the chunks with the decoder\'s state checked, and a clicked macroblock\'s trace (needs chromium)', async () => {
    const out = join(dir, 'chunks.html');
    expect(excamera('inspect', stream, '--chunks', kept, '-o', out).status).toBe(0);
    const browser = await launchChromium(CHROMIUM);
    try {
      const { page, problems } = await openInspector(browser, out);
      expect(await page.$$eval('#frames-body tr.chunk-start', (trs) => trs.map((tr) => tr.getAttribute('data-frame')))).toEqual(['0', '6', '12']);
      const frames = ivfFrames(stream);
      const states = statesOf(frames);
      await page.locator('#frames-body tr[data-frame="7"]').click();
      await page.waitForFunction(`document.querySelector('#frame-detail table[data-view="chunk"]')?.dataset.chunk === '1' && document.querySelector('#frame-detail table[data-view="state"]') !== null`);
      expect(await page.locator('#frame-detail table[data-view="chunk"]').getAttribute('data-state-check')).toBe('same');
      expect(await page.locator('#frame-detail table[data-view="state"]').textContent()).toContain(stateHash(states[8]!));
      // The chunk's last frame: the decoder ends in the state its .output.state holds.
      await page.locator('#frames-body tr[data-frame="11"]').click();
      await page.waitForFunction(`document.getElementById('frame-detail').dataset.frame === '11' && document.querySelector('#frame-detail table[data-view="state"]') !== null`);
      expect(await page.locator('#frame-detail table[data-view="chunk"]').textContent()).toContain('the decoder\'s state after this frame is that state');
      await page.locator('#frames-body tr[data-frame="7"]').click();
      await page.waitForFunction(`document.getElementById('frame-detail').dataset.frame === '7' && document.querySelector('#frame-detail table[data-view="state"]') !== null`);

      // A macroblock: its trace's elements are the ones computed here.
      const box = (await page.locator('#overlay').boundingBox())!;
      const scale = box.width / 176;
      for (const [row, col] of [[2, 3], [5, 7]] as const) {
        await page.mouse.click(box.x + (col * 16 + 8) * scale, box.y + (row * 16 + 8) * scale);
        await page.waitForFunction(`document.getElementById('mb-detail').dataset.mb === '${row},${col}' && document.getElementById('mb-trace')?.dataset.ready === 'true'`);
        const t = traceMacroblock(states[7]!, frames[7]!, row * 11 + col);
        const shown = await page.$$eval('#mb-trace tr[data-element]', (trs) => trs.map((tr) => tr.getAttribute('data-element')));
        expect(shown).toEqual(t.elements.map((e) => e.name));
        expect(await page.locator('#mb-trace table[data-view="vector"]').count()).toBe(t.vector === null ? 0 : 1);
      }

      // Hovering names the macroblock under the pointer.
      await page.mouse.move(box.x + (3 * 16 + 8) * scale, box.y + (1 * 16 + 8) * scale);
      const parsed7 = parseFrame(states[7]!, frames[7]!);
      expect(await page.locator('#overlay').getAttribute('title')).toMatch(new RegExp(`^macroblock 1,3: \\S+ ${['DC_PRED', 'V_PRED', 'H_PRED', 'TM_PRED', 'B_PRED', 'NEARESTMV', 'NEARMV', 'ZEROMV', 'NEWMV', 'SPLITMV'][parsed7.modes.yMode[14]!]}`));

      // The last macroblock clicked (5,7), step by step: its final luma samples are the decoded picture's.
      const luma = (step: string): Promise<number[]> => page.$$eval(`#mb-steps [data-step="${step}"] [data-plane="Y"] td`, (tds) => tds.map((td) => Number(td.textContent)));
      await page.waitForFunction("document.getElementById('mb-steps')?.dataset.ready === 'true'");
      const decoded = imageToI420(decodeFrame(states[7]!, frames[7]!).reconstruction!);
      const at = (pic: Uint8Array, x0: number, y0: number): number[] => Array.from({ length: 256 }, (_, k) => pic[(y0 + (k >> 4)) * 176 + x0 + (k & 15)]!);
      expect(await luma('after-loop-filter')).toEqual(at(decoded, 7 * 16, 5 * 16));
      const replayed = replayFrame(states[7]!, frames[7]!, {}, [5 * 11 + 7]);
      expect(await luma('prediction')).toEqual(Array.from(replayed.steps[0]!.prediction.y.values));

      // What if the loop filter were off: the banner says so, and the macroblock ends as it was before the filter.
      await page.locator('#wi-loop-filter').check();
      await page.waitForFunction("document.getElementById('whatif-banner').dataset.whatif === 'loop filter off' && document.getElementById('mb-steps')?.dataset.ready === 'true'");
      expect(await luma('after-loop-filter')).toEqual(at(replayed.beforeLoopFilter, 7 * 16, 5 * 16));
      await page.locator('#wi-reset').click();
      await page.waitForFunction("document.getElementById('whatif-banner').dataset.whatif === '' && document.getElementById('mb-steps')?.dataset.ready === 'true'");
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
