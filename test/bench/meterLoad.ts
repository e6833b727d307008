import mqtt, { UniqueMessageIdProvider, type MqttClient } from 'mqtt';

/**
 * The load generator: mqtt.js clients, one per meter, logging in with the
 * meter's own credentials and publishing one valid reading per QoS 1 message on
 * `commonwatt/meters/{meterId}/readings`. Two patterns:
 * - flood: as fast as PUBACKs allow, with at most `window` unacked publishes
 *   per client (the next reading goes out when one is acked);
 * - pace: one reading every `intervalMs`, starting at `offsetMs`, as a meter does.
 * Each client uses UniqueMessageIdProvider (STYLE.md "Traps already found").
 */

export interface MeterLogin {
  meterId: string;
  password: string;
}

export interface LoadCounters {
  sent: number;
  acked: number;
  /** Publishes that ended without a PUBACK (connection closed, refused). */
  errors: number;
  inflight: number;
  /** Flood clients that ran out of planned readings before they were stopped. */
  capped: number;
}

export function newCounters(): LoadCounters {
  return { sent: 0, acked: 0, errors: 0, inflight: 0, capped: 0 };
}

export function readingsTopic(meterId: string): string {
  return `commonwatt/meters/${meterId}/readings`;
}

export async function connectMeter(url: string, meter: MeterLogin, timeoutMs = 60_000): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    clientId: meter.meterId,
    username: meter.meterId,
    password: meter.password,
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    messageIdProvider: new UniqueMessageIdProvider(),
  });
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      client.removeListener('connect', ok);
      client.end(true);
      reject(new Error(`meter ${meter.meterId} could not connect to ${url}: ${error.message}`, { cause: error }));
    };
    const ok = () => {
      client.removeListener('error', fail);
      client.removeListener('close', closed);
      client.on('error', () => {}); // a later error surfaces as failed publishes
      resolve(client);
    };
    const closed = () => fail(new Error('connection closed before CONNACK'));
    client.once('connect', ok);
    client.once('error', fail);
    client.once('close', closed);
  });
}

/** Connects the meters with at most `concurrency` logins under way (each costs the broker one scrypt). */
export async function connectMeters(url: string, meters: readonly MeterLogin[], concurrency = 32): Promise<MqttClient[]> {
  const clients: MqttClient[] = new Array(meters.length);
  let next = 0;
  const worker = async () => {
    while (next < meters.length) {
      const i = next++;
      clients[i] = await connectMeter(url, meters[i]!);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, meters.length) }, worker));
  } catch (error) {
    closeClients(clients.filter(Boolean), true);
    throw error;
  }
  return clients;
}

export function closeClients(clients: readonly MqttClient[], force = false): Promise<void> {
  return Promise.all(clients.map((c) => c.endAsync(force).catch(() => {}))).then(() => {});
}

/**
 * Reading k of a flood: t = firstT + k·stepMs, importWh = 1000 + k. With
 * stepMs = 100 that is 1 Wh per 100 ms (36 kW), under the hub's 60 kW limit.
 */
export interface FloodPlan {
  firstT: number;
  stepMs: number;
  nextK: number;
  /** Readings k < endK exist; a client stops when it reaches endK. */
  endK: number;
}

/** A plan of `count` readings per meter, the last one a minute before now (never in the future). */
export function floodPlan(count: number, stepMs: number): FloodPlan {
  return { firstT: Date.now() - 60_000 - count * stepMs, stepMs, nextK: 0, endK: count };
}

export function floodPayload(plan: FloodPlan, k: number): string {
  return `{"t":${plan.firstT + k * plan.stepMs},"importWh":${1000 + k},"exportWh":0}`;
}

export interface LoadHandle {
  /** Stops publishing and waits (at most drainMs) for the unacked publishes to end. */
  stop(drainMs: number): Promise<void>;
}

/** The unacked publishes of one client, so that stop() can wait for them. */
function inflightTracker(counters: LoadCounters) {
  let inflight = 0;
  let drained: (() => void) | null = null;
  return {
    get count() {
      return inflight;
    },
    sent() {
      inflight++;
      counters.inflight++;
      counters.sent++;
    },
    ended(acked: boolean) {
      inflight--;
      counters.inflight--;
      if (acked) counters.acked++;
      else counters.errors++;
      if (inflight === 0) drained?.();
    },
    /** Resolves once nothing is unacked, or after drainMs. */
    drain(drainMs: number) {
      return new Promise<void>((resolve) => {
        if (inflight === 0 || drainMs <= 0) return resolve();
        const timer = setTimeout(resolve, drainMs);
        drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

export function flood(
  client: MqttClient,
  meterId: string,
  plan: FloodPlan,
  window: number,
  counters: LoadCounters,
  onAck?: (t: number) => void,
): LoadHandle {
  const topic = readingsTopic(meterId);
  const inflight = inflightTracker(counters);
  let active = true;

  const pump = () => {
    while (active && inflight.count < window && plan.nextK < plan.endK) {
      const k = plan.nextK++;
      const t = plan.firstT + k * plan.stepMs;
      inflight.sent();
      client.publish(topic, floodPayload(plan, k), { qos: 1 }, (error) => {
        // After an error the connection is gone or refused: this client stops (no retry storm).
        if (error) active = false;
        else onAck?.(t);
        inflight.ended(!error);
        if (active) pump();
      });
    }
    if (active && plan.nextK >= plan.endK) {
      active = false;
      counters.capped++;
    }
  };
  pump();
  client.once('close', () => {
    active = false;
  });

  return {
    async stop(drainMs) {
      active = false;
      await inflight.drain(drainMs);
    },
  };
}

export function pace(client: MqttClient, meterId: string, intervalMs: number, offsetMs: number, counters: LoadCounters): LoadHandle {
  const topic = readingsTopic(meterId);
  const inflight = inflightTracker(counters);
  let importWh = 1000;
  let lastT = 0;
  let interval: NodeJS.Timeout | null = null;

  const tick = () => {
    const t = Math.max(Date.now(), lastT + 1);
    lastT = t;
    importWh += 3; // about 1 kW over 10 s
    inflight.sent();
    client.publish(topic, `{"t":${t},"importWh":${importWh},"exportWh":0}`, { qos: 1 }, (error) => inflight.ended(!error));
  };
  const first = setTimeout(() => {
    tick();
    interval = setInterval(tick, intervalMs);
  }, offsetMs);

  return {
    async stop(drainMs) {
      clearTimeout(first);
      if (interval) clearInterval(interval);
      await inflight.drain(drainMs);
    },
  };
}
