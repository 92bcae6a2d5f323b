// `excamera lambda package`: the deployable zip of the worker's Lambda
// handler — the compiled project (dist/), package.json and the production
// dependencies (node_modules, without the development ones) — for the
// Node.js 22 Lambda runtime (LAMBDA_RUNTIME), handler
// `dist/src/excamera/runtime/lambda-handler.handler`. The code needs Node.js
// 20.19 or later (package.json "engines") and nothing newer, and uses no API
// that Node.js 22 removed; nodejs20.x is deprecated by Lambda, nodejs22.x is
// supported until 2027.
//
// The zip is written here (stored or deflated entries, CRC-32, a central
// directory: the parts of the format every unzip reads), so that packaging
// needs no zip tool on the machine.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

/** The Lambda runtime to deploy the package on. */
export const LAMBDA_RUNTIME = 'nodejs22.x';

interface Entry {
  readonly name: string;
  readonly data: Uint8Array;
  readonly mode: number;
}

/** A zip archive of `entries` (deflated where that pays). */
export function zip(entries: readonly Entry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  // 1980-01-01 00:00: a fixed time, so that a package's bytes depend only on its files.
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const deflated = deflateRawSync(e.data, { level: 9 });
    const stored = deflated.length >= e.data.length;
    const body = stored ? e.data : deflated;
    const crc = crc32(e.data);
    if (e.data.length > 0xffffffff || offset > 0xffffffff) throw new RangeError('a package over 4 GiB needs ZIP64, which this writer does not do');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode below counts
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt16LE(stored ? 0 : 8, 10);
    header.writeUInt16LE(dosTime, 12);
    header.writeUInt16LE(dosDate, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(body.length, 20);
    header.writeUInt32LE(e.data.length, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(((0o100000 | e.mode) << 16) >>> 0, 38);
    header.writeUInt32LE(offset, 42);
    parts.push(local, name, body);
    central.push(header, name);
    offset += local.length + name.length + body.length;
  }
  const centralSize = central.reduce((a, b) => a + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
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
