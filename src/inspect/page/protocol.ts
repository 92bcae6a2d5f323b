// Messages between the inspector page and its worker.

import type { FrameSummary, InspectedFrame } from '../analyze.js';

export type ToWorker =
  | { readonly kind: 'open'; readonly name: string; readonly bytes: ArrayBuffer }
  | { readonly kind: 'frame'; readonly index: number; readonly request: number };

export interface StreamHeader {
  readonly kind: 'stream';
  readonly name: string;
  readonly fileBytes: number;
  readonly width: number;
  readonly height: number;
  readonly fourcc: string;
  readonly frames: number;
  /** Numerator and denominator of the time base (seconds per pts unit). */
  readonly timebase: readonly [number, number];
  /** Where the file was cut short, or null. */
  readonly truncatedAt: number | null;
}

export type FromWorker =
  | StreamHeader
  | { readonly kind: 'summaries'; readonly rows: readonly FrameSummary[] }
  | { readonly kind: 'summaries-done' }
  | { readonly kind: 'frame'; readonly request: number; readonly frame: InspectedFrame }
  | { readonly kind: 'error'; readonly message: string };
