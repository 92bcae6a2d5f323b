#!/usr/bin/env node
// The `excamera` command: one subcommand per file, each a thin layer over the
// library, loaded only when it runs (registry.ts). Every command has --help.
//
// Errors are one line on stderr: a usage error (a bad flag, a value out of
// range) names the problem and where to read more, exit status 2; bad input
// or a file that cannot be read or written, exit status 1. Anything else is a
// bug and keeps its stack trace.

import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExcameraTsError } from '../errors.js';
import { UsageError } from './errors.js';
import { commandPath, commandsFor, commandString } from './registry.js';
import { usageMessage } from './usage.js';

async function main(argv: string[]): Promise<number> {
  const where = commandPath(argv);
  const help = `excamera ${[...where, '--help'].join(' ')}`;
  try {
    const commands = await commandsFor(where);
    const positionals = ((await commandString(where))?.match(/<[^>]+>/g) ?? []).map((p) => (p === '<command>' ? `a ${where.join(' ')} command` : p));
    await commands.reduce((y, c) => y.command(c as unknown as CommandModule<object, never>), yargs(argv).scriptName('excamera'))
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
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`excamera: ${e.message} (see '${help}')\n`);
      return e.exitCode;
    }
    // Bad input and bad paths, from any layer, are reported in one line.
    if (e instanceof ExcameraTsError) {
      process.stderr.write(`excamera: ${e.message}\n`);
      return e.exitStatus;
    }
    const err = e as NodeJS.ErrnoException | null;
    if (err?.code === 'ENOENT' && typeof err.path === 'string') {
      process.stderr.write(`excamera: no such file: ${err.path}\n`);
      return 1;
    }
    if (typeof err?.code === 'string' && /^E[A-Z]+$/.test(err.code)) {
      process.stderr.write(`excamera: ${err.message}\n`);
      return 1;
    }
    throw e;
  }
}

// A closed pipe (`excamera info x.ivf | head`) ends the command quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(hideBin(process.argv)).then((code) => {
  process.exitCode = code;
});
