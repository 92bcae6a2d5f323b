// `npm run paper-logs -- DIR [--match TEXT]`: the figures of the transition
// logs in DIR whose names contain TEXT, as JSON; usage errors exit with 2,
// a directory without such logs or a log that cannot be read with 1, naming
// the directory or the file and line. The script is the one package.json
// runs, on logs written here in the published format.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures.js';
import { QUANTILE_POINTS as QUANTILES } from '../../src/sim/paper-logs.js';

/** The script `npm run paper-logs` runs, read from package.json. */
const SCRIPT = join(ROOT, /node (\S+)/.exec((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['paper-logs']!)![1]!);

function paperLogs(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const line = (chunk: number, ...t: [number, string][]): string => `${chunk}:[${t.map(([at, s]) => `(${at}, '${s}')`).join(', ')}]`;
const S = (name: string): string => `XCEnc${name}State`;
// Run A: three chunks; chunk 0 runs vpxenc for 6 s, chunk 1 for 5 s (then
// encode-given-state for 8 s, with chunk 0's state there), chunk 2 for 7 s.
const RUN_A = [
  line(0, [1, S('Settings')], [2.6, S('Run')], [8.6, S('Dump')], [11, S('Finish')], [11.2, 'FinalState']),
  line(1, [1.5, S('Settings')], [3, S('Run')], [8, S('Dump')], [10, S('PreRun')], [12, S('Run')], [20, S('Finish')], [20.3, 'FinalState']),
  line(2, [3.5, S('Settings')], [5, S('Run')], [12, S('Finish')], [12.2, 'FinalState']),
].join('\n');
// Run B: two chunks, vpxenc 7 s and 4 s.
const RUN_B = [
  line(0, [1, S('Settings')], [2, S('Run')], [9, S('Dump')], [12, S('Finish')], [12.1, 'FinalState']),
  line(1, [2, S('Settings')], [3, S('Run')], [7, S('Dump')], [9, S('Run')], [25, S('Finish')], [25.2, 'FinalState']),
].join('\n');

const dir = mkdtempSync(join(tmpdir(), 'excamera-paper-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const logs = join(dir, 'logs');
mkdirSync(logs);
writeFileSync(join(logs, 'xcenc_transitions_y10_a.log'), `${RUN_A}\n`);
writeFileSync(join(logs, 'xcenc_transitions_y30_b.log'), `${RUN_B}\n`);
writeFileSync(join(logs, 'notes.txt'), 'not a log');

describe('npm run paper-logs', () => {
  it('prints the figures of every transition log in the directory', () => {
    const r = paperLogs(logs);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ dir: logs, match: '', files: ['xcenc_transitions_y10_a.log', 'xcenc_transitions_y30_b.log'], runs: 2 });
    expect(out.encode).toEqual({ count: 5, median: 6, p90: 7, min: 4, max: 7 });
    expect(out.connect).toEqual({ count: 5, median: 1.5, p90: 3.5, min: 1, max: 3.5 });
    expect(out.latency).toEqual([20.3, 25.2]);
  });

  it('with --match, only the logs whose names contain the text', () => {
    const r = paperLogs(logs, '--match', '_y30_');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ match: '_y30_', files: ['xcenc_transitions_y30_b.log'], runs: 1, latency: [25.2], encode: { count: 2, min: 4, max: 7 } });
  });

  it('prints its usage for --help, and exits with 2 on bad arguments', () => {
    const help = paperLogs('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run paper-logs -- RUNS --film NAME/);
    expect(help.stdout).toMatch(/npm run paper-logs -- DIR \[--match TEXT\]/);
    for (const args of [[], [logs, logs], [logs, '--match'], [logs, '--film'], [logs, '--out', 'x.json'], [logs, '--film', 'demo', '--match', 'y']]) {
      const r = paperLogs(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^usage: /);
      expect(r.stdout).toBe('');
    }
  });

  it('exits with 1, naming what is wrong, without logs or with a log it cannot read', () => {
    const none = paperLogs(logs, '--match', 'zzz');
    expect(none.status).toBe(1);
    expect(none.stderr).toBe(`paper-logs: ${logs}: no xcenc_transitions_*.log file with "zzz" in its name\n`);
    const missing = paperLogs(join(dir, 'no-such-dir'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^paper-logs: .*no-such-dir/);
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'xcenc_transitions_x.log'), `${line(0, [2, S('Run')], [1, S('Finish')])}\n`);
    const r = paperLogs(bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^paper-logs: .*xcenc_transitions_x\.log:1: time 1 comes before/);
  });

  it('with --film, writes a film\'s model inputs from its [6,16] and [6,1] runs, and the logged latencies apart', () => {
    // A tiny film "demo" of 4 chunks: four runs of ExCamera[6,16] (batches
    // of 4 here) at cq-level 10, one of [6,1] at 30. In one run, chunk 2 is a
    // slow worker (encode 3x); in the [6,1] run, one worker connects late.
    const runs = join(dir, 'runs');
    const x16 = join(runs, 'demo-s06_k16-logs');
    const x1 = join(runs, 'demo-s06_k01-logs');
    const final = join(runs, 'results_timing', 'final');
    for (const d of [x16, x1, final]) mkdirSync(d, { recursive: true });
    const worker = (c: number, at: number, encode: number, more: [number, string][] = []): string =>
      line(c, [at, S('Settings')], [at + 1, S('Loop')], [at + 1, S('PreRun')], [at + 1, S('Run')], [at + 1 + encode, S('Dump')], [at + 4 + encode, S('Loop')], ...more);
    const x16Run = (slow: boolean): string => [
      worker(0, 1, 10, [[15, S('Finish')], [15.2, S('Quit')], [15.2, 'FinalState']]),
      worker(1, 1.1, 10, [[15.1, S('PreRun')], [15.2, S('Run')], [32.2, S('Loop')], [32.3, S('Finish')], [32.5, 'FinalState']]),
      slow
        ? worker(2, 1.2, 30, [[35.2, S('PreRun')], [35.3, S('Run')], [52, S('Run')], [56, S('Loop')], [56.2, S('Finish')], [56.4, 'FinalState']])
        : worker(2, 1.2, 10, [[15.2, S('PreRun')], [15.3, S('Run')], [32.5, S('Run')], [36.5, S('Loop')], [36.7, S('Finish')], [36.9, 'FinalState']]),
      slow
        ? worker(3, 1.3, 10, [[15.3, S('PreRun')], [15.4, S('Run')], [46, S('Run')], [60, S('Loop')], [60.2, S('Finish')], [60.4, 'FinalState']])
        : worker(3, 1.3, 10, [[15.3, S('PreRun')], [15.4, S('Run')], [33, S('Run')], [40.5, S('Loop')], [40.7, S('Finish')], [40.9, 'FinalState']]),
    ].join('\n');
    for (const [i, slow] of [true, false, false, false].entries()) writeFileSync(join(x16, `xcenc_transitions_k4_n4_o0_y10_2017-0${i}.log`), x16Run(slow));
    writeFileSync(join(x1, 'xcenc_transitions_k1_n4_o0_y30_2017.log'), [
      worker(0, 1, 8, [[13.1, S('Finish')], [13.3, 'FinalState']]),
      worker(1, 1.5, 8, [[13.6, S('Finish')], [13.8, 'FinalState']]),
      worker(2, 2, 8, [[14.1, S('Finish')], [14.3, 'FinalState']]),
      worker(3, 9, 8, [[21.1, S('Finish')], [21.3, 'FinalState']]),
    ].join('\n'));
    writeFileSync(join(final, 'demo-s06_k16-y10-total.stats'), '# max\n61.5\n');
    writeFileSync(join(final, 'demo-s06_k01-y30-total.stats'), '# max\n20.2\n');
    const out = join(dir, 'demo-logs.json');
    const latencies = join(dir, 'demo-latencies.json');
    const r = paperLogs(runs, '--film', 'demo', '--out', out, '--latencies', latencies);
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(out, 'utf8')) as Record<string, any>;
    expect(m).toMatchObject({ film: 'demo', from: { x16: 'demo-s06_k16-logs', x1: 'demo-s06_k01-logs' }, levels: { x16: 10, x1: 30 }, runs: { x16: 4, x1: 1 }, chunks: 4 });
    // Encode medians and each chunk's content (the geometric mean over runs: 3^(1/4) for chunk 2).
    expect(m.encode.x16.medianSeconds).toBe(10);
    expect(m.encode.x1.medianSeconds).toBe(8);
    expect(m.encode.x16.content).toEqual([1, 1, 1.32, 1]);
    expect(m.encode.x1.content).toEqual([1, 1, 1, 1]);
    // Its slow run is 30 / (10 x 1.32) = 2.27x its prediction: a slow worker, one of 4 in that run, the 3rd to connect.
    expect(m.slowWorkers).toEqual({ threshold: 2.2, speeds: [2.27], runRates: [0.25, 0, 0, 0, 0], connectRanks: [0.625] });
    // Chunk 3's rebase step: from chunk 2's rebase ending to its own, 4 s in every run.
    expect(m.rebaseStep.medianSeconds).toBe(4);
    // Given-state with the state there: 17, 17.2 and 17.6 s (chunks 1, 2, 3),
    // the median and each chunk's content; the slow worker's is left out.
    expect(m.givenState.medianSeconds).toBe(17.2);
    expect(m.givenState.content).toEqual([0.988, 0.988, 1, 1.02]);
    // Chunk 3 began it 19.8 s before the slow worker's state came (>= 6 s
    // late), and ended 10.8 s after it came.
    expect(m.stateLateAfter).toBe(6);
    expect(m.givenStateAfterLateState).toEqual(QUANTILES.map((p) => [p, 10.8]));
    expect(m.lateStarts.bursts).toEqual([{ late: 1, chunks: 4, from: 9, to: 9 }]);
    expect(JSON.parse(readFileSync(latencies, 'utf8'))).toEqual({ film: 'demo', source: 'results_timing/final', latencies: [{ n: 6, x: 1, cqLevel: 30, latency: 20.2, partRuns: [[21.3]] }, { n: 6, x: 16, cqLevel: 10, latency: 61.5 }] });
    // Each part's runs come from the configuration's logs (a run's last transition); the [6,16] logs here are of
    // batches of 4, not 16, so that configuration has none.
    const noFilm = paperLogs(runs, '--film', 'nope');
    expect(noFilm.status).toBe(1);
    expect(noFilm.stderr).toMatch(/^paper-logs: .*nope-s06_k16-logs/);
  });
});
