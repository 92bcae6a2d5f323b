// Every `excamera` command, in the order --help lists them. Tests walk this
// list: every command has --help, and every string flag of every command has
// a declared file role (command.ts).

import type { CommandModule } from 'yargs';
import { calibrateCommand } from './calibrate.js';
import { encodeGivenStateCommand, rebaseCommand } from './chunk-tools.js';
import type { Command } from './command.js';
import { compareCommand } from './compare.js';
import { decodeCommand } from './decode.js';
import { encodeCommand } from './encode.js';
import { infoCommand } from './info.js';
import { lambdaCommand, packageCommand } from './lambda.js';
import { simulateCommand, simulateSweepCommand } from './simulate.js';
import { stateCommand } from './state.js';
import { xcCommand } from './xc.js';

/** The top-level commands. */
export const COMMANDS: readonly CommandModule<object, never>[] = [
  xcCommand, simulateCommand, calibrateCommand, lambdaCommand, encodeGivenStateCommand, rebaseCommand,
  stateCommand, encodeCommand, decodeCommand, compareCommand, infoCommand,
] as unknown as CommandModule<object, never>[];

/** Every command that does work, by the words that name it (`['state', 'dump']`). */
export const LEAF_COMMANDS: readonly { readonly path: readonly string[]; readonly command: Command<never> }[] = [
  { path: ['xc'], command: xcCommand },
  { path: ['simulate'], command: simulateCommand },
  { path: ['simulate', 'sweep'], command: simulateSweepCommand },
  { path: ['calibrate'], command: calibrateCommand },
  { path: ['encode-given-state'], command: encodeGivenStateCommand },
  { path: ['rebase'], command: rebaseCommand },
  ...stateCommand.subcommands.map((c) => ({ path: ['state', String(c.command).split(' ')[0]!], command: c })),
  { path: ['encode'], command: encodeCommand },
  { path: ['decode'], command: decodeCommand },
  { path: ['compare'], command: compareCommand },
  { path: ['info'], command: infoCommand },
  { path: ['lambda', 'package'], command: packageCommand },
] as unknown as { path: string[]; command: Command<never> }[];

/** The command words at the start of `argv` (`excamera state dump x` → `state dump`). */
export function commandPath(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (const leaf of [...LEAF_COMMANDS, { path: ['lambda'] }, { path: ['state'] }]) {
    if (leaf.path.every((w, i) => argv[i] === w) && leaf.path.length > words.length) words.splice(0, words.length, ...leaf.path);
  }
  return words;
}

/** The yargs command string of the command named by `path` (`xc <input>`), if any. */
export function commandString(path: readonly string[]): string | undefined {
  const leaf = LEAF_COMMANDS.find((l) => l.path.join(' ') === path.join(' '));
  if (leaf !== undefined) return String(leaf.command.command);
  const top = COMMANDS.find((c) => String(c.command).split(' ')[0] === path[0] && path.length === 1);
  return top !== undefined ? String(top.command) : undefined;
}
