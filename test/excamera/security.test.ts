// Job credentials: the self-signed certificate is a valid X.509 certificate
// that TLS accepts, a client pinning its fingerprint connects and one pinning
// another is refused before sending anything, and worker tokens are bound to
// the job and the worker.

import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { connectPinned } from '../../src/excamera/runtime/message-socket.js';
import { createJobCredentials, fingerprintOf, PinningError, verifyWorkerToken, workerToken } from '../../src/excamera/runtime/security.js';

describe('job credentials', () => {
  const job = createJobCredentials();
  const other = createJobCredentials();
  const received: Buffer[] = [];
  const server = createServer({ key: job.privateKey, cert: job.certificate, minVersion: 'TLSv1.3' }, (s: TLSSocket) => {
    s.on('data', (d: Buffer) => {
      received.push(d);
      s.write(d);
    });
  });
  const listening = new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('makes a valid self-signed certificate for its own key, with the fingerprint Node.js reports', () => {
    const x509 = new X509Certificate(job.certificate);
    expect(x509.subject).toBe('CN=excamera-job');
    expect(x509.issuer).toBe('CN=excamera-job');
    expect(x509.verify(createPublicKey(createPrivateKey(job.privateKey)))).toBe(true);
    expect(x509.checkPrivateKey(createPrivateKey(job.privateKey))).toBe(true);
    expect(x509.fingerprint256).toBe(job.fingerprint);
    expect(fingerprintOf(job.certificate)).toBe(job.fingerprint);
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(Date.now() + 86_400_000);
    expect(job.fingerprint).not.toBe(other.fingerprint);
    expect(job.secret).toHaveLength(32);
    expect(job.jobId).toHaveLength(16);
  });

  it('connects over TLS 1.3 to the pinned server and talks', async () => {
    const port = await listening;
    const socket = await connectPinned({ host: '127.0.0.1', port, fingerprint: job.fingerprint });
    const echo = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    socket.write('hello');
    expect(await echo).toBe('hello');
    expect(socket.getProtocol()).toBe('TLSv1.3');
    socket.destroy();
  });

  it('refuses a server whose certificate is not the pinned one, before sending a byte', async () => {
    const port = await listening;
    const before = received.length;
    await expect(connectPinned({ host: '127.0.0.1', port, fingerprint: other.fingerprint })).rejects.toBeInstanceOf(PinningError);
    await expect(connectPinned({ host: '127.0.0.1', port, fingerprint: other.fingerprint })).rejects.toThrow(/is not the job's/);
    expect(received.length).toBe(before);
  });

  it('binds tokens to the job and the worker', () => {
    const t3 = workerToken(job.secret, job.jobId, 3);
    expect(t3).toHaveLength(32);
    expect(verifyWorkerToken(job.secret, job.jobId, 3, t3)).toBe(true);
    expect(verifyWorkerToken(job.secret, job.jobId, 4, t3)).toBe(false);
    expect(verifyWorkerToken(other.secret, other.jobId, 3, t3)).toBe(false);
    expect(verifyWorkerToken(job.secret, job.jobId, 3, t3.subarray(0, 31))).toBe(false);
    expect(verifyWorkerToken(job.secret, job.jobId, -1, t3)).toBe(false);
    const flipped = Uint8Array.from(t3);
    flipped[0]! ^= 1;
    expect(verifyWorkerToken(job.secret, job.jobId, 3, flipped)).toBe(false);
  });
});
