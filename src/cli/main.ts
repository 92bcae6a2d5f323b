#!/usr/bin/env node
// The `excamera` command: one subcommand per file, each a thin layer over the
// library. Every command has --help.

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { compareCommand } from './compare.js';
import { decodeCommand } from './decode.js';
import { encodeCommand } from './encode.js';
import { infoCommand } from './info.js';
import { xcCommand } from './xc.js';
import { simulateCommand } from './simulate.js';
import { calibrateCommand } from './calibrate.js';
import { lambdaCommand } from './lambda.js';
import { stateCommand } from './state.js';
import { encodeGivenStateCommand, rebaseCommand } from './chunk-tools.js';
import { ExcameraError } from '../excamera/errors.js';
import { ContainerError } from '../container/index.js';
import { Vp8Error } from '../vp8/index.js';
import { CliError } from './errors.js';
import { SimError } from '../sim/errors.js';

async function main(argv: string[]): Promise<number> {
  try {
    await yargs(argv)
      .scriptName('excamera')
      .usage('$0 <command> [options]\n\nBurst-parallel VP8 encoding (ExCamera) and a bit-exact VP8 decoder.')
      .command(xcCommand)
      .command(simulateCommand)
      .command(calibrateCommand)
      .command(lambdaCommand)
      .command(encodeGivenStateCommand)
      .command(rebaseCommand)
      .command(stateCommand)
      .command(encodeCommand)
      .command(decodeCommand)
      .command(compareCommand)
      .command(infoCommand)
      .demandCommand(1, 'Name a command; see --help.')
      .strict()
      .help()
      .alias('h', 'help')
      .version()
      .wrap(Math.min(110, process.stdout.columns ?? 100))
      .fail((msg, err, y) => {
        if (err) throw err;
        process.stderr.write(`${y.help()}\n\n${msg}\n`);
        process.exit(2);
      })
      .parseAsync();
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    // Bad input and bad paths are reported in one line; anything else is a bug
    // and keeps its stack trace.
    if (e instanceof CliError || e instanceof ContainerError || e instanceof Vp8Error || e instanceof ExcameraError || e instanceof SimError) {
      process.stderr.write(`excamera: ${e.message}\n`);
      return e instanceof CliError ? e.exitCode : 1;
    }
    const code = (e as NodeJS.ErrnoException | null)?.code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      process.stderr.write(`excamera: ${(e as Error).message}\n`);
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
