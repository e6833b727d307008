import type { GovernanceStore, PolicyInForce } from '../governance/governanceStore.js';
import type { Logger } from '../log/createLogger.js';
import type { PublicationSources, ScheduledPolicy } from './publicationEngine.js';

/**
 * Reads the policies the group adopted (governance) as the publication engine
 * needs them. Zone figures coarser than a day (week, month) are not built yet:
 * such zones are left out, never published finer than decided.
 */
export function governanceSources(governance: GovernanceStore, logger: Logger): PublicationSources {
  const log = logger.child({ module: 'publication' });
  const warned = new Set<string>();

  function toPolicy(p: PolicyInForce): ScheduledPolicy {
    const proposal = p.proposal;
    const zonesDaily = proposal.resolution.zones === 'day';
    if (!zonesDaily && proposal.groups.zones.length > 0 && !warned.has(p.proposalId)) {
      warned.add(p.proposalId);
      log.warn({ proposalId: p.proposalId, resolution: proposal.resolution.zones }, 'weekly and monthly zone figures are not built yet; these zones are not published');
    }
    return {
      id: p.proposalId,
      audience: proposal.audience.tier === 'open' ? 'open' : `shared:${proposal.audience.partner}`,
      metrics: proposal.metrics,
      neighbourhood: proposal.groups.neighbourhood,
      zones: zonesDaily ? proposal.groups.zones : [],
      neighbourhoodResolution: proposal.resolution.neighbourhood,
      rules: proposal.rules,
      effectiveFrom: p.effectiveFrom,
      delayDays: proposal.delayDays,
    };
  }

  return {
    adopted() {
      const seen = new Map<string, ScheduledPolicy>();
      for (const d of governance.decisions()) {
        if (d.decision.outcome !== 'adopted') continue;
        const proposal = governance.proposal(d.decision.proposalId);
        if (!proposal) continue;
        const policy: PolicyInForce = { proposalId: proposal.id, proposal: proposal.proposal, decisionId: d.id, decision: d.decision, effectiveFrom: Date.parse(d.effectiveAt), expiresAt: null };
        seen.set(policy.proposalId, toPolicy(policy));
      }
      return [...seen.values()];
    },
    inForce: (start, end) => governance.policiesInForce(start, end).map(toPolicy),
    consents(householdId, t, audience) {
      const scopes = governance.consentAt(householdId, t);
      return audience === 'open' ? scopes.aggregates : scopes.partners.includes(audience.slice('shared:'.length));
    },
    async blocked() {
      const integrity = await governance.integrity();
      return integrity.ok ? null : `the decision log governance.json fails its integrity check (${integrity.reason}); nothing is published until it is restored from a backup`;
    },
  };
}
