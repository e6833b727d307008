import { z } from 'zod';
import { GovernanceError } from './governanceError.js';
import { describeValue } from './inputProblems.js';

/**
 * What a household has agreed to (issue 4, consent register): being counted in
 * neighbourhood aggregates, in the live "solar generation now" figure, and in
 * figures shared with each named partner. No record means no consent.
 */

const partnerName = z
  .string({ error: (issue) => `must be a partner's name (got ${describeValue(issue.input)})` })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(100, { error: (issue) => `must be at most 100 characters (got ${describeValue(issue.input)})` });

export const consentScopesSchema = z.strictObject({
  aggregates: z.boolean({ error: (issue) => `must be true or false (got ${describeValue(issue.input)})` }),
  liveGeneration: z.boolean({ error: (issue) => `must be true or false (got ${describeValue(issue.input)})` }),
  partners: z
    .array(partnerName, { error: (issue) => `must be a list of partner names (got ${describeValue(issue.input)})` })
    .refine((names) => new Set(names).size === names.length, { error: (issue) => `names a partner twice (got ${describeValue(issue.input)})` }),
});

export type ConsentScopes = z.infer<typeof consentScopesSchema>;

/** What a household without a record has agreed to: nothing. */
export const noConsent = (): ConsentScopes => ({ aggregates: false, liveGeneration: false, partners: [] });

/** One scope, as the CLI and the admin API name it when withdrawing: `aggregates`, `liveGeneration` or `partner:NAME`. */
export type ConsentScopeName = 'aggregates' | 'liveGeneration' | `partner:${string}`;

export function parseConsentScopeName(text: string): ConsentScopeName {
  if (text === 'aggregates' || text === 'liveGeneration') return text;
  if (text.startsWith('partner:') && text.slice('partner:'.length).trim().length > 0) return `partner:${text.slice('partner:'.length).trim()}`;
  throw new GovernanceError(
    `Consent scope ${describeValue(text)} is not one this hub knows; use aggregates, liveGeneration or partner:NAME (the partner's name as in its decision).`,
    'invalid',
  );
}

/** The scopes left after withdrawing some (or all) of them. */
export function withoutScopes(scopes: ConsentScopes, withdrawn: readonly ConsentScopeName[] | 'all'): ConsentScopes {
  if (withdrawn === 'all') return noConsent();
  const partners = new Set(withdrawn.filter((name) => name.startsWith('partner:')).map((name) => name.slice('partner:'.length)));
  return {
    aggregates: scopes.aggregates && !withdrawn.includes('aggregates'),
    liveGeneration: scopes.liveGeneration && !withdrawn.includes('liveGeneration'),
    partners: scopes.partners.filter((partner) => !partners.has(partner)),
  };
}
