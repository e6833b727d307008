import { createServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { Logger } from '../log/createLogger.js';
import type { Clock } from '../config/clock.js';
import type { HubSettings } from '../config/hubSettings.js';
import type { Registry } from '../storage/registry.js';
import type { DeviceHealth } from '../ingest/deviceHealth.js';
import type { Ingest, IngestResult } from '../ingest/ingest.js';
import { createLoginThrottle } from './loginThrottle.js';
import { verifyMeterSecret } from './meterSecret.js';
import { HUB_STATUS_TOPIC, meterTopics, parseMeterTopic, type HubStatusMessage } from './topics.js';

/**
 * The embedded Aedes broker with the hub's access rules (ARCHITECTURE.md
 * "MQTT topics"):
 * - a meter logs in with its meter id and secret, publishes only under
 *   commonwatt/meters/{its id}/ and subscribes only to its own `rejected`;
 * - anonymous clients subscribe only to commonwatt/public/# and the hub status;
 * - nobody but the hub receives readings.
 * Readings are stored inside authorizePublish, because Aedes sends the PUBACK
 * only after that callback; the `published` hook would be too late.
 */

type Identity = { role: 'meter'; meterId: string } | { role: 'public' };

export interface HubBroker {
  readonly aedes: Aedes;
  readonly mqttPort: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Serves MQTT over a WebSocket stream (the HTTP server's /mqtt). */
  handleStream(stream: Duplex, request?: IncomingMessage): void;
  /** Closes the connections of a meter (after it was removed). */
  disconnectMeter(meterId: string): void;
  publishRetained(topic: string, payload: unknown): Promise<void>;
}

export interface HubBrokerOptions {
  settings: HubSettings;
  registry: Registry;
  ingest: () => Ingest;
  health: DeviceHealth;
  clock: Clock;
  logger: Logger;
}

export function createHubBroker(options: HubBrokerOptions): HubBroker {
  const { settings, registry, health, clock } = options;
  const log = options.logger.child({ module: 'broker' });
  const identities = new WeakMap<Client, Identity>();
  const throttle = createLoginThrottle({ freeFailures: settings.loginFailuresBeforeDelay });
  let aedes: Aedes | null = null;
  let server: Server | null = null;
  let mqttPort = 0;

  function remoteAddress(client: Client): string {
    const conn = client.conn as { remoteAddress?: string } | undefined;
    return conn?.remoteAddress ?? client.req?.socket?.remoteAddress ?? 'unknown';
  }

  function authError(message: string, returnCode: 4 | 5): AuthenticateError {
    return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
  }

  const authenticate = (client: Client, username: string | undefined, password: Buffer | undefined, done: (error: AuthenticateError | null, success: boolean | null) => void) => {
    if (!username && !password) {
      identities.set(client, { role: 'public' });
      return done(null, true);
    }
    const address = remoteAddress(client);
    const wait = throttle.delayFor(address, clock.now());
    const meter = username ? registry.meter(username) : undefined;
    const check = meter && password ? verifyMeterSecret(password.toString('utf8'), meter.secretHash) : Promise.resolve(false);
    check
      .catch(() => false)
      .then((ok) => {
        const answer = () => {
          if (ok && meter) {
            throttle.succeeded(address);
            identities.set(client, { role: 'meter', meterId: meter.id });
            return done(null, true);
          }
          const failures = throttle.failed(address, clock.now());
          log.warn({ address, username: username?.slice(0, 64), failures, reason: meter ? 'wrong secret' : 'unknown meter' }, 'meter login refused');
          done(authError('Bad username or password', 4), false);
        };
        if (wait > 0) setTimeout(answer, wait);
        else answer();
      });
  };

  const authorizePublish = (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => {
    const topic = parseMeterTopic(packet.topic);
    if (!client) {
      // A last will published after its client is gone: only a meter's status.
      return callback(topic?.kind === 'status' ? null : new Error(`will on ${packet.topic} is not allowed`));
    }
    const identity = identities.get(client);
    if (!identity || identity.role !== 'meter') {
      return callback(new Error(`anonymous clients may not publish (topic ${packet.topic}); log in with a meter id and secret`));
    }
    if (!topic || topic.meterId !== identity.meterId || topic.kind === 'rejected') {
      log.warn({ meterId: identity.meterId, topic: packet.topic.slice(0, 200) }, 'publish outside the meter\'s own topics refused');
      return callback(new Error(`meter ${identity.meterId} may publish only to ${meterTopics(identity.meterId).readings} and .../status`));
    }
    if (topic.kind === 'status') {
      try {
        health.deviceStatus(identity.meterId, JSON.parse(packet.payload.toString()));
      } catch {
        log.info({ meterId: identity.meterId }, 'status payload is not JSON; ignored');
      }
      return callback(null);
    }
    packet.retain = false; // readings are never kept in the broker
    options
      .ingest()
      .handle(identity.meterId, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload))
      .then(
        () => callback(null),
        (error: Error) => {
          log.error({ meterId: identity.meterId, err: error }, 'readings not stored; PUBACK withheld and connection closed');
          callback(error);
        },
      );
  };

  const authorizeSubscribe = (client: Client, sub: Subscription, callback: (error: Error | null, subscription?: Subscription | null) => void) => {
    const identity = identities.get(client);
    let allowed = false;
    if (identity?.role === 'meter') allowed = sub.topic === meterTopics(identity.meterId).rejected;
    else if (identity?.role === 'public') allowed = sub.topic === HUB_STATUS_TOPIC || sub.topic.startsWith('commonwatt/public/');
    if (!allowed) log.info({ role: identity?.role, topic: sub.topic.slice(0, 200) }, 'subscription refused');
    callback(null, allowed ? sub : null);
  };

  const authorizeForward = (client: Client, packet: AedesPublishPacket) => {
    const topic = parseMeterTopic(packet.topic);
    if (!topic) return packet;
    if (topic.kind !== 'rejected') return null;
    const identity = identities.get(client);
    return identity?.role === 'meter' && identity.meterId === topic.meterId ? packet : null;
  };

  function publish(topic: string, payload: unknown, retain: boolean): Promise<void> {
    return new Promise((resolve, reject) =>
      aedes!.publish(
        { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain, dup: false },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
  }

  return {
    get aedes() {
      if (!aedes) throw new Error('The broker is not started.');
      return aedes;
    },
    get mqttPort() {
      return mqttPort;
    },

    async start() {
      aedes = await Aedes.createBroker({ authenticate, authorizePublish, authorizeSubscribe, authorizeForward });
      aedes.on('clientReady', (client) => {
        const identity = identities.get(client);
        if (identity?.role === 'meter') health.connected(identity.meterId, clock.now());
      });
      aedes.on('clientDisconnect', (client) => {
        const identity = identities.get(client);
        if (identity?.role === 'meter') health.disconnected(identity.meterId, clock.now());
      });
      aedes.on('clientError', (client, error) => {
        const identity = identities.get(client);
        log.info({ meterId: identity?.role === 'meter' ? identity.meterId : undefined, error: error.message }, 'client error');
      });
      server = createServer(aedes.handle);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', (error: NodeJS.ErrnoException) =>
          reject(
            new Error(
              error.code === 'EADDRINUSE'
                ? `--mqtt-port: port ${settings.mqttPort} is already in use; stop the other MQTT broker or pick another port (0 picks a free one).`
                : `Cannot listen for MQTT on ${settings.host}:${settings.mqttPort}: ${error.message}`,
              { cause: error },
            ),
          ),
        );
        server!.listen(settings.mqttPort, settings.host, () => resolve());
      });
      const address = server.address();
      mqttPort = typeof address === 'object' && address ? address.port : settings.mqttPort;
      const status: HubStatusMessage = { online: true, since: new Date(clock.now()).toISOString() };
      await publish(HUB_STATUS_TOPIC, status, true);
    },

    async stop() {
      if (!aedes) return;
      const status: HubStatusMessage = { online: false, since: new Date(clock.now()).toISOString() };
      await publish(HUB_STATUS_TOPIC, status, true).catch(() => {});
      // Stop accepting, then let Aedes close its clients: net.Server.close
      // waits for open connections, so awaiting it first would hang.
      const closed = new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
      await new Promise<void>((resolve) => aedes!.close(() => resolve()));
      for (const client of Object.values((aedes as unknown as { clients: Record<string, Client> }).clients)) client.close();
      await closed;
      aedes = null;
      server = null;
    },

    handleStream(stream, request) {
      aedes?.handle(stream, request);
    },

    disconnectMeter(meterId) {
      if (!aedes) return;
      for (const client of Object.values((aedes as unknown as { clients: Record<string, Client> }).clients)) {
        const identity = identities.get(client);
        if (identity?.role === 'meter' && identity.meterId === meterId) client.close();
      }
    },

    publishRetained: (topic, payload) => publish(topic, payload, true),
  };
}

/** Payload for a meter's `rejected` topic. */
export function rejectionPayload(result: IngestResult) {
  return { received: result.received, stored: result.stored, rejected: result.rejections };
}
