// Every `excamera` command, loaded (registry.ts says where each is defined;
// the CLI itself loads only the one that runs). Tests walk this list: every
// command has --help, and every string flag of every command has a declared
// file role (command.ts).

import type { CommandModule } from 'yargs';
import type { Command } from './command.js';
import { LEAF_ENTRIES, TOP_COMMANDS } from './registry.js';

/** The top-level commands, in the order --help lists them. */
export const COMMANDS: readonly CommandModule<object, never>[] = (await Promise.all(TOP_COMMANDS.map((t) => t.load()))) as unknown as CommandModule<object, never>[];

/** Every command that does work, by the words that name it (`['state', 'dump']`). */
export const LEAF_COMMANDS: readonly { readonly path: readonly string[]; readonly command: Command<never> }[] = await Promise.all(
  LEAF_ENTRIES.map(async (l) => ({ path: l.path, command: await l.load() })),
);
