import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock, DriverReading, MeterDriver } from '../drivers/meterDriver.js';
import type { AgentConfig } from './agentConfig.js';
import { createMeterLink, type MeterLink } from './meterLink.js';
import { openOutbox, type Outbox } from './outbox.js';

/**
 * The sensor agent: samples each driver's latest cumulative registers every
 * publish interval, writes new readings to the outbox (one fsync per tick for
 * all meters), and lets each meter's link send them. Drivers are opened by the
 * entry point and injected here.
 */

export const AGENT_VERSION = '0.1.0';

export interface SensorAgent {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Samples the drivers now (the interval timer calls this). */
  tick(): Promise<void>;
  readonly outbox: Outbox;
  link(meterId: string): MeterLink;
}

export function createSensorAgent(options: {
  config: AgentConfig;
  drivers: readonly MeterDriver[];
  clock: Clock;
  logger: Logger;
  /** Tests drive ticks themselves. */
  autoTick?: boolean;
  /** Reconnect backoff bounds (default 1 s to 60 s). */
  backoff?: { minMs: number; maxMs: number };
}): SensorAgent {
  const { config, drivers } = options;
  const log = options.logger.child({ module: 'agent' });
  const links = new Map<string, MeterLink>();
  const driverOf = new Map<string, MeterDriver>();
  for (const d of drivers) for (const id of d.meterIds) driverOf.set(id, d);
  const lastQueuedT = new Map<string, number>();
  let outbox: Outbox | null = null;
  let timer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> = Promise.resolve();

  async function sample(): Promise<void> {
    const items: Array<{ meterId: string; reading: DriverReading }> = [];
    for (const { meterId } of config.meters) {
      const reading = driverOf.get(meterId)?.latest(meterId);
      if (!reading || reading.t <= (lastQueuedT.get(meterId) ?? -Infinity)) continue;
      items.push({ meterId, reading });
    }
    if (items.length === 0) return;
    try {
      await outbox!.append(items);
    } catch (error) {
      log.error({ err: error }, `cannot write the outbox in ${config.stateDir}: readings of this tick are not kept; check free space`);
      return;
    }
    for (const { meterId, reading } of items) lastQueuedT.set(meterId, reading.t);
    for (const link of links.values()) link.kick();
  }

  return {
    get outbox() {
      if (!outbox) throw new Error('The agent is not started.');
      return outbox;
    },
    link(meterId) {
      const link = links.get(meterId);
      if (!link) throw new Error(`No link for meter ${meterId}.`);
      return link;
    },

    async start() {
      outbox = await openOutbox({ dir: join(config.stateDir, 'outbox') });
      for (const driver of drivers) {
        driver.on('problem', (message: string) => log.warn({ driver: driver.driver }, message));
        await driver.start();
      }
      for (const { meterId, password } of config.meters) {
        const driver = driverOf.get(meterId)!;
        const link = createMeterLink({
          url: config.hub.url,
          meterId,
          password,
          outbox,
          logger: options.logger,
          minBackoffMs: options.backoff?.minMs,
          maxBackoffMs: options.backoff?.maxMs,
          status: () => {
            const s = driver.status();
            return { driver: driver.driver, firmware: s.firmware, agentVersion: AGENT_VERSION, deviceConnected: s.connected, good: s.good, bad: s.bad, queued: outbox!.pending(meterId), driverError: s.lastError };
          },
        });
        links.set(meterId, link);
        link.start();
      }
      if (options.autoTick !== false) {
        timer = setInterval(() => {
          ticking = ticking.then(sample);
        }, config.publishIntervalMs);
      }
      log.info({ meters: config.meters.length, drivers: drivers.length, hub: config.hub.url, pending: outbox.totalPending() }, 'sensor agent running');
    },

    tick() {
      ticking = ticking.then(sample);
      return ticking;
    },

    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await ticking;
      await Promise.all([...links.values()].map((l) => l.stop()));
      for (const driver of drivers) await driver.stop();
      await outbox?.close();
    },
  };
}
