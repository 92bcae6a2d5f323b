// The inspector's reference-buffer timeline (src/inspect/page/timeline.ts),
// drawn in a real browser from FrameSummary rows of real streams: one column
// per frame, each saying in its hover text exactly which frame LAST, GOLDEN
// and ALTREF hold after it (the decoder's `references`) and why they changed
// (the frame's header: refreshes, copies, sign bias, hidden or undecodable);
// a click picks the frame; chunk boundaries where asked; a cursor that moves
// without redrawing; no console error and no request.
//
// The module is bundled on its own with esbuild into a temporary HTML file
// (it is not wired into the page yet). A screenshot goes to /tmp/timeline.png.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FrameSummary, StreamInspector } from '../../src/inspect/analyze.js';
import { pageProblems, sharedChromium } from '../helpers/browser.js';
import { excamera } from '../helpers/cli.js';
import { ivfFrames, ROOT, VECTOR_NAMES, VECTORS, writeClipPrefix } from '../helpers/fixtures.js';
import { findChromium, haveTool, requireTools, TOOLS_REQUIRED } from '../helpers/tools.js';

const CHROMIUM = findChromium('the reference timeline\'s browser test');
const SCREENSHOT = '/tmp/timeline.png';

type Buffer = 'last' | 'golden' | 'altref';
const BUFFERS: readonly Buffer[] = ['last', 'golden', 'altref'];
const NAMES: Record<Buffer, string> = { last: 'LAST', golden: 'GOLDEN', altref: 'ALTREF' };

const vector = (n: number): string => join(VECTORS, `${VECTOR_NAMES[n - 1]}.ivf`);
const summaries = (frames: readonly Uint8Array[]): FrameSummary[] => [...new StreamInspector(frames).summaries()];

/** Whether the frame's header was applied (an empty or undecodable frame changes no buffer). */
const applied = (r: FrameSummary): r is FrameSummary & { info: NonNullable<FrameSummary['info']> } => r.info !== null && r.error === null;

/** How the header says buffer `b` got its content in frame `r`: refreshed, copied from another buffer, or kept. */
function how(r: FrameSummary, b: Buffer): 'refresh' | 'kept' | { from: Buffer } {
  if (!applied(r)) return 'kept';
  const i = r.info;
  if (i.type === 'key' || i.refresh[b]) return 'refresh';
  const copy = b === 'golden' ? i.copy.toGolden : b === 'altref' ? i.copy.toAltref : 'none';
  return copy === 'last' || copy === 'golden' || copy === 'altref' ? { from: copy } : 'kept';
}

const biased = (r: FrameSummary): Buffer[] => (applied(r) && r.info.type === 'inter' ? (['golden', 'altref'] as const).filter((b) => r.info.signBias[b]) : []);

/** The hover text the timeline must give a frame, from the row alone. */
function expectedText(r: FrameSummary): string {
  const what = r.error !== null ? `could not be decoded: ${r.error}; nothing changed`
    : r.info === null ? 'empty, skipped by decoders'
      : `${r.info.type} frame${r.info.showFrame ? '' : ', hidden'}, ${r.bytes} bytes`;
  const buffers = BUFFERS.map((b) => {
    const holds = r.references[b] < 0 ? 'nothing' : `frame ${r.references[b]}`;
    const h = how(r, b);
    return h === 'refresh' ? `${NAMES[b]} ← ${holds} (refresh)` : h === 'kept' ? `${NAMES[b]} holds ${holds}` : `${NAMES[b]} ← ${holds} (copied from ${NAMES[h.from]})`;
  });
  const bias = biased(r).map((b) => NAMES[b]);
  return `frame ${r.index} (${what}): ${buffers.join(', ')}${bias.length > 0 ? `, sign bias ${bias.join(' and ')}` : ''}`;
}

/** The frame's mark in the type strip (a hidden key frame is both). */
const kind = (r: FrameSummary): string => (r.error !== null ? 'error' : r.info === null ? 'empty' : !r.info.showFrame ? (r.info.type === 'key' ? 'hidden-key' : 'hidden') : r.info.type);

interface Case {
  readonly name: string;
  readonly rows: FrameSummary[];
  readonly chunks?: { first: number; frames: number }[];
  /** The box's width in pixels (1100 unless given). */
  readonly width?: number;
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-timeline-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(CHROMIUM === null && !TOOLS_REQUIRED)('the reference-buffer timeline in a browser (needs chromium)', () => {
  const browser = sharedChromium(CHROMIUM);

  /** The streams, each chosen for what its buffers do (asserted, so that a changed fixture cannot quietly drop a case). */
  function cases(): Case[] {
    const out: Case[] = [];
    // 009: GOLDEN copied from LAST and from ALTREF, ALTREF from GOLDEN, two key frames.
    const v9 = summaries(ivfFrames(vector(9)));
    expect(v9.some((r) => r.info!.copy.toGolden === 'last') && v9.some((r) => r.info!.copy.toGolden === 'altref') && v9.some((r) => r.info!.copy.toAltref === 'golden')).toBe(true);
    out.push({ name: 'vector-009', rows: v9 });
    // 011: ALTREF copied from LAST on every frame, frames that keep LAST, one that copies LAST into both GOLDEN and ALTREF.
    const v11 = summaries(ivfFrames(vector(11)));
    expect(v11.some((r) => r.info!.copy.toAltref === 'last') && v11.some((r) => !r.info!.refresh.last)).toBe(true);
    out.push({ name: 'vector-011', rows: v11 });
    // 018: a hidden frame (its key frame).
    const v18 = summaries(ivfFrames(vector(18)));
    expect(v18.some((r) => !r.shown)).toBe(true);
    out.push({ name: 'vector-018', rows: v18 });
    // An empty frame (skipped) and a cut frame (undecodable; the summaries end there).
    const v1 = ivfFrames(vector(1));
    const cut = summaries([v1[0]!, new Uint8Array(0), v1[1]!, v1[2]!, v1[3]!.subarray(0, 40), v1[4]!]);
    expect(cut.map(kind)).toEqual(['key', 'empty', 'inter', 'inter', 'error']);
    out.push({ name: 'empty-and-cut', rows: cut });
    // An ExCamera output: chunks of 6 frames, each ending with a frame that refreshes all three buffers.
    const y4m = join(dir, 'clip.y4m');
    writeClipPrefix(y4m, 'carphone_qcif_176x144_120f.y4m', 48);
    const xc = join(dir, 'xc.ivf');
    const r = excamera('xc', y4m, '-o', xc, '-n', '6', '-x', '4', '--backend', 'inprocess', '--speed', '5', '--quiet');
    expect(r.status, r.stderr).toBe(0);
    const xcRows = summaries(ivfFrames(xc));
    expect(xcRows).toHaveLength(48);
    expect(xcRows.filter((x) => x.info!.type === 'inter' && x.info!.refresh.golden && x.info!.refresh.altref).map((x) => x.index)).toEqual(expect.arrayContaining([5, 11, 17, 23, 29, 35, 41, 47]));
    out.push({ name: 'excamera', rows: xcRows, chunks: Array.from({ length: 8 }, (_, k) => ({ first: 6 * k, frames: 6 })) });
    // libvpx with alt-ref frames: hidden frames that refresh ALTREF, its sign bias, copies to it.
    if (haveTool('vpxenc') || TOOLS_REQUIRED) {
      requireTools('vpxenc');
      const altref = join(dir, 'altref.ivf');
      const e = spawnSync('vpxenc', ['--codec=vp8', '--ivf', '--limit=40', '--passes=2', '--good', '--cpu-used=4', '--target-bitrate=300', '--auto-alt-ref=1', '--lag-in-frames=16', '-q', '-o', altref, y4m], { encoding: 'utf8' });
      expect(e.status, e.stderr).toBe(0);
      const rows = summaries(ivfFrames(altref));
      expect(rows.some((x) => !x.shown && x.info!.refresh.altref) && rows.some((x) => x.info!.signBias.altref) && rows.some((x) => x.info!.copy.toAltref !== 'none')).toBe(true);
      out.push({ name: 'vpxenc-altref', rows });
    }
    // 015: 260 frames, wider than its box: it scrolls.
    out.push({ name: 'vector-015', rows: summaries(ivfFrames(vector(15))), width: 700 });
    return out;
  }

  /** A page with one timeline per case, drawn by the bundled module; picks are recorded in window.picked. */
  async function harness(all: readonly Case[]): Promise<string> {
    const bundle = await build({
      absWorkingDir: ROOT,
      entryPoints: ['src/inspect/page/timeline.ts'],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: 'Timeline',
      platform: 'browser',
      target: 'es2022',
      logLevel: 'silent',
    });
    const js = bundle.outputFiles[0]!.text;
    // JSON in a script element: "<" escaped so that no "</script" can end it.
    const data = JSON.stringify(all.map((c) => ({ name: c.name, rows: c.rows, chunks: c.chunks }))).replace(/</g, '\\u003c');
    const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>timeline</title>
<style>:root { color-scheme: dark; --bg: #16181c; --panel: #1f2228; --line: #343841; --text: #e4e6ea; --dim: #9aa0aa; --accent: #ffd24a; }
body { margin: 10px; background: var(--bg); color: var(--text); font: 13px system-ui, sans-serif; } h3 { margin: 14px 0 4px; font-size: 13px; }
.box { width: 1100px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px; }</style></head>
<body>
${all.map((c) => `<h3>${c.name}</h3><div class="box" id="tl-${c.name}" style="width: ${c.width ?? 1100}px"></div>`).join('\n')}
<script type="application/json" id="data">${data}</script>
<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
<script>
window.picked = [];
window.timelines = {};
for (const c of JSON.parse(document.getElementById('data').textContent)) {
  window.timelines[c.name] = Timeline.drawReferenceTimeline(document.getElementById('tl-' + c.name), c.rows, {
    current: 0, chunks: c.chunks, onPick: (frame) => window.picked.push([c.name, frame]),
  });
}
document.body.dataset.ready = 'true';
</script>
</body></html>
`;
    const path = join(dir, 'timeline.html');
    writeFileSync(path, html);
    return path;
  }

  it('draws one column per frame saying what each buffer holds and why, picks a clicked frame, moves its cursor cheaply', async () => {
    const all = cases();
    const page = await browser().newPage({ viewport: { width: 1200, height: 900 } });
    const problems = pageProblems(page);
    await page.goto(pathToFileURL(await harness(all)).href);
    await page.waitForFunction("document.body.dataset.ready === 'true'");

    for (const c of all) {
      const box = `#tl-${c.name}`;
      const where = (i: number): string => `${c.name} frame ${i}`;
      // One column per frame, in order.
      const columns = await page.$$eval(`${box} [data-timeline-frame]`, (cs) => cs.map((x) => x.getAttribute('data-timeline-frame')));
      expect(columns, c.name).toEqual(c.rows.map((r) => String(r.index)));
      // The hover text of every frame: the pointer moved over each column in turn.
      const texts = await page.evaluate(`(() => {
        const box = document.querySelector(${JSON.stringify(box)});
        const tip = box.querySelector('.rt-tip');
        const texts = [...box.querySelectorAll('[data-timeline-frame]')].map((col) => {
          const r = col.getBoundingClientRect();
          col.dispatchEvent(new PointerEvent('pointermove', { bubbles: true, clientX: r.x + r.width / 2, clientY: r.y + r.height / 2 }));
          return [tip.dataset.frame, tip.hidden, tip.textContent];
        });
        box.querySelector('svg.rt-main').dispatchEvent(new PointerEvent('pointerleave'));
        if (!tip.hidden) throw new Error('the tooltip stays after the pointer leaves');
        return texts;
      })()`) as [string, boolean, string][];
      for (const [i, r] of c.rows.entries()) expect(texts[i], where(i)).toEqual([String(i), false, expectedText(r)]);
      // The marks say the same as the words: each kind of mark lists the frames it is drawn on.
      const marks = Object.fromEntries(await page.$$eval(`${box} path[data-frames]`, (ps) => ps.map((p) => [
        [p.getAttribute('class'), p.getAttribute('data-kind') ?? '', p.getAttribute('data-buffer') ?? '', p.getAttribute('data-from') ?? ''].filter((a) => a !== '').join(' '),
        [p.getAttribute('data-frames'), (p.getAttribute('d')!.match(/M/g) ?? []).length] as const,
      ]))) as Record<string, readonly [string, number]>;
      const frames = (f: (r: FrameSummary) => boolean): string => c.rows.filter(f).map((r) => r.index).join(' ');
      const expected: Record<string, string> = {};
      for (const k of ['key', 'inter', 'hidden', 'hidden-key', 'error', 'empty']) expected[`rt-type ${k}`] = frames((r) => kind(r) === k);
      for (const b of BUFFERS) {
        expected[`rt-refresh ${b}`] = frames((r) => how(r, b) === 'refresh');
        for (const from of BUFFERS.filter((x) => x !== b)) expected[`rt-copy ${b} ${from}`] = frames((r) => { const h = how(r, b); return typeof h === 'object' && h.from === from; });
        expected[`rt-bias ${b}`] = frames((r) => biased(r).includes(b));
        expected[`rt-arrow ${b}`] = frames((r) => BUFFERS.some((t) => { const h = how(r, t); return typeof h === 'object' && h.from === b; }));
        expected[`rt-arrowhead ${b}`] = expected[`rt-arrow ${b}`]!;
      }
      expected['rt-wash'] = frames((r) => r.error !== null);
      for (const [mark, list] of Object.entries(expected)) expect(marks[mark]?.[0], `${c.name}: ${mark}`).toBe(list);
      // One subpath per mark: per frame, and for arrows per buffer copied into (011 copies LAST into both GOLDEN and ALTREF in one frame).
      const count = (list: string): number => (list === '' ? 0 : list.split(' ').length);
      for (const [mark, list] of Object.entries(expected)) {
        const source = /^rt-arrow(?:head)? (\w+)$/.exec(mark)?.[1];
        const arrows = c.rows.reduce((a, r) => a + BUFFERS.filter((t) => { const h = how(r, t); return typeof h === 'object' && h.from === source; }).length, 0);
        if (mark !== 'rt-wash') expect(marks[mark]![1], `${c.name}: ${mark}`).toBe(source === undefined ? count(list) : arrows);
      }
    }

    // A few hover texts in full, as a reader sees them: the real pointer over the column.
    const hover = async (name: string, frame: number): Promise<string | null> => {
      await page.locator(`#tl-${name} [data-timeline-frame="${frame}"]`).hover();
      const tip = page.locator(`#tl-${name} .rt-tip`);
      expect(await tip.isVisible()).toBe(true);
      return tip.textContent();
    };
    expect(await hover('vector-009', 0)).toBe('frame 0 (key frame, 8412 bytes): LAST ← frame 0 (refresh), GOLDEN ← frame 0 (refresh), ALTREF ← frame 0 (refresh)');
    expect(await hover('vector-009', 5)).toBe('frame 5 (inter frame, 167 bytes): LAST ← frame 5 (refresh), GOLDEN ← frame 2 (copied from ALTREF), ALTREF holds frame 2');
    expect(await hover('vector-009', 9)).toBe('frame 9 (inter frame, 551 bytes): LAST ← frame 9 (refresh), GOLDEN ← frame 9 (refresh), ALTREF ← frame 7 (copied from GOLDEN)');
    // Hovering highlights the column.
    expect(await page.evaluate("getComputedStyle(document.querySelector('#tl-vector-009 [data-timeline-frame=\"9\"]')).fillOpacity")).toBe('0.1');
    expect(await hover('empty-and-cut', 1)).toBe('frame 1 (empty, skipped by decoders): LAST holds frame 0, GOLDEN holds frame 0, ALTREF holds frame 0');
    expect(await hover('empty-and-cut', 4)).toMatch(/^frame 4 \(could not be decoded: frame 4: .+; nothing changed\): LAST holds frame 3, GOLDEN holds frame 0, ALTREF holds frame 0$/);
    const altref = all.find((c) => c.name === 'vpxenc-altref');
    if (altref !== undefined) {
      const hidden = altref.rows.find((r) => !r.shown && r.info!.signBias.altref)!;
      const h = hidden.index;
      expect(await hover('vpxenc-altref', h)).toMatch(new RegExp(`^frame ${h} \\(inter frame, hidden, \\d+ bytes\\): LAST holds frame \\d+, GOLDEN holds frame \\d+, ALTREF ← frame ${h} \\(refresh\\), sign bias ALTREF$`));
    }
    // Leaving the drawing hides the tooltip.
    await page.mouse.move(1, 1);
    expect(await page.locator('#tl-vector-009 .rt-tip').isHidden()).toBe(true);

    // Chunk boundaries: one labelled line per chunk, at its first frame.
    const chunks = await page.$$eval('#tl-excamera .rt-chunk', (gs) => gs.map((g) => [g.getAttribute('data-chunk'), g.querySelector('title')!.textContent, g.querySelector('line')!.getAttribute('x1'), g.querySelector('text')?.textContent ?? '']));
    const fw = await page.evaluate('window.timelines.excamera.frameWidth') as number;
    expect(chunks).toEqual(Array.from({ length: 8 }, (_, k) => [String(k), `chunk ${k}: frames ${6 * k} to ${6 * k + 5}`, String(6 * k * fw + 0.5), 6 * fw >= 50 ? `chunk ${k}` : String(k)]));
    expect(await page.locator('#tl-vector-009 .rt-chunk').count()).toBe(0);

    // Clicks pick the frame, including one scrolled out of view; the page then moves the cursor.
    for (const [name, frame] of [['vector-009', 9], ['excamera', 17], ['vector-015', 250], ['vector-015', 3]] as const) {
      await page.locator(`#tl-${name} [data-timeline-frame="${frame}"]`).click();
      expect(await page.evaluate('window.picked.at(-1)')).toEqual([name, frame]);
      await page.evaluate(`window.timelines[${JSON.stringify(name)}].setCurrent(${frame})`);
      const at = await page.$eval(`#tl-${name} .rt-cursor`, (r) => Number(r.getAttribute('x')));
      expect(at).toBeCloseTo(frame * (await page.evaluate(`window.timelines[${JSON.stringify(name)}].frameWidth`) as number), 6);
      // The cursor is in sight in the scrolling box.
      const seen = await page.$eval(`#tl-${name} .rt-scroll`, (s, x) => x >= s.scrollLeft && x < s.scrollLeft + s.clientWidth, at);
      expect(seen, `${name} ${frame}`).toBe(true);
    }
    expect(await page.evaluate('window.picked.length')).toBe(4);
    await page.evaluate("window.timelines['vector-015'].setCurrent(120)");
    await page.mouse.move(1, 1);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Zooming in doubles the columns' width and keeps the frames and the cursor.
    const before = await page.$eval('#tl-vector-009 [data-timeline-frame="3"]', (r) => Number(r.getAttribute('width')));
    await page.locator('#tl-vector-009 button[data-zoom="2"]').click();
    expect(await page.$eval('#tl-vector-009 [data-timeline-frame="3"]', (r) => Number(r.getAttribute('width')))).toBeCloseTo(Math.min(64, before * 2), 6);
    expect(await page.locator('#tl-vector-009 [data-timeline-frame]').count()).toBe(all[0]!.rows.length);
    expect(await page.$eval('#tl-vector-009 .ref-timeline', (d) => d.dataset.current)).toBe('9');
    // The handle drawn first still moves the cursor of the zoomed drawing.
    await page.evaluate("window.timelines['vector-009'].setCurrent(12)");
    expect(await page.evaluate("window.timelines['vector-009'].frameWidth")).toBe(Math.min(64, before * 2));
    expect(await page.$eval('#tl-vector-009 .rt-cursor', (r) => Number(r.getAttribute('x')))).toBe(12 * Math.min(64, before * 2));
    // Cleared (another stream), the box starts afresh: zoom 1 again.
    const redrawn = await page.evaluate(`(() => {
      const box = document.getElementById('tl-vector-009');
      Timeline.clearReferenceTimeline(box);
      const empty = box.childElementCount === 0;
      const t = Timeline.drawReferenceTimeline(box, JSON.parse(document.getElementById('data').textContent)[0].rows, { current: 40, onPick: () => {} });
      return { empty, frameWidth: t.frameWidth, current: box.querySelector('.ref-timeline').dataset.current };
    })()`);
    expect(redrawn).toEqual({ empty: true, frameWidth: before, current: '40' });

    // Moving the cursor does not redraw: after a thousand moves over 260
    // frames the columns are the same nodes and no element was added.
    const moved = await page.evaluate(`(() => {
      const t = window.timelines['vector-015'];
      const box = document.getElementById('tl-vector-015');
      const column = box.querySelector('[data-timeline-frame="0"]');
      const elements = box.querySelectorAll('*').length;
      for (let i = 0; i < 1000; i++) t.setCurrent(i % 260);
      return { same: box.querySelector('[data-timeline-frame="0"]') === column, added: box.querySelectorAll('*').length - elements };
    })()`) as { same: boolean; added: number };
    expect(moved).toEqual({ same: true, added: 0 });

    // Thousands of frames (015's rows again and again, renumbered): drawn at
    // the narrowest columns with about one element per frame (what keeps a
    // long stream's timeline cheap), scrolled to the cursor.
    const base = all.find((c) => c.name === 'vector-015')!.rows;
    const long = Array.from({ length: 3000 }, (_, i) => {
      const r = base[i % base.length]!;
      const shift = (f: number): number => (f < 0 ? f : f + i - (i % base.length));
      return { ...r, index: i, references: { last: shift(r.references.last), golden: shift(r.references.golden), altref: shift(r.references.altref) } };
    });
    await page.evaluate((rows) => {
      (globalThis as unknown as { long: unknown }).long = rows;
    }, long);
    const big = await page.evaluate(`(() => {
      const box = document.createElement('div');
      box.className = 'box';
      document.body.append(box);
      const t = Timeline.drawReferenceTimeline(box, window.long, { current: 2999, onPick: () => {} });
      const scroll = box.querySelector('.rt-scroll');
      const result = { columns: box.querySelectorAll('[data-timeline-frame]').length, elements: box.querySelectorAll('*').length, frameWidth: t.frameWidth, atEnd: scroll.scrollLeft + scroll.clientWidth >= 2999 * t.frameWidth };
      box.remove();
      return result;
    })()`) as { columns: number; elements: number; frameWidth: number; atEnd: boolean };
    expect(big).toMatchObject({ columns: 3000, frameWidth: 4, atEnd: true });
    expect(big.elements).toBeLessThan(3000 + 1500);

    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);
});
