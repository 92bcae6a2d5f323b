// A per-worker timeline of a job, as one self-contained HTML file: a Gantt
// chart with a row per worker and a bar per phase, like the ExCamera paper's
// figures. The simulator and the real runtime draw the same chart from the
// coordinator's transition log.
//
// Thousands of workers must stay drawable: rows shrink to a pixel, runs of
// the same phase merge into one bar, and per-bar tooltips are kept only for
// charts small enough to hover over.

import type { Transition } from '../excamera/coordinator/types.js';
import { PHASE_ORDER, phaseOf } from '../excamera/phases.js';

export interface TimelineInput {
  readonly title: string;
  readonly summary: string;
  readonly latencySeconds: number;
  readonly workers: number;
  readonly transitions: readonly Transition[];
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

/** Phases in legend order (the reports' order), with their colours. */
export const TIMELINE_PHASES: readonly (readonly [string, string])[] = PHASE_ORDER.map((p) => [p, COLORS[p]!] as const);
const COLOR = new Map(TIMELINE_PHASES);

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Bar {
  readonly phase: string;
  readonly from: number;
  to: number;
  readonly chunk: number;
}

export function renderTimeline(input: TimelineInput): string {
  // Bars per worker, consecutive bars of one phase merged.
  const bars = new Map<number, Bar[]>();
  const failed = new Map<number, number>();
  let end = input.latencySeconds;
  for (const t of input.transitions) {
    end = Math.max(end, t.at);
    const list = bars.get(t.worker) ?? [];
    if (!bars.has(t.worker)) bars.set(t.worker, list);
    const open = list[list.length - 1];
    if (open !== undefined && open.to < 0) open.to = t.at;
    if (t.status.kind === 'failed') failed.set(t.worker, t.at);
    const phase = phaseOf(t);
    if (phase === null) continue;
    const chunk = 'chunk' in t.status ? t.status.chunk : -1;
    if (open !== undefined && open.phase === phase && open.chunk === chunk && open.to === t.at) {
      open.to = -1;
      continue;
    }
    list.push({ phase, from: t.at, to: -1, chunk });
  }
  for (const list of bars.values()) for (const b of list) if (b.to < 0) b.to = end;
  const workers = [...bars.keys()].sort((a, b) => a - b);

  const rowHeight = workers.length > 1500 ? 1 : workers.length > 400 ? 2 : workers.length > 100 ? 5 : 12;
  const gap = rowHeight >= 5 ? 1 : 0;
  const left = 60;
  const top = 30;
  const width = 1100;
  const span = Math.max(end, 1e-9);
  const x = (t: number): number => left + (width * t) / span;
  const height = top + workers.length * (rowHeight + gap) + 40;
  const tooltips = workers.length <= 2000;
  const parts: string[] = [];
  for (const [row, w] of workers.entries()) {
    const y = top + row * (rowHeight + gap);
    for (const b of bars.get(w)!) {
      const wpx = Math.max(0.3, x(b.to) - x(b.from));
      const title = tooltips ? `<title>worker ${w}: ${b.phase}${b.chunk >= 0 ? ` of chunk ${b.chunk}` : ''}, ${b.from.toFixed(2)}-${b.to.toFixed(2)} s</title>` : '';
      parts.push(`<rect x="${x(b.from).toFixed(1)}" y="${y}" width="${wpx.toFixed(1)}" height="${rowHeight}" fill="${COLOR.get(b.phase) ?? '#000'}">${title}</rect>`);
    }
    const f = failed.get(w);
    if (f !== undefined) parts.push(`<rect x="${(x(f) - 1).toFixed(1)}" y="${y}" width="2" height="${Math.max(rowHeight, 2)}" fill="#000"><title>worker ${w} failed at ${f.toFixed(2)} s</title></rect>`);
  }
  // Time axis: about 10 round ticks.
  const stepCandidates = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600];
  const tick = stepCandidates.find((s) => span / s <= 12) ?? Math.ceil(span / 10);
  const axis: string[] = [];
  for (let t = 0; t <= span + 1e-9; t += tick) {
    axis.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top - 4}" y2="${height - 36}" stroke="#999" stroke-width="0.5" stroke-dasharray="2,3"/>`);
    axis.push(`<text x="${x(t).toFixed(1)}" y="${height - 22}" text-anchor="middle">${t}</text>`);
  }
  axis.push(`<text x="${left + width / 2}" y="${height - 6}" text-anchor="middle">seconds since the job started</text>`);
  axis.push(`<text x="12" y="${top + (height - top) / 2}" transform="rotate(-90 12 ${top + (height - top) / 2})" text-anchor="middle">workers (${workers.length})</text>`);
  const latencyX = x(input.latencySeconds).toFixed(1);
  axis.push(`<line x1="${latencyX}" x2="${latencyX}" y1="${top - 10}" y2="${height - 36}" stroke="#000" stroke-width="1"/><text x="${latencyX}" y="${top - 14}" text-anchor="middle">done</text>`);
  const legend = TIMELINE_PHASES.map(([p, c]) => `<span><i style="background:${c}"></i>${p}</span>`).join('');

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(input.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 4px}
p{margin:0 0 8px}
.legend span{margin-right:14px;white-space:nowrap}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px;border:1px solid #888}
svg text{font:11px system-ui,sans-serif}
</style></head><body>
<h1>${escape(input.title)}</h1>
<p>${escape(input.summary)}</p>
<p class="legend">${legend}<span><i style="background:#000"></i>failed</span></p>
<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 20}" height="${height}" viewBox="0 0 ${left + width + 20} ${height}">
${axis.join('\n')}
${parts.join('\n')}
</svg>
</body></html>
`;
}
