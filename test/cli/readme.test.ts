// Every command line in the README's ```sh blocks runs and does what it says:
// each is run as written, its placeholder file names (in.y4m, IN.ivf,
// CHUNK.ivf, ...) standing for real files, and must exit as documented.
// Synopsis lines (`IN.ivf|IN.webm`, `...`) are checked against --help: every
// flag they name exists. A line that cannot run here (it needs AWS, or is
// the test run itself) must be listed below with the reason; a new README
// line that is neither runnable nor listed fails this test.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { excamera } from '../helpers/cli.js';
import { ROOT, VECTORS, writeClipPrefix } from '../helpers/fixtures.js';
import { haveTool } from '../helpers/tools.js';

/** Lines that are not run here, and why. */
const NOT_RUN: Readonly<Record<string, string>> = {
  'npm test': 'the test run itself',
  'npx excamera xc in.y4m -o out.ivf --storage s3://bucket/jobs/1': 'needs an AWS bucket (S3 storage is run against s3rver in test/excamera/s3-storage.test.ts)',
  'npx excamera xc in.y4m -o out.ivf --backend lambda --function-name excamera-worker --storage s3://bucket/jobs/1 --public-host 203.0.113.7':
    'needs an AWS account (the Lambda backend is run against serverless-offline and a throttling stand-in in test/excamera/lambda.test.ts)',
  'npm run paper-logs -- excamera-results/runs/xc-enc_14e88 --film sintel --out profiles/data/paper-sintel-logs.json': 'needs a checkout of the authors\' published logs (test/sim/paper-logs-script.test.ts runs it on logs written in their format)',
  'npm run paper-grid -- --film tears': 'takes half a minute; test/sim/paper-grid.test.ts computes and pins the same predictions',
};

/** The command lines of the README's sh blocks, continuations joined, comments dropped. */
function readmeCommands(): string[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const lines: string[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = block[1]!.replace(/\\\n\s*/g, '');
    for (const line of joined.split('\n')) {
      const code = line.replace(/\s+#.*$/, '').trim();
      if (code !== '') lines.push(code);
    }
  }
  return lines;
}

/** A calibration of this project made on a quiet machine (see the note where the lines run). */
const QUIET_CALIBRATION = join(ROOT, 'fixtures', 'profiles', 'calibrated-carphone.json');

let dir = '';
/** Placeholder file names in the README and the files they stand for here. */
let files: Record<string, string> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-readme-'));
  // A short real clip (36 frames: enough for calibrate's 6 chunks of 6).
  writeClipPrefix(join(dir, 'in.y4m'), 'carphone_qcif_176x144_120f.y4m', 36);
  copyFileSync(join(VECTORS, 'vp80-00-comprehensive-001.ivf'), join(dir, 'IN.ivf'));
  const t = (name: string): string => join(dir, name);
  files = {
    'in.y4m': t('in.y4m'), 'IN.y4m': t('in.y4m'), 'clip.y4m': t('in.y4m'), 'IN.ivf': t('IN.ivf'),
    'out.ivf': t('out.ivf'), 'out.webm': t('out.webm'), 'OUT.ivf': t('OUT.ivf'), 'OUT.y4m': t('OUT.y4m'),
    't.html': t('t.html'), 'job/': t('job/'), 'work/': t('work/'), 'work/0003.output.state': t('work/0003.output.state'),
    'a.state': t('work/0003.output.state'), 'b.state': t('work/0003.output.state'),
    // encode-given-state and rebase on chunk 3 of `xc --keep work/` (frames 18..23).
    'CHUNK.ivf': t('work/0003.independent.ivf'), 'PREV.state': t('work/0002.output.state'), 'F': '18',
    'OLD.state': t('work/0002.independent.state'), 'NEW.state': t('work/0002.output.state'),
    'mine.json': t('mine.json'), 'PROFILE.json': t('mine.json'), 'sweep.csv': t('sweep.csv'), 'study/': t('study/'), 'flower.html': t('flower.html'),
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A line's words with placeholders replaced (the given-state line's CHUNK is chunk 3 as encoded independently; rebase's is as encoded given state). */
function substitute(command: string): string[] {
  const words = command.split(/\s+/);
  const rebase = words.includes('rebase');
  const composed = words.includes('--compute-profile');
  return words.map((w) => (rebase && w === 'CHUNK.ivf' ? join(dir, 'work', '0003.given-state.ivf') : composed && w === 'mine.json' ? QUIET_CALIBRATION : files[w] ?? w));
}

/** The environment without the variable that makes a Node.js process write coverage. */
function withoutCoverage(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_V8_COVERAGE: _, ...rest } = env;
  return rest;
}

const isSynopsis = (line: string): boolean => /\||\.\.\.|\[\w+\]|\b(A|B)\b$|\bA B\b/.test(line.replace(/ \| /g, ' '));

describe('README command lines', () => {
  it('every line is run here or listed with the reason it cannot be', () => {
    const lines = readmeCommands();
    expect(lines.length).toBeGreaterThan(30);
    for (const line of lines) {
      const known = line in NOT_RUN || line.startsWith('npx excamera') || line.startsWith('npm run bench:') || line.startsWith('npm ci && ');
      expect(known, `README line neither run by this test nor listed in NOT_RUN: ${line}`).toBe(true);
    }
    for (const listed of Object.keys(NOT_RUN)) expect(lines, `NOT_RUN lists a line the README no longer has: ${listed}`).toContain(listed);
  });

  it('bench commands name benchmarks that exist (they run for minutes, and print their own figures)', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const benches = readmeCommands().flatMap((l) => [...l.matchAll(/npm run (bench:\w+)/g)].map((m) => m[1]!));
    for (const b of benches) expect(scripts[b], b).toBeDefined();
  });

  it('every runnable line exits as documented, in README order', () => {
    const failures: string[] = [];
    for (const line of readmeCommands()) {
      if (line in NOT_RUN || line.startsWith('npm run bench:')) continue;
      // `npm ci && npx excamera ...`: the README's first command, whose install part is what CI does.
      const parts = line.replace(/^npm ci && /, '').split(' && ');
      for (const part of parts) {
        if (!part.startsWith('npx excamera ')) {
          failures.push(`${line}: cannot run ${part}`);
          continue;
        }
        if (part.includes('--chunk-encoder vpxenc') && !haveTool('vpxenc')) continue;
        if (isSynopsis(part)) {
          // A synopsis: each flag it names is one of the command's.
          const words = part.slice('npx excamera '.length).split(/\s+/);
          const command = words[0]!;
          const help = excamera(command, '--help').stdout;
          for (const flag of part.match(/--[a-z][a-z0-9-]*/g) ?? []) if (!help.includes(flag)) failures.push(`${line}: ${command} --help has no ${flag}`);
          continue;
        }
        const args = substitute(part).slice(2);
        const out = args.includes('fixtures/clips/foreman_cif_352x288_60f.y4m') ? args.map((a) => (a === 'out.ivf' ? join(dir, 'main.ivf') : a)) : args;
        // calibrate measures this machine's speed: under coverage it would
        // measure instrumented code, several times slower, and so it runs
        // without. Even so, a calibration made while the other tests load the
        // machine (4x slower or more in CI) makes a 4K [6,16] job on Lambda
        // outlive the platform's time limit: a correct FAILED, but a test of
        // the machine's load, not of the command. So a --compute-profile line
        // takes a calibration made here on a quiet machine
        // (fixtures/profiles/calibrated-carphone.json, `calibrate
        // carphone... -n 4 -k 3`).
        const env = part.startsWith('npx excamera calibrate ') ? withoutCoverage(process.env) : process.env;
        const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), ...out], { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 << 20 });
        if (r.status !== 0) failures.push(`${line}: exit ${r.status}: ${[...r.stdout.split('\n').filter((l) => l.startsWith('FAILED')), ...r.stderr.trim().split('\n').slice(-3)].join(' | ')}`);
        else if (part.includes('--failure-probability')) {
          // The example shows recovery: workers failed, their chunks ran again, and the job finished.
          if (!/^faults +[1-9]\d* workers failed; [1-9]\d* chunks ran again/m.test(r.stdout) || !/^latency +[\d.]+ s$/m.test(r.stdout)) failures.push(`${line}: no recovery shown: ${r.stdout}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
