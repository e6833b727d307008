import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Meter secrets: 192 random bits, shown once, stored only as a scrypt hash.
 * The secret is random rather than chosen by a person, so the work factor only
 * has to make a stolen registry useless, not slow down a dictionary: N = 2^14
 * keeps a reconnect storm of a few hundred meters to seconds on a Raspberry Pi.
 */

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

export function generateMeterSecret(): string {
  return randomBytes(24).toString('base64url');
}

function derive(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, { N: n, r, p, maxmem: 128 * n * r * 2 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashMeterSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyMeterSecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(secret, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
