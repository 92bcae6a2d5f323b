// What `excamera simulate sweep` writes: one CSV row per simulated job, and
// an SVG plot of latency against batch length, one line per chunk length.
//
// The plot is drawn here rather than with report/svg.ts's generic chart
// because a sweep's x axis is a grid: its ticks belong at the values swept,
// and a point whose job failed has no latency but must still be shown.

export interface SweepRow {
  readonly framesPerChunk: number;
  readonly chunksPerBatch: number;
  readonly workers: number;
  /** Runs (seeds) simulated, and how many of them failed (a worker outlived its time limit, ...). */
  readonly runs: number;
  readonly failedRuns: number;
  /**
   * The median run's figures, a failed run counting as slower than any
   * that finished; NaN when the median run failed (half the runs or more).
   */
  readonly latencySeconds: number;
  readonly workerSeconds: number;
  readonly costUSD: number;
}

const COLUMNS: readonly (keyof SweepRow)[] = ['framesPerChunk', 'chunksPerBatch', 'workers', 'runs', 'failedRuns', 'latencySeconds', 'workerSeconds', 'costUSD'];

/** The rows as CSV (RFC 4180: a header line, comma-separated, CRLF line ends). */
export function sweepCsv(rows: readonly SweepRow[]): string {
  const cell = (k: keyof SweepRow, v: number): string => (Number.isNaN(v) ? '' : k === 'costUSD' ? v.toFixed(4) : k === 'latencySeconds' || k === 'workerSeconds' ? v.toFixed(1) : String(v));
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((k) => cell(k, r[k])).join(','))].join('\r\n') + '\r\n';
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf', '#bcbd22'];

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Round steps of about `count` ticks over [0, hi], and the axis top: the first tick at or above hi. */
function latencyTicks(hi: number, count: number): { ticks: number[]; top: number } {
  const raw = Math.max(hi, 1e-9) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const top = Math.max(step, Math.ceil(hi / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let k = 0; k * step <= top + step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)));
  return { ticks, top };
}

export interface SweepSvgOptions {
  /** A line under the title: what was simulated (profile, frames, runs per point). */
  readonly subtitle?: string;
}

/**
 * Latency against chunks per batch (log scale, a tick at each value swept),
 * a line per frames-per-chunk value (and worker count, when the sweep varied
 * it). A point whose median run failed has no latency: it is drawn as a cross
 * in a "failed" lane above the plot, and its line is broken there; a point
 * where some runs failed but the median finished is a hollow circle.
 */
export function sweepSvg(rows: readonly SweepRow[], options: SweepSvgOptions = {}): string {
  const W = 760;
  const H = 500;
  // A line per n; per n and worker count when the sweep varied the workers.
  const countsPerN = new Map<number, Set<number>>();
  for (const r of rows) countsPerN.set(r.framesPerChunk, (countsPerN.get(r.framesPerChunk) ?? new Set()).add(r.workers));
  const split = [...countsPerN.values()].some((s) => s.size > 1);
  const groups = new Map<string, SweepRow[]>();
  for (const r of rows) {
    const name = split ? `n=${r.framesPerChunk}, ${r.workers} workers` : `n=${r.framesPerChunk}`;
    groups.set(name, [...(groups.get(name) ?? []), r]);
  }
  const series = [...groups].map(([name, points], i) => ({ name, color: COLORS[i % COLORS.length]!, points: [...points].sort((a, b) => a.chunksPerBatch - b.chunksPerBatch) }));
  const failed = (r: SweepRow): boolean => Number.isNaN(r.latencySeconds);
  // A lane of crosses per series with a failed point, between the title and the plot.
  const failedSeries = series.filter((s) => s.points.some(failed));
  const lane = 14;
  const m = { left: 70, right: 210, top: 58 + (failedSeries.length > 0 ? failedSeries.length * lane + 10 : 0), bottom: 55 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  const xs = [...new Set(rows.map((r) => r.chunksPerBatch))].sort((a, b) => a - b);
  const lx0 = Math.log10(xs[0] ?? 1);
  const lx1 = Math.log10(xs[xs.length - 1] ?? 1);
  // One value swept: in the middle.
  const sx = (x: number): number => (lx1 > lx0 ? m.left + ((Math.log10(x) - lx0) / (lx1 - lx0)) * pw : m.left + pw / 2);
  const finished = rows.filter((r) => !failed(r)).map((r) => r.latencySeconds);
  const { ticks: yTicks, top } = latencyTicks(Math.max(0, ...finished), 6);
  const sy = (y: number): number => m.top + ph - (y / top) * ph;
  const f = (v: number): string => v.toFixed(1);

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="22" text-anchor="middle" font-size="15">Simulated latency of ExCamera[n, x]</text>`);
  if (options.subtitle !== undefined) parts.push(`<text x="${m.left + pw / 2}" y="40" text-anchor="middle" fill="#555">${escape(options.subtitle)}</text>`);
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  // x: a tick at every value swept; a label where it does not run into the one before.
  let lastLabelEnd = -Infinity;
  for (const x of xs) {
    const px = sx(x);
    const label = String(x);
    const half = (label.length * 7) / 2;
    const shown = px - half >= lastLabelEnd + 4;
    if (shown) lastLabelEnd = px + half;
    parts.push(`<g class="x-tick" data-value="${x}"><line x1="${f(px)}" y1="${m.top}" x2="${f(px)}" y2="${m.top + ph + 5}" stroke="#ddd"/>${shown ? `<text x="${f(px)}" y="${m.top + ph + 19}" text-anchor="middle">${label}</text>` : ''}</g>`);
  }
  for (const y of yTicks) {
    parts.push(`<g class="y-tick"><line x1="${m.left - 5}" y1="${f(sy(y))}" x2="${m.left + pw}" y2="${f(sy(y))}" stroke="#ddd"/><text x="${m.left - 8}" y="${f(sy(y) + 4)}" text-anchor="end">${y}</text></g>`);
  }
  if (finished.length === 0) parts.push(`<text x="${m.left + pw / 2}" y="${m.top + ph / 2}" text-anchor="middle" fill="#555">no point's median run finished</text>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 15}" text-anchor="middle">x: chunks per batch (the values swept)</text>`);
  parts.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">latency (s), median run</text>`);
  if (failedSeries.length > 0) {
    const laneTop = m.top - 8 - failedSeries.length * lane;
    parts.push(`<rect x="${m.left}" y="${laneTop}" width="${pw}" height="${failedSeries.length * lane}" fill="#fbeaea" stroke="#d9a0a0"/>`);
    parts.push(`<text x="${m.left - 8}" y="${laneTop + (failedSeries.length * lane) / 2 + 4}" text-anchor="end" fill="#a00">failed</text>`);
  }

  // The series: lines between neighbouring points that both finished, then the points.
  const cross = (x: number, y: number, color: string): string => `<path d="M${f(x - 4)},${f(y - 4)} L${f(x + 4)},${f(y + 4)} M${f(x - 4)},${f(y + 4)} L${f(x + 4)},${f(y - 4)}" stroke="${color}" stroke-width="2.5"/>`;
  for (const s of series) {
    let d = '';
    s.points.forEach((p, k) => {
      if (failed(p)) return;
      const before = s.points[k - 1];
      d += `${before !== undefined && !failed(before) ? 'L' : 'M'}${f(sx(p.chunksPerBatch))},${f(sy(p.latencySeconds))} `;
    });
    if (d !== '') parts.push(`<path d="${d.trim()}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const p of s.points) {
      const what = `${s.name}, x=${p.chunksPerBatch}: ${p.failedRuns} of ${p.runs} runs failed`;
      const px = sx(p.chunksPerBatch);
      if (failed(p)) {
        const laneY = m.top - 8 - (failedSeries.length - failedSeries.indexOf(s)) * lane + lane / 2;
        parts.push(`<g class="failed" data-x="${p.chunksPerBatch}" data-n="${p.framesPerChunk}" data-workers="${p.workers}">${cross(px, laneY, s.color)}<title>${escape(what)}</title></g>`);
      } else if (p.failedRuns > 0) {
        parts.push(`<circle class="some-failed" cx="${f(px)}" cy="${f(sy(p.latencySeconds))}" r="4" fill="white" stroke="${s.color}" stroke-width="2"><title>${escape(`${what}; median ${f(p.latencySeconds)} s`)}</title></circle>`);
      } else {
        parts.push(`<circle cx="${f(px)}" cy="${f(sy(p.latencySeconds))}" r="3.5" fill="${s.color}"><title>${escape(`${s.name}, x=${p.chunksPerBatch}: ${f(p.latencySeconds)} s`)}</title></circle>`);
      }
    }
  }

  // The legend: the series, then the marks for failures that occur.
  const lx = W - m.right + 15;
  let ly = m.top + 10;
  for (const s of series) {
    parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 25}" y2="${ly}" stroke="${s.color}" stroke-width="2"/><circle cx="${lx + 12.5}" cy="${ly}" r="3.5" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 32}" y="${ly + 4}">${escape(s.name)}</text>`);
    ly += 20;
  }
  if (rows.some((r) => !failed(r) && r.failedRuns > 0)) {
    parts.push(`<circle cx="${lx + 12.5}" cy="${ly}" r="4" fill="white" stroke="#444" stroke-width="2"/><text x="${lx + 32}" y="${ly + 4}">some runs failed</text>`);
    ly += 20;
  }
  if (failedSeries.length > 0) {
    parts.push(`<g class="legend-failed">${cross(lx + 12.5, ly, '#444')}<text x="${lx + 32}" y="${ly + 4}">median run failed</text></g>`);
    ly += 16;
    parts.push(`<text x="${lx + 32}" y="${ly + 4}" fill="#555" font-size="11">(no latency: marked above</text>`);
    parts.push(`<text x="${lx + 32}" y="${ly + 18}" fill="#555" font-size="11">the plot, in its line's colour)</text>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
