import { DEFAULT_RULES } from '../publication/publicationTypes.js';
import type { GovernanceStore } from './governanceStore.js';
import { DEFAULT_LICENCE, parseProposal, type Proposal } from './proposalSchema.js';

/**
 * The proposal a fresh hub ships with (issue 4): the whole neighbourhood's daily
 * solar generation and electricity use, under the default rules, open to all
 * under CC BY 4.0, released the day after. The answers to the discussion
 * questions are a suggestion for the group to read, change and agree on; a
 * fresh hub publishes nothing until a decision adopts this or another proposal.
 */

export function starterProposal(): Proposal {
  return parseProposal(
    {
      title: 'Daily neighbourhood solar generation and electricity use',
      purpose:
        'Show residents how much solar electricity the neighbourhood generates each day, how much electricity it uses, and how these change over the seasons.',
      metrics: ['generation', 'consumption'],
      groups: { neighbourhood: true, zones: [] },
      resolution: { neighbourhood: 'day', zones: 'day' },
      delayDays: 1,
      audience: { tier: 'open' },
      licence: DEFAULT_LICENCE,
      rules: { ...DEFAULT_RULES },
      liveGeneration: false,
      publishNames: false,
      discussion: {
        whatIsItFor:
          'So that everyone can see what our panels produce together and how much of our own use they cover, follow our progress, and plan what to do next (more panels, using more power on sunny days).',
        whoCouldBeAffected:
          'Every household whose meters report to the hub and who agreed to be counted. Figures are one total per day for the whole neighbourhood, released the day after, and only when at least 10 households are in a figure and no single household makes up more than 15 % of it. Households with a large solar array, a heat pump or an electric car are the most likely to stand out; the rules then hold that figure back instead of publishing it.',
        whatIsNotOk:
          "Any one household's figures; anything that shows when people are at home, asleep or away (no live or half-hourly use); figures for single streets or small groups; the exact number of households taking part; names, addresses or meter ids.",
        whereWillItGo:
          'The screen in the community centre, the public dashboard and public API, public MQTT topics, and the open-data export under CC BY 4.0: anyone may reuse the daily totals if they credit the group. Published figures cannot be taken back.',
      },
    },
    'the starter proposal',
  );
}

/**
 * Proposes the starter proposal on a log that holds no proposal yet, and
 * returns its id; returns null when there is nothing to do (proposals exist)
 * or nothing can be recorded (the log is broken: `store.integrity()` says why).
 * Call it once at start-up, before anything else can propose.
 */
export async function ensureStarterProposal(store: GovernanceStore, now: number): Promise<string | null> {
  if (!(await store.integrity()).ok) return null;
  if (store.proposals().length > 0) return null;
  return store.propose(starterProposal(), now);
}
