// The public API of the ExCamera layer (DESIGN.md section 5): chunks, the
// operations on them, state files, and the in-process pipeline.

export {
  type Chunk, type ChunkCodingOptions, type DecodedChunk, DEFAULT_KEY_QUANTIZER_WEIGHT,
  checkExpectedState, decodeChunk, encodeGivenState, rebaseChunk, refreshAllAtEnd, shownFrames, tagOf,
} from './chunk.js';
export { CHUNK_ENCODERS, type ChunkEncoderName, type ChunkEncoderOptions, encodeChunk } from './chunk-encoder.js';
export { ExcameraError, type ExcameraErrorCode, type ExcameraErrorDetails } from './errors.js';
export {
  type ChunkFile, chunkToIvf, parseChunkFile, readChunkFile, readStateFile, writeChunkFile, writeStateFile, writeStream,
} from './files.js';
export {
  type ChunkReport, type ChunkStages, type ExcameraConfig, type ExcameraResult, type Phase, PHASES, type ProgressCallback, type RunOptions, runInProcess,
} from './pipeline.js';
export {
  deserializeState, readStateFileHeader, serializeState, STATE_FILE_VERSION, type StateFileHeader, type StateFileOptions, stateTag,
} from './state-file.js';
export { type ChunkQuality, encodeWithVpxenc, vpxencAvailable, vpxencArguments } from './vpxenc.js';
