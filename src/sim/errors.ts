// Errors of the simulator (docs/architecture.md, "Errors"): a profile that is not one,
// an impossible argument, or a simulation that does not end. Each names what
// was wrong and where (the file and the field's path in it).

import { ExcameraTsError } from '../errors.js';

export type SimErrorCode =
  /** A profile file is missing, too large, not JSON, or holds a bad field. */
  | 'bad-profile'
  /** A function or command was called with arguments that violate its contract. */
  | 'invalid-argument'
  /** The simulation broke its own rules (a bug, or a runaway job). */
  | 'internal';

export class SimError extends ExcameraTsError<SimErrorCode> {
  constructor(code: SimErrorCode, message: string) {
    super(code, message);
    this.name = 'SimError';
  }
}
