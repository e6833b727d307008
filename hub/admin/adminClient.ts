import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMIN_ENDPOINT_FILE, ADMIN_ROUTES, ADMIN_TOKEN_FILE } from './adminServer.js';
import type { HubCommands } from './hubCommands.js';

/** HubCommands over a running hub's local admin API. */
export async function connectAdminClient(dataDir: string): Promise<HubCommands> {
  let url: string;
  let token: string;
  try {
    url = (JSON.parse(await readFile(join(dataDir, ADMIN_ENDPOINT_FILE), 'utf8')) as { url: string }).url;
    token = (await readFile(join(dataDir, ADMIN_TOKEN_FILE), 'utf8')).trim();
  } catch (error) {
    throw new Error(
      `A hub is running on ${dataDir} but its admin files cannot be read (${(error as Error).message}). Run the command as the hub's user.`,
      { cause: error },
    );
  }

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new Error(`Cannot reach the running hub's admin API at ${url}: ${(error as Error).message}. Is the hub still starting?`, { cause: error });
    }
    const answer = (await response.json().catch(() => ({}))) as T & { error?: string };
    if (!response.ok) throw new Error(answer.error ?? `The hub answered ${response.status} to ${method} ${path}.`);
    return answer;
  }

  const id = (route: string, value: string) => route.replace(':id', encodeURIComponent(value));
  return {
    addHousehold: (input) => call('POST', ADMIN_ROUTES.households, input),
    listHouseholds: () => call('GET', ADMIN_ROUTES.households),
    removeHousehold: (householdId) => call('DELETE', id(ADMIN_ROUTES.household, householdId)),
    addMeter: (input) => call('POST', ADMIN_ROUTES.meters, input),
    addMeterWithPairingCode: (input) => call('POST', ADMIN_ROUTES.meterPairings, input),
    redeemPairingCode: () => Promise.reject(new Error('Pairing codes are redeemed by the sensor node over HTTP, not through the admin API.')),
    listMeters: () => call('GET', ADMIN_ROUTES.meters),
    removeMeter: (meterId, { deleteReadings }) => call('DELETE', `${id(ADMIN_ROUTES.meter, meterId)}?deleteReadings=${deleteReadings}`),
    status: () => call('GET', ADMIN_ROUTES.status),
  };
}
