import { randomBytes } from 'node:crypto';
import { scryptHash, verifyScryptHash, type ScryptCost } from '../auth/scryptHash.js';

/**
 * Meter secrets: 192 random bits, shown once, stored only as a scrypt hash.
 * The secret is random rather than chosen by a person, so the work factor only
 * has to make a stolen registry useless, not slow down a dictionary: N = 2^14
 * keeps a reconnect storm of a few hundred meters to seconds on a Raspberry Pi.
 * (People's passwords use a stronger cost: hub/auth/passwordHash.ts.)
 */

const METER_SECRET_COST: ScryptCost = { N: 16384, r: 8, p: 1 };

export function generateMeterSecret(): string {
  return randomBytes(24).toString('base64url');
}

export function hashMeterSecret(secret: string): Promise<string> {
  return scryptHash(secret, METER_SECRET_COST);
}

export function verifyMeterSecret(secret: string, stored: string): Promise<boolean> {
  return verifyScryptHash(secret, stored);
}
