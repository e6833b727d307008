import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ADMIN_ENDPOINT_FILE, ADMIN_TOKEN_FILE } from '../admin/adminServer.js';
import { USER_ROUTES } from '../admin/userRoutes.js';
import { openUserCommands, type UserCommands } from '../auth/userCommands.js';
import { acquireDataDirLock, isProcessAlive, readLockOwner } from '../storage/dataDirLock.js';

/** User commands through a running hub's admin API, or on the files of a stopped hub under its lock. */
export async function withUserCommands<T>(dataDirOption: string, run: (commands: UserCommands) => Promise<T>): Promise<T> {
  const dataDir = resolve(dataDirOption);
  const owner = readLockOwner(dataDir);
  if (owner && isProcessAlive(owner.pid)) {
    const url = (JSON.parse(await readFile(join(dataDir, ADMIN_ENDPOINT_FILE), 'utf8')) as { url: string }).url;
    const token = (await readFile(join(dataDir, ADMIN_TOKEN_FILE), 'utf8')).trim();
    const call = async <R>(method: string, path: string, body?: unknown): Promise<R> => {
      const response = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const answer = (await response.json().catch(() => ({}))) as R & { error?: string };
      if (!response.ok) throw new Error(answer.error ?? `The hub answered ${response.status} to ${method} ${path}.`);
      return answer;
    };
    return run({
      addUser: (input) => call('POST', USER_ROUTES.users, input),
      listUsers: () => call('GET', USER_ROUTES.users),
      removeUser: (username) => call('DELETE', USER_ROUTES.user.replace(':username', encodeURIComponent(username))),
      setPassword: () => Promise.reject(new Error('Change a password with the hub stopped, or remove and add the user again.')),
    });
  }
  const lock = acquireDataDirLock(dataDir);
  try {
    return await run(await openUserCommands(dataDir));
  } finally {
    lock.release();
  }
}
