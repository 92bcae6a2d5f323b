// Putting a distributed job's raw chunks in storage (job-chunks.ts): one at a
// time, each before the next is asked for, and refused when there are too
// many, too few, or one does not hold its frames.

import { describe, expect, it } from 'vitest';
import { uploadRawChunks } from '../../src/excamera/runtime/job-chunks.js';
import { rawChunkKey, type Storage } from '../../src/excamera/runtime/worker.js';
import { i420Size } from '../../src/vp8/index.js';

const spec = { width: 16, height: 8 };
const FRAME = i420Size(16, 8);
/** 5 frames in chunks of 2: two full chunks and a last one of 1 frame. */
const config = { frames: 5, framesPerChunk: 2, chunksPerBatch: 2 };

function memory(): Storage & { readonly kept: Map<string, Uint8Array> } {
  const kept = new Map<string, Uint8Array>();
  return {
    kept,
    get: (key) => Promise.resolve(kept.get(key)!),
    put: (key, bytes) => {
      kept.set(key, bytes.slice());
      return Promise.resolve();
    },
  };
}

async function* chunks(...frames: number[]): AsyncGenerator<Uint8Array> {
  let n = 0;
  for (const f of frames) yield new Uint8Array(f * FRAME).fill(n++);
}

describe('uploadRawChunks', () => {
  it('stores each chunk under its key and counts them', async () => {
    const storage = memory();
    expect(await uploadRawChunks(chunks(2, 2, 1), storage, spec, config)).toBe(3);
    expect([...storage.kept.keys()]).toEqual([0, 1, 2].map(rawChunkKey));
    expect(storage.kept.get(rawChunkKey(2))).toEqual(new Uint8Array(FRAME).fill(2));
  });

  it('stores a chunk before asking for the next, so a source may reuse one buffer', async () => {
    const storage = memory();
    const buffer = new Uint8Array(2 * FRAME);
    async function* reused(): AsyncGenerator<Uint8Array> {
      for (let c = 0; c < 3; c++) {
        buffer.fill(c + 10);
        yield c < 2 ? buffer : buffer.subarray(0, FRAME);
      }
    }
    await uploadRawChunks(reused(), storage, spec, config);
    expect([0, 1, 2].map((c) => storage.kept.get(rawChunkKey(c))![0])).toEqual([10, 11, 12]);
  });

  it('refuses too many chunks, too few, and a chunk of the wrong size', async () => {
    await expect(uploadRawChunks(chunks(2, 2, 1, 1), memory(), spec, config)).rejects.toThrow(/more than the job's 3 raw chunks were given/);
    await expect(uploadRawChunks(chunks(2, 2), memory(), spec, config)).rejects.toThrow(/the job has 3 chunks but 2 raw chunks were given/);
    await expect(uploadRawChunks(chunks(2, 1, 1), memory(), spec, config)).rejects.toThrow(new RegExp(`raw chunk 1 holds ${FRAME} bytes, ${2 * FRAME} were expected`));
  });
});
