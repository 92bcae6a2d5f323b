// Errors the command line reports as one line on stderr with an exit code,
// rather than as a stack trace.

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * A command line that cannot be run as given — a missing or unknown flag, a
 * value out of range. Reported in one line with a pointer to --help, exit
 * status 2 (the convention of command-line tools for usage errors).
 */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
