// bench/runtime: the distributed runtime on this machine, against the
// in-process pipeline and a serial encode, and beside the simulator's
// prediction for the same job from a profile calibrated on the same clip —
// so that the simulator is checked against a real run.
//
//   npm run bench:runtime [-- --clip foreman|carphone] [--workers W] [--json]

import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseY4m } from '../src/container/index.js';
import { calibrate } from '../src/sim/calibrate.js';
import { PHASE_ORDER, workerSecondsByPhase } from '../src/excamera/phases.js';
import { runInProcess } from '../src/excamera/pipeline.js';
import { LocalLauncher } from '../src/excamera/runtime/local.js';
import { collectOutput, runDistributed } from '../src/excamera/runtime/shell.js';
import { joinFrames } from '../src/excamera/raw-chunks.js';
import { LocalStorage } from '../src/excamera/runtime/storage.js';
import { simulate } from '../src/sim/engine.js';
import { jobConfig } from '../src/excamera/schedule.js';
import { imageFromI420 } from '../src/vp8/index.js';
import { Vp8Encoder } from '../src/vp8/encoder/sequence.js';
import { exitOnHelp, flag, option, ROOT } from './args.js';

exitOnHelp(`usage: npm run bench:runtime [-- --clip foreman|carphone] [--workers W] [--json]

Encodes a clip as ExCamera[6,16] with the local backend (worker processes over
TLS), in process, and serially; calibrates a simulation profile on the clip and
prints the simulator's prediction for the same job beside the measured run.`);

const CLIPS: Record<string, string> = { carphone: 'carphone_qcif_176x144_120f.y4m', foreman: 'foreman_cif_352x288_60f.y4m' };
const clipName = option('clip') ?? 'foreman';
const file = CLIPS[clipName];
if (file === undefined) throw new Error(`unknown clip ${clipName} (${Object.keys(CLIPS).join(', ')})`);
const workers = Number(option('workers') ?? availableParallelism());
const json = flag('json');
const RATE = { numerator: 30000, denominator: 1001 };
const quality = { mode: 'cq', cqLevel: 24 } as const;
const n = 6;
const x = 16;

const y4m = parseY4m(new Uint8Array(readFileSync(join(ROOT, 'fixtures', 'clips', file))));
const { width, height } = y4m.header;
const raw = y4m.frames.map((f) => Uint8Array.from(f.data));
const pictures = raw.map((f) => imageFromI420(width, height, f));
const frameRate = y4m.header.frameRate ?? RATE;
const seconds = (t0: number): number => (performance.now() - t0) / 1000;

// Warm-up: the first chunks once, so that compiling the code is not measured.
await runInProcess(pictures.slice(0, 3 * n), { framesPerChunk: n, chunksPerBatch: x, chunkEncoder: 'builtin', quality, frameRate });

let t0 = performance.now();
const serial = new Vp8Encoder({ width, height, frameRate: frameRate.numerator / frameRate.denominator, rateControl: { mode: 'cq', cqLevel: quality.cqLevel }, keyframeInterval: 96 });
for (const p of pictures) serial.encode(p);
const serialSeconds = seconds(t0);

t0 = performance.now();
const inprocess = await runInProcess(pictures, { framesPerChunk: n, chunksPerBatch: x, chunkEncoder: 'builtin', quality, frameRate });
const inprocessSeconds = seconds(t0);

const dir = mkdtempSync(join(tmpdir(), 'bench-runtime-'));
const config = jobConfig({ frames: raw.length, framesPerChunk: n, chunksPerBatch: x, workers, spares: 0, phaseTimeoutSeconds: 600 });
t0 = performance.now();
const local = await runDistributed({
  rawChunks: joinFrames(raw, n), spec: { width, height, frameRate, framesPerChunk: n, chunksPerBatch: x, chunkEncoder: 'builtin', quality }, config,
  storage: new LocalStorage(dir), storageSpec: { kind: 'local', dir }, launcher: new LocalLauncher(),
});
const localSeconds = seconds(t0);
rmSync(dir, { recursive: true, force: true });
const localFrames = await collectOutput(local);
const identical = localFrames.length === inprocess.frames.length && localFrames.every((f, i) => Buffer.compare(Buffer.from(f), Buffer.from(inprocess.frames[i]!)) === 0);

// Worker-seconds per phase, summed as `xc` and the simulator sum them.
const measuredPhases = workerSecondsByPhase(local.transitions);

// The simulator's prediction, from a profile measured on the same clip.
const profile = await calibrate(pictures, { framesPerChunk: n, chunks: 6, chunkEncoder: 'builtin', quality, frameRate, clipName: file, clipFrames: raw.length, date: new Date().toISOString().slice(0, 10) });
const predicted = simulate({ profile, job: config, seed: 1, keepTransitions: true });
const predictedPhases = workerSecondsByPhase(predicted.transitions);

const PHASES = PHASE_ORDER.filter((p) => p in measuredPhases || p in predictedPhases);
const result = {
  clip: file,
  frames: raw.length,
  config: `ExCamera[${n},${x}]`,
  workers,
  identicalToInProcess: identical,
  seconds: { serial: serialSeconds, inprocess: inprocessSeconds, local: localSeconds, localLatency: local.latencySeconds, simulated: predicted.latencySeconds },
  predictionError: predicted.latencySeconds === null ? null : predicted.latencySeconds / local.latencySeconds - 1,
  workerSecondsPerPhase: Object.fromEntries(PHASES.map((p) => [p, { measured: measuredPhases[p] ?? 0, simulated: predictedPhases[p] ?? 0 }])),
};
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'runtime.json'), `${JSON.stringify(result, null, 2)}\n`);

if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  const f = (v: number | null): string => (v === null ? '-' : v.toFixed(2));
  process.stdout.write(
    [
      `${file}, ${raw.length} frames, ExCamera[${n},${x}], ${workers} local workers (${availableParallelism()} cores), output identical to in-process: ${identical}`,
      `serial encode          ${f(serialSeconds)} s`,
      `in process             ${f(inprocessSeconds)} s`,
      `local backend          ${f(localSeconds)} s (latency ${f(local.latencySeconds)} s)`,
      `simulated (calibrated) ${f(predicted.latencySeconds)} s latency (${result.predictionError === null ? '-' : `${(100 * result.predictionError).toFixed(0)}%`} vs the local run)`,
      '',
      'worker-seconds per phase   measured  simulated',
      ...PHASES.map((p) => `  ${p.padEnd(22)} ${f(measuredPhases[p] ?? 0).padStart(8)} ${f(predictedPhases[p] ?? 0).padStart(10)}`),
      '',
    ].join('\n'),
  );
}
