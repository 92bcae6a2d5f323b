// The command line as yargs reads it: every --help, and every command line
// that is not of the plain form (plain-args.ts). Loaded only for those.

import yargs, { type CommandModule } from 'yargs';
import type { Command } from './command.js';
import { UsageError } from './errors.js';
import { usageMessage } from './usage.js';

/**
 * Parses `argv` with `commands` (the ones the line may name) and runs the
 * handler of the command it names. `positionals` are that command's required
 * arguments (`<input>`), to name a missing one. Usage problems are thrown as
 * UsageError in this tool's words (usage.ts).
 */
export async function runWithYargs(argv: readonly string[], commands: readonly Command<never>[], positionals: readonly string[]): Promise<void> {
  await commands.reduce((y, c) => y.command(c as unknown as CommandModule<object, never>), yargs([...argv]).scriptName('excamera'))
    .usage('$0 <command> [options]\n\nBurst-parallel VP8 encoding (ExCamera) and a bit-exact VP8 decoder.')
    .demandCommand(1, 'name a command')
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg: string | null, err: Error | undefined) => {
      // Errors thrown by handlers pass through; yargs' own and the flags' checks are usage errors.
      // (A flag's own check throws a UsageError, which yargs may rewrap as a YError.)
      if (err !== undefined && err !== null && !(err instanceof UsageError) && err.name !== 'YError') throw err;
      throw new UsageError(usageMessage(err?.message ?? msg ?? '', argv, positionals));
    })
    .parseAsync();
}
