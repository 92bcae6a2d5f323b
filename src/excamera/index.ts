// The public API of the ExCamera layer (docs/excamera.md): chunks, the
// operations on them, state files, the in-process pipeline, the [n, x]
// schedule and the coordinator.

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
export {
  DEFAULT_MAX_MESSAGE_BYTES, decodeMessage, encodeMessage, type Message, MESSAGE_TYPES, MessageReader, type MessageType, PROTOCOL_VERSION, ProtocolError, type ProtocolErrorCode,
} from './protocol.js';
export { type ChunkOrigin, jobConfig, type JobOptions, originOf, Schedule, type ScheduleShape } from './schedule.js';
export { PHASE_ORDER, phaseOf, type PhaseStats, phaseSummary, workerSecondsByPhase } from './phases.js';
export { createCoordinator, type CoordinatorState, step, transitions } from './coordinator/coordinator.js';
export type { ChunkPhase, Command, Effect, Event, JobConfig, StateKind, Transition, WorkerStatus } from './coordinator/types.js';
export { ExcameraTsError, type ErrorLocation, describeLocation } from '../errors.js';
