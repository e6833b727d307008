import { resolve } from 'node:path';
import { connectGovernanceClient } from '../admin/governanceAdminClient.js';
import { createGovernanceCommands, type GovernanceCommands } from '../admin/governanceCommands.js';
import { loadHubSettings } from '../config/hubSettings.js';
import { systemClock } from '../config/clock.js';
import { createLogger } from '../log/createLogger.js';
import { openGovernanceStore } from '../governance/governanceStore.js';
import { ensureStarterProposal } from '../governance/starterProposal.js';
import { openReleasedFigures } from '../publication/releasedFigures.js';
import { openPartnerTokens } from '../publication/partnerTokens.js';
import { acquireDataDirLock, isProcessAlive, readLockOwner } from '../storage/dataDirLock.js';
import { openRegistry } from '../storage/registry.js';
import { createReadingStore } from '../storage/readingStore.js';

/** Like withHubCommands, for the group's commands (policy, consent, publish status). */
export async function withGovernanceCommands<T>(dataDirOption: string, run: (commands: GovernanceCommands) => Promise<T>): Promise<T> {
  const dataDir = resolve(dataDirOption);
  const owner = readLockOwner(dataDir);
  if (owner && isProcessAlive(owner.pid)) return run(await connectGovernanceClient(dataDir));

  const lock = acquireDataDirLock(dataDir);
  try {
    const settings = await loadHubSettings(dataDir);
    const logger = createLogger({ level: process.env.COMMONWATT_LOG_LEVEL ?? 'warn' });
    const registry = await openRegistry(dataDir);
    const store = createReadingStore({ ...settings, dataDir, logger, clock: systemClock });
    await store.start();
    const governance = await openGovernanceStore(dataDir, { timeZone: settings.timeZone });
    await ensureStarterProposal(governance, systemClock.now());
    const released = openReleasedFigures(dataDir);
    try {
      return await run(createGovernanceCommands({ governance, registry, store, released, engine: null, partnerTokens: await openPartnerTokens(dataDir), now: systemClock.now }));
    } finally {
      released.close();
      await store.stop();
    }
  } finally {
    lock.release();
  }
}
