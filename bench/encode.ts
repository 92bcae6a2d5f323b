// bench/encode: compression and speed of the built-in encoder against libvpx
// as users see them, measured in the same run.
//
// Every encode is a fresh process, as a user runs it:
//   node dist/src/cli/main.js encode CLIP.y4m -o OUT.ivf --quantizer Q --speed S --json
//   vpxenc --codec=vp8 --ivf --good --cpu-used=C --threads=1 --min-q=Q --max-q=Q ...  (C = 0 and 4)
// on real footage: foreman (CIF, 60 frames), flower (720p, 12 frames) and
// carphone (QCIF, 120 frames). Both tools take the quantizer on the same
// 0..63 scale, pinned for every frame.
//
// Compression: each clip is encoded at every quantizer (8..48) by every
// encoder; every result is decoded with our decoder (bit-exact with libvpx)
// and measured against the source; BD-rates (Bjøntegaard, at equal SSIM and
// at equal PSNR) compare the curves. These encodes may run `--jobs` at a time.
//
// Speed: separately, strictly one process at a time and never beside other
// work of the benchmark, every encoder encodes the clip at the timing
// quantizer(s) (default: the middle one) `--runs` times, alternating the
// encoders run by run. Reported: frames/s by the tool's own timing of its
// encoding loop (vpxenc prints it; ours is the CLI's --json summary), frames/s
// by the whole process's CPU time (user + system, GNU time), peak RSS, for
// the first (cold) run and the median, and the ratio to cpu-used=4.
//
// With --baseline-dist DIR (the dist/ of another revision), that build's
// default speed runs too, for BD-rates and speed-ups against "today's
// default". The issue's targets are checked from the measured figures.
//
//   npm run bench:encode [-- --clips foreman --quantizers 8,16,24,32 --speeds 2,4 --runs 3 --baseline-dist /tmp/base/dist]

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIvf, parseY4m } from '../src/container/index.js';
import { createDecoderState, decodeFrame, imageToI420 } from '../src/vp8/index.js';
import { DEFAULT_SPEED, MAX_SPEED } from '../src/vp8/encoder/encoder.js';
import { frameQuality, QualityTotals } from '../src/vp8/metrics.js';
import { exitOnHelp, flag, option, ROOT } from './args.js';
import { bdRate } from '../src/excamera/bd-rate.js';
import { clipPath } from './clips.js';
import { alternating, canMeasureResources, cliOf, have, inParallel, ok, type ProcessRun, runMeasured, type Sample, vpxencLoopSeconds } from './process.js';
import { fixed, integerList, median, percent, positiveInteger, ratio, round, table, times } from './stats.js';
import { lineChart } from './svg.js';

exitOnHelp(`usage: npm run bench:encode [-- OPTIONS]

Encodes real clips with this project's CLI at each speed and with vpxenc
--good --cpu-used=0 and 4 (one thread), every encode in a fresh process, at
pinned quantizers; reports SSIM and PSNR BD-rates, frames/s (the tool's own
loop timing and whole-process CPU time), peak RSS, and checks the targets.

  --clips LIST          foreman,flower,carphone (default: all three)
  --speeds LIST         our speeds (default: 0..${MAX_SPEED})
  --quantizers LIST     0..63, at least 4 for BD-rates (default: 8,16,24,32,40,48)
  --frames N            encode only the first N frames of each clip
  --runs N              timing runs per encoder (default 1: the cold run only)
  --timing-quantizers   LIST, or "all" (default: the middle quantizer)
  --baseline-dist DIR   also encode with the CLI of another build (its dist/)
  --baseline-speeds L   speeds of the baseline, "default" for its default (default: default)
  --jobs N              rate-distortion encodes run N at a time (default 1);
                        timing runs are always one at a time
  --out DIR             JSON and SVG plots (default: bench/results)
  --json                one JSON object on stdout instead of the tables`);

const json = flag('json');
const speeds = integerList(option('speeds') ?? Array.from({ length: MAX_SPEED + 1 }, (_, i) => i).join(','), 'speeds');
const quantizers = integerList(option('quantizers') ?? '8,16,24,32,40,48', 'quantizers');
const timingOption = option('timing-quantizers');
const timingQuantizers = timingOption === 'all' ? quantizers : timingOption !== undefined ? integerList(timingOption, 'timing-quantizers') : [quantizers[(quantizers.length - 1) >> 1]];
const clipNames = (option('clips') ?? 'foreman,flower,carphone').split(',');
const frameLimit = option('frames') !== undefined ? positiveInteger(option('frames'), 'frames', 1) : undefined;
const runs = positiveInteger(option('runs'), 'runs', 1);
const jobs = positiveInteger(option('jobs'), 'jobs', 1);
const outDir = option('out') ?? join(ROOT, 'bench', 'results');
const baselineDist = option('baseline-dist');
const baselineSpeeds = (option('baseline-speeds') ?? 'default').split(',').map((s) => (s === 'default' ? null : Number(s)));

for (const c of clipNames) clipPath(c);
if (quantizers.some((q) => q > 63) || timingQuantizers.some((q) => q > 63)) throw new Error('quantizers are on the 0..63 scale');
if (speeds.some((s) => s > MAX_SPEED)) throw new Error(`speeds are 0..${MAX_SPEED}`);
if (!have('vpxenc')) {
  process.stderr.write('bench/encode needs vpxenc (Debian: apt-get install vpx-tools) to compare against libvpx.\n');
  process.exit(1);
}

/** One contender: a build of our CLI at one speed, or vpxenc at one cpu-used. */
interface Encoder {
  readonly id: string;
  name: string;
  readonly kind: 'ours' | 'baseline' | 'vpxenc';
  /** Our speed (null: the build's default, learnt from its first summary). */
  speed: number | null;
  readonly cpuUsed: number | null;
  args(input: string, output: string, q: number, frames: number): { command: string; args: string[] };
}

function cliEncoder(kind: 'ours' | 'baseline', distDir: string, speed: number | null): Encoder {
  const cli = cliOf(distDir);
  const label = kind === 'ours' ? 'excamera' : 'baseline';
  return {
    id: `${kind}-${speed ?? 'default'}`,
    name: speed === null ? `${label} default` : `${label} speed ${speed}${kind === 'ours' && speed === DEFAULT_SPEED ? ' (default)' : ''}`,
    kind,
    speed,
    cpuUsed: null,
    args: (input, output, q, frames) => ({
      command: process.execPath,
      args: [cli, 'encode', input, '-o', output, '--quantizer', String(q), ...(speed === null ? [] : ['--speed', String(speed)]), '--limit', String(frames), '--json', '--quiet'],
    }),
  };
}

function vpxenc(cpuUsed: number): Encoder {
  return {
    id: `vpxenc-${cpuUsed}`,
    name: `vpxenc --good --cpu-used=${cpuUsed}`,
    kind: 'vpxenc',
    speed: null,
    cpuUsed,
    args: (input, output, q, frames) => ({
      command: 'vpxenc',
      args: [
        '--codec=vp8', '--ivf', '--good', `--cpu-used=${cpuUsed}`, '--threads=1', '--disable-warning-prompt',
        '--end-usage=vbr', '--target-bitrate=1000000', `--min-q=${q}`, `--max-q=${q}`, `--limit=${frames}`, '-o', output, input,
      ],
    }),
  };
}

/** Frames and the tool's own encoding-loop time from a finished run. */
function loopTiming(e: Encoder, run: ProcessRun, frames: number): { frames: number; seconds: number } {
  if (e.kind === 'vpxenc') {
    return { frames, seconds: vpxencLoopSeconds(run.stderr) };
  }
  const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as { frames: number; framesPerSecond: number; seconds: number; speed: number };
  if (e.speed === null) {
    // A build's default speed, as its own summary reports it.
    e.speed = summary.speed;
    e.name = `${e.name} (speed ${summary.speed})`;
  }
  return { frames: summary.frames, seconds: summary.framesPerSecond > 0 ? summary.frames / summary.framesPerSecond : summary.seconds };
}

interface Point {
  readonly q: number;
  readonly bytes: number;
  readonly kbps: number;
  readonly psnr: number;
  readonly ssim: number;
  readonly ssimDb: number;
}

/** Rate and quality of a coded clip: decoded with our decoder, measured against the source. */
function measure(src: readonly Uint8Array[], file: string, width: number, height: number, fps: number, q: number): Point {
  const coded = parseIvf(new Uint8Array(readFileSync(file))).frames.map((f) => f.data);
  let state = createDecoderState();
  const totals = new QualityTotals();
  let bytes = 0;
  let shown = 0;
  for (const f of coded) {
    bytes += f.length;
    const r = decodeFrame(state, f);
    state = r.state;
    if (r.image) totals.add(frameQuality(src[shown++], imageToI420(r.image), width, height));
  }
  const s = totals.ssim();
  return { q, bytes, kbps: (bytes * 8 * fps) / shown / 1000, psnr: totals.psnr().all, ssim: s.all, ssimDb: s.allDb };
}

interface Timing {
  readonly coldLoopFps: number | null;
  readonly coldCpuFps: number | null;
  readonly coldPeakRssMB: number | null;
  readonly medianLoopFps: number | null;
  readonly medianCpuFps: number | null;
  readonly medianWallSeconds: number | null;
  readonly medianPeakRssMB: number | null;
}

function summarizeTiming(s: readonly Sample[]): Timing {
  const cpuFps = s.filter((x) => x.cpuSeconds !== null).map((x) => x.frames / x.cpuSeconds!);
  const rss = s.filter((x) => x.peakRssKB !== null).map((x) => x.peakRssKB! / 1024);
  return {
    coldLoopFps: round(s[0].frames / s[0].toolSeconds, 2),
    coldCpuFps: s[0].cpuSeconds === null ? null : round(s[0].frames / s[0].cpuSeconds, 2),
    coldPeakRssMB: s[0].peakRssKB === null ? null : round(s[0].peakRssKB / 1024, 1),
    medianLoopFps: round(median(s.map((x) => x.frames / x.toolSeconds)), 2),
    medianCpuFps: cpuFps.length ? round(median(cpuFps), 2) : null,
    medianWallSeconds: round(median(s.map((x) => x.wallSeconds)), 3),
    medianPeakRssMB: rss.length ? round(median(rss), 1) : null,
  };
}

/** The encoders of one clip's run, in a fixed order: ours, the baseline's, vpxenc's. */
function contenders(): Encoder[] {
  const list = speeds.map((s) => cliEncoder('ours', join(ROOT, 'dist'), s));
  if (baselineDist !== undefined) for (const s of baselineSpeeds) list.push(cliEncoder('baseline', baselineDist, s));
  list.push(vpxenc(0), vpxenc(4));
  return list;
}

interface Row {
  readonly encoder: string;
  readonly kind: Encoder['kind'];
  readonly speed: number | null;
  readonly cpuUsed: number | null;
  readonly points: readonly Point[];
  readonly timing: Timing;
  readonly fpsRatioToCpu4: number | null;
  readonly cpuFpsRatioToCpu4: number | null;
  readonly bdRateSsimVsCpu4: number | null;
  readonly bdRatePsnrVsCpu4: number | null;
  readonly bdRateSsimVsCpu0: number | null;
  readonly bdRatePsnrVsCpu0: number | null;
  readonly bdRateSsimVsBaselineDefault: number | null;
  readonly speedupVsBaselineDefault: number | null;
  readonly cpuSpeedupVsBaselineDefault: number | null;
}

interface ClipResult {
  readonly clip: string;
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  readonly frameRate: number;
  readonly rows: readonly Row[];
}

const scratch = mkdtempSync(join(tmpdir(), 'excamera-bench-enc-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
mkdirSync(outDir, { recursive: true });
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const results: ClipResult[] = [];

for (const clipName of clipNames) {
  const path = clipPath(clipName);
  const y4m = parseY4m(new Uint8Array(readFileSync(path)));
  const { width, height } = y4m.header;
  const rate = y4m.header.frameRate ?? { numerator: 30, denominator: 1 };
  const fps = rate.numerator / rate.denominator;
  const src = y4m.frames.slice(0, frameLimit ?? y4m.frames.length).map((f) => f.data);
  const n = src.length;
  const encoders = contenders();

  // Compression: every encoder at every quantizer, up to --jobs at a time.
  const points = new Map<Encoder, Point[]>(encoders.map((e) => [e, []]));
  const rdTasks = encoders.flatMap((e) =>
    quantizers.map((q) => async (): Promise<void> => {
      const out = join(scratch, `${clipName}-${e.id}-q${q}.ivf`);
      const { command, args } = e.args(path, out, q, n);
      const run = ok(await runMeasured(command, args), `${e.name} on ${clipName} at Q ${q}`);
      loopTiming(e, run, n);
      const p = measure(src, out, width, height, fps, q);
      points.get(e)!.push(p);
      rmSync(out, { force: true });
      log(`${clipName} ${e.name} Q ${q}: ${p.kbps.toFixed(1)} kbit/s, SSIM ${p.ssimDb.toFixed(2)} dB, PSNR ${p.psnr.toFixed(2)} dB`);
    }),
  );
  await inParallel(rdTasks, jobs);
  for (const list of points.values()) list.sort((a, b) => a.q - b.q);

  // Speed: one process at a time, alternating the encoders run by run.
  const samples = await alternating(encoders, runs, async (e, r) => {
    let frames = 0;
    let toolSeconds = 0;
    let wallSeconds = 0;
    let cpuSeconds: number | null = 0;
    let peakRssKB: number | null = 0;
    for (const q of timingQuantizers) {
      const out = join(scratch, `${clipName}-timing.ivf`);
      const { command, args } = e.args(path, out, q, n);
      const run = ok(await runMeasured(command, args), `${e.name} on ${clipName} at Q ${q}`);
      const t = loopTiming(e, run, n);
      frames += t.frames;
      toolSeconds += t.seconds;
      wallSeconds += run.wallSeconds;
      cpuSeconds = cpuSeconds === null || run.cpuSeconds === null ? null : cpuSeconds + run.cpuSeconds;
      peakRssKB = peakRssKB === null || run.peakRssKB === null ? null : Math.max(peakRssKB, run.peakRssKB);
    }
    log(`${clipName} timing run ${r + 1}/${runs} ${e.name}: ${fixed(frames / toolSeconds)} frames/s (loop)${cpuSeconds === null ? '' : `, ${fixed(frames / cpuSeconds)} by CPU time`}`);
    return { frames, toolSeconds, wallSeconds, cpuSeconds, peakRssKB };
  });

  const timing = new Map<Encoder, Timing>(encoders.map((e) => [e, summarizeTiming(samples.get(e)!)]));
  const cpu0 = encoders.find((e) => e.cpuUsed === 0)!;
  const cpu4 = encoders.find((e) => e.cpuUsed === 4)!;
  const baseDefault = encoders.find((e) => e.kind === 'baseline' && e.id === 'baseline-default') ?? null;
  const bd = (anchor: Encoder | null, test: Encoder, metric: 'ssimDb' | 'psnr'): number | null =>
    anchor === null ? null : bdRate(points.get(anchor)!.map((p) => ({ rate: p.kbps, quality: p[metric] })), points.get(test)!.map((p) => ({ rate: p.kbps, quality: p[metric] })));
  const rows: Row[] = encoders.map((e) => {
    const t = timing.get(e)!;
    const base = baseDefault === null ? null : timing.get(baseDefault)!;
    return {
      encoder: e.name,
      kind: e.kind,
      speed: e.speed,
      cpuUsed: e.cpuUsed,
      points: points.get(e)!,
      timing: t,
      fpsRatioToCpu4: round(ratio(t.medianLoopFps, timing.get(cpu4)!.medianLoopFps), 4),
      cpuFpsRatioToCpu4: round(ratio(t.medianCpuFps, timing.get(cpu4)!.medianCpuFps), 4),
      bdRateSsimVsCpu4: round(bd(cpu4, e, 'ssimDb'), 2),
      bdRatePsnrVsCpu4: round(bd(cpu4, e, 'psnr'), 2),
      bdRateSsimVsCpu0: round(bd(cpu0, e, 'ssimDb'), 2),
      bdRatePsnrVsCpu0: round(bd(cpu0, e, 'psnr'), 2),
      bdRateSsimVsBaselineDefault: round(bd(baseDefault, e, 'ssimDb'), 2),
      speedupVsBaselineDefault: round(ratio(t.medianLoopFps, base?.medianLoopFps), 3),
      cpuSpeedupVsBaselineDefault: round(ratio(t.medianCpuFps, base?.medianCpuFps), 3),
    };
  });
  results.push({ clip: clipName, width, height, frames: n, frameRate: fps, rows });

  writeFileSync(
    join(outDir, `encode-${clipName}.svg`),
    lineChart(
      rows.map((r) => ({ name: r.encoder, points: r.points.map((p) => ({ x: p.kbps, y: p.ssimDb })), dashed: r.kind !== 'ours' })),
      { title: `${clipName} ${width}x${height}, ${n} frames: rate vs quality`, xLabel: 'kbit/s (log scale)', yLabel: 'SSIM (dB)', logX: true },
    ),
  );

  if (!json) {
    const withBase = baseDefault !== null;
    process.stdout.write(`\n${clipName} ${width}x${height}, ${n} frames; compression at quantizers ${quantizers.join(',')} (negative BD-rate: fewer bits for the same quality)\n`);
    const compression = [['encoder', 'SSIM BD vs cpu4', 'PSNR BD vs cpu4', 'SSIM BD vs cpu0', 'PSNR BD vs cpu0', ...(withBase ? ['SSIM BD vs base default'] : [])]];
    for (const r of rows) {
      compression.push([r.encoder, percent(r.bdRateSsimVsCpu4), percent(r.bdRatePsnrVsCpu4), percent(r.bdRateSsimVsCpu0), percent(r.bdRatePsnrVsCpu0), ...(withBase ? [percent(r.bdRateSsimVsBaselineDefault)] : [])]);
    }
    process.stdout.write(`${table(compression)}\n`);
    process.stdout.write(
      `\nspeed at quantizer ${timingQuantizers.join(',')} only, ${runs} run${runs > 1 ? 's' : ''} per encoder, one process at a time, alternating; ` +
        'fps (loop): the tool\'s own encoding-loop timing; fps (CPU): the whole process\'s user + system time\n',
    );
    const speed = [['encoder', 'cold fps (loop)', 'cold fps (CPU)', 'median fps (loop)', 'median fps (CPU)', 'x cpu4 (loop)', 'x cpu4 (CPU)', 'peak RSS MB', ...(withBase ? ['x base default (loop)', 'x base default (CPU)'] : [])]];
    for (const r of rows) {
      const t = r.timing;
      speed.push([
        r.encoder, fixed(t.coldLoopFps), fixed(t.coldCpuFps), fixed(t.medianLoopFps), fixed(t.medianCpuFps), times(r.fpsRatioToCpu4), times(r.cpuFpsRatioToCpu4), fixed(t.medianPeakRssMB),
        ...(withBase ? [times(r.speedupVsBaselineDefault, 2), times(r.cpuSpeedupVsBaselineDefault, 2)] : []),
      ]);
    }
    process.stdout.write(`${table(speed)}\n`);
  }
}

// The issue's encoder targets, from the figures above.
interface Check {
  readonly target: string;
  readonly met: boolean | null;
  readonly detail: string;
}
const checks: Check[] = [];
const ours = (clip: ClipResult, speed: number): Row | undefined => clip.rows.find((r) => r.kind === 'ours' && r.speed === speed);
const allKnown = (xs: readonly (number | null | undefined)[]): xs is number[] => xs.every((x) => x !== null && x !== undefined);

{
  // 1. A speed with SSIM BD-rate <= 0% against cpu-used=4 on every clip runs at >= 0.10x cpu-used=4.
  const candidates = speeds.map((s) => {
    const rows = results.map((c) => ours(c, s));
    const bds = rows.map((r) => r?.bdRateSsimVsCpu4);
    const fpsRatios = rows.map((r) => r?.fpsRatioToCpu4);
    return { s, bds, fpsRatios, qualifies: allKnown(bds) && bds.every((b) => b <= 0), fast: allKnown(fpsRatios) && fpsRatios.every((f) => f >= 0.1) };
  });
  const describe = (c: (typeof candidates)[number]): string =>
    `speed ${c.s}: SSIM BD vs cpu4 ${c.bds.map((b) => percent(b)).join(' / ')}, ${c.fpsRatios.map((f) => times(f)).join(' / ')} cpu4's frames/s`;
  const met = candidates.find((c) => c.qualifies && c.fast);
  const known = candidates.filter((c) => allKnown(c.bds) && allKnown(c.fpsRatios));
  const best = met ?? [...candidates.filter((c) => c.qualifies)].sort((a, b) => Math.min(...(b.fpsRatios as number[])) - Math.min(...(a.fpsRatios as number[])))[0];
  checks.push({
    target: `a speed with SSIM BD-rate <= 0% vs cpu-used=4 on every clip (${clipNames.join(', ')}) runs at >= 0.10x cpu-used=4's frames/s`,
    met: known.length === 0 ? null : met !== undefined,
    detail: known.length === 0 ? 'not measured (BD-rates need >= 4 quantizers)' : best ? describe(best) : `no speed is <= 0% on every clip; ${known.map(describe).join('; ')}`,
  });
}
for (const clip of results) {
  const def = ours(clip, DEFAULT_SPEED);
  const base = clip.rows.find((r) => r.kind === 'baseline' && r.encoder.startsWith('baseline default'));
  const speedup = def?.speedupVsBaselineDefault;
  const bdVsBase = def?.bdRateSsimVsBaselineDefault;
  checks.push({
    target: `${clip.clip}: default speed ${DEFAULT_SPEED} >= 5x the frames/s of the baseline's default with SSIM BD-rate <= +3% against it`,
    met: !def || !base || speedup == null || bdVsBase == null ? null : speedup >= 5 && bdVsBase <= 3,
    detail: !base ? 'not measured (needs --baseline-dist)' : !def ? `not measured (speed ${DEFAULT_SPEED} not in --speeds)` :
      `${times(speedup, 2)} by loop timing (${times(def.cpuSpeedupVsBaselineDefault, 2)} by CPU time) vs ${base.encoder}, SSIM BD-rate ${percent(bdVsBase)}`,
  });
}
for (const clip of results) {
  const fast = ours(clip, MAX_SPEED);
  checks.push({
    target: `${clip.clip}: fastest speed ${MAX_SPEED} >= 0.5x cpu-used=4's frames/s with SSIM BD-rate <= +25% against it`,
    met: !fast || fast.fpsRatioToCpu4 === null || fast.bdRateSsimVsCpu4 === null ? null : fast.fpsRatioToCpu4 >= 0.5 && fast.bdRateSsimVsCpu4 <= 25,
    detail: !fast ? `not measured (speed ${MAX_SPEED} not in --speeds)` :
      `${times(fast.fpsRatioToCpu4)} by loop timing (${times(fast.cpuFpsRatioToCpu4)} by CPU time), SSIM BD-rate ${percent(fast.bdRateSsimVsCpu4)}`,
  });
}
for (const clip of results) {
  const s0 = ours(clip, 0);
  checks.push({
    target: `${clip.clip}: speed 0 within +3% SSIM BD-rate of cpu-used=0`,
    met: !s0 || s0.bdRateSsimVsCpu0 === null ? null : s0.bdRateSsimVsCpu0 <= 3,
    detail: !s0 ? 'not measured (speed 0 not in --speeds)' : `SSIM BD-rate ${percent(s0.bdRateSsimVsCpu0)} (PSNR ${percent(s0.bdRatePsnrVsCpu0)})`,
  });
}

const settings = {
  quantizers, timingQuantizers, runs, jobs, frames: frameLimit ?? null, speeds, baselineDist: baselineDist ?? null,
  cpuAndRssMeasured: canMeasureResources(),
  timing: `quantizer ${timingQuantizers.join(',')} only; ${runs} run(s) per encoder, one process at a time, alternating`,
};
writeFileSync(join(outDir, 'encode.json'), `${JSON.stringify({ settings, results, checks }, null, 2)}\n`);
if (json) process.stdout.write(`${JSON.stringify({ settings, results, checks })}\n`);
else {
  process.stdout.write('\ntargets\n');
  for (const c of checks) process.stdout.write(`${(c.met === null ? 'n/a' : c.met ? 'met' : 'NOT met').padEnd(7)}  ${c.target}: ${c.detail}\n`);
  process.stdout.write(`plots and JSON in ${outDir}\n`);
}
