import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { connectAdminClient } from '../admin/adminClient.js';
import { createHubCommands, type HubCommands } from '../admin/hubCommands.js';
import { loadHubSettings } from '../config/hubSettings.js';
import { systemClock } from '../config/clock.js';
import { createLogger } from '../log/createLogger.js';
import { acquireDataDirLock, isProcessAlive, readLockOwner } from '../storage/dataDirLock.js';
import { openRegistry } from '../storage/registry.js';
import { createReadingStore } from '../storage/readingStore.js';
import { openPairingCodes } from '../pairing/pairingCodes.js';

/**
 * Runs a CLI command against a hub's data: through the running hub's admin API
 * when the lock file names a live hub, otherwise on the files directly while
 * holding the lock, so a hub cannot start halfway through.
 */
export async function withHubCommands<T>(dataDirOption: string, run: (commands: HubCommands) => Promise<T>): Promise<T> {
  const dataDir = resolve(dataDirOption);
  const owner = readLockOwner(dataDir);
  if (owner && isProcessAlive(owner.pid)) return run(await connectAdminClient(dataDir));

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const lock = acquireDataDirLock(dataDir);
  const logger = createLogger({ level: process.env.COMMONWATT_LOG_LEVEL ?? 'warn' });
  const store = createReadingStoreFor(dataDir, logger);
  try {
    const settings = await loadHubSettings(dataDir);
    const registry = await openRegistry(dataDir);
    const readingStore = await store(settings);
    try {
      return await run(
        createHubCommands({
          registry,
          store: readingStore,
          health: null,
          now: systemClock.now,
          mqttUrl: () => `mqtt://${settings.publicHost}:${settings.mqttPort}`,
          httpUrl: () => `http://${settings.publicHost}:${settings.httpPort}`,
          pairing: await openPairingCodes(dataDir),
          running: null,
          timeZone: settings.timeZone,
        }),
      );
    } finally {
      await readingStore.stop();
    }
  } finally {
    lock.release();
  }
}

function createReadingStoreFor(dataDir: string, logger: ReturnType<typeof createLogger>) {
  return async (settings: Awaited<ReturnType<typeof loadHubSettings>>) => {
    const store = createReadingStore({ ...settings, dataDir, logger, clock: systemClock });
    await store.start();
    return store;
  };
}
