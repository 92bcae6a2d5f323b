// The public API of the container layer: IVF and WebM for compressed VP8,
// YUV4MPEG2 for raw video, detection by signature and atomic file writing.

export {
  ContainerError, DEFAULT_CONTAINER_LIMITS,
  type ContainerErrorCode, type ContainerFormat, type ContainerLimits, type LimitOptions, type ReadOptions,
} from './errors.js';
export { AtomicFileWriter, writeFileAtomic, temporaryPath } from './atomic.js';
export {
  parseIvf, openIvfFile, IvfFileReader, writeIvf, writeIvfHeader, IvfWriter, IVF_HEADER_BYTES, IVF_FRAME_HEADER_BYTES,
  type IvfHeader, type IvfHeaderInit, type IvfFrame, type IvfFrameInit, type IvfFile,
} from './ivf.js';
export {
  parseY4m, openY4mFile, Y4mFileReader, writeY4m, writeY4mHeader, writeY4mFrame, Y4mWriter, y4mFrameSize,
  type Y4mHeader, type Y4mHeaderInit, type Y4mFrame, type Y4mFrameInit, type Y4mFile, type Y4mColorSpace, type Rational,
} from './y4m.js';
export {
  readWebmVp8, writeWebmVp8,
  type WebmFrame, type WebmVp8Video, type WebmVideoInit, type WebmFrameInit,
} from './webm.js';
export { detectContainer, detectContainerFile, readVp8Frames, type Vp8Stream } from './detect.js';
export { ExcameraTsError, type ErrorLocation, describeLocation } from '../errors.js';
