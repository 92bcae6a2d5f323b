// Conformance: every frame of the 18 vp80-00-comprehensive test vectors must
// decode to the md5 that libvpx's vpxdec prints (the vectors' .md5 files).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeIvfToMd5Lines } from '../src/cli/decode.js';
import { FIXTURES, VECTOR_NAMES, VECTORS } from '../test/helpers/fixtures.js';

describe('vp80-00-comprehensive test vectors', () => {
  for (const name of VECTOR_NAMES) {
    it(`${name}: every shown frame matches libvpx's md5`, async () => {
      const expected = readFileSync(join(VECTORS, `${name}.ivf.md5`), 'utf8').trim().split('\n');
      const lines = await decodeIvfToMd5Lines(join(VECTORS, `${name}.ivf`));
      expect(lines.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(lines[i], `frame line ${i + 1}`).toBe(expected[i]);
    });
  }
});

// A long real stream: 300 frames of hand-held 720p footage at 2 Mbit/s, the
// decoder benchmark's input. Long enough that a defect in what one frame
// leaves to the next (probabilities, references, golden/altref refreshes)
// shows up, which the short vectors may not reach.
describe('a 300-frame 720p camera stream', () => {
  it('flower_720p_300f_2mbps: every shown frame matches libvpx\'s md5', async () => {
    const file = join(FIXTURES, 'streams', 'flower_720p_300f_2mbps.ivf');
    const expected = readFileSync(`${file}.md5`, 'utf8').trim().split('\n');
    const lines = await decodeIvfToMd5Lines(file);
    expect(lines.length).toBe(300);
    for (let i = 0; i < expected.length; i++) expect(lines[i], `frame line ${i + 1}`).toBe(expected[i]);
  }, 120_000);
});
