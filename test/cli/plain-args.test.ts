// Plain command lines are read without yargs (plain-args.ts). On generated
// command lines of every command the plain reader covers: whatever it
// accepts, yargs accepts with the same values for the handler; on lines of
// the plain form (declared names, decimal numbers, each flag at most once) it
// accepts exactly what yargs accepts. And a plain command line loads no yargs
// module, while --help does.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LEAF_COMMANDS } from '../../src/cli/commands.js';
import type { Command } from '../../src/cli/command.js';
import { declarationsOf, type Declarations, parsePlain } from '../../src/cli/plain-args.js';
import { runWithYargs } from '../../src/cli/yargs-cli.js';
import { BIN } from '../helpers/cli.js';
import { ROOT } from '../helpers/fixtures.js';

/** What yargs gives the handler of `command` (named by `path`) for `argv`, or null when it refuses the line. */
async function viaYargs(path: readonly string[], command: Command<never>, argv: readonly string[]): Promise<Record<string, unknown> | null> {
  let got: Record<string, unknown> | null = null;
  const capture: Command<never> = { ...command, handler: (a: unknown) => void (got = a as Record<string, unknown>) };
  const named = path.length === 1 ? capture : {
    command: path[0], describe: 'group', files: {}, handler: () => undefined,
    builder: (y: import('yargs').Argv<object>) => y.command(capture as unknown as import('yargs').CommandModule<object, never>).demandCommand(1),
  } as unknown as Command<never>;
  try {
    await runWithYargs(argv, [named], []);
  } catch {
    return null;
  }
  return got;
}

const plainCommands = LEAF_COMMANDS.flatMap((l) => {
  const d = declarationsOf(l.command);
  return d === null ? [] : [{ ...l, declarations: d }];
});

/** Values of the plain form: plain words, and decimal numbers in and out of every flag's range. */
const plainWord = fc.constantFrom('p', 'a.ivf', 'dir/x.state', '3', 'true', 'out.y4m');
const plainNumber = fc.oneof(
  { arbitrary: fc.constantFrom('1', '2', '3', '4', '5', '1.0', '007'), weight: 6 },
  { arbitrary: fc.constantFrom('0', '6', '63', '64', '0.5', '2.25'), weight: 1 },
  { arbitrary: fc.nat(1000).map(String), weight: 1 },
);

/** A line of the plain form: some of the flags (each at most once, by name or alias), mostly as many arguments as declared. */
function plainLine(d: Declarations): fc.Arbitrary<string[]> {
  const flagTokens = d.flags.map((f) =>
    fc.option(
      fc.tuple(fc.constantFrom(`--${f.name}`, ...(f.alias !== undefined ? [`-${f.alias}`] : [])), f.coerce !== undefined ? plainNumber : plainWord)
        .map(([name, value]) => (f.boolean ? [name] : [name, value])),
      { freq: 2 },
    ));
  return fc.record({
    flags: fc.tuple(...flagTokens).map((t) => t.filter((x): x is string[] => x !== null)),
    args: fc.oneof(
      { arbitrary: fc.array(plainWord, { minLength: d.positionals.length, maxLength: d.positionals.length }), weight: 4 },
      { arbitrary: fc.array(plainWord, { minLength: Math.max(0, d.positionals.length - 1), maxLength: d.positionals.length + 1 }), weight: 1 },
    ),
  }).chain(({ flags, args }) => {
    // The arguments anywhere among the flags.
    const groups = [...flags, ...args.map((a) => [a])];
    return fc.shuffledSubarray(groups, { minLength: groups.length, maxLength: groups.length }).map((g) => g.flat());
  });
}

/** Any line of tokens: the declared names and odd forms of them, and values yargs reads its own way. */
function oddLine(d: Declarations): fc.Arbitrary<string[]> {
  const names = d.flags.flatMap((f) => [`--${f.name}`, ...(f.alias !== undefined ? [`-${f.alias}`] : []), `--no-${f.name}`, `--${f.name}=4`, `--${f.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}`]);
  const odd = fc.constantFrom('--help', '-h', '--version', '--unknown', '-x', '--', '', '-1', '0x10', '1e2', ' 4', '.5', '5.', 'false', '-');
  return fc.array(fc.oneof(fc.constantFrom(...names, '--json'), plainWord, plainNumber, odd), { maxLength: 14 });
}

describe('plain command lines', () => {
  it('cover the chunk tools', () => {
    expect(plainCommands.map((c) => c.path.join(' '))).toEqual(expect.arrayContaining(['encode-given-state', 'rebase']));
  });

  for (const { path, command, declarations } of plainCommands) {
    it(`excamera ${path.join(' ')}: accepted only as yargs accepts it, with the same values`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(plainLine(declarations), oddLine(declarations)), async (rest) => {
          const argv = [...path, ...rest];
          const plain = parsePlain(path, declarations, argv);
          if (plain !== null) expect(plain).toEqual(await viaYargs(path, command, argv));
        }),
        { numRuns: 150 },
      );
    });

    it(`excamera ${path.join(' ')}: a line of the plain form is accepted exactly when yargs accepts it`, async () => {
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(plainLine(declarations), async (rest) => {
          const argv = [...path, ...rest];
          const plain = parsePlain(path, declarations, argv);
          const yargs = await viaYargs(path, command, argv);
          expect(plain).toEqual(yargs);
          if (plain !== null) accepted++;
        }),
        { numRuns: 150 },
      );
      expect(accepted).toBeGreaterThan(0);
    });
  }
});

describe('loading yargs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'excamera-plain-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Whether `excamera args` loads a yargs module, and how it ended. */
  function loadsYargs(name: string, ...args: string[]): { yargs: boolean; status: number | null; stderr: string } {
    const trace = join(dir, `${name}.txt`);
    const r = spawnSync(process.execPath, ['--import', join(ROOT, 'test', 'helpers', 'trace-imports.mjs'), BIN, ...args], { encoding: 'utf8', env: { ...process.env, EXCAMERA_TRACE_IMPORTS: trace } });
    return { yargs: readFileSync(trace, 'utf8').split('\n').some((u) => /\/node_modules\/yargs(-parser)?\//.test(u)), status: r.status, stderr: r.stderr };
  }

  it('a plain rebase line runs without it; --help and an odd line load it', () => {
    const missing = join(dir, 'missing.ivf');
    const plain = loadsYargs('plain', 'rebase', missing, '--from', 'a.state', '--state', 'b.state', '--raw', 'r.y4m', '--first', '12', '-o', join(dir, 'out.ivf'), '--json');
    // The handler ran: it checked the files and found the chunk missing.
    expect(plain.stderr).toBe(`excamera: no such file: ${missing}\n`);
    expect(plain.status).toBe(1);
    expect(plain.yargs).toBe(false);
    expect(loadsYargs('help', 'rebase', '--help')).toMatchObject({ yargs: true, status: 0 });
    const odd = loadsYargs('odd', 'rebase', missing, '--speed=4');
    expect(odd.yargs).toBe(true);
    expect(odd.stderr).toBe("excamera: missing --raw, --output, --from, --state (see 'excamera rebase --help')\n");
  });
});
