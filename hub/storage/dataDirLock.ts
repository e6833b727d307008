import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

export interface LockOwner {
  pid: number;
  startedAt: string;
}

export const LOCK_FILE = 'hub.lock';

/**
 * Makes the hub the only writer of its data directory. The lock file holds the
 * owner's pid; a lock left by a process that no longer exists (power cut,
 * SIGKILL) is taken over.
 */
export function acquireDataDirLock(dataDir: string, now: () => number = Date.now): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      const owner: LockOwner = { pid: process.pid, startedAt: new Date(now()).toISOString() };
      writeSync(fd, JSON.stringify(owner));
      closeSync(fd);
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          try {
            unlinkSync(file);
          } catch {
            // already gone: nothing to give back
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new Error(`Cannot create lock file ${file}: ${(error as Error).message}. Check that the data directory is writable.`, {
          cause: error,
        });
      }
      const owner = readLockOwner(dataDir);
      if (owner && isProcessAlive(owner.pid)) {
        throw new Error(
          `The data directory ${dataDir} is in use by a running hub (pid ${owner.pid}, started ${owner.startedAt}). Stop it first, or use its admin API through the CLI.`,
        );
      }
      unlinkSync(file); // stale: its process is gone
    }
  }
  throw new Error(`Cannot take the lock ${file}; another process keeps creating it.`);
}

export function readLockOwner(dataDir: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' ? owner : null;
  } catch {
    return null;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
