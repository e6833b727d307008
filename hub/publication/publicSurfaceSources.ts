import type { Clock } from '../config/clock.js';
import type { GovernanceStore } from '../governance/governanceStore.js';
import type { PartnerTokens } from './partnerTokens.js';
import type { PublicSurfaceSources, PublishedGroup } from './publicSurfaces.js';
import type { ReleasedFigures } from './releasedFigures.js';
import { NEIGHBOURHOOD_GROUP_ID, zoneGroupId, type Metric } from './publicationTypes.js';
import type { PublishedResolution } from './householdFigures.js';

/**
 * What the public surfaces may say about policy: the open-tier policies in
 * force, the shared tier by partner, purpose and expiry (never its figures),
 * and the decision log without people's names unless the group chose to
 * publish them.
 */
export function publicSurfaceSources(options: { governance: GovernanceStore; released: ReleasedFigures; partnerTokens: PartnerTokens; clock: Clock }): PublicSurfaceSources {
  const { governance, clock } = options;
  const open = () => governance.policiesInForce(clock.now()).filter((p) => p.proposal.audience.tier === 'open');

  return {
    released: options.released,
    publishedGroups() {
      const groups = new Map<string, { label: string; metrics: Set<Metric>; resolutions: Set<PublishedResolution> }>();
      const add = (id: string, label: string, metrics: readonly Metric[], resolution: PublishedResolution) => {
        const g = groups.get(id) ?? { label, metrics: new Set<Metric>(), resolutions: new Set<PublishedResolution>() };
        for (const m of metrics) g.metrics.add(m);
        g.resolutions.add(resolution);
        groups.set(id, g);
      };
      for (const p of open()) {
        if (p.proposal.groups.neighbourhood) add(NEIGHBOURHOOD_GROUP_ID, 'The whole neighbourhood', p.proposal.metrics, p.proposal.resolution.neighbourhood);
        if (p.proposal.resolution.zones === 'day') for (const zone of p.proposal.groups.zones) add(zoneGroupId(zone), zone, p.proposal.metrics, 'day');
      }
      return [...groups].map(([id, g]): PublishedGroup => ({ id, label: g.label, metrics: [...g.metrics], resolutions: [...g.resolutions] }));
    },
    policyView() {
      const inForce = governance.policiesInForce(clock.now());
      const publishNames = new Set(inForce.filter((p) => p.proposal.publishNames).map((p) => p.proposalId));
      return {
        inForce: inForce.map((p) => ({
          proposalId: p.proposalId,
          title: p.proposal.title,
          purpose: p.proposal.purpose,
          audience: p.proposal.audience.tier === 'open' ? { tier: 'open' } : { tier: 'shared', partner: p.proposal.audience.partner, purpose: p.proposal.audience.purpose, expires: p.proposal.audience.expires },
          metrics: p.proposal.metrics,
          groups: p.proposal.groups,
          resolution: p.proposal.resolution,
          delayDays: p.proposal.delayDays,
          rules: p.proposal.rules,
          liveGeneration: p.proposal.liveGeneration,
          licence: p.proposal.licence,
          effectiveFrom: new Date(p.effectiveFrom).toISOString(),
        })),
        decisions: governance.decisions().map((d) => ({
          id: d.id,
          proposalId: d.decision.proposalId,
          proposalTitle: governance.proposal(d.decision.proposalId)?.proposal.title ?? null,
          outcome: d.decision.outcome,
          date: d.decision.date,
          meeting: d.decision.meeting,
          decidedBy: d.decision.decidedBy,
          votes: d.decision.votes,
          rationale: d.decision.rationale,
          effectiveFrom: d.effectiveAt,
          ...(publishNames.has(d.decision.proposalId) ? { present: d.decision.present } : {}),
        })),
        licence: this.licence(),
        rules:
          'A figure is published only if it sums at least k households, no household is more than the dominance share of it, ' +
          'and the rest of the households add up to at least p % of the largest one; household counts are rounded down to 5; figures never change once released.',
      };
    },
    partnerAudience: (token) => options.partnerTokens.audienceOf(token, clock.now()),
    licence: () => open()[0]?.proposal.licence ?? 'CC-BY-4.0',
  };
}
