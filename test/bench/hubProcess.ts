import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A hub started from the compiled CLI (`dist/hub/cli/main.js start`) as a child
 * process on loopback ports picked by the OS, so its CPU, I/O and memory can be
 * read from /proc/<pid> apart from the load generator's.
 *
 * The "ready" line is logged at info level. At the benchmarks' usual level
 * (warn, so logging costs nothing under load) it is not printed, and readiness
 * is taken from the admin API instead: admin.json naming this pid appears after
 * the MQTT listener is up, and /api/admin/status gives the ports.
 */

export const HUB_MAIN = resolve(fileURLToPath(new URL('../../dist/hub/cli/main.js', import.meta.url)));

export interface BrokerProcess {
  readonly pid: number;
  readonly mqttUrl: string;
  /** SIGTERM, then waits for the exit (SIGKILL after the timeout); resolves to the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

export interface HubProcess extends BrokerProcess {
  readonly mqttPort: number;
  readonly httpPort: number;
  /** Milliseconds from spawn to readiness (the ready line, or the admin API answering). */
  readonly readyMs: number;
  /** Log lines at warn level or above, and stderr lines (first 20). */
  readonly problems: string[];
  /** Every info-or-above log line seen (for parsing start-up figures); only kept at info level. */
  readonly logLines: Array<Record<string, unknown>>;
  /** SIGKILL and waits for the exit. */
  kill(): Promise<void>;
}

export interface HubProcessOptions {
  dataDir: string;
  logLevel?: 'warn' | 'info';
  readyTimeoutMs?: number;
}

export function assertHubBuilt(): void {
  if (!existsSync(HUB_MAIN)) throw new Error(`${HUB_MAIN} does not exist; run \`npm run build\` before \`npm run bench\`.`);
}

export async function startHubProcess(options: HubProcessOptions): Promise<HubProcess> {
  assertHubBuilt();
  const logLevel = options.logLevel ?? 'warn';
  const env: NodeJS.ProcessEnv = { ...process.env, COMMONWATT_LOG_LEVEL: logLevel };
  delete env.NODE_ENV;
  const spawnedAt = performance.now();
  const child = spawn(
    process.execPath,
    [HUB_MAIN, 'start', '--data-dir', options.dataDir, '--mqtt-port', '0', '--http-port', '0', '--host', '127.0.0.1'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Cannot spawn the hub (${HUB_MAIN}).`);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const problems: string[] = [];
  const logLines: Array<Record<string, unknown>> = [];
  const note = (line: string) => {
    if (problems.length < 20) problems.push(line.slice(0, 300));
  };

  let onReadyLine: ((line: Record<string, unknown>) => void) | null = null;
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      note(`stdout: ${text}`);
      return;
    }
    if (logLevel === 'info') logLines.push(line);
    if (typeof line.level === 'number' && line.level >= 40) note(`${line.level >= 50 ? 'error' : 'warn'}: ${String(line.msg)} ${JSON.stringify({ ...line, msg: undefined, level: undefined, time: undefined })}`);
    if (typeof line.msg === 'string' && line.msg.startsWith('ready')) onReadyLine?.(line);
  });
  createInterface({ input: child.stderr! }).on('line', (text) => note(`stderr: ${text}`));

  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  // Losers of the race settle later (the hub exits at stop, the timer fires): they must not reject unhandled.
  const quiet = <T>(promise: Promise<T>) => {
    promise.catch(() => {});
    return promise;
  };
  let ports: { mqttPort: number; httpPort: number };
  try {
    ports = await Promise.race([
      quiet(
        logLevel === 'info'
          ? new Promise<{ mqttPort: number; httpPort: number }>((resolveReady) => {
              onReadyLine = (line) => resolveReady({ mqttPort: Number(line.mqttPort), httpPort: Number(line.httpPort) });
            })
          : waitForAdminApi(options.dataDir, pid, child, timeoutMs),
      ),
      quiet(
        exited.then((code): never => {
          throw new Error(`The hub exited with code ${code} before it was ready:\n  ${problems.join('\n  ')}`);
        }),
      ),
      quiet(
        sleep(timeoutMs, null, { ref: false }).then((): never => {
          throw new Error(`The hub was not ready after ${timeoutMs} ms:\n  ${problems.join('\n  ')}`);
        }),
      ),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  const readyMs = performance.now() - spawnedAt;

  async function waitExit(timeoutMs: number): Promise<number | null> {
    const result = await Promise.race([exited, sleep(timeoutMs, 'timeout' as const, { ref: false })]);
    if (result !== 'timeout') return result;
    note(`the hub did not exit ${timeoutMs} ms after SIGTERM; killed`);
    child.kill('SIGKILL');
    return exited;
  }

  return {
    pid,
    mqttPort: ports.mqttPort,
    httpPort: ports.httpPort,
    mqttUrl: `mqtt://127.0.0.1:${ports.mqttPort}`,
    readyMs,
    problems,
    logLines,
    async stop(stopTimeoutMs = 60_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return waitExit(stopTimeoutMs);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

async function waitForAdminApi(dataDir: string, pid: number, child: ChildProcess, timeoutMs: number): Promise<{ mqttPort: number; httpPort: number }> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && child.exitCode === null) {
    try {
      const endpoint = JSON.parse(await readFile(join(dataDir, 'admin.json'), 'utf8')) as { url: string; pid: number };
      if (endpoint.pid === pid) {
        const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
        const response = await fetch(`${endpoint.url}/api/admin/status`, { headers: { authorization: `Bearer ${token}` } });
        const status = (await response.json()) as { mqttPort: number | null; httpPort: number | null };
        if (response.ok && status.mqttPort && status.httpPort) return { mqttPort: status.mqttPort, httpPort: status.httpPort };
      }
    } catch {
      // Not written yet, or written by a previous (killed) hub: look again.
    }
    await sleep(10);
  }
  throw new Error(`The hub's admin API did not answer within ${timeoutMs} ms.`);
}
