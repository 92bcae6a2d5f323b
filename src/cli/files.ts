// The files a command reads and writes, checked before any work.
//
// Every command declares the role of each flag or argument that names a path
// (see `defineCommand` in command.ts), and these checks run before its
// handler, the same for every command:
//  - an input must exist and be a file: `excamera: no such file: PATH`;
//  - an output must not be one of the inputs — not the same name, nor the same
//    file reached through another path, a symbolic link or a hard link — and
//    no two outputs may be the same file;
//  - an output's directory must exist and be writable (excamera creates no
//    directories for files), and the output must not be a directory;
//  - a directory option (`--keep`, `--storage`) is created if missing, but
//    its parent must exist; if it exists it must be a writable directory.
// So a command never fails after its work for want of a place to write it,
// and never destroys its own input.

import { accessSync, constants, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { CliError } from './errors.js';

/**
 * What a path-valued flag or argument names:
 *  - 'input': a file read (it must exist);
 *  - 'input-if-file': read when it names an existing file, otherwise not a
 *    path (a built-in profile name);
 *  - 'output': a file written;
 *  - 'output-dir': a directory written into (created when missing);
 *  - 'input-dir': a directory read (it must exist);
 *  - 'not-a-path': a string that names no file (an encoder, a host, a list).
 * URLs (`s3://...`) are never paths.
 */
export type FileRole = 'input' | 'input-if-file' | 'input-dir' | 'output' | 'output-dir' | 'not-a-path';

/** Roles by flag or argument name, as declared (kebab-case). */
export type FileRoles = Readonly<Record<string, FileRole>>;

interface Named {
  /** How the user named it: `--raw` or `<chunk>`. */
  readonly flag: string;
  readonly path: string;
}

const isUrl = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The same file: one inode on one device (covers other paths, symbolic and hard links). */
const sameFile = (a: Stats, b: Stats): boolean => a.dev === b.dev && a.ino === b.ino;

/** Where a path that may not exist yet would be: its directory resolved through links, and its name. */
function canonical(path: string): string {
  const dir = dirname(resolve(path));
  let real = dir;
  try {
    real = realpathSync(dir);
  } catch {
    // A missing directory is reported by the directory check.
  }
  return `${real}/${basename(path)}`;
}

/**
 * Checks the paths of one command line (see the file comment). `values` maps
 * each declared name to what was given (undefined when absent; several
 * values for repeated flags); `derived` adds outputs a command computes from
 * others (e.g. a plot named after its CSV); `positionals` are the names that
 * are arguments rather than flags (for messages: `<chunk>`, not `--chunk`).
 */
export function checkFiles(roles: FileRoles, values: Readonly<Record<string, unknown>>, derived: readonly Named[] = [], positionals: ReadonlySet<string> = new Set()): void {
  const inputs: (Named & { stats: Stats })[] = [];
  const outputs: Named[] = [...derived];
  const dirs: Named[] = [];
  for (const [name, role] of Object.entries(roles)) {
    const raw = values[name];
    const given = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
    const flag = positionals.has(name) ? `<${name}>` : name.length === 1 ? `-${name}` : `--${name}`;
    for (const path of given) {
      if (role === 'not-a-path' || isUrl(path)) continue;
      const named = { flag, path };
      if (role === 'input-dir') {
        const stats = statOrNull(path);
        if (stats === null) throw new CliError(`no such directory: ${path}`);
        if (!stats.isDirectory()) throw new CliError(`${flag} ${path} is not a directory`);
      } else if (role === 'input' || role === 'input-if-file') {
        const stats = statOrNull(path);
        if (stats === null) {
          if (role === 'input') throw new CliError(`no such file: ${path}`);
          continue;
        }
        if (stats.isDirectory()) throw new CliError(`${path} is a directory, not a file`);
        inputs.push({ ...named, stats });
      } else if (role === 'output') outputs.push(named);
      else dirs.push(named);
    }
  }

  const claimed = new Map<string, Named>();
  for (const out of outputs) {
    if (out.path === '') throw new CliError(`${out.flag} names no file`);
    const dir = dirname(resolve(out.path));
    const dirStats = statOrNull(dir);
    if (dirStats === null) throw new CliError(`cannot write ${out.path}: there is no directory ${dirname(out.path)}`);
    if (!dirStats.isDirectory()) throw new CliError(`cannot write ${out.path}: ${dirname(out.path)} is not a directory`);
    if (!writable(dir)) throw new CliError(`cannot write ${out.path}: the directory ${dirname(out.path)} is not writable`);
    const stats = statOrNull(out.path);
    if (stats?.isDirectory()) throw new CliError(`cannot write ${out.path}: it is a directory`);
    if (stats !== null) {
      const input = inputs.find((i) => sameFile(i.stats, stats));
      if (input !== undefined) {
        const how = resolve(input.path) === resolve(out.path) ? '' : ` (the same file as ${input.path})`;
        throw new CliError(`refusing to write ${out.path}: it is the input ${input.flag}${how}; name another output`);
      }
    }
    const key = stats !== null ? `inode ${stats.dev}:${stats.ino}` : canonical(out.path);
    const earlier = claimed.get(key);
    if (earlier !== undefined) throw new CliError(`${earlier.flag} and ${out.flag} name the same file (${out.path}); name two different outputs`);
    claimed.set(key, out);
  }

  for (const d of dirs) {
    const stats = statOrNull(d.path);
    if (stats !== null) {
      if (!stats.isDirectory()) throw new CliError(`${d.flag} ${d.path} is not a directory`);
      if (!writable(d.path)) throw new CliError(`${d.flag} ${d.path} is not writable`);
      continue;
    }
    const parent = dirname(resolve(d.path));
    const parentStats = statOrNull(parent);
    if (parentStats === null || !parentStats.isDirectory()) throw new CliError(`cannot create ${d.flag} ${d.path}: there is no directory ${dirname(d.path)}`);
    if (!writable(parent)) throw new CliError(`cannot create ${d.flag} ${d.path}: the directory ${dirname(d.path)} is not writable`);
  }
}
