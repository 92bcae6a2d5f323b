// The inspector's Web Worker: it holds the stream and decodes it with the
// project's decoder (analyze.ts), so the page stays responsive on long or
// large streams. One pass sends every frame's summary row; a frame asked for
// then comes back in full (picture, macroblock headers, coefficients).

import { parseIvf } from '../../container/ivf.js';
import { StreamInspector } from '../analyze.js';
import type { FromWorker, ToWorker } from './protocol.js';

const port = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
let inspector: StreamInspector | null = null;

/** Summary rows go out in batches, so that a long stream's table fills while it decodes. */
const BATCH = 24;

port.onmessage = (e) => {
  const m = e.data;
  try {
    if (m.kind === 'open') {
      const file = parseIvf(new Uint8Array(m.bytes), { allowTruncated: true });
      const frames = file.frames.map((f) => f.data);
      inspector = new StreamInspector(frames);
      const h = file.header;
      port.postMessage({ kind: 'stream', name: m.name, fileBytes: m.bytes.byteLength, width: h.width, height: h.height, fourcc: h.fourcc, frames: frames.length, timebase: [h.timebaseNumerator, h.timebaseDenominator], truncatedAt: file.truncatedAt });
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
    }
  } catch (err) {
    port.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
