// Paths of the test fixtures and small helpers shared by tests.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIvf } from '../../src/container/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, 'fixtures');
export const VECTORS = join(FIXTURES, 'vectors');
export const CLIPS = join(FIXTURES, 'clips');

export const VECTOR_NAMES: readonly string[] = Array.from({ length: 18 }, (_, i) => `vp80-00-comprehensive-${String(i + 1).padStart(3, '0')}`);

/** The compressed frames of an IVF fixture. */
export function ivfFrames(path: string): Uint8Array[] {
  return parseIvf(new Uint8Array(readFileSync(path))).frames.map((f) => f.data);
}

export function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}
