// Whether external programs (vpxenc, vpxdec, ffmpeg) are installed. Tests that
// need them are skipped with a reason in their name when they are not.

import { spawnSync } from 'node:child_process';

const cache = new Map<string, boolean>();

export function haveTool(name: string): boolean {
  let found = cache.get(name);
  if (found === undefined) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    found = r.status === 0 && r.stdout.trim().length > 0;
    cache.set(name, found);
    if (!found) process.stderr.write(`note: ${name} is not installed; tests that need it are skipped (.ci/run installs vpx-tools and ffmpeg)\n`);
  }
  return found;
}

export function haveTools(...names: string[]): boolean {
  return names.map(haveTool).every(Boolean);
}
