// bench/encode: compression and speed of the built-in encoder against libvpx,
// measured in the same run.
//
// For each clip (foreman CIF, flower 720p) and each quantizer (vpxenc's 0..63
// scale, pinned with --min-q=Q --max-q=Q on both sides), it encodes the clip
// with our encoder at every speed and with `vpxenc --good --cpu-used=0` and
// `--cpu-used=4` (one thread), decodes every result with our decoder and
// measures bits, PSNR and SSIM against the source. It reports BD-rates
// (Bjøntegaard, at equal SSIM and at equal PSNR) of each speed against both
// vpxenc settings, frames per second of every encoder (vpxenc's own timing of
// its encoding loop; ours of encodeFrame calls), a table, JSON and an SVG
// rate-distortion plot per clip, and checks the targets:
//   - default speed: SSIM BD-rate against vpxenc --cpu-used=4 at most +15%;
//   - fastest speed: at least 0.25x the frames/s of vpxenc --cpu-used=4.
//
//   npm run bench:encode [-- --speeds 0,2,5] [--clips foreman] [--frames 30] [--out DIR] [--json]

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIvf, parseY4m } from '../src/container/index.js';
import { createDecoderState, decodeFrame, imageFromI420, imageToI420 } from '../src/vp8/index.js';
import { DEFAULT_SPEED, MAX_SPEED } from '../src/vp8/encoder/encoder.js';
import { Vp8Encoder } from '../src/vp8/encoder/sequence.js';
import { frameQuality, QualityTotals } from '../src/vp8/metrics.js';
import { bdRate, type RdPoint } from './bd-rate.js';
import { exitOnHelp, flag, option, ROOT } from './args.js';
import { lineChart } from './svg.js';

const root = ROOT;
exitOnHelp(`usage: npm run bench:encode [-- --speeds 0,2,5] [--quantizers 8,16,24] [--clips foreman,flower]
                          [--frames N] [--out DIR] [--json]

Encodes each clip at each speed and quantizer with the built-in encoder and
with vpxenc, and reports rate-distortion, BD-rates and frames/s against libvpx.`);
const json = flag('json');
const speeds = (option('speeds') ?? Array.from({ length: MAX_SPEED + 1 }, (_, i) => i).join(',')).split(',').map(Number);
const quantizers = (option('quantizers') ?? '8,16,24,32,40,48').split(',').map(Number);
const clipNames = (option('clips') ?? 'foreman,flower').split(',');
const frameLimit = option('frames') ? Number(option('frames')) : undefined;
const outDir = option('out') ?? join(root, 'bench', 'results');

const CLIPS: Record<string, string> = {
  foreman: 'foreman_cif_352x288_60f.y4m',
  flower: 'flower_720p_1280x720_12f.y4m',
  carphone: 'carphone_qcif_176x144_120f.y4m',
};

if (spawnSync('sh', ['-c', 'command -v vpxenc']).status !== 0) {
  process.stderr.write('bench/encode needs vpxenc (Debian: apt-get install vpx-tools) to compare against libvpx.\n');
  process.exit(1);
}

interface Point extends RdPoint {
  readonly q: number;
  readonly kbps: number;
  readonly psnr: number;
  readonly ssimDb: number;
  readonly ssim: number;
}

interface Curve {
  readonly name: string;
  readonly points: Point[];
  frames: number;
  seconds: number;
}

function measure(src: readonly Uint8Array[], coded: readonly Uint8Array[], width: number, height: number, fps: number, q: number): Point {
  let state = createDecoderState();
  const totals = new QualityTotals();
  let bytes = 0;
  coded.forEach((f, i) => {
    bytes += f.length;
    const r = decodeFrame(state, f);
    state = r.state;
    if (r.image) totals.add(frameQuality(src[i], imageToI420(r.image), width, height));
  });
  const kbps = (bytes * 8 * fps) / coded.length / 1000;
  const psnr = totals.psnr().all;
  const s = totals.ssim();
  return { q, kbps, psnr, ssimDb: s.allDb, ssim: s.all, rate: kbps, quality: s.allDb };
}

const results: Record<string, unknown>[] = [];
const checks: { name: string; value: number; limit: string; pass: boolean }[] = [];
mkdirSync(outDir, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), 'excamera-bench-enc-'));

for (const clipName of clipNames) {
  const file = CLIPS[clipName];
  if (!file) throw new Error(`unknown clip ${clipName}`);
  const path = join(root, 'fixtures', 'clips', file);
  const y4m = parseY4m(new Uint8Array(readFileSync(path)));
  const { width, height } = y4m.header;
  const rate = y4m.header.frameRate ?? { numerator: 30, denominator: 1 };
  const fps = rate.numerator / rate.denominator;
  const src = y4m.frames.slice(0, frameLimit ?? y4m.frames.length).map((f) => f.data);
  const n = src.length;
  const curves: Curve[] = [];

  for (const speed of speeds) {
    const curve: Curve = { name: `excamera speed ${speed}${speed === DEFAULT_SPEED ? ' (default)' : ''}`, points: [], frames: 0, seconds: 0 };
    for (const q of quantizers) {
      const enc = new Vp8Encoder({ width, height, frameRate: fps, rateControl: { mode: 'quantizer', quantizer: q }, speed });
      const coded: Uint8Array[] = [];
      for (const f of src) {
        const t0 = process.hrtime.bigint();
        const out = enc.encode(imageFromI420(width, height, f));
        curve.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
        coded.push(out.frame);
      }
      curve.frames += n;
      curve.points.push(measure(src, coded, width, height, fps, q));
      process.stderr.write(`${clipName} speed ${speed} Q ${q}: ${curve.points.at(-1)!.kbps.toFixed(1)} kbit/s\n`);
    }
    curves.push(curve);
  }
  for (const cpu of [0, 4]) {
    const curve: Curve = { name: `vpxenc --good --cpu-used=${cpu}`, points: [], frames: 0, seconds: 0 };
    for (const q of quantizers) {
      const out = join(scratch, `${clipName}-cpu${cpu}-q${q}.ivf`);
      const r = spawnSync('vpxenc', [
        '--codec=vp8', '--ivf', '--good', `--cpu-used=${cpu}`, '--threads=1', '--disable-warning-prompt',
        '--end-usage=vbr', '--target-bitrate=1000000', `--min-q=${q}`, `--max-q=${q}`, `--limit=${n}`, '-o', out, path,
      ], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`vpxenc failed: ${r.stderr}`);
      // vpxenc's own timing of its encoding loop: "... <N> us (<fps> fps)".
      const times = [...r.stderr.matchAll(/(\d+) us \(([\d.]+) fps\)/g)];
      const last = times.at(-1);
      if (!last) throw new Error(`could not read vpxenc's timing: ${r.stderr.slice(-300)}`);
      curve.seconds += Number(last[1]) / 1e6;
      curve.frames += n;
      const coded = parseIvf(new Uint8Array(readFileSync(out))).frames.map((f) => f.data);
      curve.points.push(measure(src, coded, width, height, fps, q));
    }
    curves.push(curve);
  }

  const vpx0 = curves.find((c) => c.name.endsWith('cpu-used=0'))!;
  const vpx4 = curves.find((c) => c.name.endsWith('cpu-used=4'))!;
  const vpx4Fps = vpx4.frames / vpx4.seconds;
  const rows = curves.map((c) => {
    const ssimAgainst = (a: Curve): number | null => bdRate(a.points.map((p) => ({ rate: p.kbps, quality: p.ssimDb })), c.points.map((p) => ({ rate: p.kbps, quality: p.ssimDb })));
    const psnrAgainst = (a: Curve): number | null => bdRate(a.points.map((p) => ({ rate: p.kbps, quality: p.psnr })), c.points.map((p) => ({ rate: p.kbps, quality: p.psnr })));
    return {
      encoder: c.name,
      framesPerSecond: c.frames / c.seconds,
      fpsRatioToCpu4: c.frames / c.seconds / vpx4Fps,
      bdRateSsimVsCpu4: ssimAgainst(vpx4),
      bdRatePsnrVsCpu4: psnrAgainst(vpx4),
      bdRateSsimVsCpu0: ssimAgainst(vpx0),
      bdRatePsnrVsCpu0: psnrAgainst(vpx0),
      points: c.points.map((p) => ({ quantizer: p.q, kbitPerSecond: p.kbps, psnr: p.psnr, ssim: p.ssim, ssimDb: p.ssimDb })),
    };
  });
  const def = rows.find((r) => r.encoder.includes(`speed ${DEFAULT_SPEED}`));
  const fastest = rows.find((r) => r.encoder.includes(`speed ${MAX_SPEED}`));
  if (def && def.bdRateSsimVsCpu4 !== null) checks.push({ name: `${clipName}: default speed, SSIM BD-rate vs vpxenc --cpu-used=4`, value: def.bdRateSsimVsCpu4, limit: '<= +15%', pass: def.bdRateSsimVsCpu4 <= 15 });
  if (fastest) checks.push({ name: `${clipName}: fastest speed, frames/s vs vpxenc --cpu-used=4`, value: fastest.fpsRatioToCpu4, limit: '>= 0.25x', pass: fastest.fpsRatioToCpu4 >= 0.25 });
  results.push({ clip: clipName, width, height, frames: n, frameRate: fps, quantizers, rows });

  writeFileSync(
    join(outDir, `encode-${clipName}.svg`),
    lineChart(
      curves.map((c) => ({ name: c.name, points: c.points.map((p) => ({ x: p.kbps, y: p.ssimDb })), dashed: c.name.startsWith('vpxenc') })),
      { title: `${clipName} ${width}x${height}, ${n} frames: rate vs quality`, xLabel: 'kbit/s (log scale)', yLabel: 'SSIM (dB)', logX: true },
    ),
  );
  if (!json) {
    const pct = (v: number | null): string => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`);
    process.stdout.write(`\n${clipName} ${width}x${height}, ${n} frames, quantizers ${quantizers.join(',')}\n`);
    process.stdout.write(`${'encoder'.padEnd(34)}${'frames/s'.padStart(10)}${'x cpu4'.padStart(8)}${'SSIM BD'.padStart(10)}${'PSNR BD'.padStart(10)}  (vs cpu4)${'SSIM BD'.padStart(10)}${'PSNR BD'.padStart(10)}  (vs cpu0)\n`);
    for (const r of rows) {
      process.stdout.write(
        `${r.encoder.padEnd(34)}${r.framesPerSecond.toFixed(1).padStart(10)}${r.fpsRatioToCpu4.toFixed(3).padStart(8)}` +
          `${pct(r.bdRateSsimVsCpu4).padStart(10)}${pct(r.bdRatePsnrVsCpu4).padStart(10)}           ${pct(r.bdRateSsimVsCpu0).padStart(10)}${pct(r.bdRatePsnrVsCpu0).padStart(10)}\n`,
      );
    }
  }
}
rmSync(scratch, { recursive: true, force: true });
writeFileSync(join(outDir, 'encode.json'), `${JSON.stringify({ results, checks }, null, 2)}\n`);
if (json) process.stdout.write(`${JSON.stringify({ results, checks })}\n`);
else {
  process.stdout.write('\ntargets\n');
  for (const c of checks) process.stdout.write(`${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.limit.includes('%') ? `${c.value.toFixed(1)}%` : `${c.value.toFixed(3)}x`} (${c.limit})\n`);
  process.stdout.write(`plots and JSON in ${outDir}\n`);
}
