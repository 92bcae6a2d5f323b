// Storage in Amazon S3 (or anything that speaks its API): `s3://bucket/prefix`.
// Credentials and region come from the standard AWS environment (variables,
// profiles, or a Lambda function's role); `endpoint` points at another
// server (a local stand-in), which then needs path-style addressing. A PUT
// of S3 is atomic: readers see the old object or the whole new one.
//
// The naming rules of buckets and of the key prefixes a job may use are here
// too: the command line, the Lambda function's environment and its event
// (invocation.ts) all check names with them.

import type { S3Client } from '@aws-sdk/client-s3';
import { ExcameraError } from '../errors.js';
import { awsClientDefaults } from './aws.js';
import type { Storage } from './worker.js';

/** S3's bucket names: 3-63 lower-case letters, digits, dots and hyphens, a letter or digit at each end. */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** BUCKET_NAME in words, for messages. */
export const BUCKET_NAME_RULE = '3-63 lower-case letters, digits, dots and hyphens';

/** The longest key prefix: S3 keys are at most 1024 bytes, and a job adds `/output/000000.ivf` and the like. */
export const MAX_PREFIX_LENGTH = 900;
/** isKeyPrefix in words, for messages. */
export const KEY_PREFIX_RULE = `names joined by '/', of letters, digits and ! - _ . * ' ( ) (none empty, . or ..), at most ${MAX_PREFIX_LENGTH} characters`;

/**
 * Whether `prefix` is a key prefix a job may use: '' (the bucket's root) or
 * names joined by '/', each of letters, digits and S3's other safe
 * characters (! - _ . * ' ( )), none empty, '.' or '..'. So a prefix means
 * one thing to S3, to a shell and to a reader of the logs, and "jobs/a"
 * cannot be written to reach outside "jobs".
 */
export function isKeyPrefix(prefix: string): boolean {
  if (prefix === '') return true;
  if (prefix.length > MAX_PREFIX_LENGTH) return false;
  return prefix.split('/').every((part) => /^[A-Za-z0-9!_.*'()-]+$/.test(part) && part !== '.' && part !== '..');
}

/** Whether the keys under `prefix` all lie under `allowed` (whole names: "jobs" does not contain "jobs-old"). */
export function prefixWithin(prefix: string, allowed: string): boolean {
  return allowed === '' || prefix === allowed || prefix.startsWith(`${allowed}/`);
}

export interface S3Location {
  readonly bucket: string;
  /** Key prefix, without a trailing slash ('' for the bucket's root). */
  readonly prefix: string;
  readonly region?: string;
  readonly endpoint?: string;
}

/** `s3://bucket/some/prefix` -> bucket and prefix; anything else is an error. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(url);
  if (m === null || !BUCKET_NAME.test(m[1]!)) throw new ExcameraError('invalid-argument', `${url} is not an s3://bucket/prefix address (bucket names are ${BUCKET_NAME_RULE})`);
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  if (!isKeyPrefix(prefix)) {
    throw new ExcameraError('invalid-argument', `${url}: the key prefix must be ${KEY_PREFIX_RULE}`);
  }
  return { bucket: m[1]!, prefix };
}

type S3Sdk = typeof import('@aws-sdk/client-s3');

export class S3Storage implements Storage {
  /** The SDK and its client, loaded on first use: most commands never touch S3. */
  private sdk: Promise<{ sdk: S3Sdk; client: S3Client }> | null = null;
  private readonly settings: NonNullable<ConstructorParameters<typeof S3Client>[0]>;

  constructor(readonly location: S3Location) {
    this.settings = {
      ...awsClientDefaults(location.region),
      ...(location.endpoint !== undefined ? { endpoint: location.endpoint, forcePathStyle: true } : {}),
      // Checksums only where S3 requires them: stand-ins store streamed
      // uploads with checksum framing otherwise.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
  }

  private connect(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    this.sdk ??= import('@aws-sdk/client-s3').then((sdk) => ({ sdk, client: new sdk.S3Client(this.settings) }));
    return this.sdk;
  }

  private key(key: string): string {
    return this.location.prefix === '' ? key : `${this.location.prefix}/${key}`;
  }

  private where(key: string): string {
    return `s3://${this.location.bucket}/${this.key(key)}`;
  }

  async get(key: string): Promise<Uint8Array> {
    const { sdk, client } = await this.connect();
    try {
      const r = await client.send(new sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(key) }));
      if (r.Body === undefined) throw new ExcameraError('invalid-argument', `${this.where(key)} has no body`);
      return await r.Body.transformToByteArray();
    } catch (e) {
      if (e instanceof sdk.NoSuchKey) throw new ExcameraError('invalid-argument', `storage has no ${this.where(key)}`);
      if (e instanceof ExcameraError) throw e;
      throw new ExcameraError('invalid-argument', `cannot read ${this.where(key)}: ${(e as Error).message}`);
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const { sdk, client } = await this.connect();
    try {
      await client.send(new sdk.PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(key), Body: bytes }));
    } catch (e) {
      throw new ExcameraError('invalid-argument', `cannot write ${this.where(key)}: ${(e as Error).message}`);
    }
  }

  close(): void {
    void this.sdk?.then(({ client }) => client.destroy());
  }
}
