// bench/rebase: the speed of ExCamera's serial chain — `excamera
// encode-given-state` and `excamera rebase` — as users run them, one CLI
// process per operation.
//
// Inputs are made once, the way docs/excamera.md describes: `excamera xc` on
// the first 3·n frames of a clip (ExCamera[n, 3], in process, --keep) leaves
// three chunks and their states. Then, `--runs` times, alternating:
//   excamera encode-given-state 0001.independent.ivf --state 0000.independent.state --raw CLIP --first n
//   excamera rebase 0002.given-state.ivf --from 0001.independent.state --state 0001.output.state --raw CLIP --first 2n
// Reported per operation: the tool's own time for the operation (its --json
// summary, file reading excluded), the whole process's wall and CPU time and
// peak RSS, cold (first run) and median. With --baseline-dist DIR the same
// commands of another build run on the same inputs in the same rotation, for
// the speed-up and whether the outputs are the same bytes.
//
//   npm run bench:rebase [-- --runs 5] [--baseline-dist /tmp/base/dist] [--json]

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOnHelp, flag, option, ROOT } from './args.js';
import { clipPath } from './clips.js';
import { alternating, canMeasureResources, cliOf, ok, runMeasured } from './process.js';
import { fixed, median, positiveInteger, ratio, round, table, times } from './stats.js';

exitOnHelp(`usage: npm run bench:rebase [-- OPTIONS]

Times \`excamera encode-given-state\` and \`excamera rebase\` in fresh processes on
chunks of a real clip made once by \`excamera xc --keep\`: cold (first) run and
the median of N, by the tool's own timing, wall and CPU time, and peak RSS.

  --clip NAME             foreman, flower or carphone (default: foreman)
  --frames-per-chunk N    chunk length n (default 6)
  --quantizer Q           0..63 (default 24)
  --speed S               encoder speed of xc and both operations (default: each build's default)
  --runs N                timing runs per operation and build (default 5)
  --baseline-dist DIR     also time the CLI of another build (its dist/) on the same inputs
  --json                  one JSON object on stdout instead of the table`);

const json = flag('json');
const clip = clipPath(option('clip') ?? 'foreman');
const n = positiveInteger(option('frames-per-chunk'), 'frames-per-chunk', 6);
const quantizer = option('quantizer') ?? '24';
const speed = option('speed');
const runs = positiveInteger(option('runs'), 'runs', 5);
const baselineDist = option('baseline-dist');
const log = (s: string): void => void process.stderr.write(`${s}\n`);

const scratch = mkdtempSync(join(tmpdir(), 'excamera-bench-rebase-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const work = join(scratch, 'work');
const speedArgs = speed === undefined ? [] : ['--speed', speed];

// The inputs: three chunks of n frames and their states, from this build.
const current = cliOf(join(ROOT, 'dist'));
log(`making the inputs: excamera xc on the first ${3 * n} frames, ExCamera[${n}, 3] ...`);
ok(
  await runMeasured(process.execPath, [
    current, 'xc', clip, '-o', join(scratch, 'xc.ivf'), '-n', String(n), '-x', '3', '--limit', String(3 * n),
    '--backend', 'inprocess', '--keep', work, '--quantizer', quantizer, ...speedArgs, '--quiet',
  ]),
  'excamera xc --keep',
);

interface Op {
  readonly build: string;
  readonly operation: 'encode-given-state' | 'rebase';
  readonly args: readonly string[];
  readonly output: string;
}

const builds: [string, string][] = [['this build', current]];
if (baselineDist !== undefined) builds.push(['baseline', cliOf(baselineDist)]);
const ops: Op[] = builds.flatMap(([build, cli], b) => {
  const out = (name: string): string => join(scratch, `${b}-${name}.ivf`);
  const w = (name: string): string => join(work, name);
  return [
    {
      build, operation: 'encode-given-state' as const, output: out('given'),
      args: [cli, 'encode-given-state', w('0001.independent.ivf'), '--state', w('0000.independent.state'), '--raw', clip, '--first', String(n), '-o', out('given'), ...speedArgs, '--json'],
    },
    {
      build, operation: 'rebase' as const, output: out('rebased'),
      args: [
        cli, 'rebase', w('0002.given-state.ivf'), '--from', w('0001.independent.state'), '--state', w('0001.output.state'),
        '--raw', clip, '--first', String(2 * n), '-o', out('rebased'), ...speedArgs, '--json',
      ],
    },
  ];
});

const samples = await alternating(ops, runs, async (o, r) => {
  const run = ok(await runMeasured(process.execPath, o.args), `${o.build}: excamera ${o.operation}`);
  const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as { frames: number; seconds: number };
  log(`run ${r + 1}/${runs} ${o.build} ${o.operation}: ${summary.seconds.toFixed(3)} s (tool), ${run.wallSeconds.toFixed(2)} s wall`);
  return { frames: summary.frames, toolSeconds: summary.seconds, wallSeconds: run.wallSeconds, cpuSeconds: run.cpuSeconds, peakRssKB: run.peakRssKB };
});

const rows = ops.map((o) => {
  const s = samples.get(o)!;
  const cpu = s.map((x) => x.cpuSeconds).filter((x): x is number => x !== null);
  const rss = s.map((x) => x.peakRssKB).filter((x): x is number => x !== null);
  return {
    build: o.build,
    operation: o.operation,
    coldToolSeconds: round(s[0].toolSeconds),
    coldWallSeconds: round(s[0].wallSeconds),
    coldCpuSeconds: round(s[0].cpuSeconds, 2),
    medianToolSeconds: round(median(s.map((x) => x.toolSeconds))),
    medianWallSeconds: round(median(s.map((x) => x.wallSeconds))),
    medianCpuSeconds: cpu.length ? round(median(cpu), 2) : null,
    medianPeakRssMB: rss.length ? round(median(rss) / 1024, 1) : null,
    outputBytes: readFileSync(o.output).length,
  };
});

const checks = (['encode-given-state', 'rebase'] as const).map((operation) => {
  const mine = rows.find((r) => r.build === 'this build' && r.operation === operation)!;
  const base = rows.find((r) => r.build === 'baseline' && r.operation === operation);
  const speedup = ratio(base?.medianToolSeconds, mine.medianToolSeconds);
  const cpuSpeedup = ratio(base?.medianCpuSeconds, mine.medianCpuSeconds);
  const same = base === undefined ? null : Buffer.compare(readFileSync(ops.find((o) => o.build === 'baseline' && o.operation === operation)!.output), readFileSync(ops.find((o) => o.build === 'this build' && o.operation === operation)!.output)) === 0;
  return {
    target: `${operation} at least 2x faster than the baseline build`,
    met: speedup === null ? null : speedup >= 2,
    speedup: round(speedup),
    cpuSpeedup: round(cpuSpeedup),
    sameOutput: same,
    detail: base === undefined ? 'not measured (needs --baseline-dist)' :
      `${times(speedup, 2)} by the tool's own timing (median ${fixed(base.medianToolSeconds, 3)} s -> ${fixed(mine.medianToolSeconds, 3)} s), ${times(cpuSpeedup, 2)} by whole-process CPU time; output ${same ? 'the same bytes' : 'differs'}`,
  };
});

const result = { clip, framesPerChunk: n, quantizer: Number(quantizer), speed: speed === undefined ? null : Number(speed), runs, rows, checks, cpuAndRssMeasured: canMeasureResources() };
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(`chunks of ${n} frames of ${clip.split('/').at(-1)}, quantizer ${quantizer}${speed === undefined ? '' : `, speed ${speed}`}; each operation in a fresh process, ${runs} run${runs > 1 ? 's' : ''}, alternating; cold = first run\n`);
  process.stdout.write('tool: the operation\'s own time (its --json summary); wall and CPU: the whole process, start-up and file reading included\n\n');
  const head = ['build', 'operation', 'cold tool s', 'cold wall s', 'median tool s', 'median wall s', 'median CPU s', 'peak RSS MB', 'output bytes'];
  const body = rows.map((r) => [r.build, r.operation, fixed(r.coldToolSeconds, 3), fixed(r.coldWallSeconds, 2), fixed(r.medianToolSeconds, 3), fixed(r.medianWallSeconds, 2), fixed(r.medianCpuSeconds, 2), fixed(r.medianPeakRssMB), String(r.outputBytes)]);
  process.stdout.write(`${table([head, ...body], 2)}\n\ntargets\n`);
  for (const c of checks) process.stdout.write(`${(c.met === null ? 'n/a' : c.met ? 'met' : 'NOT met').padEnd(7)}  ${c.target}: ${c.detail}\n`);
}
