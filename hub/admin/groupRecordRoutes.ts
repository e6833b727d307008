import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import type { GovernanceStore } from '../governance/governanceStore.js';
import type { Proposal } from '../governance/proposalSchema.js';

/**
 * Read routes for the group's page (issue 5 item 5), on the public server behind
 * sign-in with the 'group' role. The group's other routes (policy, propose,
 * preview, decide, consent, publish status) are in governanceRoutes.ts.
 * - GET /api/admin/proposals       every proposal in full, with its discussion
 *                                  answers, status and the decision taken on it
 * - GET /api/admin/retention-runs  the retention log, newest first
 */
export const GROUP_RECORD_ROUTES = {
  proposals: '/api/admin/proposals',
  retentionRuns: '/api/admin/retention-runs',
} as const;

export interface ProposalView {
  id: string;
  proposedAt: string;
  status: 'open' | 'adopted' | 'rejected';
  /** For shared-tier proposals, when the sharing stops. */
  expiresAt: string | null;
  proposal: Proposal;
  decision: { id: string; outcome: 'adopted' | 'rejected'; date: string; meeting: string; effectiveAt: string; replaces: string[] } | null;
}

export interface RetentionRunView {
  at: string;
  deleted: Record<string, number>;
  cutoffs: Record<string, string>;
  error: string | null;
}

export function registerGroupRecordRoutes(app: FastifyInstance, governance: GovernanceStore, guard: preHandlerHookHandler): void {
  const opts = { preHandler: guard };

  app.get(GROUP_RECORD_ROUTES.proposals, opts, async (): Promise<{ proposals: ProposalView[] }> => {
    const decisions = new Map(governance.decisions().map((d) => [d.decision.proposalId, d]));
    return {
      proposals: governance.proposals().map((p) => {
        const decided = decisions.get(p.id);
        return {
          id: p.id,
          proposedAt: p.proposedAt,
          status: p.status,
          expiresAt: p.expiresAt,
          proposal: p.proposal,
          decision: decided
            ? {
                id: decided.id,
                outcome: decided.decision.outcome,
                date: decided.decision.date,
                meeting: decided.decision.meeting,
                effectiveAt: decided.effectiveAt,
                replaces: [...decided.decision.replaces],
              }
            : null,
        };
      }),
    };
  });

  app.get(GROUP_RECORD_ROUTES.retentionRuns, opts, async (): Promise<{ runs: RetentionRunView[] }> => ({
    runs: [...governance.retentionRuns()].reverse().map((run) => ({ at: run.at, deleted: { ...run.deleted }, cutoffs: { ...run.cutoffs }, error: run.error })),
  }));
}
