// The project's one error family (docs/architecture.md, "Errors").
//
// Every layer reports bad input — a corrupt frame, a truncated file, a state
// file that is not one, a malformed message, a flag out of range — with a
// subclass of ExcameraTsError: a machine-readable `code`, a `detail` saying
// what is wrong, and a `location` saying where (file, chunk, frame, byte,
// field). The message a person reads is the detail followed by the location,
// so the command line prints any of them the same way, in one line.
//
// Invalid arguments are thrown one way: where a value can come from outside
// the program — a flag, a file, a JSON profile, a message, an argument of the
// public API — a bad one is bad input, and the layer throws its own error with
// the code 'invalid-argument'. An index outside an internal table, or any
// other broken invariant, is a bug: a RangeError or an Error, which the
// command line does not dress up but shows with its stack trace.
//
// This module depends on nothing: every layer, src/vp8 included, may import it.

/** Where in the input a problem is. Every field is optional; the message lists those present. */
export interface ErrorLocation {
  /** The file, or the storage key, the problem is in. */
  readonly file?: string;
  /** Index of the chunk in an ExCamera job. */
  readonly chunk?: number;
  /** Index of the frame (in the caller's sequence, or within the chunk). */
  readonly frame?: number;
  /** Offset in the bytes of the file, frame or stream. */
  readonly byte?: number;
  /** The field of a header, message, profile or option. */
  readonly field?: string;
}

/** The location in words, in a fixed order: "in.ivf, chunk 3, frame 2, byte 40, field width". */
export function describeLocation(location: ErrorLocation): string {
  const parts: string[] = [];
  if (location.file !== undefined) parts.push(location.file);
  if (location.chunk !== undefined) parts.push(`chunk ${location.chunk}`);
  if (location.frame !== undefined) parts.push(`frame ${location.frame}`);
  if (location.byte !== undefined) parts.push(`byte ${location.byte}`);
  if (location.field !== undefined) parts.push(`field ${location.field}`);
  return parts.join(', ');
}

/** `detail (location)`, or the detail alone when the location is empty. */
export function withLocation(detail: string, location: ErrorLocation): string {
  const where = describeLocation(location);
  return where === '' ? detail : `${detail} (${where})`;
}

/** The location without its undefined fields, so that it prints and compares as what it says. */
function definedFields(location: ErrorLocation): ErrorLocation {
  return Object.fromEntries(Object.entries(location).filter(([, v]) => v !== undefined)) as ErrorLocation;
}

export interface ExcameraTsErrorOptions {
  /** The message, when a layer words its location its own way (it still fills `location`). */
  readonly message?: string;
  /** The error this one reports (kept for debugging, never shown to a user as the reason). */
  readonly cause?: unknown;
  /** The exit status of the command line when this error ends it (1 unless a layer says otherwise). */
  readonly exitStatus?: number;
}

/** The base of every error this project throws on purpose. */
export abstract class ExcameraTsError<Code extends string = string> extends Error {
  /** What went wrong, as a machine-readable code (a script can switch on it). */
  readonly code: Code;
  /** The description without the location that `message` carries. */
  readonly detail: string;
  /** Where the problem is. */
  readonly location: ErrorLocation;
  /** The exit status of the command line when this error ends it. */
  readonly exitStatus: number;

  constructor(code: Code, detail: string, location: ErrorLocation = {}, options: ExcameraTsErrorOptions = {}) {
    super(options.message ?? withLocation(detail, location), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = detail;
    this.location = definedFields(location);
    this.exitStatus = options.exitStatus ?? 1;
  }
}
