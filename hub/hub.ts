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
import { openGovernanceStore, type GovernanceStore } from './governance/governanceStore.js';
import { ensureStarterProposal } from './governance/starterProposal.js';
import { openReleasedFigures, type ReleasedFigures } from './publication/releasedFigures.js';
import { createPublicationEngine, type PublicationEngine } from './publication/publicationEngine.js';
import { governanceSources } from './publication/governancePolicies.js';
import { publicTopic, registerPublicSurfaces } from './publication/publicSurfaces.js';
import { publicSurfaceSources } from './publication/publicSurfaceSources.js';
import { openPartnerTokens } from './publication/partnerTokens.js';
import { createGovernanceCommands, type GovernanceCommands } from './admin/governanceCommands.js';
import { registerGovernanceRoutes } from './admin/governanceRoutes.js';
import { openUserStore } from './auth/userStore.js';
import { createSessionStore } from './auth/sessionStore.js';
import { registerAdminAuth, requireRole } from './auth/adminAuth.js';
import { createUserCommands } from './auth/userCommands.js';
import { registerDashboard } from '../dashboard/server/dashboardRoutes.js';
import { loadDashboardStrings } from '../dashboard/server/dashboardStrings.js';
import { loadDashboardAssets } from '../dashboard/server/dashboardAssets.js';
import { registerSignedInPages } from '../dashboard/server/signedInPages.js';
import { registerVolunteerRoutes } from './admin/volunteerRoutes.js';
import { registerGroupRecordRoutes } from './admin/groupRecordRoutes.js';
import { createLiveGeneration, type LiveGeneration } from './publication/liveGeneration.js';

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
  readonly governance: GovernanceStore;
  readonly governanceCommands: GovernanceCommands;
  readonly released: ReleasedFigures;
  readonly publication: PublicationEngine;
  /** "Solar generation now", when a policy in force turns it on. */
  readonly live: LiveGeneration;
  stop(): Promise<void>;
}

// Daily: each run is recorded in the decision log, which a lowdb write rewrites whole.
const RETENTION_INTERVAL_MS = 86_400_000;

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

    const governance = await openGovernanceStore(dataDir, { timeZone: settings.timeZone });
    await ensureStarterProposal(governance, clock.now());
    const released = openReleasedFigures(dataDir);
    stack.push(() => released.close());
    const partnerTokens = await openPartnerTokens(dataDir);
    // Dashboard pages hear of each release, to tell open screens to fetch new figures.
    const releaseListeners = new Set<() => void>();
    const dashboardStrings = loadDashboardStrings();
    const dashboardAssets = loadDashboardAssets();
    const neighbourhoodName = settings.neighbourhoodName ?? dashboardStrings.t('common.defaultNeighbourhoodName');
    const live = createLiveGeneration({ store, registry, governance, calendar: store.calendar, clock });
    const publication = createPublicationEngine({
      store,
      registry,
      sources: governanceSources(governance, options.logger),
      released,
      clock,
      logger: options.logger,
      onReleased(figures) {
        for (const listener of releaseListeners) {
          try {
            listener();
          } catch (error) {
            log.warn({ err: error }, 'a listener for released figures failed');
          }
        }
        // Retained public topics carry each series' latest released figure.
        const latest = new Map<string, (typeof figures)[number]>();
        for (const f of figures) if (f.audience === 'open') latest.set(publicTopic(f.groupId, f.metric, f.resolution), f);
        for (const [topic, f] of latest) {
          if (!f.decision.released) continue;
          void broker
            .publishRetained(topic, {
              periodStart: new Date(f.periodStart).toISOString(),
              periodEnd: new Date(f.periodEnd).toISOString(),
              day: f.day,
              totalWh: f.decision.totalWh,
              householdsAtLeast: f.decision.householdsAtLeast,
              completenessPercent: f.completenessPercent,
            })
            .catch(() => {});
        }
      },
    });
    const governanceCommands = createGovernanceCommands({ governance, registry, store, released, engine: publication, partnerTokens, now: clock.now });
    const users = await openUserStore(dataDir);
    const sessions = createSessionStore({ clock });

    let commands: HubCommands | null = null;
    const http: PublicServer = createPublicServer({
      settings,
      broker,
      registry,
      store,
      health,
      clock,
      startedAt,
      logger: options.logger,
      commands: () => commands!,
      async extend(app) {
        const publicSources = publicSurfaceSources({ governance, released, partnerTokens, clock });
        registerPublicSurfaces(app, publicSources);
        registerDashboard(app, {
          sources: publicSources,
          calendar: store.calendar,
          clock,
          strings: dashboardStrings,
          assets: dashboardAssets,
          neighbourhoodName,
          live,
          logger: options.logger,
          co2GramsPerKwh: settings.co2GramsPerKwh,
          contact: settings.contact ?? dashboardStrings.t('common.defaultContact'),
          onReleased(listener) {
            releaseListeners.add(listener);
            return () => releaseListeners.delete(listener);
          },
        });
        await registerAdminAuth(app, { users, sessions, clock, logger: options.logger, secureCookies: false });
        registerGovernanceRoutes(app, governanceCommands, requireRole('group'));
        app.get('/api/admin/meters', { preHandler: requireRole('volunteer') }, () => commands!.listMeters());
        // The group reads the household list too: its consent register names households.
        registerVolunteerRoutes(app, { commands: () => commands!, registry, health, clock, logger: options.logger }, requireRole('volunteer'), requireRole('volunteer', 'group'));
        registerGroupRecordRoutes(app, governance, requireRole('group'));
        registerSignedInPages(app, {
          strings: dashboardStrings,
          assets: dashboardAssets,
          neighbourhoodName,
          timeZone: settings.timeZone,
        });
      },
    });
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
    const admin: AdminServer = createAdminServer({ dataDir, commands, governance: governanceCommands, users: createUserCommands({ users, sessions, now: clock.now }), logger: options.logger });
    await admin.start();
    stack.push(() => admin.stop());

    const runRetention = () => {
      try {
        const result = store.applyRetention();
        log.info({ deleted: result, rawRetentionDays: settings.rawRetentionDays, intervalRetentionDays: settings.intervalRetentionDays }, 'retention run');
        void governance.recordRetentionRun({ deleted: { ...result } }, clock.now()).catch((error) => log.warn({ err: error }, 'retention run not recorded in the decision log'));
      } catch (error) {
        log.error({ err: error }, 'retention run failed; it is tried again tomorrow or at the next start');
        void governance.recordRetentionRun({ deleted: {}, error: (error as Error).message }, clock.now()).catch(() => {});
      }
    };
    runRetention();
    const retentionTimer = setInterval(runRetention, RETENTION_INTERVAL_MS);
    stack.push(() => clearInterval(retentionTimer));
    publication.start();
    stack.push(() => publication.stop());

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
      governance,
      governanceCommands,
      released,
      publication,
      live,
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
