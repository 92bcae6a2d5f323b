// The VP8 inspector (src/inspect, `excamera inspect`): what it shows is what
// the decoder decodes — libvpx's pictures, the parser's modes and
// coefficients, the reference buffers as libvpx updates them — whether read
// in order or by seeking; the page is one self-contained file; and in a real
// browser its frame table is `excamera info`, a clicked macroblock is what
// the parser read, nothing is fetched and nothing is logged as an error.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIvf, readVp8Frames } from '../../src/container/index.js';
import { type InspectedFrame, inspectFrames, StreamInspector } from '../../src/inspect/analyze.js';
import { frameError, macroblockSamples, macroblockSse } from '../../src/inspect/source-error.js';
import { parseY4m } from '../../src/container/index.js';
import { frameQuality } from '../../src/vp8/metrics.js';
import { imageToI420 } from '../../src/vp8/image.js';
import { parseFrame } from '../../src/vp8/frame.js';
import type { FrameInfo } from '../../src/vp8/info.js';
import { createDecoderState, decodeFrame } from '../../src/vp8/index.js';
import { excamera } from '../helpers/cli.js';
import { CLIPS, ivfFrames, md5, VECTOR_NAMES, VECTORS, writeClipPrefix } from '../helpers/fixtures.js';
import { openInspector, sharedChromium } from '../helpers/browser.js';
import { findChromium, TOOLS_REQUIRED } from '../helpers/tools.js';

const vector = (name: string): string => join(VECTORS, `${name}.ivf`);

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-inspect-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Which frame LAST, GOLDEN and ALTREF hold after each frame, by libvpx's rules (its swap_frame_buffers): copies first, the alt-ref's before the golden's, then refreshes. */
function expectedBuffers(infos: readonly FrameInfo[]): { last: number; golden: number; altref: number }[] {
  let b = { last: -1, golden: -1, altref: -1 };
  return infos.map((i, index) => {
    if (i.type === 'key') b = { last: index, golden: index, altref: index };
    else {
      const next = { ...b };
      if (i.copy.toAltref === 'last') next.altref = b.last;
      if (i.copy.toAltref === 'golden') next.altref = b.golden;
      if (i.copy.toGolden === 'last') next.golden = b.last;
      if (i.copy.toGolden === 'altref') next.golden = next.altref;
      if (i.refresh.golden) next.golden = index;
      if (i.refresh.altref) next.altref = index;
      if (i.refresh.last) next.last = index;
      b = next;
    }
    return b;
  });
}

describe('what the inspector shows of a stream', () => {
  it('is what the decoder decodes: every shown picture at libvpx\'s md5, the parser\'s modes and levels, the buffers as libvpx keeps them', () => {
    for (const name of VECTOR_NAMES) {
      const frames = ivfFrames(vector(name));
      const expected = readFileSync(`${vector(name)}.md5`, 'utf8').trim().split('\n').map((l) => l.split(/\s+/)[0]);
      const inspected = [...inspectFrames(frames)];
      expect(inspected.map((f) => f.error)).toEqual(frames.map(() => null));
      expect(inspected.filter((f) => f.shown).map((f) => md5(f.picture!)), name).toEqual(expected);
      // Compared by hash: typed arrays of every macroblock are slow to compare element by element.
      const h = (a: ArrayBufferView): string => md5(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      let state = createDecoderState();
      for (const [i, f] of inspected.entries()) {
        const parsed = parseFrame(state, frames[i]!);
        const m = parsed.modes;
        const mine = f.modes!;
        expect([mine.yMode, mine.uvMode, mine.refFrame, mine.skipCoeff, mine.segmentId, mine.mv, mine.bModes, mine.bMv, f.levels!, f.eobs!].map(h), `${name} frame ${i}`).toEqual([m.yMode, m.uvMode, m.refFrame, m.skipCoeff, m.segmentId, m.mv, m.bModes, m.bMv, parsed.levels, parsed.eobs].map(h));
        // Bits per macroblock add up to the partitions: the token partitions
        // less their final flush (at most 4 bytes each), the first less the frame header.
        const sum = (a: Float64Array): number => a.reduce((x, y) => x + y, 0);
        const tokenBits = f.info!.partitions.tokens.reduce((a, b) => a + b, 0) * 8;
        expect(sum(f.bits!.tokens)).toBeLessThanOrEqual(tokenBits);
        expect(sum(f.bits!.tokens)).toBeGreaterThanOrEqual(tokenBits - 32 * f.info!.partitions.tokens.length);
        expect(sum(f.bits!.header)).toBeLessThan(f.info!.partitions.first * 8);
        expect(f.bits!.tokens.every((b, mb) => (f.modes!.skipCoeff[mb] ? b === 0 : b > 0))).toBe(true);
        state = decodeFrame(state, frames[i]!).state;
      }
      expect(inspected.map((f) => f.references), name).toEqual(expectedBuffers(inspected.map((f) => f.info!)));
    }
  });

  it('seeks: any frame, asked for in any order, is the frame read in order', () => {
    // 018 has a hidden frame; the encoded clip refreshes the golden frame on its own schedule.
    const clip = join(dir, 'seek.ivf');
    writeClipPrefix(join(dir, 'seek.y4m'), 'carphone_qcif_176x144_120f.y4m', 40);
    expect(excamera('encode', join(dir, 'seek.y4m'), '-o', clip, '--speed', '5', '--quiet').status).toBe(0);
    for (const frames of [ivfFrames(vector('vp80-00-comprehensive-018')), ivfFrames(clip)]) {
      const inOrder = [...inspectFrames(frames)];
      const inspector = new StreamInspector(frames, 7);
      const summaries = [...inspector.summaries()];
      expect(summaries.map((s) => [s.info, s.references, s.shown])).toEqual(inOrder.map((f) => [f.info, f.references, f.shown]));
      const order = [frames.length - 1, 0, 9, 8, 23, 24, 25, 3, frames.length - 2, 14, 15, 7].filter((i) => i < frames.length);
      const h = (a: ArrayBufferView): string => md5(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      const same = (f: InspectedFrame): unknown => [f.index, h(f.picture!), h(f.modes!.yMode), h(f.modes!.refFrame), h(f.modes!.mv), h(f.modes!.bMv), h(f.levels!), h(f.eobs!), f.segmentQuant, f.references];
      for (const i of order) expect(same(inspector.frame(i)), `frame ${i}`).toEqual(same(inOrder[i]!));
    }
  });

  it('stops at a frame the decoder refuses, saying why, and keeps the frames before it', () => {
    const frames = ivfFrames(vector('vp80-00-comprehensive-001')).slice(0, 5);
    const cut = [...frames.slice(0, 3), frames[3]!.subarray(0, 40), frames[4]!];
    const inspected = [...inspectFrames(cut)];
    expect(inspected).toHaveLength(4);
    expect(inspected.slice(0, 3).map((f) => f.error)).toEqual([null, null, null]);
    expect(inspected[3]!.error).toMatch(/^frame 3: /);
    const inspector = new StreamInspector(cut);
    expect([...inspector.summaries()].map((s) => s.error === null)).toEqual([true, true, true, false]);
    expect(() => inspector.frame(4)).toThrow(/after the first frame that cannot be decoded/);
    expect(() => inspector.frame(5)).toThrow(/no frame 5 in a stream of 5/);
  });

  it('passes over an empty frame as decoders do: no headers, nothing shown, the buffers unchanged', () => {
    const frames = ivfFrames(vector('vp80-00-comprehensive-001')).slice(0, 3);
    const inspected = [...inspectFrames([frames[0]!, new Uint8Array(0), frames[1]!, frames[2]!])];
    expect(inspected.map((f) => [f.info === null, f.shown, f.error])).toEqual([[false, true, null], [true, false, null], [false, true, null], [false, true, null]]);
    expect(inspected[1]!.references).toEqual(inspected[0]!.references);
    expect(md5(inspected[2]!.picture!)).toBe(md5([...inspectFrames(frames)][1]!.picture!));
  });
});

describe('the error against the source', () => {
  it('adds up per macroblock to the frame\'s, at odd sizes too, and is excamera compare\'s per frame', () => {
    for (const [w, h] of [[176, 144], [175, 143], [33, 17]] as const) {
      writeClipPrefix(join(dir, 's.y4m'), 'carphone_qcif_176x144_120f.y4m', 3, { size: [w, h] });
      const src = parseY4m(new Uint8Array(readFileSync(join(dir, 's.y4m')))).frames.map((f) => f.data);
      // A "decoded" frame: the source with noise on every sample.
      const noisy = src[1]!.map((v, i) => Math.min(255, v + (i % 7)));
      const sse = macroblockSse(noisy, src[1]!, w, h);
      const q = frameQuality(src[1]!, noisy, w, h);
      expect(sse.length).toBe(((w + 15) >> 4) * ((h + 15) >> 4));
      expect(sse.reduce((a, b) => a + b, 0)).toBe(q.y.sse + q.u.sse + q.v.sse);
      expect(macroblockSamples(w, h).reduce((a, b) => a + b, 0)).toBe(q.y.samples + q.u.samples + q.v.samples);
      const e = frameError(noisy, src[1]!, w, h, 4, 1);
      expect(e.psnr).toBeCloseTo(10 * Math.log10((255 * 255 * (q.y.samples + q.u.samples + q.v.samples)) / (q.y.sse + q.u.sse + q.v.sse)), 3);
      expect(frameError(src[1]!, src[1]!, w, h, 0, 0).psnr).toBe(100);
    }
  });

  it('excamera inspect --source embeds it for every shown frame, and refuses a source that cannot be the stream\'s', () => {
    const y4m = join(dir, 'src.y4m');
    const ivf = join(dir, 'src.ivf');
    writeClipPrefix(y4m, 'carphone_qcif_176x144_120f.y4m', 10);
    expect(excamera('encode', y4m, '-o', ivf, '--speed', '5', '--quiet').status).toBe(0);
    const out = join(dir, 'src.html');
    const r = excamera('inspect', ivf, '--source', y4m, '-o', out);
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(/<script type="application\/json" id="source-error">([^<]*)<\/script>/.exec(readFileSync(out, 'utf8'))![1]!) as { name: string; frames: { frame: number; source: number; psnr: number }[]; macroblocks: number; sse: string };
    expect(json.name).toBe('src.y4m');
    expect(json.frames.map((f) => [f.frame, f.source])).toEqual(Array.from({ length: 10 }, (_, i) => [i, i]));
    expect(json.macroblocks).toBe(11 * 9);
    // Frame 3 against the source's frame 3, recomputed here.
    const src = parseY4m(new Uint8Array(readFileSync(y4m))).frames.map((f) => f.data);
    let state = createDecoderState();
    let decoded: Uint8Array = new Uint8Array(0);
    for (const f of ivfFrames(ivf).slice(0, 4)) {
      const d = decodeFrame(state, f);
      state = d.state;
      decoded = imageToI420(d.image!);
    }
    expect(json.frames[3]!.psnr).toBe(frameError(decoded, src[3]!, 176, 144, 3, 3).psnr);
    const sse = new Float32Array(new Uint8Array(Buffer.from(json.sse, 'base64')).buffer);
    expect([...sse.subarray(3 * 99, 4 * 99)]).toEqual([...Float32Array.from(macroblockSse(decoded, src[3]!, 176, 144))]);
    // Another size, or too few frames: refused in one line.
    writeClipPrefix(join(dir, 'other.y4m'), 'foreman_cif_352x288_60f.y4m', 10);
    writeClipPrefix(join(dir, 'short.y4m'), 'carphone_qcif_176x144_120f.y4m', 4);
    for (const [bad, why] of [['other.y4m', /other\.y4m is 352x288, but frame 0 of the stream is 176x144/], ['short.y4m', /short\.y4m has 4 frames, but the stream shows more/]] as const) {
      const refused = excamera('inspect', ivf, '--source', join(dir, bad), '-o', join(dir, 'bad.html'));
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(why);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(join(dir, 'bad.html'))).toBe(false);
    }
  });
});

describe('excamera inspect', () => {
  it('writes one self-contained page: the stream embedded as it is, the decoder inline, nothing to fetch', () => {
    const out = join(dir, 'v1.html');
    const r = excamera('inspect', vector('vp80-00-comprehensive-001'), '-o', out);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    // Nothing by reference: no script or style sheet source, no CSS resource (the RFC's sections are links, followed only when clicked).
    expect(html).not.toMatch(/<script[^>]+src=|<link\b|<img\b|<iframe\b/i);
    expect(/<style>([^]*?)<\/style>/.exec(html)![1]).not.toMatch(/url\(|@import/i);
    const b64 = /<script type="text\/plain" id="stream" data-name="vp80-00-comprehensive-001\.ivf">([^<]*)<\/script>/.exec(html)![1]!;
    expect(new Uint8Array(Buffer.from(b64, 'base64'))).toEqual(new Uint8Array(readFileSync(vector('vp80-00-comprehensive-001'))));
    // Five scripts, each closed once: the stream, the error against a source and the ExCamera chunks (both empty here), the worker's code (the decoder), the page's.
    expect(html.match(/<script\b/gi)).toHaveLength(5);
    expect(html.match(/<\/script/gi)).toHaveLength(5);
  });

  it('takes WebM too: its frames go into the page as an IVF stream', async () => {
    const y4m = join(dir, 'w.y4m');
    const webm = join(dir, 'w.webm');
    writeClipPrefix(y4m, 'carphone_qcif_176x144_120f.y4m', 8);
    expect(excamera('encode', y4m, '-o', webm, '--speed', '5', '--quiet').status).toBe(0);
    const out = join(dir, 'w.html');
    expect(excamera('inspect', webm, '-o', out).status).toBe(0);
    const b64 = /id="stream" data-name="w\.webm">([^<]*)</.exec(readFileSync(out, 'utf8'))![1]!;
    const embedded = parseIvf(new Uint8Array(Buffer.from(b64, 'base64')));
    expect(embedded.frames.map((f) => f.data)).toEqual((await readVp8Frames(webm)).frames);
    expect([embedded.header.width, embedded.header.height]).toEqual([176, 144]);
  });

  it('refuses what is not a VP8 stream, in one line, and writes nothing', () => {
    const out = join(dir, 'no.html');
    const r = excamera('inspect', join(CLIPS, 'carphone_qcif_176x144_120f.y4m'), '-o', out);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});

const CHROMIUM = findChromium('the inspector\'s browser test');

describe.skipIf(CHROMIUM === null && !TOOLS_REQUIRED)('the inspector in a browser (needs chromium)', () => {
  const browser = sharedChromium(CHROMIUM);

  it('shows excamera info as its frame table, and a clicked macroblock as the parser read it; fetches nothing, logs no error', async () => {
    const clip = join(dir, 'b.ivf');
    writeClipPrefix(join(dir, 'b.y4m'), 'foreman_cif_352x288_60f.y4m', 12);
    expect(excamera('encode', join(dir, 'b.y4m'), '-o', clip, '--speed', '5', '--quiet').status).toBe(0);
    for (const input of [vector('vp80-00-comprehensive-018'), vector('vp80-00-comprehensive-007'), clip]) {
      const out = join(dir, 'page.html');
      expect(excamera('inspect', input, '-o', out).status).toBe(0);
      const { page, problems } = await openInspector(browser(), out);

      // The table, row by row, against `excamera info`.
      const info = excamera('info', input).stdout.trim().split('\n').map((l) => JSON.parse(l) as FrameInfo & { bytes: number });
      const rows = await page.$$eval('#frames-body tr', (trs) => trs.map((tr) => [tr.getAttribute('data-frame'), ...[...tr.children].map((td) => td.textContent)]));
      expect(rows.map((r) => r.slice(0, 7))).toEqual(info.map((f, i) => [String(i), String(i), f.type, f.showFrame ? 'shown' : 'hidden', String(f.bytes), String(f.quantizer.yAcQi), `${f.loopFilter.type} ${f.loopFilter.level}`]));

      // Frames and macroblocks, against the parser.
      const frames = ivfFrames(input);
      const states = [createDecoderState()];
      for (const f of frames) states.push(decodeFrame(states[states.length - 1]!, f).state);
      for (const index of [0, 1, frames.length - 1]) {
        await page.locator(`#frames-body tr[data-frame="${index}"]`).click();
        await page.waitForFunction(`document.getElementById('frame-detail').dataset.frame === '${index}' && document.getElementById('picture').width > 16`);
        const count = ((states[index + 1]!.width + 15) >> 4) * ((states[index + 1]!.height + 15) >> 4);
        const bits = { header: new Float64Array(count), tokens: new Float64Array(count) };
        const parsed = parseFrame(states[index]!, frames[index]!, undefined, bits);
        const { mbCols, mbRows } = parsed.modes;
        for (const [row, col] of [[0, 0], [mbRows >> 1, mbCols >> 1], [mbRows - 1, mbCols - 1]] as const) {
          const box = (await page.locator('#overlay').boundingBox())!;
          const width = Number(await page.$eval('#picture', (c) => c.getAttribute('width')));
          const s = box.width / width;
          await page.mouse.click(box.x + (col * 16 + 8) * s, box.y + (row * 16 + 8) * s);
          await page.waitForFunction(`document.getElementById('mb-detail').dataset.mb === '${row},${col}'`);
          const fields = Object.fromEntries(await page.$$eval('#mb-detail > table.fields tr', (trs) => trs.map((tr) => [tr.children[0]!.textContent, tr.children[1]!.textContent])));
          const mb = row * mbCols + col;
          const names = ['DC_PRED', 'V_PRED', 'H_PRED', 'TM_PRED', 'B_PRED', 'NEARESTMV', 'NEARMV', 'ZEROMV', 'NEWMV', 'SPLITMV'];
          expect(fields['luma mode'], `${input} frame ${index} mb ${row},${col}`).toBe(names[parsed.modes.yMode[mb]!]);
          expect(fields.reference).toMatch(['intra', 'LAST', 'GOLDEN', 'ALTREF'][parsed.modes.refFrame[mb]!]!);
          expect(fields.bits).toBe(`${bits.header[mb]} in its header (first partition), ${bits.tokens[mb]} in its tokens`);
          if (fields.vector !== undefined) expect(fields.vector).toMatch(new RegExp(`^row ${parsed.modes.mv[mb * 2]}, column ${parsed.modes.mv[mb * 2 + 1]} \\(quarter samples\\)`));
          const levels = await page.$$eval('#mb-detail > .blocks > .block', (blocks) => blocks.map((b) => [Number(b.getAttribute('data-block')), [...b.querySelectorAll('td')].map((td) => Number(td.getAttribute('data-level')))] as [number, number[]]));
          for (const [block, shown] of levels) expect(shown, `block ${block}`).toEqual([...parsed.levels.subarray(mb * 400 + block * 16, mb * 400 + block * 16 + 16)]);
          if (parsed.modes.skipCoeff[mb]) expect(levels).toEqual([]);
          else expect(levels.length).toBe(parsed.modes.yMode[mb] === 4 || parsed.modes.yMode[mb] === 9 ? 24 : 25);
        }
      }
      expect(problems).toEqual([]);
      await page.close();
    }
  }, 180_000);

  it('with --source, gives each shown frame\'s PSNR in the table and the error of every macroblock as a heat map', async () => {
    const y4m = join(dir, 'bs.y4m');
    const ivf = join(dir, 'bs.ivf');
    const out = join(dir, 'bs.html');
    writeClipPrefix(y4m, 'carphone_qcif_176x144_120f.y4m', 6);
    expect(excamera('encode', y4m, '-o', ivf, '--speed', '5', '--quiet').status).toBe(0);
    expect(excamera('inspect', ivf, '--source', y4m, '-o', out).status).toBe(0);
    const json = JSON.parse(/id="source-error">([^<]*)</.exec(readFileSync(out, 'utf8'))![1]!) as { frames: { psnr: number }[] };
    const { page, problems } = await openInspector(browser(), out);
    const psnr = await page.$$eval('#frames-body tr', (trs) => trs.map((tr) => tr.lastElementChild!.textContent));
    expect(psnr).toEqual(json.frames.map((f) => f.psnr.toFixed(2)));
    await page.locator('#frames-body tr[data-frame="2"]').click();
    await page.waitForFunction("document.getElementById('frame-detail').dataset.frame === '2' && document.getElementById('frame-detail').textContent.includes('vs source')");
    await page.locator('#ov-error').check();
    expect(await page.locator('#heat-legend').textContent()).toMatch(/^squared error vs source: \d+ to \d+ per macroblock/);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);
});
