// What `excamera simulate sweep` writes: one CSV row per simulated job, and
// an SVG plot of latency against batch length, one line per chunk length.

import { lineChart, type Series } from '../report/svg.js';

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

/** Latency against chunks per batch (log scale), a line per frames-per-chunk value and worker count. */
export function sweepSvg(rows: readonly SweepRow[]): string {
  // A line per n; per n and worker count when the sweep varied the workers.
  const countsPerN = new Map<number, Set<number>>();
  for (const r of rows) countsPerN.set(r.framesPerChunk, (countsPerN.get(r.framesPerChunk) ?? new Set()).add(r.workers));
  const split = [...countsPerN.values()].some((s) => s.size > 1);
  const groups = new Map<string, { x: number; y: number }[]>();
  for (const r of rows) {
    if (Number.isNaN(r.latencySeconds)) continue;
    const name = split ? `n=${r.framesPerChunk}, ${r.workers} workers` : `n=${r.framesPerChunk}`;
    const list = groups.get(name) ?? [];
    list.push({ x: r.chunksPerBatch, y: r.latencySeconds });
    groups.set(name, list);
  }
  const series: Series[] = [...groups].map(([name, points]) => ({ name, points: points.sort((a, b) => a.x - b.x) }));
  return lineChart(series, { title: 'Simulated latency of ExCamera[n, x]', xLabel: 'x: chunks per batch', yLabel: 'latency (s)', logX: true });
}
