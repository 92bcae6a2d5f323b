// Each VP8 rule that both the decoder and the encoder apply is written once,
// in the module of its RFC section, so that the two sides cannot drift apart:
// the token contexts and block types (section 13.3) in tokens.ts, the implied
// subblock modes (section 11.3) in modes.ts, the SPLITMV chroma vectors
// (section 18) in inter.ts. These scans of src/vp8 catch a rule written again
// under its own name, or coded around its module.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures.js';

const VP8 = join(ROOT, 'src', 'vp8');

/** Every TypeScript file under src/vp8, as [path relative to src/vp8, text]. */
function sources(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push([relative(VP8, p), readFileSync(p, 'utf8')]);
    }
  };
  walk(VP8);
  return out;
}

describe('the VP8 rules shared by decoder and encoder', () => {
  const files = sources();

  it.each([
    ['blockTypeOffset', 'tokens.ts'],
    ['firstCoefficient', 'tokens.ts'],
    ['hasY2Block', 'tokens.ts'],
    ['impliedBMode', 'modes.ts'],
    ['splitChromaMvs', 'inter.ts'],
    ['chromaAverage', 'inter.ts'],
  ])('%s is defined once, in %s', (name, home) => {
    const definedIn = files.filter(([, text]) => new RegExp(`function ${name}\\b`).test(text)).map(([path]) => path);
    expect(definedIn).toEqual([home]);
  });

  it('only tokens.ts lays out the coefficient probabilities by block type', () => {
    const users = files.filter(([, text]) => text.includes('TYPE_STRIDE')).map(([path]) => path);
    expect(users).toEqual(['tokens.ts']);
  });
});
