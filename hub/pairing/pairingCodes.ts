import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { DurableJsonAdapter } from '../storage/durableJsonAdapter.js';

/**
 * One-time pairing codes, so a volunteer never types a meter secret: the hub
 * makes a short code for a new meter (`meters add --pairing-code`), and the
 * sensor node trades it once for fresh credentials (`sensor pair`). Codes
 * expire after 15 minutes, work once, and are stored only as SHA-256 hashes in
 * pairing.json; failed attempts from one address are limited.
 */

export const PAIRING_CODE_TTL_MS = 15 * 60_000;
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no 0/O, 1/I

interface PairingRecord {
  codeHash: string;
  meterId: string;
  expiresAt: number;
  usedAt: number | null;
}

export class PairingError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 410 | 429,
  ) {
    super(message);
  }
}

export interface PairingCodes {
  create(meterId: string, now: number): Promise<{ code: string; expiresAt: number }>;
  /** Marks the code used and returns its meter, or throws a PairingError. */
  redeem(code: string, address: string, now: number): Promise<string>;
}

const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 15 * 60_000;

export async function openPairingCodes(dataDir: string): Promise<PairingCodes> {
  const db = new Low<{ codes: PairingRecord[] }>(new DurableJsonAdapter(join(dataDir, 'pairing.json')), { codes: [] });
  await db.read();
  const failures = new Map<string, { count: number; first: number }>();

  return {
    async create(meterId, now) {
      const bytes = randomBytes(8);
      let raw = '';
      for (const byte of bytes) raw += ALPHABET[byte % ALPHABET.length];
      const code = `${raw.slice(0, 4)}-${raw.slice(4)}`;
      const expiresAt = now + PAIRING_CODE_TTL_MS;
      await db.update((d) => {
        d.codes = d.codes.filter((c) => c.expiresAt > now && c.usedAt === null && c.meterId !== meterId);
        d.codes.push({ codeHash: hash(code), meterId, expiresAt, usedAt: null });
      });
      return { code, expiresAt };
    },

    async redeem(code, address, now) {
      const f = failures.get(address);
      if (f && now - f.first < FAILURE_WINDOW_MS && f.count >= MAX_FAILURES) {
        throw new PairingError(`too many wrong pairing codes from ${address}; wait ${Math.ceil((f.first + FAILURE_WINDOW_MS - now) / 60_000)} minutes`, 429);
      }
      const fail = (error: PairingError) => {
        const entry = f && now - f.first < FAILURE_WINDOW_MS ? f : { count: 0, first: now };
        entry.count++;
        failures.set(address, entry);
        return error;
      };
      const normalised = code.trim().toUpperCase().replace(/[^A-Z0-9]/g, '');
      if (!/^[A-Z0-9]{8}$/.test(normalised)) throw fail(new PairingError(`pairing code "${code}" is not 8 letters and digits like "K7QM-4TXP"`, 400));
      const record = db.data.codes.find((c) => c.codeHash === hash(`${normalised.slice(0, 4)}-${normalised.slice(4)}`));
      if (!record) throw fail(new PairingError('unknown pairing code; check it, or make a new one with `commonwatt meters add ... --pairing-code`', 404));
      if (record.usedAt !== null) throw fail(new PairingError('this pairing code was already used; make a new one on the hub', 410));
      if (record.expiresAt <= now) throw fail(new PairingError('this pairing code has expired (codes last 15 minutes); make a new one on the hub', 410));
      await db.update(() => {
        record.usedAt = now;
      });
      failures.delete(address);
      return record.meterId;
    },
  };
}

function hash(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}
