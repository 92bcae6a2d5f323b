// Raw chunks: a chunk's input as one buffer of packed I420 frames, the form
// in which workers fetch it from storage (rawChunkKey).

/** Frames grouped n at a time (the last group may be shorter), each group joined into one buffer. */
export async function* joinFrames(frames: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, n: number): AsyncGenerator<Uint8Array> {
  let group: Uint8Array[] = [];
  const join = (): Uint8Array => {
    const bytes = new Uint8Array(group.reduce((a, f) => a + f.length, 0));
    let at = 0;
    for (const f of group) {
      bytes.set(f, at);
      at += f.length;
    }
    group = [];
    return bytes;
  };
  for await (const f of frames) {
    group.push(f);
    if (group.length === n) yield join();
  }
  if (group.length > 0) yield join();
}
