import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { scryptCostOf, scryptHash, verifyScryptHash } from '../../hub/auth/scryptHash.js';
import { hashMeterSecret, verifyMeterSecret } from '../../hub/broker/meterSecret.js';
import { hashPassword, PASSWORD_COST, verifyPasswordHash } from '../../hub/auth/passwordHash.js';

const test = suite('scrypt hashes: one format for meter secrets and passwords, each with its own cost');

// Made by meterSecret.ts before the scrypt code moved to hub/auth/scryptHash.ts: meters
// registered then must still log in.
const EARLIER_METER_HASH = 'scrypt$16384$8$1$1jNwGOZSlwb60DVMThVUNg$Ul-7vspMsHzWjgDZhXnZa7UD7TDlQUeYpzeANtPcdVQ';

test('meter secret hashes made before the move still verify, and new ones keep the cheaper meter cost', async () => {
  assert.ok(await verifyMeterSecret('kat-secret-for-format-check', EARLIER_METER_HASH));
  assert.not.ok(await verifyMeterSecret('kat-secret-for-format-check!', EARLIER_METER_HASH));
  const fresh = await hashMeterSecret('another secret');
  assert.equal(scryptCostOf(fresh), { N: 4096, r: 8, p: 1 });
  assert.ok(await verifyMeterSecret('another secret', fresh));
});

test('password hashes use the stronger password cost, written into the hash', async () => {
  const stored = await hashPassword('kettle orchard 42 lantern');
  assert.equal(scryptCostOf(stored), { ...PASSWORD_COST });
  assert.ok(PASSWORD_COST.N * PASSWORD_COST.p > 16384, 'more work per guess than a meter secret');
  assert.ok(await verifyPasswordHash('kettle orchard 42 lantern', stored));
  assert.not.ok(await verifyPasswordHash('kettle orchard 42 lanter', stored));
  assert.not.ok(await verifyPasswordHash('kettle orchard 42 lantern', null), 'no user: false, after the same work');
});

test('a password typed with a differently composed accent is the same password', async () => {
  const composed = 'Zo\u00eb allotment shed';
  const decomposed = 'Zoe\u0308 allotment shed';
  assert.is.not(composed, decomposed);
  assert.ok(await verifyPasswordHash(decomposed, await hashPassword(composed)));
});

test('malformed or absurd hashes are refused without running scrypt on them', async () => {
  const good = await scryptHash('x', { N: 1024, r: 8, p: 1 });
  assert.ok(await verifyScryptHash('x', good));
  for (const bad of [
    '',
    'bcrypt$2b$10$abc',
    good.replace('scrypt$1024', 'scrypt$1000'), // not a power of two
    good.replace('scrypt$1024', `scrypt$${2 ** 30}`), // would need 1 TiB
    good.replace('$8$1$', '$8$999$'),
    `${good}$extra`,
  ]) {
    assert.is(scryptCostOf(bad), null, bad);
    assert.not.ok(await verifyScryptHash('x', bad), bad);
  }
});

test.run();
