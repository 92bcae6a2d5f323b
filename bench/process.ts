// Running a command in a fresh process as a user would, and measuring it from
// the outside: wall time (including start-up), CPU time (user + system) and
// peak resident memory, the last two through GNU time (/usr/bin/time), which
// writes them to a file of its own so the command's output stays untouched.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rotate } from './stats.js';

export interface ProcessRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From start to exit, start-up included. */
  readonly wallSeconds: number;
  /** User + system CPU time of the process (null without GNU time). */
  readonly cpuSeconds: number | null;
  /** Peak resident set size in KB (null without GNU time). */
  readonly peakRssKB: number | null;
}

const GNU_TIME = '/usr/bin/time';
const hasGnuTime = existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%M', 'true']).status === 0;
let scratch: string | null = null;
let counter = 0;

/** Whether CPU time and peak RSS can be measured (GNU time is installed). */
export function canMeasureResources(): boolean {
  return hasGnuTime;
}

/** Whether `tool` is on the PATH. */
export function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/**
 * Runs `command args` in a fresh process and resolves with its output and
 * measurements once it exits. Never rejects on a non-zero exit status: the
 * caller decides (see `ok`).
 */
export function runMeasured(command: string, args: readonly string[], options: { cwd?: string } = {}): Promise<ProcessRun> {
  if (scratch === null) {
    scratch = mkdtempSync(join(tmpdir(), 'excamera-bench-time-'));
    const dir = scratch;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const timeFile = join(scratch, `${process.pid}-${counter++}.txt`);
  const [file, argv] = hasGnuTime ? [GNU_TIME, ['-o', timeFile, '-f', '%U %S %M', command, ...args]] : [command, [...args]];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, argv, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status) => {
      const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      let cpuSeconds: number | null = null;
      let peakRssKB: number | null = null;
      if (hasGnuTime && existsSync(timeFile)) {
        // GNU time prints "Command exited with non-zero status N" first when it fails; the figures are the last line.
        const last = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '';
        const m = /^([\d.]+) ([\d.]+) (\d+)$/.exec(last);
        if (m) {
          cpuSeconds = Number(m[1]) + Number(m[2]);
          peakRssKB = Number(m[3]);
        }
        rmSync(timeFile, { force: true });
      }
      resolve({ status, stdout, stderr, wallSeconds, cpuSeconds, peakRssKB });
    });
  });
}

/** The run, or an error naming the command and the end of its error output when it failed. */
export function ok(run: ProcessRun, what: string): ProcessRun {
  if (run.status !== 0) throw new Error(`${what} failed (exit status ${run.status}): ${run.stderr.slice(-500)}`);
  return run;
}

/**
 * Runs `tasks` with at most `limit` of them at once, resolving with their
 * results in order.
 */
export async function inParallel<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, lane));
  return results;
}

/** The CLI of a build: `DIR/src/cli/main.js` of a dist/ directory. */
export function cliOf(distDir: string): string {
  const main = join(distDir, 'src', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`${distDir} holds no build (no src/cli/main.js): build it with npm run build`);
  return main;
}

/** One timed run of a contender: frames done, the tool's own time for them, and the process's measurements. */
export interface Sample {
  readonly frames: number;
  /** What the tool reports for its own loop or operation, start-up and file reading excluded. */
  readonly toolSeconds: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number | null;
  readonly peakRssKB: number | null;
}

/**
 * Runs `measure` on every contender `runs` times, strictly one at a time,
 * run r starting with contender r mod n so that the load of a shared machine
 * falls on all alike; returns each contender's samples in run order.
 */
export async function alternating<T, S = Sample>(contenders: readonly T[], runs: number, measure: (contender: T, run: number) => Promise<S>): Promise<Map<T, S[]>> {
  const samples = new Map<T, S[]>(contenders.map((c) => [c, []]));
  for (let r = 0; r < runs; r++) {
    for (const c of rotate(contenders, r)) samples.get(c)!.push(await measure(c, r));
  }
  return samples;
}

/**
 * The encoding-loop time vpxenc reports on its last progress line,
 * "... <N> us (<rate> fps)": past 10 s it counts milliseconds ("ms"), and
 * below one frame a second it gives frames a minute ("fpm").
 */
export function vpxencLoopSeconds(stderr: string): number {
  const last = [...stderr.matchAll(/(\d+) (us|ms) \(([\d.]+) fp[sm]\)/g)].at(-1);
  if (!last) throw new Error(`could not read vpxenc's timing: ${stderr.slice(-300)}`);
  return Number(last[1]) / (last[2] === 'ms' ? 1e3 : 1e6);
}
