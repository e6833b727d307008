import { openUserStore, USER_ROLES, UserStoreError, type User, type UserRole, type UserStore } from './userStore.js';
import type { SessionStore } from './sessionStore.js';

/**
 * What `commonwatt users ...` and the admin API can do with sign-in users:
 *
 *   commonwatt users add --username U --role R [--display-name N]   (password from stdin or a prompt)
 *   commonwatt users list
 *   commonwatt users remove U
 *   commonwatt users password U                                      (password from stdin or a prompt)
 *
 * Inside a running hub, `sessions` is its session store, so removing a user or changing
 * a password signs that user out everywhere at once. On the data directory of a stopped
 * hub there are no sessions (they live in memory) and `sessions` is null. Passwords
 * arrive as strings; reading them from stdin or a prompt is the CLI's part.
 */

export interface UserCommands {
  addUser(input: { username: string; role: string; displayName?: string | null; password: string }): Promise<User>;
  listUsers(): Promise<User[]>;
  removeUser(username: string): Promise<{ user: User; sessionsEnded: number }>;
  setPassword(username: string, password: string): Promise<{ user: User; sessionsEnded: number }>;
}

export interface UserCommandContext {
  users: UserStore;
  sessions: SessionStore | null;
  now(): number;
}

/** `--role` as typed, checked: volunteer, group or admin. */
export function parseUserRole(value: string): UserRole {
  const role = value.trim().toLowerCase();
  if ((USER_ROLES as readonly string[]).includes(role)) return role as UserRole;
  throw new UserStoreError(
    `--role: must be volunteer (looks after sensors), group (decides what is published) or admin (both, and manages users) (got ${JSON.stringify(value)}).`,
    'invalid',
  );
}

/**
 * One line break at the end is not part of a password: `echo ... |` and a pipe from a
 * file add one. Anything else, spaces included, is.
 */
export function passwordFromInput(text: string): string {
  return text.replace(/\r?\n$/, '');
}

export function createUserCommands(ctx: UserCommandContext): UserCommands {
  return {
    addUser: ({ username, role, displayName, password }) =>
      ctx.users.addUser({ username, role: parseUserRole(role), displayName, password: passwordFromInput(password) }, ctx.now()),

    listUsers: async () => ctx.users.listUsers(),

    async removeUser(username) {
      const user = await ctx.users.removeUser(username);
      return { user, sessionsEnded: ctx.sessions?.endSessionsOf(user.username) ?? 0 };
    },

    async setPassword(username, password) {
      const user = await ctx.users.setPassword(username, passwordFromInput(password));
      // Whoever knew the old password is signed out too; the user signs in again.
      return { user, sessionsEnded: ctx.sessions?.endSessionsOf(user.username) ?? 0 };
    },
  };
}

/**
 * User commands on the data directory of a stopped hub. Hold the data-directory lock
 * while using them (hub/cli/hubAccess.ts does), so a hub cannot start halfway through.
 */
export async function openUserCommands(dataDir: string, now: () => number = Date.now): Promise<UserCommands> {
  return createUserCommands({ users: await openUserStore(dataDir), sessions: null, now });
}
