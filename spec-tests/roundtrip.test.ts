// The syntax layer: every frame of every test vector parses into a Frame
// value and serializes back to the same bytes (docs/architecture.md, "The state contract").

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ivfFrames, VECTOR_NAMES, VECTORS } from '../test/helpers/fixtures.js';
import { roundTripMismatches } from '../test/helpers/roundtrip.js';

describe('parse → serialize reproduces the input byte for byte', () => {
  for (const name of VECTOR_NAMES) {
    it(name, () => {
      const frames = ivfFrames(join(VECTORS, `${name}.ivf`));
      expect(roundTripMismatches(frames)).toEqual([]);
    });
  }
});
