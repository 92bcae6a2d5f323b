import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createDecoderState, decodeFrame, type DecoderState, imageToI420, stateEquals, stateHash, Vp8Error,
} from '../../src/vp8/index.js';
import { ivfFrames, md5, VECTORS } from '../helpers/fixtures.js';

function decodeAll(name: string): { states: DecoderState[]; shown: string[] } {
  const states: DecoderState[] = [createDecoderState()];
  const shown: string[] = [];
  for (const frame of ivfFrames(join(VECTORS, `${name}.ivf`))) {
    const r = decodeFrame(states[states.length - 1], frame);
    states.push(r.state);
    if (r.image) shown.push(md5(imageToI420(r.image)));
  }
  return { states, shown };
}

describe('decoder states are values', () => {
  it('a returned state is never changed by later decoding', () => {
    // Vector 010 refreshes golden and altref, copies between references and
    // uses segmentation: every kind of state change.
    const states: DecoderState[] = [createDecoderState()];
    const hashes: string[] = [stateHash(states[0])];
    for (const frame of ivfFrames(join(VECTORS, 'vp80-00-comprehensive-010.ivf'))) {
      const r = decodeFrame(states[states.length - 1], frame);
      states.push(r.state);
      hashes.push(stateHash(r.state));
    }
    // Decode the whole stream again from every tenth state, then re-hash all.
    for (let i = 0; i < states.length; i += 10) {
      let s = states[i];
      for (const frame of ivfFrames(join(VECTORS, 'vp80-00-comprehensive-010.ivf')).slice(i)) s = decodeFrame(s, frame).state;
    }
    expect(states.map(stateHash)).toEqual(hashes);
  });

  it('decoding from a kept state reproduces the same frames', () => {
    const name = 'vp80-00-comprehensive-007';
    const frames = ivfFrames(join(VECTORS, `${name}.ivf`));
    const { states, shown } = decodeAll(name);
    // Restart at frame 10 from the state reached after frame 9.
    let s = states[10];
    const again: string[] = [];
    for (const frame of frames.slice(10)) {
      const r = decodeFrame(s, frame);
      s = r.state;
      if (r.image) again.push(md5(imageToI420(r.image)));
    }
    expect(again).toEqual(shown.slice(10));
    expect(stateEquals(s, states[states.length - 1])).toBe(true);
    expect(stateHash(s)).toBe(stateHash(states[states.length - 1]));
  });

  it('shares references that a frame does not refresh', () => {
    const { states } = decodeAll('vp80-00-comprehensive-001');
    // After a key frame all three references are the same picture.
    expect(states[1].golden).toBe(states[1].last);
    expect(states[1].altref).toBe(states[1].last);
    // An inter frame refreshing only `last` keeps the other two objects.
    const after = states[2];
    expect(after.last).not.toBe(states[1].last);
    expect(after.golden).toBe(states[1].golden);
    expect(after.altref).toBe(states[1].altref);
  });

  it('tells different states apart', () => {
    const { states } = decodeAll('vp80-00-comprehensive-001');
    expect(stateEquals(states[3], states[4])).toBe(false);
    expect(stateHash(states[3])).not.toBe(stateHash(states[4]));
    expect(stateEquals(states[4], states[4])).toBe(true);
  });

  it('leaves the state untouched when a frame is refused', () => {
    const { states } = decodeAll('vp80-00-comprehensive-001');
    const before = stateHash(states[5]);
    const frame = ivfFrames(join(VECTORS, 'vp80-00-comprehensive-001.ivf'))[5];
    expect(() => decodeFrame(states[5], frame.subarray(0, frame.length >> 1))).toThrow(Vp8Error);
    expect(stateHash(states[5])).toBe(before);
  });

  it('returns the same state and no picture for an empty frame, as libvpx', () => {
    const { states } = decodeAll('vp80-00-comprehensive-001');
    const r = decodeFrame(states[4], new Uint8Array(0));
    expect(r.state).toBe(states[4]);
    expect(r.image).toBeNull();
    expect(r.header).toBeNull();
  });

  it('refuses an inter frame before any key frame', () => {
    const frames = ivfFrames(join(VECTORS, 'vp80-00-comprehensive-001.ivf'));
    let err: unknown;
    try {
      decodeFrame(createDecoderState(), frames[1], { frameIndex: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Vp8Error);
    expect((err as Vp8Error).code).toBe('no-keyframe');
    expect((err as Vp8Error).frameIndex).toBe(1);
  });
});
