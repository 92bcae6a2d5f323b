// The inspector's Web Worker: it holds the stream and decodes it with the
// project's decoder (analyze.ts), so the page stays responsive on long or
// large streams. One pass sends every frame's summary row; a frame asked for
// then comes back in full (picture, macroblock headers, coefficients).

import { StreamInspector } from '../analyze.js';
import { replayFrame } from '../reconstruct.js';
import { traceMacroblock } from '../trace.js';
import { openContainer } from './demux.js';
import type { FromWorker, ToWorker } from './protocol.js';

const port = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
let inspector: StreamInspector | null = null;

/** Summary rows go out in batches, so that a long stream's table fills while it decodes. */
const BATCH = 24;

// async: reading a WebM file is (mediabunny's demuxer is asynchronous).
port.onmessage = async (e) => {
  const m = e.data;
  try {
    if (m.kind === 'open') {
      const file = await openContainer(new Uint8Array(m.bytes), m.name); // IVF or WebM
      const frames = file.frames;
      inspector = new StreamInspector(frames, undefined, new Set(m.chunkStarts ?? []));
      const h = file.header;
      port.postMessage({ kind: 'stream', name: m.name, fileBytes: m.bytes.byteLength, width: h.width, height: h.height, fourcc: h.fourcc, frames: frames.length, timebase: h.timebase, truncatedAt: file.truncatedAt });
      let batch = [];
      for (const row of inspector.summaries()) {
        batch.push(row);
        if (batch.length === BATCH) {
          port.postMessage({ kind: 'summaries', rows: batch });
          batch = [];
        }
      }
      port.postMessage({ kind: 'summaries', rows: batch });
      port.postMessage({ kind: 'summaries-done' });
    } else if (m.kind === 'frame') {
      if (inspector === null) throw new Error('no stream is open');
      const f = inspector.frame(m.index);
      const transfer: Transferable[] = [];
      if (f.picture !== null) transfer.push(f.picture.buffer as ArrayBuffer);
      port.postMessage({ kind: 'frame', request: m.request, frame: f }, transfer);
    } else if (m.kind === 'trace') {
      if (inspector === null) throw new Error('no stream is open');
      port.postMessage({ kind: 'trace', request: m.request, trace: traceMacroblock(inspector.stateBefore(m.index), inspector.bytes(m.index), m.mb) });
    } else if (m.kind === 'replay') {
      if (inspector === null) throw new Error('no stream is open');
      const r = replayFrame(inspector.stateBefore(m.index), inspector.bytes(m.index), m.whatIf, [m.mb]);
      port.postMessage({ kind: 'replay', request: m.request, picture: r.picture, steps: r.steps[0]!, whatIf: m.whatIf }, [r.picture.buffer as ArrayBuffer]);
    }
  } catch (err) {
    port.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
