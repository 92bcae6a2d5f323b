// Local stand-ins for AWS, for the tests only: they live in their own package
// (test/emulators), installed here on first use, so that a user's `npm ci`
// of the product stays small.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SDK_NODE_NOTICE_SWITCH } from '../../src/excamera/runtime/aws.js';
import { ROOT } from './fixtures.js';

const DIR = join(ROOT, 'test', 'emulators');

const installed = (): boolean => ['s3rver', 'serverless', 'serverless-offline'].every((p) => existsSync(join(DIR, 'node_modules', p, 'package.json')));

/**
 * Installs the emulators' package if it is not there yet (npm ci, from its
 * lock file). Test files run in parallel processes, so one installs while
 * the others wait on a lock directory.
 */
export function ensureEmulators(): void {
  const lock = join(DIR, '.installing');
  const deadline = Date.now() + 600_000;
  while (!installed()) {
    try {
      mkdirSync(lock);
    } catch {
      // A lock left by a killed run is stale after the install's own time limit.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`the emulators' install (${lock}) did not finish within 10 minutes`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
      continue;
    }
    try {
      if (!installed()) execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', DIR], { stdio: 'ignore', timeout: 300_000 });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
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

/** A free loopback port (bound, then let go). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The environment of a process started by a test, without the AWS SDK's
 * switch for its Node.js version notice: whether the notice is printed must
 * depend on the product's code, not on a variable the test runner's own
 * process set.
 */
export function childEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...extra })) if (v !== undefined && k !== SDK_NODE_NOTICE_SWITCH) env[k] = v;
  return env;
}

/** The notice the AWS SDK prints under Node.js 20 unless told not to (see src/excamera/runtime/aws.ts). */
export const SDK_NODE_NOTICE = /NodeVersionSupportWarning|AWS SDK for JavaScript/;

/**
 * serverless-offline serving the Lambda Invoke API on a loopback port, for a
 * service directory holding serverless.yml and the unzipped package.
 * `variables` are the environment serverless reads `${env:...}` from (the
 * function's own environment is what serverless.yml gives it).
 */
export async function startServerlessOffline(serviceDir: string, variables: Readonly<Record<string, string>> = {}): Promise<{ endpoint: string; functionName: string; output: () => string; close: () => void }> {
  ensureEmulators();
  const { spawn } = await import('node:child_process');
  const { symlinkSync, copyFileSync } = await import('node:fs');
  copyFileSync(join(DIR, 'lambda', 'serverless.yml'), join(serviceDir, 'serverless.yml'));
  symlinkSync(join(DIR, 'node_modules'), join(serviceDir, 'node_modules'), 'dir');
  // serverless-offline takes port numbers, not port 0, so free ports are picked here and may be
  // taken by another process before it binds them: a start that fails for a busy port is retried
  // with new ones.
  for (let attempt = 1; ; attempt++) {
    const [lambdaPort, httpPort, websocketPort] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, [join(DIR, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'offline', 'start', '--lambdaPort', String(lambdaPort), '--httpPort', String(httpPort), '--websocketPort', String(websocketPort)], {
      cwd: serviceDir,
      env: childEnv({ ...variables, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const started = await new Promise<true | Error>((resolve) => {
      const timer = setTimeout(() => resolve(new Error(`serverless-offline did not start within 60 s:\n${output}`)), 60_000);
      const seen = (d: Buffer): void => {
        output += d.toString();
        if (/listening on http:\/\/localhost:\d+/.test(output)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout!.on('data', seen);
      child.stderr!.on('data', seen);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(new Error(`serverless-offline exited (${code}):\n${output}`));
      });
    });
    if (started !== true) {
      child.kill('SIGKILL');
      if (attempt < 3 && /EADDRINUSE/.test(output)) continue;
      throw started;
    }
    // Keep reading: the functions' own output (console, warnings) arrives here too.
    return { endpoint: `http://127.0.0.1:${lambdaPort}`, functionName: 'excamera-test-dev-worker', output: () => output, close: () => child.kill('SIGKILL') };
  }
}
