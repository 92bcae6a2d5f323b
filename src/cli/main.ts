#!/usr/bin/env node
// The `excamera` command: one subcommand per file, each a thin layer over the
// library, loaded only when it runs (registry.ts). Every command has --help.
//
// A plain command line (plain-args.ts) runs without loading yargs at all;
// yargs reads every other, and prints every --help.
//
// Errors are one line on stderr: a usage error (a bad flag, a value out of
// range) names the problem and where to read more, exit status 2; bad input
// or a file that cannot be read or written, exit status 1. Anything else is a
// bug and keeps its stack trace.

import { ExcameraTsError } from '../errors.js';
import { UsageError } from './errors.js';
import { declarationsOf, parsePlain } from './plain-args.js';
import { commandPath, commandsFor, commandString, leafCommand } from './registry.js';
import { usageMessage } from './usage.js';

async function main(argv: string[]): Promise<number> {
  const where = commandPath(argv);
  const help = `excamera ${[...where, '--help'].join(' ')}`;
  try {
    const positionals = ((await commandString(where))?.match(/<[^>]+>/g) ?? []).map((p) => (p === '<command>' ? `a ${where.join(' ')} command` : p));
    const leaf = await leafCommand(where);
    const declarations = leaf === undefined ? null : declarationsOf(leaf);
    const args = declarations === null ? null : parsePlain(where, declarations, argv);
    if (args !== null) {
      try {
        await leaf!.handler(args as never);
      } catch (e) {
        // As yargs reports a handler's usage error (below).
        if (e instanceof UsageError) throw new UsageError(usageMessage(e.message, argv, positionals));
        throw e;
      }
      return process.exitCode === undefined ? 0 : Number(process.exitCode);
    }
    await (await import('./yargs-cli.js')).runWithYargs(argv, await commandsFor(where), positionals);
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

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
