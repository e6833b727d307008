import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MqttClient } from 'mqtt';
import { closeClients, connectMeters, flood, floodPlan, newCounters, pace, type LoadCounters, type LoadHandle, type MeterLogin } from './meterLoad.js';

/**
 * The load generator (meterLoad.ts) in a child process, so its CPU is not the
 * broker's and the benchmark process stays free to read /proc on time. The
 * parent drives it in phases over IPC: connect every meter, `go`, `mark`
 * (answers the counters at that moment, to bound a measured window), `stop`
 * (stop publishing, drain, disconnect, answer the final counters).
 * The child stops itself when its parent goes away or after `maxDurationMs`.
 */

export type LoadPattern =
  | { kind: 'flood'; window: number; stepMs: number; readingsPerMeter: number }
  /** Meter i of the whole fleet starts at (indexBase + i) · intervalMs / fleetSize. */
  | { kind: 'pace'; intervalMs: number; indexBase: number; fleetSize: number };

export interface LoadConfig {
  url: string;
  meters: MeterLogin[];
  pattern: LoadPattern;
  connectConcurrency?: number;
  maxDurationMs: number;
}

export interface MeterLoadProcess {
  readonly pid: number;
  readonly connectMs: number;
  go(): void;
  mark(): Promise<LoadCounters>;
  stop(drainMs?: number): Promise<LoadCounters>;
}

type ToChild = { type: 'start'; config: LoadConfig } | { type: 'go' } | { type: 'mark' } | { type: 'stop'; drainMs: number };
type FromChild =
  | { type: 'connected'; ms: number }
  | { type: 'mark'; counters: LoadCounters }
  | { type: 'done'; counters: LoadCounters }
  | { type: 'error'; message: string };

const SELF = fileURLToPath(import.meta.url);

export async function startMeterLoadProcess(config: LoadConfig): Promise<MeterLoadProcess> {
  const child: ChildProcess = fork(SELF, ['--load'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('Cannot spawn the load generator.');
  let failure: Error | null = null;
  const waiting: Array<{ type: FromChild['type']; resolve: (m: FromChild) => void; reject: (e: Error) => void }> = [];
  const failAll = (error: Error) => {
    failure ??= error;
    for (const w of waiting.splice(0)) w.reject(error);
  };
  child.on('message', (raw) => {
    const message = raw as FromChild;
    if (message.type === 'error') return failAll(new Error(`load generator: ${message.message}`));
    const i = waiting.findIndex((w) => w.type === message.type);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(message);
  });
  child.once('exit', (code) => failAll(new Error(`the load generator exited (code ${code})`)));
  const expect = <T extends FromChild['type']>(type: T) =>
    new Promise<Extract<FromChild, { type: T }>>((resolve, reject) => {
      if (failure) return reject(failure);
      waiting.push({ type, resolve: resolve as (m: FromChild) => void, reject });
    });
  const send = (message: ToChild) => {
    if (child.connected) child.send(message);
  };

  const connected = expect('connected');
  send({ type: 'start', config });
  let connectMs: number;
  try {
    connectMs = (await connected).ms;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    pid,
    connectMs,
    go: () => send({ type: 'go' }),
    async mark() {
      const answer = expect('mark');
      send({ type: 'mark' });
      return (await answer).counters;
    },
    async stop(drainMs = 15_000) {
      const answer = expect('done');
      send({ type: 'stop', drainMs });
      const { counters } = await answer;
      await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
      return counters;
    },
  };
}

async function runChild(): Promise<void> {
  const counters = newCounters();
  let clients: MqttClient[] = [];
  let handles: LoadHandle[] = [];
  let config: LoadConfig | null = null;
  let finished = false;
  const reply = (message: FromChild) => process.send?.(message);

  const finish = async (drainMs: number) => {
    if (finished) return;
    finished = true;
    await Promise.all(handles.map((h) => h.stop(drainMs)));
    await closeClients(clients, true);
    reply({ type: 'done', counters: { ...counters } });
    process.disconnect?.();
    setTimeout(() => process.exit(0), 100).unref();
  };

  process.on('message', (raw) => {
    const message = raw as ToChild;
    if (message.type === 'start') {
      config = message.config;
      const started = performance.now();
      connectMeters(config.url, config.meters, config.connectConcurrency).then(
        (connected) => {
          clients = connected;
          reply({ type: 'connected', ms: performance.now() - started });
        },
        (error: Error) => {
          reply({ type: 'error', message: error.message });
          setTimeout(() => process.exit(1), 100);
        },
      );
      // Bounded whatever the parent does.
      setTimeout(() => void finish(5_000), config.maxDurationMs).unref();
    } else if (message.type === 'go' && config) {
      const pattern = config.pattern;
      handles = clients.map((client, i) => {
        const meterId = config!.meters[i]!.meterId;
        if (pattern.kind === 'flood') {
          return flood(client, meterId, floodPlan(pattern.readingsPerMeter, pattern.stepMs), pattern.window, counters);
        }
        return pace(client, meterId, pattern.intervalMs, ((pattern.indexBase + i) * pattern.intervalMs) / pattern.fleetSize, counters);
      });
    } else if (message.type === 'mark') {
      reply({ type: 'mark', counters: { ...counters } });
    } else if (message.type === 'stop') {
      void finish(message.drainMs);
    }
  });
  process.once('disconnect', () => {
    if (!finished) {
      finished = true;
      void closeClients(clients, true).then(() => process.exit(0));
      setTimeout(() => process.exit(0), 2_000).unref();
    }
  });
  // Keeps the process alive until finish() (the maxDuration timer is unref'd).
  while (!finished) await sleep(1_000);
}

if (process.argv[1] === SELF && process.argv[2] === '--load') await runChild();
