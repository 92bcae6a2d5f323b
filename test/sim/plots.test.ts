// The simulator's plots: the timeline page (src/sim/timeline.ts) and the
// sweep's CSV and SVG (src/sim/sweep-output.ts).
//
// The timeline must stay one self-contained file that reads for a job of the
// paper's size: an overview of the phases, a legend, every worker's phases as
// compact data rather than an element per bar, nothing fetched from a
// network. In a browser (when chromium is installed) hovering a bar shows the
// worker's phases and the page logs no error. The sweep's x ticks sit at the
// values swept, and a point whose job failed is marked, not dropped.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transition } from '../../src/excamera/coordinator/types.js';
import { jobConfig } from '../../src/excamera/schedule.js';
import { simulate } from '../../src/sim/engine.js';
import { loadProfile, serializeProfile } from '../../src/sim/profile.js';
import { type SweepRow, sweepCsv, sweepSvg } from '../../src/sim/sweep-output.js';
import { renderTimeline, type TimelineData, type TimelineInput, timelineData } from '../../src/sim/timeline.js';
import { excamera } from '../helpers/cli.js';
import { pageProblems, sharedChromium } from '../helpers/browser.js';
import { findChromium, TOOLS_REQUIRED } from '../helpers/tools.js';

/** The data a timeline page embeds (and draws from). */
function embedded(html: string): TimelineData {
  const m = /<script type="application\/json" id="timeline-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m, 'the page embeds its data').not.toBeNull();
  return JSON.parse(m![1]!) as TimelineData;
}

/** Anything a page could fetch: a URL, a script or style sheet by reference, an import. */
function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/https?:/i);
  expect(html).not.toMatch(/<script[^>]+src=/i);
  expect(html).not.toMatch(/<link\b/i);
  expect(html).not.toMatch(/@import|url\(/i);
}

const SMALL_LOG: Transition[] = [
  { at: 0, worker: 0, status: { kind: 'invoking', attempt: 0 } },
  { at: 0, worker: 1, status: { kind: 'invoking', attempt: 0 } },
  { at: 1, worker: 0, status: { kind: 'working', chunk: 0, phase: 'fetch' } },
  { at: 2, worker: 0, status: { kind: 'working', chunk: 0, phase: 'encode' } },
  { at: 2.5, worker: 1, status: { kind: 'working', chunk: 1, phase: 'fetch' } },
  { at: 3, worker: 1, status: { kind: 'failed', reason: 'crashed' } },
  { at: 5, worker: 0, status: { kind: 'working', chunk: 0, phase: 'upload' } },
  { at: 6, worker: 0, status: { kind: 'released' } },
];

/** A job shaped like the paper's: 5,328 workers through every phase, 3,552 of them with a chunk. */
function paperSizedLog(): Transition[] {
  const log: Transition[] = [];
  const phases = ['fetch', 'encode', 'send-state', 'given-state', 'rebase', 'send-final', 'upload'] as const;
  for (let w = 0; w < 5328; w++) {
    log.push({ at: 0, worker: w, status: { kind: 'invoking', attempt: 0 } });
    if (w >= 3552) {
      log.push({ at: 2 + (w % 7) / 10, worker: w, status: { kind: 'released' } });
      continue;
    }
    phases.forEach((phase, i) => log.push({ at: 2 + i * 10 + (w % 50) + w / 1e4, worker: w, status: { kind: 'working', chunk: w, phase } }));
    log.push({ at: 100 + (w % 50), worker: w, status: { kind: 'waiting', chunk: w, phase: 'rebase', waitFor: 'final' } });
    log.push({ at: 150, worker: w, status: { kind: 'released' } });
  }
  return log.sort((a, b) => a.at - b.at);
}

describe('the timeline page', () => {
  it('escapes text, and embeds each worker\'s phases back to back, with its chunk and how it failed', () => {
    const html = renderTimeline({ title: 'job <script>alert(1)</script>', summary: 'a & b', latencySeconds: 6, workers: 2, transitions: SMALL_LOG });
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('<title>job &lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(html).toContain('a &amp; b');
    const d = embedded(html);
    expect(d.worker).toEqual([0, 1]);
    expect(d.fromMs).toEqual([0, 0]);
    expect(d.barCount).toEqual([4, 2]);
    expect(d.phase.map((p) => d.phases[p])).toEqual(['start', 'fetch', 'encode', 'upload', 'start', 'fetch']);
    expect(d.durMs).toEqual([1000, 1000, 3000, 1000, 2500, 500]);
    expect(d.chunk).toEqual([-1, 0, 0, 0, -1, 1]);
    expect(d.failedRow).toEqual([1]);
    expect(d.failedReason).toEqual(['crashed']);
    expect(d.latencyMs).toBe(6000);
    // The legend names the phases drawn, the failure mark, the chain and the end.
    for (const phase of ['start', 'fetch', 'encode', 'upload']) expect(html).toContain(`</i>${phase}</span>`);
    expect(html).not.toContain('</i>rebase</span>');
    expect(html).toMatch(/<i class="mark failed"><\/i>failed/);
    expect(html).toMatch(/<i class="mark chain"><\/i>serial chain/);
    expect(html).toMatch(/<i class="mark done"><\/i>done/);
    expectSelfContained(html);
  });

  it('has no end mark when the job failed, and drops phases that last no time', () => {
    const log: Transition[] = [
      { at: 0, worker: 3, status: { kind: 'invoking', attempt: 0 } },
      { at: 2, worker: 3, status: { kind: 'idle' } },
      { at: 2, worker: 3, status: { kind: 'working', chunk: 0, phase: 'fetch' } },
      { at: 2.5, worker: 3, status: { kind: 'failed', reason: 'no answer' } },
    ];
    const html = renderTimeline({ title: 't', summary: 's', latencySeconds: null, workers: 1, transitions: log });
    expect(html).not.toContain('class="mark done"');
    const d = embedded(html);
    expect(d.latencyMs).toBeNull();
    expect(d.phase.map((p) => d.phases[p])).toEqual(['start', 'fetch']);
    expect(d.durMs).toEqual([2000, 500]);
  });

  it('for a job of the paper\'s size: under 600 kB (~95 bytes a worker), an overview, a legend and every worker\'s data, no element per bar', () => {
    const log = paperSizedLog();
    const html = renderTimeline({ title: 'big', summary: '', latencySeconds: 150, workers: 5328, transitions: log, chunksPerBatch: 16 });
    expect(html.length).toBeLessThan(600_000);
    expect(html).toContain('<canvas id="overview">');
    expect(html).toContain('Workers in each phase over time (all 5,328 workers)');
    expect(html).toContain('<canvas id="detail">');
    for (const phase of ['start', 'fetch', 'encode', 'send-state', 'given-state', 'waiting', 'rebase', 'send-final', 'upload']) expect(html).toContain(`</i>${phase}</span>`);
    // Drawn from data, not markup: a handful of elements whatever the job's size.
    expect(html.match(/<(rect|div|span|svg|path|g|title)\b/g)!.length).toBeLessThan(40);
    const d = embedded(html);
    expect([...d.worker].sort((a, b) => a - b)).toEqual(Array.from({ length: 5328 }, (_, w) => w));
    // Every bar of every worker, ending where the worker ended.
    let bar = 0;
    for (let row = 0; row < d.worker.length; row++) {
      const w = d.worker[row]!;
      const bars = d.barCount[row]!;
      expect(bars, `worker ${w}`).toBe(w < 3552 ? 9 : 1);
      let end = d.fromMs[row]!;
      for (let k = 0; k < bars; k++) end += d.durMs[bar + k]!;
      expect(end, `worker ${w}`).toBe(w < 3552 ? 150_000 : 2000 + ((w % 7) * 100));
      bar += bars;
    }
    expect(bar).toBe(d.phase.length);
    expectSelfContained(html);
  });

  it('groups rows by batch in chunk order, a replacement beside the worker it replaced, spares last; x read from the log when not given', () => {
    const profile = loadProfile('paper-sintel-4k');
    const job = jobConfig({ frames: 240, framesPerChunk: 6, chunksPerBatch: 8, seed: 3 });
    const r = simulate({ profile, job, seed: 3, failureProbability: 0.02 });
    const input: TimelineInput = { title: 't', summary: '', latencySeconds: r.latencySeconds, workers: r.workers, transitions: r.transitions };
    const given = timelineData({ ...input, chunksPerBatch: 8 });
    // xc does not say x: the log does.
    expect(timelineData(input)).toEqual(given);
    const firstChunks = given.worker.map((_, row) => {
      const from = given.barCount.slice(0, row).reduce((a, b) => a + b, 0);
      return given.chunk.slice(from, from + given.barCount[row]!).find((c) => c >= 0) ?? Infinity;
    });
    expect(firstChunks).toEqual([...firstChunks].sort((a, b) => a - b));
    expect(firstChunks.at(-1)).toBe(Infinity);
    // Workers failed, and a spare that took over a chunk sits on the next row.
    expect(given.failedRow.length).toBeGreaterThan(0);
    expect(firstChunks.some((c, i) => c !== Infinity && c === firstChunks[i + 1])).toBe(true);
  });
});

describe('the sweep', () => {
  const row = (n: number, x: number, latency: number, failedRuns = 0): SweepRow => ({ framesPerChunk: n, chunksPerBatch: x, workers: 100, runs: 3, failedRuns, latencySeconds: latency, workerSeconds: 1000.25, costUSD: 0.12345 });

  it('writes CSV that parses back, a failed median as an empty latency', () => {
    const rows = [6, 12].flatMap((n) => [1, 4, 16].map((x) => (x === 16 && n === 12 ? row(n, x, NaN, 2) : row(n, x, 10 * x + n))));
    const lines = sweepCsv(rows).trimEnd().split('\r\n');
    expect(lines[0]).toBe('framesPerChunk,chunksPerBatch,workers,runs,failedRuns,latencySeconds,workerSeconds,costUSD');
    expect(lines).toHaveLength(7);
    expect(lines.slice(1).map((l) => l.split(',').map(Number))[2]).toEqual([6, 16, 100, 3, 0, 166, 1000.3, 0.1235]);
    expect(lines[6]).toBe('12,16,100,3,2,,1000.3,0.1235');
  });

  it('puts the x ticks at the values swept, a line per n, and marks a failed point above the plot, with a legend entry', () => {
    const rows = [row(6, 1, 50), row(6, 3, 80, 1), row(6, 10, 120), row(6, 24, NaN, 3), row(12, 1, 70), row(12, 3, 100), row(12, 10, 150), row(12, 24, 260)];
    const svg = sweepSvg(rows, { subtitle: 'paper-sintel-4k, <2400> frames' });
    expect(svg).toMatch(/^<svg[^>]*>/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('paper-sintel-4k, &lt;2400&gt; frames');
    const ticks = [...svg.matchAll(/<g class="x-tick" data-value="(\d+)"><line x1="([\d.]+)"[^>]*\/><text[^>]*>(\d+)<\/text><\/g>/g)];
    expect(ticks.map((t) => Number(t[1]))).toEqual([1, 3, 10, 24]);
    expect(ticks.map((t) => Number(t[3]))).toEqual([1, 3, 10, 24]);
    // Log scale: 1 at the left edge, 24 at the right, 3 a third of the way to 24... in log terms.
    const px = ticks.map((t) => Number(t[2]));
    expect((px[1]! - px[0]!) / (px[3]! - px[0]!)).toBeCloseTo(Math.log(3) / Math.log(24), 2);
    for (const name of ['n=6', 'n=12']) expect(svg).toContain(`>${name}</text>`);
    // The failed point: a cross at x=24, above the plot's top edge, with what failed.
    const failed = [...svg.matchAll(/<g class="failed" data-x="(\d+)" data-n="(\d+)"[^>]*><path d="M([\d.]+),([\d.]+) /g)];
    expect(failed.map((f) => [Number(f[1]), Number(f[2])])).toEqual([[24, 6]]);
    const plotTop = Number(/<rect x="70" y="([\d.]+)" width="[\d.]+" height="[\d.]+" fill="none"/.exec(svg)![1]);
    expect(Number(failed[0]![4])).toBeLessThan(plotTop);
    expect(Number(failed[0]![3]) + 4).toBeCloseTo(px[3]!, 1);
    expect(svg).toContain('<title>n=6, x=24: 3 of 3 runs failed</title>');
    expect(svg).toMatch(/<g class="legend-failed">.*median run failed/);
    // A point where some runs failed is hollow, and the legend says so.
    expect(svg.match(/<circle class="some-failed"/g)).toHaveLength(1);
    expect(svg).toContain('>some runs failed</text>');
    // n=6's line stops before its failed point: three points, two segments.
    expect(svg).toMatch(/<path d="M[\d.]+,[\d.]+ L[\d.]+,[\d.]+ L[\d.]+,[\d.]+" fill="none" stroke="#1f77b4"/);
  });

  it('marks the points whose simulated jobs failed (excamera simulate sweep; serial chains outlive a time limit that chainless jobs fit in)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'excamera-plots-'));
    try {
      // A time limit 1.5 times the latency of 24-frame chunks without chains
      // (x=1): those jobs fit in it, while batches of 16 keep their workers
      // waiting for the chain past it.
      const profile = loadProfile('paper-sintel-4k');
      const chainless = simulate({ profile, job: jobConfig({ frames: 2400, framesPerChunk: 24, chunksPerBatch: 1, seed: 1 }), seed: 1, keepTransitions: false });
      const limited = JSON.parse(serializeProfile(profile)) as { platform: { timeLimitSeconds: number } };
      limited.platform.timeLimitSeconds = Math.ceil(1.5 * chainless.latencySeconds!);
      writeFileSync(join(dir, 'limited.json'), JSON.stringify(limited));
      const csv = join(dir, 's.csv');
      const r = excamera('simulate', 'sweep', '-p', join(dir, 'limited.json'), '-f', '2400', '-n', '24', '-x', '1,3,16', '--seeds', '1', '-o', csv, '-q');
      expect(r.status, r.stderr).toBe(0);
      const rows = readFileSync(csv, 'utf8').trimEnd().split('\r\n').slice(1).map((l) => l.split(','));
      expect(rows.map((row) => row.slice(0, 2))).toEqual([['24', '1'], ['24', '3'], ['24', '16']]);
      expect(Number(rows[0]![5])).toBeGreaterThan(0);
      expect(rows[2]!.slice(4)).toEqual(['1', '', '', '']);
      const svg = readFileSync(join(dir, 's.svg'), 'utf8');
      expect([...svg.matchAll(/<g class="x-tick" data-value="(\d+)">/g)].map((m) => Number(m[1]))).toEqual([1, 3, 16]);
      // A cross for each point without a latency, and none for the others.
      const crosses = [...svg.matchAll(/<g class="failed" data-x="(\d+)" data-n="24"/g)].map((m) => m[1]);
      expect(crosses).toEqual(rows.filter((row) => row[5] === '').map((row) => row[1]));
      expect(svg).toContain(`${profile.name}, 2400 frames; the median of 1 run per point`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const CHROMIUM = findChromium('the timeline\'s browser test');

describe.skipIf(CHROMIUM === null && !TOOLS_REQUIRED)('the timeline page in a browser (needs chromium)', () => {
  type Page = import('playwright-core').Page;
  const browser = sharedChromium(CHROMIUM);
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'excamera-timeline-'));
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a page on the timeline of `input`, collecting every console error and uncaught exception. */
  async function open(input: TimelineInput, name: string): Promise<{ page: Page; errors: string[]; plot: number[]; box: { x: number; y: number } }> {
    const file = join(dir, name);
    writeFileSync(file, renderTimeline(input));
    const page = await browser().newPage({ viewport: { width: 1280, height: 1000 } });
    const errors = pageProblems(page);
    await page.goto(pathToFileURL(file).href);
    // Browser-side code as strings: this project's TypeScript has no DOM types.
    await page.waitForFunction("document.getElementById('view').textContent !== ''");
    const plot = (await page.$eval('#detail', (c) => c.getAttribute('data-plot')!)).split(',').map(Number);
    const box = await page.$eval('#detail', (c) => {
      const r = c.getBoundingClientRect();
      return { x: r.left, y: r.top };
    });
    return { page, errors, plot, box };
  }

  it('hovering a bar shows that worker\'s phases; wheel and a brush zoom; no console errors', async () => {
    const profile = loadProfile('paper-sintel-4k');
    const r = simulate({ profile, job: jobConfig({ frames: 600, framesPerChunk: 6, chunksPerBatch: 4, seed: 1 }), seed: 1 });
    const input: TimelineInput = { title: 'small', summary: '', latencySeconds: r.latencySeconds, workers: r.workers, transitions: r.transitions, chunksPerBatch: 4 };
    const d = timelineData(input);
    const { page, errors, plot, box } = await open(input, 'small.html');
    const [left, top, width, height] = plot as [number, number, number, number];
    // Row 0's encode bar, in the middle.
    const encode = d.phases.indexOf('encode');
    const k = d.phase.slice(0, d.barCount[0]).indexOf(encode);
    const start = d.fromMs[0]! + d.durMs.slice(0, k).reduce((a, b) => a + b, 0);
    const end = start + d.durMs[k]!;
    const x = box.x + left + (((start + end) / 2) / d.endMs) * width;
    const y = box.y + top + (0.5 * height) / d.worker.length;
    await page.mouse.move(x, y);
    const tip = page.locator('#tip');
    await tip.waitFor({ state: 'visible' });
    const text = await tip.textContent();
    expect(text).toContain(`worker ${d.worker[0]} · batch 0, chunk ${d.chunk[k]}`);
    expect(await page.locator('#tip tr.on').textContent()).toBe(`encode${d.chunk[k]}${(start / 1000).toFixed(2)}${(end / 1000).toFixed(2)}${((end - start) / 1000).toFixed(2)}`);
    // Wheel over the rows zooms them; shift+wheel zooms the time.
    const view = page.locator('#view');
    expect(await view.textContent()).toBe(`rows 1–${d.worker.length} of ${d.worker.length} · 0.0–${(d.endMs / 1000).toFixed(1)} s`);
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -200);
    await page.keyboard.down('Shift');
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -200);
    await page.keyboard.up('Shift');
    await page.waitForFunction("!/^rows 1–150 of/.test(document.getElementById('view').textContent)");
    const [, r0, r1, t0, t1] = /^rows (\d+)–(\d+) of 150 · ([\d.]+)–([\d.]+) s$/.exec((await view.textContent())!)!.map(Number);
    expect(r1! - r0!).toBeLessThan(60);
    expect(t1! - t0!).toBeLessThan(d.endMs / 1000 / 2);
    // A drag across the overview picks the time span.
    const ov = await page.$eval('#overview', (c) => {
      const b = c.getBoundingClientRect();
      return { x: b.left, y: b.top };
    });
    await page.mouse.move(ov.x + left + width * 0.25, ov.y + 90);
    await page.mouse.down();
    await page.mouse.move(ov.x + left + width * 0.5, ov.y + 90, { steps: 4 });
    await page.mouse.up();
    const span = ` · ${(d.endMs / 4000).toFixed(1)}–${(d.endMs / 2000).toFixed(1)} s`;
    await page.waitForFunction(`document.getElementById('view').textContent.endsWith(${JSON.stringify(span)})`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws the paper\'s job: the overview\'s bands and every row, without errors', async () => {
    const profile = loadProfile('paper-sintel-4k');
    const r = simulate({ profile, job: jobConfig({ frames: 21312, framesPerChunk: 6, chunksPerBatch: 16, seed: 1 }), seed: 1 });
    const input: TimelineInput = { title: 'paper', summary: '', latencySeconds: r.latencySeconds, workers: r.workers, transitions: r.transitions, chunksPerBatch: 16 };
    const { page, errors } = await open(input, 'paper.html');
    expect(await page.locator('#view').textContent()).toMatch(/^rows 1–5,328 of 5,328 · 0\.0–\d+\.\d s$/);
    // The overview is drawn: its encode band (#1f77b4) covers a good part of it.
    const encodePixels = await page.evaluate(`(() => {
      const c = document.getElementById('overview');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] === 0x1f && px[i + 1] === 0x77 && px[i + 2] === 0xb4) n++;
      return n;
    })()`);
    expect(encodePixels).toBeGreaterThan(2000);
    expect(errors).toEqual([]);
    await page.close();
  });
});
