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
    const o = object(v, path, ['perFrameMegapixel'], ['fixed', 'cqLevelFactor', 'measuredAt', 'firstFrameWeight', 'firstFrameCqLevelFactor', 'content', 'prepare']);
    dist(o, 'perFrameMegapixel', path);
    if (o.fixed !== undefined) dist(o, 'fixed', path);
    if (o.prepare !== undefined) {
      if (path !== 'compute.givenState') fail(`${path}.prepare`, 'only encode-given-state has a part that runs before its state comes (compute.givenState.prepare)');
      dist(o, 'prepare', path);
    }
    for (const field of ['cqLevelFactor', 'firstFrameCqLevelFactor']) {
      const f = o[field];
      if (f === undefined) continue;
      if (!Array.isArray(f) || f.length === 0 || f.length > 64) fail(`${path}.${field}`, 'must be a list of 1 to 64 [cqLevel, factor] pairs');
      for (const [i, pair] of (f as unknown[]).entries()) {
        if (!Array.isArray(pair) || pair.length !== 2 || pair.some((x) => typeof x !== 'number' || !Number.isFinite(x)) || pair[0] < 0 || pair[0] > 63 || !(pair[1] > 0)) {
          fail(`${path}.${field}[${i}]`, `must be [cqLevel 0..63, factor > 0], got ${JSON.stringify(pair)}`);
        }
      }
    }
    if (o.firstFrameWeight !== undefined) number(o, 'firstFrameWeight', path, 0, 1000);
    if (o.content !== undefined && o.content !== 'encode' && o.content !== 'rebase' && o.content !== 'givenState') fail(`${path}.content`, `must be "encode", "rebase" or "givenState", got ${JSON.stringify(o.content)}`);
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
  const video = object(p.video, 'video', ['width', 'height', 'frameRate'], ['frames', 'cqLevel', 'content']);
  number(video, 'width', 'video', 1, 65536, true);
  number(video, 'height', 'video', 1, 65536, true);
  number(video, 'frameRate', 'video', 0.001, 1000);
  if (video.frames !== undefined) number(video, 'frames', 'video', 1, 100_000_000, true);
  if (video.cqLevel !== undefined) number(video, 'cqLevel', 'video', 0, 63, true);
  if (video.content !== undefined) {
    const content = object(video.content, 'video.content', ['framesPerValue', 'encode', 'rebase'], ['givenState']);
    number(content, 'framesPerValue', 'video.content', 1, 1e6, true);
    const values = (v: unknown, path: string): void => {
      if (!Array.isArray(v) || v.length === 0 || v.length > 1_000_000) fail(path, 'must be a list of 1 to 1,000,000 numbers');
      for (const [i, x] of (v as unknown[]).entries()) if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) fail(`${path}[${i}]`, `must be a positive number, got ${JSON.stringify(x)}`);
    };
    const encode = content.encode;
    if (!Array.isArray(encode) || encode.length === 0 || encode.length > 64) fail('video.content.encode', 'must be a list of 1 to 64 {cqLevel, values} measurements');
    const levels = new Set<number>();
    for (const [i, m] of (encode as unknown[]).entries()) {
      const e = object(m, `video.content.encode[${i}]`, ['cqLevel', 'values']);
      number(e, 'cqLevel', `video.content.encode[${i}]`, 0, 63, true);
      if (levels.has(e.cqLevel as number)) fail(`video.content.encode[${i}].cqLevel`, `level ${String(e.cqLevel)} is measured twice`);
      levels.add(e.cqLevel as number);
      values(e.values, `video.content.encode[${i}].values`);
      if ((e.values as unknown[]).length !== ((encode as { values: unknown[] }[])[0]!.values).length) fail(`video.content.encode[${i}].values`, 'must have as many values as the first measurement');
    }
    values(content.rebase, 'video.content.rebase');
    if (content.givenState !== undefined) values(content.givenState, 'video.content.givenState');
  }
  const platform = object(p.platform, 'platform', ['startLatency', 'throttleLatency', 'concurrencyLimit', 'memoryGB', 'pricePerGBSecond', 'pricePerRequest', 'timeLimitSeconds'], ['lateStarts']);
  dist(platform, 'startLatency', 'platform');
  dist(platform, 'throttleLatency', 'platform');
  number(platform, 'concurrencyLimit', 'platform', 1, 1e9, true);
  number(platform, 'memoryGB', 'platform', 0, 1024);
  number(platform, 'pricePerGBSecond', 'platform', 0, 1);
  number(platform, 'pricePerRequest', 'platform', 0, 1);
  number(platform, 'timeLimitSeconds', 'platform', 1, 1e9);
  if (platform.lateStarts !== undefined) {
    const late = object(platform.lateStarts, 'platform.lateStarts', ['probabilityPerRun', 'bursts']);
    number(late, 'probabilityPerRun', 'platform.lateStarts', 0, 1);
    const bursts = late.bursts;
    if (!Array.isArray(bursts) || bursts.length === 0 || bursts.length > 10_000) fail('platform.lateStarts.bursts', 'must be a list of 1 to 10,000 {fraction, from, to} bursts');
    for (const [i, b] of (bursts as unknown[]).entries()) {
      const where = `platform.lateStarts.bursts[${i}]`;
      const o = object(b, where, ['fraction', 'from', 'to']);
      number(o, 'fraction', where, 0, 1);
      number(o, 'from', where, 0, 1e6);
      number(o, 'to', where, o.from as number, 1e6);
    }
  }
  const storage = object(p.storage, 'storage', ['get', 'put']);
  transfer(storage.get, 'storage.get');
  transfer(storage.put, 'storage.put');
  transfer(p.rendezvous, 'rendezvous');
  const sizes = object(p.sizes, 'sizes', ['stateBytesPerPixel', 'outputBitsPerPixel']);
  number(sizes, 'stateBytesPerPixel', 'sizes', 0, 64);
  number(sizes, 'outputBitsPerPixel', 'sizes', 0, 64);
  const c = object(p.compute, 'compute', ['encode', 'decode', 'givenState', 'rebase']);
  for (const phase of ['encode', 'decode', 'givenState', 'rebase']) {
    compute(c[phase], `compute.${phase}`);
    const named = (c[phase] as Obj).content;
    if (named !== undefined && video.content === undefined) fail(`compute.${phase}.content`, 'names a content profile, but video.content is missing');
    if (named === 'givenState' && (video.content as Obj).givenState === undefined) fail(`compute.${phase}.content`, 'names the givenState content profile, but video.content.givenState is missing');
  }
  const workers = object(p.workers, 'workers', ['speed'], ['slow']);
  dist(workers, 'speed', 'workers');
  if (workers.slow !== undefined) {
    const slow = object(workers.slow, 'workers.slow', ['runRates', 'speeds'], ['startQuantiles']);
    const rates = slow.runRates;
    if (!Array.isArray(rates) || rates.length === 0 || rates.length > 100_000) fail('workers.slow.runRates', 'must be a list of 1 to 100,000 probabilities');
    for (const [i, r] of (rates as unknown[]).entries()) if (typeof r !== 'number' || !(r >= 0 && r <= 1)) fail(`workers.slow.runRates[${i}]`, `must be a probability in [0, 1], got ${JSON.stringify(r)}`);
    dist(slow, 'speeds', 'workers.slow');
    const early = slow.startQuantiles;
    if (early !== undefined) {
      if (!Array.isArray(early) || early.length === 0 || early.length > 100_000) fail('workers.slow.startQuantiles', 'must be a list of 1 to 100,000 probabilities');
      for (const [i, q] of (early as unknown[]).entries()) if (typeof q !== 'number' || !(q > 0 && q < 1)) fail(`workers.slow.startQuantiles[${i}]`, `must be a probability strictly between 0 and 1, got ${JSON.stringify(q)}`);
    }
  }
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

/**
 * A profile whose compute comes from `compute` and everything else from
 * `base`: a machine's measurements (excamera calibrate) run on another
 * platform (the paper's Lambda) over another clip.
 *
 * From `compute`: the compute models, the sizes of states and outputs per
 * pixel, and the quality level those were measured at. Compute models are
 * per frame and million pixels, so they scale per pixel to `base`'s picture
 * (a stated assumption: coding time proportional to pixels). From `base`:
 * the clip (size, length, frame rate, and its content profile, which the
 * encode and rebase then follow: a scene slow to code is slow for any
 * encoder), the platform (start latency, concurrency, prices, late starts),
 * storage, the rendezvous, the workers' variation (slow hosts are the
 * platform's) and failures.
 */
export function composeProfiles(base: Profile, compute: Profile): Profile {
  const content = base.video.content;
  const follow = (m: Profile['compute']['encode'], phase: 'encode' | 'rebase' | 'givenState'): Profile['compute']['encode'] =>
    content !== undefined && m.content === undefined && (phase !== 'givenState' || content.givenState !== undefined) ? { ...m, content: phase } : m;
  const { cqLevel: _baseLevel, ...video } = base.video;
  const measured = `${compute.video.width}x${compute.video.height}`;
  const scaled = `${base.video.width}x${base.video.height}`;
  return {
    ...base,
    name: `${compute.name} on ${base.name}`,
    source: `Compute from ${compute.name} (${compute.source}), per pixel from ${measured} to ${scaled}; clip and platform from ${base.name} (${base.source})`,
    notes: {
      ...Object.fromEntries(Object.entries(base.notes ?? {}).filter(([k]) => !k.startsWith('compute') && !k.startsWith('sizes'))),
      ...Object.fromEntries(Object.entries(compute.notes ?? {}).filter(([k]) => k.startsWith('compute') || k.startsWith('sizes'))),
      composition: `Compute models and sizes from ${compute.name}, measured at ${measured} and scaled per pixel to ${scaled} (coding time taken as proportional to pixels); everything else from ${base.name}.${content !== undefined ? ` The encode${content?.givenState !== undefined ? ', encode-given-state' : ''} and rebase follow ${base.name}'s content profile.` : ''}`,
    },
    video: { ...video, ...(compute.video.cqLevel !== undefined ? { cqLevel: compute.video.cqLevel } : {}) },
    sizes: compute.sizes,
    compute: {
      encode: follow(compute.compute.encode, 'encode'),
      decode: compute.compute.decode,
      givenState: follow(compute.compute.givenState, 'givenState'),
      rebase: follow(compute.compute.rebase, 'rebase'),
    },
  };
}
