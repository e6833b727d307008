import { randomBytes } from 'node:crypto';
import { scryptCostOf, scryptHash, verifyScryptHash, type ScryptCost } from './scryptHash.js';

/**
 * Hashes of passwords that people chose. Unlike a meter's 192-bit random secret
 * (hub/broker/meterSecret.ts, N = 2^14), a person's password can be in a
 * dictionary, so each guess against a stolen users.json must cost more:
 * N = 2^15, r = 8, p = 3 is one of the equivalent scrypt settings in the OWASP
 * Password Storage Cheat Sheet, and the one with the least memory (32 MiB), which
 * matters on a Raspberry Pi whose hub should stay near 120 MB resident. About 0.3 s
 * on a 2-core x86 machine, around 1 s on a Pi 4: paid once per sign-in.
 *
 * Passwords are NFKC-normalised first (NIST SP 800-63B 5.1.1.2), so "é" typed on a
 * phone and on a laptop is the same password.
 *
 * At most two hashes run at once and a few more wait; beyond that a sign-in is
 * refused with PasswordHashBusyError, so a burst of requests cannot take the hub's
 * memory or CPU.
 */

export const PASSWORD_COST: ScryptCost = { N: 32768, r: 8, p: 3 };

const MAX_RUNNING = 2;
const MAX_WAITING = 16;

export class PasswordHashBusyError extends Error {
  constructor() {
    super('too many sign-ins at once; try again in a few seconds');
  }
}

// A hash of nothing anyone knows, at the current cost: checking a password against it
// costs the same as against a real user's hash, so a missing username cannot be told
// apart by timing. Its key is random, so no password matches it.
const NOBODY = `scrypt$${PASSWORD_COST.N}$${PASSWORD_COST.r}$${PASSWORD_COST.p}$${randomBytes(16).toString('base64url')}$${randomBytes(32).toString('base64url')}`;

let running = 0;
const waiting: Array<() => void> = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) {
    if (waiting.length >= MAX_WAITING) throw new PasswordHashBusyError();
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    running++;
  }
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next(); // the slot passes straight to the next in line
    else running--;
  }
}

export function hashPassword(password: string): Promise<string> {
  return limited(() => scryptHash(password.normalize('NFKC'), PASSWORD_COST));
}

/**
 * True when `password` matches `stored`. With `stored` null (no such user) or not a
 * hash, it still spends one scrypt at the password cost and answers false.
 */
export function verifyPasswordHash(password: string, stored: string | null): Promise<boolean> {
  const usable = stored !== null && scryptCostOf(stored) !== null;
  return limited(async () => {
    const ok = await verifyScryptHash(password.normalize('NFKC'), usable ? stored : NOBODY);
    return ok && usable;
  });
}
