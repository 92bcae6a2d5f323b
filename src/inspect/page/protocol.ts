// Messages between the inspector page and its worker.

import type { FrameSummary, InspectedFrame } from '../analyze.js';
import type { MacroblockSteps, WhatIf } from '../reconstruct.js';
import type { MacroblockTrace } from '../trace.js';

export type ToWorker =
  /** chunkStarts: for an ExCamera output, the first frame of each chunk (their summaries carry the state's tag). */
  | { readonly kind: 'open'; readonly name: string; readonly bytes: ArrayBuffer; readonly chunkStarts?: readonly number[] }
  | { readonly kind: 'frame'; readonly index: number; readonly request: number }
  | { readonly kind: 'trace'; readonly index: number; readonly mb: number; readonly request: number }
  /** Frame `index` rebuilt under `whatIf`, with the reconstruction steps of macroblock `mb`. */
  | { readonly kind: 'replay'; readonly index: number; readonly mb: number; readonly whatIf: WhatIf; readonly request: number };

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
  | { readonly kind: 'trace'; readonly request: number; readonly trace: MacroblockTrace }
  | { readonly kind: 'replay'; readonly request: number; readonly picture: Uint8Array; readonly steps: MacroblockSteps; readonly whatIf: WhatIf }
  | { readonly kind: 'error'; readonly message: string };
