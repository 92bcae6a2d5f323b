// `excamera study IN.y4m`: which chunk size and batch length to use, for this
// video, at a stated scale (src/sim/study.ts). Compression comes from
// the real pipeline on the clip, latency and cost from the simulator; the
// answer is a CSV of every point, an SVG of latency against bitrate at equal
// quality (the paper's trade-off figure) and a self-contained HTML report
// that names the best configuration for a latency or a cost budget.

import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Argv } from 'yargs';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { integerOption, parseIntegerList, realOption } from './options.js';
import { progressBar } from './progress.js';
import { readRawVideo } from './raw.js';
import { DEFAULT_SPEED, MAX_SPEED } from '../vp8/encoder/encoder.js';
import { bestWithin, runStudy, type StudyConfig, type StudyResult, studySteps } from '../sim/study.js';
import { BUILTIN_PROFILES } from '../sim/profile.js';
import { profileOf } from './profiles.js';

interface StudyArgs {
  input: string;
  n: string;
  x: string;
  quantizers: string;
  speed: number;
  limit?: number;
  profile: string;
  'compute-profile'?: string;
  frames?: number;
  seeds: number;
  'latency-budget'?: number;
  'cost-budget'?: number;
  output: string;
  quiet: boolean;
}

const fmt = (v: number | null, digits = 1): string => (v === null ? '' : v.toFixed(digits));
const pct = (v: number | null): string => (v === null ? '—' : `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(1)}%`);
const label = (c: { n: number; x: number }): string => `[${c.n},${c.x}]`;
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Every point, one row each. */
export function studyCsv(r: StudyResult): string {
  const head = 'framesPerChunk,chunksPerBatch,quantizer,bytes,kbitPerSecond,psnr,ssimDb,latencySeconds,workerSeconds,costUSD,failedRuns';
  const rows = r.points.map((p) => [p.n, p.x, p.quantizer, p.bytes, fmt(p.kbitPerSecond, 2), fmt(p.psnr, 3), fmt(p.ssimDb, 3), fmt(p.latencySeconds, 1), fmt(p.workerSeconds, 1), fmt(p.costUSD, 4), p.failedRuns].join(','));
  const serial = r.serial.map((s) => ['serial', '', s.quantizer, s.bytes, fmt(s.kbitPerSecond, 2), fmt(s.psnr, 3), fmt(s.ssimDb, 3), '', '', '', ''].join(','));
  return `${[head, ...rows, ...serial].join('\r\n')}\r\n`;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** Latency against bitrate at the study's common quality: one point per configuration, the serial encode's bitrate as a line. */
export function studySvg(r: StudyResult, title: string): string {
  const W = 820;
  const H = 460;
  const m = { left: 70, right: 200, top: 50, bottom: 60 };
  const pts = r.configs.filter((c) => c.kbitPerSecond !== null && c.latencySeconds !== null);
  const rates = [...pts.map((c) => c.kbitPerSecond!), ...(r.serialKbitPerSecond !== null ? [r.serialKbitPerSecond] : [])];
  const lats = pts.map((c) => c.latencySeconds!);
  const x0 = rates.length ? Math.min(...rates) * 0.97 : 0;
  const x1 = rates.length ? Math.max(...rates) * 1.03 : 1;
  const y1 = lats.length ? Math.max(...lats) * 1.1 : 1;
  const X = (v: number): number => m.left + ((v - x0) / (x1 - x0 || 1)) * (W - m.left - m.right);
  const Y = (v: number): number => H - m.bottom - (v / y1) * (H - m.top - m.bottom);
  const ns = [...new Set(r.configs.map((c) => c.n))];
  const color = (n: number): string => COLORS[ns.indexOf(n) % COLORS.length]!;
  const ticks = (lo: number, hi: number): number[] => {
    const step = 10 ** Math.floor(Math.log10((hi - lo) / 4 || 1));
    const s = [1, 2, 5, 10].map((k) => k * step).find((v) => (hi - lo) / v <= 6) ?? step * 10;
    const out: number[] = [];
    for (let v = Math.ceil(lo / s) * s; v <= hi; v += s) out.push(v);
    return out;
  };
  const parts: string[] = [];
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="16">${esc(title)}</text>`);
  parts.push(`<text x="${W / 2}" y="40" text-anchor="middle" font-size="12" fill="#555">${r.commonSsimDb === null ? 'the curves share no quality range' : `at equal quality: SSIM ${r.commonSsimDb.toFixed(2)} dB`}</text>`);
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#999"/>`);
  for (const t of ticks(x0, x1)) parts.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${m.top}" y2="${H - m.bottom}" stroke="#eee"/><text x="${X(t)}" y="${H - m.bottom + 16}" text-anchor="middle" font-size="11">${t}</text>`);
  for (const t of ticks(0, y1)) parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${Y(t)}" y2="${Y(t)}" stroke="#eee"/><text x="${m.left - 6}" y="${Y(t) + 4}" text-anchor="end" font-size="11">${t}</text>`);
  parts.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 18}" text-anchor="middle" font-size="12">bitrate (kbit/s) at equal quality</text>`);
  parts.push(`<text transform="translate(18 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12">simulated latency (s)</text>`);
  if (r.serialKbitPerSecond !== null) {
    const sx = X(r.serialKbitPerSecond);
    parts.push(`<line x1="${sx}" x2="${sx}" y1="${m.top}" y2="${H - m.bottom}" stroke="#555" stroke-dasharray="4 3"><title>serial encode: ${r.serialKbitPerSecond.toFixed(1)} kbit/s</title></line>`);
    parts.push(`<text x="${sx + 4}" y="${m.top + 12}" font-size="11" fill="#555">serial encode</text>`);
  }
  for (const c of pts) {
    const cx = X(c.kbitPerSecond!);
    const cy = Y(c.latencySeconds!);
    parts.push(`<circle cx="${cx}" cy="${cy}" r="5" fill="${color(c.n)}"><title>${label(c)}: ${c.kbitPerSecond!.toFixed(1)} kbit/s, ${c.latencySeconds!.toFixed(1)} s, $${fmt(c.costUSD, 2)}</title></circle>`);
    parts.push(`<text x="${cx + 7}" y="${cy - 6}" font-size="11">${label(c)}</text>`);
  }
  ns.forEach((n, i) => parts.push(`<circle cx="${W - m.right + 20}" cy="${m.top + 10 + 18 * i}" r="5" fill="${color(n)}"/><text x="${W - m.right + 30}" y="${m.top + 14 + 18 * i}" font-size="12">n=${n} frames per chunk</text>`));
  const failed = r.configs.filter((c) => c.latencySeconds === null).map(label);
  if (failed.length > 0) parts.push(`<text x="${W - m.right + 14}" y="${m.top + 30 + 18 * ns.length}" font-size="11" fill="#b00">failed or no common quality: ${esc(failed.join(' '))}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>\n`;
}

/** The budgets the report answers: the user's, and steps from the fastest and the cheapest configuration. */
function budgets(r: StudyResult, latency?: number, cost?: number): { latencySeconds?: number; costUSD?: number; label: string }[] {
  const ok = r.configs.filter((c) => c.latencySeconds !== null && c.costUSD !== null && c.kbitPerSecond !== null);
  if (ok.length === 0) return [];
  const fastest = Math.min(...ok.map((c) => c.latencySeconds!));
  const cheapest = Math.min(...ok.map((c) => c.costUSD!));
  const out: { latencySeconds?: number; costUSD?: number; label: string }[] = [];
  if (latency !== undefined) out.push({ latencySeconds: latency, label: `latency at most ${latency} s (yours)` });
  if (cost !== undefined) out.push({ costUSD: cost, label: `cost at most $${cost} (yours)` });
  // Rounded up, so that the fastest and the cheapest fit their own budgets.
  for (const k of [1, 1.5, 2, 4]) {
    const s = Math.ceil(fastest * k * 10) / 10;
    out.push({ latencySeconds: s, label: `latency at most ${s.toFixed(1)} s (${k}x the fastest)` });
  }
  for (const k of [1, 1.25, 1.5]) {
    const usd = Math.ceil(cheapest * k * 100) / 100;
    out.push({ costUSD: usd, label: `cost at most $${usd.toFixed(2)} (${k}x the cheapest)` });
  }
  return out;
}

export function studyHtml(r: StudyResult, meta: { title: string; lines: readonly string[]; latencyBudget?: number; costBudget?: number }, svg: string): string {
  const row = (c: StudyConfig): string =>
    `<tr><td>${label(c)}</td><td>${fmt(c.kbitPerSecond)}</td><td>${r.serialKbitPerSecond !== null && c.kbitPerSecond !== null ? pct(c.kbitPerSecond / r.serialKbitPerSecond - 1) : '—'}</td><td>${pct(c.ssimBdRate)}</td><td>${pct(c.psnrBdRate)}</td><td>${c.latencySeconds === null ? 'failed' : fmt(c.latencySeconds)}</td><td>${fmt(c.workerSeconds, 0)}</td><td>${c.costUSD === null ? '' : `$${c.costUSD.toFixed(2)}`}</td></tr>`;
  const answers = budgets(r, meta.latencyBudget, meta.costBudget).map((b) => {
    const best = bestWithin(r.configs, b);
    return `<tr><td>${esc(b.label)}</td><td>${best === null ? 'none fits' : `<b>ExCamera${label(best)}</b>: ${fmt(best.kbitPerSecond)} kbit/s, ${fmt(best.latencySeconds)} s, $${fmt(best.costUSD, 2)}`}</td></tr>`;
  });
  const points = r.points.map((p) => `<tr><td>${label(p)}</td><td>${p.quantizer}</td><td>${fmt(p.kbitPerSecond)}</td><td>${fmt(p.psnr, 2)}</td><td>${fmt(p.ssimDb, 2)}</td><td>${p.latencySeconds === null ? 'failed' : fmt(p.latencySeconds)}</td><td>${p.failedRuns}</td></tr>`);
  const serial = r.serial.map((s) => `<tr><td>serial</td><td>${s.quantizer}</td><td>${fmt(s.kbitPerSecond)}</td><td>${fmt(s.psnr, 2)}</td><td>${fmt(s.ssimDb, 2)}</td><td></td><td></td></tr>`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(meta.title)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1000px}table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}p.meta{color:#444;margin:2px 0}</style>
</head><body>
<h1>${esc(meta.title)}</h1>
${meta.lines.map((l) => `<p class="meta">${esc(l)}</p>`).join('\n')}
<h2>Best configuration for a budget</h2>
<p>The lowest bitrate at equal quality (SSIM ${r.commonSsimDb === null ? '—' : `${r.commonSsimDb.toFixed(2)} dB`}) among the configurations that fit.</p>
<table><tr><th>budget</th><th>best</th></tr>
${answers.join('\n')}
</table>
<h2>Latency against bitrate at equal quality</h2>
${svg}
<h2>Configurations at equal quality</h2>
<p>Bitrate, latency, worker-seconds and cost interpolated between quality levels to SSIM ${r.commonSsimDb === null ? '—' : `${r.commonSsimDb.toFixed(2)} dB`}; BD-rates against the serial encode over the whole range (from 4 quality levels).</p>
<table><tr><th>[n,x]</th><th>kbit/s</th><th>vs serial</th><th>SSIM BD-rate</th><th>PSNR BD-rate</th><th>latency s</th><th>worker-s</th><th>cost</th></tr>
${r.configs.map(row).join('\n')}
</table>
<h2>Every point</h2>
<table><tr><th>[n,x]</th><th>quantizer</th><th>kbit/s</th><th>PSNR dB</th><th>SSIM dB</th><th>latency s</th><th>failed runs</th></tr>
${[...points, ...serial].join('\n')}
</table>
</body></html>
`;
}

export const studyCommand = defineCommand<StudyArgs>({
  command: 'study <input>',
  files: { input: 'input', profile: 'input-if-file', 'compute-profile': 'input-if-file', output: 'output-dir', n: 'not-a-path', x: 'not-a-path', quantizers: 'not-a-path' },
  describe: 'Chunk-size study: compression of ExCamera[n,x] on a clip (the real pipeline, against a serial encode) and its latency and cost at scale (the simulator); CSV, SVG and an HTML report',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'Raw 4:2:0 video (.y4m)' })
      .option('n', { type: 'string', default: '6,12', describe: 'Frames per chunk, comma-separated' })
      .option('x', { type: 'string', default: '1,4,16', describe: 'Chunks per batch, comma-separated' })
      .option('quantizers', { type: 'string', default: '16,24,32,40', describe: 'Constant quantizers 0..63, comma-separated (4 or more give BD-rates); the simulation takes each as the quality level' })
      .option('speed', integerOption('speed', { min: 0, max: MAX_SPEED, default: DEFAULT_SPEED, describe: 'Built-in encoder effort, for the chunks and the serial encode' }))
      .option('limit', integerOption('limit', { min: 1, max: 1_000_000, describe: 'Use only the first N frames of the clip' }))
      .option('profile', { alias: 'p', type: 'string', default: 'paper-sintel-4k', describe: `Simulation profile: ${BUILTIN_PROFILES.join(', ')}, or a .json file` })
      .option('compute-profile', { type: 'string', describe: 'Take the simulation\'s compute from this profile (e.g. excamera calibrate\'s), scaled per pixel to --profile\'s clip' })
      .option('frames', integerOption('frames', { alias: 'f', min: 1, max: 100_000_000, describe: 'Frames of the simulated job (default: the profile clip\'s length)' }))
      .option('seeds', integerOption('seeds', { default: 3, min: 1, max: 100, describe: 'Simulated runs per point (the median)' }))
      .option('latency-budget', realOption('latency-budget', { min: 0, exclusiveMin: true, describe: 'Also answer: the best configuration within this many seconds' }))
      .option('cost-budget', realOption('cost-budget', { min: 0, exclusiveMin: true, describe: 'Also answer: the best configuration within this many dollars' }))
      .option('output', { alias: 'o', type: 'string', default: 'study', describe: 'Directory for study.csv, study.svg and study.html' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress bar' })
      .example('$0 study clip.y4m -n 6,12 -x 1,4,16 -o study', 'compression on the clip, latency and cost of Sintel 4K on Lambda') as Argv<StudyArgs>,
  handler: async (args) => {
    const ns = parseIntegerList('n', args.n, 1, 10_000);
    const xs = parseIntegerList('x', args.x, 1, 10_000);
    const quantizers = parseIntegerList('quantizers', args.quantizers, 0, 63);
    const profile = profileOf(args);
    const frames = args.frames ?? profile.video.frames;
    if (frames === undefined) throw new CliError(`--frames is required: profile ${profile.name} names no clip length`);
    const clip = await readRawVideo(args.input, 0, args.limit);
    if (clip.pictures.length === 0) throw new CliError(`${args.input}: no frames`);
    const options = { ns, xs, quantizers, speed: args.speed, profile, frames, seeds: args.seeds };
    const bar = progressBar('study', studySteps(options), args.quiet);
    const result = await runStudy(clip.pictures, clip.frameRate, options, (_what, done) => bar.update(done));
    bar.stop();
    const { width, height } = clip.pictures[0]!;
    const title = `Chunk-size study of ${basename(args.input)}`;
    const lines = [
      `Compression: ${clip.pictures.length} frames of ${basename(args.input)} (${width}x${height}), the built-in encoder at speed ${args.speed}, quantizers ${quantizers.join(', ')}, every [n,x] run through the real pipeline in process and decoded; the serial encode is the same encoder on the whole clip.`,
      `Latency and cost: ${profile.name}, ${frames} frames of ${profile.video.width}x${profile.video.height}, the median of ${args.seeds} simulated run${args.seeds === 1 ? '' : 's'} per point, each quantizer taken as the chunk encoder's quality level.`,
      ...(profile.notes?.composition !== undefined ? [profile.notes.composition] : []),
    ];
    const svg = studySvg(result, `ExCamera[n,x]: ${basename(args.input)} on ${profile.name}`);
    await mkdir(args.output, { recursive: true });
    await writeFile(join(args.output, 'study.csv'), studyCsv(result));
    await writeFile(join(args.output, 'study.svg'), svg);
    await writeFile(join(args.output, 'study.html'), studyHtml(result, { title, lines, latencyBudget: args.latencyBudget, costBudget: args.costBudget }, svg));
    const out = [`${title}: ${join(args.output, 'study.html')} (and study.csv, study.svg)`];
    if (result.commonSsimDb !== null) out.push(`at equal quality (SSIM ${result.commonSsimDb.toFixed(2)} dB; serial encode ${fmt(result.serialKbitPerSecond)} kbit/s):`);
    for (const c of result.configs) out.push(`  ExCamera${label(c).padEnd(8)} ${fmt(c.kbitPerSecond).padStart(9)} kbit/s  SSIM BD ${pct(c.ssimBdRate).padStart(7)}  latency ${c.latencySeconds === null ? 'failed' : `${fmt(c.latencySeconds)} s`}  ${c.costUSD === null ? '' : `$${c.costUSD.toFixed(2)}`}`);
    process.stdout.write(`${out.join('\n')}\n`);
  },
});
