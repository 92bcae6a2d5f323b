// Inputs are never destroyed, and outputs are checked before any work:
// every command declares the role of each path it takes (src/cli/files.ts),
// and one check refuses an output that is one of the inputs — by name,
// through another path, a symbolic link or a hard link — and an output whose
// directory is missing or not writable, before the command does anything.

import { chmodSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEAF_COMMANDS } from '../../src/cli/commands.js';
import { checkFiles } from '../../src/cli/files.js';
import { excamera } from '../helpers/cli.js';
import { CLIPS, md5 } from '../helpers/fixtures.js';

const CLIP = join(CLIPS, 'carphone_qcif_176x144_120f.y4m');
let dir = '';
/** Files of `xc --keep` on 9 frames in chunks of 3: chunks and states of every phase. */
let kept = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-files-'));
  kept = join(dir, 'kept');
  const r = excamera('xc', CLIP, '-o', join(dir, 'xc.ivf'), '--backend', 'inprocess', '--keep', kept, '-n', '3', '-x', '3', '--limit', '9', '--speed', '5', '-q');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 60_000);
afterAll(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `excamera args`, requiring it to fail with `message` and leave every file in `dir` byte for byte as it was. */
function refused(args: string[], message: RegExp): void {
  const before = snapshot();
  const r = excamera(...args);
  expect(r.stderr, args.join(' ')).toMatch(message);
  expect(r.stderr).not.toMatch(/\.tmp-\d+/);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.status).toBe(1);
  expect(snapshot()).toEqual(before);
}

function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[p] = md5(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

describe('every command declares what its paths are', () => {
  it('each string flag and argument of every command has a file role', () => {
    const undeclared: string[] = [];
    for (const { path, command } of LEAF_COMMANDS) {
      const y = yargs([]) as Argv<object>;
      (command.builder as (y: Argv<object>) => Argv<object>)(y);
      const options = (y as unknown as { getOptions(): { string: string[]; alias: Record<string, string[]>; key: Record<string, boolean> } }).getOptions();
      const aliases = new Set(Object.values(options.alias).flat());
      for (const name of options.string) {
        if (aliases.has(name) && !(name in options.key && name.length > 1)) continue;
        if (!(name in command.files)) undeclared.push(`${path.join(' ')}: ${name}`);
      }
    }
    expect(undeclared).toEqual([]);
  });
});

describe('an output that is an input is refused, and the input kept', () => {
  const c = (name: string): string => join(kept, name);

  it('state final IN.ivf -o IN.ivf', () => {
    refused(['state', 'final', c('0000.output.ivf'), '-o', c('0000.output.ivf')], /refusing to write .*0000\.output\.ivf: it is the input <chunk>; name another output$/m);
  });

  it('rebase C.ivf ... -o C.ivf, and --final-state naming an input state', () => {
    const common = ['--from', c('0001.independent.state'), '--state', c('0001.output.state'), '--raw', CLIP, '--first', '6'];
    refused(['rebase', c('0002.given-state.ivf'), ...common, '-o', c('0002.given-state.ivf')], /refusing to write .*0002\.given-state\.ivf: it is the input/);
    refused(['rebase', c('0002.given-state.ivf'), ...common, '-o', join(dir, 'new.ivf'), '--final-state', c('0001.output.state')], /refusing to write .*0001\.output\.state: it is the input --state/);
    refused(['rebase', c('0002.given-state.ivf'), ...common, '-o', join(dir, 'new.ivf'), '--final-state', c('0001.independent.state')], /it is the input --from/);
  });

  it('encode-given-state C.ivf ... -o C.ivf, also through another path, a symbolic link and a hard link', () => {
    const common = ['--state', c('0000.independent.state'), '--raw', CLIP, '--first', '3'];
    refused(['encode-given-state', c('0001.independent.ivf'), ...common, '-o', c('0001.independent.ivf')], /it is the input/);
    refused(['encode-given-state', c('0001.independent.ivf'), ...common, '-o', join(kept, '..', 'kept', '.', '0001.independent.ivf')], /it is the input <chunk>; name another output/);
    symlinkSync(c('0001.independent.ivf'), join(dir, 'link.ivf'));
    linkSync(c('0001.independent.ivf'), join(dir, 'hard.ivf'));
    refused(['encode-given-state', c('0001.independent.ivf'), ...common, '-o', join(dir, 'link.ivf')], /the same file as/);
    refused(['encode-given-state', c('0001.independent.ivf'), ...common, '-o', join(dir, 'hard.ivf')], /the same file as/);
    refused(['encode-given-state', join(dir, 'hard.ivf'), ...common, '-o', join(dir, 'x.ivf'), '--final-state', c('0000.independent.state')], /it is the input --state/);
  });

  it('the other commands that write: encode, decode, xc, simulate', () => {
    const ivf = join(dir, 'xc.ivf');
    refused(['decode', ivf, '-o', ivf], /refusing to write .*xc\.ivf: it is the input/);
    // A WebM-named link to the raw clip: encoding would replace the clip itself.
    symlinkSync(CLIP, join(dir, 'clip.webm'));
    refused(['encode', CLIP, '-o', join(dir, 'clip.webm')], /refusing to write .*clip\.webm: it is the input <input> \(the same file as .*carphone/);
    refused(['xc', CLIP, '-o', join(dir, 'a.ivf'), '--timeline', join(dir, 'a.ivf')], /--output and --timeline name the same file/);
    refused(['state', 'final', ivf, '-o', join(dir, 'st.state'), '--from', join(dir, 'st.state')], /no such file: .*st\.state/);
  });
});

describe('outputs are checked before any work', () => {
  it('a missing directory is refused at once, and nothing is written (xc -o o.ivf --timeline nd/t.html)', () => {
    const t0 = performance.now();
    refused(['xc', CLIP, '-o', join(dir, 'o.ivf'), '--timeline', join(dir, 'nd', 't.html'), '-q'], /cannot write .*nd\/t\.html: there is no directory .*nd$/m);
    refused(['encode', CLIP, '-o', join(dir, 'nd', 'e.ivf')], /cannot write .*nd\/e\.ivf: there is no directory/);
    refused(['state', 'final', join(dir, 'xc.ivf'), '-o', join(dir, 'nd', 'f.state')], /there is no directory/);
    refused(['xc', CLIP, '-o', join(dir, 'o.ivf'), '--backend', 'inprocess', '--keep', join(dir, 'nd', 'keep')], /cannot create --keep .*: there is no directory/);
    // Refused before any encoding (each of these would take seconds).
    expect(performance.now() - t0).toBeLessThan(8000);
  });

  it('a directory that is not writable, and an output that is a directory', () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere; the check still runs on the mode bits through access(2), which root passes.
      expect(() => checkFiles({ output: 'output' }, { output: join(dir, 'x.ivf') })).not.toThrow();
    } else {
      const ro = join(dir, 'ro');
      mkdirSync(ro);
      chmodSync(ro, 0o555);
      refused(['encode', CLIP, '-o', join(ro, 'e.ivf')], /not writable/);
    }
    refused(['encode', CLIP, '-o', kept], /it is a directory|must end in/);
  });

  it('a directory option is created when missing, and its parent must exist', () => {
    const keep = join(dir, 'new-keep');
    const r = excamera('xc', CLIP, '-o', join(dir, 'k.ivf'), '--backend', 'inprocess', '--keep', keep, '-n', '3', '-x', '2', '--limit', '6', '--speed', '5', '-q');
    expect(r.status).toBe(0);
    expect(readdirSync(keep)).toContain('0001.output.ivf');
    writeFileSync(join(dir, 'plain'), 'x');
    refused(['xc', CLIP, '-o', join(dir, 'k2.ivf'), '--backend', 'inprocess', '--keep', join(dir, 'plain')], /--keep .*plain is not a directory/);
  }, 60_000);
});

describe('checkFiles', () => {
  it('passes distinct outputs in writable directories, URLs and absent optional paths', () => {
    expect(() => checkFiles({ input: 'input', output: 'output', timeline: 'output', storage: 'output-dir', profile: 'input-if-file' }, { input: CLIP, output: join(dir, 'new.ivf'), timeline: join(dir, 't.html'), storage: 's3://bucket/x', profile: 'paper-sintel-4k' })).not.toThrow();
  });

  it('refuses a missing input by name', () => {
    expect(() => checkFiles({ input: 'input' }, { input: join(dir, 'absent.y4m') })).toThrow(/^no such file: .*absent\.y4m$/);
  });
});
