// The public API of the VP8 codec (docs/architecture.md, "The state contract"): an RFC 6386 decoder in
// explicit state-passing style, and the pieces a user of it needs.

export { decodeFrame, DecoderWorkspace, type DecodeOptions, type DecodeResult } from './decoder.js';
export {
  createDecoderState, stateEquals, stateHash,
  type DecoderState, type EntropyProbs, type SegmentFeatures,
} from './state.js';
export { Vp8Error, DEFAULT_LIMITS, type Vp8ErrorCode, type DecoderLimits } from './errors.js';
export {
  type Image, type Plane, allocateImage, imageToI420, imageFromI420, imagesEqual,
} from './image.js';
export { chromaSize, i420Layout, i420Size, type I420Layout } from './i420.js';
export {
  type FrameHeader, type FrameTag, type CodedDelta, deltaValue, readFrameHeader, readFrameTag, writeFrameHeader,
} from './header.js';
export { frameInfo, describeHeader, type FrameInfo } from './info.js';
export {
  encodeFrame, rebaseFrame, EncoderWorkspace, DEFAULT_SPEED, MAX_SPEED,
  type EncodeOptions, type EncodeResult, type FrameStats, type KeptFrame, type RebaseOptions,
} from './encoder/encoder.js';
export {
  Vp8Encoder, QUANTIZER_TO_QINDEX, DEFAULT_CQ_LEVEL, type EncoderConfig, type EncodedFrame, type RateControl,
} from './encoder/sequence.js';
export { type Frame, parseFrame, serializeFrame } from './frame.js';
export { ExcameraTsError, type ErrorLocation, describeLocation } from '../errors.js';
