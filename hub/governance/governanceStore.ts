import { z } from 'zod';
import { createLocalCalendar } from '../rollups/localTime.js';
import { consentScopesSchema, noConsent, parseConsentScopeName, withoutScopes, type ConsentScopeName, type ConsentScopes } from './consentScopes.js';
import { decisionSchema, type Decision } from './decisionSchema.js';
import { deepFreeze } from './deepFreeze.js';
import { GovernanceError } from './governanceError.js';
import { openHashChainLog, type LogEntry, type LogVerification } from './hashChainLog.js';
import { describeValue, listProblems } from './inputProblems.js';
import { policyDateInstant } from './policyDate.js';
import { proposalSchema, type Proposal } from './proposalSchema.js';

/**
 * The group's record (issue 4, "Governance"): proposals, decisions, the consent
 * register, retention runs and raw-data deletions, all as entries of one
 * hash-chained log in `governance.json`. Everything here is derived from the
 * log; nothing is ever changed or removed, only appended.
 *
 * The policy changes only through an adopted decision and only forward in time;
 * consent changes affect only periods that start at or after the change. If the
 * log is broken (tampered with or damaged), the hub keeps running but appends
 * are refused, `policiesInForce` is empty and `consentAt` is no consent: a hub
 * that cannot trust its record publishes nothing.
 *
 * Dates written as `YYYY-MM-DD` are resolved in the hub's time zone when they
 * are recorded, and the resolved instant is kept in the entry, so a later change
 * of the hub's time zone does not move a policy.
 */

export const ENTRY_TYPES = {
  proposal: 'proposal',
  decision: 'decision',
  consent: 'consent',
  retentionRun: 'retention-run',
  deletion: 'deletion',
} as const;

const isoInstant = z.string().refine((value) => Number.isFinite(Date.parse(value)), { error: (issue) => `must be an ISO 8601 time (got ${describeValue(issue.input)})` });
const householdIdSchema = z
  .string({ error: (issue) => `must be a household id (got ${describeValue(issue.input)})` })
  .trim()
  .min(1, { error: 'must be a household id, as `commonwatt households list` shows it' })
  .max(60, { error: (issue) => `must be at most 60 characters (got ${describeValue(issue.input)})` });
const countsSchema = z.record(
  z.string(),
  z
    .number({ error: (issue) => `must be a count (got ${describeValue(issue.input)})` })
    .int({ error: (issue) => `must be a whole number (got ${describeValue(issue.input)})` })
    .min(0, { error: (issue) => `must be 0 or more (got ${describeValue(issue.input)})` }),
  { error: (issue) => `must be an object of counts like {"readings": 120} (got ${describeValue(issue.input)})` },
);

/** What a retention run did: rows deleted per table, the cutoffs applied, and the error if it failed. */
export const retentionRunSchema = z.strictObject({
  deleted: countsSchema,
  cutoffs: z.record(z.string(), isoInstant).default({}),
  error: z.string().nullable().default(null),
});
export type RetentionRun = z.output<typeof retentionRunSchema>;
export type RetentionRunInput = z.input<typeof retentionRunSchema>;

const proposalEntry = z.strictObject({ id: z.string(), proposal: proposalSchema, timeZone: z.string(), expiresAt: isoInstant.nullable() });
const decisionEntry = z.strictObject({ id: z.string(), decision: decisionSchema, timeZone: z.string(), effectiveAt: isoInstant });
const consentEntry = z.strictObject({
  householdId: z.string(),
  action: z.enum(['set', 'withdraw']),
  /** The scopes in force after this change. */
  scopes: consentScopesSchema,
  /** Version of the consent text agreed to (carried over on withdrawal). */
  textVersion: z.string().nullable(),
  withdrawn: z.union([z.literal('all'), z.array(z.string())]).nullable(),
  deleteRawData: z.boolean(),
});
const deletionEntry = z.strictObject({ householdId: z.string(), counts: countsSchema });

export interface ProposalRecord {
  readonly id: string;
  readonly proposedAt: string;
  readonly proposal: Proposal;
  /** For the shared tier: when the sharing stops, resolved when proposed. */
  readonly expiresAt: string | null;
  readonly status: 'open' | 'adopted' | 'rejected';
  readonly decisionId: string | null;
}

export interface DecisionRecord {
  readonly id: string;
  readonly recordedAt: string;
  readonly decision: Decision;
  /** effectiveFrom as an instant, resolved when recorded. */
  readonly effectiveAt: string;
}

export interface PolicyInForce {
  readonly proposalId: string;
  readonly proposal: Proposal;
  readonly decisionId: string;
  readonly decision: Decision;
  /** ms since the epoch. */
  readonly effectiveFrom: number;
  /** ms since the epoch; null for the open tier. */
  readonly expiresAt: number | null;
}

export interface ConsentRegisterEntry {
  readonly householdId: string;
  /** The scopes in force now. */
  readonly scopes: ConsentScopes;
  /** Version of the consent text last agreed to; null if the household never consented. */
  readonly textVersion: string | null;
  readonly consentedAt: string | null;
  readonly withdrawnAt: string | null;
  readonly changedAt: string;
  readonly rawDataDeletionRequestedAt: string | null;
  readonly rawDataDeletedAt: string | null;
}

export interface ConsentWithdrawal {
  /** Scopes to withdraw (`aggregates`, `liveGeneration`, `partner:NAME`), or 'all'. */
  scopes: readonly string[] | 'all';
  /** The household asks for its raw data to be deleted; the caller deletes it and calls recordDeletion. */
  deleteRawData?: boolean;
}

export interface RetentionRunRecord extends RetentionRun {
  readonly at: string;
}

export interface DeletionRecord {
  readonly householdId: string;
  readonly at: string;
  readonly counts: Readonly<Record<string, number>>;
}

export interface GovernanceStore {
  readonly file: string;
  /** Records a proposal (validated again here) and returns its id, `p-N`. */
  propose(proposal: Proposal, now: number): Promise<string>;
  proposals(): readonly ProposalRecord[];
  proposal(id: string): ProposalRecord | undefined;
  /** Records the one decision on a proposal. Refuses unknown ids, a second decision, backdating. */
  decide(decision: Decision, now: number): Promise<DecisionRecord>;
  decisions(): readonly DecisionRecord[];
  /**
   * The adopted policies that govern a period starting at `start` (and ending at
   * `end`, default `start`): effective at or before `start`, not ended by a
   * replacing decision effective at or before `start`, and for the shared tier
   * not expired before `end`. Empty on a broken log.
   */
  policiesInForce(start: number, end?: number): readonly PolicyInForce[];
  /** Records what a household agrees to from now on (the whole set, replacing the last one). */
  setConsent(householdId: string, scopes: ConsentScopes, textVersion: string, now: number): Promise<ConsentRegisterEntry>;
  /** Withdraws scopes from now on, in one call; says whether the caller must delete the household's raw data. */
  withdrawConsent(householdId: string, withdrawal: ConsentWithdrawal, now: number): Promise<{ scopes: ConsentScopes; deleteRawData: boolean }>;
  /** The scopes governing a period that starts at t. No record, or a broken log, means no consent. */
  consentAt(householdId: string, t: number): ConsentScopes;
  consentRegister(): readonly ConsentRegisterEntry[];
  recordRetentionRun(run: RetentionRunInput, now: number): Promise<RetentionRunRecord>;
  retentionRuns(): readonly RetentionRunRecord[];
  recordDeletion(householdId: string, counts: Readonly<Record<string, number>>, now: number): Promise<DeletionRecord>;
  deletions(): readonly DeletionRecord[];
  /** Re-reads governance.json and checks the chain and every entry. */
  integrity(): Promise<LogVerification>;
}

interface ConsentChange {
  at: number;
  atIso: string;
  data: z.infer<typeof consentEntry>;
}

interface State {
  proposals: ProposalRecord[];
  proposalById: Map<string, ProposalRecord>;
  decisions: DecisionRecord[];
  decisionByProposal: Map<string, DecisionRecord>;
  consent: Map<string, ConsentChange[]>;
  retentionRuns: RetentionRunRecord[];
  deletions: DeletionRecord[];
  /** The first entry that verifies in the chain but does not hold what its type says. */
  invalid: { seq: number; reason: string } | null;
}

export async function openGovernanceStore(dataDir: string, options: { timeZone: string }): Promise<GovernanceStore> {
  const calendar = createLocalCalendar(options.timeZone);
  const log = await openHashChainLog(dataDir);
  const file = log.file;

  let memo: { entries: readonly LogEntry[]; state: State } | null = null;
  function stateOf(entries: readonly LogEntry[]): State {
    if (memo?.entries !== entries) memo = { entries, state: derive(entries, file) };
    return memo.state;
  }
  const state = () => stateOf(log.entries());
  const trusted = () => log.status().ok && state().invalid === null;

  function refuseIfInvalid(s: State, what: string): void {
    if (s.invalid) throw new GovernanceError(`Refusing to record ${what}: ${s.invalid.reason}`, 'broken');
  }

  return {
    file,

    async propose(input, now) {
      const parsed = proposalSchema.safeParse(input);
      if (!parsed.success) {
        const problems = listProblems(parsed.error);
        throw new GovernanceError(`Invalid proposal:\n  ${problems.join('\n  ')}`, 'invalid', problems);
      }
      const proposal = parsed.data;
      const expiresAt = proposal.audience.tier === 'shared' ? new Date(policyDateInstant(proposal.audience.expires, calendar)).toISOString() : null;
      const entry = await log.appendWith(ENTRY_TYPES.proposal, now, (entries) => {
        const s = stateOf(entries);
        refuseIfInvalid(s, 'a proposal');
        return { id: `p-${s.proposals.length + 1}`, proposal, timeZone: calendar.timeZone, expiresAt };
      });
      return (entry.data as { id: string }).id;
    },

    proposals: () => state().proposals,
    proposal: (id) => state().proposalById.get(id),

    async decide(input, now) {
      const parsed = decisionSchema.safeParse(input);
      if (!parsed.success) {
        const problems = listProblems(parsed.error);
        throw new GovernanceError(`Invalid decision:\n  ${problems.join('\n  ')}`, 'invalid', problems);
      }
      const decision = parsed.data;
      const effectiveAt = policyDateInstant(decision.effectiveFrom, calendar);
      const entry = await log.appendWith(ENTRY_TYPES.decision, now, (entries) => {
        const s = stateOf(entries);
        refuseIfInvalid(s, 'a decision');
        const record = s.proposalById.get(decision.proposalId);
        if (!record) {
          throw new GovernanceError(
            `proposalId: ${JSON.stringify(decision.proposalId)} is not a proposal; see \`commonwatt policy show\` for the ids.`,
            'not_found',
          );
        }
        const earlier = s.decisionByProposal.get(decision.proposalId);
        if (earlier) {
          throw new GovernanceError(
            `Proposal ${decision.proposalId} was already ${earlier.decision.outcome} (${earlier.id}, ${earlier.decision.date}); a decision is final. ` +
              `To change the policy, propose again and adopt the new proposal with "replaces": ["${decision.proposalId}"].`,
            'conflict',
          );
        }
        const problems = decisionProblems(decision, record, s, effectiveAt, now);
        if (problems.length > 0) {
          throw new GovernanceError(`Cannot record the decision on ${decision.proposalId}:\n  ${problems.join('\n  ')}`, 'invalid', problems);
        }
        return { id: `d-${s.decisions.length + 1}`, decision, timeZone: calendar.timeZone, effectiveAt: new Date(effectiveAt).toISOString() };
      });
      const id = (entry.data as { id: string }).id;
      return state().decisions.find((d) => d.id === id)!;
    },

    decisions: () => state().decisions,

    policiesInForce(start, end = start) {
      if (!trusted()) return [];
      const s = state();
      const policies: PolicyInForce[] = [];
      for (const decided of s.decisions) {
        if (decided.decision.outcome !== 'adopted') continue;
        const effectiveFrom = Date.parse(decided.effectiveAt);
        if (effectiveFrom > start) continue;
        const replaced = s.decisions.some(
          (other) => other.decision.outcome === 'adopted' && other.decision.replaces.includes(decided.decision.proposalId) && Date.parse(other.effectiveAt) <= start,
        );
        if (replaced) continue;
        const record = s.proposalById.get(decided.decision.proposalId)!;
        const expiresAt = record.expiresAt === null ? null : Date.parse(record.expiresAt);
        if (expiresAt !== null && !(start < expiresAt && end <= expiresAt)) continue;
        policies.push({ proposalId: record.id, proposal: record.proposal, decisionId: decided.id, decision: decided.decision, effectiveFrom, expiresAt });
      }
      return policies;
    },

    async setConsent(householdIdInput, scopesInput, textVersionInput, now) {
      const problems: string[] = [];
      const householdId = field(householdIdSchema, householdIdInput, 'household', problems);
      const scopes = field(consentScopesSchema, scopesInput, 'scopes', problems);
      const textVersion = field(
        z.string({ error: (issue) => `must be the consent text's version (got ${describeValue(issue.input)})` }).trim().min(1, { error: "must name the version of the consent text the household agreed to" }).max(100),
        textVersionInput,
        'textVersion',
        problems,
      );
      if (problems.length > 0) throw new GovernanceError(`Cannot record consent:\n  ${problems.join('\n  ')}`, 'invalid', problems);
      await log.appendWith(ENTRY_TYPES.consent, now, (entries) => {
        refuseIfInvalid(stateOf(entries), 'consent');
        return { householdId, action: 'set', scopes, textVersion, withdrawn: null, deleteRawData: false };
      });
      return registerEntry(householdId!, state());
    },

    async withdrawConsent(householdIdInput, withdrawal, now) {
      const problems: string[] = [];
      const householdId = field(householdIdSchema, householdIdInput, 'household', problems);
      let withdrawn: ConsentScopeName[] | 'all' = 'all';
      if (withdrawal.scopes !== 'all' && !Array.isArray(withdrawal.scopes)) {
        problems.push(`scopes: must be a list of scopes or "all" (got ${describeValue(withdrawal.scopes)})`);
      } else if (withdrawal.scopes !== 'all') {
        withdrawn = [];
        for (const name of withdrawal.scopes) {
          try {
            withdrawn.push(parseConsentScopeName(name));
          } catch (error) {
            problems.push(`scopes: ${(error as Error).message}`);
          }
        }
        if (withdrawal.scopes.length === 0 && withdrawal.deleteRawData !== true) {
          problems.push('scopes: name the scopes to withdraw (aggregates, liveGeneration, partner:NAME) or "all"');
        }
      }
      const deleteRawData = withdrawal.deleteRawData === true;
      if (problems.length > 0) throw new GovernanceError(`Cannot withdraw consent:\n  ${problems.join('\n  ')}`, 'invalid', problems);
      const entry = await log.appendWith(ENTRY_TYPES.consent, now, (entries) => {
        const s = stateOf(entries);
        refuseIfInvalid(s, 'a consent withdrawal');
        const last = s.consent.get(householdId!)?.at(-1)?.data;
        const scopes = withoutScopes(last?.scopes ?? noConsent(), withdrawn);
        return { householdId, action: 'withdraw', scopes, textVersion: last?.textVersion ?? null, withdrawn, deleteRawData };
      });
      return { scopes: structuredClone((entry.data as { scopes: ConsentScopes }).scopes), deleteRawData };
    },

    consentAt(householdId, t) {
      if (!trusted()) return noConsent();
      let inForce: ConsentScopes | null = null;
      for (const change of state().consent.get(householdId) ?? []) {
        if (change.at > t) break;
        inForce = change.data.scopes;
      }
      return inForce ? structuredClone(inForce) : noConsent();
    },

    consentRegister() {
      const s = state();
      return [...s.consent.keys()].map((householdId) => registerEntry(householdId, s));
    },

    async recordRetentionRun(input, now) {
      const parsed = retentionRunSchema.safeParse(input);
      if (!parsed.success) {
        const problems = listProblems(parsed.error);
        throw new GovernanceError(`Invalid retention run:\n  ${problems.join('\n  ')}`, 'invalid', problems);
      }
      const entry = await log.appendWith(ENTRY_TYPES.retentionRun, now, (entries) => {
        refuseIfInvalid(stateOf(entries), 'a retention run');
        return parsed.data;
      });
      return { ...parsed.data, at: entry.at };
    },

    retentionRuns: () => state().retentionRuns,

    async recordDeletion(householdIdInput, countsInput, now) {
      const problems: string[] = [];
      const householdId = field(householdIdSchema, householdIdInput, 'household', problems);
      const counts = field(countsSchema, countsInput, 'counts', problems);
      if (problems.length > 0) throw new GovernanceError(`Cannot record the deletion:\n  ${problems.join('\n  ')}`, 'invalid', problems);
      const entry = await log.appendWith(ENTRY_TYPES.deletion, now, (entries) => {
        refuseIfInvalid(stateOf(entries), 'a deletion');
        return { householdId, counts };
      });
      return { householdId: householdId!, counts: counts!, at: entry.at };
    },

    deletions: () => state().deletions,

    async integrity() {
      const verification = await log.verify();
      if (!verification.ok) return verification;
      const invalid = state().invalid;
      return invalid ? { ok: false, brokenAt: invalid.seq, reason: invalid.reason } : verification;
    },
  };

  /** The checks a decision needs against the record and the clock, all listed at once. */
  function decisionProblems(decision: Decision, record: ProposalRecord, s: State, effectiveAt: number, now: number): string[] {
    const problems: string[] = [];
    const today = calendar.dayKey(now);
    if (decision.date > today) problems.push(`date: ${decision.date} is after today (${today}); record a decision once it has been taken`);
    if (decision.outcome !== 'adopted') return problems;
    if (effectiveAt < now) {
      const tomorrow = calendar.dayKey(calendar.dayBounds(today).end);
      problems.push(
        `effectiveFrom: ${decision.effectiveFrom} (${new Date(effectiveAt).toISOString()}) is before now (${new Date(now).toISOString()}); ` +
          `policy changes only forward in time, so periods already under way keep the policy they started with. Use ${tomorrow} or later.`,
      );
    }
    const unanswered = Object.entries(record.proposal.discussion)
      .filter(([, answer]) => answer.trim() === '')
      .map(([question]) => question);
    if (unanswered.length > 0) {
      problems.push(
        `proposal ${record.id} leaves discussion questions unanswered (${unanswered.join(', ')}); answer them in a new proposal before adopting it`,
      );
    }
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= effectiveAt) {
      problems.push(`effectiveFrom: proposal ${record.id}'s sharing expires at ${record.expiresAt}, not after ${new Date(effectiveAt).toISOString()}; it would never be in force`);
    }
    for (const replacedId of decision.replaces) {
      const replaced = s.decisionByProposal.get(replacedId);
      if (!replaced || replaced.decision.outcome !== 'adopted') {
        problems.push(`replaces: ${JSON.stringify(replacedId)} is not an adopted proposal; only adopted policies can be replaced`);
      }
    }
    problems.push(...overlapProblems(decision, record, s, effectiveAt));
    return problems;
  }

  /**
   * A figure is decided once per audience: two policies in force at the same
   * time that publish the same figure (group and metric) to the same audience
   * would decide it twice, perhaps at different times with different data,
   * and the difference between two versions of a figure can show one
   * household (PRIVACY-RULES.md "Time and immutability"). The new policy must
   * replace the older one instead, carrying over what it should keep.
   */
  function overlapProblems(decision: Decision, record: ProposalRecord, s: State, effectiveAt: number): string[] {
    const problems: string[] = [];
    const audience = audienceKey(record.proposal);
    const figures = figureKeys(record.proposal);
    for (const other of s.decisions) {
      if (other.decision.outcome !== 'adopted' || decision.replaces.includes(other.decision.proposalId)) continue;
      const otherRecord = s.proposalById.get(other.decision.proposalId)!;
      if (audienceKey(otherRecord.proposal) !== audience) continue;
      // In force until replaced or expired; overlapping if that end is after the new policy starts.
      const replacedAt = s.decisions
        .filter((d) => d.decision.outcome === 'adopted' && d.decision.replaces.includes(other.decision.proposalId))
        .map((d) => Date.parse(d.effectiveAt));
      const end = Math.min(...replacedAt, otherRecord.expiresAt === null ? Infinity : Date.parse(otherRecord.expiresAt));
      if (end <= effectiveAt) continue;
      const shared = figureKeys(otherRecord.proposal).filter((key) => figures.includes(key));
      if (shared.length > 0) {
        problems.push(
          `proposal ${record.id} publishes ${shared.join(', ')}, which proposal ${other.decision.proposalId} (in force) already publishes to the same audience; ` +
            `a figure is decided once, so adopt it with "replaces": ["${other.decision.proposalId}"] (and include in it what ${other.decision.proposalId} published that should go on)`,
        );
      }
    }
    return problems;
  }
}

function audienceKey(proposal: Proposal): string {
  return proposal.audience.tier === 'open' ? 'open' : `shared:${proposal.audience.partner}`;
}

/** The figures a proposal publishes, as "group metric" (e.g. "neighbourhood generation"). */
function figureKeys(proposal: Proposal): string[] {
  const groups = [...(proposal.groups.neighbourhood ? ['neighbourhood'] : []), ...proposal.groups.zones.map((z) => `zone:${z}`)];
  return groups.flatMap((g) => proposal.metrics.map((m) => `${g} ${m}`));
}

/** Replays the log into views. Entries are trusted to be in order (the chain guarantees it). */
function derive(entries: readonly LogEntry[], file: string): State {
  const s: State = {
    proposals: [],
    proposalById: new Map(),
    decisions: [],
    decisionByProposal: new Map(),
    consent: new Map(),
    retentionRuns: [],
    deletions: [],
    invalid: null,
  };
  const proposals: Array<Omit<ProposalRecord, 'status' | 'decisionId'>> = [];
  for (const entry of entries) {
    const problem = apply(entry);
    if (problem) {
      s.invalid = {
        seq: entry.seq,
        reason: `${file}: entry ${entry.seq} ("${entry.type}" at ${entry.at}) ${problem}. Stop the hub, restore ${file} from a backup, and start it again; until then nothing new is recorded.`,
      };
      break;
    }
  }
  for (const p of proposals) {
    const decided = s.decisionByProposal.get(p.id);
    const record: ProposalRecord = deepFreeze({ ...p, status: decided ? decided.decision.outcome : 'open', decisionId: decided?.id ?? null });
    s.proposals.push(record);
    s.proposalById.set(p.id, record);
  }
  Object.freeze(s.proposals);
  Object.freeze(s.decisions);
  Object.freeze(s.retentionRuns);
  Object.freeze(s.deletions);
  return s;

  function apply(entry: LogEntry): string | null {
    switch (entry.type) {
      case ENTRY_TYPES.proposal: {
        const parsed = proposalEntry.safeParse(entry.data);
        if (!parsed.success) return `does not hold a valid proposal (${listProblems(parsed.error).join('; ')})`;
        if (proposals.some((p) => p.id === parsed.data.id)) return `repeats proposal id ${parsed.data.id}`;
        proposals.push({ id: parsed.data.id, proposedAt: entry.at, proposal: parsed.data.proposal, expiresAt: parsed.data.expiresAt });
        return null;
      }
      case ENTRY_TYPES.decision: {
        const parsed = decisionEntry.safeParse(entry.data);
        if (!parsed.success) return `does not hold a valid decision (${listProblems(parsed.error).join('; ')})`;
        const { id, decision, effectiveAt } = parsed.data;
        if (!proposals.some((p) => p.id === decision.proposalId)) return `decides ${decision.proposalId}, which no earlier entry proposed`;
        if (s.decisionByProposal.has(decision.proposalId)) return `is a second decision on ${decision.proposalId}`;
        const record: DecisionRecord = deepFreeze({ id, recordedAt: entry.at, decision, effectiveAt });
        s.decisions.push(record);
        s.decisionByProposal.set(decision.proposalId, record);
        return null;
      }
      case ENTRY_TYPES.consent: {
        const parsed = consentEntry.safeParse(entry.data);
        if (!parsed.success) return `does not hold a valid consent change (${listProblems(parsed.error).join('; ')})`;
        const changes = s.consent.get(parsed.data.householdId) ?? [];
        changes.push({ at: Date.parse(entry.at), atIso: entry.at, data: deepFreeze(parsed.data) });
        s.consent.set(parsed.data.householdId, changes);
        return null;
      }
      case ENTRY_TYPES.retentionRun: {
        const parsed = retentionRunSchema.safeParse(entry.data);
        if (!parsed.success) return `does not hold a valid retention run (${listProblems(parsed.error).join('; ')})`;
        s.retentionRuns.push(deepFreeze({ ...parsed.data, at: entry.at }));
        return null;
      }
      case ENTRY_TYPES.deletion: {
        const parsed = deletionEntry.safeParse(entry.data);
        if (!parsed.success) return `does not hold a valid deletion (${listProblems(parsed.error).join('; ')})`;
        s.deletions.push(deepFreeze({ ...parsed.data, at: entry.at }));
        return null;
      }
      default:
        return `has a type this version of the hub does not know; a newer version may have written it`;
    }
  }
}

function registerEntry(householdId: string, s: State): ConsentRegisterEntry {
  const changes = s.consent.get(householdId) ?? [];
  const lastOf = (pick: (c: ConsentChange) => boolean) => changes.findLast(pick)?.atIso ?? null;
  const last = changes.at(-1);
  return {
    householdId,
    scopes: structuredClone(last?.data.scopes ?? noConsent()),
    textVersion: last?.data.textVersion ?? null,
    consentedAt: lastOf((c) => c.data.action === 'set'),
    withdrawnAt: lastOf((c) => c.data.action === 'withdraw'),
    changedAt: last?.atIso ?? '',
    rawDataDeletionRequestedAt: lastOf((c) => c.data.deleteRawData),
    rawDataDeletedAt: s.deletions.findLast((d) => d.householdId === householdId)?.at ?? null,
  };
}

/** Parses one argument, adding its problems (each prefixed with the argument's name) instead of throwing. */
function field<T extends z.ZodType>(schema: T, value: unknown, name: string, problems: string[]): z.output<T> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) problems.push(`${[name, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  return undefined;
}
