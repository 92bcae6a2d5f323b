// The invocation payload: what a worker is told when it is started — who it
// is (its number and token), whom to trust (the job certificate's
// fingerprint), where to connect, where the job's chunks are stored, and the
// job's coding settings. It arrives from outside the process (stdin, a Lambda
// event), so it is checked before anything uses it.
//
// The payload holds no private key: only the certificate's fingerprint, the
// job id, the worker's number and its token (security.ts).

import { ExcameraError } from '../errors.js';
import { S3Storage } from './s3-storage.js';
import { LocalStorage } from './storage.js';
import type { JobSpec, Storage } from './worker.js';

export type StorageSpec =
  | { readonly kind: 'local'; readonly dir: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string; readonly region?: string; readonly endpoint?: string };

export interface Invocation {
  readonly version: 1;
  readonly worker: number;
  /** Hex. */
  readonly jobId: string;
  readonly token: string;
  readonly fingerprint: string;
  readonly coordinator: { readonly host: string; readonly port: number };
  readonly rendezvous: { readonly host: string; readonly port: number };
  readonly storage: StorageSpec;
  readonly spec: JobSpec;
}

/** Checks a payload received from outside before anything uses it. */
export function parseInvocation(json: unknown): Invocation {
  const bad = (why: string): never => {
    throw new ExcameraError('invalid-argument', `invocation payload: ${why}`);
  };
  if (typeof json !== 'object' || json === null) bad('not an object');
  const o = json as Record<string, unknown>;
  if (o.version !== 1) bad(`version ${JSON.stringify(o.version)} (this worker reads 1)`);
  if (!Number.isInteger(o.worker) || (o.worker as number) < 0) bad('worker must be a non-negative integer');
  if (typeof o.jobId !== 'string' || !/^[0-9a-f]{32}$/.test(o.jobId)) bad('jobId must be 32 hex digits');
  if (typeof o.token !== 'string' || !/^[0-9a-f]{64}$/.test(o.token)) bad('token must be 64 hex digits');
  if (typeof o.fingerprint !== 'string' || !/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(o.fingerprint)) bad('fingerprint must be a SHA-256 fingerprint');
  for (const k of ['coordinator', 'rendezvous'] as const) {
    const a = o[k] as Record<string, unknown> | undefined;
    if (typeof a?.host !== 'string' || !Number.isInteger(a.port) || (a.port as number) < 1 || (a.port as number) > 65535) bad(`${k} must be {host, port}`);
  }
  const st = o.storage as Record<string, unknown> | undefined;
  const localOk = st?.kind === 'local' && typeof st.dir === 'string';
  const s3Ok = st?.kind === 's3' && typeof st.bucket === 'string' && typeof st.prefix === 'string' && (st.region === undefined || typeof st.region === 'string') && (st.endpoint === undefined || typeof st.endpoint === 'string');
  if (!localOk && !s3Ok) bad('storage must be {kind: "local", dir} or {kind: "s3", bucket, prefix}');
  const spec = o.spec as Record<string, unknown> | undefined;
  if (typeof spec !== 'object' || spec === null || !Number.isInteger(spec.width) || !Number.isInteger(spec.height) || !Number.isInteger(spec.framesPerChunk) || !Number.isInteger(spec.chunksPerBatch)) bad('spec is incomplete');
  return json as Invocation;
}

export function storageOf(spec: StorageSpec): Storage {
  return spec.kind === 'local' ? new LocalStorage(spec.dir) : new S3Storage(spec);
}
