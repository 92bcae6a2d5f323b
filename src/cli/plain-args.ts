// Plain command lines read without yargs. Loading yargs and building its
// parser costs a fresh process about 0.13 s, more than some commands take to
// run (`excamera rebase` on a chunk of a few frames), so a command line of the
// plain form is read here instead, from the same declarations yargs reads:
//
//   excamera COMMAND ARG... (--name VALUE | -n VALUE | --flag [true|false])...
//
// where every name is one the command declares, given at most once, every
// number plainly decimal, and every required flag and argument present.
// Anything else — --help, --name=value, --no-flag, a value starting with '-',
// a value that fails its flag's check, a missing or unknown flag — is left to
// yargs, which accepts it or explains what is wrong in its usual words. On
// what it accepts, this reader gives the handler the same values yargs would
// (test/cli/plain-args.test.ts checks both claims on generated command lines).
//
// The declarations are recorded by running the command's yargs builder
// against a recorder: a builder that does anything but declare options and
// string arguments (checks, conflicts, subcommands) is left to yargs entirely.

import type { Options } from 'yargs';
import type { Command } from './command.js';

/** One declared flag, as far as the plain form needs it. */
interface Flag {
  readonly name: string;
  readonly alias: string | undefined;
  readonly boolean: boolean;
  readonly required: boolean;
  readonly default: unknown;
  readonly coerce: ((value: unknown) => unknown) | undefined;
}

/** What a command's builder declares: its arguments in order and its flags. */
export interface Declarations {
  readonly positionals: readonly string[];
  readonly flags: readonly Flag[];
}

/** The option settings the plain form reproduces; any other makes a command yargs-only. */
const PLAIN_SETTINGS = new Set(['type', 'demandOption', 'describe', 'default', 'alias', 'coerce', 'requiresArg', 'hidden']);

/** A declared flag or argument, or null when its settings are more than the plain form covers. */
function flagOf(name: string, o: Options, positional: boolean): Flag | null {
  if (Object.keys(o).some((k) => !PLAIN_SETTINGS.has(k))) return null;
  const boolean = o.type === 'boolean';
  // A number flag must check its text itself (options.ts); yargs' own types other than these convert it.
  if (!(o.type === 'string' || (boolean && !positional) || (o.type === undefined && o.coerce !== undefined && !positional))) return null;
  if (o.alias !== undefined && (typeof o.alias !== 'string' || o.alias.length !== 1)) return null;
  if (o.demandOption !== undefined && o.demandOption !== true) return null;
  return { name, alias: o.alias, boolean, required: o.demandOption === true, default: o.default, coerce: o.coerce as Flag['coerce'] };
}

const recorded = new WeakMap<Command<never>, Declarations | null>();

/** The declarations of `command`, or null when its builder does more than declare. */
export function declarationsOf(command: Command<never>): Declarations | null {
  if (recorded.has(command)) return recorded.get(command)!;
  const required = [...String(command.command).matchAll(/\S+/g)].slice(1).map((m) => /^<([\w-]+)>$/.exec(m[0])?.[1]);
  const positionals = required.every((p) => p !== undefined) ? (required as string[]) : null;
  const flags: Flag[] = [];
  const args = new Map<string, Flag>();
  let plain = positionals !== null && typeof command.builder === 'function';
  const recorder: unknown = new Proxy({}, {
    get: (_, method) => (...a: unknown[]) => {
      const [name, o] = a as [string, Options];
      if (method === 'option' || method === 'positional') {
        const f = flagOf(name, o, method === 'positional');
        if (f === null) plain = false;
        else if (method === 'option') flags.push(f);
        else args.set(name, f);
      } else if (method !== 'example') plain = false;
      return recorder;
    },
  });
  if (plain) (command.builder as (y: unknown) => unknown)(recorder);
  const declarations = plain && positionals!.every((p) => args.has(p)) ? { positionals: positionals!, flags } : null;
  recorded.set(command, declarations);
  return declarations;
}

const camelCase = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** A plain decimal number: the only numeric text read here (yargs reads 0x10, 1e3 and -1 its own way). */
const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * The arguments yargs would give the handler of the command named by `path`
 * for `argv` (the whole command line, command words first), or null when the
 * line is not of the plain form (see the file comment).
 */
export function parsePlain(path: readonly string[], declarations: Declarations, argv: readonly string[]): Record<string, unknown> | null {
  const args: Record<string, unknown> = { _: [...path], $0: 'excamera' };
  const set = (name: string, alias: string | undefined, value: unknown): void => {
    args[name] = value;
    args[camelCase(name)] = value;
    if (alias !== undefined) args[alias] = value;
  };
  const given = new Set<Flag>();
  const positionals: string[] = [];
  for (let i = path.length; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith('-')) {
      if (token === '') return null;
      positionals.push(token);
      continue;
    }
    const flag = declarations.flags.find((f) => token === `--${f.name}` || (f.alias !== undefined && token === `-${f.alias}`));
    if (flag === undefined || given.has(flag)) return null;
    given.add(flag);
    if (flag.boolean) {
      // yargs takes a following true or false as the flag's value.
      const value = argv[i + 1] === 'true' || argv[i + 1] === 'false' ? argv[++i] === 'true' : true;
      set(flag.name, flag.alias, value);
      continue;
    }
    const value = argv[++i];
    if (value === undefined || value === '' || value.startsWith('-')) return null;
    if (flag.coerce === undefined) set(flag.name, flag.alias, value);
    else {
      if (!DECIMAL.test(value)) return null;
      try {
        set(flag.name, flag.alias, flag.coerce(value));
      } catch {
        return null;
      }
    }
  }
  if (positionals.length !== declarations.positionals.length) return null;
  for (const f of declarations.flags) {
    if (given.has(f)) continue;
    if (f.required) return null;
    if (f.default !== undefined) set(f.name, f.alias, f.default);
  }
  declarations.positionals.forEach((name, i) => set(name, undefined, positionals[i]));
  return args;
}
