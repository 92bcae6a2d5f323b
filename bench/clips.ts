// The real clips the benchmarks encode (fixtures/clips), by short name.

import { join } from 'node:path';
import { ROOT } from './args.js';

export const CLIPS: Readonly<Record<string, string>> = {
  foreman: 'foreman_cif_352x288_60f.y4m',
  flower: 'flower_720p_1280x720_12f.y4m',
  carphone: 'carphone_qcif_176x144_120f.y4m',
};

/** The path of a clip by its short name; throws for an unknown name. */
export function clipPath(name: string): string {
  const file = CLIPS[name];
  if (file === undefined) throw new Error(`unknown clip ${name} (known: ${Object.keys(CLIPS).join(', ')})`);
  return join(ROOT, 'fixtures', 'clips', file);
}
