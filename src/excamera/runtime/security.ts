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
// Node.js can use certificates but not make them: the certificate's ASN.1
// structures (RFC 5280) are built and DER-encoded by @peculiar/asn1-x509 and
// signed with Node.js's crypto, so the private key stays a Node.js KeyObject.
// That library (with @peculiar/asn1-schema and asn1js) takes about 50 ms to
// load, and only a coordinator making a job's credentials needs it: it is
// loaded on first use, not when a worker or `excamera --help` loads this file.

import { createHmac, createPublicKey, generateKeyPairSync, randomBytes, sign, timingSafeEqual, X509Certificate, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Asn1Ecc from '@peculiar/asn1-ecc';
import type * as Asn1Schema from '@peculiar/asn1-schema';
import type * as Asn1X509 from '@peculiar/asn1-x509';
import { ExcameraError } from '../errors.js';

export interface JobCredentials {
  /** PEM: stays in the coordinator's process. */
  readonly privateKey: string;
  readonly certificate: string;
  /** SHA-256 of the certificate's DER bytes, as Node.js prints it (AB:CD:...). */
  readonly fingerprint: string;
  readonly secret: Uint8Array;
  readonly jobId: Uint8Array;
}

interface CertificateLibrary {
  readonly schema: typeof Asn1Schema;
  readonly x509: typeof Asn1X509;
  readonly ecc: typeof Asn1Ecc;
}

let library: CertificateLibrary | undefined;

/** The ASN.1 library, loaded (synchronously, through require) the first time a certificate is made. */
function certificateLibrary(): CertificateLibrary {
  if (library === undefined) {
    const require = createRequire(import.meta.url);
    library = {
      schema: require('@peculiar/asn1-schema') as typeof Asn1Schema,
      x509: require('@peculiar/asn1-x509') as typeof Asn1X509,
      ecc: require('@peculiar/asn1-ecc') as typeof Asn1Ecc,
    };
  }
  return library;
}

/** id-at-commonName (RFC 5280, appendix A). */
const COMMON_NAME = '2.5.4.3';

/**
 * A self-signed X.509 v3 certificate (PEM) for `privateKey` (ECDSA P-256,
 * signed with SHA-256), named `commonName`, valid from `notBefore` for `days`
 * days.
 */
export function selfSignedCertificate(privateKey: KeyObject, commonName: string, notBefore: Date, days: number): string {
  const { schema, x509, ecc } = certificateLibrary();
  const name = new x509.Name([new x509.RelativeDistinguishedName([new x509.AttributeTypeAndValue({ type: COMMON_NAME, value: new x509.AttributeValue({ utf8String: commonName }) })])]);
  // A random serial number, positive and minimal as DER wants it: the first byte's top bit clear, its next bit set.
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const tbsCertificate = new x509.TBSCertificate({
    version: x509.Version.v3,
    serialNumber: toArrayBuffer(serial),
    signature: ecc.ecdsaWithSHA256,
    issuer: name,
    validity: new x509.Validity({ notBefore, notAfter: new Date(notBefore.getTime() + days * 86_400_000) }),
    subject: name,
    subjectPublicKeyInfo: schema.AsnConvert.parse(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }), x509.SubjectPublicKeyInfo),
  });
  const signature = sign('sha256', new Uint8Array(schema.AsnConvert.serialize(tbsCertificate)), { key: privateKey, dsaEncoding: 'der' });
  const certificate = new x509.Certificate({ tbsCertificate, signatureAlgorithm: ecc.ecdsaWithSHA256, signatureValue: toArrayBuffer(signature) });
  // Node.js reads the DER back (a malformed certificate would throw here) and writes the PEM.
  return new X509Certificate(new Uint8Array(schema.AsnConvert.serialize(certificate))).toString();
}

/** A copy of `bytes` in an ArrayBuffer of its own (the ASN.1 library takes ArrayBuffers). */
const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => Uint8Array.from(bytes).buffer;

/** The SHA-256 fingerprint of a PEM certificate, as Node.js's getPeerCertificate().fingerprint256 prints it (AB:CD:...). */
export function fingerprintOf(certificatePem: string): string {
  return new X509Certificate(certificatePem).fingerprint256;
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
export class PinningError extends ExcameraError {
  constructor(readonly expected: string, readonly got: string | null) {
    super('untrusted-peer', got === null ? 'the server presented no certificate' : `the server's certificate ${got} is not the job's ${expected}`);
    this.name = 'PinningError';
  }
}
