// Fixtures and small helpers shared by the container tests.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ContainerError, type ContainerErrorCode } from '../../src/container/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VECTORS = join(ROOT, 'fixtures', 'vectors');
export const CLIPS = join(ROOT, 'fixtures', 'clips');
export const VECTOR_FILES: readonly string[] = readdirSync(VECTORS).filter((name) => name.endsWith('.ivf')).sort();
export const CLIP_FILES: readonly string[] = readdirSync(CLIPS).filter((name) => name.endsWith('.y4m')).sort();

/** Runs a command, returning stdout; fails the test with stderr when it exits non-zero. */
export function run(command: string, args: readonly string[]): Buffer {
  const result = spawnSync(command, args, { maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr.toString()}`);
  return result.stdout;
}

/** A fresh temporary directory and a function that deletes it. */
export function makeTempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'excamera-container-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The error `fn` throws (or its promise rejects with); fails the test if there is none. */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but none was thrown');
}

/** Asserts that `fn` fails with a ContainerError of `code` and returns it for further checks. */
export async function expectContainerError(fn: () => unknown, code: ContainerErrorCode): Promise<ContainerError> {
  const error = await caught(fn);
  expect(error).toBeInstanceOf(ContainerError);
  const containerError = error as ContainerError;
  expect(containerError.code, containerError.message).toBe(code);
  return containerError;
}

/** A small deterministic PRNG (mulberry32), so fuzz cases are reproducible. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
