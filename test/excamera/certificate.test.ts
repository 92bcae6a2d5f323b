// The job certificate, field by field: an X.509 v3 certificate for an ECDSA
// P-256 key, signed with ECDSA-SHA256 by that key, named CN=<name> as both
// subject and issuer, with a positive 16-byte random serial number and
// exactly the validity asked for — read back both by Node.js (OpenSSL) and by
// the ASN.1 library that wrote it.

import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Version } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { createJobCredentials, fingerprintOf, selfSignedCertificate } from '../../src/excamera/runtime/security.js';

const der = (pem: string): Buffer => Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64');

describe('the job certificate', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = new Date(Date.UTC(2030, 5, 15, 12, 30, 45));
  const pem = selfSignedCertificate(privateKey, 'worker-test', notBefore, 3);
  const node = new X509Certificate(pem);
  const parsed = AsnConvert.parse(der(pem), Certificate);

  it('is a PEM certificate Node.js reads, for the key, self-signed', () => {
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/);
    expect(node.subject).toBe('CN=worker-test');
    expect(node.issuer).toBe('CN=worker-test');
    expect(node.checkPrivateKey(privateKey)).toBe(true);
    expect(node.verify(createPublicKey(privateKey))).toBe(true);
    expect(node.verify(createPublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey))).toBe(false);
    expect(node.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    expect(node.ca).toBe(false);
  });

  it('is valid from notBefore for exactly the days asked', () => {
    expect(new Date(node.validFrom).getTime()).toBe(notBefore.getTime());
    expect(new Date(node.validTo).getTime()).toBe(notBefore.getTime() + 3 * 86_400_000);
  });

  it('is version 3, signed with ECDSA-SHA256, with a positive 16-byte serial number that differs each time', () => {
    expect(parsed.tbsCertificate.version).toBe(Version.v3);
    expect(parsed.signatureAlgorithm.algorithm).toBe('1.2.840.10045.4.3.2');
    expect(parsed.tbsCertificate.signature.algorithm).toBe('1.2.840.10045.4.3.2');
    expect(parsed.signatureAlgorithm.parameters).toBeUndefined();
    const serial = new Uint8Array(parsed.tbsCertificate.serialNumber);
    expect(serial.length).toBe(16);
    expect(serial[0]! & 0x80).toBe(0);
    expect(serial[0]).not.toBe(0);
    expect(node.serialNumber).toBe(Buffer.from(serial).toString('hex').toUpperCase());
    const again = new X509Certificate(selfSignedCertificate(privateKey, 'worker-test', notBefore, 3));
    expect(again.serialNumber).not.toBe(node.serialNumber);
    expect(again.fingerprint256).not.toBe(node.fingerprint256);
  });

  it('names the fingerprint Node.js reports, and refuses what is not a certificate', () => {
    expect(fingerprintOf(pem)).toBe(node.fingerprint256);
    expect(fingerprintOf(pem)).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(() => fingerprintOf('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow();
  });

  it('a job\'s certificate allows an hour of clock skew and lasts two days', () => {
    const now = new Date(Date.UTC(2031, 0, 1));
    const job = new X509Certificate(createJobCredentials(now).certificate);
    expect(new Date(job.validFrom).getTime()).toBe(now.getTime() - 3_600_000);
    expect(new Date(job.validTo).getTime()).toBe(now.getTime() - 3_600_000 + 2 * 86_400_000);
    expect(job.subject).toBe('CN=excamera-job');
  });
});
