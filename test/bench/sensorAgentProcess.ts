import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { AGENT_BUILD_ROOT, BUILT_CLI } from './agentBuildRoot.js';

/**
 * The sensor agent as a Raspberry Pi runs it: the compiled CLI
 * (`node dist/hub/cli/main.js sensor run --config FILE`, see agentBuildRoot.ts) in its own process,
 * pinned to one core with `taskset -c N` (taskset execs node, so the child's
 * pid is node's and /proc/<pid> is the agent's). Its log (pino JSON on
 * stdout, default level info, as on a Pi) is read from a pipe, so logging
 * costs the agent no disk writes here; warnings and errors are counted.
 */

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the stop request to the exit. */
  ms: number;
}

export interface SensorAgentProcess {
  readonly pid: number;
  /** Resolves to ms from spawn to the "sensor agent running" log line; rejects if the agent exits first or takes longer than the timeout. */
  readonly ready: Promise<number>;
  /** Warn-or-above log messages and their counts. */
  readonly problems: ReadonlyMap<string, number>;
  /** stderr lines (first 20). */
  readonly stderr: readonly string[];
  readonly running: boolean;
  /** SIGTERM (the agent stops its parts in reverse), SIGKILL after the timeout. */
  stop(timeoutMs?: number): Promise<AgentExit>;
  kill(): Promise<void>;
}

export function startSensorAgentProcess(options: { configFile: string; core: number; readyTimeoutMs?: number }): SensorAgentProcess {
  const started = Date.now();
  const child = spawn('taskset', ['-c', String(options.core), process.execPath, BUILT_CLI, 'sensor', 'run', '--config', options.configFile], {
    cwd: AGENT_BUILD_ROOT,
    env: { ...process.env, COMMONWATT_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('cannot start the sensor agent: taskset did not start (is util-linux installed?)');
  const problems = new Map<string, number>();
  const stderr: string[] = [];
  let exit: { code: number | null; signal: NodeJS.Signals | null; at: number } | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal, at: Date.now() };
      resolve();
    }),
  );

  let onReady: (() => void) | null = null;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let entry: { level?: number; msg?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      problems.set(`(not JSON) ${line.slice(0, 160)}`, (problems.get(`(not JSON) ${line.slice(0, 160)}`) ?? 0) + 1);
      return;
    }
    if (entry.msg === 'sensor agent running') onReady?.();
    if ((entry.level ?? 0) >= 40) {
      // Meter ids and ports vary per line; count the message shape.
      const key = String(entry.msg).replace(/m-[a-z0-9]{4,32}/g, 'm-…').replace(/\/dev\/pts\/\d+/g, '/dev/pts/…');
      problems.set(key, (problems.get(key) ?? 0) + 1);
    }
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (stderr.length < 20) stderr.push(line);
  });

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sensor agent did not log "sensor agent running" within ${timeoutMs} ms; stderr: ${stderr.join(' | ')}`)), timeoutMs);
    onReady = () => {
      clearTimeout(timer);
      onReady = null;
      resolve(Date.now() - started);
    };
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the sensor agent exited (${exit?.code ?? exit?.signal}) before it was running; stderr: ${stderr.join(' | ')}`));
    });
  });
  ready.catch(() => {}); // observed by the caller; never an unhandled rejection

  return {
    pid: child.pid,
    ready,
    problems,
    stderr,
    get running() {
      return exit === null;
    },
    async stop(timeout = 15_000) {
      const asked = Date.now();
      if (exit) return { code: exit.code, signal: exit.signal, ms: 0 };
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
      await exited;
      clearTimeout(timer);
      const e = exit as unknown as { code: number | null; signal: NodeJS.Signals | null; at: number };
      return { code: e.code, signal: e.signal, ms: e.at - asked };
    },
    async kill() {
      if (exit) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
