// Errors of the simulator (DESIGN.md section 4): a profile that is not one,
// an impossible argument, or a simulation that does not end. Each names what
// was wrong and where (the file and the field's path in it).

export type SimErrorCode =
  /** A profile file is missing, too large, not JSON, or holds a bad field. */
  | 'bad-profile'
  /** A function or command was called with arguments that violate its contract. */
  | 'invalid-argument'
  /** The simulation broke its own rules (a bug, or a runaway job). */
  | 'internal';

export class SimError extends Error {
  constructor(
    readonly code: SimErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}
