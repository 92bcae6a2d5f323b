// Errors of the ExCamera layer (docs/architecture.md, "Errors").
//
// Codec errors stay Vp8Errors and container errors ContainerErrors; what this
// layer adds — state files, chunks and the pipeline's own checks — ends in an
// ExcameraError whose `code` a script can switch on and whose message says
// what was wrong and where (which file, which chunk, which frame).

import { ExcameraTsError } from '../errors.js';

export type ExcameraErrorCode =
  /** A state file is not one, is cut short, fails its checksum or holds impossible values. */
  | 'bad-state-file'
  /** A state file of a format version this build does not read. */
  | 'state-version'
  /** A chunk was applied to a state other than the one it was coded against. */
  | 'state-mismatch'
  /** A chunk is malformed for the operation (no frames, wrong size, unexpected frame types). */
  | 'bad-chunk'
  /** The external chunk encoder (vpxenc) is missing or failed. */
  | 'chunk-encoder'
  /** A distributed job could not complete (the report says which chunk failed and why). */
  | 'job-failed'
  /** A peer is not the one the job trusts (a server whose certificate is not the pinned one). */
  | 'untrusted-peer'
  /** A function or command was called with arguments that violate its contract. */
  | 'invalid-argument';

export interface ExcameraErrorDetails {
  /** The file the problem is in, when there is one. */
  readonly file?: string;
  /** Index of the chunk in the job. */
  readonly chunk?: number;
  /** Index of the frame within the chunk. */
  readonly frame?: number;
  /** Offset in the file's bytes. */
  readonly byteOffset?: number;
}

export class ExcameraError extends ExcameraTsError<ExcameraErrorCode> {
  readonly where: ExcameraErrorDetails;

  constructor(code: ExcameraErrorCode, detail: string, where: ExcameraErrorDetails = {}) {
    super(code, detail, { file: where.file, chunk: where.chunk, frame: where.frame, byte: where.byteOffset });
    this.name = 'ExcameraError';
    this.where = where;
  }

  /** The same error with more of its location filled in. */
  at(where: ExcameraErrorDetails): ExcameraError {
    return new ExcameraError(this.code, this.detail, { ...this.where, ...where });
  }
}
