import mqtt, { UniqueMessageIdProvider, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Outbox, OutboxEntry } from './outbox.js';

/**
 * One meter's MQTT connection to the hub: sends its readings from the outbox
 * (a backlog in arrays of up to 500), acks them in the outbox on PUBACK,
 * publishes its retained status with a last will, and logs what the hub
 * rejected. A new mqtt.js client is made for every connection, and unacked
 * readings go back to the outbox, so the backlog never lives in mqtt.js's store.
 */

export interface MeterLinkOptions {
  url: string;
  meterId: string;
  password: string;
  outbox: Outbox;
  logger: Logger;
  status(): Record<string, unknown>;
  /** Messages in flight at once (each up to `batchSize` readings). */
  window?: number;
  batchSize?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface MeterLink {
  start(): void;
  stop(): Promise<void>;
  /** New readings are in the outbox: send them if connected. */
  kick(): void;
  publishStatus(): void;
  readonly connected: boolean;
  readonly lastError: string | null;
  readonly sent: number;
  readonly acked: number;
}

export function createMeterLink(options: MeterLinkOptions): MeterLink {
  const log = options.logger.child({ meterId: options.meterId });
  const topics = {
    readings: `commonwatt/meters/${options.meterId}/readings`,
    status: `commonwatt/meters/${options.meterId}/status`,
    rejected: `commonwatt/meters/${options.meterId}/rejected`,
  };
  const window = options.window ?? 4;
  const batchSize = options.batchSize ?? 500;
  const minBackoff = options.minBackoffMs ?? 1000;
  const maxBackoff = options.maxBackoffMs ?? 60_000;

  let client: MqttClient | null = null;
  let connected = false;
  let stopped = true;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let pumping = false;
  const inFlight = new Set<OutboxEntry[]>();
  let lastError: string | null = null;
  let sent = 0;
  let acked = 0;

  function connect(): void {
    const c = mqtt.connect(options.url, {
      username: options.meterId,
      password: options.password,
      clientId: `commonwatt-${options.meterId}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 15_000,
      messageIdProvider: new UniqueMessageIdProvider(),
      will: { topic: topics.status, payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true },
    });
    client = c;
    c.on('connect', () => {
      connected = true;
      attempt = 0;
      log.info({ url: options.url }, 'connected to the hub');
      c.subscribe(topics.rejected, { qos: 1 });
      publishStatus();
      pump();
    });
    c.on('message', (topic, payload) => {
      if (topic === topics.rejected) onRejected(payload);
    });
    c.on('error', (error: Error & { code?: number | string }) => {
      lastError =
        error.code === 4 || error.code === 5 || /not authori|bad user/i.test(error.message)
          ? `the hub refused meter ${options.meterId}'s credentials: check the password in the config or pair again`
          : `cannot reach the hub at ${options.url}: ${error.message}`;
      log.warn({ error: error.message }, lastError);
    });
    c.on('close', () => onClose(c));
  }

  function onClose(c: MqttClient): void {
    if (client !== c) return;
    connected = false;
    client = null;
    c.removeAllListeners();
    c.on('error', () => {});
    c.end(true);
    for (const batch of inFlight) options.outbox.giveBack(batch);
    inFlight.clear();
    if (stopped) return;
    // Exponential backoff with jitter, so a neighbourhood of agents does not reconnect in step.
    const base = Math.min(maxBackoff, minBackoff * 2 ** attempt);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    attempt = Math.min(attempt + 1, 16);
    log.info({ retryInMs: delay }, 'disconnected from the hub; readings wait in the outbox');
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      if (!stopped) connect();
    }, delay);
  }

  function onRejected(payload: Buffer): void {
    let message: { rejected?: Array<{ code: string; reason: string; t: number | null }> };
    try {
      message = JSON.parse(payload.toString()) as typeof message;
    } catch {
      return;
    }
    for (const r of message.rejected ?? []) {
      if (r.code === 'duplicate') {
        log.debug({ t: r.t }, 'hub already had this reading');
        continue;
      }
      lastError = `hub rejected a reading (${r.code}): ${r.reason}`;
      log.warn({ t: r.t, code: r.code }, lastError);
    }
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (connected && client && inFlight.size < window) {
        const c = client;
        const batch = await options.outbox.take(options.meterId, batchSize);
        if (batch.length === 0) break;
        if (client !== c || !connected) {
          options.outbox.giveBack(batch);
          break;
        }
        inFlight.add(batch);
        const payload = JSON.stringify(batch.length === 1 ? batch[0]!.reading : batch.map((e) => e.reading));
        sent += batch.length;
        c.publish(topics.readings, payload, { qos: 1 }, (error) => {
          if (!inFlight.delete(batch)) return; // already given back on close
          if (error) {
            options.outbox.giveBack(batch);
            return;
          }
          options.outbox.ack(batch);
          acked += batch.length;
          void pump();
        });
      }
    } catch (error) {
      lastError = `outbox read failed: ${(error as Error).message}`;
      log.error({ err: error }, lastError);
    } finally {
      pumping = false;
    }
  }

  function publishStatus(): void {
    if (!client || !connected) return;
    client.publish(topics.status, JSON.stringify({ online: true, ...options.status(), lastError }), { qos: 1, retain: true });
  }

  return {
    start() {
      stopped = false;
      connect();
    },
    async stop() {
      stopped = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      const c = client;
      if (c) {
        if (connected) {
          // Say goodbye, but never wait long for a busy hub to ack it: the last will covers the rest.
          await Promise.race([
            new Promise<void>((resolve) => c.publish(topics.status, JSON.stringify({ online: false }), { qos: 1, retain: true }, () => resolve())),
            new Promise<void>((resolve) => setTimeout(resolve, 3_000).unref()),
          ]);
        }
        await Promise.race([c.endAsync().catch(() => {}), new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref())]);
        onClose(c);
      }
    },
    kick() {
      void pump();
    },
    publishStatus,
    get connected() {
      return connected;
    },
    get lastError() {
      return lastError;
    },
    get sent() {
      return sent;
    },
    get acked() {
      return acked;
    },
  };
}
