import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * The one scrypt hash format of the hub, for meter secrets (hub/broker/meterSecret.ts)
 * and people's passwords (passwordHash.ts): `scrypt$N$r$p$salt$key`, salt 16 bytes,
 * key 32 bytes, both base64url. The cost travels in the string, so raising a cost
 * later leaves existing hashes verifiable. Each caller picks its own cost: a random
 * 192-bit secret needs far less than a password a person chose.
 */

export interface ScryptCost {
  /** CPU/memory cost, a power of two; memory used is about 128 × N × r bytes. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
// Bounds for costs read back from a file, so that an edited hash cannot make the hub
// allocate gigabytes or spin for minutes: 2^20 × 8 × 128 bytes = 1 GiB is beyond any use here.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(secret: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, { N: cost.N, r: cost.r, p: cost.p, maxmem: 128 * cost.N * cost.r * 2 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export async function scryptHash(secret: string, cost: ScryptCost): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(secret, salt, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** The cost a stored hash was made with, or null if the string is not a hash of this format. */
export function scryptCostOf(stored: string): ScryptCost | null {
  const [scheme, n, r, p, salt, key, extra] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key || extra !== undefined) return null;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const valid =
    Number.isSafeInteger(cost.N) && cost.N >= 2 && cost.N <= MAX_N && (cost.N & (cost.N - 1)) === 0 &&
    Number.isSafeInteger(cost.r) && cost.r >= 1 && cost.r <= MAX_R &&
    Number.isSafeInteger(cost.p) && cost.p >= 1 && cost.p <= MAX_P;
  return valid ? cost : null;
}

/** True when `secret` hashes to `stored`; false for a wrong secret or a malformed hash. */
export async function verifyScryptHash(secret: string, stored: string): Promise<boolean> {
  const cost = scryptCostOf(stored);
  if (!cost) return false;
  const [, , , , salt, key] = stored.split('$');
  const expected = Buffer.from(key!, 'base64url');
  const actual = await derive(secret, Buffer.from(salt!, 'base64url'), cost);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
