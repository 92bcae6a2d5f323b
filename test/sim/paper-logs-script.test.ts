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
    expect(help.stdout).toMatch(/^usage: npm run paper-logs -- DIR \[--match TEXT\]/);
    for (const args of [[], [logs, logs], [logs, '--match']]) {
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
});
