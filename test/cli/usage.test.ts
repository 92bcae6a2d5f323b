// The command line as people expect it: a usage error is one line that names
// the problem (the flag, the text given) and points to --help, exit status 2;
// a missing or malformed file is one line naming it, exit status 1; a command
// that would write an empty output refuses instead; defaults are the same
// wherever a flag recurs, and stated in --help.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEAF_COMMANDS } from '../../src/cli/commands.js';
import { usageMessage } from '../../src/cli/usage.js';
import { writeIvf, writeY4mHeader } from '../../src/container/index.js';
import { DEFAULT_CQ_LEVEL } from '../../src/vp8/index.js';
import { excamera } from '../helpers/cli.js';
import { CLIPS } from '../helpers/fixtures.js';

const CLIP = join(CLIPS, 'carphone_qcif_176x144_120f.y4m');
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-usage-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Requires a usage error: status 2, one line naming `problem`, and the command's --help. */
function usageError(args: string[], problem: RegExp, help: string): void {
  const r = excamera(...args);
  expect(r.status, args.join(' ')).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(problem);
  expect(lines[0]).toContain(`'excamera ${help === '' ? '' : `${help} `}--help'`);
  expect(r.stdout).toBe('');
}

describe('usage errors', () => {
  it('name the flag and the text given, in one line', () => {
    usageError(['xc', CLIP, '-o', join(dir, 'x.ivf'), '--speed', 'abc'], /^excamera: --speed takes an integer, got "abc"/, 'xc');
    usageError(['xc', CLIP, '-o', join(dir, 'x.ivf'), '--quantizer', '99'], /--quantizer must be an integer 0\.\.63, got 99/, 'xc');
    usageError(['encode', CLIP, '-o', join(dir, 'x.ivf'), '--cq-level', '1e9'], /--cq-level must be an integer 0\.\.63, got 1000000000/, 'encode');
    usageError(['simulate', '-n', '6', '--failure-probability', 'often'], /--failure-probability takes a number, got "often"/, 'simulate');
    usageError(['simulate', 'sweep', '-n', '6,x'], /--n takes an integer, got "x"/, 'simulate sweep');
    usageError(['xc', CLIP, '-o', join(dir, 'x.ivf'), '--workers', '0'], /--workers must be an integer 1\.\.1024, got 0/, 'xc');
    usageError(['xc', CLIP, '-o', join(dir, 'x.ivf'), '--speed'], /--speed needs a value/, 'xc');
  });

  it('name an unknown flag once, and a missing argument by name', () => {
    usageError(['xc', CLIP, '-o', join(dir, 'x.ivf'), '--frames-per-chonk', '3'], /^excamera: unknown option --frames-per-chonk \(/, 'xc');
    usageError(['decode', 'a.ivf', 'b.ivf'], /unexpected argument b\.ivf/, 'decode');
    usageError(['xc'], /missing <input>/, 'xc');
    usageError(['xc', CLIP], /missing --output/, 'xc');
    usageError(['state'], /missing a state command/, 'state');
    usageError([], /name a command/, '');
  });

  it('refuse flags that would do nothing: --timeline with --backend inprocess, worker flags without workers', () => {
    usageError(['xc', CLIP, '-o', join(dir, 'x.ivf'), '--backend', 'inprocess', '--timeline', join(dir, 't.html')], /--timeline concerns workers, and --backend inprocess has none/, 'xc');
    usageError(['xc', CLIP, '-o', join(dir, 'x.ivf'), '--backend', 'inprocess', '--workers', '2'], /--workers concerns workers/, 'xc');
    usageError(['xc', CLIP, '-o', join(dir, 'x.ivf'), '--public-host', '203.0.113.7'], /--public-host concerns Lambda workers/, 'xc');
    expect(existsSync(join(dir, 't.html'))).toBe(false);
  });

  it('turns yargs messages into this tool\'s words', () => {
    expect(usageMessage('Unknown arguments: foo-bar, fooBar', ['xc', '--foo-bar', '3'])).toBe('unknown option --foo-bar');
    expect(usageMessage('Unknown argument: zz', ['xc', 'a', 'zz'])).toBe('unexpected argument zz');
    expect(usageMessage('Missing required argument: output', [])).toBe('missing --output');
    expect(usageMessage('Not enough non-option arguments: got 1, need at least 2', [], ['<a>', '<b>'])).toBe('missing <b>');
  });
});

describe('files that are missing or not what they claim', () => {
  it('a missing input is "no such file", for every command that reads one', () => {
    const absent = join(dir, 'absent');
    for (const args of [['decode', `${absent}.ivf`], ['info', `${absent}.ivf`], ['encode', `${absent}.y4m`, '-o', join(dir, 'e.ivf')], ['xc', `${absent}.y4m`, '-o', join(dir, 'e.ivf')], ['compare', CLIP, `${absent}.y4m`], ['state', 'dump', `${absent}.state`]]) {
      const r = excamera(...args);
      expect(r.stderr, args.join(' ')).toBe(`excamera: no such file: ${args.find((a) => a.startsWith(absent))}\n`);
      expect(r.status).toBe(1);
    }
  });

  it('an empty or header-only .y4m says what a Y4M file holds, and writes nothing', () => {
    const empty = join(dir, 'empty.y4m');
    writeFileSync(empty, '');
    const c = excamera('compare', empty, CLIP);
    expect(c.stderr).toMatch(/^excamera: .*empty\.y4m is empty: a Y4M file starts with a header line such as "YUV4MPEG2 W352 H288/);
    expect(c.status).toBe(1);
    const headerOnly = join(dir, 'header.y4m');
    writeFileSync(headerOnly, writeY4mHeader({ width: 16, height: 16, frameRate: { numerator: 30, denominator: 1 } }));
    for (const args of [['encode', headerOnly, '-o', join(dir, 'h.ivf')], ['xc', headerOnly, '-o', join(dir, 'h.ivf'), '--backend', 'inprocess']]) {
      const r = excamera(...args);
      expect(r.stderr).toMatch(/header\.y4m holds no frames/);
      expect(r.status).toBe(1);
      expect(existsSync(join(dir, 'h.ivf'))).toBe(false);
    }
    const notY4m = join(dir, 'text.y4m');
    writeFileSync(notY4m, 'hello\n');
    expect(excamera('encode', notY4m, '-o', join(dir, 'h.ivf')).stderr).toMatch(/text\.y4m is not a Y4M file: a Y4M file starts with/);
  });

  it('decode of a stream that shows no frames writes no empty file', () => {
    const empty = join(dir, 'none.ivf');
    writeFileSync(empty, writeIvf({ width: 176, height: 144, timebaseDenominator: 30, timebaseNumerator: 1 }, []));
    const r = excamera('decode', empty, '-o', join(dir, 'none.y4m'));
    expect(r.stderr).toMatch(/none\.ivf shows no frames; .*none\.y4m was not written/);
    expect(r.status).toBe(1);
    expect(existsSync(join(dir, 'none.y4m'))).toBe(false);
  });

  it('encode --limit 0 is refused: no zero-frame file, no "PSNR 100"', () => {
    const r = excamera('encode', CLIP, '-o', join(dir, 'zero.ivf'), '--limit', '0');
    expect(r.status).toBe(2);
    expect(r.stdout).not.toMatch(/PSNR/);
    expect(existsSync(join(dir, 'zero.ivf'))).toBe(false);
  });
});

describe('defaults and help', () => {
  it('encode and xc share the default quality, and both --helps state it', () => {
    const enc = JSON.parse(excamera('encode', CLIP, '-o', join(dir, 'd.ivf'), '--limit', '2', '--speed', '5', '--json').stdout);
    const xc = JSON.parse(excamera('xc', CLIP, '-o', join(dir, 'd2.ivf'), '--limit', '2', '--speed', '5', '--backend', 'inprocess', '--json', '-q').stdout);
    expect(enc.rateControl).toEqual({ mode: 'cq', cqLevel: DEFAULT_CQ_LEVEL });
    expect(xc.quality).toEqual({ mode: 'cq', cqLevel: DEFAULT_CQ_LEVEL });
    for (const command of ['encode', 'xc', 'calibrate']) expect(excamera(command, '--help').stdout.replace(/\s+/g, ' ')).toContain(`(the default, at ${DEFAULT_CQ_LEVEL})`);
  }, 60_000);

  it('--spares says what spares do', () => {
    const help = excamera('xc', '--help').stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--spares.*chunks go to workers as they connect, spares included; once every chunk has a worker, spares still idle wait to take over the chunk of a worker that fails/);
  });

  it('every command has --help, in the registry the CLI is built from', () => {
    for (const { path } of LEAF_COMMANDS) {
      const r = excamera(...path, '--help');
      expect(r.status, path.join(' ')).toBe(0);
      expect(r.stdout).toContain(`excamera ${path.join(' ')}`);
    }
  });
});

describe('state dump', () => {
  it('prints a readable summary without --json, every field with it', () => {
    const keep = join(dir, 'keep');
    expect(excamera('xc', CLIP, '-o', join(dir, 'k.ivf'), '--backend', 'inprocess', '--keep', keep, '-n', '2', '-x', '2', '--limit', '4', '--speed', '5', '-q').status).toBe(0);
    const file = join(keep, '0001.output.state');
    const text = excamera('state', 'dump', file);
    expect(text.status).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(10);
    expect(lines[0]).toMatch(/0001\.output\.state: state format \d+, \d+ bytes/);
    expect(text.stdout).toMatch(/^picture +176x144$/m);
    expect(text.stdout).toMatch(/^probs +coefficients (default|\d+ of \d+ changed), motion vectors/m);
    expect(text.stdout).toMatch(/^refs +last picture md5 [0-9a-f]{32}; golden (same as last|picture md5 [0-9a-f]{32}); altref/m);
    const json = JSON.parse(excamera('state', 'dump', file, '--json').stdout);
    expect(json).toMatchObject({ width: 176, height: 144 });
    expect(text.stdout).toContain(json.hash);
    expect(readFileSync(file).length).toBe(json.fileBytes);
  }, 60_000);
});
