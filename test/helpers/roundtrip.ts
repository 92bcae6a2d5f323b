// Parse → serialize of whole streams, shared by the round-trip tests.

import { parseFrame, serializeFrame } from '../../src/vp8/frame.js';
import { createDecoderState, decodeFrame } from '../../src/vp8/index.js';

/** Parses and re-serializes every frame of a stream; returns the indices of frames whose bytes differ. */
export function roundTripMismatches(frames: readonly Uint8Array[]): number[] {
  let state = createDecoderState();
  const bad: number[] = [];
  frames.forEach((bytes, i) => {
    if (bytes.length === 0) return;
    const out = serializeFrame(state, parseFrame(state, bytes));
    if (out.length !== bytes.length || out.some((b, k) => b !== bytes[k])) bad.push(i);
    state = decodeFrame(state, bytes).state;
  });
  return bad;
}
