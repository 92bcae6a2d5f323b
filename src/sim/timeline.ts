// A per-worker timeline of a job, as one self-contained HTML file (no network:
// the data, the script and the styles are inline). The simulator and the real
// runtime draw the same chart from the coordinator's transition log.
//
// A job of the paper's size has over 5,000 workers and 70,000 phases, far too
// many for a row per worker on a page or an SVG element per phase. So the page
// embeds the phases compactly (numbers in JSON arrays, times in integer
// milliseconds) and its script draws them on canvases:
//
//   - an overview: how many workers are in each phase over time, stacked, so
//     that the whole job reads at a glance; dragging on it picks the time span
//     of the chart below;
//   - a Gantt chart of the workers, rows grouped by batch in chunk order, that
//     zooms (wheel: rows, shift+wheel: time) and pans (drag), with a strip of
//     all rows beside it to pick rows from;
//   - a tooltip with the hovered worker's phases, and the serial chain of the
//     hovered batch (each chunk's rebase waits for its predecessor's true final
//     state) drawn across its rows.

import type { Transition } from '../excamera/coordinator/types.js';
import { PHASE_ORDER, phaseOf, phaseRank } from '../excamera/phases.js';

export interface TimelineInput {
  readonly title: string;
  readonly summary: string;
  /** When the last chunk was stored; null when the job failed. */
  readonly latencySeconds: number | null;
  readonly workers: number;
  readonly transitions: readonly Transition[];
  /**
   * x: chunks per batch, which groups the rows and links the serial chains.
   * Without it (a log of `xc`), it is read from the log: see inferChunksPerBatch.
   */
  readonly chunksPerBatch?: number;
}

const COLORS: Readonly<Record<string, string>> = {
  start: '#c7c7c7',
  fetch: '#17becf',
  encode: '#1f77b4',
  'send-state': '#9467bd',
  'given-state': '#ff7f0e',
  waiting: '#f3d9b1',
  rebase: '#d62728',
  'send-final': '#e377c2',
  upload: '#2ca02c',
  idle: '#eeeeee',
  backoff: '#bcbd22',
};

/** A phase no report names (none today) is drawn in this. */
const OTHER_COLOR = '#7f7f7f';

/** Phases in legend order (the reports' order), with their colours. */
export const TIMELINE_PHASES: readonly (readonly [string, string])[] = PHASE_ORDER.map((p) => [p, COLORS[p]!] as const);

/**
 * What the page draws, embedded in it as JSON. Rows are workers in the order
 * they are drawn. A worker is in some phase from its first transition until
 * it is released or fails (both final), so a row's bars follow each other
 * without gaps from `fromMs`, and a bar needs only its phase, its duration
 * and its chunk. Times are integer milliseconds since the job started.
 */
export interface TimelineData {
  /** The time axis's end: the job's end, or its last transition if later. */
  readonly endMs: number;
  /** When the last chunk was stored; null when the job failed. */
  readonly latencyMs: number | null;
  readonly chunksPerBatch: number;
  /** Phase names (PHASE_ORDER, then any other), and their colours. */
  readonly phases: readonly string[];
  readonly colors: readonly string[];
  /** Per row: the worker's number, when its first bar starts, how many bars it has. */
  readonly worker: readonly number[];
  readonly fromMs: readonly number[];
  readonly barCount: readonly number[];
  /** Per bar, rows one after the other: index in `phases`, duration, chunk (-1: none). */
  readonly phase: readonly number[];
  readonly durMs: readonly number[];
  readonly chunk: readonly number[];
  /** The rows of workers that failed (a row's last bar ends when it failed), and why. */
  readonly failedRow: readonly number[];
  readonly failedReason: readonly string[];
}

/** One worker's bars while the log is read: each lasts until the next one starts, the last until `endMs`. */
interface Row {
  readonly worker: number;
  readonly bars: { readonly phase: string; readonly startMs: number; readonly chunk: number }[];
  endMs: number | null;
  failed: string | null;
}

const ms = (seconds: number): number => Math.round(seconds * 1000);

/**
 * x when the caller does not say: a batch's first chunk is uploaded without
 * ever being given a state, every other chunk is given its predecessor's. So
 * x is the first chunk after 0 uploaded without a given-state phase; with none
 * (one batch, or a job that failed early), every chunk counts as one batch.
 */
export function inferChunksPerBatch(transitions: readonly Transition[]): number {
  const given = new Set<number>();
  const uploaded = new Set<number>();
  let chunks = 0;
  for (const t of transitions) {
    if (t.status.kind !== 'working' && t.status.kind !== 'waiting') continue;
    chunks = Math.max(chunks, t.status.chunk + 1);
    if (t.status.phase === 'given-state') given.add(t.status.chunk);
    if (t.status.phase === 'upload') uploaded.add(t.status.chunk);
  }
  let x = Math.max(chunks, 1);
  for (const c of uploaded) if (c > 0 && !given.has(c)) x = Math.min(x, c);
  return x;
}

/**
 * The chart's data from a transition log. Rows are grouped by the batch of
 * the worker's first chunk and ordered by that chunk, so that a batch's
 * serial chain runs down consecutive rows; a replacement sits beside the
 * worker it replaced. Workers that never had a chunk (spares) come last.
 */
export function timelineData(input: TimelineInput): TimelineData {
  const x = input.chunksPerBatch ?? inferChunksPerBatch(input.transitions);
  const rows = new Map<number, Row>();
  const latencyMs = input.latencySeconds === null ? null : ms(input.latencySeconds);
  let endMs = latencyMs ?? 0;
  for (const t of input.transitions) {
    const at = ms(t.at);
    endMs = Math.max(endMs, at);
    let row = rows.get(t.worker);
    if (row === undefined) rows.set(t.worker, (row = { worker: t.worker, bars: [], endMs: null, failed: null }));
    // A bar that ends where it starts draws nothing and tells nothing.
    if (row.bars.length > 0 && row.bars[row.bars.length - 1]!.startMs === at) row.bars.pop();
    const phase = phaseOf(t);
    if (phase === null) {
      row.endMs = at;
      if (t.status.kind === 'failed') row.failed = t.status.reason;
      continue;
    }
    const chunk = t.status.kind === 'working' || t.status.kind === 'waiting' ? t.status.chunk : -1;
    const open = row.bars[row.bars.length - 1];
    // The same phase of the same chunk again (waiting, then waiting on) continues the bar.
    if (open !== undefined && open.phase === phase && open.chunk === chunk) continue;
    row.bars.push({ phase, startMs: at, chunk });
  }

  // Display order: by the worker's first chunk (so batch by batch, in chunk
  // order), then when it took it; workers without a chunk after them all.
  const firstChunk = (r: Row): { chunk: number; at: number } => {
    const b = r.bars.find((bar) => bar.chunk >= 0);
    return b === undefined ? { chunk: Number.MAX_SAFE_INTEGER, at: 0 } : { chunk: b.chunk, at: b.startMs };
  };
  const keyed = [...rows.values()].map((r) => ({ r, first: firstChunk(r) }));
  keyed.sort((a, b) => a.first.chunk - b.first.chunk || a.first.at - b.first.at || a.r.worker - b.r.worker);

  const phases = [...new Set([...rows.values()].flatMap((r) => r.bars.map((b) => b.phase)))].sort((a, b) => phaseRank(a) - phaseRank(b));
  const phaseIndex = new Map(phases.map((p, i) => [p, i]));
  const data = {
    endMs,
    latencyMs,
    chunksPerBatch: x,
    phases,
    colors: phases.map((p) => COLORS[p] ?? OTHER_COLOR),
    worker: [] as number[],
    fromMs: [] as number[],
    barCount: [] as number[],
    phase: [] as number[],
    durMs: [] as number[],
    chunk: [] as number[],
    failedRow: [] as number[],
    failedReason: [] as string[],
  };
  for (const [i, { r }] of keyed.entries()) {
    const rowEnd = r.endMs ?? endMs;
    data.worker.push(r.worker);
    data.fromMs.push(r.bars[0]?.startMs ?? rowEnd);
    data.barCount.push(r.bars.length);
    r.bars.forEach((b, k) => {
      data.phase.push(phaseIndex.get(b.phase)!);
      data.durMs.push((r.bars[k + 1]?.startMs ?? rowEnd) - b.startMs);
      data.chunk.push(b.chunk);
    });
    if (r.failed !== null) {
      data.failedRow.push(i);
      data.failedReason.push(r.failed);
    }
  }
  return data;
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON inside a <script> element: no "</script>" or "<!--" may appear in it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

export function renderTimeline(input: TimelineInput): string {
  const data = timelineData(input);
  const legend = data.phases.map((p, i) => `<span><i style="background:${data.colors[i]}"></i>${escape(p)}</span>`);
  legend.push('<span><i class="mark failed"></i>failed (end of a worker)</span>');
  legend.push('<span><i class="mark chain"></i>serial chain of a batch (rebase, send-final)</span>');
  if (data.latencyMs !== null) legend.push('<span><i class="mark done"></i>done (last chunk stored)</span>');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(input.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:18px;margin:0 0 4px}
h2{font-size:15px;margin:14px 0 4px}
p{margin:0 0 6px}
.hint{color:#555;font-size:13px}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:8px 0}
.legend span{white-space:nowrap}
.legend i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-2px;border:1px solid #888}
.legend i.mark{border:0;background:none;position:relative}
.legend i.failed::after{content:"";position:absolute;left:5px;top:-1px;width:3px;height:15px;background:#000}
.legend i.chain::after{content:"";position:absolute;left:-2px;top:5px;width:16px;height:2px;background:#000;box-shadow:0 0 0 1px #fff}
.legend i.done::after{content:"";position:absolute;left:5px;top:-1px;height:15px;border-left:2px dashed #000}
.bar{display:flex;align-items:baseline;gap:12px}
.bar h2{margin-right:4px}
#view{color:#555;font-size:13px;font-variant-numeric:tabular-nums}
button{font:13px system-ui,sans-serif}
canvas{display:block;touch-action:none}
#detail{cursor:grab}
#tip{position:fixed;display:none;z-index:1;pointer-events:none;max-width:460px;padding:6px 8px;font-size:12px;background:#fff;border:1px solid #888;box-shadow:0 2px 8px rgba(0,0,0,.2)}
#tip .head{font-weight:600;margin-bottom:3px}
#tip .note{color:#555;margin-top:3px}
#tip table{border-collapse:collapse;font-variant-numeric:tabular-nums}
#tip th{font-weight:normal;color:#555;text-align:right;padding:0 0 0 10px}
#tip td{text-align:right;padding:0 0 0 10px}
#tip th:first-child,#tip td:first-child{text-align:left;padding:0}
#tip tr.on{background:#e8eefc;font-weight:600}
#tip i{display:inline-block;width:9px;height:9px;margin-right:4px;border:1px solid #888}
</style></head><body>
<h1>${escape(input.title)}</h1>
<p>${escape(input.summary)}</p>
<div class="legend">${legend.join('')}</div>
<h2>Workers in each phase over time (all ${data.worker.length.toLocaleString('en-US')} workers)</h2>
<p class="hint">Drag across this chart to show that time span below; click to move the span there, double-click to show the whole job.</p>
<canvas id="overview"></canvas>
<div class="bar"><h2>Each worker</h2><span id="view"></span><button id="reset" type="button">Show all</button></div>
<p class="hint">Rows are workers, grouped by batch in chunk order (once tall enough, “c12 · w345” is chunk 12 on worker 345). Wheel: zoom the rows; shift+wheel: zoom the time; drag: pan; the strip on the right shows every row (drag on it to pick rows). Hover a bar for the worker's phases and its batch's serial chain.</p>
<canvas id="detail"></canvas>
<div id="tip"></div>
<script type="application/json" id="timeline-data">${scriptJson(data)}</script>
<script>${CLIENT}</script>
</body></html>
`;
}

// The page's script. It is plain JavaScript in a string (this project's
// TypeScript has no DOM types), so it avoids backquotes and dollar-braces.
const CLIENT = String.raw`
(() => {
  'use strict';
  const D = JSON.parse(document.getElementById('timeline-data').textContent);
  const R = D.worker.length;
  const X = D.chunksPerBatch;
  const END = Math.max(D.endMs, 1);

  // ---- the data, unpacked: row r's bars are first[r] .. first[r + 1] - 1 ----
  const first = new Int32Array(R + 1);
  for (let r = 0; r < R; r++) first[r + 1] = first[r] + D.barCount[r];
  const NB = first[R];
  const barStart = new Float64Array(NB);
  const barEnd = new Float64Array(NB);
  const barRow = new Int32Array(NB);
  const rowEnd = new Float64Array(R);
  const rowChunk = new Int32Array(R).fill(-1);
  for (let r = 0; r < R; r++) {
    let t = D.fromMs[r];
    for (let b = first[r]; b < first[r + 1]; b++) {
      barStart[b] = t;
      t += D.durMs[b];
      barEnd[b] = t;
      barRow[b] = r;
      if (rowChunk[r] < 0) rowChunk[r] = D.chunk[b];
    }
    rowEnd[r] = t;
  }
  const failure = new Map(D.failedRow.map((r, i) => [r, D.failedReason[i]]));
  const batchOf = (c) => (c < 0 ? -1 : Math.floor(c / X));

  // Runs of consecutive rows of one batch (-1: no chunk), for labels and shading.
  const groups = [];
  for (let r = 0; r < R; r++) {
    const batch = batchOf(rowChunk[r]);
    const last = groups[groups.length - 1];
    if (last !== undefined && last.batch === batch) last.r1 = r + 1;
    else groups.push({ batch, r0: r, r1: r + 1 });
  }

  // The serial chain of each batch: chunk c's rebase waits for chunk c-1's
  // true final state, which c-1 sends in its send-final. A chain is a list of
  // [ms, row] points: each chunk's serial step, from the start of its rebase
  // (or, second in its batch, of its send-final) to the end of its send-final
  // (or, last, of its rebase). A chunk run twice counts its last run.
  let chunks = 0;
  for (const c of D.chunk) if (c + 1 > chunks) chunks = c + 1;
  const rebaseBar = new Int32Array(chunks).fill(-1);
  const finalBar = new Int32Array(chunks).fill(-1);
  const iRebase = D.phases.indexOf('rebase');
  const iFinal = D.phases.indexOf('send-final');
  for (let b = 0; b < NB; b++) {
    const c = D.chunk[b];
    const slot = D.phase[b] === iRebase ? rebaseBar : D.phase[b] === iFinal ? finalBar : null;
    if (c >= 0 && slot !== null && (slot[c] < 0 || barStart[b] >= barStart[slot[c]])) slot[c] = b;
  }
  const chains = [];
  for (let k = 0; k * X < chunks; k++) {
    const points = [];
    for (let c = k * X + 1; c < Math.min(chunks, (k + 1) * X); c++) {
      const s = rebaseBar[c] >= 0 ? rebaseBar[c] : finalBar[c];
      const e = finalBar[c] >= 0 ? finalBar[c] : rebaseBar[c];
      if (s >= 0) points.push([barStart[s], barRow[s]], [barEnd[e], barRow[e]]);
    }
    chains.push(points);
  }

  // ---- layout ----
  const LEFT = 108;            // row labels and the overview's count axis
  const RIGHT = 64;            // the detail's strip of all rows
  const STRIP = 40;
  const OV = { top: 22, h: 150, bottom: 42 };
  const DT = { top: 22, h: 560, bottom: 42 };
  const FONT = '11px system-ui, sans-serif';
  const ov = document.getElementById('overview');
  const dt = document.getElementById('detail');
  const tip = document.getElementById('tip');
  const ovBase = document.createElement('canvas');
  const dtBase = document.createElement('canvas');
  const strip = document.createElement('canvas');
  let W = 0;
  let PW = 0;
  let dpr = 1;
  let occ = null;              // the overview's bins: workers per phase, phase-major
  let bins = 0;
  let binMax = 0;

  const view = { t0: 0, t1: END, r0: 0, r1: Math.max(R, 1) };
  let hover = null;            // { row, bar, batch } under the pointer in the detail
  let hoverMs = -1;            // time under the pointer in the overview
  let drag = null;

  function size(c, w, h) {
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    c.style.width = w + 'px';
    c.style.height = h + 'px';
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    return g;
  }

  function layout() {
    dpr = window.devicePixelRatio || 1;
    W = Math.max(640, Math.min(document.documentElement.clientWidth - 32, 1600));
    PW = W - LEFT - RIGHT;
    size(ov, W, OV.top + OV.h + OV.bottom);
    size(ovBase, W, OV.top + OV.h + OV.bottom);
    size(dt, W, DT.top + DT.h + DT.bottom);
    size(dtBase, W, DT.top + DT.h + DT.bottom);
    // Where the detail's plot is, in CSS pixels of the canvas, for scripts (and tests) that aim at it.
    dt.dataset.plot = [LEFT, DT.top, PW, DT.h].join(',');
    bins = Math.max(1, Math.round(PW));
    occupancy();
    drawOverviewBase();
    drawStrip();
    invalidate(true);
  }

  // ---- numbers and axes ----
  function niceTicks(lo, hi, count) {
    const span = hi - lo;
    if (!(span > 0)) return { step: 1, values: [lo] };
    const raw = span / Math.max(1, count);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999);
    const values = [];
    for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) values.push(Number(v.toPrecision(12)));
    return { step, values };
  }
  const decimals = (step) => (step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3);
  const secs = (msValue, d) => (msValue / 1000).toFixed(d === undefined ? 2 : d);
  const count = (n) => Math.round(n).toLocaleString('en-US');
  const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));

  /** A time axis under a plot [x0, x0 + w] showing [t0, t1] ms; with gridTop, grid lines up to it. */
  function timeAxis(g, x0, w, y, t0, t1, gridTop) {
    const { step, values } = niceTicks(t0 / 1000, t1 / 1000, Math.max(2, Math.floor(w / 90)));
    g.font = FONT;
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (const s of values) {
      const x = x0 + ((s * 1000 - t0) / (t1 - t0)) * w;
      g.fillStyle = '#ddd';
      if (gridTop !== undefined) g.fillRect(Math.round(x), gridTop, 1, y - gridTop);
      g.fillStyle = '#555';
      g.fillRect(Math.round(x), y, 1, 4);
      g.fillStyle = '#222';
      g.fillText(s.toFixed(decimals(step)), x, y + 6);
    }
    g.fillText('seconds since the job started', x0 + w / 2, y + 22);
  }

  /** The job's end: a dashed line over a plot, labelled above it. */
  function doneLine(g, x, top, h) {
    g.save();
    g.strokeStyle = '#000';
    g.lineWidth = 1.5;
    g.setLineDash([4, 3]);
    g.beginPath();
    g.moveTo(x, top - 4);
    g.lineTo(x, top + h);
    g.stroke();
    g.restore();
    g.fillStyle = '#000';
    g.font = FONT;
    g.textAlign = x > LEFT + PW - 60 ? 'right' : 'center';
    g.textBaseline = 'bottom';
    g.fillText('done ' + secs(D.latencyMs, 1) + ' s', x, top - 5);
  }

  function haloText(g, text, x, y) {
    g.lineWidth = 3;
    g.strokeStyle = 'rgba(255,255,255,0.85)';
    g.strokeText(text, x, y);
    g.fillText(text, x, y);
  }

  // ---- the overview: mean workers per phase in each bin (a pixel) of time ----
  function occupancy() {
    const P = D.phases.length;
    const w = END / bins;
    occ = new Float64Array(P * bins);
    const steps = new Float64Array(P * (bins + 1));
    for (let b = 0; b < NB; b++) {
      const a = barStart[b] / w;
      const z = Math.min(barEnd[b] / w, bins);
      if (!(z > a)) continue;
      const ia = Math.floor(a);
      const iz = Math.floor(z);
      const base = D.phase[b] * bins;
      if (ia === iz) {
        occ[base + ia] += z - a;
        continue;
      }
      occ[base + ia] += ia + 1 - a;
      if (iz < bins) occ[base + iz] += z - iz;
      // Whole bins in between, as steps summed below.
      steps[D.phase[b] * (bins + 1) + ia + 1] += 1;
      steps[D.phase[b] * (bins + 1) + iz] -= 1;
    }
    binMax = 0;
    const total = new Float64Array(bins);
    for (let p = 0; p < P; p++) {
      let run = 0;
      for (let i = 0; i < bins; i++) {
        run += steps[p * (bins + 1) + i];
        occ[p * bins + i] += run;
        total[i] += occ[p * bins + i];
      }
    }
    for (let i = 0; i < bins; i++) binMax = Math.max(binMax, total[i]);
  }

  function drawOverviewBase() {
    const g = ovBase.getContext('2d');
    const P = D.phases.length;
    g.clearRect(0, 0, W, OV.top + OV.h + OV.bottom);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, W, OV.top + OV.h + OV.bottom);
    const ticks = niceTicks(0, Math.max(binMax, 1), 4);
    const top = Math.max(ticks.values[ticks.values.length - 1], binMax, 1);
    const y = (n) => OV.top + OV.h - (n / top) * OV.h;
    g.font = FONT;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (const v of ticks.values) {
      g.fillStyle = '#e4e4e4';
      g.fillRect(LEFT, Math.round(y(v)), PW, 1);
      g.fillStyle = '#222';
      g.fillText(count(v), LEFT - 6, y(v));
    }
    g.save();
    g.translate(14, OV.top + OV.h / 2);
    g.rotate(-Math.PI / 2);
    g.textAlign = 'center';
    g.fillText('workers', 0, 0);
    g.restore();
    // The bands, stacked in phase order from the bottom.
    const lower = new Float64Array(bins);
    const bands = [];
    for (let p = 0; p < P; p++) {
      let any = false;
      for (let i = 0; i < bins && !any; i++) any = occ[p * bins + i] > 0;
      if (!any) continue;
      g.fillStyle = D.colors[p];
      g.beginPath();
      g.moveTo(LEFT, y(lower[0]));
      for (let i = 0; i < bins; i++) {
        g.lineTo(LEFT + i, y(lower[i] + occ[p * bins + i]));
        g.lineTo(LEFT + i + 1, y(lower[i] + occ[p * bins + i]));
      }
      for (let i = bins - 1; i >= 0; i--) {
        g.lineTo(LEFT + i + 1, y(lower[i]));
        g.lineTo(LEFT + i, y(lower[i]));
      }
      g.closePath();
      g.fill();
      // Where the band is thickest, for its label.
      let best = -1;
      let thick = 0;
      for (let i = 0; i < bins; i++) {
        if (occ[p * bins + i] > thick) {
          thick = occ[p * bins + i];
          best = i;
        }
      }
      bands.push({ p, i: best, mid: lower[best] + thick / 2, px: (thick / top) * OV.h });
      for (let i = 0; i < bins; i++) lower[i] += occ[p * bins + i];
    }
    // Label each band that is thick enough, where it is thickest, unless it would cover another label.
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.fillStyle = '#111';
    const placed = [];
    for (const b of bands) {
      if (b.px < 13) continue;
      const text = D.phases[b.p];
      const w = g.measureText(text).width + 6;
      const x = clamp(LEFT + b.i, LEFT + w / 2, LEFT + PW - w / 2);
      const yy = y(b.mid);
      if (placed.some((q) => Math.abs(q.x - x) < (q.w + w) / 2 && Math.abs(q.y - yy) < 13)) continue;
      placed.push({ x, y: yy, w });
      haloText(g, text, x, yy);
    }
    g.strokeStyle = '#999';
    g.lineWidth = 1;
    g.strokeRect(LEFT + 0.5, OV.top + 0.5, PW, OV.h);
    timeAxis(g, LEFT, PW, OV.top + OV.h, 0, END);
    if (D.latencyMs !== null) doneLine(g, LEFT + (D.latencyMs / END) * PW, OV.top, OV.h);
  }

  function drawOverview() {
    const g = ov.getContext('2d');
    g.clearRect(0, 0, W, OV.top + OV.h + OV.bottom);
    g.drawImage(ovBase, 0, 0, W, OV.top + OV.h + OV.bottom);
    const x0 = LEFT + (view.t0 / END) * PW;
    const x1 = LEFT + (view.t1 / END) * PW;
    if (view.t0 > 0 || view.t1 < END) {
      // The span the Gantt chart shows; the rest veiled.
      g.fillStyle = 'rgba(255,255,255,0.65)';
      g.fillRect(LEFT, OV.top, x0 - LEFT, OV.h);
      g.fillRect(x1, OV.top, LEFT + PW - x1, OV.h);
      g.strokeStyle = '#000';
      g.lineWidth = 1.5;
      g.strokeRect(x0, OV.top + 0.75, Math.max(x1 - x0, 1), OV.h - 1.5);
    }
    if (hoverMs >= 0) {
      g.fillStyle = 'rgba(0,0,0,0.6)';
      g.fillRect(Math.round(LEFT + (hoverMs / END) * PW), OV.top, 1, OV.h);
    }
  }

  // ---- the Gantt chart ----
  const tx = (t) => LEFT + ((t - view.t0) / (view.t1 - view.t0)) * PW;
  const rowH = () => DT.h / (view.r1 - view.r0);
  const ry = (r) => DT.top + (r - view.r0) * rowH();

  /** Every row into the strip: the whole job, small, to pick rows from. */
  function drawStrip() {
    const h = DT.top + DT.h + DT.bottom;
    const g = size(strip, STRIP, h);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, STRIP, h);
    const k = DT.h / Math.max(R, 1);
    paintBars(g, 0, R, 0, END, (t) => (t / END) * STRIP, (r) => (k < 1 ? Math.floor(DT.top + r * k) : DT.top + r * k), Math.max(k, 1));
  }

  /**
   * Rows r0..r1-1 of bars within [t0, t1] ms. Where rows are thinner than a
   * pixel, several share a pixel and the last drawn shows: a sample of the
   * rows there, whatever their phases.
   */
  function paintBars(g, r0, r1, t0, t1, xOf, yOf, h) {
    for (let r = r0; r < r1; r++) {
      const y = yOf(r);
      for (let b = first[r]; b < first[r + 1]; b++) {
        if (barEnd[b] <= t0) continue;
        if (barStart[b] >= t1) break;
        const x = xOf(barStart[b]);
        g.fillStyle = D.colors[D.phase[b]];
        g.fillRect(x, y, xOf(barEnd[b]) - x, h);
      }
    }
  }

  function drawBars(g) {
    const h = rowH();
    // Rows thinner than a pixel are drawn a pixel high on whole pixels:
    // slivers of a pixel would blend into pale colours that no phase has.
    const thin = h < 1;
    const bh = thin ? 1 : h - (h >= 8 ? 1 : 0);
    const yOf = thin ? (r) => Math.floor(ry(r)) : ry;
    const r0 = Math.max(0, Math.floor(view.r0));
    const r1 = Math.min(R, Math.ceil(view.r1));
    paintBars(g, r0, r1, view.t0, view.t1, tx, yOf, bh);
    g.fillStyle = '#000';
    for (const [r] of failure) {
      if (r >= r0 && r < r1 && rowEnd[r] >= view.t0 && rowEnd[r] <= view.t1) g.fillRect(tx(rowEnd[r]) - 1, yOf(r), 2, Math.max(bh, 2));
    }
  }

  function chainPath(g, points) {
    g.beginPath();
    points.forEach(([t, r], i) => {
      const y = ry(r + 0.5);
      if (i === 0) g.moveTo(tx(t), y);
      else g.lineTo(tx(t), y);
    });
  }

  function drawDetailBase() {
    const g = dtBase.getContext('2d');
    const H = DT.top + DT.h + DT.bottom;
    const h = rowH();
    g.fillStyle = '#fff';
    g.fillRect(0, 0, W, H);
    g.save();
    g.beginPath();
    g.rect(LEFT, DT.top, PW, DT.h);
    g.clip();
    // Every other batch shaded, so that groups read where bars do not fill the rows.
    for (const grp of groups) {
      if (grp.r1 <= view.r0 || grp.r0 >= view.r1) continue;
      if (grp.batch >= 0 && grp.batch % 2 === 1) {
        g.fillStyle = '#f4f4f4';
        g.fillRect(LEFT, ry(grp.r0), PW, (grp.r1 - grp.r0) * h);
      }
    }
    g.restore();
    timeAxis(g, LEFT, PW, DT.top + DT.h, view.t0, view.t1, DT.top);
    g.save();
    g.beginPath();
    g.rect(LEFT, DT.top, PW, DT.h);
    g.clip();
    drawBars(g);
    // Batch boundaries, and every batch's chain, once there is room for them.
    for (const grp of groups) {
      if (grp.r1 <= view.r0 || grp.r0 >= view.r1) continue;
      if ((grp.r1 - grp.r0) * h >= 6) {
        g.fillStyle = '#aaa';
        g.fillRect(LEFT, Math.round(ry(grp.r0)), PW, 1);
      }
      if (h >= 3 && grp.batch >= 0 && chains[grp.batch] !== undefined) {
        g.strokeStyle = 'rgba(0,0,0,0.6)';
        g.lineWidth = 1;
        chainPath(g, chains[grp.batch]);
        g.stroke();
      }
    }
    g.restore();
    if (D.latencyMs !== null && D.latencyMs >= view.t0 && D.latencyMs <= view.t1) doneLine(g, tx(D.latencyMs), DT.top, DT.h);
    g.strokeStyle = '#999';
    g.lineWidth = 1;
    g.strokeRect(LEFT + 0.5, DT.top + 0.5, PW, DT.h);
    rowLabels(g, h);
    // The strip of all rows, the shown rows and time framed, the rest veiled.
    const sx = LEFT + PW + (RIGHT - STRIP) / 2;
    g.drawImage(strip, sx, 0, STRIP, H);
    const k = DT.h / Math.max(R, 1);
    const wy0 = DT.top + view.r0 * k;
    const wy1 = DT.top + view.r1 * k;
    g.fillStyle = 'rgba(255,255,255,0.7)';
    g.fillRect(sx, DT.top, STRIP, wy0 - DT.top);
    g.fillRect(sx, wy1, STRIP, DT.top + DT.h - wy1);
    g.strokeStyle = '#000';
    g.lineWidth = 1.5;
    g.strokeRect(sx + (view.t0 / END) * STRIP, wy0, Math.max(((view.t1 - view.t0) / END) * STRIP, 2), Math.max(wy1 - wy0, 2));
    g.strokeStyle = '#999';
    g.lineWidth = 1;
    g.strokeRect(sx - 0.5, DT.top - 0.5, STRIP + 1, DT.h + 1);
    g.fillStyle = '#222';
    g.font = FONT;
    g.textAlign = 'center';
    g.textBaseline = 'bottom';
    g.fillText('all rows', sx + STRIP / 2, DT.top - 4);
  }

  /** Worker and chunk of each row once rows are tall enough; else a batch label per group with room for one. */
  function rowLabels(g, h) {
    g.save();
    g.beginPath();
    g.rect(0, DT.top - 6, LEFT - 2, DT.h + 12);
    g.clip();
    g.font = FONT;
    g.fillStyle = '#222';
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    if (h >= 12) {
      for (let r = Math.max(0, Math.floor(view.r0)); r < Math.min(R, Math.ceil(view.r1)); r++) {
        const c = rowChunk[r];
        g.fillText((c >= 0 ? 'c' + c + ' · ' : '') + 'w' + D.worker[r], LEFT - 6, ry(r + 0.5));
      }
    } else {
      let lastY = -Infinity;
      for (const grp of groups) {
        const a = Math.max(ry(grp.r0), DT.top);
        const z = Math.min(ry(grp.r1), DT.top + DT.h);
        if (z <= a) continue;
        const y = (a + z) / 2;
        if (y - lastY < 14) continue;
        lastY = y;
        g.fillText(grp.batch >= 0 ? 'batch ' + grp.batch : 'no chunk', LEFT - 6, y);
      }
    }
    g.restore();
    g.save();
    g.translate(14, DT.top + DT.h / 2);
    g.rotate(-Math.PI / 2);
    g.textAlign = 'center';
    g.fillStyle = '#222';
    g.font = FONT;
    g.fillText('workers (' + count(R) + '), by batch and chunk', 0, 0);
    g.restore();
  }

  function drawDetail() {
    const g = dt.getContext('2d');
    const H = DT.top + DT.h + DT.bottom;
    g.clearRect(0, 0, W, H);
    g.drawImage(dtBase, 0, 0, W, H);
    if (hover === null) return;
    g.save();
    g.beginPath();
    g.rect(LEFT, DT.top, PW, DT.h);
    g.clip();
    const h = rowH();
    const y = ry(hover.row);
    g.strokeStyle = '#000';
    g.lineWidth = 1;
    g.strokeRect(LEFT + 0.5, y, PW - 1, Math.max(h, 1));
    if (hover.bar >= 0) {
      g.lineWidth = 2;
      g.strokeRect(tx(barStart[hover.bar]) - 1, y - 1, tx(barEnd[hover.bar]) - tx(barStart[hover.bar]) + 2, Math.max(h, 1) + 2);
    }
    const chain = hover.batch >= 0 ? chains[hover.batch] : undefined;
    if (chain !== undefined && chain.length > 0) {
      chainPath(g, chain);
      g.strokeStyle = '#fff';
      g.lineWidth = 5;
      g.stroke();
      g.strokeStyle = '#000';
      g.lineWidth = 2.5;
      g.stroke();
    }
    g.restore();
  }

  let pending = false;
  let baseStale = false;
  function invalidate(base) {
    baseStale = baseStale || base;
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (baseStale) drawDetailBase();
      baseStale = false;
      drawOverview();
      drawDetail();
      document.getElementById('view').textContent =
        'rows ' + count(Math.floor(view.r0) + 1) + '–' + count(Math.min(R, Math.ceil(view.r1))) + ' of ' + count(R) +
        ' · ' + secs(view.t0, 1) + '–' + secs(view.t1, 1) + ' s';
    });
  }

  // ---- the view: a span of time and of rows, kept inside the job ----
  function setTime(t0, t1) {
    const span = clamp(t1 - t0, Math.min(END, 20), END);
    const a = clamp(t0, 0, END - span);
    view.t0 = a;
    view.t1 = a + span;
    invalidate(true);
  }
  function setRows(r0, r1) {
    const all = Math.max(R, 1);
    const span = clamp(r1 - r0, Math.min(all, 4), all);
    const a = clamp(r0, 0, all - span);
    view.r0 = a;
    view.r1 = a + span;
    invalidate(true);
  }
  function reset() {
    setTime(0, END);
    setRows(0, R);
  }

  // ---- the tooltip ----
  function cell(tr, tag, text) {
    const c = document.createElement(tag);
    c.textContent = text;
    tr.appendChild(c);
    return c;
  }
  function showTip(e, build) {
    tip.replaceChildren();
    build(tip);
    tip.style.display = 'block';
    const w = tip.offsetWidth;
    const h = tip.offsetHeight;
    tip.style.left = (e.clientX + 16 + w > window.innerWidth ? Math.max(4, e.clientX - 16 - w) : e.clientX + 16) + 'px';
    tip.style.top = (e.clientY + 16 + h > window.innerHeight ? Math.max(4, e.clientY - 16 - h) : e.clientY + 16) + 'px';
  }
  function hideTip() {
    tip.style.display = 'none';
  }

  /** A worker's phases: every bar of its row (a window of them around the hovered one when there are many). */
  function workerTip(el, row, bar, shared) {
    const c = rowChunk[row];
    const head = document.createElement('div');
    head.className = 'head';
    head.textContent = 'worker ' + D.worker[row] + (c >= 0 ? ' · batch ' + batchOf(c) + ', chunk ' + c + (c % X === 0 ? ' (first of its batch)' : '') : ' · no chunk');
    el.appendChild(head);
    const table = document.createElement('table');
    const hr = document.createElement('tr');
    for (const t of ['phase', 'chunk', 'start s', 'end s', 'duration s']) cell(hr, 'th', t);
    table.appendChild(hr);
    const MAX = 16;
    const n = first[row + 1] - first[row];
    const at = bar >= 0 ? bar - first[row] : 0;
    const from = n <= MAX ? 0 : clamp(at - MAX / 2, 0, n - MAX);
    const to = Math.min(n, from + MAX);
    for (let k = from; k < to; k++) {
      const b = first[row] + k;
      const tr = document.createElement('tr');
      if (b === bar) tr.className = 'on';
      const name = cell(tr, 'td', D.phases[D.phase[b]]);
      const sw = document.createElement('i');
      sw.style.background = D.colors[D.phase[b]];
      name.prepend(sw);
      cell(tr, 'td', D.chunk[b] >= 0 ? String(D.chunk[b]) : '');
      cell(tr, 'td', secs(barStart[b]));
      cell(tr, 'td', secs(barEnd[b]));
      cell(tr, 'td', secs(barEnd[b] - barStart[b]));
      table.appendChild(tr);
    }
    el.appendChild(table);
    const notes = [];
    if (from > 0 || to < n) notes.push('phases ' + (from + 1) + '–' + to + ' of ' + n);
    if (failure.has(row)) notes.push('failed at ' + secs(rowEnd[row]) + ' s: ' + failure.get(row));
    if (shared > 1) notes.push(shared + ' rows share this line: zoom in (wheel) to pick one');
    for (const text of notes) {
      const p = document.createElement('div');
      p.className = 'note';
      p.textContent = text;
      el.appendChild(p);
    }
  }

  // ---- pointer: hover, brush, pan, zoom ----
  const local = (c, e) => {
    const box = c.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  };
  const inPlot = (p, top, h) => p.x >= LEFT && p.x <= LEFT + PW && p.y >= top && p.y <= top + h;
  const ovTime = (x) => clamp(((x - LEFT) / PW) * END, 0, END);
  const inStrip = (p) => p.x >= LEFT + PW && p.y >= DT.top && p.y <= DT.top + DT.h;
  const stripRow = (y) => clamp(((y - DT.top) / DT.h) * R, 0, R);

  ov.addEventListener('pointerdown', (e) => {
    const p = local(ov, e);
    if (!inPlot(p, OV.top, OV.h)) return;
    drag = { kind: 'time', from: ovTime(p.x), x: p.x, moved: false };
    ov.setPointerCapture(e.pointerId);
  });
  ov.addEventListener('pointermove', (e) => {
    const p = local(ov, e);
    if (drag !== null && drag.kind === 'time') {
      drag.moved = drag.moved || Math.abs(p.x - drag.x) > 3;
      if (drag.moved) {
        const t = ovTime(p.x);
        setTime(Math.min(drag.from, t), Math.max(drag.from, t));
      }
      hideTip();
      return;
    }
    if (!inPlot(p, OV.top, OV.h)) {
      hoverMs = -1;
      hideTip();
      invalidate(false);
      return;
    }
    hoverMs = ovTime(p.x);
    const i = clamp(Math.floor(((p.x - LEFT) / PW) * bins), 0, bins - 1);
    showTip(e, (el) => {
      const head = document.createElement('div');
      head.className = 'head';
      head.textContent = 'at ' + secs(hoverMs, 1) + ' s: workers in each phase';
      el.appendChild(head);
      const table = document.createElement('table');
      let total = 0;
      for (let q = D.phases.length - 1; q >= 0; q--) {
        const n = occ[q * bins + i];
        total += n;
        if (n < 0.5) continue;
        const tr = document.createElement('tr');
        const name = cell(tr, 'td', D.phases[q]);
        const sw = document.createElement('i');
        sw.style.background = D.colors[q];
        name.prepend(sw);
        cell(tr, 'td', count(n));
        table.appendChild(tr);
      }
      const tr = document.createElement('tr');
      cell(tr, 'th', 'all');
      cell(tr, 'th', count(total));
      table.appendChild(tr);
      el.appendChild(table);
    });
    invalidate(false);
  });
  ov.addEventListener('pointerup', (e) => {
    if (drag === null) return;
    if (!drag.moved) {
      const span = view.t1 - view.t0;
      setTime(drag.from - span / 2, drag.from + span / 2);
    }
    drag = null;
    ov.releasePointerCapture(e.pointerId);
  });
  ov.addEventListener('pointerleave', () => {
    hoverMs = -1;
    hideTip();
    invalidate(false);
  });
  ov.addEventListener('dblclick', () => setTime(0, END));

  dt.addEventListener('pointerdown', (e) => {
    const p = local(dt, e);
    if (inStrip(p)) {
      const r = stripRow(p.y);
      drag = r >= view.r0 && r <= view.r1 ? { kind: 'move-rows', y: p.y, r0: view.r0, r1: view.r1 } : { kind: 'pick-rows', from: r };
    } else if (inPlot(p, DT.top, DT.h)) {
      drag = { kind: 'pan', x: p.x, y: p.y, t0: view.t0, t1: view.t1, r0: view.r0, r1: view.r1 };
      dt.style.cursor = 'grabbing';
    } else return;
    hover = null;
    hideTip();
    dt.setPointerCapture(e.pointerId);
  });
  dt.addEventListener('pointermove', (e) => {
    const p = local(dt, e);
    if (drag !== null) {
      if (drag.kind === 'pan') {
        const dtMs = ((p.x - drag.x) / PW) * (drag.t1 - drag.t0);
        const dr = ((p.y - drag.y) / DT.h) * (drag.r1 - drag.r0);
        setTime(drag.t0 - dtMs, drag.t1 - dtMs);
        setRows(drag.r0 - dr, drag.r1 - dr);
      } else if (drag.kind === 'move-rows') {
        const dr = ((p.y - drag.y) / DT.h) * R;
        setRows(drag.r0 + dr, drag.r1 + dr);
      } else {
        const r = stripRow(p.y);
        setRows(Math.min(drag.from, r), Math.max(drag.from, r));
      }
      return;
    }
    if (!inPlot(p, DT.top, DT.h) || R === 0) {
      if (hover !== null) invalidate(false);
      hover = null;
      hideTip();
      return;
    }
    const h = rowH();
    const row = clamp(Math.floor(view.r0 + (p.y - DT.top) / h), 0, R - 1);
    const t = view.t0 + ((p.x - LEFT) / PW) * (view.t1 - view.t0);
    let bar = -1;
    for (let b = first[row]; b < first[row + 1]; b++) if (barStart[b] <= t && t < barEnd[b]) bar = b;
    const chunk = bar >= 0 && D.chunk[bar] >= 0 ? D.chunk[bar] : rowChunk[row];
    hover = { row, bar, batch: batchOf(chunk) };
    showTip(e, (el) => workerTip(el, row, bar, Math.ceil(1 / h)));
    invalidate(false);
  });
  dt.addEventListener('pointerup', (e) => {
    if (drag === null) return;
    drag = null;
    dt.style.cursor = '';
    dt.releasePointerCapture(e.pointerId);
  });
  dt.addEventListener('pointerleave', () => {
    hover = null;
    hideTip();
    invalidate(false);
  });
  dt.addEventListener('dblclick', reset);
  dt.addEventListener('wheel', (e) => {
    const p = local(dt, e);
    if (!inPlot(p, DT.top, DT.h) && !inStrip(p)) return;
    e.preventDefault();
    // Browsers turn shift+wheel into a horizontal scroll.
    const timeZoom = e.shiftKey || e.ctrlKey;
    const delta = timeZoom ? e.deltaY || e.deltaX : e.deltaY;
    const k = Math.exp(clamp(delta, -300, 300) * 0.002);
    if (inStrip(p)) {
      const dr = (delta / 500) * (view.r1 - view.r0);
      setRows(view.r0 + dr, view.r1 + dr);
    } else if (timeZoom) {
      const t = view.t0 + ((p.x - LEFT) / PW) * (view.t1 - view.t0);
      setTime(t - (t - view.t0) * k, t + (view.t1 - t) * k);
    } else if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      const dtMs = (e.deltaX / PW) * (view.t1 - view.t0);
      setTime(view.t0 + dtMs, view.t1 + dtMs);
    } else {
      const r = view.r0 + (p.y - DT.top) / rowH();
      setRows(r - (r - view.r0) * k, r + (view.r1 - r) * k);
    }
    hideTip();
    hover = null;
  }, { passive: false });
  document.getElementById('reset').addEventListener('click', reset);
  window.addEventListener('resize', layout);
  layout();
})();
`;
