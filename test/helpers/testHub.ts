import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createLogger } from '../../hub/log/createLogger.js';
import { startHub, type Hub, type HubOptions } from '../../hub/hub.js';
import type { MeterCredentials } from '../../hub/admin/hubCommands.js';
import type { MeterKind } from '../../hub/storage/registry.js';
import { makeTempDir } from './tempDir.js';

/**
 * A real hub on loopback ports picked by the OS, in a temp data dir, with a
 * short group-commit delay so tests don't wait for the production default.
 */
export interface TestHub {
  hub: Hub;
  dataDir: string;
  mqttUrl: string;
  addMeter(kind?: MeterKind, zone?: string): Promise<MeterCredentials & { householdId: string }>;
  connect(credentials?: { username: string; password: string }, extra?: IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
}

export async function startTestHub(
  settings: Record<string, unknown> = {},
  extra: Partial<HubOptions> & { dataDir?: string; keepDir?: boolean } = {},
): Promise<TestHub> {
  const temp = extra.dataDir ? null : await makeTempDir();
  const dataDir = extra.dataDir ?? temp!.dir;
  const hub = await startHub({
    dataDir,
    logger: createLogger({ level: process.env.COMMONWATT_TEST_LOG_LEVEL ?? 'silent' }),
    ...extra,
    settings: { mqttPort: 0, httpPort: 0, host: '127.0.0.1', publicHost: '127.0.0.1', commitDelayMs: 30, timeZone: 'Europe/London', ...settings },
  });
  const mqttUrl = `mqtt://127.0.0.1:${hub.mqttPort}`;
  const clients: MqttClient[] = [];
  return {
    hub,
    dataDir,
    mqttUrl,
    async addMeter(kind = 'grid', zone) {
      const household = await hub.commands.addHousehold({ label: `Test household ${Math.random().toString(36).slice(2, 8)}`, zone: zone ?? null });
      const credentials = await hub.commands.addMeter({ householdId: household.id, kind, driver: 'mqtt' });
      return { ...credentials, householdId: household.id };
    },
    async connect(credentials, options = {}) {
      const client = await connectClient(mqttUrl, { ...credentials, ...options });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await hub.stop();
      if (!extra.keepDir) await temp?.remove();
    },
  };
}

export function connectClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
  });
}

/** Publishes at QoS 1 and resolves on PUBACK; rejects if the connection closes first. */
export function publishAcked(client: MqttClient, topic: string, payload: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('connection closed before PUBACK'));
    client.once('close', onClose);
    client.publish(topic, payload, { qos: 1 }, (error) => {
      client.off('close', onClose);
      if (error) reject(error);
      else resolve();
    });
  });
}

/** Collects JSON messages on a topic the client may subscribe to. */
export async function collect<T = unknown>(client: MqttClient, topic: string): Promise<T[]> {
  const messages: T[] = [];
  client.on('message', (t, payload) => {
    if (t === topic) messages.push(JSON.parse(payload.toString()) as T);
  });
  const [granted] = await subscribeGranted(client, [topic]);
  if (granted === 128) throw new Error(`subscription to ${topic} refused`);
  return messages;
}

export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Subscribes and returns the granted QoS per topic; 128 where the broker refused. */
export async function subscribeGranted(client: MqttClient, topics: string[]): Promise<number[]> {
  const granted: number[] = [];
  for (const topic of topics) {
    try {
      const answer = await client.subscribeAsync(topic, { qos: 1 });
      granted.push(answer[0]?.qos ?? 128);
    } catch {
      granted.push(128);
    }
  }
  return granted;
}
