import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createUserCommands, openUserCommands, parseUserRole } from '../../hub/auth/userCommands.js';
import { openUserStore } from '../../hub/auth/userStore.js';
import { createSessionStore } from '../../hub/auth/sessionStore.js';
import { manualClock } from '../helpers/manualClock.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('users add / list / remove / password');

test('on a stopped hub\'s data directory: add, list, change password, remove', async () => {
  const tmp = await makeTempDir('commonwatt-users-');
  const commands = await openUserCommands(tmp.dir, () => Date.UTC(2026, 0, 2));
  const added = await commands.addUser({ username: 'Vera', role: 'Volunteer', displayName: 'Vera V.', password: 'rhubarb tandem 77 comet\n' });
  assert.equal(added, { username: 'vera', displayName: 'Vera V.', role: 'volunteer', createdAt: '2026-01-02T00:00:00.000Z' });
  await commands.addUser({ username: 'gina', role: 'group', password: 'velvet quarry 19 parsnip' });
  assert.equal((await commands.listUsers()).map((u) => [u.username, u.displayName, u.role]), [
    ['gina', 'gina', 'group'],
    ['vera', 'Vera V.', 'volunteer'],
  ]);

  const store = await openUserStore(tmp.dir);
  assert.ok(await store.verifyPassword('vera', 'rhubarb tandem 77 comet'), 'the line break from a pipe is not part of the password');
  assert.equal(await commands.setPassword('vera', 'marble picnic 31 harbour\r\n'), { user: added, sessionsEnded: 0 });
  assert.ok(await (await openUserStore(tmp.dir)).verifyPassword('vera', 'marble picnic 31 harbour'));
  assert.equal(await commands.removeUser('VERA'), { user: added, sessionsEnded: 0 });
  assert.equal((await commands.listUsers()).map((u) => u.username), ['gina']);
  const text = await readFile(join(tmp.dir, 'users.json'), 'utf8');
  for (const password of ['rhubarb', 'marble', 'velvet']) assert.not.ok(text.includes(password));
  await tmp.remove();
});

test('--role is checked, with what each role may do', () => {
  assert.is(parseUserRole(' ADMIN '), 'admin');
  assert.throws(
    () => parseUserRole('treasurer'),
    /--role: must be volunteer \(looks after sensors\), group \(decides what is published\) or admin \(both, and manages users\) \(got "treasurer"\)/,
  );
});

test('in a running hub, removing a user or changing a password signs that user out everywhere', async () => {
  const tmp = await makeTempDir('commonwatt-users-');
  const clock = manualClock();
  const sessions = createSessionStore({ clock });
  const commands = createUserCommands({ users: await openUserStore(tmp.dir), sessions, now: clock.now });
  await commands.addUser({ username: 'gina', role: 'group', password: 'velvet quarry 19 parsnip' });
  await commands.addUser({ username: 'vera', role: 'volunteer', password: 'rhubarb tandem 77 comet' });
  const gina = [sessions.create({ username: 'gina', role: 'group' }), sessions.create({ username: 'gina', role: 'group' })];
  const vera = sessions.create({ username: 'vera', role: 'volunteer' });

  const changed = await commands.setPassword('gina', 'marble picnic 31 harbour');
  assert.is(changed.sessionsEnded, 2);
  for (const s of gina) assert.is(sessions.use(s.id), undefined);
  assert.ok(sessions.use(vera.id));

  const removed = await commands.removeUser('vera');
  assert.is(removed.sessionsEnded, 1);
  assert.is(sessions.use(vera.id), undefined);
  await tmp.remove();
});

test.run();
