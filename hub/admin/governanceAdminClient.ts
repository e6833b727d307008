import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMIN_ENDPOINT_FILE, ADMIN_TOKEN_FILE } from './adminServer.js';
import type { GovernanceCommands } from './governanceCommands.js';
import { GOVERNANCE_ROUTES } from './governanceRoutes.js';

/** GovernanceCommands over a running hub's local admin API. */
export async function connectGovernanceClient(dataDir: string): Promise<GovernanceCommands> {
  const url = (JSON.parse(await readFile(join(dataDir, ADMIN_ENDPOINT_FILE), 'utf8')) as { url: string }).url;
  const token = (await readFile(join(dataDir, ADMIN_TOKEN_FILE), 'utf8')).trim();
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json().catch(() => ({}))) as T & { error?: string };
    if (!response.ok) throw new Error(answer.error ?? `The hub answered ${response.status} to ${method} ${path}.`);
    return answer;
  }
  const at = (route: string, key: string, value: string) => route.replace(`:${key}`, encodeURIComponent(value));
  return {
    policyShow: () => call('GET', GOVERNANCE_ROUTES.policy),
    propose: (json) => call('POST', GOVERNANCE_ROUTES.proposals, json),
    preview: (id, days) => call('GET', `${at(GOVERNANCE_ROUTES.preview, 'id', id)}${days ? `?days=${days}` : ''}`),
    decide: (json) => call('POST', GOVERNANCE_ROUTES.decisions, json),
    consentSet: (householdId, scopes, textVersion) => call('PUT', at(GOVERNANCE_ROUTES.householdConsent, 'householdId', householdId), { scopes, textVersion }),
    consentWithdraw: (householdId, scopes, deleteRawData) => call('DELETE', at(GOVERNANCE_ROUTES.householdConsent, 'householdId', householdId), { scopes, deleteRawData }),
    consentList: () => call('GET', GOVERNANCE_ROUTES.consent),
    publishStatus: () => call('GET', GOVERNANCE_ROUTES.publishStatus),
    partnerToken: (id) => call('POST', at(GOVERNANCE_ROUTES.partnerToken, 'id', id)),
  };
}
