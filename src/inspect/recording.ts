// Recording what the decoder reads (RFC 6386 sections 7 and 19): a bool
// decoder that keeps every bool it reads with its probability and cost, and a
// syntax reader that groups them into the syntax elements the syntax names
// (SyntaxCoder.element). The macroblock trace (trace.ts) and the frame header
// trace (header-trace.ts) run the decoder's own syntax through these.

import { BoolDecoder } from '../vp8/bool-decoder.js';
import { SyntaxReader } from '../vp8/syntax-coder.js';

/** One bool as the decoder read it. */
export interface TracedBool {
  /** Probability of a 0, in 256ths. */
  readonly prob: number;
  readonly bit: number;
  /** Its information content, −log2 of the probability of the value read: what an ideal coder spends. */
  readonly cost: number;
  /** Bits the decoder shifted out reading it (section 7.3): whole bits, spent as the range renormalises. */
  readonly shifted: number;
}

/** A syntax element: the bools of one field of sections 19.2-19.3, or one coefficient token. */
export interface TracedElement {
  /** Annex A's name (`mv_mode`, `intra_b_mode`, `loop_filter_level`, …) or `token`. */
  readonly name: string;
  /** The RFC 6386 section that explains it. */
  readonly section: string;
  /** 0 for the first partition, 1.. for the token partitions. */
  readonly partition: number;
  /** What it decoded to, in words. */
  readonly value: string;
  /** Which context picked its probabilities, in words (empty when fixed). */
  readonly context: string;
  readonly bools: readonly TracedBool[];
  /** A frame header field coded in a loop: its index (segment, reference, probability…). */
  readonly index?: number;
  /** Tokens only: the block (0-24), the zigzag position, and the level coded there (0 for ZERO; null for EOB). */
  readonly token?: { readonly block: number; readonly position: number; readonly level: number | null };
}

/** A bool decoder that records the bools it reads while `recording` is set. */
export class RecordingBoolDecoder extends BoolDecoder {
  recording: TracedBool[] | null = null;

  override readBool(prob: number): number {
    if (this.recording === null) return super.readBool(prob);
    const before = this.bitsConsumed();
    const bit = super.readBool(prob);
    const p = bit ? 256 - prob : prob;
    this.recording.push({ prob, bit, cost: -Math.log2(p / 256), shifted: this.bitsConsumed() - before });
    return bit;
  }
}

/** A syntax reader that starts a new element of the trace at each name, while `elements` is set. */
export class TracingReader extends SyntaxReader {
  elements: { name: string; index?: number; bools: TracedBool[] }[] | null = null;

  constructor(readonly recorder: RecordingBoolDecoder) {
    super(recorder);
  }

  element(name: string, index?: number): void {
    if (this.elements === null) return;
    const e = index === undefined ? { name, bools: [] } : { name, index, bools: [] };
    this.elements.push(e);
    this.recorder.recording = e.bools;
  }
}
