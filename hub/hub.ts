import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from './log/createLogger.js';
import { systemClock, type Clock } from './config/clock.js';
import { loadHubSettings, type HubSettings } from './config/hubSettings.js';
import { acquireDataDirLock, type DataDirLock } from './storage/dataDirLock.js';
import { openRegistry, type Registry } from './storage/registry.js';
import { createReadingStore, type ReadingStore } from './storage/readingStore.js';
import type { JournalFile } from './storage/readingJournal.js';
import { createDeviceHealth, type DeviceHealth } from './ingest/deviceHealth.js';
import { createIngest, type Ingest } from './ingest/ingest.js';
import { createHubBroker, rejectionPayload, type HubBroker } from './broker/hubBroker.js';
import { meterTopics } from './broker/topics.js';
import { createPublicServer, type PublicServer } from './http/publicServer.js';
import { createAdminServer, type AdminServer } from './admin/adminServer.js';
import { createHubCommands, type HubCommands } from './admin/hubCommands.js';
import { openPairingCodes } from './pairing/pairingCodes.js';

/**
 * The hub process: starts its parts in order (lock, settings, registry,
 * reading store, broker, HTTP, admin API) and stops them in reverse.
 */

export interface HubOptions {
  dataDir: string;
  /** Overrides of settings.json, e.g. from command-line flags. */
  settings?: Record<string, unknown>;
  logger: Logger;
  clock?: Clock;
  wrapJournalFile?: (handle: FileHandle) => JournalFile;
}

export interface Hub {
  readonly dataDir: string;
  readonly settings: HubSettings;
  readonly mqttPort: number;
  readonly httpPort: number;
  readonly registry: Registry;
  readonly store: ReadingStore;
  readonly health: DeviceHealth;
  readonly broker: HubBroker;
  readonly commands: HubCommands;
  stop(): Promise<void>;
}

const RETENTION_INTERVAL_MS = 3_600_000;

export async function startHub(options: HubOptions): Promise<Hub> {
  const clock = options.clock ?? systemClock;
  const log = options.logger.child({ module: 'hub' });
  const dataDir = resolve(options.dataDir);
  const startedAt = clock.now();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const stack: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    while (stack.length > 0) {
      try {
        await stack.pop()!();
      } catch (error) {
        log.error({ err: error }, 'error while stopping');
      }
    }
  };

  try {
    const lock: DataDirLock = acquireDataDirLock(dataDir, clock.now);
    stack.push(() => lock.release());
    const settings = await loadHubSettings(dataDir, options.settings);
    const registry = await openRegistry(dataDir);
    const store = createReadingStore({ ...settings, dataDir, logger: options.logger, clock, wrapJournalFile: options.wrapJournalFile });
    await store.start();
    stack.push(() => store.stop());
    const health = createDeviceHealth(settings.quarantineSize);

    let ingest: Ingest | null = null;
    const broker = createHubBroker({ settings, registry, health, clock, logger: options.logger, ingest: () => ingest! });
    ingest = createIngest({
      registry,
      store,
      health,
      settings,
      clock,
      logger: options.logger,
      publishRejections(meterId, result) {
        broker.aedes.publish(
          { cmd: 'publish', topic: meterTopics(meterId).rejected, payload: Buffer.from(JSON.stringify(rejectionPayload(result))), qos: 1, retain: false, dup: false },
          () => {},
        );
      },
    });
    await broker.start();
    stack.push(() => broker.stop());

    let commands: HubCommands | null = null;
    const http: PublicServer = createPublicServer({ settings, broker, registry, store, health, clock, startedAt, logger: options.logger, commands: () => commands! });
    await http.start();
    stack.push(() => http.stop());

    const pairing = await openPairingCodes(dataDir);
    commands = createHubCommands({
      registry,
      store,
      health,
      now: clock.now,
      mqttUrl: () => `mqtt://${settings.publicHost}:${broker.mqttPort}`,
      httpUrl: () => `http://${settings.publicHost}:${http.port}`,
      pairing,
      running: { startedAt, mqttPort: broker.mqttPort, httpPort: http.port },
      timeZone: settings.timeZone,
      onMeterRemoved(meterId) {
        broker.disconnectMeter(meterId);
        health.forget(meterId);
      },
    });
    const admin: AdminServer = createAdminServer({ dataDir, commands, logger: options.logger });
    await admin.start();
    stack.push(() => admin.stop());

    const runRetention = () => {
      try {
        const result = store.applyRetention();
        log.info({ deleted: result, rawRetentionDays: settings.rawRetentionDays, intervalRetentionDays: settings.intervalRetentionDays }, 'retention run');
      } catch (error) {
        log.error({ err: error }, 'retention run failed; it is tried again in an hour');
      }
    };
    runRetention();
    const retentionTimer = setInterval(runRetention, RETENTION_INTERVAL_MS);
    stack.push(() => clearInterval(retentionTimer));

    log.info(
      { mqttPort: broker.mqttPort, httpPort: http.port, host: settings.host, dataDir, timeZone: settings.timeZone, meters: registry.meters().length },
      `ready: MQTT on ${settings.host}:${broker.mqttPort}, HTTP on ${settings.host}:${http.port} (MQTT over WebSocket at /mqtt)`,
    );

    let stopped: Promise<void> | null = null;
    return {
      dataDir,
      settings,
      mqttPort: broker.mqttPort,
      httpPort: http.port,
      registry,
      store,
      health,
      broker,
      commands,
      stop() {
        stopped ??= stopAll().then(() => log.info('stopped'));
        return stopped;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
