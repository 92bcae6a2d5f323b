// The invocation payload, and the trust boundary around it.
//
// When a worker is started it is told who it is (its number and token), whom
// to trust (the job certificate's fingerprint), where to connect, where the
// job's chunks are stored, and the job's coding settings. The payload holds
// no private key: only the certificate's fingerprint, the job id, the
// worker's number and its token (security.ts).
//
// The payload comes from outside the process, so before anything uses it
// (before a socket is opened or a storage client made) it is checked
// against the schema below: one declarative description, with a type and a
// bound on every field, and no field it does not name. Two entry points read it:
//
// - A local worker process (worker-main.ts) gets it on stdin from the
//   coordinator on this machine, which it trusts to say where the chunks are
//   (a directory, or S3 with an endpoint and a region): `parseInvocation`.
// - The Lambda function (lambda-handler.ts) gets it as its event, from
//   whoever may invoke the function. What the function may touch is fixed
//   by its own configuration — its environment, read by `readDeployment`:
//   the bucket, the S3 endpoint and region, a key prefix every job must lie
//   under, and the limits on the job's size. The event (`LambdaEvent`) names
//   only the job's key prefix (and the bucket, which must be the function's
//   own): it may narrow what the environment allows, never widen it.
//   `parseLambdaEvent` checks it; the coordinator's launcher makes it with
//   `lambdaEventOf`.
//
// A refusal is an `InvalidInvocation` naming the field and the rule it
// breaks. It describes a refused string only by its length — the field
// could be the token — and echoes numbers, which are harmless.

import { isIPv4, isIPv6 } from 'node:net';
import type { Rational } from '../../container/index.js';
import { MAX_SPEED } from '../../vp8/index.js';
import { CHUNK_ENCODERS } from '../chunk-encoder.js';
import { ExcameraError } from '../errors.js';
import type { ChunkQuality } from '../vpxenc.js';
import { BUCKET_NAME, BUCKET_NAME_RULE, isKeyPrefix, KEY_PREFIX_RULE, MAX_PREFIX_LENGTH, prefixWithin, S3Storage } from './s3-storage.js';
import { LocalStorage } from './storage.js';
import type { JobSpec, Storage } from './worker.js';

// ---- The payload --------------------------------------------------------------

export type StorageSpec =
  | { readonly kind: 'local'; readonly dir: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string; readonly region?: string; readonly endpoint?: string };

export interface Address {
  readonly host: string;
  readonly port: number;
}

/** What the coordinator tells a worker, and what a worker runs with. */
export interface Invocation {
  readonly version: 1;
  readonly worker: number;
  /** Hex. */
  readonly jobId: string;
  /** Hex: HMAC-SHA256 of the job secret (security.ts). */
  readonly token: string;
  readonly fingerprint: string;
  readonly coordinator: Address;
  readonly rendezvous: Address;
  readonly storage: StorageSpec;
  readonly spec: JobSpec;
}

/** Where a Lambda worker's chunks are: a key prefix in the function's own bucket. */
export interface LambdaStorage {
  readonly kind: 's3';
  /** If given, it must be the function's bucket (EXCAMERA_BUCKET). */
  readonly bucket?: string;
  readonly prefix: string;
}

/** The Lambda function's event: an invocation whose storage names no endpoint and no region. */
export interface LambdaEvent extends Omit<Invocation, 'storage'> {
  readonly storage: LambdaStorage;
}

/** A payload the schema refuses: the field (a dotted path), the rule it breaks, and what it held. */
export class InvalidInvocation extends ExcameraError {
  constructor(
    readonly field: string,
    readonly reason: string,
    /** "got 7", "got a string of 12 characters", ... ('' when there is nothing to say). */
    readonly got: string,
  ) {
    super('invalid-argument', `invocation payload: ${field} ${reason}${got === '' ? '' : `; ${got}`}`);
    this.name = 'InvalidInvocation';
  }
}

/** The Lambda function's environment lacks a variable, or holds a bad value in one. */
export class MisconfiguredEnvironment extends ExcameraError {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super('invalid-argument', `the function's environment: ${variable} ${reason}`);
    this.name = 'MisconfiguredEnvironment';
  }
}

// ---- Rules: the schema's vocabulary ---------------------------------------------

interface IntegerRule {
  readonly kind: 'integer';
  readonly min: number;
  readonly max: number;
  /** The environment variable that set `max`, named in a refusal. */
  readonly source?: string;
}
interface NumberRule {
  readonly kind: 'number';
  readonly min: number;
  readonly max: number;
}
interface StringRule {
  readonly kind: 'string';
  /** What a valid value looks like, for a refusal. */
  readonly format: string;
  readonly maxLength: number;
  readonly test: (s: string) => boolean;
}
interface ConstantRule {
  readonly kind: 'constant';
  readonly value: string | number;
}
interface EnumRule {
  readonly kind: 'enum';
  readonly values: readonly string[];
}
/** A check across an object's fields, once each field is valid. */
interface Refusal {
  readonly field: string;
  readonly reason: string;
  readonly got?: string;
}
interface ObjectRule {
  readonly kind: 'object';
  readonly fields: Readonly<Record<string, FieldRule>>;
  /** Fields that are refused with a reason of their own (any other unknown field is refused too). */
  readonly forbidden: Readonly<Record<string, string>>;
  readonly check?: (value: never) => Refusal | null;
}
/** One of several object rules, chosen by the value of its `tag` field. */
interface VariantRule {
  readonly kind: 'variant';
  readonly tag: string;
  readonly variants: Readonly<Record<string, ObjectRule>>;
}
interface OptionalRule {
  readonly kind: 'optional';
  readonly rule: Rule;
}
type Rule = IntegerRule | NumberRule | StringRule | ConstantRule | EnumRule | ObjectRule | VariantRule;
type FieldRule = Rule | OptionalRule;

/**
 * A rule for every field of T, no more: the compiler keeps the schema and the
 * interfaces in step. T's optional fields take `optional(...)` rules.
 */
type Fields<T> = { readonly [K in keyof T]-?: {} extends Pick<T, K> ? OptionalRule : Rule };

const integer = (min: number, max: number, source?: string): IntegerRule => ({ kind: 'integer', min, max, ...(source !== undefined ? { source } : {}) });
const number = (min: number, max: number): NumberRule => ({ kind: 'number', min, max });
const string = (format: string, maxLength: number, test: RegExp | ((s: string) => boolean)): StringRule => ({
  kind: 'string', format, maxLength, test: typeof test === 'function' ? test : (s) => test.test(s),
});
const constant = (value: string | number): ConstantRule => ({ kind: 'constant', value });
const oneOf = (values: readonly string[]): EnumRule => ({ kind: 'enum', values });
const optional = (rule: Rule): OptionalRule => ({ kind: 'optional', rule });

function object<T>(fields: Fields<T>, more: { readonly forbidden?: Readonly<Record<string, string>>; readonly check?: (value: T) => Refusal | null } = {}): ObjectRule {
  return { kind: 'object', fields: fields as unknown as Readonly<Record<string, FieldRule>>, forbidden: more.forbidden ?? {}, ...(more.check !== undefined ? { check: more.check } : {}) };
}

function variant<T, K extends keyof T & string>(tag: K, variants: { readonly [V in T[K] & string]: ObjectRule }): VariantRule {
  return { kind: 'variant', tag, variants };
}

// ---- Checking a value against a rule ----------------------------------------------

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a refused value was — never a string's content (it may be a token or a path). */
function described(value: unknown): string {
  if (value === undefined) return 'it is missing';
  if (value === null) return 'got null';
  if (typeof value === 'number' || typeof value === 'boolean') return `got ${value}`;
  if (typeof value === 'string') return `got a string of ${value.length} characters`;
  if (Array.isArray(value)) return 'got an array';
  return `got ${typeof value === 'object' ? 'an object' : `a ${typeof value}`}`;
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

function refuse(field: string, reason: string, got: string): never {
  throw new InvalidInvocation(field === '' ? '(the payload)' : field, reason, got);
}

const listed = (values: readonly (string | number)[]): string => values.map((v) => JSON.stringify(v)).join(', ');

/** Throws an InvalidInvocation naming the first field of `value` (at `path`) that breaks `rule`. */
function validate(rule: Rule, value: unknown, path: string): void {
  switch (rule.kind) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min || value > rule.max) {
        refuse(path, `must be an integer ${rule.min}..${rule.max}${rule.source !== undefined ? ` (${rule.source})` : ''}`, described(value));
      }
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < rule.min || value > rule.max) refuse(path, `must be a number ${rule.min}..${rule.max}`, described(value));
      return;
    case 'string':
      if (typeof value !== 'string' || value.length > rule.maxLength || !rule.test(value)) refuse(path, `must be ${rule.format}`, described(value));
      return;
    case 'constant':
      if (value !== rule.value) refuse(path, `must be ${JSON.stringify(rule.value)}`, described(value));
      return;
    case 'enum':
      if (typeof value !== 'string' || !rule.values.includes(value)) refuse(path, `must be one of ${listed(rule.values)}`, described(value));
      return;
    case 'variant': {
      if (!isRecord(value)) return refuse(path, 'must be an object', described(value));
      const tag = Object.hasOwn(value, rule.tag) ? value[rule.tag] : undefined;
      if (typeof tag !== 'string' || !Object.hasOwn(rule.variants, tag)) return refuse(join(path, rule.tag), `must be one of ${listed(Object.keys(rule.variants))}`, described(tag));
      validate(rule.variants[tag]!, value, path);
      return;
    }
    case 'object': {
      if (!isRecord(value)) return refuse(path, 'must be an object', described(value));
      for (const key of Object.keys(value)) {
        if (Object.hasOwn(rule.fields, key)) continue;
        refuse(join(path, key), Object.hasOwn(rule.forbidden, key) ? rule.forbidden[key]! : 'is not a field of the payload', '');
      }
      for (const [key, field] of Object.entries(rule.fields)) {
        const v = Object.hasOwn(value, key) ? value[key] : undefined;
        if (field.kind !== 'optional') validate(field, v, join(path, key));
        else if (v !== undefined) validate(field.rule, v, join(path, key));
      }
      const problem = rule.check?.(value as never) ?? null;
      if (problem !== null) refuse(join(path, problem.field), problem.reason, problem.got ?? '');
      return;
    }
  }
}

// ---- Formats ------------------------------------------------------------------------

/** A DNS name (labels of 1-63 letters, digits and hyphens; 253 in all) or an IPv4 or IPv6 address, checked without a lookup. */
export function isHost(host: string): boolean {
  if (host.includes(':')) return !host.includes('%') && isIPv6(host);
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.split('.');
  // All digits: it must be an IPv4 address, not a name a resolver might read as one.
  if (labels.every((l) => /^[0-9]+$/.test(l))) return isIPv4(host);
  return labels.every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/** An http:// or https:// URL of a server: no user, path, query or fragment. */
function isEndpoint(s: string): boolean {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && url.pathname === '/' && url.search === '' && url.hash === '';
}

const JOB_ID = string('32 lower-case hex digits', 32, /^[0-9a-f]{32}$/);
const TOKEN = string('64 lower-case hex digits', 64, /^[0-9a-f]{64}$/);
const FINGERPRINT = string('a SHA-256 fingerprint (32 upper-case hex pairs joined by colons)', 95, /^(?:[0-9A-F]{2}:){31}[0-9A-F]{2}$/);
const HOST = string('a host name or an IP address (at most 253 characters)', 253, isHost);
const PORT = integer(1, 65535);
const BUCKET = string(`an S3 bucket name (${BUCKET_NAME_RULE})`, 63, BUCKET_NAME);
const PREFIX = string(`a key prefix: ${KEY_PREFIX_RULE}`, MAX_PREFIX_LENGTH, isKeyPrefix);
const REGION = string('an AWS region name such as us-east-1', 32, /^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$/);
const ENDPOINT = string('an http:// or https:// URL of a server (no path)', 2048, isEndpoint);
const DIRECTORY = string('a directory path (1-4096 characters)', 4096, (s) => s.length > 0 && !s.includes('\0'));
const U32 = 0xffffffff;

// ---- Limits and the Lambda function's environment ---------------------------------------

export interface Limits {
  readonly maxWidth: number;
  readonly maxHeight: number;
  /** Of width × height. */
  readonly maxPixels: number;
  readonly maxFramesPerChunk: number;
  readonly maxChunksPerBatch: number;
  /** Worker numbers run 0 .. maxWorkers − 1. */
  readonly maxWorkers: number;
}

/**
 * Each limit: the environment variable that sets it for a Lambda function,
 * its default there, and the most any setting may allow (what the formats
 * carry: VP8's 14-bit sizes, the protocol's 32-bit numbers).
 */
export const LIMITS: { readonly [K in keyof Limits]: { readonly variable: string; readonly default: number; readonly hard: number; readonly describe: string } } = {
  maxWidth: { variable: 'EXCAMERA_MAX_WIDTH', default: 16383, hard: 16383, describe: 'the widest picture, in pixels' },
  maxHeight: { variable: 'EXCAMERA_MAX_HEIGHT', default: 16383, hard: 16383, describe: 'the tallest picture, in pixels' },
  maxPixels: { variable: 'EXCAMERA_MAX_PIXELS', default: 4096 * 2160, hard: 16383 * 16383, describe: 'the largest width × height (default: DCI 4K)' },
  maxFramesPerChunk: { variable: 'EXCAMERA_MAX_FRAMES_PER_CHUNK', default: 120, hard: U32, describe: 'the most frames per chunk (n)' },
  maxChunksPerBatch: { variable: 'EXCAMERA_MAX_CHUNKS_PER_BATCH', default: 65536, hard: U32, describe: 'the most chunks per batch (x)' },
  maxWorkers: { variable: 'EXCAMERA_MAX_WORKERS', default: 100_000, hard: U32 + 1, describe: 'the most workers of a job, replacements included (numbers 0 .. this − 1)' },
};

const limitKeys = Object.keys(LIMITS) as (keyof Limits)[];
const limitsOf = (pick: (l: (typeof LIMITS)[keyof Limits]) => number): Limits => Object.fromEntries(limitKeys.map((k) => [k, pick(LIMITS[k])])) as unknown as Limits;

/** What a trusted coordinator may ask for: only the formats' own bounds. */
export const HARD_LIMITS: Limits = limitsOf((l) => l.hard);
/** What a Lambda function allows when its environment does not say. */
export const DEFAULT_LIMITS: Limits = limitsOf((l) => l.default);

/** What a Lambda function may touch, from its environment (`readDeployment`). */
export interface Deployment {
  readonly bucket: string;
  /** Every job's keys lie under it ('' for the whole bucket). */
  readonly prefix: string;
  readonly region: string;
  /** Another S3 server (a local stand-in); AWS's own when absent. */
  readonly s3Endpoint?: string;
  /** The hosts (lower case) a worker may connect to; any when absent. */
  readonly coordinatorHosts?: readonly string[];
  readonly limits: Limits;
}

/** The function's environment variables, for its documentation (`excamera lambda package`). */
export const LAMBDA_ENVIRONMENT: readonly { readonly name: string; readonly value: string; readonly describe: string }[] = [
  { name: 'EXCAMERA_BUCKET', value: 'required', describe: 'the S3 bucket of the jobs; an event may name no other' },
  { name: 'EXCAMERA_PREFIX', value: 'default: the whole bucket', describe: 'the key prefix every job lies under; an event may only narrow it' },
  { name: 'EXCAMERA_S3_REGION', value: 'default: $AWS_REGION, set by Lambda', describe: 'the region of the bucket' },
  { name: 'EXCAMERA_S3_ENDPOINT', value: 'default: AWS', describe: 'another S3 server\'s URL (a stand-in, for tests; path-style)' },
  { name: 'EXCAMERA_COORDINATOR_HOSTS', value: 'default: any host', describe: 'comma-separated hosts the workers may connect to' },
  ...limitKeys.map((k) => ({ name: LIMITS[k].variable, value: `default: ${LIMITS[k].default}, at most ${LIMITS[k].hard}`, describe: LIMITS[k].describe })),
];

/**
 * Reads and checks a Lambda function's environment (see LAMBDA_ENVIRONMENT).
 * Throws a MisconfiguredEnvironment naming the first variable that is
 * missing or wrong. An empty variable counts as unset.
 */
export function readDeployment(env: Readonly<Record<string, string | undefined>>): Deployment {
  const get = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const bad = (name: string, reason: string): never => {
    throw new MisconfiguredEnvironment(name, reason);
  };
  // Environment values are the operator's, not secrets: quoted in full (up to a point).
  const quoted = (v: string): string => `got ${JSON.stringify(v.length > 100 ? `${v.slice(0, 100)}…` : v)}`;
  const checked = (name: string, value: string, rule: StringRule): string => (value.length <= rule.maxLength && rule.test(value) ? value : bad(name, `must be ${rule.format}; ${quoted(value)}`));

  const bucket = checked('EXCAMERA_BUCKET', get('EXCAMERA_BUCKET') ?? bad('EXCAMERA_BUCKET', 'is not set: it names the S3 bucket of the jobs'), BUCKET);
  const prefix = checked('EXCAMERA_PREFIX', (get('EXCAMERA_PREFIX') ?? '').replace(/\/+$/, ''), PREFIX);
  const regionVariable = get('EXCAMERA_S3_REGION') !== undefined ? 'EXCAMERA_S3_REGION' : 'AWS_REGION';
  const region = checked(regionVariable, get(regionVariable) ?? bad('EXCAMERA_S3_REGION', 'is not set, nor AWS_REGION (which Lambda sets): it names the region of the bucket'), REGION);
  const endpoint = get('EXCAMERA_S3_ENDPOINT');
  if (endpoint !== undefined) checked('EXCAMERA_S3_ENDPOINT', endpoint, ENDPOINT);
  const hostList = get('EXCAMERA_COORDINATOR_HOSTS');
  const hosts = hostList?.split(',').map((h) => h.trim().toLowerCase());
  if (hosts !== undefined && !hosts.every((h) => h.length <= HOST.maxLength && HOST.test(h))) {
    bad('EXCAMERA_COORDINATOR_HOSTS', `must be host names or IP addresses separated by commas; ${quoted(hostList!)}`);
  }
  const limits = Object.fromEntries(limitKeys.map((k) => {
    const { variable, default: fallback, hard } = LIMITS[k];
    const v = get(variable);
    if (v === undefined) return [k, fallback];
    const n = /^[0-9]{1,16}$/.test(v) ? Number(v) : NaN;
    return [k, n >= 1 && n <= hard ? n : bad(variable, `must be a whole number 1..${hard}; ${quoted(v)}`)];
  })) as unknown as Limits;
  return { bucket, prefix, region, ...(endpoint !== undefined ? { s3Endpoint: endpoint } : {}), ...(hosts !== undefined ? { coordinatorHosts: hosts } : {}), limits };
}

// ---- The schema -----------------------------------------------------------------------

interface SchemaOptions {
  readonly limits: Limits;
  /** Name the environment variables in refusals of a limit. */
  readonly limitsFromEnvironment: boolean;
  readonly coordinatorHosts?: readonly string[];
}

type S3Spec = Extract<StorageSpec, { kind: 's3' }>;
type LocalSpec = Extract<StorageSpec, { kind: 'local' }>;

/** The fields every payload shares: who the worker is, whom it talks to, and the job's settings. */
function sharedFields(o: SchemaOptions): Fields<Omit<Invocation, 'storage'>> {
  const bound = (key: keyof Limits, max = o.limits[key]): IntegerRule => integer(1, max, o.limitsFromEnvironment ? LIMITS[key].variable : undefined);
  const hosts = o.coordinatorHosts;
  const address = object<Address>(
    { host: HOST, port: PORT },
    { check: (a) => (hosts === undefined || hosts.includes(a.host.toLowerCase()) ? null : { field: 'host', reason: 'is not a host this function may connect to (EXCAMERA_COORDINATOR_HOSTS)', got: `got ${JSON.stringify(a.host)}` }) },
  );
  const spec = object<JobSpec>(
    {
      width: bound('maxWidth'),
      height: bound('maxHeight'),
      frameRate: object<Rational>({ numerator: integer(1, U32), denominator: integer(1, U32) }),
      framesPerChunk: bound('maxFramesPerChunk'),
      chunksPerBatch: bound('maxChunksPerBatch'),
      chunkEncoder: oneOf(CHUNK_ENCODERS),
      quality: variant<ChunkQuality, 'mode'>('mode', {
        cq: object<Extract<ChunkQuality, { mode: 'cq' }>>({ mode: constant('cq'), cqLevel: integer(0, 63) }),
        quantizer: object<Extract<ChunkQuality, { mode: 'quantizer' }>>({ mode: constant('quantizer'), quantizer: integer(0, 63) }),
      }),
      speed: optional(integer(0, MAX_SPEED)),
      keyQuantizerWeight: optional(number(0, 1)),
    },
    {
      check: (s) => (s.width * s.height <= o.limits.maxPixels ? null : {
        field: 'width',
        reason: `× height must be at most ${o.limits.maxPixels} pixels${o.limitsFromEnvironment ? ` (${LIMITS.maxPixels.variable})` : ''}`,
        got: `got ${s.width} × ${s.height} = ${s.width * s.height}`,
      }),
    },
  );
  return {
    version: constant(1),
    worker: integer(0, o.limits.maxWorkers - 1, o.limitsFromEnvironment ? LIMITS.maxWorkers.variable : undefined),
    jobId: JOB_ID,
    token: TOKEN,
    fingerprint: FINGERPRINT,
    coordinator: address,
    rendezvous: address,
    spec,
  };
}

/** A local worker's payload: storage as the coordinator on this machine says; only the formats' bounds. */
const LOCAL_SCHEMA = object<Invocation>({
  ...sharedFields({ limits: HARD_LIMITS, limitsFromEnvironment: false }),
  storage: variant<StorageSpec, 'kind'>('kind', {
    local: object<LocalSpec>({ kind: constant('local'), dir: DIRECTORY }),
    s3: object<S3Spec>({ kind: constant('s3'), bucket: BUCKET, prefix: PREFIX, region: optional(REGION), endpoint: optional(ENDPOINT) }),
  }),
});

/** A Lambda event, within what `deployment` allows (or, without one, what any deployment could). */
function lambdaSchema(deployment: Deployment | null): ObjectRule {
  const storage = object<LambdaStorage>(
    { kind: constant('s3'), bucket: optional(BUCKET), prefix: PREFIX },
    {
      forbidden: {
        endpoint: 'is not taken from an event: the S3 endpoint is the function\'s own (EXCAMERA_S3_ENDPOINT)',
        region: 'is not taken from an event: the region is the function\'s own (EXCAMERA_S3_REGION, or AWS_REGION)',
        dir: 'is not taken from an event: a Lambda worker reads S3, not a directory',
      },
      check: (s) => {
        if (deployment === null) return null;
        if (s.bucket !== undefined && s.bucket !== deployment.bucket) return { field: 'bucket', reason: 'must be the function\'s own bucket (EXCAMERA_BUCKET)', got: `got ${JSON.stringify(s.bucket)}` };
        if (!prefixWithin(s.prefix, deployment.prefix)) return { field: 'prefix', reason: `must lie under the function's prefix ${JSON.stringify(deployment.prefix)} (EXCAMERA_PREFIX)`, got: `got ${JSON.stringify(s.prefix)}` };
        return null;
      },
    },
  );
  const options: SchemaOptions = deployment === null
    ? { limits: HARD_LIMITS, limitsFromEnvironment: false }
    : { limits: deployment.limits, limitsFromEnvironment: true, ...(deployment.coordinatorHosts !== undefined ? { coordinatorHosts: deployment.coordinatorHosts } : {}) };
  return object<LambdaEvent>({ ...sharedFields(options), storage });
}

const ANY_LAMBDA_SCHEMA = lambdaSchema(null);

// ---- Entry points ------------------------------------------------------------------------

/** A local worker's payload, checked (it comes from the coordinator on this machine). */
export function parseInvocation(json: unknown): Invocation {
  validate(LOCAL_SCHEMA, json, '');
  return json as Invocation;
}

/**
 * A Lambda event, checked against the schema within what the function's
 * deployment allows; returns the invocation the worker runs, whose storage
 * is the deployment's bucket, region and endpoint at the event's prefix.
 */
export function parseLambdaEvent(json: unknown, deployment: Deployment): Invocation {
  validate(lambdaSchema(deployment), json, '');
  const event = json as LambdaEvent;
  const storage: StorageSpec = { kind: 's3', bucket: deployment.bucket, prefix: event.storage.prefix, region: deployment.region, ...(deployment.s3Endpoint !== undefined ? { endpoint: deployment.s3Endpoint } : {}) };
  return { ...event, storage };
}

/**
 * The event the Lambda launcher sends for a coordinator's invocation: its
 * S3 storage without the endpoint and region, which the function takes from
 * its environment. Refuses here what every function would refuse.
 */
export function lambdaEventOf(invocation: Invocation): LambdaEvent {
  const { storage } = invocation;
  if (storage.kind !== 's3') throw new ExcameraError('invalid-argument', 'a Lambda worker needs S3 storage: it cannot read this machine\'s disk');
  const event: LambdaEvent = { ...invocation, storage: { kind: 's3', bucket: storage.bucket, prefix: storage.prefix } };
  validate(ANY_LAMBDA_SCHEMA, event, '');
  return event;
}

/** The job id and worker number of a refused payload, where they are valid (to tell refusals apart in a log). */
export function refusedContext(json: unknown): { jobId?: string; worker?: number } {
  if (!isRecord(json)) return {};
  const { jobId, worker } = json;
  return {
    ...(typeof jobId === 'string' && JOB_ID.test(jobId) ? { jobId } : {}),
    ...(typeof worker === 'number' && Number.isInteger(worker) && worker >= 0 && worker <= U32 ? { worker } : {}),
  };
}

export function storageOf(spec: StorageSpec): Storage {
  return spec.kind === 'local' ? new LocalStorage(spec.dir) : new S3Storage(spec);
}
