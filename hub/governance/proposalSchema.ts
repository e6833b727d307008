import { z } from 'zod';
import { DEFAULT_RULES, METRICS, RULE_FLOORS } from '../publication/publicationTypes.js';
import { GovernanceError } from './governanceError.js';
import { describeValue, listProblems } from './inputProblems.js';
import { policyDateSchema } from './policyDate.js';

/**
 * A publication proposal as the group writes it in a JSON file (issue 4,
 * "Proposal"): what to publish, for which groups, how finely, how late, to whom,
 * under which licence and disclosure rules, with the questions the group should
 * discuss before deciding. Nothing here can go below PRIVACY-RULES.md: rules
 * under the floors, resolutions finer than 30 minutes, anything finer than daily
 * for zones, and a live figure for anything but the whole neighbourhood are
 * refused with the reason.
 */

export const NEIGHBOURHOOD_RESOLUTIONS = ['30min', 'hour', 'day'] as const;
/** PRIVACY-RULES.md: smaller groups than the whole neighbourhood are published daily at the finest. */
export const ZONE_RESOLUTIONS = ['day', 'week', 'month'] as const;
export const DEFAULT_LICENCE = 'CC-BY-4.0';

const text = (what: string, max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `is missing; write ${what}` : `must be ${what} (got ${describeValue(issue.input)})`) })
    .trim()
    .min(1, { error: `must not be empty; write ${what}` })
    .max(max, { error: (issue) => `must be at most ${max} characters (got ${String(issue.input).length})` });

const answer = z
  .string({ error: (issue) => `must be text, empty while the proposal is a draft (got ${describeValue(issue.input)})` })
  .max(10_000, { error: 'must be at most 10000 characters' })
  .default('');

const bool = (what: string) => z.boolean({ error: (issue) => `must be true or false: ${what} (got ${describeValue(issue.input)})` });

const unknownField = (allowed: string) => (issue: { code?: string; keys?: string[]; input?: unknown }) =>
  issue.code === 'unrecognized_keys'
    ? `unknown field ${(issue.keys ?? []).map((k) => `"${k}"`).join(', ')}; allowed: ${allowed}`
    : `must be an object with ${allowed} (got ${describeValue(issue.input)})`;

const rulesSchema = z
  .strictObject(
    {
      k: z
        .number({ error: (issue) => `must be a number of households (got ${describeValue(issue.input)})` })
        .int({ error: (issue) => `must be a whole number of households (got ${describeValue(issue.input)})` })
        .min(RULE_FLOORS.k, {
          error: (issue) => `must be at least ${RULE_FLOORS.k} households, the floor in PRIVACY-RULES.md (default ${DEFAULT_RULES.k}) (got ${describeValue(issue.input)})`,
        })
        .default(DEFAULT_RULES.k),
      dominancePercent: z
        .number({ error: (issue) => `must be a percentage (got ${describeValue(issue.input)})` })
        .positive({ error: (issue) => `must be more than 0 % (got ${describeValue(issue.input)})` })
        .max(RULE_FLOORS.dominancePercent, {
          error: (issue) =>
            `must be at most ${RULE_FLOORS.dominancePercent} %, the floor in PRIVACY-RULES.md: no household may be more than that share of a figure (default ${DEFAULT_RULES.dominancePercent}) (got ${describeValue(issue.input)})`,
        })
        .default(DEFAULT_RULES.dominancePercent),
      pPercent: z
        .number({ error: (issue) => `must be a percentage (got ${describeValue(issue.input)})` })
        .min(RULE_FLOORS.pPercent, {
          error: (issue) => `must be at least ${RULE_FLOORS.pPercent} %, the floor in PRIVACY-RULES.md (default ${DEFAULT_RULES.pPercent}) (got ${describeValue(issue.input)})`,
        })
        .max(100, { error: (issue) => `must be at most 100 % (got ${describeValue(issue.input)})` })
        .default(DEFAULT_RULES.pPercent),
    },
    { error: unknownField('k, dominancePercent, pPercent') },
  )
  .prefault({});

const audienceSchema = z.discriminatedUnion(
  'tier',
  [
    z.strictObject({ tier: z.literal('open') }, { error: unknownField('tier') }),
    z.strictObject(
      {
        tier: z.literal('shared'),
        /** The partner's name; per-partner tokens and households' partner consent use this name. */
        partner: text("the partner's name", 100),
        purpose: text('what the partner will use the figures for', 2_000),
        /** A date stops the sharing at the start of that day in the hub's time zone. */
        expires: policyDateSchema,
      },
      { error: unknownField('tier, partner, purpose, expires') },
    ),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `must be "open" (public surfaces) or "shared" (one named partner, with partner, purpose and expires) (got ${describeValue((issue.input as { tier?: unknown } | undefined)?.tier)})`
        : `must be {"tier": "open"} or {"tier": "shared", "partner": ..., "purpose": ..., "expires": ...} (got ${describeValue(issue.input)})`,
  },
);

const PROPOSAL_FIELDS =
  'title, purpose, metrics, groups, resolution, delayDays, audience, licence, rules, liveGeneration, publishNames, discussion';

function buildProposalSchema(knownZones: readonly string[] | null) {
  const zoneName = z
    .string({ error: (issue) => `must be a zone name (got ${describeValue(issue.input)})` })
    .min(1, { error: 'must not be empty' })
    .refine((zone) => knownZones === null || knownZones.includes(zone), {
      error: (issue) =>
        `${describeValue(issue.input)} is not a zone in the registry; ${
          knownZones && knownZones.length > 0 ? `zones are ${knownZones.map((z) => JSON.stringify(z)).join(', ')}` : 'no household has a zone yet'
        } (set a household's zone with \`commonwatt households add --zone\`)`,
    });

  return z
    .strictObject(
      {
        title: text('a short title', 200),
        purpose: text('what the figures are for', 2_000),
        metrics: z
          .array(
            z.enum(METRICS, { error: (issue) => `must be one of ${METRICS.join(', ')} (got ${describeValue(issue.input)})` }),
            { error: (issue) => `must be a list of metrics from ${METRICS.join(', ')} (got ${describeValue(issue.input)})` },
          )
          .min(1, { error: `must name at least one metric: ${METRICS.join(', ')}` })
          .refine((metrics) => new Set(metrics).size === metrics.length, { error: (issue) => `names a metric twice (got ${describeValue(issue.input)})` }),
        groups: z.strictObject(
          {
            neighbourhood: bool('publish figures for the whole neighbourhood'),
            zones: z
              .array(zoneName, { error: (issue) => `must be a list of zone names (got ${describeValue(issue.input)})` })
              .refine((zones) => new Set(zones).size === zones.length, { error: (issue) => `names a zone twice (got ${describeValue(issue.input)})` })
              .default([]),
          },
          { error: unknownField('neighbourhood, zones') },
        ),
        resolution: z
          .strictObject(
            {
              neighbourhood: z
                .enum(NEIGHBOURHOOD_RESOLUTIONS, {
                  error: (issue) =>
                    `must be one of ${NEIGHBOURHOOD_RESOLUTIONS.join(', ')}; 30 minutes is the finest the hub publishes (PRIVACY-RULES.md) (got ${describeValue(issue.input)})`,
                })
                .default('30min'),
              zones: z
                .enum(ZONE_RESOLUTIONS, {
                  error: (issue) =>
                    `must be one of ${ZONE_RESOLUTIONS.join(', ')}; groups smaller than the neighbourhood are published daily at the finest (PRIVACY-RULES.md) (got ${describeValue(issue.input)})`,
                })
                .default('day'),
            },
            { error: unknownField('neighbourhood, zones') },
          )
          .prefault({}),
        delayDays: z
          .number({ error: (issue) => `must be a number of days (got ${describeValue(issue.input)})` })
          .int({ error: (issue) => `must be a whole number of days (got ${describeValue(issue.input)})` })
          .min(1, { error: (issue) => `must be at least 1: figures are released the day after at the earliest (D+1), since live load curves show who is home (got ${describeValue(issue.input)})` })
          .max(366, { error: (issue) => `must be at most 366 days (got ${describeValue(issue.input)})` })
          .default(1),
        audience: audienceSchema,
        licence: text('a licence identifier such as CC-BY-4.0', 100).default(DEFAULT_LICENCE),
        rules: rulesSchema,
        liveGeneration: bool('publish "solar generation now" for the whole neighbourhood').default(false),
        publishNames: bool("show the names of those present in the public decision log").default(false),
        discussion: z
          .strictObject(
            {
              whatIsItFor: answer,
              whoCouldBeAffected: answer,
              whatIsNotOk: answer,
              whereWillItGo: answer,
            },
            { error: unknownField('whatIsItFor, whoCouldBeAffected, whatIsNotOk, whereWillItGo') },
          )
          .prefault({}),
      },
      { error: unknownField(PROPOSAL_FIELDS) },
    )
    .superRefine(
      (proposal, ctx) => {
        if (proposal.groups.neighbourhood === false && proposal.groups.zones.length === 0) {
          ctx.addIssue({ code: 'custom', path: ['groups'], message: 'name at least one group: "neighbourhood": true, or one or more zones', input: proposal.groups });
        }
        if (proposal.liveGeneration === true && proposal.groups.neighbourhood !== true) {
          ctx.addIssue({
            code: 'custom',
            path: ['liveGeneration'],
            message: 'the live "solar generation now" figure is for the whole neighbourhood only; set "groups.neighbourhood": true or turn liveGeneration off',
            input: proposal.liveGeneration,
          });
        }
      },
      // Run even when other fields failed, so every problem is listed at once.
      { when: (payload) => !payload.issues.some((issue) => issue.path === undefined || issue.path.length === 0 || ['groups', 'liveGeneration'].includes(String(issue.path[0]))) },
    );
}

/** The schema without the registry check on zone names (used to re-read stored proposals). */
export const proposalSchema = buildProposalSchema(null);

/** A proposal with every default filled in. */
export type Proposal = z.output<typeof proposalSchema>;
/** A proposal as written, defaults optional. */
export type ProposalInput = z.input<typeof proposalSchema>;
export type ProposalDiscussion = Proposal['discussion'];
export type ProposalAudience = Proposal['audience'];

/**
 * Validates a proposal as read from `source` (a file name or "request body").
 * Throws a GovernanceError listing every problem, each with its path and value.
 * With `knownZones` (zone names in the registry), zones outside it are refused.
 */
export function parseProposal(json: unknown, source: string, options: { knownZones?: readonly string[] } = {}): Proposal {
  const schema = options.knownZones ? buildProposalSchema(options.knownZones) : proposalSchema;
  const result = schema.safeParse(json);
  if (!result.success) {
    const problems = listProblems(result.error);
    throw new GovernanceError(`Invalid proposal in ${source}:\n  ${problems.join('\n  ')}`, 'invalid', problems);
  }
  return result.data;
}
