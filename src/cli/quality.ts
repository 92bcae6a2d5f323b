// The coding flags the encoding commands share — quality level and speed —
// with one default and one range each, stated in every --help that has them.

import type { ChunkQuality } from '../excamera/vpxenc.js';
import { DEFAULT_SPEED, MAX_SPEED } from '../vp8/encoder/encoder.js';
import { DEFAULT_CQ_LEVEL } from '../vp8/encoder/sequence.js';
import { UsageError } from './errors.js';
import { integerOption } from './options.js';

export const quantizerOption = integerOption('quantizer', { min: 0, max: 63, describe: 'Constant quantizer, 0..63 (as vpxenc --min-q=Q --max-q=Q)' });
export const cqLevelOption = integerOption('cq-level', { min: 0, max: 63, describe: `Constrained quality level, 0..63 (the default, at ${DEFAULT_CQ_LEVEL})` });
export const speedOption = integerOption('speed', { min: 0, max: MAX_SPEED, default: DEFAULT_SPEED, describe:
    `Built-in encoder effort, 0 (best compression) .. ${MAX_SPEED} (fastest): 0 codes every candidate in full; 1 as 0 without 4x4 ` +
    'split vectors; 2 screens candidates by SATD and codes the best two; 3 as 2, searching vectors in the last frame only; ' +
    '4 decides by the SATD of the prediction error, coding only the winner; 5 as 4 with short searches, fewer intra trials',
});

/** The chunk quality the flags ask for: --quantizer, or --cq-level (default DEFAULT_CQ_LEVEL). */
export function chunkQualityFrom(quantizer: number | undefined, cqLevel: number | undefined): ChunkQuality {
  if (quantizer !== undefined && cqLevel !== undefined) throw new UsageError('--quantizer and --cq-level cannot be combined');
  return quantizer !== undefined ? { mode: 'quantizer', quantizer } : { mode: 'cq', cqLevel: cqLevel ?? DEFAULT_CQ_LEVEL };
}
