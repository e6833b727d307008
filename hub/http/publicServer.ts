import fastifyCompress from '@fastify/compress';
import { constants as zlibConstants } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '../log/createLogger.js';
import type { HubSettings } from '../config/hubSettings.js';
import type { Clock } from '../config/clock.js';
import type { HubBroker } from '../broker/hubBroker.js';
import type { Registry } from '../storage/registry.js';
import type { ReadingStore } from '../storage/readingStore.js';
import type { DeviceHealth } from '../ingest/deviceHealth.js';
import type { HubCommands } from '../admin/hubCommands.js';
import { PairingError } from '../pairing/pairingCodes.js';
import { RegistryError } from '../storage/registry.js';
import { z } from 'zod';

/**
 * The hub's public HTTP server (ARCHITECTURE.md "HTTP"). Routes:
 * - GET /api/health: uptime, meters online/total, storage state; no household data.
 * - POST /api/pair {code}: a sensor node trades a one-time pairing code for its meter's credentials.
 * - /mqtt: MQTT over WebSocket, with the same rules as TCP.
 * Released figures and the dashboard come with the publication engine.
 */

export interface PublicServer {
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface HealthAnswer {
  status: 'ok' | 'degraded';
  uptimeSeconds: number;
  meters: { online: number; total: number };
  storage: { state: 'ok' | 'failing'; error: string | null; since: string | null };
}

export function createPublicServer(options: {
  settings: HubSettings;
  broker: HubBroker;
  registry: Registry;
  store: ReadingStore;
  health: DeviceHealth;
  clock: Clock;
  startedAt: number;
  logger: Logger;
  commands: () => HubCommands;
  /** Further routes (public figures, sign-in, admin pages), added before listening. */
  extend?: (app: FastifyInstance) => Promise<void>;
}): PublicServer {
  const log = options.logger.child({ module: 'http' });
  let app: FastifyInstance | null = null;
  let wss: WebSocketServer | null = null;
  let port = 0;

  return {
    get port() {
      return port;
    },

    async start() {
      app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
      // Pages, scripts and JSON travel compressed (the dashboard's budget is 100 KB on the
      // wire). Brotli at quality 4: most of the gain for a fraction of the CPU on a Pi.
      await app.register(fastifyCompress, {
        encodings: ['br', 'gzip'],
        threshold: 1024,
        brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } },
      });
      app.get('/api/health', async (): Promise<HealthAnswer> => {
        const storage = options.store.health();
        return {
          status: storage.state === 'ok' ? 'ok' : 'degraded',
          uptimeSeconds: Math.round((options.clock.now() - options.startedAt) / 1000),
          meters: { online: options.health.onlineCount(), total: options.registry.meters().length },
          storage: { state: storage.state, error: storage.error, since: storage.since === null ? null : new Date(storage.since).toISOString() },
        };
      });
      app.post<{ Body: { code?: unknown } }>('/api/pair', async (request, reply) => {
        const code = request.body?.code;
        if (typeof code !== 'string') return reply.status(400).send({ error: 'send {"code": "XXXX-XXXX"} with the pairing code shown on the hub' });
        try {
          const credentials = await options.commands().redeemPairingCode(code, request.ip);
          log.info({ meterId: credentials.meterId, address: request.ip }, 'meter paired');
          return credentials;
        } catch (error) {
          if (error instanceof PairingError) {
            log.warn({ address: request.ip, status: error.status }, 'pairing refused');
            return reply.status(error.status).send({ error: error.message });
          }
          throw error;
        }
      });
      app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
        if (error instanceof z.ZodError) {
          return reply.status(400).send({ error: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
        }
        const code = (error as { code?: unknown }).code;
        const userError = error instanceof RegistryError || code === 'invalid' || code === 'not_found' || code === 'conflict' || code === 'broken';
        const status = error.statusCode ?? (userError ? (code === 'not_found' ? 404 : code === 'conflict' ? 409 : 400) : 500);
        log.warn({ url: request.url, err: error }, 'request failed');
        reply.status(status).send({ error: status < 500 ? error.message : 'internal error; see the hub log' });
      });

      await options.extend?.(app);

      wss = new WebSocketServer({ noServer: true });
      app.server.on('upgrade', (request, socket, head) => {
        if (new URL(request.url ?? '/', 'http://hub').pathname !== '/mqtt') {
          socket.destroy();
          return;
        }
        wss!.handleUpgrade(request, socket, head, (ws) => {
          const stream = createWebSocketStream(ws);
          stream.on('error', () => stream.destroy());
          options.broker.handleStream(stream, request);
        });
      });

      try {
        await app.listen({ port: options.settings.httpPort, host: options.settings.host });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new Error(
          code === 'EADDRINUSE'
            ? `--http-port: port ${options.settings.httpPort} is already in use; stop the other server or pick another port (0 picks a free one).`
            : `Cannot listen for HTTP on ${options.settings.host}:${options.settings.httpPort}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      const address = app.server.address();
      port = typeof address === 'object' && address ? address.port : options.settings.httpPort;
    },

    async stop() {
      for (const client of wss?.clients ?? []) client.terminate();
      wss?.close();
      await app?.close();
      app = null;
      wss = null;
    },
  };
}
