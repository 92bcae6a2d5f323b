// Whether external programs (vpxenc, vpxdec, ffmpeg, ffprobe) are installed.
//
// On a developer's machine a test that needs a missing program is skipped,
// and its name says which program it needs. In CI (.ci/run exports
// EXCAMERA_REQUIRE_TOOLS=1) nothing is skipped for a missing program: the
// test runs, and `requireTools` makes it fail with a message naming what is
// missing — so a CI run that lacks libvpx cannot be green. Use both:
//
//   describe.skipIf(skipWithout('vpxdec'))('... (needs vpxdec)', () => {
//     beforeEach(() => requireTools('vpxdec'));
//     ...
//   });

import { spawnSync } from 'node:child_process';

const cache = new Map<string, boolean>();

/** True when CI requires every reference tool (EXCAMERA_REQUIRE_TOOLS=1). */
export const TOOLS_REQUIRED = process.env.EXCAMERA_REQUIRE_TOOLS === '1';

export function haveTool(name: string): boolean {
  let found = cache.get(name);
  if (found === undefined) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    found = r.status === 0 && r.stdout.trim().length > 0;
    cache.set(name, found);
    if (!found) {
      process.stderr.write(TOOLS_REQUIRED
        ? `error: ${name} is not installed and EXCAMERA_REQUIRE_TOOLS=1: tests that need it fail\n`
        : `note: ${name} is not installed; tests that need it are skipped (.ci/run installs vpx-tools and ffmpeg)\n`);
    }
  }
  return found;
}

export function haveTools(...names: string[]): boolean {
  return names.map(haveTool).every(Boolean);
}

/**
 * Whether tests that need `names` should be skipped: when one is missing,
 * except under EXCAMERA_REQUIRE_TOOLS=1, where they run and fail instead.
 */
export function skipWithout(...names: string[]): boolean {
  return !haveTools(...names) && !TOOLS_REQUIRED;
}

/** Throws, failing the test, when one of `names` is missing. Call it in `beforeEach` (or first in a test). */
export function requireTools(...names: string[]): void {
  const missing = names.filter((n) => !haveTool(n));
  if (missing.length > 0) {
    throw new Error(`${missing.join(', ')} not installed, and this run requires it (EXCAMERA_REQUIRE_TOOLS=1); apt-get install -y vpx-tools ffmpeg`);
  }
}

/**
 * The system's Chromium (or Chrome), if any: browser tests drive it with
 * playwright-core, which downloads no browser. Null when none is installed
 * (its tests are then skipped, except under EXCAMERA_REQUIRE_TOOLS=1).
 */
export function findChromium(what: string): string | null {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  }
  if (!TOOLS_REQUIRED) process.stderr.write(`note: chromium is not installed; ${what} is skipped (apt-get install -y chromium)\n`);
  return null;
}
