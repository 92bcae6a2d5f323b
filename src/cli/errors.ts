// Errors of the command line (docs/architecture.md, "Errors"): reported as one
// line on stderr with an exit status, rather than as a stack trace.

import { ExcameraTsError } from '../errors.js';

export type CliErrorCode =
  /** A command line that cannot be run as given (exit status 2). */
  | 'usage'
  /** An input the command cannot use, or an output it may not write. */
  | 'bad-input';

export class CliError extends ExcameraTsError<CliErrorCode> {
  constructor(message: string, exitCode = 1, code: CliErrorCode = 'bad-input') {
    super(code, message, {}, { exitStatus: exitCode });
    this.name = 'CliError';
  }

  /** The exit status (the same as `exitStatus`). */
  get exitCode(): number {
    return this.exitStatus;
  }
}

/**
 * A command line that cannot be run as given — a missing or unknown flag, a
 * value out of range. Reported in one line with a pointer to --help, exit
 * status 2 (the convention of command-line tools for usage errors).
 */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2, 'usage');
    this.name = 'UsageError';
  }
}
