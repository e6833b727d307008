import { join } from 'node:path';
import { Low } from 'lowdb';
import { z } from 'zod';
import { DurableJsonAdapter } from '../storage/durableJsonAdapter.js';
import { hashPassword, verifyPasswordHash } from './passwordHash.js';
import { passwordProblem } from './passwordPolicy.js';

/**
 * The people who may sign in to the hub's admin pages, in users.json (mode 0600).
 * Only a scrypt hash of each password is stored (passwordHash.ts), and nothing here
 * ever hands the hash out: every answer is a `User` without it.
 *
 * Roles (ARCHITECTURE.md "Who uses it"): a volunteer looks after devices, the group
 * decides what is published, an admin may do both and manage users. Usernames are
 * case-insensitive (kept in lower case).
 */

export const USER_ROLES = ['volunteer', 'group', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

const USERNAME = /^[a-z][a-z0-9._-]{1,31}$/;

const storedUserSchema = z.object({
  username: z.string().regex(USERNAME),
  displayName: z.string(),
  role: z.enum(USER_ROLES),
  passwordHash: z.string(),
  createdAt: z.string(),
});
const usersSchema = z.object({ version: z.literal(1), users: z.array(storedUserSchema) });

type StoredUser = z.infer<typeof storedUserSchema>;
type UsersDocument = z.infer<typeof usersSchema>;

/** A user as anyone outside this file sees one: never the password hash. */
export interface User {
  username: string;
  displayName: string;
  role: UserRole;
  createdAt: string;
}

export class UserStoreError extends Error {
  constructor(
    message: string,
    readonly code: 'not_found' | 'conflict' | 'invalid',
  ) {
    super(message);
  }
}

export interface UserStore {
  /** Every user, by username. */
  listUsers(): User[];
  /** The user with this username (any case), or undefined. */
  user(username: string): User | undefined;
  /** Adds a user after checking the password policy (passwordPolicy.ts). */
  addUser(input: { username: string; displayName?: string | null; role: UserRole; password: string }, now: number): Promise<User>;
  /**
   * The user when the password is theirs, else null. Always spends one password-cost
   * scrypt, also for a username that does not exist, so timing does not tell which.
   */
  verifyPassword(username: string, password: string): Promise<User | null>;
  setPassword(username: string, password: string): Promise<User>;
  removeUser(username: string): Promise<User>;
}

export async function openUserStore(dataDir: string): Promise<UserStore> {
  const file = join(dataDir, 'users.json');
  const db = new Low<UsersDocument>(new DurableJsonAdapter(file), { version: 1, users: [] });
  await db.read();
  const parsed = usersSchema.safeParse(db.data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`${file} does not hold a valid user list (${problems}). Restore it from a backup.`);
  }
  db.data = parsed.data;

  // Changes run one at a time on a copy, which becomes the document only once it is on
  // disk: two changes never interleave their writes, and a failed write changes nothing.
  let queue: Promise<unknown> = Promise.resolve();
  function change<T>(apply: (users: StoredUser[]) => T): Promise<T> {
    const run = queue.then(async () => {
      const users = db.data.users.map((u) => ({ ...u }));
      const result = apply(users);
      const previous = db.data;
      db.data = { version: 1, users };
      try {
        await db.write();
      } catch (error) {
        db.data = previous;
        throw new Error(`Cannot save ${file}: ${(error as Error).message}. Check the disk, then try again.`, { cause: error });
      }
      return result;
    });
    queue = run.catch(() => {});
    return run;
  }

  const find = (username: string) => db.data.users.find((u) => u.username === normalise(username));
  const notFound = (username: string) =>
    new UserStoreError(`User ${JSON.stringify(username)} does not exist; see \`commonwatt users list\`.`, 'not_found');

  return {
    listUsers: () => db.data.users.map(publicUser).sort((a, b) => (a.username < b.username ? -1 : 1)),

    user(username) {
      const stored = find(username);
      return stored && publicUser(stored);
    },

    async addUser(input, now) {
      const username = normalise(input.username);
      if (!USERNAME.test(username)) {
        throw new UserStoreError(
          `--username: must be 2–32 characters, starting with a letter, then letters, digits, . _ or - (got ${JSON.stringify(input.username)}).`,
          'invalid',
        );
      }
      const displayName = (input.displayName ?? username).trim();
      if (displayName.length === 0 || displayName.length > 100 || /\p{Cc}/u.test(displayName)) {
        throw new UserStoreError(`--display-name: must be 1–100 characters on one line (got ${JSON.stringify(input.displayName)}).`, 'invalid');
      }
      if (!(USER_ROLES as readonly string[]).includes(input.role)) {
        throw new UserStoreError(`--role: must be ${USER_ROLES.join(', ')} (got ${JSON.stringify(input.role)}).`, 'invalid');
      }
      const exists = () =>
        new UserStoreError(`--username: ${JSON.stringify(username)} already exists; pick another, or change its password with \`commonwatt users password ${username}\`.`, 'conflict');
      if (find(username)) throw exists();
      const problem = passwordProblem(input.password, { username, displayName });
      if (problem) throw new UserStoreError(problem, 'invalid');
      const passwordHash = await hashPassword(input.password);
      return change((users) => {
        if (users.some((u) => u.username === username)) throw exists();
        const user: StoredUser = { username, displayName, role: input.role, passwordHash, createdAt: new Date(now).toISOString() };
        users.push(user);
        return publicUser(user);
      });
    },

    async verifyPassword(username, password) {
      const stored = typeof username === 'string' ? find(username) : undefined;
      const ok = await verifyPasswordHash(String(password), stored?.passwordHash ?? null);
      // The user may have been removed while the hash was computed.
      const current = ok && stored ? find(stored.username) : undefined;
      return current && current.passwordHash === stored!.passwordHash ? publicUser(current) : null;
    },

    async setPassword(username, password) {
      const stored = find(username);
      if (!stored) throw notFound(username);
      const problem = passwordProblem(password, { username: stored.username, displayName: stored.displayName });
      if (problem) throw new UserStoreError(problem, 'invalid');
      const passwordHash = await hashPassword(password);
      return change((users) => {
        const user = users.find((u) => u.username === stored.username);
        if (!user) throw notFound(username);
        user.passwordHash = passwordHash;
        return publicUser(user);
      });
    },

    removeUser(username) {
      return change((users) => {
        const index = users.findIndex((u) => u.username === normalise(username));
        if (index < 0) throw notFound(username);
        return publicUser(users.splice(index, 1)[0]!);
      });
    },
  };
}

function normalise(username: string): string {
  return username.trim().toLowerCase();
}

function publicUser(user: StoredUser): User {
  return { username: user.username, displayName: user.displayName, role: user.role, createdAt: user.createdAt };
}
