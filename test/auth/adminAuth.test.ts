import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import Fastify, { type FastifyInstance } from 'fastify';
import { ADMIN_AUTH_ROUTES, registerAdminAuth, requireRole, roleAllows, SESSION_COOKIE } from '../../hub/auth/adminAuth.js';
import { createSessionStore, SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, type SessionStore } from '../../hub/auth/sessionStore.js';
import { openUserStore, type UserStore } from '../../hub/auth/userStore.js';
import { createUserCommands } from '../../hub/auth/userCommands.js';
import { createLogger } from '../../hub/log/createLogger.js';
import { manualClock, type ManualClock } from '../helpers/manualClock.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('admin sign-in over HTTP: cookie, CSRF, origin, roles, throttling, expiry');

const PASSWORDS = { vera: 'rhubarb tandem 77 comet', gina: 'velvet quarry 19 parsnip', ada: 'marble picnic 31 harbour' } as const;
const HOUR = 60 * 60_000;

let tmp: { dir: string; remove(): Promise<void> };
let users: UserStore;
const openApps: TestApp[] = [];

interface TestApp {
  base: string;
  origin: string;
  clock: ManualClock;
  sessions: SessionStore;
  logs: string[];
  close(): Promise<void>;
}

/** A real Fastify app on a free loopback port with sign-in and a few guarded routes. */
async function startApp(options: { secureCookies?: boolean } = {}): Promise<TestApp> {
  const clock = manualClock();
  const sessions = createSessionStore({ clock });
  const logs: string[] = [];
  // Trusting X-Forwarded-For from loopback lets one test play clients at several addresses.
  const app: FastifyInstance = Fastify({ logger: false, trustProxy: '127.0.0.1' });
  await registerAdminAuth(app, {
    users,
    sessions,
    clock,
    logger: createLogger({ level: 'info', destination: { write: (line: string) => void logs.push(line) } }),
    secureCookies: options.secureCookies ?? false,
  });
  app.get('/api/admin/test/devices', { preHandler: requireRole('volunteer') }, async () => ({ page: 'devices' }));
  app.get('/api/admin/test/decisions', { preHandler: requireRole('group') }, async () => ({ page: 'decisions' }));
  app.post('/api/admin/test/decisions', { preHandler: requireRole('group') }, async () => ({ recorded: true }));
  app.get('/api/admin/test/anyone', async (request) => ({ hello: request.adminUser?.username }));
  app.get('/api/public/figures', async () => ({ figures: [] }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const started = { base: `http://127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}`, clock, sessions, logs, close: () => app.close() };
  openApps.push(started);
  return started;
}

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
  headers: Headers;
  /** The cw_session cookie this answer sets, as `name=value` for a Cookie header, or null. */
  cookie: string | null;
  setCookie: string | null;
}

async function call(
  app: TestApp,
  method: string,
  path: string,
  options: { cookie?: string | null; csrf?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie) headers.cookie = options.cookie;
  if (options.csrf) headers['x-csrf-token'] = options.csrf;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(app.base + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? null;
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
    headers: response.headers,
    setCookie,
    cookie: setCookie ? setCookie.split(';')[0]! : null,
  };
}

async function signIn(app: TestApp, username: string, password: string, headers: Record<string, string> = {}) {
  const answer = await call(app, 'POST', ADMIN_AUTH_ROUTES.session, { body: { username, password }, headers });
  return { ...answer, csrf: typeof answer.body?.csrfToken === 'string' ? answer.body.csrfToken : null };
}

async function signedIn(app: TestApp, username: keyof typeof PASSWORDS) {
  const answer = await signIn(app, username, PASSWORDS[username]);
  assert.is(answer.status, 200, `${username} signs in`);
  return { cookie: answer.cookie!, csrf: answer.csrf! };
}

test.before(async () => {
  tmp = await makeTempDir('commonwatt-auth-');
  users = await openUserStore(tmp.dir);
  const now = Date.UTC(2026, 5, 1);
  await Promise.all([
    users.addUser({ username: 'vera', displayName: 'Vera (sensors)', role: 'volunteer', password: PASSWORDS.vera }, now),
    users.addUser({ username: 'gina', displayName: 'Gina (group)', role: 'group', password: PASSWORDS.gina }, now),
    users.addUser({ username: 'ada', displayName: 'Ada (admin)', role: 'admin', password: PASSWORDS.ada }, now),
  ]);
});
test.after.each(async () => {
  // Closed here rather than at the end of each test, so a failing test leaves no server running.
  await Promise.all(openApps.splice(0).map((app) => app.close()));
});
test.after(async () => {
  await tmp.remove();
});

test('signing in sets an HttpOnly, SameSite=Strict session cookie and answers who you are with a CSRF token', async () => {
  const app = await startApp();
  const answer = await signIn(app, 'Gina', PASSWORDS.gina);
  assert.is(answer.status, 200);
  assert.equal({ ...answer.body, csrfToken: 'x' }, { username: 'gina', displayName: 'Gina (group)', role: 'group', csrfToken: 'x' });
  assert.match(answer.csrf!, /^[\w-]{43}$/);
  const attributes = answer.setCookie!.split(';').map((a) => a.trim().toLowerCase());
  assert.match(answer.cookie!, new RegExp(`^${SESSION_COOKIE}=[\\w-]{43}$`));
  assert.ok(attributes.includes('httponly'), answer.setCookie!);
  assert.ok(attributes.includes('samesite=strict'), answer.setCookie!);
  assert.ok(attributes.includes('path=/'), answer.setCookie!);
  assert.not.ok(attributes.includes('secure'), 'not Secure by default: the hub serves plain HTTP on its LAN');
  assert.not.ok(attributes.some((a) => a.startsWith('max-age') || a.startsWith('expires')), 'ends with the browser session');
  assert.is(answer.headers.get('cache-control'), 'no-store');
  assert.not.ok(JSON.stringify(answer.body).includes(PASSWORDS.gina));

  const me = await call(app, 'GET', ADMIN_AUTH_ROUTES.session, { cookie: answer.cookie });
  assert.is(me.status, 200);
  assert.equal(me.body, answer.body, 'who am I gives the same answer and token');
  assert.equal((await call(app, 'GET', '/api/admin/test/anyone', { cookie: answer.cookie })).body, { hello: 'gina' });
});

test('with secureCookies the session cookie is also Secure', async () => {
  const app = await startApp({ secureCookies: true });
  const answer = await signIn(app, 'vera', PASSWORDS.vera);
  assert.ok(answer.setCookie!.split(';').map((a) => a.trim()).includes('Secure'), answer.setCookie!);
});

test('a wrong password and an unknown user get the same 401, and each failure is logged without the password', async () => {
  const app = await startApp();
  const wrong = await signIn(app, 'gina', 'velvet quarry 19 parsnips');
  const unknown = await signIn(app, 'ghost', 'velvet quarry 19 parsnips');
  assert.is(wrong.status, 401);
  assert.is(unknown.status, 401);
  assert.equal(wrong.body, { error: 'wrong username or password' });
  assert.equal(unknown.body, wrong.body, 'nothing tells whether the user exists');
  assert.is(wrong.setCookie, null);
  const refusals = app.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => /sign-in refused/.test(String(l.msg)));
  assert.equal(refusals.map((l) => l.username), ['gina', 'ghost']);
  assert.equal(refusals.map((l) => l.address), ['127.0.0.1', '127.0.0.1']);
  assert.not.ok(app.logs.join('\n').includes('parsnips'), 'no password in the log');
  assert.not.ok(app.logs.join('\n').includes('velvet'), 'no part of it either');

  const malformed = await call(app, 'POST', ADMIN_AUTH_ROUTES.session, { body: { username: 'gina' } });
  assert.is(malformed.status, 400);
  assert.match(String(malformed.body?.error), /^send \{"username": "\.\.\.", "password": "\.\.\."\} as JSON \(password: /);
});

test('without a session, admin routes answer 401 in plain words; public routes are untouched', async () => {
  const app = await startApp();
  for (const path of [ADMIN_AUTH_ROUTES.session, '/api/admin/test/anyone', '/api/admin/test/devices']) {
    const answer = await call(app, 'GET', path);
    assert.is(answer.status, 401, path);
    assert.match(String(answer.body?.error), /^not signed in, or the session has ended .*; sign in with POST \/api\/admin\/session$/);
  }
  const forged = await call(app, 'GET', '/api/admin/test/anyone', { cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` });
  assert.is(forged.status, 401);
  assert.ok(forged.setCookie, 'a dead cookie is cleared');
  const open = await call(app, 'GET', '/api/public/figures');
  assert.is(open.status, 200);
  assert.is(open.headers.get('cache-control'), null);
});

test('after 5 failures for one username, it is refused with 429 and Retry-After from any address; others still sign in', async () => {
  const app = await startApp();
  for (let i = 1; i <= 5; i++) {
    const answer = await signIn(app, 'gina', `wrong guess number ${i}`, { 'x-forwarded-for': `10.0.0.${i}` });
    assert.is(answer.status, 401, `failure ${i}`);
  }
  const locked = await signIn(app, 'gina', PASSWORDS.gina, { 'x-forwarded-for': '10.0.0.6' });
  assert.is(locked.status, 429, 'even the right password, from a fresh address');
  assert.is(locked.headers.get('retry-after'), '30');
  assert.equal(locked.body, { error: 'too many failed sign-ins; wait 30 seconds and try again' });
  assert.is(locked.setCookie, null);
  assert.is((await signIn(app, 'vera', PASSWORDS.vera, { 'x-forwarded-for': '10.0.0.6' })).status, 200, 'another user is not locked out');

  app.clock.advance(20_000);
  assert.is((await signIn(app, 'gina', PASSWORDS.gina, { 'x-forwarded-for': '10.0.0.7' })).headers.get('retry-after'), '10');
  app.clock.advance(10_000);
  assert.is((await signIn(app, 'gina', 'wrong guess number 6', { 'x-forwarded-for': '10.0.0.7' })).status, 401, 'free to try after the wait');
  const longer = await signIn(app, 'gina', PASSWORDS.gina, { 'x-forwarded-for': '10.0.0.8' });
  assert.is(longer.status, 429);
  assert.is(longer.headers.get('retry-after'), '60', 'each further failure doubles the wait');
  app.clock.advance(60_000);
  assert.is((await signIn(app, 'gina', PASSWORDS.gina, { 'x-forwarded-for': '10.0.0.8' })).status, 200);
});

test('after 5 failures from one address, it is refused for every username; other addresses are not', async () => {
  const app = await startApp();
  const usernames = ['ada', 'nobody', 'root', 'gina', 'admin'];
  for (const username of usernames) {
    assert.is((await signIn(app, username, 'wrong guess again', { 'x-forwarded-for': '10.0.1.1' })).status, 401);
  }
  const locked = await signIn(app, 'vera', PASSWORDS.vera, { 'x-forwarded-for': '10.0.1.1' });
  assert.is(locked.status, 429);
  assert.is(locked.headers.get('retry-after'), '30');
  assert.is((await signIn(app, 'vera', PASSWORDS.vera, { 'x-forwarded-for': '10.0.1.2' })).status, 200);
});

test('guesses sent all at once cannot slip past the limit while the first ones are being checked', async () => {
  const app = await startApp();
  const answers = await Promise.all(
    Array.from({ length: 8 }, (_, i) => signIn(app, 'ada', `parallel wrong guess ${i}`, { 'x-forwarded-for': `10.0.2.${i + 1}` })),
  );
  assert.equal(answers.map((a) => a.status).sort(), [401, 401, 401, 401, 401, 429, 429, 429]);
});

test('a change without the CSRF token, or with a wrong one, is refused with 403; with it, it goes through', async () => {
  const app = await startApp();
  const gina = await signedIn(app, 'gina');
  const ada = await signedIn(app, 'ada');
  const missing = await call(app, 'POST', '/api/admin/test/decisions', { cookie: gina.cookie, body: {} });
  assert.is(missing.status, 403);
  assert.equal(missing.body, { error: 'missing x-csrf-token header: send the csrfToken from GET /api/admin/session with every change' });
  const wrong = await call(app, 'POST', '/api/admin/test/decisions', { cookie: gina.cookie, csrf: 'x'.repeat(43), body: {} });
  assert.is(wrong.status, 403);
  assert.equal(wrong.body, { error: 'x-csrf-token does not match this session; reload the page to get the current token' });
  const someoneElses = await call(app, 'POST', '/api/admin/test/decisions', { cookie: gina.cookie, csrf: ada.csrf, body: {} });
  assert.is(someoneElses.status, 403, 'a token belongs to its session');
  const right = await call(app, 'POST', '/api/admin/test/decisions', { cookie: gina.cookie, csrf: gina.csrf, body: {} });
  assert.is(right.status, 200);
  assert.equal(right.body, { recorded: true });
  assert.is((await call(app, 'GET', '/api/admin/test/decisions', { cookie: gina.cookie })).status, 200, 'reading needs no token');
});

test('a cross-site request is refused even with the right token, and so is a cross-site sign-in', async () => {
  const app = await startApp();
  const gina = await signedIn(app, 'gina');
  const post = (headers: Record<string, string>) => call(app, 'POST', '/api/admin/test/decisions', { cookie: gina.cookie, csrf: gina.csrf, body: {}, headers });
  const crossSite: Array<Record<string, string>> = [
    { origin: 'http://evil.example' },
    { origin: 'null' },
    { 'sec-fetch-site': 'cross-site' },
    { origin: 'http://127.0.0.1:1' }, // same host, another port: another origin
  ];
  for (const headers of crossSite) {
    const answer = await post(headers);
    assert.is(answer.status, 403, JSON.stringify(headers));
    assert.equal(answer.body, { error: 'cross-site request refused: changes to the hub can only be made from its own pages' });
  }
  assert.is((await post({ origin: app.origin, 'sec-fetch-site': 'same-origin' })).status, 200, 'the hub\'s own pages');
  const signOut = await call(app, 'DELETE', ADMIN_AUTH_ROUTES.session, { cookie: gina.cookie, csrf: gina.csrf, headers: { origin: 'http://evil.example' } });
  assert.is(signOut.status, 403, 'no other site can sign you out');
  const loginCsrf = await signIn(app, 'gina', PASSWORDS.gina, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' });
  assert.is(loginCsrf.status, 403, 'no other site can sign a browser in to its own account');
  assert.is(loginCsrf.setCookie, null);
});

test('roles: a volunteer cannot reach group routes, a group member cannot reach device routes, an admin reaches both', async () => {
  const app = await startApp();
  const vera = await signedIn(app, 'vera');
  const gina = await signedIn(app, 'gina');
  const ada = await signedIn(app, 'ada');
  assert.equal((await call(app, 'GET', '/api/admin/test/devices', { cookie: vera.cookie })).body, { page: 'devices' });
  const veraDecisions = await call(app, 'GET', '/api/admin/test/decisions', { cookie: vera.cookie });
  assert.is(veraDecisions.status, 403);
  assert.equal(veraDecisions.body, { error: 'this needs the group role (or admin); you are signed in as "vera", whose role is volunteer' });
  const veraPost = await call(app, 'POST', '/api/admin/test/decisions', { cookie: vera.cookie, csrf: vera.csrf, body: {} });
  assert.is(veraPost.status, 403, 'a valid CSRF token does not lift the role check');
  const ginaDevices = await call(app, 'GET', '/api/admin/test/devices', { cookie: gina.cookie });
  assert.is(ginaDevices.status, 403);
  assert.match(String(ginaDevices.body?.error), /^this needs the volunteer role \(or admin\)/);
  assert.is((await call(app, 'GET', '/api/admin/test/devices', { cookie: ada.cookie })).status, 200);
  assert.is((await call(app, 'GET', '/api/admin/test/decisions', { cookie: ada.cookie })).status, 200);
  assert.is((await call(app, 'POST', '/api/admin/test/decisions', { cookie: ada.cookie, csrf: ada.csrf, body: {} })).status, 200);

  assert.ok(roleAllows('admin', ['group']));
  assert.not.ok(roleAllows('group', ['volunteer']));
  assert.ok(roleAllows('group', ['volunteer', 'group']));
  assert.throws(() => (requireRole as (...r: string[]) => unknown)(), /name at least one role/);
});

test('signing out needs the CSRF token, then ends the session: the old cookie no longer works', async () => {
  const app = await startApp();
  const vera = await signedIn(app, 'vera');
  assert.is((await call(app, 'DELETE', ADMIN_AUTH_ROUTES.session, { cookie: vera.cookie })).status, 403);
  assert.is((await call(app, 'GET', ADMIN_AUTH_ROUTES.session, { cookie: vera.cookie })).status, 200, 'a refused sign-out leaves the session');
  const out = await call(app, 'DELETE', ADMIN_AUTH_ROUTES.session, { cookie: vera.cookie, csrf: vera.csrf });
  assert.is(out.status, 204);
  assert.match(out.setCookie!, new RegExp(`^${SESSION_COOKIE}=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)`), 'the browser drops the cookie');
  assert.is((await call(app, 'GET', ADMIN_AUTH_ROUTES.session, { cookie: vera.cookie })).status, 401, 'and a kept copy is useless');
  assert.is(app.sessions.size(), 0);
});

test('signing in again from the same browser ends its previous session', async () => {
  const app = await startApp();
  const first = await signedIn(app, 'vera');
  const second = await signIn(app, 'ada', PASSWORDS.ada, { cookie: first.cookie });
  assert.is(second.status, 200);
  assert.is((await call(app, 'GET', ADMIN_AUTH_ROUTES.session, { cookie: first.cookie })).status, 401);
  assert.equal((await call(app, 'GET', ADMIN_AUTH_ROUTES.session, { cookie: second.cookie })).body?.username, 'ada');
  assert.is(app.sessions.size(), 1);
});

test('a session ends after 12 hours unused, and 7 days after sign-in however much it is used', async () => {
  const app = await startApp();
  const idle = await signedIn(app, 'vera');
  app.clock.advance(SESSION_IDLE_MS - 60_000);
  assert.is((await call(app, 'GET', ADMIN_AUTH_ROUTES.session, { cookie: idle.cookie })).status, 200);
  app.clock.advance(SESSION_IDLE_MS - 60_000);
  assert.is((await call(app, 'GET', ADMIN_AUTH_ROUTES.session, { cookie: idle.cookie })).status, 200, 'use restarts the 12 hours');
  app.clock.advance(SESSION_IDLE_MS);
  const expired = await call(app, 'GET', '/api/admin/test/devices', { cookie: idle.cookie });
  assert.is(expired.status, 401);
  assert.match(String(expired.body?.error), /after 12 hours unused, 7 days, or signing out/);

  const busy = await signedIn(app, 'gina');
  const start = app.clock.now();
  for (let t = 10 * HOUR; t < SESSION_ABSOLUTE_MS; t += 10 * HOUR) {
    app.clock.set(start + t);
    assert.is((await call(app, 'GET', '/api/admin/test/decisions', { cookie: busy.cookie })).status, 200);
  }
  app.clock.set(start + SESSION_ABSOLUTE_MS);
  assert.is((await call(app, 'GET', '/api/admin/test/decisions', { cookie: busy.cookie })).status, 401);
});

test('removing a user ends their sessions at once, also when users.json changed behind the session store', async () => {
  const app = await startApp();
  const now = app.clock.now();
  await users.addUser({ username: 'tom', role: 'volunteer', password: 'saffron ladder 58 otter' }, now);
  await users.addUser({ username: 'tim', role: 'volunteer', password: 'saffron ladder 58 otter' }, now);
  const tom = [await signIn(app, 'tom', 'saffron ladder 58 otter'), await signIn(app, 'tom', 'saffron ladder 58 otter')];
  const tim = await signIn(app, 'tim', 'saffron ladder 58 otter');

  const commands = createUserCommands({ users, sessions: app.sessions, now: app.clock.now });
  assert.is((await commands.removeUser('tom')).sessionsEnded, 2);
  for (const s of tom) assert.is((await call(app, 'GET', '/api/admin/test/devices', { cookie: s.cookie })).status, 401);

  await users.removeUser('tim'); // without telling the session store
  assert.is((await call(app, 'GET', '/api/admin/test/devices', { cookie: tim.cookie })).status, 401);
  assert.is(app.sessions.size(), 0);
});

test.run();
