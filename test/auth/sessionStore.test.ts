import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSessionStore, SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from '../../hub/auth/sessionStore.js';
import { manualClock } from '../helpers/manualClock.js';

const test = suite('session store: expiry by the clock, bounded, ended with their user');
const HOUR = 60 * 60_000;

test('a session has a 256-bit id and its own CSRF token, and records who and when', () => {
  const clock = manualClock();
  const sessions = createSessionStore({ clock });
  const a = sessions.create({ username: 'anna', role: 'group' });
  const b = sessions.create({ username: 'anna', role: 'group' });
  assert.match(a.id, /^[A-Za-z0-9_-]{43}$/);
  assert.match(a.csrfToken, /^[A-Za-z0-9_-]{43}$/);
  assert.is.not(a.id, b.id);
  assert.is.not(a.csrfToken, b.csrfToken);
  assert.is.not(a.id, a.csrfToken);
  assert.equal({ ...a, id: 'x', csrfToken: 'y' }, { id: 'x', username: 'anna', role: 'group', csrfToken: 'y', createdAt: clock.now(), lastSeenAt: clock.now() });
  assert.ok(Object.isFrozen(a), 'callers cannot change a session');
  assert.is(sessions.use('not-a-session'), undefined);
});

test('a session ends after 12 hours unused; each use restarts the 12 hours', () => {
  const clock = manualClock();
  const sessions = createSessionStore({ clock });
  const { id } = sessions.create({ username: 'vera', role: 'volunteer' });
  clock.advance(SESSION_IDLE_MS - 1);
  assert.is(sessions.use(id)?.lastSeenAt, clock.now());
  clock.advance(SESSION_IDLE_MS - 1);
  assert.ok(sessions.use(id), 'still alive: it was used 12 h − 1 ms ago');
  clock.advance(SESSION_IDLE_MS);
  assert.is(sessions.use(id), undefined);
  assert.is(sessions.size(), 0, 'an expired session is gone, not just hidden');
});

test('a session ends 7 days after sign-in even when used all the time', () => {
  const clock = manualClock();
  const sessions = createSessionStore({ clock });
  const start = clock.now();
  const { id } = sessions.create({ username: 'vera', role: 'volunteer' });
  for (let t = 11 * HOUR; t < SESSION_ABSOLUTE_MS; t += 11 * HOUR) {
    clock.set(start + t);
    assert.ok(sessions.use(id), `alive after ${t / HOUR} h of regular use`);
  }
  clock.set(start + SESSION_ABSOLUTE_MS - 1);
  assert.ok(sessions.use(id));
  clock.set(start + SESSION_ABSOLUTE_MS);
  assert.is(sessions.use(id), undefined, 'ended at 7 days although used a millisecond ago');
});

test('signing out ends one session; ending a user\'s sessions ends all of theirs and no one else\'s', () => {
  const clock = manualClock();
  const sessions = createSessionStore({ clock });
  const phone = sessions.create({ username: 'anna', role: 'group' });
  const laptop = sessions.create({ username: 'anna', role: 'group' });
  const other = sessions.create({ username: 'vera', role: 'volunteer' });
  assert.ok(sessions.end(phone.id));
  assert.not.ok(sessions.end(phone.id));
  assert.ok(sessions.use(laptop.id));
  assert.is(sessions.endSessionsOf('anna'), 1);
  assert.is(sessions.use(laptop.id), undefined);
  assert.ok(sessions.use(other.id));
});

test('the number of sessions is bounded: expired ones go first, then the one unused longest', () => {
  const clock = manualClock();
  const sessions = createSessionStore({ clock, maxSessions: 3, maxSessionsPerUser: 3 });
  const stale = sessions.create({ username: 'a', role: 'volunteer' });
  clock.advance(SESSION_IDLE_MS); // stale is now expired
  const b = sessions.create({ username: 'b', role: 'volunteer' });
  clock.advance(1000);
  const c = sessions.create({ username: 'c', role: 'volunteer' });
  clock.advance(1000);
  const d = sessions.create({ username: 'd', role: 'volunteer' });
  assert.is(sessions.size(), 3);
  assert.is(sessions.use(stale.id), undefined);
  clock.advance(1000);
  sessions.use(b.id); // b is now the most recently used; c the least
  const e = sessions.create({ username: 'e', role: 'volunteer' });
  assert.is(sessions.size(), 3);
  assert.is(sessions.use(c.id), undefined, 'the least recently used session made room');
  for (const s of [b, d, e]) assert.ok(sessions.use(s.id));
});

test('one user cannot fill the table: past their limit their own oldest session ends', () => {
  const clock = manualClock();
  const sessions = createSessionStore({ clock, maxSessions: 100, maxSessionsPerUser: 2 });
  const other = sessions.create({ username: 'vera', role: 'volunteer' });
  const first = sessions.create({ username: 'anna', role: 'group' });
  clock.advance(1);
  const second = sessions.create({ username: 'anna', role: 'group' });
  clock.advance(1);
  const third = sessions.create({ username: 'anna', role: 'group' });
  assert.is(sessions.use(first.id), undefined);
  assert.ok(sessions.use(second.id));
  assert.ok(sessions.use(third.id));
  assert.ok(sessions.use(other.id));
});

test.run();
