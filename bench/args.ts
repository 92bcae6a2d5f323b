// Command-line options of the benchmarks: `--name value` pairs and `--flag`s,
// and where results go by default.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);

/**
 * Prints `usage` and exits when `--help` or `-h` is given, so a benchmark
 * never starts minutes of work by accident.
 */
export function exitOnHelp(usage: string): void {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    process.exit(0);
  }
}

/** The value after `--name`, if given. */
export function option(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Whether `--name` is present. */
export function flag(name: string): boolean {
  return args.includes(`--${name}`);
}

/** The repository's root (benchmarks run from dist/bench/). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
