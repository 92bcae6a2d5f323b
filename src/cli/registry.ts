// Where every `excamera` command is defined, loaded only when needed. A
// command's module brings in its part of the library (the encoder, the
// coordinator, the AWS SDK, the simulator), so the CLI loads the module of
// the command that runs and no other; only `excamera --help`, or a command
// line that names no known command, loads them all, to list them.

import type { Command } from './command.js';

type Loader = () => Promise<Command<never>>;

/** A command of any arguments, as the registry holds it. */
const known = (c: Command<never> | object): Command<never> => c as Command<never>;

/** The top-level commands, in the order --help lists them. */
export const TOP_COMMANDS: readonly { readonly name: string; readonly load: Loader }[] = [
  { name: 'xc', load: async () => known((await import('./xc.js')).xcCommand) },
  { name: 'simulate', load: async () => known((await import('./simulate.js')).simulateCommand) },
  { name: 'calibrate', load: async () => known((await import('./calibrate.js')).calibrateCommand) },
  { name: 'study', load: async () => known((await import('./study.js')).studyCommand) },
  { name: 'lambda', load: async () => known((await import('./lambda.js')).lambdaCommand) },
  { name: 'encode-given-state', load: async () => known((await import('./chunk-tools.js')).encodeGivenStateCommand) },
  { name: 'rebase', load: async () => known((await import('./chunk-tools.js')).rebaseCommand) },
  { name: 'state', load: async () => known((await import('./state.js')).stateCommand) },
  { name: 'encode', load: async () => known((await import('./encode.js')).encodeCommand) },
  { name: 'decode', load: async () => known((await import('./decode.js')).decodeCommand) },
  { name: 'compare', load: async () => known((await import('./compare.js')).compareCommand) },
  { name: 'info', load: async () => known((await import('./info.js')).infoCommand) },
  { name: 'inspect', load: async () => known((await import('./inspect.js')).inspectCommand) },
];

/** A subcommand of a group (`state dump`). */
async function sub(group: Promise<Command<never>>, name: string): Promise<Command<never>> {
  const subcommands = ((await group) as Command<never> & { subcommands: readonly Command<never>[] }).subcommands;
  const c = subcommands.find((s) => String(s.command).split(' ')[0] === name);
  if (c === undefined) throw new Error(`internal: no subcommand ${name}`);
  return c;
}

const top = (name: string): Promise<Command<never>> => TOP_COMMANDS.find((t) => t.name === name)!.load();

/** Every command that does work, by the words that name it (`['state', 'dump']`). */
export const LEAF_ENTRIES: readonly { readonly path: readonly string[]; readonly load: Loader }[] = [
  { path: ['xc'], load: () => top('xc') },
  { path: ['simulate'], load: () => top('simulate') },
  { path: ['simulate', 'sweep'], load: async () => known((await import('./simulate.js')).simulateSweepCommand) },
  { path: ['calibrate'], load: () => top('calibrate') },
  { path: ['study'], load: () => top('study') },
  { path: ['encode-given-state'], load: () => top('encode-given-state') },
  { path: ['rebase'], load: () => top('rebase') },
  ...['dump', 'diff', 'final'].map((name) => ({ path: ['state', name], load: () => sub(top('state'), name) })),
  { path: ['encode'], load: () => top('encode') },
  { path: ['decode'], load: () => top('decode') },
  { path: ['compare'], load: () => top('compare') },
  { path: ['info'], load: () => top('info') },
  { path: ['inspect'], load: () => top('inspect') },
  { path: ['lambda', 'package'], load: () => sub(top('lambda'), 'package') },
];

/** The command words at the start of `argv` (`excamera state dump x` → `state dump`). */
export function commandPath(argv: readonly string[]): string[] {
  let words: readonly string[] = [];
  for (const path of [...LEAF_ENTRIES.map((l) => l.path), ...TOP_COMMANDS.map((t) => [t.name])]) {
    if (path.every((w, i) => argv[i] === w) && path.length > words.length) words = path;
  }
  return [...words];
}

/**
 * The top-level commands a command line needs: the one it names, or all of
 * them when it names none (for --help and the error that lists them).
 */
export async function commandsFor(path: readonly string[]): Promise<Command<never>[]> {
  const named = TOP_COMMANDS.find((t) => t.name === path[0]);
  return named !== undefined ? [await named.load()] : Promise.all(TOP_COMMANDS.map((t) => t.load()));
}

/** The yargs command string of the command named by `path` (`xc <input>`), if any. */
export async function commandString(path: readonly string[]): Promise<string | undefined> {
  const leaf = await leafCommand(path);
  if (leaf !== undefined) return String(leaf.command);
  const named = path.length === 1 ? TOP_COMMANDS.find((t) => t.name === path[0]) : undefined;
  return named !== undefined ? String((await named.load()).command) : undefined;
}

/** The command that does work named by `path`, if `path` names one. */
export async function leafCommand(path: readonly string[]): Promise<Command<never> | undefined> {
  return LEAF_ENTRIES.find((l) => l.path.join(' ') === path.join(' '))?.load();
}
