// The decoder state a frame leaves (RFC 6386 sections 9.3-9.11, 13.4, 16.1,
// 17.2; the project's state contract, src/vp8/state.ts): its hash — the same
// SHA-256 as `stateHash` and the state files, so the page can name states as
// the ExCamera tools do — and what the frame changed in it, part by part.

import { type DecoderState, stateHashInput } from '../vp8/state.js';
import type { Image } from '../vp8/image.js';
import { Sha256 } from './sha256.js';

/** stateHash, computed without node:crypto (for the browser). */
export function portableStateHash(s: DecoderState): string {
  const h = new Sha256();
  stateHashInput(s, (chunk) => h.update(chunk));
  return h.hex();
}

/** The first 32 bits of a state hash as 8 hex digits: what a chunk file records of the state it expects. */
export function stateTagHex(hash: string): string {
  return hash.slice(0, 8);
}

/** One part of the state that a frame changed. */
export interface StateChange {
  readonly part: string;
  readonly detail: string;
  /** The RFC 6386 section that says how it persists. */
  readonly section: string;
}

export interface StateAfterFrame {
  readonly hash: string;
  readonly changes: readonly StateChange[];
}

const differing = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a === b) return 0;
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
};

/**
 * The hash of the state after a frame, and what the frame changed: the size,
 * each persistent probability table (how many entries), segmentation, the
 * loop-filter deltas, and which reference buffers now hold another picture
 * (`frameOf` names a picture by the frame that made it, or −1).
 */
export function describeStateAfter(before: DecoderState, after: DecoderState, frameOf: (img: Image | null) => number): StateAfterFrame {
  const changes: StateChange[] = [];
  const add = (part: string, detail: string, section: string): void => {
    changes.push({ part, detail, section });
  };
  if (before.width !== after.width || before.height !== after.height) add('size', `${before.width}x${before.height} → ${after.width}x${after.height}`, '9.1');
  const tables: [string, Uint8Array, Uint8Array, string][] = [
    ['coefficient probabilities', before.probs.coeff, after.probs.coeff, '13.4'],
    ['motion vector probabilities', before.probs.mv, after.probs.mv, '17.2'],
    ['luma mode probabilities', before.probs.yMode, after.probs.yMode, '16.2'],
    ['chroma mode probabilities', before.probs.uvMode, after.probs.uvMode, '16.2'],
  ];
  for (const [part, a, b, section] of tables) {
    const n = differing(a, b);
    if (n > 0) add(part, `${n} of ${b.length} entries changed`, section);
  }
  const f0 = before.segmentFeatures, f1 = after.segmentFeatures;
  if (f0.absolute !== f1.absolute || differing(f0.quantizer, f1.quantizer) > 0 || differing(f0.loopFilter, f1.loopFilter) > 0) {
    add('segment features', `${f1.absolute ? 'absolute' : 'delta'} values: quantizer [${Array.from(f1.quantizer).join(', ')}], loop filter [${Array.from(f1.loopFilter).join(', ')}]`, '9.3');
  }
  const mapChanges = differing(before.segmentMap, after.segmentMap);
  if (mapChanges > 0) add('segment map', `${mapChanges} of ${after.segmentMap.length} macroblocks changed segment`, '9.3');
  if (differing(before.refLfDeltas, after.refLfDeltas) > 0 || differing(before.modeLfDeltas, after.modeLfDeltas) > 0) {
    add('loop filter deltas', `reference [${Array.from(after.refLfDeltas).join(', ')}], mode [${Array.from(after.modeLfDeltas).join(', ')}]`, '9.4');
  }
  const names = (img: Image | null): string => (img === null ? 'nothing' : frameOf(img) >= 0 ? `frame ${frameOf(img)}` : 'a picture');
  for (const [part, a, b] of [['LAST', before.last, after.last], ['GOLDEN', before.golden, after.golden], ['ALTREF', before.altref, after.altref]] as const) {
    if (a !== b) add(part, `${names(a)} → ${names(b)}`, '9.7');
  }
  return { hash: portableStateHash(after), changes };
}
