// bench/decode: decoding speed and memory against libvpx as users see them,
// measured in the same run.
//
// Both decoders run in fresh processes, the way a user runs them:
//   node dist/src/cli/main.js decode STREAM --json
//   vpxdec --threads=1 --noblit --summary STREAM
// on a real 720p stream of 300 frames at 2 Mbit/s (fixtures/streams). Each is
// run `--runs` times, alternating run by run so that the load of a shared
// machine falls on both alike. Per decoder it reports the first (cold) run and
// the median of all runs, as frames/s by the tool's own timing of its decoding
// loop and by the whole process's wall time (start-up included), the process's
// CPU time and peak RSS (GNU time), and the ratio ours / libvpx. With
// --baseline-dist, the CLI of another build runs in the same rotation, for the
// speed-up and memory against it.
//
//   npm run bench:decode [-- --runs 5] [--stream FILE.ivf] [--baseline-dist DIR] [--json]

import { basename, join } from 'node:path';
import { exitOnHelp, flag, option, ROOT } from './args.js';
import { alternating, canMeasureResources, cliOf, have, ok, runMeasured } from './process.js';
import { fixed, median, positiveInteger, ratio, round, table, times } from './stats.js';

exitOnHelp(`usage: npm run bench:decode [-- --runs N] [--stream FILE.ivf] [--baseline-dist DIR] [--json]

Decodes a VP8 stream (default: fixtures/streams/flower_720p_300f_2mbps.ivf, 300
frames of 720p at 2 Mbit/s) with this project's CLI and with vpxdec --threads=1,
each in a fresh process, N runs each (default 5), alternating. Prints the cold
(first) run and the median: frames/s by each tool's own loop timing and by the
whole process's wall time, CPU time, peak RSS, and the ratio ours / vpxdec.

  --baseline-dist DIR   also run the CLI of another build (a dist/ directory)
  --json                one JSON object on stdout instead of the table`);

const json = flag('json');
const runs = positiveInteger(option('runs'), 'runs', 5);
const stream = option('stream') ?? join(ROOT, 'fixtures', 'streams', 'flower_720p_300f_2mbps.ivf');
const baselineDist = option('baseline-dist');

if (!have('vpxdec')) {
  process.stderr.write('bench/decode needs vpxdec (Debian: apt-get install vpx-tools) to measure against libvpx.\n');
  process.exit(1);
}

interface Decoder {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Frames decoded and the tool's own decoding time, from its output. */
  readonly parse: (stdout: string, stderr: string) => { frames: number; seconds: number };
}

function ours(name: string, distDir: string): Decoder {
  return {
    name,
    command: process.execPath,
    args: [cliOf(distDir), 'decode', stream, '--json'],
    parse: (stdout) => {
      const r = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { decoded: number; seconds: number };
      return { frames: r.decoded, seconds: r.seconds };
    },
  };
}

const vpxdec: Decoder = {
  name: 'vpxdec --threads=1',
  command: 'vpxdec',
  args: ['--threads=1', '--noblit', '--summary', stream],
  parse: (stdout, stderr) => {
    const m = /(\d+) decoded frames\/\d+ showed frames in (\d+) us/.exec(`${stdout}${stderr}`);
    if (!m) throw new Error(`could not read vpxdec's summary: ${stderr.slice(-300)}`);
    return { frames: Number(m[1]), seconds: Number(m[2]) / 1e6 };
  },
};

const current = ours('excamera (this build)', join(ROOT, 'dist'));
const decoders: Decoder[] = [current, vpxdec];
if (baselineDist !== undefined) decoders.push(ours('excamera (baseline)', baselineDist));

const samples = await alternating(decoders, runs, async (d, r) => {
  const run = ok(await runMeasured(d.command, d.args), `${d.name} on ${basename(stream)}`);
  const { frames, seconds } = d.parse(run.stdout, run.stderr);
  if (!json) process.stderr.write(`run ${r + 1}/${runs} ${d.name}: ${fixed(frames / seconds)} frames/s (loop), ${fixed(run.wallSeconds, 2)} s wall\n`);
  return { frames, toolSeconds: seconds, wallSeconds: run.wallSeconds, cpuSeconds: run.cpuSeconds, peakRssKB: run.peakRssKB };
});

/** Cold (first run) and median figures of one decoder. */
function summarize(d: Decoder): Record<string, number | string | null> {
  const s = samples.get(d)!;
  const frames = s[0].frames;
  const cpu = s.map((x) => x.cpuSeconds).filter((x): x is number => x !== null);
  const rss = s.map((x) => x.peakRssKB).filter((x): x is number => x !== null);
  return {
    decoder: d.name,
    frames,
    coldLoopFps: round(frames / s[0].toolSeconds, 2),
    coldWallFps: round(frames / s[0].wallSeconds, 2),
    coldWallSeconds: round(s[0].wallSeconds, 3),
    coldCpuSeconds: round(s[0].cpuSeconds, 2),
    coldCpuFps: s[0].cpuSeconds === null ? null : round(frames / s[0].cpuSeconds, 2),
    coldPeakRssMB: s[0].peakRssKB === null ? null : round(s[0].peakRssKB / 1024, 1),
    medianLoopFps: round(median(s.map((x) => frames / x.toolSeconds)), 2),
    medianWallFps: round(median(s.map((x) => frames / x.wallSeconds)), 2),
    medianWallSeconds: round(median(s.map((x) => x.wallSeconds)), 3),
    medianCpuSeconds: cpu.length ? round(median(cpu), 2) : null,
    medianCpuFps: cpu.length ? round(median(cpu.map((c) => frames / c)), 2) : null,
    medianPeakRssMB: rss.length ? round(median(rss) / 1024, 1) : null,
  };
}

const rows = decoders.map(summarize);
const [ourRow, vpxRow] = rows;
const baseRow = rows[2];
const num = (row: Record<string, number | string | null> | undefined, key: string): number | null => {
  const v = row?.[key];
  return typeof v === 'number' ? v : null;
};
const ratios = {
  coldLoop: round(ratio(num(ourRow, 'coldLoopFps'), num(vpxRow, 'coldLoopFps'))),
  coldWall: round(ratio(num(ourRow, 'coldWallFps'), num(vpxRow, 'coldWallFps'))),
  coldCpu: round(ratio(num(ourRow, 'coldCpuFps'), num(vpxRow, 'coldCpuFps'))),
  medianLoop: round(ratio(num(ourRow, 'medianLoopFps'), num(vpxRow, 'medianLoopFps'))),
  medianWall: round(ratio(num(ourRow, 'medianWallFps'), num(vpxRow, 'medianWallFps'))),
  medianCpu: round(ratio(num(ourRow, 'medianCpuFps'), num(vpxRow, 'medianCpuFps'))),
};
const vsBaseline = baseRow === undefined ? null : {
  speedupMedianLoop: round(ratio(num(ourRow, 'medianLoopFps'), num(baseRow, 'medianLoopFps'))),
  speedupMedianWall: round(ratio(num(ourRow, 'medianWallFps'), num(baseRow, 'medianWallFps'))),
  speedupMedianCpu: round(ratio(num(ourRow, 'medianCpuFps'), num(baseRow, 'medianCpuFps'))),
  peakRssRatio: round(ratio(num(ourRow, 'medianPeakRssMB'), num(baseRow, 'medianPeakRssMB'))),
};

// The decoder targets: >= 0.20x vpxdec cold in one CLI run; peak RSS within 2x of the baseline's.
const checks: { target: string; met: boolean | null; detail: string }[] = [];
checks.push({
  target: 'decoder >= 0.20x vpxdec --threads=1, cold, one CLI run (tool loop timing)',
  met: ratios.coldLoop === null ? null : ratios.coldLoop >= 0.2,
  detail: `cold ${times(ratios.coldLoop)} by loop timing, ${times(ratios.coldWall)} by whole-process wall time, ${times(ratios.coldCpu)} by CPU time; median ${times(ratios.medianLoop)}`,
});
checks.push({
  target: 'decoder peak RSS within 2x of the baseline build',
  met: vsBaseline?.peakRssRatio == null ? null : vsBaseline.peakRssRatio <= 2,
  detail: vsBaseline === null ? 'not measured (needs --baseline-dist)' : `${times(vsBaseline.peakRssRatio, 2)} (${fixed(num(ourRow, 'medianPeakRssMB'))} MB vs ${fixed(num(baseRow, 'medianPeakRssMB'))} MB)`,
});

const result = { stream: basename(stream), runs, rows, ratiosOursToVpxdec: ratios, vsBaseline, checks, cpuAndRssMeasured: canMeasureResources() };
if (json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const head = ['decoder', 'cold fps (loop)', 'cold fps (wall)', 'median fps (loop)', 'median fps (wall)', 'median fps (CPU)', 'peak RSS MB'];
  const body = rows.map((r) => [
    String(r.decoder), fixed(num(r, 'coldLoopFps')), fixed(num(r, 'coldWallFps')), fixed(num(r, 'medianLoopFps')), fixed(num(r, 'medianWallFps')),
    fixed(num(r, 'medianCpuFps')), fixed(num(r, 'medianPeakRssMB')),
  ]);
  body.push(['ratio ours / vpxdec', times(ratios.coldLoop), times(ratios.coldWall), times(ratios.medianLoop), times(ratios.medianWall), times(ratios.medianCpu), '']);
  if (vsBaseline) body.push(['this build / baseline', '', '', times(vsBaseline.speedupMedianLoop, 2), times(vsBaseline.speedupMedianWall, 2), times(vsBaseline.speedupMedianCpu, 2), times(vsBaseline.peakRssRatio, 2)]);
  process.stdout.write(`${basename(stream)}, ${String(ourRow.frames)} frames; each decoder in a fresh process, ${runs} run${runs > 1 ? 's' : ''}, alternating; cold = first run\n`);
  process.stdout.write(`loop: the tool's own timing of its decoding loop; wall: the whole process, start-up included; CPU: frames per second of the whole process's user + system time\n\n`);
  process.stdout.write(`${table([head, ...body])}\n\ntargets\n`);
  for (const c of checks) process.stdout.write(`${(c.met === null ? 'n/a' : c.met ? 'met' : 'NOT met').padEnd(7)}  ${c.target}: ${c.detail}\n`);
}
