// parseFrameDecisions reads only a frame's header and macroblock headers
// (what rebase keeps of a frame): on every test vector it gives exactly the
// header and modes of a full parse, and it still refuses a frame whose
// macroblock headers are cut short.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFrame, parseFrameDecisions } from '../../src/vp8/frame.js';
import { createDecoderState, decodeFrame, Vp8Error } from '../../src/vp8/index.js';
import { ivfFrames, VECTOR_NAMES, VECTORS } from '../helpers/fixtures.js';

describe('parseFrameDecisions', () => {
  it('gives the header and modes of a full parse on every frame of every vector', () => {
    for (const name of VECTOR_NAMES) {
      let state = createDecoderState();
      ivfFrames(join(VECTORS, `${name}.ivf`)).forEach((bytes, i) => {
        if (bytes.length === 0) return;
        const full = parseFrame(state, bytes);
        const decisions = parseFrameDecisions(state, bytes);
        expect(decisions.header, `${name} frame ${i}`).toEqual(full.header);
        expect(decisions.modes, `${name} frame ${i}`).toEqual(full.modes);
        state = decodeFrame(state, bytes).state;
      });
    }
  });

  it('refuses a frame cut inside its macroblock headers, with a typed error', () => {
    const [key] = ivfFrames(join(VECTORS, `${VECTOR_NAMES[0]}.ivf`));
    const firstPartition = (key[0] | (key[1] << 8) | (key[2] << 16)) >> 5;
    const cut = key.subarray(0, 10 + Math.floor(firstPartition / 2));
    expect(() => parseFrameDecisions(createDecoderState(), cut)).toThrow(Vp8Error);
  });
});
