// `npm run paper-logs`: what the paper profiles take from the ExCamera
// authors' published logs (see paper-logs.ts for the format).
//
//   npm run paper-logs -- RUNS --film sintel [--out profiles/data/paper-sintel-logs.json]
//                       [--latencies profiles/data/paper-sintel-latencies.json]
//     the model inputs of a film (modelInputs) from its ExCamera[6,16] and
//     [6,1] runs in RUNS (excamera-results/runs/xc-enc_14e88): the file
//     `npm run profiles` builds the film's profile from; and, apart, the
//     latencies the authors computed for every configuration, which the
//     predictions are compared with;
//   npm run paper-logs -- DIR [--match TEXT]
//     the per-phase summary figures of the logs in DIR (those whose names
//     contain TEXT), as JSON.

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimError } from './errors.js';
import { logFigures, modelInputs, partRunOf, parseTransitionLog, type WorkerLog } from './paper-logs.js';

const USAGE = [
  'usage: npm run paper-logs -- RUNS --film NAME [--out FILE] [--latencies FILE]   (RUNS: excamera-results/runs/xc-enc_14e88; NAME: sintel or tears)',
  '       npm run paper-logs -- DIR [--match TEXT]              (DIR: a directory of xcenc_transitions_*.log files)',
].join('\n');

/** The logs of DIR whose names contain `match`, parsed. */
function readLogs(dir: string, match: string): { file: string; workers: WorkerLog[] }[] {
  const files = readdirSync(dir)
    .filter((f) => f.startsWith('xcenc_transitions') && f.endsWith('.log') && f.includes(match))
    .sort();
  if (files.length === 0) throw new SimError('invalid-argument', `${dir}: no xcenc_transitions_*.log file${match ? ` with "${match}" in its name` : ''}`);
  return files.map((f) => {
    const path = join(dir, f);
    if (statSync(path).size > MAX_LOG_BYTES) throw new SimError('invalid-argument', `${path}: larger than ${MAX_LOG_BYTES} bytes, not a transition log`);
    return { file: f, workers: parseTransitionLog(readFileSync(path, 'utf8'), path) };
  });
}

/** The model inputs of a film: its [6,16] runs (the newer set where there are two) and its [6,1] runs. */
function filmInputs(runsDir: string, film: string): object {
  if (!/^[a-z]+$/.test(film)) throw new SimError('invalid-argument', `--film must be a film's name as the logs spell it (sintel, tears), got ${JSON.stringify(film)}`);
  const newer = `${film}-s06_k16-logs_new`;
  const x16Dir = existsSync(join(runsDir, newer)) ? newer : `${film}-s06_k16-logs`;
  const x1Dir = `${film}-s06_k01-logs`;
  const runs = (dir: string) => readLogs(join(runsDir, dir), '').map((l) => partRunOf(l.file, l.workers));
  return { film, from: { x16: x16Dir, x1: x1Dir }, ...modelInputs(runs(x16Dir), runs(x1Dir)) };
}

/**
 * The latencies the authors computed from every configuration's runs
 * (results_timing/final/<film>-sNN_kXX-yYY-total.stats: the slowest part's
 * median over its runs) — what the simulator's predictions are compared
 * with, never an input — and, where the configuration's logs are there
 * (<film>-sNN_kXX-logs), each part's runs: a run's latency is its log's
 * last transition. Those show how much the statistic itself moves from one
 * draw of runs to another (paper-grid.ts, loggedSpread).
 */
function filmLatencies(runsDir: string, film: string): { n: number; x: number; cqLevel: number; latency: number; partRuns?: number[][] }[] {
  const dir = join(runsDir, 'results_timing', 'final');
  const out: { n: number; x: number; cqLevel: number; latency: number; partRuns?: number[][] }[] = [];
  for (const f of readdirSync(dir).sort()) {
    const m = new RegExp(`^${film}-s(\\d+)_k(\\d+)-y(\\d+)-total\\.stats$`).exec(f);
    if (m === null) continue;
    const value = Number(readFileSync(join(dir, f), 'utf8').split('\n').find((l) => l.trim() !== '' && !l.startsWith('#')));
    if (!Number.isFinite(value)) throw new SimError('invalid-argument', `${join(dir, f)}: no latency in it`);
    const [n, x, cqLevel] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const logs = join(runsDir, `${film}-s${m[1]}_k${m[2]}-logs`);
    const partRuns = existsSync(logs) ? runLatencies(logs, x, cqLevel) : [];
    out.push({ n, x, cqLevel, latency: Number(value.toFixed(2)), ...(partRuns.length > 0 ? { partRuns } : {}) });
  }
  if (out.length === 0) throw new SimError('invalid-argument', `${dir}: no ${film}-*-total.stats file`);
  return out.sort((a, b) => a.n - b.n || a.x - b.x || a.cqLevel - b.cqLevel);
}
const MAX_LOG_BYTES = 64 << 20;

/** Each part's run latencies (parts in the order of their first chunk), from the logs of one configuration at one level. */
function runLatencies(dir: string, x: number, cqLevel: number): number[][] {
  const byPart = new Map<number, number[]>();
  if (!readdirSync(dir).some((f) => f.includes(`_y${cqLevel}_`))) return [];
  for (const { file, workers } of readLogs(dir, `_y${cqLevel}_`)) {
    const run = partRunOf(file, workers);
    if (run.chunksPerBatch !== x) continue;
    const end = Math.max(...workers.map((w) => w.transitions[w.transitions.length - 1]!.at));
    byPart.set(run.offset, [...(byPart.get(run.offset) ?? []), Number(end.toFixed(2))]);
  }
  return [...byPart.entries()].sort((a, b) => a[0] - b[0]).map(([, runs]) => runs);
}

function main(argv: readonly string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const valueOf = (flag: string): string | undefined | null => {
    const i = argv.indexOf(flag);
    return i < 0 ? null : argv[i + 1];
  };
  const match = valueOf('--match');
  const film = valueOf('--film');
  const out = valueOf('--out');
  const latencies = valueOf('--latencies');
  const flagged = new Set(['--match', '--film', '--out', '--latencies'].map((f) => argv.indexOf(f) + 1).filter((i) => i > 0));
  const dirs = argv.filter((a, i) => !a.startsWith('--') && !flagged.has(i));
  if (dirs.length !== 1 || match === undefined || film === undefined || out === undefined || latencies === undefined || (film !== null && match !== null) || ((out !== null || latencies !== null) && film === null)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const dir = dirs[0]!;
  try {
    if (film !== null) {
      const json = `${JSON.stringify(filmInputs(dir, film))}\n`;
      if (out !== null) writeFileSync(out, json);
      else process.stdout.write(json);
      if (latencies !== null) writeFileSync(latencies, `${JSON.stringify({ film, source: 'results_timing/final', latencies: filmLatencies(dir, film) }, null, 1)}\n`);
      return 0;
    }
    const logs = readLogs(dir, match ?? '');
    process.stdout.write(`${JSON.stringify({ dir, match: match ?? '', files: logs.map((l) => l.file), ...logFigures(logs.map((l) => l.workers)) }, null, 2)}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`paper-logs: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
