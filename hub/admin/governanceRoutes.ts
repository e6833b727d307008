import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import type { GovernanceCommands } from './governanceCommands.js';

/**
 * The group's admin routes, mounted on the CLI's loopback admin API (token)
 * and on the public server behind sign-in with the 'group' role.
 */
export const GOVERNANCE_ROUTES = {
  policy: '/api/admin/policy',
  proposals: '/api/admin/proposals',
  preview: '/api/admin/proposals/:id/preview',
  decisions: '/api/admin/decisions',
  consent: '/api/admin/consent',
  householdConsent: '/api/admin/consent/:householdId',
  publishStatus: '/api/admin/publish-status',
  partnerToken: '/api/admin/proposals/:id/partner-token',
} as const;

const consentBody = z.strictObject({
  scopes: z.strictObject({ aggregates: z.boolean(), liveGeneration: z.boolean().default(false), partners: z.array(z.string()).default([]) }),
  textVersion: z.string().min(1),
});
const withdrawBody = z.strictObject({ scopes: z.union([z.literal('all'), z.array(z.string()).min(1)]), deleteRawData: z.boolean().default(false) });

export function registerGovernanceRoutes(app: FastifyInstance, commands: GovernanceCommands, guard?: preHandlerHookHandler): void {
  const opts = guard ? { preHandler: guard } : {};
  app.get(GOVERNANCE_ROUTES.policy, opts, () => commands.policyShow());
  app.post<{ Body: unknown }>(GOVERNANCE_ROUTES.proposals, opts, (request) => commands.propose(request.body, 'the proposal'));
  app.get<{ Params: { id: string }; Querystring: { days?: string } }>(GOVERNANCE_ROUTES.preview, opts, (request) =>
    commands.preview(request.params.id, request.query.days ? Number(request.query.days) : undefined),
  );
  app.post<{ Body: unknown }>(GOVERNANCE_ROUTES.decisions, opts, (request) => commands.decide(request.body, 'the decision'));
  app.get(GOVERNANCE_ROUTES.consent, opts, () => commands.consentList());
  app.put<{ Params: { householdId: string }; Body: unknown }>(GOVERNANCE_ROUTES.householdConsent, opts, (request) => {
    const body = consentBody.parse(request.body);
    return commands.consentSet(request.params.householdId, body.scopes, body.textVersion);
  });
  app.delete<{ Params: { householdId: string }; Body: unknown }>(GOVERNANCE_ROUTES.householdConsent, opts, (request) => {
    const body = withdrawBody.parse(request.body ?? { scopes: 'all' });
    return commands.consentWithdraw(request.params.householdId, body.scopes, body.deleteRawData);
  });
  app.get(GOVERNANCE_ROUTES.publishStatus, opts, () => commands.publishStatus());
  app.post<{ Params: { id: string } }>(GOVERNANCE_ROUTES.partnerToken, opts, (request) => commands.partnerToken(request.params.id));
}
