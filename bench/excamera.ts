// bench/excamera: what burst-parallel encoding costs in compression, and how
// long each of its phases takes, measured in the same run.
//
// For each clip (carphone QCIF, foreman CIF), each chunk encoder (the built-in
// encoder, and vpxenc when it is installed) and each quality level (CQ levels
// on vpxenc's 0..63 scale), it encodes the clip three ways:
//   - ExCamera[6,16]: chunks of 6 frames, 16 chunks per batch (runInProcess:
//     independent chunks, encode-given-state, serial rebase);
//   - ExCamera[6,1]: chunks of 6 frames, each its own batch (independent
//     chunks, a key frame every 6 frames);
//   - serial: one encode of the whole clip with the same chunk encoder and
//     quality, a key frame every 96 frames;
// decodes every result with our decoder and measures bits, PSNR and SSIM
// against the source. It reports BD-rates at equal SSIM (dB) of [6,16] and
// [6,1] against serial and of [6,1] against [6,16], the time ExCamera[6,16]
// spends per frame in each phase, the rebase throughput (frames of rebased
// chunks per second of rebasing) and the time encode-given-state takes per
// chunk, a table, JSON and an SVG rate-distortion plot per clip, and checks
// the targets:
//   - ExCamera[6,16]: SSIM BD-rate against serial at most +10%;
//   - ExCamera[6,1] is markedly worse than [6,16]: its SSIM BD-rate against
//     [6,16] at least +15% (the paper measured +58% on Sintel 4K).
//
//   npm run bench:excamera [-- --clips carphone] [--levels 12,20,28,36,44] [--encoders builtin,vpxenc]
//                          [--speed S] [--key-quantizer-weight W] [--frames N] [--out DIR] [--json]

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseY4m, type Rational } from '../src/container/index.js';
import { CHUNK_ENCODERS, type ChunkEncoderName } from '../src/excamera/chunk-encoder.js';
import { type ExcameraResult, type Phase, PHASES, runInProcess } from '../src/excamera/pipeline.js';
import { encodeWithVpxenc, vpxencAvailable } from '../src/excamera/vpxenc.js';
import { createDecoderState, decodeFrame, type Image, imageFromI420, imageToI420 } from '../src/vp8/index.js';
import { DEFAULT_SPEED, MAX_SPEED } from '../src/vp8/encoder/encoder.js';
import { Vp8Encoder } from '../src/vp8/encoder/sequence.js';
import { frameQuality, QualityTotals } from '../src/vp8/metrics.js';
import { bdRate, type RdPoint } from '../src/excamera/bd-rate.js';
import { exitOnHelp, flag, option, ROOT } from './args.js';
import { lineChart } from './svg.js';

const root = ROOT;
exitOnHelp(`usage: npm run bench:excamera [-- --clips carphone,foreman] [--levels 12,20,28,36,44]
                            [--encoders builtin,vpxenc] [--speed S] [--key-quantizer-weight W]
                            [--frames N] [--out DIR] [--json]

Encodes each clip as ExCamera[6,16], ExCamera[6,1] and one serial stream with
each chunk encoder, and reports SSIM BD-rates, time per phase per frame and
rebase throughput.`);
const json = flag('json');
const levels = (option('levels') ?? '12,20,28,36,44').split(',').map(Number);
const clipNames = (option('clips') ?? 'carphone,foreman').split(',');
const encoderNames = (option('encoders') ?? 'builtin,vpxenc').split(',');
const speed = option('speed') !== undefined ? Number(option('speed')) : DEFAULT_SPEED;
const frameLimit = option('frames') ? Number(option('frames')) : undefined;
const outDir = option('out') ?? join(root, 'bench', 'results');
const keyQuantizerWeight = option('key-quantizer-weight') !== undefined ? Number(option('key-quantizer-weight')) : undefined;

const CLIPS: Record<string, string> = {
  carphone: 'carphone_qcif_176x144_120f.y4m',
  foreman: 'foreman_cif_352x288_60f.y4m',
};
/** Frames per chunk and key-frame interval of the serial reference. */
const CHUNK_FRAMES = 6;
const SERIAL_KEYFRAME_INTERVAL = 96;

for (const l of levels) if (!Number.isInteger(l) || l < 0 || l > 63) throw new Error(`CQ levels must be integers 0..63, got ${l}`);
for (const e of encoderNames) if (!CHUNK_ENCODERS.includes(e as ChunkEncoderName)) throw new Error(`unknown chunk encoder ${e} (${CHUNK_ENCODERS.join(', ')})`);
for (const c of clipNames) if (!CLIPS[c]) throw new Error(`unknown clip ${c} (${Object.keys(CLIPS).join(', ')})`);
if (!Number.isInteger(speed) || speed < 0 || speed > MAX_SPEED) throw new Error(`speed must be an integer 0..${MAX_SPEED}, got ${speed}`);

const notes: string[] = [];
const encoders = encoderNames.filter((e): e is ChunkEncoderName => {
  if (e === 'vpxenc' && !vpxencAvailable()) {
    notes.push('vpxenc is not installed (Debian: apt-get install vpx-tools): the vpxenc chunk encoder is skipped.');
    return false;
  }
  return true;
});
for (const n of notes) process.stderr.write(`note: ${n}\n`);

interface Point extends RdPoint {
  readonly level: number;
  readonly kbps: number;
  readonly psnr: number;
  readonly ssimDb: number;
  readonly ssim: number;
  /** Compressed frames, hidden ones included. */
  readonly packets: number;
  /** Wall-clock seconds of the encode (all phases for ExCamera). */
  readonly seconds: number;
}

type ConfigName = 'excamera[6,16]' | 'excamera[6,1]' | 'serial';
const CONFIGS: readonly ConfigName[] = ['excamera[6,16]', 'excamera[6,1]', 'serial'];

/**
 * Decodes `coded` from a fresh state and measures the shown pictures, in
 * order, against the source frames. Hidden frames show nothing; an empty
 * frame shows the previous picture again.
 */
function measure(src: readonly Uint8Array[], coded: readonly Uint8Array[], width: number, height: number, fps: number, level: number, seconds: number): Point {
  let state = createDecoderState();
  const totals = new QualityTotals();
  let bytes = 0;
  let shown = 0;
  let last: Uint8Array | null = null;
  coded.forEach((f, i) => {
    bytes += f.length;
    const r = decodeFrame(state, f, { frameIndex: i });
    state = r.state;
    const picture = r.image ? imageToI420(r.image) : r.header === null ? last : null;
    if (picture === null) return;
    if (shown >= src.length) throw new Error(`the stream shows more pictures than the ${src.length} source frames`);
    totals.add(frameQuality(src[shown++], picture, width, height));
    last = picture;
  });
  if (shown !== src.length) throw new Error(`the stream shows ${shown} pictures for ${src.length} source frames`);
  const kbps = (bytes * 8 * fps) / src.length / 1000;
  const psnr = totals.psnr().all;
  const s = totals.ssim();
  return { level, kbps, psnr, ssimDb: s.allDb, ssim: s.all, packets: coded.length, seconds, rate: kbps, quality: s.allDb };
}

async function serialEncode(encoder: ChunkEncoderName, pictures: readonly Image[], frameRate: Rational, level: number): Promise<Uint8Array[]> {
  if (encoder === 'vpxenc') return encodeWithVpxenc(pictures, frameRate, { mode: 'cq', cqLevel: level }, undefined, SERIAL_KEYFRAME_INTERVAL);
  const { width, height } = pictures[0];
  const enc = new Vp8Encoder({
    width, height, frameRate: frameRate.numerator / frameRate.denominator,
    rateControl: { mode: 'cq', cqLevel: level }, keyframeInterval: SERIAL_KEYFRAME_INTERVAL, speed,
  });
  return pictures.map((p) => enc.encode(p).frame);
}

const ssimCurve = (ps: readonly Point[]): RdPoint[] => ps.map((p) => ({ rate: p.kbps, quality: p.ssimDb }));
const psnrCurve = (ps: readonly Point[]): RdPoint[] => ps.map((p) => ({ rate: p.kbps, quality: p.psnr }));
const pct = (v: number | null): string => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`);

const results: Record<string, unknown>[] = [];
const checks: { name: string; value: number | null; limit: string; pass: boolean | null }[] = [];
mkdirSync(outDir, { recursive: true });
if (!json) for (const n of notes) process.stdout.write(`note: ${n}\n`);
if (!json && levels.length < 4) process.stdout.write(`note: BD-rates need at least 4 levels; with ${levels.length} they are n/a.\n`);

for (const clipName of clipNames) {
  const path = join(root, 'fixtures', 'clips', CLIPS[clipName]);
  const y4m = parseY4m(new Uint8Array(readFileSync(path)));
  const { width, height } = y4m.header;
  const frameRate: Rational = y4m.header.frameRate ?? { numerator: 30, denominator: 1 };
  const fps = frameRate.numerator / frameRate.denominator;
  const src = y4m.frames.slice(0, frameLimit ?? y4m.frames.length).map((f) => f.data);
  const n = src.length;
  const pictures = src.map((f) => imageFromI420(width, height, f));
  const series: { name: string; points: { x: number; y: number }[]; dashed: boolean }[] = [];

  for (const encoder of encoders) {
    const curves: Record<ConfigName, Point[]> = { 'excamera[6,16]': [], 'excamera[6,1]': [], serial: [] };
    const runs: ExcameraResult[] = [];
    // Warm-up, untimed: every phase once on the first 3 chunks, so that the
    // first measured run does not pay for compiling the code.
    await runInProcess(pictures.slice(0, 3 * CHUNK_FRAMES), {
      framesPerChunk: CHUNK_FRAMES, chunksPerBatch: 16, chunkEncoder: encoder, quality: { mode: 'cq', cqLevel: levels[0] }, frameRate, speed,
    });
    for (const level of levels) {
      const quality = { mode: 'cq', cqLevel: level } as const;
      for (const config of CONFIGS) {
        const t0 = performance.now();
        let coded: readonly Uint8Array[];
        if (config === 'serial') coded = await serialEncode(encoder, pictures, frameRate, level);
        else {
          const chunksPerBatch = config === 'excamera[6,16]' ? 16 : 1;
          const r = await runInProcess(pictures, { framesPerChunk: CHUNK_FRAMES, chunksPerBatch, chunkEncoder: encoder, quality, frameRate, speed, keyQuantizerWeight });
          if (chunksPerBatch === 16) runs.push(r);
          coded = r.frames;
        }
        const p = measure(src, coded, width, height, fps, level, (performance.now() - t0) / 1000);
        curves[config].push(p);
        process.stderr.write(`${clipName} ${encoder} CQ ${level} ${config}: ${p.kbps.toFixed(1)} kbit/s, SSIM ${p.ssimDb.toFixed(2)} dB, ${p.seconds.toFixed(1)} s\n`);
      }
    }

    const bd = (test: ConfigName, anchor: ConfigName): { ssim: number | null; psnr: number | null } => ({
      ssim: bdRate(ssimCurve(curves[anchor]), ssimCurve(curves[test])),
      psnr: bdRate(psnrCurve(curves[anchor]), psnrCurve(curves[test])),
    });
    const bdRates = {
      '6x16VsSerial': bd('excamera[6,16]', 'serial'),
      '6x1VsSerial': bd('excamera[6,1]', 'serial'),
      '6x1Vs6x16': bd('excamera[6,1]', 'excamera[6,16]'),
    };
    // ExCamera[6,16]'s phases: ms per frame for each level, then the mean over levels.
    const phaseMsPerFrame = Object.fromEntries(PHASES.map((ph) => [ph, runs.reduce((a, r) => a + (r.seconds[ph] * 1000) / n, 0) / runs.length])) as Record<Phase, number>;
    const rebasedFrames = runs.reduce((a, r) => a + r.chunks.filter((c) => c.origin === 'rebased').reduce((b, c) => b + c.frames, 0), 0);
    const rebaseSeconds = runs.reduce((a, r) => a + r.seconds.rebase, 0);
    const givenStateChunks = runs.reduce((a, r) => a + r.chunks.filter((c) => c.position >= 1).length, 0);
    const givenStateSeconds = runs.reduce((a, r) => a + r.seconds['encode-given-state'], 0);
    const rebaseFramesPerSecond = rebaseSeconds > 0 ? rebasedFrames / rebaseSeconds : null;
    const encodeGivenStateMsPerChunk = givenStateChunks > 0 ? (givenStateSeconds * 1000) / givenStateChunks : null;
    const serialMsPerFrame = curves.serial.reduce((a, p) => a + (p.seconds * 1000) / n, 0) / levels.length;

    const label = `${clipName}, ${encoder}`;
    checks.push({
      name: `${label}: ExCamera[6,16], SSIM BD-rate vs serial`,
      value: bdRates['6x16VsSerial'].ssim, limit: '<= +10%',
      pass: bdRates['6x16VsSerial'].ssim === null ? null : bdRates['6x16VsSerial'].ssim <= 10,
    });
    checks.push({
      name: `${label}: ExCamera[6,1], SSIM BD-rate vs ExCamera[6,16] (paper: +58% on Sintel 4K)`,
      value: bdRates['6x1Vs6x16'].ssim, limit: '>= +15%',
      pass: bdRates['6x1Vs6x16'].ssim === null ? null : bdRates['6x1Vs6x16'].ssim >= 15,
    });
    results.push({
      clip: clipName, encoder, width, height, frames: n, frameRate: fps, speed, levels,
      curves: Object.fromEntries(CONFIGS.map((c) => [c, curves[c].map((p) => ({
        cqLevel: p.level, kbitPerSecond: p.kbps, psnr: p.psnr, ssim: p.ssim, ssimDb: p.ssimDb, packets: p.packets, seconds: p.seconds,
      }))])),
      bdRates,
      excamera6x16: {
        phaseMsPerFrame, rebasedFrames, rebaseSeconds, rebaseFramesPerSecond, givenStateChunks, encodeGivenStateMsPerChunk,
        origins: runs[0] ? runs[0].chunks.map((c) => c.origin) : [],
      },
      serialMsPerFrame,
    });
    for (const c of CONFIGS) {
      series.push({ name: `${c} ${encoder}`, points: curves[c].map((p) => ({ x: p.kbps, y: p.ssimDb })), dashed: c === 'serial' });
    }

    if (!json) {
      process.stdout.write(`\n${clipName} ${width}x${height}, ${n} frames at ${Number(fps.toFixed(3))} fps, chunk encoder ${encoder}, speed ${speed}, CQ levels ${levels.join(',')}\n`);
      process.stdout.write(`${'config'.padEnd(16)}${'CQ'.padStart(4)}${'kbit/s'.padStart(10)}${'PSNR'.padStart(8)}${'SSIM dB'.padStart(9)}${'packets'.padStart(9)}${'seconds'.padStart(9)}\n`);
      for (const c of CONFIGS) {
        for (const p of curves[c]) {
          process.stdout.write(
            `${c.padEnd(16)}${String(p.level).padStart(4)}${p.kbps.toFixed(1).padStart(10)}${p.psnr.toFixed(2).padStart(8)}` +
              `${p.ssimDb.toFixed(2).padStart(9)}${String(p.packets).padStart(9)}${p.seconds.toFixed(1).padStart(9)}\n`,
          );
        }
      }
      process.stdout.write(`BD-rate${'at equal SSIM'.padStart(25)}${'at equal PSNR'.padStart(15)}\n`);
      for (const [name, v] of [['[6,16] vs serial', bdRates['6x16VsSerial']], ['[6,1] vs serial', bdRates['6x1VsSerial']], ['[6,1] vs [6,16]', bdRates['6x1Vs6x16']]] as const) {
        process.stdout.write(`  ${name.padEnd(20)}${pct(v.ssim).padStart(10)}${pct(v.psnr).padStart(15)}\n`);
      }
      process.stdout.write(`ExCamera[6,16] ms per frame (mean over levels): ${PHASES.map((ph) => `${ph} ${phaseMsPerFrame[ph].toFixed(1)}`).join(', ')}; serial encode ${serialMsPerFrame.toFixed(1)}\n`);
      process.stdout.write(
        `ExCamera[6,16] rebase: ${rebaseFramesPerSecond === null ? 'n/a (no rebased chunks)' : `${rebaseFramesPerSecond.toFixed(1)} frames/s (${rebasedFrames} frames in ${rebaseSeconds.toFixed(2)} s)`}; ` +
          `encode-given-state: ${encodeGivenStateMsPerChunk === null ? 'n/a (no chunks)' : `${encodeGivenStateMsPerChunk.toFixed(1)} ms per chunk (${givenStateChunks} chunks)`}\n`,
      );
    }
  }

  if (series.length > 0) {
    writeFileSync(
      join(outDir, `excamera-${clipName}.svg`),
      lineChart(series, { title: `${clipName} ${width}x${height}, ${n} frames: ExCamera vs serial`, xLabel: 'kbit/s (log scale)', yLabel: 'SSIM (dB)', logX: true }),
    );
  }
}
writeFileSync(join(outDir, 'excamera.json'), `${JSON.stringify({ notes, results, checks }, null, 2)}\n`);
if (json) process.stdout.write(`${JSON.stringify({ notes, results, checks })}\n`);
else {
  process.stdout.write('\ntargets\n');
  for (const c of checks) {
    const verdict = c.pass === null ? 'n/a ' : c.pass ? 'PASS' : 'FAIL';
    process.stdout.write(`${verdict}  ${c.name}: ${pct(c.value)} (${c.limit})\n`);
  }
  process.stdout.write(`plots and JSON in ${outDir}\n`);
}
