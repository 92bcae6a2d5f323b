// The local backend: each worker is a Node.js process on this machine,
// started with its invocation payload on stdin, stopped with SIGKILL when the
// coordinator gives up on it. A process that ends before it quits is
// reported, so the coordinator does not wait for its time limit.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Launcher } from './shell.js';
import type { Invocation } from './invocation.js';

/** The compiled worker entry point (also when this module runs from source, as under the tests). */
export function workerMainPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, 'worker-main.js');
  return existsSync(sibling) ? sibling : join(here, '..', '..', '..', 'dist', 'src', 'excamera', 'runtime', 'worker-main.js');
}

export class LocalLauncher implements Launcher {
  onExit?: (worker: number, reason: string) => void;
  private readonly children = new Map<number, ChildProcess>();
  private closing = false;

  constructor(private readonly options: { readonly stderr?: 'inherit' | 'ignore' } = {}) {}

  /** The running worker processes (for tests that kill one). */
  get pids(): ReadonlyMap<number, number> {
    return new Map([...this.children].map(([w, c]) => [w, c.pid ?? -1]));
  }

  invoke(worker: number, payload: Invocation): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [workerMainPath()], { stdio: ['pipe', 'ignore', this.options.stderr ?? 'inherit'] });
      child.once('error', (e) => reject(e));
      child.once('spawn', () => {
        this.children.set(worker, child);
        child.stdin!.end(JSON.stringify(payload));
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.children.delete(worker);
        if (!this.closing && code !== 0) this.onExit?.(worker, signal !== null ? `its process was killed (${signal})` : `its process exited with status ${code}`);
      });
    });
  }

  terminate(worker: number): void {
    this.children.get(worker)?.kill('SIGKILL');
  }

  async close(): Promise<void> {
    this.closing = true;
    const waits = [...this.children.values()].map((c) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()))));
    // Workers that were told to quit end by themselves; give them a moment, then stop the rest.
    const timer = setTimeout(() => {
      for (const c of this.children.values()) c.kill('SIGKILL');
    }, 2000);
    await Promise.all(waits);
    clearTimeout(timer);
  }
}
