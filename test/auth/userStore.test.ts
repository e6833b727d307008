import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openUserStore, UserStoreError, type UserStore } from '../../hub/auth/userStore.js';
import { passwordProblem } from '../../hub/auth/passwordPolicy.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('user store: users.json holds hashes, never passwords');
const NOW = Date.UTC(2026, 5, 1, 12, 0);
const ANNA = 'kettle orchard 42 lantern';
let tmp: { dir: string; remove(): Promise<void> };
let users: UserStore;

test.before(async () => {
  tmp = await makeTempDir('commonwatt-users-');
  users = await openUserStore(tmp.dir);
  await users.addUser({ username: 'Anna', displayName: 'Anna Smith', role: 'group', password: ANNA }, NOW);
});
test.after(async () => {
  await tmp.remove();
});

async function refusal(run: () => Promise<unknown>): Promise<UserStoreError> {
  try {
    await run();
  } catch (error) {
    assert.instance(error, UserStoreError);
    return error as UserStoreError;
  }
  throw new Error('expected a refusal');
}

test('users.json holds a scrypt hash with its parameters, never the password, and only the hub user can read it', async () => {
  const text = await readFile(join(tmp.dir, 'users.json'), 'utf8');
  assert.not.ok(text.includes(ANNA), 'the password is not in the file');
  assert.not.ok(text.includes('kettle'), 'no part of it either');
  const document = JSON.parse(text) as { version: number; users: Array<Record<string, string>> };
  assert.is(document.version, 1);
  assert.equal(Object.keys(document.users[0]!).sort(), ['createdAt', 'displayName', 'passwordHash', 'role', 'username']);
  assert.match(document.users[0]!.passwordHash!, /^scrypt\$32768\$8\$3\$[\w-]{22}\$[\w-]{43}$/);
  assert.is(document.users[0]!.username, 'anna', 'usernames are kept in lower case');
  assert.is((await stat(join(tmp.dir, 'users.json'))).mode & 0o777, 0o600);
});

test('nothing the store answers carries the hash', async () => {
  const all = users.listUsers();
  assert.equal(all, [{ username: 'anna', displayName: 'Anna Smith', role: 'group', createdAt: new Date(NOW).toISOString() }]);
  assert.equal(users.user('ANNA'), all[0]);
  assert.equal(await users.verifyPassword('anna', ANNA), all[0]);
  assert.not.ok(JSON.stringify([all, users.user('anna')]).includes('scrypt'));
});

test('the right password signs in, in any case of username; a wrong one or an unknown user does not', async () => {
  assert.is((await users.verifyPassword(' Anna ', ANNA))?.username, 'anna');
  assert.is(await users.verifyPassword('anna', 'kettle orchard 42 lanterns'), null);
  assert.is(await users.verifyPassword('anna', ANNA.toUpperCase()), null, 'passwords are case-sensitive');
  assert.is(await users.verifyPassword('nobody', ANNA), null);
});

test('an unknown username costs as much time as a known one, so usernames cannot be probed by timing', async () => {
  const time = async (username: string) => {
    const start = process.hrtime.bigint();
    await users.verifyPassword(username, 'not the password at all');
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 3; i++) {
    known.push(await time('anna'));
    unknown.push(await time(`nobody-${i}`));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
  assert.ok(median(known) > 30, `a password check is a real scrypt (took ${median(known)} ms)`);
  assert.ok(
    median(unknown) > median(known) * 0.6 && median(unknown) < median(known) * 1.6,
    `unknown ${median(unknown).toFixed(0)} ms vs known ${median(known).toFixed(0)} ms`,
  );
});

test('weak passwords are refused with the reason and the fix, naming the field but never repeating the password', async () => {
  const cases: Array<[string, RegExp]> = [
    ['short one', /--password: must be at least 12 characters \(got 9\); choose three or four unrelated words/],
    ['password1234', /--password: is too easy to guess: it is built from a common password/],
    ['P@ssw0rd2024', /too easy to guess/],
    ['qwerty123456', /too easy to guess/],
    ['Summer2024!!', /too easy to guess/],
    ['123456789012', /too easy to guess/],
    ['bobby-bobby-1234', /too easy to guess/], // the username
    ['BobBuilder1985', /too easy to guess/], // the display name
    ['aaaaaaaaaaaaaaaa', /uses only 1 different character,/],
    ['xyz12xyz12xyz12', /the same few characters repeated/],
    ['tab\tinside password', /must not contain control characters/],
    ['x'.repeat(300), /must be at most 256 characters/],
  ];
  for (const [password, reason] of cases) {
    const error = await refusal(() => users.addUser({ username: 'bobby', displayName: 'Bob Builder', role: 'volunteer', password }, NOW));
    assert.is(error.code, 'invalid');
    assert.match(error.message, reason, password);
    if (password.length >= 6) assert.not.ok(error.message.includes(password), `the message does not repeat ${JSON.stringify(password)}`);
  }
  assert.is(users.user('bobby'), undefined, 'no weak user was added');
  for (const good of ['correct horse battery staple', 'hR7!kq2Lm9zX', 'elephant-tuesday-lamp', 'Zoë’s allotment shed']) {
    assert.is(passwordProblem(good, { username: 'bobby' }), null, good);
  }
});

test('usernames, display names, roles and duplicates are checked with messages naming the field', async () => {
  const bad = await refusal(() => users.addUser({ username: 'a b', role: 'volunteer', password: 'rhubarb tandem 77 comet' }, NOW));
  assert.match(bad.message, /^--username: must be 2–32 characters, starting with a letter/);
  const name = await refusal(() => users.addUser({ username: 'bea', displayName: 'line\nbreak', role: 'volunteer', password: 'rhubarb tandem 77 comet' }, NOW));
  assert.match(name.message, /^--display-name: must be 1–100 characters on one line/);
  const role = await refusal(() => users.addUser({ username: 'bea', role: 'boss' as 'admin', password: 'rhubarb tandem 77 comet' }, NOW));
  assert.match(role.message, /^--role: must be volunteer, group, admin \(got "boss"\)/);
  const twice = await refusal(() => users.addUser({ username: 'ANNA', role: 'volunteer', password: 'rhubarb tandem 77 comet' }, NOW));
  assert.is(twice.code, 'conflict');
  assert.match(twice.message, /--username: "anna" already exists; pick another, or change its password with `commonwatt users password anna`/);
});

test('two users added at once are both kept, and the same name added twice at once is refused once', async () => {
  const [a, b, c] = await Promise.allSettled([
    users.addUser({ username: 'carl', role: 'volunteer', password: 'rhubarb tandem 77 comet' }, NOW),
    users.addUser({ username: 'dora', role: 'admin', password: 'velvet quarry 19 parsnip' }, NOW),
    users.addUser({ username: 'carl', role: 'admin', password: 'velvet quarry 19 parsnip' }, NOW),
  ]);
  assert.is(a.status, 'fulfilled');
  assert.is(b.status, 'fulfilled');
  assert.is(c.status, 'rejected');
  const reopened = await openUserStore(tmp.dir);
  assert.equal(reopened.listUsers().map((u) => `${u.username}:${u.role}`), ['anna:group', 'carl:volunteer', 'dora:admin']);
});

test('a new password replaces the old one on disk; removing a user forgets them', async () => {
  await users.setPassword('carl', 'marble picnic 31 harbour');
  assert.is(await users.verifyPassword('carl', 'rhubarb tandem 77 comet'), null);
  assert.is((await users.verifyPassword('carl', 'marble picnic 31 harbour'))?.username, 'carl');
  const weak = await refusal(() => users.setPassword('carl', 'carl12345678'));
  assert.match(weak.message, /too easy to guess/);
  const removed = await users.removeUser('carl');
  assert.is(removed.username, 'carl');
  assert.is(await users.verifyPassword('carl', 'marble picnic 31 harbour'), null);
  const missing = await refusal(() => users.removeUser('carl'));
  assert.is(missing.code, 'not_found');
  assert.match(missing.message, /User "carl" does not exist; see `commonwatt users list`/);
  assert.not.ok((await readFile(join(tmp.dir, 'users.json'), 'utf8')).includes('"carl"'));
});

test('a users.json that is not a user list stops the store from opening, saying which file and what to do', async () => {
  const other = await makeTempDir('commonwatt-users-');
  await writeFile(join(other.dir, 'users.json'), JSON.stringify({ version: 1, users: [{ username: 'x y', role: 'boss' }] }));
  const error = await openUserStore(other.dir).then(
    () => null,
    (e: Error) => e.message,
  );
  assert.match(String(error), /users\.json does not hold a valid user list \(users\.0\.username: .*; users\.0\.role: .*\)\. Restore it from a backup\./);
  await other.remove();
});

test.run();
