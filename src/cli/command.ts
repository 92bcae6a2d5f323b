// How every `excamera` command is defined: a yargs command plus the role of
// each of its path-valued flags (files.ts). The wrapper checks the paths
// before the handler runs, so the rule "never overwrite an input, never fail
// after the work for want of a directory" holds for every command, and a
// test can list every command's flags and require each string flag to have
// a declared role.

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { checkFiles, type FileRoles } from './files.js';

export interface CommandSpec<A> {
  readonly command: string;
  readonly describe: string;
  readonly builder: (y: Argv<object>) => Argv<A>;
  /** The role of every string flag and argument: input, output, directory, or not a path. */
  readonly files: FileRoles;
  /** Outputs the handler derives from other flags (checked with the rest). */
  readonly derivedOutputs?: (args: ArgumentsCamelCase<A>) => { flag: string; path: string }[];
  readonly handler: (args: ArgumentsCamelCase<A>) => void | Promise<void>;
}

/** A yargs command whose declared files are checked before it runs. */
export interface Command<A = unknown> extends CommandModule<object, A> {
  readonly files: FileRoles;
}

export function defineCommand<A>(spec: CommandSpec<A>): Command<A> {
  const positionals = new Set([...spec.command.matchAll(/[<[]([^>\]]+)[>\]]/g)].map((m) => m[1]!));
  return {
    command: spec.command,
    describe: spec.describe,
    builder: spec.builder,
    files: spec.files,
    handler: async (args: ArgumentsCamelCase<A>) => {
      checkFiles(spec.files, args as Record<string, unknown>, spec.derivedOutputs?.(args) ?? [], positionals);
      await spec.handler(args);
    },
  };
}

/** A command that only groups subcommands (`state dump|diff|final`). */
export function defineGroup(command: string, describe: string, subcommands: readonly Command<never>[], demand: string): Command<object> & { readonly subcommands: readonly Command<never>[] } {
  return {
    command,
    describe,
    files: {},
    subcommands,
    builder: (y: Argv<object>) => subcommands.reduce((acc, c) => acc.command(c as unknown as CommandModule<object, object>), y).demandCommand(1, demand),
    handler: () => undefined,
  };
}
