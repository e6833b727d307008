import { z } from 'zod';
import { GovernanceError } from './governanceError.js';
import { describeValue, listProblems } from './inputProblems.js';
import { calendarDateSchema, policyDateSchema, writtenDate } from './policyDate.js';

/**
 * A decision record (issue 4, "Decision record"): which proposal, adopted or
 * rejected, when, at which meeting, who was present, the votes, who decided,
 * why, and from when it takes effect. The policy changes only through an
 * adopted decision and only forward in time: effectiveFrom may not be before
 * the decision's date (and the store refuses one before the moment it is
 * recorded). `replaces` ends earlier adopted policies from effectiveFrom.
 */

const text = (what: string, max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `is missing; write ${what}` : `must be ${what} (got ${describeValue(issue.input)})`) })
    .trim()
    .min(1, { error: `must not be empty; write ${what}` })
    .max(max, { error: (issue) => `must be at most ${max} characters (got ${String(issue.input).length})` });

const count = z
  .number({ error: (issue) => `must be a number of votes (got ${describeValue(issue.input)})` })
  .int({ error: (issue) => `must be a whole number of votes (got ${describeValue(issue.input)})` })
  .min(0, { error: (issue) => `must be 0 or more (got ${describeValue(issue.input)})` });

const FIELDS = 'proposalId, outcome, date, meeting, present, votes, decidedBy, rationale, effectiveFrom, replaces';

export const decisionSchema = z
  .strictObject(
    {
      proposalId: text('the id of the proposal decided on, as `commonwatt policy show` lists it', 40),
      outcome: z.enum(['adopted', 'rejected'], { error: (issue) => `must be "adopted" or "rejected" (got ${describeValue(issue.input)})` }),
      /** The day the meeting decided, `YYYY-MM-DD`. */
      date: calendarDateSchema,
      meeting: text('which meeting decided, e.g. "general meeting, community centre"', 500),
      present: z
        .array(text("a person's name", 200), { error: (issue) => `must be a list of the names of those present (got ${describeValue(issue.input)})` })
        .min(1, { error: 'must name at least one person present' }),
      votes: z.strictObject(
        { for: count, against: count, abstaining: count },
        {
          error: (issue) =>
            issue.code === 'unrecognized_keys'
              ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}; allowed: for, against, abstaining`
              : `must be {"for": N, "against": N, "abstaining": N} (got ${describeValue(issue.input)})`,
        },
      ),
      decidedBy: text("who decided, e.g. \"residents' association general meeting\"", 500),
      rationale: text('why the group decided so', 10_000),
      /** A date takes effect at the start of that day in the hub's time zone. */
      effectiveFrom: policyDateSchema,
      /** Earlier adopted proposals whose policy this decision ends from effectiveFrom. */
      replaces: z
        .array(text('a proposal id', 40), { error: (issue) => `must be a list of proposal ids (got ${describeValue(issue.input)})` })
        .default([]),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}; allowed: ${FIELDS}`
          : `must be a decision object with ${FIELDS} (got ${describeValue(issue.input)})`,
    },
  )
  .superRefine(
    (decision, ctx) => {
      const fine = (field: string) => !ctx.issues.some((issue) => issue.path?.[0] === field);
      if (fine('outcome') && fine('votes') && decision.outcome === 'adopted' && !(decision.votes.for > decision.votes.against)) {
        ctx.addIssue({
          code: 'custom',
          path: ['votes'],
          message: `an adopted proposal needs more votes for than against (got ${decision.votes.for} for, ${decision.votes.against} against); record it as "rejected" if it did not pass`,
          input: decision.votes,
        });
      }
      if (fine('date') && fine('effectiveFrom') && writtenDate(decision.effectiveFrom) < decision.date) {
        ctx.addIssue({
          code: 'custom',
          path: ['effectiveFrom'],
          message: `must not be before the decision's date ${decision.date}: policy changes only forward in time (got ${describeValue(decision.effectiveFrom)})`,
          input: decision.effectiveFrom,
        });
      }
      if (fine('replaces') && fine('outcome') && decision.outcome === 'rejected' && decision.replaces.length > 0) {
        ctx.addIssue({ code: 'custom', path: ['replaces'], message: 'only an adopted proposal can replace others; leave it empty for a rejection', input: decision.replaces });
      }
      if (fine('replaces') && fine('proposalId') && decision.replaces.includes(decision.proposalId)) {
        ctx.addIssue({ code: 'custom', path: ['replaces'], message: `cannot name the proposal being decided (${decision.proposalId})`, input: decision.replaces });
      }
      if (fine('replaces') && new Set(decision.replaces).size !== decision.replaces.length) {
        ctx.addIssue({ code: 'custom', path: ['replaces'], message: `names a proposal twice (got ${describeValue(decision.replaces)})`, input: decision.replaces });
      }
    },
    // Run even when other fields failed, so every problem is listed at once; each check skips fields that failed.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null && !payload.issues.some((issue) => (issue.path?.length ?? 0) === 0) },
  );

export type Decision = z.output<typeof decisionSchema>;
export type DecisionInput = z.input<typeof decisionSchema>;

/** Validates a decision as read from `source`; throws a GovernanceError listing every problem. */
export function parseDecision(json: unknown, source: string): Decision {
  const result = decisionSchema.safeParse(json);
  if (!result.success) {
    const problems = listProblems(result.error);
    throw new GovernanceError(`Invalid decision in ${source}:\n  ${problems.join('\n  ')}`, 'invalid', problems);
  }
  return result.data;
}
