// `excamera lambda package`: the deployable zip of the worker's Lambda
// handler — the compiled project (dist/), package.json and the production
// dependencies (node_modules, without the development ones) — for the
// Node.js 22 Lambda runtime (LAMBDA_RUNTIME), handler
// `dist/src/excamera/runtime/lambda-handler.handler`. The code needs Node.js
// 20.19 or later (package.json "engines") and nothing newer, and uses no API
// that Node.js 22 removed; nodejs20.x is deprecated by Lambda, nodejs22.x is
// supported until 2027.
//
// The zip is written by fflate (deflated entries, CRC-32, a central
// directory; no zip tool needed on the machine), loaded only by this command.
// Entries keep their Unix permissions (an executable stays executable) and
// carry a fixed time, so that a package's bytes depend only on its files.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import type * as Fflate from 'fflate';

/** The Lambda runtime to deploy the package on. */
export const LAMBDA_RUNTIME = 'nodejs22.x';

interface Entry {
  readonly name: string;
  readonly data: Uint8Array;
  readonly mode: number;
}

/** "Made by" Unix in the central directory, so that unzip applies the external attributes' mode. */
const UNIX = 3;
/** The file-type bits of a regular file, above the permissions in a Unix mode. */
const REGULAR_FILE = 0o100000;

/** A zip archive of `entries`, deflated at the highest level. */
export function zip(entries: readonly Entry[]): Uint8Array {
  const total = entries.reduce((a, e) => a + e.data.length, 0);
  if (total > 0xffffffff) throw new RangeError('a package over 4 GiB needs ZIP64, which the zip writer does not do');
  // Loaded here, synchronously: every other command loads this file too, and needs no zip writer.
  const { zipSync } = createRequire(import.meta.url)('fflate') as typeof Fflate;
  // 1980-01-01 00:00 local time, which the writer stores as DOS time 0 whatever the time zone.
  const mtime = new Date(1980, 0, 1);
  const files: Fflate.Zippable = {};
  for (const e of entries) files[e.name] = [e.data, { level: 9, os: UNIX, attrs: ((REGULAR_FILE | e.mode) << 16) >>> 0, mtime }];
  return zipSync(files);
}

function filesUnder(root: string, dir: string, out: Entry[]): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) filesUnder(root, path, out);
    else if (st.isFile()) out.push({ name: relative(root, path).split(sep).join('/'), data: readFileSync(path), mode: st.mode & 0o777 });
  }
}

/** The package of the project at `root` (built, with its dependencies installed). */
export function lambdaPackage(root: string): { zip: Uint8Array; files: number; bytes: number } {
  const entries: Entry[] = [];
  filesUnder(root, join(root, 'dist', 'src'), entries);
  entries.push({ name: 'package.json', data: readFileSync(join(root, 'package.json')), mode: 0o644 });
  // The production dependencies, as npm resolves them.
  const listed = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(join(root, 'node_modules') + sep));
  for (const dir of [...new Set(listed)].sort()) {
    // Nested packages appear on their own; skip their copy inside the parent.
    const before = entries.length;
    filesUnder(root, dir, entries);
    const nested = entries.splice(before).filter((e) => !e.name.slice(relative(root, dir).length + 1).includes('node_modules/'));
    entries.push(...nested);
  }
  const bytes = entries.reduce((a, e) => a + e.data.length, 0);
  return { zip: zip(entries), files: entries.length, bytes };
}
