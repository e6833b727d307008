import type { GovernanceStore } from '../governance/governanceStore.js';
import { GovernanceError } from '../governance/governanceError.js';
import { parseProposal } from '../governance/proposalSchema.js';
import { parseDecision } from '../governance/decisionSchema.js';
import { parseConsentScopeName, type ConsentScopeName, type ConsentScopes } from '../governance/consentScopes.js';
import type { ReadingStore } from '../storage/readingStore.js';
import type { Registry } from '../storage/registry.js';
import { decideDay } from '../publication/dayFigures.js';
import { householdMemberships } from '../publication/householdMemberships.js';
import type { ReleasedFigures } from '../publication/releasedFigures.js';
import type { PublicationEngine, PublishStatus } from '../publication/publicationEngine.js';
import { checkZoneList } from '../publication/zoneListCheck.js';
import type { PartnerTokens } from '../publication/partnerTokens.js';

/**
 * The group's commands: proposals, previews, decisions, consent and
 * publication status (issue 4 item 6). They run inside a running hub behind
 * its admin API, or on the files of a stopped hub, like the other commands.
 */

export interface PreviewFigure {
  group: string;
  metric: string;
  resolution: string;
  periodStart: string;
  released: boolean;
  totalWh: number | null;
  householdsAtLeast: number | null;
  rule: string | null;
  reason: string | null;
}

export interface GovernanceCommands {
  policyShow(): Promise<unknown>;
  propose(json: unknown, source: string): Promise<{ proposalId: string }>;
  preview(proposalId: string, days?: number): Promise<{ proposalId: string; days: number; released: number; suppressed: Record<string, number>; figures: PreviewFigure[] }>;
  decide(json: unknown, source: string): Promise<{ decisionId: string; proposalId: string; outcome: string; effectiveAt: string }>;
  consentSet(householdId: string, scopes: ConsentScopes, textVersion: string): Promise<unknown>;
  consentWithdraw(householdId: string, scopes: string[] | 'all', deleteRawData: boolean): Promise<{ householdId: string; withdrawn: string; readingsDeleted: number }>;
  consentList(): Promise<unknown>;
  /** A token for the named partner of an adopted shared-tier proposal, shown once. */
  partnerToken(proposalId: string): Promise<{ proposalId: string; partner: string; token: string; expiresAt: string }>;
  publishStatus(): Promise<{ released: number; suppressed: Record<string, number>; lastDecidedAt: string | null; waiting: PublishStatus['waiting']; blocked: string | null }>;
}

export interface GovernanceCommandContext {
  governance: GovernanceStore;
  registry: Registry;
  store: ReadingStore;
  released: ReleasedFigures;
  /** Null when the hub is stopped: status then shows what is recorded only. */
  engine: PublicationEngine | null;
  partnerTokens: PartnerTokens;
  now(): number;
}

const DAY_MS = 86_400_000;

export function createGovernanceCommands(ctx: GovernanceCommandContext): GovernanceCommands {
  const { governance, registry, store } = ctx;


  return {
    async policyShow() {
      const integrity = await governance.integrity();
      const now = ctx.now();
      return {
        integrity: integrity.ok ? 'ok' : `BROKEN: ${integrity.reason}`,
        inForce: governance.policiesInForce(now).map((p) => ({ proposalId: p.proposalId, title: p.proposal.title, decisionId: p.decisionId, effectiveFrom: new Date(p.effectiveFrom).toISOString() })),
        proposals: governance.proposals().map((p) => ({ id: p.id, title: p.proposal.title, status: p.status, proposedAt: p.proposedAt })),
        decisions: governance.decisions().map((d) => ({ id: d.id, proposalId: d.decision.proposalId, outcome: d.decision.outcome, date: d.decision.date, effectiveAt: d.effectiveAt })),
      };
    },

    async propose(json, source) {
      const zones = [...new Set(registry.households().map((h) => h.zone).filter((z): z is string => z !== null))];
      const proposal = parseProposal(json, source, { knownZones: zones });
      if (proposal.groups.zones.length > 0 && proposal.resolution.zones !== 'day') {
        throw new GovernanceError(`${source}: resolution.zones: weekly and monthly zone figures are not built in this version; use "day".`, 'invalid');
      }
      const problems = checkZoneList(proposal.groups, householdMemberships(registry), proposal.rules.k);
      if (problems.length > 0) throw new GovernanceError(`${source}: these groups could single out households:\n  ${problems.join('\n  ')}`, 'invalid');
      return { proposalId: await governance.propose(proposal, ctx.now()) };
    },

    async preview(proposalId, days = 30) {
      const record = governance.proposal(proposalId);
      if (!record) throw new GovernanceError(`Proposal "${proposalId}" does not exist; see \`commonwatt policy show\`.`, 'not_found');
      const p = record.proposal;
      const audience = p.audience.tier === 'open' ? 'open' : `shared:${p.audience.partner}`;
      const policy = {
        id: `preview:${proposalId}`,
        audience,
        metrics: p.metrics,
        neighbourhood: p.groups.neighbourhood,
        zones: p.resolution.zones === 'day' ? p.groups.zones : [],
        neighbourhoodResolution: p.resolution.neighbourhood,
        rules: p.rules,
      };
      await store.flush();
      const households = householdMemberships(registry);
      const figures: PreviewFigure[] = [];
      const calendar = store.calendar;
      const today = calendar.dayKey(ctx.now());
      let day = calendar.dayKey(calendar.dayBounds(today).start - days * DAY_MS + DAY_MS / 2);
      while (day < today) {
        // The preview asks what would have been published had the households
        // consented as they do now: for the group's eyes only, never recorded.
        const decided = decideDay({
          store,
          policy,
          day,
          households,
          consents: (id) => {
            const scopes = governance.consentAt(id, ctx.now());
            return audience === 'open' ? scopes.aggregates : scopes.partners.includes(audience.slice(7));
          },
          now: ctx.now(),
        });
        for (const f of decided) {
          figures.push({
            group: f.groupId,
            metric: f.metric,
            resolution: f.resolution,
            periodStart: new Date(f.periodStart).toISOString(),
            released: f.decision.released,
            totalWh: f.decision.released ? f.decision.totalWh : null,
            householdsAtLeast: f.decision.released ? f.decision.householdsAtLeast : null,
            rule: f.decision.released ? null : f.decision.rule,
            reason: f.decision.released ? null : f.decision.reason,
          });
        }
        day = calendar.dayKey(calendar.dayBounds(day).end);
      }
      const suppressed: Record<string, number> = {};
      for (const f of figures) if (!f.released) suppressed[f.rule!] = (suppressed[f.rule!] ?? 0) + 1;
      return { proposalId, days, released: figures.filter((f) => f.released).length, suppressed, figures };
    },

    async decide(json, source) {
      const record = await governance.decide(parseDecision(json, source), ctx.now());
      // Figures due under the new policy are released at once; if that run fails, the engine's next timed run retries it.
      void ctx.engine?.runOnce().catch(() => {});
      return { decisionId: record.id, proposalId: record.decision.proposalId, outcome: record.decision.outcome, effectiveAt: record.effectiveAt };
    },

    async consentSet(householdId, scopes, textVersion) {
      if (!registry.household(householdId)) throw new GovernanceError(`Household "${householdId}" does not exist; see \`commonwatt households list\`.`, 'not_found');
      return governance.setConsent(householdId, scopes, textVersion, ctx.now());
    },

    async consentWithdraw(householdId, scopes, deleteRawData) {
      if (!registry.household(householdId)) throw new GovernanceError(`Household "${householdId}" does not exist; see \`commonwatt households list\`.`, 'not_found');
      const names: ConsentScopeName[] | 'all' = scopes === 'all' ? 'all' : scopes.map(parseConsentScopeName);
      const result = await governance.withdrawConsent(householdId, { scopes: names, deleteRawData }, ctx.now());
      let readingsDeleted = 0;
      if (result.deleteRawData) {
        // Raw readings and per-household interval energy go; released aggregates stay (PRIVACY-RULES.md).
        for (const meter of registry.metersOf(householdId)) readingsDeleted += await store.forgetMeter(meter.id);
        await governance.recordDeletion(householdId, { readings: readingsDeleted }, ctx.now());
      }
      return { householdId, withdrawn: scopes === 'all' ? 'all' : scopes.join(', '), readingsDeleted };
    },

    async consentList() {
      return governance.consentRegister();
    },

    async partnerToken(proposalId) {
      const record = governance.proposal(proposalId);
      if (!record) throw new GovernanceError(`Proposal "${proposalId}" does not exist; see \`commonwatt policy show\`.`, 'not_found');
      const audience = record.proposal.audience;
      if (audience.tier !== 'shared') throw new GovernanceError(`Proposal ${proposalId} publishes openly; partner tokens are for shared-tier proposals.`, 'invalid');
      if (record.status !== 'adopted' || !record.expiresAt) throw new GovernanceError(`Proposal ${proposalId} is ${record.status}; a partner token needs a decision adopting it first.`, 'conflict');
      const expiresAt = Date.parse(record.expiresAt);
      if (expiresAt <= ctx.now()) throw new GovernanceError(`The sharing under ${proposalId} expired on ${record.expiresAt}.`, 'conflict');
      const token = await ctx.partnerTokens.create(proposalId, `shared:${audience.partner}`, expiresAt, ctx.now());
      return { proposalId, partner: audience.partner, token, expiresAt: record.expiresAt };
    },

    async publishStatus() {
      const summary = ctx.released.summary();
      const status = ctx.engine?.status() ?? { waiting: [], lastRun: null, blocked: null };
      return {
        released: summary.released,
        suppressed: summary.suppressed,
        lastDecidedAt: summary.lastDecidedAt === null ? null : new Date(summary.lastDecidedAt).toISOString(),
        waiting: status.waiting,
        blocked: status.blocked,
      };
    },
  };
}
