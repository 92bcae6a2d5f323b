// The registry names each command before loading it (registry.ts): the names
// must be the commands' own, or a command line would load the wrong module or
// none. A command line loads only the module of the command it names.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandPath, LEAF_ENTRIES, TOP_COMMANDS } from '../../src/cli/registry.js';
import { BIN } from '../helpers/cli.js';
import { ROOT, VECTORS } from '../helpers/fixtures.js';

const firstWord = (command: unknown): string => String(command).split(' ')[0]!;

const dir = mkdtempSync(join(tmpdir(), 'excamera-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The project modules (paths under dist/src) a command line loads. */
function modulesLoaded(name: string, ...args: string[]): string[] {
  const trace = join(dir, `${name}.txt`);
  const r = spawnSync(process.execPath, ['--import', join(ROOT, 'test', 'helpers', 'trace-imports.mjs'), BIN, ...args], { encoding: 'utf8', env: { ...process.env, EXCAMERA_TRACE_IMPORTS: trace } });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(trace, 'utf8').split('\n').map((u) => /\/dist\/src\/(.*)$/.exec(u)?.[1]).filter((p): p is string => p !== undefined);
}

describe('command registry', () => {
  it('names every top-level command and every leaf by the words its module declares', async () => {
    for (const t of TOP_COMMANDS) expect(firstWord((await t.load()).command)).toBe(t.name);
    for (const l of LEAF_ENTRIES) expect(firstWord((await l.load()).command), l.path.join(' ')).toBe(l.path.at(-1));
    expect(new Set(TOP_COMMANDS.map((t) => t.name)).size).toBe(TOP_COMMANDS.length);
  });

  it('finds the longest command path at the start of a command line', () => {
    expect(commandPath(['state', 'dump', 'x.state'])).toEqual(['state', 'dump']);
    expect(commandPath(['state', '--help'])).toEqual(['state']);
    expect(commandPath(['simulate', 'sweep', '--help'])).toEqual(['simulate', 'sweep']);
    expect(commandPath(['nonsense'])).toEqual([]);
  });

  it('loads only the command that runs; --help loads them all to list them', () => {
    const info = modulesLoaded('info', 'info', join(VECTORS, 'vp80-00-comprehensive-001.ivf'));
    expect(info).toContain('cli/info.js');
    expect(info.filter((m) => /^(excamera|sim)\/|^cli\/(xc|simulate|calibrate|lambda|chunk-tools)\.js$/.test(m))).toEqual([]);
    const help = modulesLoaded('help', '--help');
    for (const m of ['cli/xc.js', 'cli/simulate.js', 'cli/chunk-tools.js', 'cli/lambda.js']) expect(help).toContain(m);
  });
});
