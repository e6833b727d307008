import { randomBytes } from 'node:crypto';
import { scryptHash, verifyScryptHash, type ScryptCost } from '../auth/scryptHash.js';

/**
 * Meter secrets: 192 random bits, shown once, stored only as a scrypt hash.
 * The secret is random rather than chosen by a person, so the work factor only
 * has to make a stolen registry useless, not slow down a dictionary: N = 2^12
 * keeps a reconnect storm of a few hundred meters to seconds on a Raspberry Pi.
 * (People's passwords use a stronger cost: hub/auth/passwordHash.ts.)
 */

// N = 2^12: 4 MiB per hash. Measured (test/bench/RESULTS.md): at 2^14 each login
// held 16 MiB and four run at once in libuv's pool, pushing the hub's resident
// memory well past its 120 MB budget. A 192-bit random secret needs no
// brute-force resistance from the hash; scrypt only keeps a stolen registry useless.
const METER_SECRET_COST: ScryptCost = { N: 4096, r: 8, p: 1 };

export function generateMeterSecret(): string {
  return randomBytes(24).toString('base64url');
}

export function hashMeterSecret(secret: string): Promise<string> {
  return scryptHash(secret, METER_SECRET_COST);
}

export function verifyMeterSecret(secret: string, stored: string): Promise<boolean> {
  return verifyScryptHash(secret, stored);
}
