import { randomBytes } from 'node:crypto';
import type { Clock } from '../config/clock.js';
import type { UserRole } from './userStore.js';

/**
 * Signed-in sessions of the admin pages, in memory only: a hub restart signs
 * everyone out, which on a community-centre Pi is a feature, not a loss.
 *
 * - An id is 32 random bytes (base64url, 43 characters); it is the whole secret of a
 *   session and travels only in the HttpOnly cookie.
 * - Each session has its own CSRF token, which the page sends back in a header
 *   (adminAuth.ts).
 * - A session ends after 12 hours without use (a browser left open at the community
 *   centre) and 7 days after sign-in whatever happens, on sign-out, and when its user
 *   is removed or changes password.
 * - Expiry is checked when a session is used, so nothing runs while nobody is signed in.
 * - The number of sessions is bounded: when full, expired sessions go first, then the
 *   one unused for longest. One user may hold a few sessions (phone, laptop); past
 *   that their own least recently used one ends.
 */

export const SESSION_IDLE_MS = 12 * 60 * 60_000;
export const SESSION_ABSOLUTE_MS = 7 * 24 * 60 * 60_000;

export interface Session {
  readonly id: string;
  readonly username: string;
  readonly role: UserRole;
  readonly csrfToken: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
}

export interface SessionStore {
  create(user: { username: string; role: UserRole }): Session;
  /** The live session with this id, marked as used now; undefined when unknown or expired (and then ended). */
  use(id: string): Session | undefined;
  end(id: string): boolean;
  /** Ends every session of this user; returns how many there were. */
  endSessionsOf(username: string): number;
  size(): number;
}

export interface SessionStoreOptions {
  clock: Clock;
  idleMs?: number;
  absoluteMs?: number;
  maxSessions?: number;
  maxSessionsPerUser?: number;
}

interface Entry {
  id: string;
  username: string;
  role: UserRole;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const idleMs = options.idleMs ?? SESSION_IDLE_MS;
  const absoluteMs = options.absoluteMs ?? SESSION_ABSOLUTE_MS;
  const maxSessions = options.maxSessions ?? 1000;
  const maxPerUser = options.maxSessionsPerUser ?? 10;
  const sessions = new Map<string, Entry>();

  const expired = (s: Entry, now: number) => now - s.lastSeenAt >= idleMs || now - s.createdAt >= absoluteMs;
  const snapshot = (s: Entry): Session => Object.freeze({ ...s });

  function leastRecentlyUsed(candidates: Iterable<Entry>): Entry | undefined {
    let oldest: Entry | undefined;
    for (const s of candidates) if (!oldest || s.lastSeenAt < oldest.lastSeenAt) oldest = s;
    return oldest;
  }

  function makeRoom(username: string, now: number) {
    const own = [...sessions.values()].filter((s) => s.username === username);
    while (own.length >= maxPerUser) {
      const oldest = leastRecentlyUsed(own)!;
      sessions.delete(oldest.id);
      own.splice(own.indexOf(oldest), 1);
    }
    if (sessions.size < maxSessions) return;
    for (const s of sessions.values()) if (expired(s, now)) sessions.delete(s.id);
    while (sessions.size >= maxSessions) sessions.delete(leastRecentlyUsed(sessions.values())!.id);
  }

  return {
    create({ username, role }) {
      const now = options.clock.now();
      makeRoom(username, now);
      const entry: Entry = {
        id: randomBytes(32).toString('base64url'),
        username,
        role,
        csrfToken: randomBytes(32).toString('base64url'),
        createdAt: now,
        lastSeenAt: now,
      };
      sessions.set(entry.id, entry);
      return snapshot(entry);
    },

    use(id) {
      const entry = sessions.get(id);
      if (!entry) return undefined;
      const now = options.clock.now();
      if (expired(entry, now)) {
        sessions.delete(id);
        return undefined;
      }
      entry.lastSeenAt = now;
      return snapshot(entry);
    },

    end: (id) => sessions.delete(id),

    endSessionsOf(username) {
      let ended = 0;
      for (const s of sessions.values()) {
        if (s.username === username) {
          sessions.delete(s.id);
          ended++;
        }
      }
      return ended;
    },

    size: () => sessions.size,
  };
}
