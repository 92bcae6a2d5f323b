// Errors the command line reports as one line on stderr with an exit code,
// rather than as a stack trace.

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}
