// Vitest global setup: before any test runs, dist/ is built from the current
// sources, so that tests which run the built code (the CLI, worker processes,
// the Lambda package) never run a stale dist/. If the build fails, the run
// fails with tsc's errors.
//
// The build is incremental (tsc --incremental, its record kept in
// node_modules/.cache), so when nothing changed it takes a second or two.
// tsc trusts that record, so when an output is missing or older than its
// source — dist/ deleted, or written by another build from other sources —
// the record is dropped and everything is emitted again.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'excamera-ts');
const BUILD_INFO = join(CACHE, 'tsconfig.tsbuildinfo');
const LOCK = join(CACHE, 'build.lock');
/** The folders tsconfig.json compiles. */
const SOURCES = ['src', 'bench'];

/** TypeScript sources under `dir` (declaration files excluded). */
function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The inspector page's sources: bundled by esbuild (scripts/bundle-inspector.mjs), not compiled by tsc. */
const PAGE_SOURCES = join(ROOT, 'src', 'inspect', 'page');

/** Sources whose compiled file is missing or older than the source. */
export function staleOutputs(): string[] {
  return SOURCES.flatMap((d) => sources(join(ROOT, d))).filter((src) => !src.startsWith(PAGE_SOURCES)).filter((src) => {
    const out = join(ROOT, 'dist', relative(ROOT, src)).replace(/\.ts$/, '.js');
    return !existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs;
  });
}

/** Runs `fn` holding a lock directory, so that parallel test runs do not build at once. */
function withLock(fn: () => void): void {
  mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock older than two minutes belongs to a build that died.
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another build held ${LOCK} for 5 minutes`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    fn();
  } finally {
    rmdirSync(LOCK);
  }
}

/** The inspector's page and worker bundles (esbuild takes a fraction of a second, so they are always made afresh). */
function bundleInspector(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle-inspector.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the inspector's page did not bundle (node scripts/bundle-inspector.mjs):\n${r.stdout}${r.stderr}${r.error?.message ?? ''}`);
}

function tsc(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', BUILD_INFO], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`the build failed, so the tests would run a stale dist/ (tsc -p tsconfig.json):\n${r.stdout}${r.stderr}${r.error?.message ?? ''}`);
  }
}

export default function setup(): void {
  withLock(() => {
    // Twice at most: a source saved while tsc runs leaves its output stale once.
    for (let attempt = 1; ; attempt++) {
      if (staleOutputs().length > 0) rmSync(BUILD_INFO, { force: true });
      tsc();
      const stale = staleOutputs();
      if (stale.length === 0) break;
      if (attempt === 2) throw new Error(`dist/ is older than these sources after building: ${stale.map((s) => relative(ROOT, s)).join(', ')}`);
    }
    bundleInspector();
    chmodSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'), 0o755); // as npm run build does
  });
}
