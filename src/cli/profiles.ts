// Simulation profiles as the commands take them: a built-in name or a file,
// and optionally the compute of another (composeProfiles); a bad profile is a
// one-line error.

import { CliError } from './errors.js';
import { SimError } from '../sim/errors.js';
import { composeProfiles, loadProfile } from '../sim/profile.js';
import type { Profile } from '../sim/profile-types.js';

/** A profile by name or path; a profile error becomes the CLI's one-line error. */
export function loadCliProfile(name: string): Profile {
  try {
    return loadProfile(name);
  } catch (e) {
    if (e instanceof SimError) throw new CliError(e.message);
    throw e;
  }
}

/** `--profile`, with its compute from `--compute-profile` when given. */
export function profileOf(args: { profile: string; computeProfile?: string | undefined }): Profile {
  const base = loadCliProfile(args.profile);
  return args.computeProfile === undefined ? base : composeProfiles(base, loadCliProfile(args.computeProfile));
}
