// The chunks a distributed job keeps in its storage: the raw chunks the
// coordinator puts there before any worker starts, and the output chunks the
// workers leave there, read back in order at the end.

import { ExcameraError } from '../errors.js';
import { parseChunkFile } from '../files.js';
import { Schedule, type ScheduleShape } from '../schedule.js';
import { i420Size } from '../../vp8/index.js';
import { type JobSpec, outputChunkKey, rawChunkKey, type Storage } from './worker.js';

/**
 * Puts the raw chunks in storage, one at a time as they come (each is stored
 * before the next is asked for, so a source may reuse one buffer), checking
 * that there are as many as the job has and that each holds its frames.
 * Returns the number of chunks.
 */
export async function uploadRawChunks(rawChunks: AsyncIterable<Uint8Array>, storage: Storage, spec: Pick<JobSpec, 'width' | 'height'>, config: ScheduleShape): Promise<number> {
  const schedule = new Schedule(config);
  const chunks = schedule.chunks;
  const frameBytes = i420Size(spec.width, spec.height);
  let uploaded = 0;
  for await (const bytes of rawChunks) {
    const expected = uploaded < chunks ? frameBytes * schedule.framesOf(uploaded) : 0;
    if (uploaded >= chunks || bytes.length !== expected) {
      throw new ExcameraError('invalid-argument', uploaded >= chunks ? `more than the job's ${chunks} raw chunks were given` : `raw chunk ${uploaded} holds ${bytes.length} bytes, ${expected} were expected`, { chunk: uploaded });
    }
    await storage.put(rawChunkKey(uploaded++), bytes);
  }
  if (uploaded !== chunks) throw new ExcameraError('invalid-argument', `the job has ${chunks} chunks but ${uploaded} raw chunks were given`);
  return chunks;
}

/** The output's frames, in decoding order, read from storage one chunk at a time as they are consumed. */
export async function* outputFramesOf(storage: Storage, chunks: number): AsyncGenerator<Uint8Array> {
  for (let c = 0; c < chunks; c++) yield* parseChunkFile(await storage.get(outputChunkKey(c)), outputChunkKey(c)).chunk.frames;
}
