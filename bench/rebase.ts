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
// A fresh process is what a user of the single-chunk tools meets, but in a
// job the chain runs inside workers that have been encoding already. So the
// same two phases are also timed as a job runs them: `excamera xc --backend
// inprocess` on the whole clip (ExCamera[n, 16]), `--runs` times per build,
// alternating, reading the encode-given-state and rebase seconds summed over
// the chunks from its --json summary.
//
//   npm run bench:rebase [-- --runs 5] [--baseline-dist /tmp/base/dist] [--json]

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32, inflateSync } from 'node:zlib';
import { STATE_FILE_VERSION } from '../src/excamera/state-file.js';
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

// A baseline that reads state files of format version 1 gets copies of the
// inputs with the states rewritten to it: the payload of versions 1 and 2 is
// the same, only the checksum differs (version 1 summed the inflated payload).
async function workFor(dist: string): Promise<string> {
  const url = pathToFileURL(join(resolve(dist), 'src', 'excamera', 'state-file.js')).href;
  const version = ((await import(url)) as { STATE_FILE_VERSION: number }).STATE_FILE_VERSION;
  if (version === STATE_FILE_VERSION) return work;
  if (version !== 1 || STATE_FILE_VERSION !== 2) throw new Error(`the baseline reads state files of version ${version}, this build writes ${STATE_FILE_VERSION}`);
  const dir = join(scratch, 'work-v1');
  mkdirSync(dir);
  for (const name of readdirSync(work)) {
    if (!name.endsWith('.state')) {
      copyFileSync(join(work, name), join(dir, name));
      continue;
    }
    const bytes = new Uint8Array(readFileSync(join(work, name)));
    bytes[4] = 1;
    new DataView(bytes.buffer).setUint32(12, crc32(inflateSync(bytes.subarray(48))), true);
    writeFileSync(join(dir, name), bytes);
  }
  return dir;
}

interface Op {
  readonly build: string;
  readonly operation: 'encode-given-state' | 'rebase';
  readonly args: readonly string[];
  readonly output: string;
}

const builds: [string, string, string][] = [['this build', current, work]];
if (baselineDist !== undefined) builds.push(['baseline', cliOf(baselineDist), await workFor(baselineDist)]);
const ops: Op[] = builds.flatMap(([build, cli, dir], b) => {
  const out = (name: string): string => join(scratch, `${b}-${name}.ivf`);
  const w = (name: string): string => join(dir, name);
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

// The chain as a job runs it: both phases summed over the chunks of a whole-clip xc, in process.
interface JobRun { readonly build: string; readonly cli: string }
const jobRuns: JobRun[] = builds.map(([build, cli]) => ({ build, cli }));
const jobSamples = await alternating(jobRuns, runs, async (j, r) => {
  const run = ok(await runMeasured(process.execPath, [
    j.cli, 'xc', clip, '-o', join(scratch, 'job.ivf'), '-n', String(n), '-x', '16', '--backend', 'inprocess', '--quantizer', quantizer, ...speedArgs, '--json', '--quiet',
  ]), `${j.build}: excamera xc --backend inprocess`);
  const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as { chunks: number; phases: Record<string, { seconds: number }> };
  const given = summary.phases['encode-given-state']?.seconds ?? 0;
  const rebase = summary.phases.rebase?.seconds ?? 0;
  log(`run ${r + 1}/${runs} ${j.build} xc in process: encode-given-state ${given.toFixed(3)} s, rebase ${rebase.toFixed(3)} s over ${summary.chunks} chunks`);
  return { chunks: summary.chunks, given, rebase };
});
const jobRows = jobRuns.map((j) => {
  const s = jobSamples.get(j)!;
  return { build: j.build, chunks: s[0].chunks, coldGivenSeconds: round(s[0].given), coldRebaseSeconds: round(s[0].rebase), medianGivenSeconds: round(median(s.map((x) => x.given))), medianRebaseSeconds: round(median(s.map((x) => x.rebase))) };
});
const jobChecks = (['encode-given-state', 'rebase'] as const).map((operation) => {
  const key = operation === 'rebase' ? 'medianRebaseSeconds' : 'medianGivenSeconds';
  const mine = jobRows.find((r) => r.build === 'this build')!;
  const base = jobRows.find((r) => r.build === 'baseline');
  const speedup = ratio(base?.[key], mine[key]);
  return {
    target: `${operation} in a job at least 2x faster than the baseline build`,
    met: speedup === null ? null : speedup >= 2,
    speedup: round(speedup),
    detail: base === undefined ? 'not measured (needs --baseline-dist)' : `${times(speedup, 2)} (median ${fixed(base[key], 3)} s -> ${fixed(mine[key], 3)} s over the chunks of xc in process)`,
  };
});

const result = { clip, framesPerChunk: n, quantizer: Number(quantizer), speed: speed === undefined ? null : Number(speed), runs, rows, checks, job: { rows: jobRows, checks: jobChecks }, cpuAndRssMeasured: canMeasureResources() };
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(`chunks of ${n} frames of ${clip.split('/').at(-1)}, quantizer ${quantizer}${speed === undefined ? '' : `, speed ${speed}`}; each operation in a fresh process, ${runs} run${runs > 1 ? 's' : ''}, alternating; cold = first run\n`);
  process.stdout.write('tool: the operation\'s own time (its --json summary); wall and CPU: the whole process, start-up and file reading included\n\n');
  const head = ['build', 'operation', 'cold tool s', 'cold wall s', 'median tool s', 'median wall s', 'median CPU s', 'peak RSS MB', 'output bytes'];
  const body = rows.map((r) => [r.build, r.operation, fixed(r.coldToolSeconds, 3), fixed(r.coldWallSeconds, 2), fixed(r.medianToolSeconds, 3), fixed(r.medianWallSeconds, 2), fixed(r.medianCpuSeconds, 2), fixed(r.medianPeakRssMB), String(r.outputBytes)]);
  process.stdout.write(`${table([head, ...body], 2)}\n\ntargets\n`);
  for (const c of checks) process.stdout.write(`${(c.met === null ? 'n/a' : c.met ? 'met' : 'NOT met').padEnd(7)}  ${c.target}: ${c.detail}\n`);
  process.stdout.write(`\nin a job: excamera xc --backend inprocess on the whole clip, ExCamera[${n},16], ${runs} run${runs > 1 ? 's' : ''} per build; seconds summed over the chunks\n\n`);
  const jobHead = ['build', 'chunks', 'cold given-state s', 'cold rebase s', 'median given-state s', 'median rebase s'];
  const jobBody = jobRows.map((r) => [r.build, String(r.chunks), fixed(r.coldGivenSeconds, 3), fixed(r.coldRebaseSeconds, 3), fixed(r.medianGivenSeconds, 3), fixed(r.medianRebaseSeconds, 3)]);
  process.stdout.write(`${table([jobHead, ...jobBody], 2)}\n\ntargets\n`);
  for (const c of jobChecks) process.stdout.write(`${(c.met === null ? 'n/a' : c.met ? 'met' : 'NOT met').padEnd(7)}  ${c.target}: ${c.detail}\n`);
}
