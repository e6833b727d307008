import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { DurableJsonAdapter } from '../storage/durableJsonAdapter.js';

/**
 * Tokens for the shared tier (PRIVACY-RULES.md "Data tiers"): a named partner
 * sees exactly the figures its recorded decision granted, until it expires.
 * Tokens are shown once and stored as SHA-256 hashes in partner-tokens.json.
 */

interface TokenRecord {
  tokenHash: string;
  audience: string;
  proposalId: string;
  expiresAt: number;
  createdAt: number;
}

export interface PartnerTokens {
  create(proposalId: string, audience: string, expiresAt: number, now: number): Promise<string>;
  /** The audience a token grants at `now`, or null. */
  audienceOf(token: string, now: number): string | null;
}

export async function openPartnerTokens(dataDir: string): Promise<PartnerTokens> {
  const db = new Low<{ tokens: TokenRecord[] }>(new DurableJsonAdapter(join(dataDir, 'partner-tokens.json')), { tokens: [] });
  await db.read();
  const hash = (token: string) => createHash('sha256').update(token).digest('hex');
  return {
    async create(proposalId, audience, expiresAt, now) {
      const token = `cwp_${randomBytes(24).toString('base64url')}`;
      await db.update((d) => void d.tokens.push({ tokenHash: hash(token), audience, proposalId, expiresAt, createdAt: now }));
      return token;
    },
    audienceOf(token, now) {
      const record = db.data.tokens.find((t) => t.tokenHash === hash(token));
      return record && record.expiresAt > now ? record.audience : null;
    },
  };
}
