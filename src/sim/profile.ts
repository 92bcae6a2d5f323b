// Reading and writing simulation profiles (profile-types.ts). A profile comes
// from a file a user may have edited by hand, so every field is checked
// before the simulator trusts it, and a mistake is reported with the file and
// the field's path (`compute.encode.perFrameMegapixel.p90: ...`).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateDistribution } from './distribution.js';
import { SimError } from './errors.js';
import type { Profile } from './profile-types.js';

/**
 * Where the built-in profiles are: `profiles/` at the package root, three
 * levels above this file once compiled (dist/src/sim/profile.js), two when
 * run from source (src/sim/profile.ts, as the tests do).
 */
export const PROFILE_DIR = ((): string => {
  const here = dirname(fileURLToPath(import.meta.url));
  const compiled = join(here, '..', '..', '..', 'profiles');
  return existsSync(compiled) ? compiled : join(here, '..', '..', 'profiles');
})();

const MAX_PROFILE_BYTES = 1 << 20;

/** Names of the built-in profiles. */
export const BUILTIN_PROFILES: readonly string[] = (() => {
  try {
    return readdirSync(PROFILE_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
})();

/** A built-in profile by name, or a profile file by path (anything with a `/` or ending in .json). */
export function loadProfile(nameOrPath: string): Profile {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  if (!isPath && !BUILTIN_PROFILES.includes(nameOrPath)) {
    throw new SimError('bad-profile', `no built-in profile ${JSON.stringify(nameOrPath)} (there are: ${BUILTIN_PROFILES.join(', ') || 'none'}); give a path to a .json file for others`);
  }
  const path = isPath ? nameOrPath : join(PROFILE_DIR, `${nameOrPath}.json`);
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_PROFILE_BYTES) throw new SimError('bad-profile', `${path}: ${size} bytes is too large for a profile (at most ${MAX_PROFILE_BYTES})`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof SimError) throw e;
    throw new SimError('bad-profile', `${path}: cannot read it (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SimError('bad-profile', `${path}: not JSON (${(e as Error).message})`);
  }
  return parseProfile(json, path);
}

type Obj = Record<string, unknown>;

/** Checks that `json` is a profile; `source` names it in errors. */
export function parseProfile(json: unknown, source: string): Profile {
  const fail = (path: string, why: string): never => {
    throw new SimError('bad-profile', `${source}: ${path ? `${path}: ` : ''}${why}`);
  };
  const object = (v: unknown, path: string, fields: readonly string[], optional: readonly string[] = []): Obj => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
    const o = v as Obj;
    for (const f of fields) if (!(f in o)) fail(path ? `${path}.${f}` : f, 'is missing');
    for (const k of Object.keys(o)) if (!fields.includes(k) && !optional.includes(k)) fail(path ? `${path}.${k}` : k, 'is not a profile field');
    return o;
  };
  const number = (o: Obj, f: string, path: string, min: number, max = Infinity, integer = false): void => {
    const v = o[f];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      fail(`${path}.${f}`.replace(/^\./, ''), `must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`);
    }
  };
  const dist = (o: Obj, f: string, path: string): void => {
    try {
      validateDistribution(o[f], `${path}.${f}`);
    } catch (e) {
      if (e instanceof SimError) fail('', e.message);
      throw e;
    }
  };
  const transfer = (v: unknown, path: string): void => {
    const o = object(v, path, ['latency', 'bytesPerSecond']);
    dist(o, 'latency', path);
    number(o, 'bytesPerSecond', path, 1);
  };
  const compute = (v: unknown, path: string): void => {
    const o = object(v, path, ['perFrameMegapixel'], ['fixed', 'cqLevelFactor', 'measuredAt']);
    dist(o, 'perFrameMegapixel', path);
    if (o.fixed !== undefined) dist(o, 'fixed', path);
    if (o.cqLevelFactor !== undefined) {
      const f = o.cqLevelFactor;
      if (!Array.isArray(f) || f.length === 0 || f.length > 64) fail(`${path}.cqLevelFactor`, 'must be a list of 1 to 64 [cqLevel, factor] pairs');
      for (const [i, pair] of (f as unknown[]).entries()) {
        if (!Array.isArray(pair) || pair.length !== 2 || pair.some((x) => typeof x !== 'number' || !Number.isFinite(x)) || pair[0] < 0 || pair[0] > 63 || !(pair[1] > 0)) {
          fail(`${path}.cqLevelFactor[${i}]`, `must be [cqLevel 0..63, factor > 0], got ${JSON.stringify(pair)}`);
        }
      }
    }
    if (o.measuredAt !== undefined) {
      const m = o.measuredAt;
      if (!Array.isArray(m) || m.length === 0 || m.length > 64) fail(`${path}.measuredAt`, 'must be a list of 1 to 64 {cqLevel, perFrameMegapixel} measurements');
      const seen = new Set<number>();
      for (const [i, entry] of (m as unknown[]).entries()) {
        const e = object(entry, `${path}.measuredAt[${i}]`, ['cqLevel', 'perFrameMegapixel']);
        number(e, 'cqLevel', `${path}.measuredAt[${i}]`, 0, 63, true);
        if (seen.has(e.cqLevel as number)) fail(`${path}.measuredAt[${i}].cqLevel`, `level ${String(e.cqLevel)} is measured twice`);
        seen.add(e.cqLevel as number);
        dist(e, 'perFrameMegapixel', `${path}.measuredAt[${i}]`);
      }
    }
  };

  const p = object(json, '', ['version', 'name', 'source', 'video', 'platform', 'storage', 'rendezvous', 'sizes', 'compute', 'workers', 'failures'], ['notes']);
  if (p.version !== 1) fail('version', `this build reads profile version 1, got ${JSON.stringify(p.version)}`);
  for (const f of ['name', 'source'] as const) if (typeof p[f] !== 'string' || (p[f] as string).length === 0 || (p[f] as string).length > 10_000) fail(f, 'must be a non-empty string');
  if (p.notes !== undefined) {
    // Notes are free-form: any keys, string values.
    if (typeof p.notes !== 'object' || p.notes === null || Array.isArray(p.notes)) fail('notes', 'must be an object');
    for (const [k, v] of Object.entries(p.notes as Obj)) if (typeof v !== 'string') fail(`notes.${k}`, 'must be a string');
  }
  const video = object(p.video, 'video', ['width', 'height', 'frameRate'], ['frames', 'cqLevel']);
  number(video, 'width', 'video', 1, 65536, true);
  number(video, 'height', 'video', 1, 65536, true);
  number(video, 'frameRate', 'video', 0.001, 1000);
  if (video.frames !== undefined) number(video, 'frames', 'video', 1, 100_000_000, true);
  if (video.cqLevel !== undefined) number(video, 'cqLevel', 'video', 0, 63, true);
  const platform = object(p.platform, 'platform', ['startLatency', 'throttleLatency', 'concurrencyLimit', 'memoryGB', 'pricePerGBSecond', 'pricePerRequest', 'timeLimitSeconds']);
  dist(platform, 'startLatency', 'platform');
  dist(platform, 'throttleLatency', 'platform');
  number(platform, 'concurrencyLimit', 'platform', 1, 1e9, true);
  number(platform, 'memoryGB', 'platform', 0, 1024);
  number(platform, 'pricePerGBSecond', 'platform', 0, 1);
  number(platform, 'pricePerRequest', 'platform', 0, 1);
  number(platform, 'timeLimitSeconds', 'platform', 1, 1e9);
  const storage = object(p.storage, 'storage', ['get', 'put']);
  transfer(storage.get, 'storage.get');
  transfer(storage.put, 'storage.put');
  transfer(p.rendezvous, 'rendezvous');
  const sizes = object(p.sizes, 'sizes', ['stateBytesPerPixel', 'outputBitsPerPixel']);
  number(sizes, 'stateBytesPerPixel', 'sizes', 0, 64);
  number(sizes, 'outputBitsPerPixel', 'sizes', 0, 64);
  const c = object(p.compute, 'compute', ['encode', 'decode', 'givenState', 'rebase']);
  for (const phase of ['encode', 'decode', 'givenState', 'rebase']) compute(c[phase], `compute.${phase}`);
  const workers = object(p.workers, 'workers', ['speed']);
  dist(workers, 'speed', 'workers');
  const failures = object(p.failures, 'failures', ['probabilityPerPhase', 'hangFraction']);
  number(failures, 'probabilityPerPhase', 'failures', 0, 1);
  number(failures, 'hangFraction', 'failures', 0, 1);
  return json as Profile;
}

/** A profile as pretty JSON, keys in a fixed order. */
export function serializeProfile(p: Profile): string {
  const order: (keyof Profile)[] = ['version', 'name', 'source', 'video', 'platform', 'storage', 'rendezvous', 'sizes', 'compute', 'workers', 'failures', 'notes'];
  const out: Partial<Record<keyof Profile, unknown>> = {};
  for (const k of order) if (p[k] !== undefined) out[k] = p[k];
  return `${JSON.stringify(out, null, 2)}\n`;
}
