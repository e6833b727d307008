import { timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../config/clock.js';
import type { Logger } from '../log/createLogger.js';
import { createLoginThrottle } from '../broker/loginThrottle.js';
import { PasswordHashBusyError } from './passwordHash.js';
import type { SessionStore } from './sessionStore.js';
import type { UserRole, UserStore } from './userStore.js';

/**
 * Sign-in for the admin surface of the public HTTP server (ARCHITECTURE.md "HTTP":
 * `/api/admin/...` is for signed-in volunteers and group members).
 *
 * Routes:
 * - POST   /api/admin/session {username, password}: signs in, sets the session cookie,
 *   answers {username, displayName, role, csrfToken}.
 * - GET    /api/admin/session: who is signed in, with the csrfToken (401 if nobody).
 * - DELETE /api/admin/session: signs out (needs the CSRF token).
 *
 * Rules for every route under /api/admin/ (call registerAdminAuth before adding them):
 * - Only signed-in users reach them (401 otherwise); sign-in itself is the exception.
 *   `requireRole(...)` narrows a route to roles.
 * - A request that changes something (any method but GET, HEAD, OPTIONS) must carry
 *   `x-csrf-token` equal to its session's token, and must not come from another site
 *   (`Sec-Fetch-Site: cross-site`, or an `Origin` other than the hub itself). The
 *   origin check covers sign-in too, so no other site can sign a browser in.
 * - Sign-in failures are counted per client address and per username (whether it exists
 *   or not): after 5, further tries are refused with 429 and Retry-After for 30 s, then
 *   60 s, 2 min, ... up to 15 min; every failure is logged, never the password.
 * - Answers are never cached (`Cache-Control: no-store`); errors are `{ error }`.
 *
 * The cookie `cw_session` is HttpOnly (page scripts cannot read it), SameSite=Strict
 * (other sites' pages never make the browser send it) and Path=/. It has no Max-Age,
 * so it ends when the browser closes (a shared computer at the community centre);
 * the server ends it after 12 h idle or 7 days anyway (sessionStore.ts). It is Secure
 * only when `secureCookies` is set: the hub serves plain HTTP on its LAN by default,
 * and a browser would drop a Secure cookie there, so nobody could sign in. Set it
 * whenever the hub is reached over HTTPS (e.g. behind a reverse proxy), which is the
 * only way the cookie and password are not readable on the network.
 *
 * The client address is `request.ip`, so behind a reverse proxy the app needs
 * Fastify's `trustProxy` set to that proxy, or everyone shares one address.
 */

export const SESSION_COOKIE = 'cw_session';
export const CSRF_HEADER = 'x-csrf-token';
export const ADMIN_AUTH_ROUTES = { session: '/api/admin/session' } as const;
export const SIGN_IN_THROTTLE = { freeFailures: 5, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000, forgetAfterMs: 60 * 60_000 } as const;

/** The signed-in user of an admin request, as routes see it in `request.adminUser`. */
export interface SignedInUser {
  username: string;
  displayName: string;
  role: UserRole;
  csrfToken: string;
  sessionId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by registerAdminAuth on routes under /api/admin/: the signed-in user, or null. */
    adminUser: SignedInUser | null;
  }
}

export interface AdminAuthOptions {
  users: Pick<UserStore, 'user' | 'verifyPassword'>;
  sessions: SessionStore;
  clock: Clock;
  logger: Logger;
  /** Mark the cookie Secure: only when browsers reach the hub over HTTPS (see above). */
  secureCookies: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const NOT_SIGNED_IN =
  'not signed in, or the session has ended (after 12 hours unused, 7 days, or signing out); sign in with POST /api/admin/session';

const signInBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

/**
 * Whether a user with `role` may use a route open to `allowed`. An admin may do
 * everything; otherwise the role must be listed: 'group' for the group's decisions,
 * 'volunteer' for devices.
 */
export function roleAllows(role: UserRole, allowed: readonly UserRole[]): boolean {
  return role === 'admin' || allowed.includes(role);
}

/**
 * A preHandler limiting an /api/admin/ route to some roles (admin always passes):
 * 401 when nobody is signed in, 403 naming the role needed otherwise.
 * `app.post('/api/admin/proposals', { preHandler: requireRole('group') }, ...)`
 */
export function requireRole(...roles: [UserRole, ...UserRole[]]) {
  if (roles.length === 0) throw new Error('requireRole: name at least one role (volunteer, group or admin)');
  const allowed = [...roles];
  const needed = `the ${allowed.join(' or ')} role${allowed.length > 1 ? 's' : ''}${allowed.includes('admin') ? '' : ' (or admin)'}`;
  return async function checkRole(request: FastifyRequest, reply: FastifyReply) {
    const route = request.routeOptions.url ?? request.url;
    if (!isAdminRoute(route) || request.adminUser === undefined) {
      throw new Error(`requireRole guards ${request.method} ${route}, but only routes under /api/admin/ on an app with registerAdminAuth have signed-in users`);
    }
    const user = request.adminUser;
    if (!user) return reply.status(401).send({ error: NOT_SIGNED_IN });
    if (!roleAllows(user.role, allowed)) {
      return reply.status(403).send({ error: `this needs ${needed}; you are signed in as "${user.username}", whose role is ${user.role}` });
    }
  };
}

export async function registerAdminAuth(app: FastifyInstance, options: AdminAuthOptions): Promise<void> {
  const { users, sessions, clock } = options;
  const log = options.logger.child({ module: 'admin-auth' });
  const byAddress = createLoginThrottle(SIGN_IN_THROTTLE);
  const byUsername = createLoginThrottle(SIGN_IN_THROTTLE);
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'strict', secure: options.secureCookies } as const;

  if (!app.hasReplyDecorator('setCookie')) await app.register(fastifyCookie);
  app.decorateRequest('adminUser', null);

  function signedIn(request: FastifyRequest): SignedInUser | null {
    const id = request.cookies[SESSION_COOKIE];
    if (!id) return null;
    const session = sessions.use(id);
    if (!session) return null;
    const user = users.user(session.username);
    if (!user) {
      // Removed while signed in (e.g. straight from users.json): none of their sessions stay.
      sessions.endSessionsOf(session.username);
      return null;
    }
    // The role and name come from the user list, so a change applies at once.
    return { username: user.username, displayName: user.displayName, role: user.role, csrfToken: session.csrfToken, sessionId: session.id };
  }

  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (!route || !isAdminRoute(route)) return;
    reply.header('cache-control', 'no-store');
    const changing = !SAFE_METHODS.has(request.method);
    const signingIn = request.method === 'POST' && route === ADMIN_AUTH_ROUTES.session;

    if (changing) {
      const refusal = crossSiteRefusal(request);
      if (refusal) {
        log.warn({ address: request.ip, method: request.method, route, origin: request.headers.origin?.slice(0, 200) }, 'cross-site admin request refused');
        return reply.status(403).send({ error: refusal });
      }
    }
    request.adminUser = signedIn(request);
    if (signingIn) return;
    if (!request.adminUser) {
      if (request.cookies[SESSION_COOKIE]) reply.clearCookie(SESSION_COOKIE, cookieOptions);
      return reply.status(401).send({ error: NOT_SIGNED_IN });
    }
    if (changing) {
      const given = request.headers[CSRF_HEADER];
      if (typeof given !== 'string' || given.length === 0) {
        return reply.status(403).send({
          error: `missing ${CSRF_HEADER} header: send the csrfToken from GET ${ADMIN_AUTH_ROUTES.session} with every change`,
        });
      }
      if (!sameSecret(given, request.adminUser.csrfToken)) {
        log.warn({ address: request.ip, username: request.adminUser.username, method: request.method, route }, 'admin request with a wrong CSRF token refused');
        return reply.status(403).send({ error: `${CSRF_HEADER} does not match this session; reload the page to get the current token` });
      }
    }
  });

  app.post(ADMIN_AUTH_ROUTES.session, async (request, reply) => {
    const body = signInBody.safeParse(request.body);
    if (!body.success) {
      const problems = body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      return reply.status(400).send({ error: `send {"username": "...", "password": "..."} as JSON (${problems})` });
    }
    const address = request.ip;
    const username = body.data.username.trim().toLowerCase();
    const wait = Math.max(byAddress.retryAfterMs(address, clock.now()), byUsername.retryAfterMs(username, clock.now()));
    if (wait > 0) {
      log.warn({ address, username, retryAfterMs: wait }, 'admin sign-in refused: too many failures');
      return reply
        .status(429)
        .header('retry-after', String(Math.ceil(wait / 1000)))
        .send({ error: `too many failed sign-ins; wait ${describeWait(wait)} and try again` });
    }

    // Counted as a failure before the check and cleared on success, so that guesses sent
    // all at once cannot slip past the limit while the first ones are being checked.
    const fromAddress = byAddress.failed(address, clock.now());
    const forUsername = byUsername.failed(username, clock.now());
    let user;
    try {
      user = await users.verifyPassword(username, body.data.password);
    } catch (error) {
      if (!(error instanceof PasswordHashBusyError)) throw error;
      log.warn({ address, username }, 'admin sign-in refused: too many at once');
      return reply.status(503).header('retry-after', '5').send({ error: error.message });
    }
    if (!user) {
      log.warn(
        { address, username, knownUser: users.user(username) !== undefined, failuresFromAddress: fromAddress, failuresForUsername: forUsername },
        'admin sign-in refused: wrong username or password',
      );
      return reply.status(401).send({ error: 'wrong username or password' });
    }

    byAddress.succeeded(address);
    byUsername.succeeded(username);
    // A browser that signs in again, perhaps as someone else, ends its old session.
    if (request.adminUser) sessions.end(request.adminUser.sessionId);
    const session = sessions.create(user);
    reply.setCookie(SESSION_COOKIE, session.id, cookieOptions);
    log.info({ address, username: user.username, role: user.role }, 'admin signed in');
    return { username: user.username, displayName: user.displayName, role: user.role, csrfToken: session.csrfToken };
  });

  app.get(ADMIN_AUTH_ROUTES.session, async (request) => {
    const user = request.adminUser!;
    return { username: user.username, displayName: user.displayName, role: user.role, csrfToken: user.csrfToken };
  });

  app.delete(ADMIN_AUTH_ROUTES.session, async (request, reply) => {
    const user = request.adminUser!;
    sessions.end(user.sessionId);
    reply.clearCookie(SESSION_COOKIE, cookieOptions);
    log.info({ address: request.ip, username: user.username }, 'admin signed out');
    return reply.status(204).send();
  });
}

function isAdminRoute(route: string): boolean {
  return route === '/api/admin' || route.startsWith('/api/admin/');
}

/** Why a state-changing request looks as if another site's page sent it, or null. */
function crossSiteRefusal(request: FastifyRequest): string | null {
  const refusal = 'cross-site request refused: changes to the hub can only be made from its own pages';
  if (request.headers['sec-fetch-site'] === 'cross-site') return refusal;
  const origin = request.headers.origin;
  if (origin === undefined) return null; // not from a browser page (curl, scripts): the CSRF token still applies
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return refusal; // includes "null", sent by sandboxed frames and some redirects
  }
  return host.toLowerCase() === request.host.toLowerCase() ? null : refusal;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function describeWait(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
