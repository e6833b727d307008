import { randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../log/createLogger.js';
import { METER_DRIVERS, METER_KINDS, RegistryError } from '../storage/registry.js';
import type { HubCommands } from './hubCommands.js';
import type { GovernanceCommands } from './governanceCommands.js';
import { registerGovernanceRoutes } from './governanceRoutes.js';
import { registerUserRoutes } from './userRoutes.js';
import type { UserCommands } from '../auth/userCommands.js';

/**
 * The local admin API through which the CLI reaches a running hub
 * (ARCHITECTURE.md "The hub process owns its data"). It listens on loopback
 * only, on a free port written to `admin.json`, and every request must carry
 * the token from `admin.token`, a file only the hub's user can read.
 */

export const ADMIN_ENDPOINT_FILE = 'admin.json';
export const ADMIN_TOKEN_FILE = 'admin.token';

export const ADMIN_ROUTES = {
  households: '/api/admin/households',
  household: '/api/admin/households/:id',
  meters: '/api/admin/meters',
  meterPairings: '/api/admin/meter-pairings',
  meter: '/api/admin/meters/:id',
  status: '/api/admin/status',
} as const;

export const addHouseholdBody = z.strictObject({ label: z.string(), zone: z.string().nullable().optional() });
export const addMeterBody = z.strictObject({
  householdId: z.string(),
  kind: z.enum(METER_KINDS),
  driver: z.enum(METER_DRIVERS),
});

export interface AdminServer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createAdminServer(options: { dataDir: string; commands: HubCommands; governance: GovernanceCommands; users: UserCommands; logger: Logger }): AdminServer {
  const log = options.logger.child({ module: 'admin' });
  let app: FastifyInstance | null = null;
  const token = randomBytes(32).toString('base64url');
  const expected = Buffer.from(`Bearer ${token}`);

  return {
    async start() {
      app = Fastify({ logger: false });
      app.addHook('onRequest', async (request, reply) => {
        const given = Buffer.from(request.headers.authorization ?? '');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          log.warn({ url: request.url }, 'admin request without the right token refused');
          return reply.status(401).send({ error: `missing or wrong admin token; the CLI reads it from ${ADMIN_TOKEN_FILE} in the data directory` });
        }
      });
      app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
        if (error instanceof RegistryError) {
          return reply.status(error.code === 'not_found' ? 404 : error.code === 'conflict' ? 409 : 400).send({ error: error.message });
        }
        const code = (error as { code?: string }).code;
        if ((error as Error).name === 'UserStoreError' || code === 'invalid' || code === 'not_found' || code === 'conflict' || code === 'broken') {
          return reply.status(code === 'not_found' ? 404 : code === 'conflict' ? 409 : 400).send({ error: error.message });
        }
        if (error instanceof z.ZodError) {
          return reply.status(400).send({ error: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
        }
        log.error({ err: error }, 'admin request failed');
        return reply.status(error.statusCode ?? 500).send({ error: error.message });
      });
      const { commands } = options;
      app.get(ADMIN_ROUTES.households, () => commands.listHouseholds());
      app.post(ADMIN_ROUTES.households, (request) => commands.addHousehold(addHouseholdBody.parse(request.body)));
      app.delete<{ Params: { id: string } }>(ADMIN_ROUTES.household, (request) => commands.removeHousehold(request.params.id));
      app.get(ADMIN_ROUTES.meters, () => commands.listMeters());
      app.post(ADMIN_ROUTES.meters, (request) => commands.addMeter(addMeterBody.parse(request.body)));
      app.post(ADMIN_ROUTES.meterPairings, (request) => commands.addMeterWithPairingCode(addMeterBody.parse(request.body)));
      app.delete<{ Params: { id: string }; Querystring: { deleteReadings?: string } }>(ADMIN_ROUTES.meter, (request) =>
        commands.removeMeter(request.params.id, { deleteReadings: request.query.deleteReadings === 'true' }),
      );
      app.get(ADMIN_ROUTES.status, () => commands.status());
      registerGovernanceRoutes(app, options.governance);
      registerUserRoutes(app, options.users);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      await writeFile(join(options.dataDir, ADMIN_TOKEN_FILE), token, { mode: 0o600 });
      await writeFile(join(options.dataDir, ADMIN_ENDPOINT_FILE), JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid }), { mode: 0o600 });
    },

    async stop() {
      await unlink(join(options.dataDir, ADMIN_ENDPOINT_FILE)).catch(() => {});
      await unlink(join(options.dataDir, ADMIN_TOKEN_FILE)).catch(() => {});
      await app?.close();
      app = null;
    },
  };
}
