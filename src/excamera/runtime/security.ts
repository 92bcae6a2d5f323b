// Who may talk to a job (docs/runtime.md, "Security").
//
// Every job makes its own credentials: an ECDSA P-256 key pair with a
// self-signed certificate, a 32-byte secret and a 16-byte job id. The
// private key never leaves the coordinator's process. A worker receives, in
// its invocation payload, only the certificate's SHA-256 fingerprint, the job
// id, its number and its token — HMAC-SHA256(secret, job id || worker) — so:
//  - a worker talks only to the real coordinator or rendezvous (it pins the
//    fingerprint; no certificate authority is involved), and
//  - the coordinator and the rendezvous admit only the job's workers (they
//    recompute the token), and one worker cannot pose as another.
//
// The connections that use all this — pinning on a worker's side, the hello
// check on the listeners' — are made in message-socket.ts.
//
// Node.js can use certificates but not make them, so `selfSignedCertificate`
// writes the few DER structures of an X.509 v3 certificate itself.

import { createHash, createHmac, createPublicKey, generateKeyPairSync, randomBytes, sign, timingSafeEqual, type KeyObject } from 'node:crypto';

export interface JobCredentials {
  /** PEM: stays in the coordinator's process. */
  readonly privateKey: string;
  readonly certificate: string;
  /** SHA-256 of the certificate's DER bytes, as Node.js prints it (AB:CD:...). */
  readonly fingerprint: string;
  readonly secret: Uint8Array;
  readonly jobId: Uint8Array;
}

// ---- DER, the little of it a certificate needs -------------------------------

function der(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Uint8Array.from([tag, ...length, ...content]);
}

const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const sequence = (...parts: Uint8Array[]): Uint8Array => der(0x30, cat(...parts));

function oid(text: string): Uint8Array {
  const [a, b, ...rest] = text.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [40 * a + b];
  for (const v of rest) {
    const base128 = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) base128.unshift(0x80 | (x & 0x7f));
    bytes.push(...base128);
  }
  return der(0x06, Uint8Array.from(bytes));
}

/** A positive INTEGER from big-endian bytes. */
function integer(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return der(0x02, v[0]! & 0x80 ? cat(Uint8Array.of(0), v) : v);
}

function utcTime(d: Date): Uint8Array {
  const two = (n: number): string => String(n).padStart(2, '0');
  const text = `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  return der(0x17, new TextEncoder().encode(text));
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';

/**
 * A self-signed X.509 v3 certificate for `privateKey` (ECDSA P-256), named
 * `commonName`, valid from `notBefore` for `days` days.
 */
export function selfSignedCertificate(privateKey: KeyObject, commonName: string, notBefore: Date, days: number): string {
  const publicKeyInfo = new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
  const name = sequence(der(0x31, sequence(oid(COMMON_NAME), der(0x0c, new TextEncoder().encode(commonName)))));
  const algorithm = sequence(oid(ECDSA_WITH_SHA256));
  const tbs = sequence(
    der(0xa0, der(0x02, Uint8Array.of(2))), // version 3
    integer(randomBytes(16)),
    algorithm,
    name,
    sequence(utcTime(notBefore), utcTime(new Date(notBefore.getTime() + days * 86_400_000))),
    name,
    publicKeyInfo,
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const certificate = sequence(tbs, algorithm, der(0x03, cat(Uint8Array.of(0), new Uint8Array(signature))));
  const base64 = Buffer.from(certificate).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
}

/** The SHA-256 fingerprint of a PEM certificate, as Node.js's getPeerCertificate().fingerprint256 prints it. */
export function fingerprintOf(certificatePem: string): string {
  const body = certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const digest = createHash('sha256').update(Buffer.from(body, 'base64')).digest('hex').toUpperCase();
  return digest.match(/../g)!.join(':');
}

/** Fresh credentials for one job (see the file comment). */
export function createJobCredentials(now: Date = new Date()): JobCredentials {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // An hour of slack for clocks that disagree; a job lasts minutes.
  const certificate = selfSignedCertificate(privateKey, 'excamera-job', new Date(now.getTime() - 3_600_000), 2);
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificate,
    fingerprint: fingerprintOf(certificate),
    secret: new Uint8Array(randomBytes(32)),
    jobId: new Uint8Array(randomBytes(16)),
  };
}

/** Worker `worker`'s token: HMAC-SHA256(secret, job id || worker as 4 big-endian bytes). */
export function workerToken(secret: Uint8Array, jobId: Uint8Array, worker: number): Uint8Array {
  if (!(Number.isInteger(worker) && worker >= 0 && worker <= 0xffffffff)) throw new RangeError(`a worker number must be a u32, got ${worker}`);
  const id = Buffer.alloc(4);
  id.writeUInt32BE(worker);
  return new Uint8Array(createHmac('sha256', secret).update(jobId).update(id).digest());
}

/** Whether `token` is worker `worker`'s token for this job (compared in constant time). */
export function verifyWorkerToken(secret: Uint8Array, jobId: Uint8Array, worker: number, token: Uint8Array): boolean {
  if (token.length !== 32 || !(Number.isInteger(worker) && worker >= 0 && worker <= 0xffffffff)) return false;
  return timingSafeEqual(workerToken(secret, jobId, worker), token);
}

/** A server whose certificate is not the pinned one (message-socket.ts's connectPinned refuses it before sending a byte). */
export class PinningError extends Error {
  constructor(readonly expected: string, readonly got: string | null) {
    super(got === null ? 'the server presented no certificate' : `the server's certificate ${got} is not the job's ${expected}`);
    this.name = 'PinningError';
  }
}
