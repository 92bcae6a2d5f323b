// Local stand-ins for AWS, for the tests only: they live in their own package
// (test/emulators), installed here on first use, so that a user's `npm ci`
// of the product stays small.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './fixtures.js';

const DIR = join(ROOT, 'test', 'emulators');

/** Installs the emulators' package if it is not there yet (npm ci, from its lock file). */
export function ensureEmulators(): void {
  if (existsSync(join(DIR, 'node_modules', 's3rver', 'package.json'))) return;
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', DIR], { stdio: 'ignore', timeout: 300_000 });
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

/** An S3 stand-in on a loopback port, with `buckets` created. */
export async function startS3(buckets: string[]): Promise<{ endpoint: string; close: () => Promise<void> }> {
  ensureEmulators();
  const require = createRequire(join(DIR, 'package.json'));
  const S3rver = require('s3rver') as new (options: object) => S3rverInstance;
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: mkdtempSync(join(tmpdir(), 's3rver-')), configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/** Credentials the stand-ins accept. */
export const EMULATOR_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
