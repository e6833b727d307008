import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AGENT_BUILD_ROOT, BUILT_CLI } from './agentBuildRoot.js';

/**
 * The hub modules this benchmark calls in-process, loaded from the build the
 * benchmark runs (agentBuildRoot.ts; typed by their sources): the agent and the hub run compiled, so the admin client that
 * talks to that hub and the hub that reads its data afterwards must be the
 * same build, whatever work in progress the source tree holds meanwhile.
 */
export interface BuiltHub {
  connectAdminClient: typeof import('../../hub/admin/adminClient.js').connectAdminClient;
  startHub: typeof import('../../hub/hub.js').startHub;
  createLogger: typeof import('../../hub/log/createLogger.js').createLogger;
  /** When dist/hub/cli/main.js was built. */
  builtAt: Date;
}

export async function importBuiltHub(): Promise<BuiltHub> {
  const load = <T>(path: string) => import(pathToFileURL(join(AGENT_BUILD_ROOT, 'dist', path)).href) as Promise<T>;
  const [admin, hub, logger] = await Promise.all([
    load<typeof import('../../hub/admin/adminClient.js')>('hub/admin/adminClient.js'),
    load<typeof import('../../hub/hub.js')>('hub/hub.js'),
    load<typeof import('../../hub/log/createLogger.js')>('hub/log/createLogger.js'),
  ]);
  return {
    connectAdminClient: admin.connectAdminClient,
    startHub: hub.startHub,
    createLogger: logger.createLogger,
    builtAt: statSync(BUILT_CLI).mtime,
  };
}
