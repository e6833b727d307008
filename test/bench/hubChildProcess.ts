import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { HubCommands } from '../../hub/admin/hubCommands.js';
import { AGENT_BUILD_ROOT, BUILT_CLI } from './agentBuildRoot.js';
import { importBuiltHub } from './importBuiltHub.js';

/**
 * The hub from the compiled CLI (`node dist/hub/cli/main.js start`, the build
 * of agentBuildRoot.ts) in its own
 * process, on loopback, on a given MQTT port (0: picked by the OS), driven
 * through its admin API (`connectAdminClient`), as `commonwatt meters add`
 * drives it. Unlike test/helpers/hubProcess.ts's spawnHub, the MQTT port can
 * be chosen, so a hub can come back on the port an agent was left pointing at,
 * and the log is read line by line (not kept whole).
 */

export interface HubChildProcess {
  readonly pid: number;
  readonly mqttPort: number;
  readonly commands: HubCommands;
  /** Warn-or-above log messages and their counts. */
  readonly problems: ReadonlyMap<string, number>;
  /** SIGTERM (the hub stops its parts in reverse, flushing its journal), SIGKILL after the timeout; resolves to the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  kill(): Promise<void>;
}

export async function startHubChildProcess(options: { dataDir: string; mqttPort: number; readyTimeoutMs?: number }): Promise<HubChildProcess> {
  const child = spawn(
    process.execPath,
    [BUILT_CLI, 'start', '--data-dir', options.dataDir, '--mqtt-port', String(options.mqttPort), '--http-port', '0', '--host', '127.0.0.1'],
    { cwd: AGENT_BUILD_ROOT, env: { ...process.env, COMMONWATT_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (child.pid === undefined) throw new Error('cannot spawn the hub (node dist/hub/cli/main.js start)');
  const pid = child.pid;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const problems = new Map<string, number>();
  const stderr: string[] = [];
  let onReady: ((port: number) => void) | null = null;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let entry: { level?: number; msg?: string; mqttPort?: number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if (typeof entry.msg === 'string' && entry.msg.startsWith('ready')) onReady?.(Number(entry.mqttPort));
    if ((entry.level ?? 0) >= 40) {
      const key = String(entry.msg).replace(/m-[a-z0-9]{4,32}/g, 'm-…');
      problems.set(key, (problems.get(key) ?? 0) + 1);
    }
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (stderr.length < 20) stderr.push(line);
  });

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | null = null;
  let mqttPort: number;
  try {
    mqttPort = await new Promise<number>((resolve, reject) => {
      onReady = resolve;
      timer = setTimeout(() => reject(new Error(`the hub did not log "ready" within ${timeoutMs} ms; stderr: ${stderr.join(' | ')}`)), timeoutMs);
      void exited.then((code) => reject(new Error(`the hub exited with code ${code} before it was ready (is port ${options.mqttPort} taken?); stderr: ${stderr.join(' | ')}`)));
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  } finally {
    if (timer) clearTimeout(timer);
    onReady = null;
  }
  // The admin client of the same build as the hub it talks to.
  const commands = await (await importBuiltHub()).connectAdminClient(options.dataDir);

  return {
    pid,
    mqttPort,
    commands,
    problems,
    async stop(stopTimeoutMs = 60_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
