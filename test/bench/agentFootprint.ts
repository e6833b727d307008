import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { P1Registers } from '../../hub/demo/simulatedP1Meter.js';
import { openOutbox } from '../../sensors/agent/outbox.js';
import type { DriverReading } from '../../sensors/drivers/meterDriver.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startAckingBroker } from './ackingBroker.js';
import { readCoreBusyMs } from './coreBusy.js';
import { startHubChildProcess, type HubChildProcess } from './hubChildProcess.js';
import { importBuiltHub } from './importBuiltHub.js';
import { readOutboxProgress } from './outboxProgress.js';
import { startP1MeterFleet, type P1MeterFleet } from './p1MeterFleet.js';
import { readProcessFootprint, type ProcessFootprint } from './processFootprint.js';
import { startSensorAgentProcess, type AgentExit, type SensorAgentProcess } from './sensorAgentProcess.js';
import { assertAgentBuilt, describeBuildCommit } from './agentBuildRoot.js';

/**
 * The sensor agent on a Raspberry Pi's budget: `node --import tsx test/bench/agentFootprint.ts`
 * after `npm run build`: the agent runs compiled, as on a Pi (or a snapshot
 * build that concurrent work cannot change: BENCH_AGENT_BUILD_ROOT, see
 * agentBuildRoot.ts).
 *
 * The agent runs as a child process pinned to core 0 (`taskset -c 0`), with one
 * DSMR driver per meter, each on its own socat pty pair, and this process writing
 * a DSMR 5 telegram to every pty each second with rising registers. The hub is
 * the compiled CLI too (`commonwatt start`, production settings, loopback), in
 * its own process, driven through its admin API. This process, socat and the
 * hub are pinned to core 1, so on two cores the agent has core 0 to itself
 * apart from whatever else the machine is running (reported per window).
 *
 * 1. Live hub: CPU, memory, bytes written per reading over a measured window.
 * 2. Hub unreachable (a closed loopback port): readings pile up in the outbox;
 *    bytes per reading and memory growth; then the hub comes up on that port and
 *    the time until the backlog is in is measured (mostly reconnect backoff: the
 *    backlog is only a few hundred readings).
 * 3. A pre-built backlog of days of readings for every meter (the outbox written
 *    by this process before the agent starts, as a long outage leaves it):
 *    agent start-up time with it, and the drain rate in readings/s, (a) into a
 *    bare Aedes broker that acks at once (the agent's own limit) and (b) into
 *    the hub.
 *
 * Results go to test/bench/AGENT-RESULTS.md.
 */

const AGENT_CORE = 0;
const BENCH_CORE = 1;
const READINGS_EVERY_MS = 10_000; // the agent's default publishIntervalMs, which the config leaves out

interface Size {
  env: string;
  value: number;
  meaning: string;
}

function size(env: string, fallback: number, meaning: string, min: number, max: number): Size {
  const raw = process.env[env];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${env}: must be a number from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  return { env, value, meaning };
}

const sizes = {
  meters: size('BENCH_AGENT_METERS', 8, 'meters, one DSMR driver and pty each', 1, 64),
  warmupS: size('BENCH_AGENT_WARMUP_S', 20, 'seconds after the agent is running, before a window', 0, 600),
  measureS: size('BENCH_AGENT_MEASURE_S', 180, 'seconds in each measured window', 10, 3600),
  backlogDays: size('BENCH_AGENT_BACKLOG_DAYS', 7, 'days of readings per meter in the pre-built backlog drained into a bare broker (3a; 0 skips it)', 0, 30),
  hubBacklogDays: size('BENCH_AGENT_HUB_BACKLOG_DAYS', 1, 'days of readings per meter in the pre-built backlog drained into the hub (3b; 0 skips it)', 0, 30),
  drainTimeoutS: size('BENCH_AGENT_DRAIN_TIMEOUT_S', 900, 'longest wait for a backlog to drain', 30, 7200),
};

const RESULTS_FILE = fileURLToPath(new URL('AGENT-RESULTS.md', import.meta.url));

// Registers as a function of time, the same for live telegrams and the pre-built
// backlog, so any two readings of a meter agree with each other at the hub
// (rising 1 Wh/s = 3.6 kW, far below the hub's maxPowerW).
const T0 = Date.now() - 40 * 86_400_000;
const registersAt = (i: number, t: number): P1Registers => ({ importWh: 5_000_000 + i * 10_000 + Math.floor((t - T0) / 1000), exportWh: 200_000 + i, powerW: 3600 });
const serialOf = (i: number) => `E00${String(4_000_000 + i).padStart(14, '0')}`;

// ---- things to give back, in reverse, whatever happens ----
const cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
function defer(what: string, run: () => Promise<void>): void {
  cleanups.push({ what, run });
}
let cleaning: Promise<void> | null = null;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const { what, run } of cleanups.splice(0).reverse()) {
      try {
        await Promise.race([run(), sleep(30_000, undefined, { ref: false }).then(() => Promise.reject(new Error('took over 30 s')))]);
      } catch (error) {
        console.error(`cleanup: ${what}: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the agent, socat and the hub`);
    void cleanUp().finally(() => process.exit(130));
  });
}

const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

// ---- the hub ----
interface HubTotals {
  readings: number;
  perMeter: number[];
  rejected: number;
  online: number;
}

/** Per-meter figures from the hub's admin API (`meters list`); null if the hub did not answer within `timeoutMs`. */
async function hubTotals(hub: HubChildProcess, meterIds: readonly string[], timeoutMs = 30_000): Promise<HubTotals | null> {
  const list = await Promise.race([hub.commands.listMeters(), sleep(timeoutMs, null, { ref: false })]);
  if (!list) return null;
  const byId = new Map(list.map((m) => [m.meterId, m]));
  const perMeter = meterIds.map((id) => byId.get(id)?.readings ?? 0);
  return {
    readings: perMeter.reduce((a, b) => a + b, 0),
    perMeter,
    rejected: meterIds.reduce((sum, id) => sum + (byId.get(id)?.rejected ?? 0), 0),
    online: meterIds.filter((id) => byId.get(id)?.online).length,
  };
}

async function mustHubTotals(hub: HubChildProcess, meterIds: readonly string[]): Promise<HubTotals> {
  const totals = await hubTotals(hub, meterIds);
  if (!totals) throw new Error(`the hub (pid ${hub.pid}) did not answer its admin API within 30 s`);
  return totals;
}

async function startBenchHub(dataDir: string, mqttPort: number): Promise<HubChildProcess> {
  const hub = await startHubChildProcess({ dataDir, mqttPort });
  defer(`hub ${hub.pid}`, async () => void (await hub.stop()));
  return hub;
}

// ---- the agent ----
async function writeAgentConfig(file: string, hubUrl: string, credentials: ReadonlyArray<{ meterId: string; password: string }>, fleet: P1MeterFleet, stateDir: string): Promise<void> {
  await writeFile(
    file,
    JSON.stringify(
      {
        hub: { url: hubUrl },
        meters: credentials.map((c) => ({ meterId: c.meterId, password: c.password })),
        drivers: fleet.meters.map((m) => ({ driver: 'dsmr', port: m.path, meterId: m.meterId, dsmrVersion: '5' })),
        stateDir,
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );
}

async function startAgent(configFile: string): Promise<{ agent: SensorAgentProcess; readyMs: number }> {
  const agent = startSensorAgentProcess({ configFile, core: AGENT_CORE, readyTimeoutMs: 300_000 });
  defer(`sensor agent ${agent.pid}`, () => agent.kill());
  const readyMs = await agent.ready;
  const affinity = execFileSync('taskset', ['-p', String(agent.pid)], { encoding: 'utf8' }).trim();
  if (!/affinity mask: 1$/.test(affinity)) throw new Error(`the agent is not pinned to core ${AGENT_CORE}: ${affinity}`);
  return { agent, readyMs };
}

async function startFleet(meterIds: readonly string[]): Promise<P1MeterFleet> {
  const fleet = await startP1MeterFleet({ meterIds, serialOf, registersAt });
  defer('P1 meters (socat)', () => fleet.close());
  return fleet;
}

// ---- a measured window ----
interface WindowResult {
  seconds: number;
  cpuMs: number;
  queued: number;
  delivered: number | null;
  telegrams: number;
  writeBytes: number;
  cancelledWriteBytes: number;
  /** write()-like system calls. */
  syscw: number;
  rssStartKb: number;
  rssEndKb: number;
  rssMinKb: number;
  rssMaxKb: number;
  rssMeanKb: number;
  hwmEndKb: number;
  outboxBytesEnd: number;
  pendingEnd: number;
  /** Share of core 0 that other processes took meanwhile, %. */
  othersOnAgentCorePct: number;
  load: string;
  hubEnd: HubTotals | null;
}

async function measureWindow(agent: SensorAgentProcess, outboxDir: string, fleet: P1MeterFleet, hub: HubChildProcess | null, meterIds: readonly string[], seconds: number): Promise<WindowResult> {
  const f0 = readProcessFootprint(agent.pid);
  const o0 = await readOutboxProgress(outboxDir);
  const h0 = hub ? await mustHubTotals(hub, meterIds) : null;
  const core0 = readCoreBusyMs(AGENT_CORE);
  const tele0 = fleet.telegrams;
  const rss: number[] = [f0.rssKb];
  for (let i = 1; i <= seconds; i++) {
    const wait = f0.at + i * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
    if (!agent.running) throw new Error(`the sensor agent exited during the window; stderr: ${agent.stderr.join(' | ')}`);
    rss.push(readProcessFootprint(agent.pid).rssKb);
  }
  const f1 = readProcessFootprint(agent.pid);
  const o1 = await readOutboxProgress(outboxDir);
  const h1 = hub ? await mustHubTotals(hub, meterIds) : null;
  const core1 = readCoreBusyMs(AGENT_CORE);
  const wallMs = f1.at - f0.at;
  const cpuMs = f1.cpuMs - f0.cpuMs;
  return {
    seconds: wallMs / 1000,
    cpuMs,
    queued: o1.lastSeq - o0.lastSeq,
    delivered: h0 && h1 ? h1.readings - h0.readings : null,
    telegrams: fleet.telegrams - tele0,
    writeBytes: f1.writeBytes - f0.writeBytes,
    cancelledWriteBytes: f1.cancelledWriteBytes - f0.cancelledWriteBytes,
    syscw: f1.syscw - f0.syscw,
    rssStartKb: f0.rssKb,
    rssEndKb: f1.rssKb,
    rssMinKb: Math.min(...rss),
    rssMaxKb: Math.max(...rss),
    rssMeanKb: rss.reduce((a, b) => a + b, 0) / rss.length,
    hwmEndKb: f1.hwmKb,
    outboxBytesEnd: o1.bytes,
    pendingEnd: o1.lastSeq - o1.ackedThrough,
    othersOnAgentCorePct: Math.max(0, ((core1 - core0 - cpuMs) / wallMs) * 100),
    load: os.loadavg().map((l) => l.toFixed(2)).join(', '),
    hubEnd: h1,
  };
}

// ---- a backlog draining ----
interface DrainResult {
  backlog: number;
  /** From the hub listening (scenario 2) or the agent's spawn (scenario 3) to the first backlog reading stored. */
  toFirstMs: number | null;
  /** From the baseline to the end of the wait (complete or timed out). */
  elapsedMs: number;
  /** From the first backlog reading stored to the last. */
  drainMs: number | null;
  totalMs: number | null;
  delivered: number;
  cpuMs: number;
  rssMaxKb: number;
  hwmEndKb: number;
  syscr: number;
  rchar: number;
  readBytes: number;
  writeBytes: number;
  /** Share of core 0 taken by other processes meanwhile, %. */
  othersOnAgentCorePct: number;
  /** CPU of this process (P1 writers; the bare broker in 3a) over the drain, % of one core. */
  benchProcessCpuPct: number;
  /** CPU of the hub process over the drain, % of one core; null without a hub. */
  hubCpuPct: number | null;
}

/** Where a drain is measured from: taken before the hub comes back (2) or before the agent is spawned (3). */
interface DrainBaseline {
  at: number;
  /** The agent's footprint then (zeros when taken before its spawn). */
  agent: ProcessFootprint;
  core0BusyMs: number;
  self: NodeJS.CpuUsage;
  /** The hub process, if the backlog goes to one. */
  hub: { pid: number; cpuMs: number } | null;
}

function drainBaseline(agentPid: number | null, hubPid: number | null): DrainBaseline {
  const at = Date.now();
  const agent: ProcessFootprint = agentPid === null ? { at, cpuMs: 0, rssKb: 0, hwmKb: 0, writeBytes: 0, cancelledWriteBytes: 0, readBytes: 0, rchar: 0, syscr: 0, syscw: 0 } : readProcessFootprint(agentPid);
  const hub = hubPid === null ? null : { pid: hubPid, cpuMs: readProcessFootprint(hubPid).cpuMs };
  return { at, agent, core0BusyMs: readCoreBusyMs(AGENT_CORE), self: process.cpuUsage(), hub };
}

/**
 * Polls every 250 ms until `received()` (readings per meter since the
 * baseline) reaches `perMeter` for every meter, sampling the agent's memory
 * every second; gives up after `timeoutS` and says how far it got.
 */
async function waitForDrain(received: () => Promise<number[] | null>, perMeter: readonly number[], agent: SensorAgentProcess, from: DrainBaseline, timeoutS: number): Promise<DrainResult> {
  const backlog = perMeter.reduce((a, b) => a + b, 0);
  let first: number | null = null;
  let done: number | null = null;
  let rssMax = from.agent.rssKb;
  let lastSample = 0;
  let delivered = 0;
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline) {
    const counts = await received();
    let complete = counts !== null;
    if (counts) {
      delivered = 0;
      counts.forEach((got, i) => {
        delivered += Math.max(0, Math.min(got, perMeter[i]!));
        if (got < perMeter[i]!) complete = false;
      });
    }
    if (first === null && delivered > 0) first = Date.now();
    if (complete) {
      done = Date.now();
      break;
    }
    if (!agent.running) throw new Error(`the sensor agent exited while draining; stderr: ${agent.stderr.join(' | ')}`);
    if (Date.now() - lastSample >= 1000) {
      rssMax = Math.max(rssMax, readProcessFootprint(agent.pid).rssKb);
      lastSample = Date.now();
    }
    await sleep(250);
  }
  const f1 = readProcessFootprint(agent.pid);
  const hubCpuMs = from.hub ? readProcessFootprint(from.hub.pid).cpuMs - from.hub.cpuMs : null;
  const core1 = readCoreBusyMs(AGENT_CORE);
  const self = process.cpuUsage(from.self);
  const wallMs = Math.max(1, f1.at - from.at);
  const cpuMs = f1.cpuMs - from.agent.cpuMs;
  return {
    backlog,
    elapsedMs: wallMs,
    toFirstMs: first === null ? null : first - from.at,
    drainMs: first === null || done === null ? null : done - first,
    totalMs: done === null ? null : done - from.at,
    delivered,
    cpuMs,
    rssMaxKb: Math.max(rssMax, f1.rssKb),
    hwmEndKb: f1.hwmKb,
    syscr: f1.syscr - from.agent.syscr,
    rchar: f1.rchar - from.agent.rchar,
    readBytes: f1.readBytes - from.agent.readBytes,
    writeBytes: f1.writeBytes - from.agent.writeBytes,
    othersOnAgentCorePct: Math.max(0, ((core1 - from.core0BusyMs - cpuMs) / wallMs) * 100),
    benchProcessCpuPct: ((self.user + self.system) / 1000 / wallMs) * 100,
    hubCpuPct: hubCpuMs === null ? null : (hubCpuMs / wallMs) * 100,
  };
}

// ---- helpers ----
async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const refused = await new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
  if (!refused) throw new Error(`port ${port} on 127.0.0.1 answers though it was just closed; run again`);
  return port;
}

function pinSelf(core: number): string {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
    return `pinned to core ${core}`;
  } catch (error) {
    return `could not pin to core ${core}: ${(error as Error).message}`;
  }
}

function preflight(): string[] {
  if (process.platform !== 'linux') throw new Error('agentFootprint reads /proc: Linux only.');
  for (const [tool, pkg] of [['taskset', 'util-linux'], ['socat', 'socat']] as const) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} is not installed: apt-get install ${pkg}`);
    }
  }
  if (os.cpus().length < 2) throw new Error('needs 2 cores: the agent is pinned to core 0 and the hub to core 1.');
  return assertAgentBuilt();
}

/** Which build ran: dist/'s age, the commit, and hub sources changed since (not in the build). */
async function describeBuild(hubNewer: readonly string[]): Promise<string> {
  const { builtAt } = await importBuiltHub();
  const newer = hubNewer.length === 0 ? '' : `; ${hubNewer.length} hub/ sources are newer than their build (work in progress, not in it), e.g. ${hubNewer.slice(0, 3).join(', ')}`;
  return `${describeBuildCommit()}, dist/ built ${builtAt.toISOString()}${newer}; its sensors/ unchanged since`;
}

const n = (value: number, digits = 0) => (Number.isFinite(value) ? value.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : String(value));
const mb = (kb: number) => `${n(kb / 1024, 1)} MB`;
const secs = (ms: number | null) => (ms === null ? 'not reached' : `${n(ms / 1000, 1)} s`);
const problemsText = (m: ReadonlyMap<string, number>) => (m.size === 0 ? 'none' : [...m].map(([msg, count]) => `${count}× "${msg}"`).join('; '));
const exitText = (e: AgentExit) => `${e.signal ?? `code ${e.code}`} after ${n(e.ms)} ms`;

// ---- the run ----
async function main(): Promise<void> {
  const hubNewer = preflight();
  const build = await describeBuild(hubNewer);
  const builtAtStart = (await importBuiltHub()).builtAt;
  const startedAt = new Date();
  const loadStart = os.loadavg();
  const pinned = pinSelf(BENCH_CORE);
  log(`agentFootprint: ${sizes.meters.value} meters, warm-up ${sizes.warmupS.value} s, windows of ${sizes.measureS.value} s, backlog ${sizes.backlogDays.value} days; load ${loadStart.map((l) => l.toFixed(2)).join(', ')}; bench process ${pinned}`);

  const temp = await makeTempDir('commonwatt-agentbench-');
  defer('temp dir', () => (process.env.BENCH_KEEP ? Promise.resolve(console.error(`kept ${temp.dir}`)) : temp.remove()));
  const hubDir = join(temp.dir, 'hub');

  const hub1 = await startBenchHub(hubDir, 0);
  const credentials: Array<{ meterId: string; password: string }> = [];
  for (let i = 0; i < sizes.meters.value; i++) {
    const household = await hub1.commands.addHousehold({ label: `Bench household ${i + 1}`, zone: 'bench' });
    const c = await hub1.commands.addMeter({ householdId: household.id, kind: 'grid', driver: 'dsmr' });
    credentials.push({ meterId: c.meterId, password: c.password });
  }
  const meterIds = credentials.map((c) => c.meterId);
  log(`hub ${hub1.pid} up on mqtt://127.0.0.1:${hub1.mqttPort} with ${meterIds.length} meters`);

  // ---- 1. live hub ----
  const fleet1 = await startFleet(meterIds);
  const state1 = join(temp.dir, 'agent-live');
  const config1 = join(temp.dir, 'sensor-live.json');
  await writeAgentConfig(config1, `mqtt://127.0.0.1:${hub1.mqttPort}`, credentials, fleet1, state1);
  const { agent: agent1, readyMs: ready1 } = await startAgent(config1);
  log(`scenario 1: agent ${agent1.pid} running after ${ready1} ms; warm-up`);
  await sleep(sizes.warmupS.value * 1000);
  const online1 = (await mustHubTotals(hub1, meterIds)).online;
  log(`scenario 1: ${online1}/${meterIds.length} meters online; measuring ${sizes.measureS.value} s`);
  const live = await measureWindow(agent1, join(state1, 'outbox'), fleet1, hub1, meterIds, sizes.measureS.value);
  const stop1 = await agent1.stop();
  const problems1 = new Map(agent1.problems);
  await fleet1.close();
  log(`scenario 1: ${live.delivered} readings stored, agent CPU ${n(live.cpuMs)} ms, write_bytes ${n(live.writeBytes)}; agent stopped (${exitText(stop1)})`);

  // ---- 2. hub unreachable, then back ----
  const closedPort = await closedLoopbackPort();
  const fleet2 = await startFleet(meterIds);
  const state2 = join(temp.dir, 'agent-outage');
  const config2 = join(temp.dir, 'sensor-outage.json');
  await writeAgentConfig(config2, `mqtt://127.0.0.1:${closedPort}`, credentials, fleet2, state2);
  const { agent: agent2, readyMs: ready2 } = await startAgent(config2);
  log(`scenario 2: agent ${agent2.pid} running after ${ready2} ms against closed port ${closedPort}; warm-up`);
  await sleep(sizes.warmupS.value * 1000);
  const outage = await measureWindow(agent2, join(state2, 'outbox'), fleet2, null, meterIds, sizes.measureS.value);
  log(`scenario 2: ${outage.queued} readings queued, write_bytes ${n(outage.writeBytes)}, RSS ${mb(outage.rssStartKb)} → ${mb(outage.rssEndKb)}`);

  // The backlog: every reading queued before the hub comes back, counted per meter from the outbox files.
  const hub1End = await mustHubTotals(hub1, meterIds);
  const hub1Problems = new Map(hub1.problems);
  await hub1.stop();
  const backlog2 = (await readOutboxProgress(join(state2, 'outbox'))).lastSeq;
  const perMeter2 = await countQueuedPerMeter(join(state2, 'outbox'), meterIds, backlog2);
  const hub2 = await startBenchHub(hubDir, closedPort);
  const from2 = drainBaseline(agent2.pid, hub2.pid);
  log(`scenario 2: hub ${hub2.pid} back on port ${closedPort} with ${backlog2} readings waiting in the outbox`);
  const drain2 = await waitForDrain(async () => (await hubTotals(hub2, meterIds))?.perMeter.map((c, i) => c - hub1End.perMeter[i]!) ?? null, perMeter2, agent2, from2, sizes.drainTimeoutS.value);
  const stop2 = await agent2.stop();
  const problems2 = new Map(agent2.problems);
  await fleet2.close();
  log(`scenario 2: backlog of ${drain2.backlog} in after ${secs(drain2.totalMs)} (first after ${secs(drain2.toFirstMs)}); agent stopped (${exitText(stop2)})`);

  // ---- 3. a long outage's backlog: (a) as fast as the agent can, (b) into the hub ----
  let drain3a: PrebuiltDrain | null = null;
  if (sizes.backlogDays.value > 0) {
    const broker = await startAckingBroker();
    defer('acking broker', () => broker.close());
    drain3a = await drainPrebuiltBacklog({
      label: '3a',
      days: sizes.backlogDays.value,
      dir: join(temp.dir, 'agent-backlog-bare'),
      hubUrl: broker.mqttUrl,
      hubPid: null,
      credentials,
      counter: async () => async () => meterIds.map((id) => broker.readings.get(id) ?? 0),
    });
    const got = meterIds.map((id) => broker.readings.get(id) ?? 0);
    const extra = got.reduce((a, b) => a + b, 0) - drain3a.backlog;
    const short = got.filter((g) => g < drain3a!.backlog / meterIds.length).length;
    drain3a.verified =
      short > 0
        ? `${short} meters short of their backlog`
        : extra <= drain3a.liveQueued
          ? `all ${n(drain3a.backlog)} backlog readings received, none twice (${extra} more: live readings queued meanwhile, ${drain3a.liveQueued})`
          : `DUPLICATES: ${extra - drain3a.liveQueued} readings more than the backlog and the ${drain3a.liveQueued} live readings`;
    await broker.close();
  }
  let drain3b: PrebuiltDrain | null = null;
  if (sizes.hubBacklogDays.value > 0) {
    drain3b = await drainPrebuiltBacklog({
      label: '3b',
      days: sizes.hubBacklogDays.value,
      dir: join(temp.dir, 'agent-backlog-hub'),
      hubUrl: `mqtt://127.0.0.1:${hub2.mqttPort}`,
      hubPid: hub2.pid,
      credentials,
      counter: async () => {
        const before = await mustHubTotals(hub2, meterIds);
        return async () => (await hubTotals(hub2, meterIds))?.perMeter.map((c, i) => c - before.perMeter[i]!) ?? null;
      },
    });
  }

  const hubEnd = await mustHubTotals(hub2, meterIds);
  const hubProblems = new Map(hub1Problems);
  for (const [msg, count] of hub2.problems) hubProblems.set(msg, (hubProblems.get(msg) ?? 0) + count);
  const loadEnd = os.loadavg();
  const endedAt = new Date();
  const hubStopCode = await hub2.stop();
  if (drain3b) drain3b.verified = await spotCheckStored(hubDir, meterIds, drain3b);
  await cleanUp();

  await writeFile(RESULTS_FILE, report({ startedAt, endedAt, loadStart, loadEnd, pinned, live, ready1, online1, stop1, problems1, outage, ready2, backlog2, drain2, stop2, problems2, drain3a, drain3b, hub1End, hubEnd, hubProblems, hubStopCode, closedPort, build: `${build}${(await importBuiltHub()).builtAt.getTime() === builtAtStart.getTime() ? '' : `; NOTE: dist/ was rebuilt during the run (${(await importBuiltHub()).builtAt.toISOString()}): agents started later ran the new build`}` }));
  log(`wrote ${RESULTS_FILE}`);
}

interface PrebuiltDrain extends DrainResult {
  days: number;
  firstT: number;
  lastT: number;
  seedMs: number;
  readyMs: number;
  outboxBytes: number;
  /** Live readings the agent queued behind the backlog while draining. */
  liveQueued: number;
  /** Filled in by the caller: what was checked at the receiving end. */
  verified: string;
  stop: AgentExit;
  problems: Map<string, number>;
}

/**
 * Writes `days` of readings for every meter into a fresh outbox (as a long
 * outage leaves it), then starts an agent on it against `hubUrl` and measures
 * it draining. CPU and I/O count from the agent's spawn: reading the outbox at
 * start-up is part of the cost.
 */
async function drainPrebuiltBacklog(o: {
  label: string;
  days: number;
  dir: string;
  hubUrl: string;
  /** The hub process receiving, for its CPU; null for the in-process bare broker. */
  hubPid: number | null;
  credentials: ReadonlyArray<{ meterId: string; password: string }>;
  /** Called just before the spawn; returns readings received per meter since then (null: no answer). */
  counter: () => Promise<() => Promise<number[] | null>>;
}): Promise<PrebuiltDrain> {
  const meterIds = o.credentials.map((c) => c.meterId);
  const perMeter = Math.round((o.days * 86_400_000) / READINGS_EVERY_MS);
  const lastT = Date.now() - 60_000;
  const firstT = lastT - (perMeter - 1) * READINGS_EVERY_MS;
  const seedStart = Date.now();
  const outbox = await openOutbox({ dir: join(o.dir, 'outbox') });
  const TICKS_PER_APPEND = 1000;
  for (let k = 0; k < perMeter; k += TICKS_PER_APPEND) {
    const items: Array<{ meterId: string; reading: DriverReading }> = [];
    for (let j = k; j < Math.min(perMeter, k + TICKS_PER_APPEND); j++) {
      const t = firstT + j * READINGS_EVERY_MS;
      meterIds.forEach((meterId, i) => items.push({ meterId, reading: { t, ...registersAt(i, t), serial: Buffer.from(serialOf(i), 'ascii').toString('hex').toUpperCase() } }));
    }
    await outbox.append(items);
  }
  await outbox.close();
  const seeded = await readOutboxProgress(join(o.dir, 'outbox'));
  const seedMs = Date.now() - seedStart;
  log(`scenario ${o.label}: ${n(seeded.lastSeq)} readings (${o.days} days × ${meterIds.length} meters) written to a fresh outbox in ${n(seedMs)} ms, ${n(seeded.bytes / 1048576, 1)} MB`);

  const fleet = await startFleet(meterIds);
  const configFile = join(o.dir, '..', `sensor-${o.label}.json`);
  await writeAgentConfig(configFile, o.hubUrl, o.credentials, fleet, o.dir);
  const received = await o.counter();
  const from = drainBaseline(null, o.hubPid);
  const { agent, readyMs } = await startAgent(configFile);
  log(`scenario ${o.label}: agent ${agent.pid} running after ${n(readyMs)} ms; draining into ${o.hubUrl}`);
  const result = await waitForDrain(received, meterIds.map(() => perMeter), agent, from, sizes.drainTimeoutS.value);
  const liveQueued = (await readOutboxProgress(join(o.dir, 'outbox'))).lastSeq - seeded.lastSeq;
  const stop = await agent.stop();
  await fleet.close();
  log(`scenario ${o.label}: ${n(result.delivered)} of ${n(result.backlog)} delivered in ${secs(result.elapsedMs)}${result.totalMs === null ? ' (timed out)' : ''}; agent stopped (${exitText(stop)})`);
  return { ...result, days: o.days, firstT, lastT, seedMs, readyMs, outboxBytes: seeded.bytes, liveQueued, verified: '', stop, problems: new Map(agent.problems) };
}

/**
 * Opens the stopped hub's data in this process (real startHub, ports picked by
 * the OS) and checks that the first and last backlog reading of every meter
 * were stored with their registers (the admin API never shows energy values).
 */
async function spotCheckStored(dataDir: string, meterIds: readonly string[], d: PrebuiltDrain): Promise<string> {
  const { startHub, createLogger } = await importBuiltHub();
  const hub = await startHub({ dataDir, logger: createLogger({ level: 'silent' }), settings: { mqttPort: 0, httpPort: 0, host: '127.0.0.1', publicHost: '127.0.0.1' } });
  try {
    const wrong: string[] = [];
    meterIds.forEach((id, i) => {
      for (const t of [d.firstT, d.lastT]) {
        const stored = hub.store.around(id, t).same;
        if (stored?.importWh !== registersAt(i, t).importWh) wrong.push(`${id}@${new Date(t).toISOString()}: ${stored ? stored.importWh : 'missing'}`);
      }
    });
    return wrong.length === 0 ? `first and last backlog reading of all ${meterIds.length} meters stored with the right registers (checked in the stopped hub's data)` : `WRONG or missing (${wrong.length} of ${meterIds.length * 2}): ${wrong.slice(0, 3).join('; ')}`;
  } finally {
    await hub.stop();
  }
}

/** Readings per meter with seq ≤ `throughSeq`, counted from the outbox files of a running agent (read only). */
async function countQueuedPerMeter(dir: string, meterIds: readonly string[], throughSeq: number): Promise<number[]> {
  const counts = new Map<string, number>();
  for (const name of (await readdir(dir)).filter((f) => /^segment-\d+\.log$/.test(f)).sort()) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      if (line.length < 10) continue;
      try {
        const [seq, meterId] = JSON.parse(line.slice(9)) as [number, string];
        if (seq <= throughSeq) counts.set(meterId, (counts.get(meterId) ?? 0) + 1);
      } catch {
        // a line still being written
      }
    }
  }
  return meterIds.map((id) => counts.get(id) ?? 0);
}

function report(r: {
  startedAt: Date;
  endedAt: Date;
  loadStart: number[];
  loadEnd: number[];
  pinned: string;
  live: WindowResult;
  ready1: number;
  online1: number;
  stop1: AgentExit;
  problems1: Map<string, number>;
  outage: WindowResult;
  ready2: number;
  backlog2: number;
  drain2: DrainResult;
  stop2: AgentExit;
  problems2: Map<string, number>;
  drain3a: PrebuiltDrain | null;
  drain3b: PrebuiltDrain | null;
  hub1End: HubTotals;
  hubEnd: HubTotals;
  hubProblems: Map<string, number>;
  hubStopCode: number | null;
  closedPort: number;
  build: string;
}): string {
  const { live, outage, drain2, drain3a, drain3b } = r;
  const pct = (cpuMs: number, seconds: number) => `${n((cpuMs / (seconds * 1000)) * 100, 2)} %`;
  const perReading = (value: number, readings: number | null, unit: string, digits = 0) => (readings ? `${n(value / readings, digits)} ${unit}` : '–');
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(', ');
  const row = (figure: string, two: string, three: (d: PrebuiltDrain) => string) => `| ${figure} | ${two} | ${drain3a ? three(drain3a) : 'skipped'} | ${drain3b ? three(drain3b) : 'skipped'} |`;
  const cpus = os.cpus();
  const lines = [
    '# Sensor agent footprint (`agentFootprint`)',
    '',
    `Written by \`node --import tsx test/bench/agentFootprint.ts\` on ${r.startedAt.toISOString()}; the run took ${n((r.endedAt.getTime() - r.startedAt.getTime()) / 60_000, 1)} min. Measurements, not timed tests.`,
    '',
    '## Machine',
    '',
    '|  |  |',
    '|---|---|',
    `| CPU | ${cpus[0]?.model ?? 'unknown'} |`,
    `| cores | ${cpus.length} |`,
    `| RAM | ${n(os.totalmem() / 2 ** 30, 1)} GiB |`,
    `| kernel | ${os.release()} |`,
    `| Node | ${process.version} |`,
    `| build | ${r.build} |`,
    `| load average (1, 5, 15 min) at start | ${load(r.loadStart)} |`,
    `| load average at end | ${load(r.loadEnd)} |`,
    `| busy? | ${r.loadStart[0]! > 0.5 || r.loadEnd[0]! > 0.5 || live.othersOnAgentCorePct > 5 || outage.othersOnAgentCorePct > 5 ? 'yes: other work was running (another benchmark, see the load and the "others on core 0" rows)' : 'no: load below 0.5 and core 0 nearly free'} |`,
    '',
    '## Set-up',
    '',
    `- Agent: the compiled CLI, \`taskset -c ${AGENT_CORE} node dist/hub/cli/main.js sensor run --config FILE\` (as a Pi runs it; the build in the table above), log level info to a pipe (no log file on disk).`,
    `- ${sizes.meters.value} grid meters, one \`dsmr\` driver each (dsmrVersion 5) on its own socat pty pair; this process writes a DSMR 5 telegram (hub/demo/simulatedP1Meter.ts) to every pty each second, registers rising 1 Wh/s. publishIntervalMs left at its default (10 s): ${sizes.meters.value} readings per tick.`,
    `- Hub: the compiled CLI as well, \`node dist/hub/cli/main.js start\` in its own process (production settings, loopback ports), meters added and counted through its admin API. The benchmark process (P1 writers), socat and the hub ${r.pinned} (socat and the hub inherit it); so the agent has core ${AGENT_CORE}, less what other processes took (row "others on core ${AGENT_CORE}").`,
    '- CPU: utime+stime of /proc/<pid>/stat. Memory: VmRSS (sampled each second) and VmHWM of /proc/<pid>/status. Disk: write_bytes of /proc/<pid>/io (counted per page dirtied: a 900-byte append to a clean page counts 4,096). Readings queued: outbox seq at the end minus at the start of a window.',
    `- Temp dirs on ${os.tmpdir()}.`,
    '',
    '| variable | value | meaning |',
    '|---|---|---|',
    ...Object.values(sizes).map((s) => `| \`${s.env}\` | ${s.value} | ${s.meaning} |`),
    '',
    '## Summary',
    '',
    '| figure | live hub (1) | hub unreachable (2) |',
    '|---|---|---|',
    `| window | ${n(live.seconds, 1)} s after ${sizes.warmupS.value} s warm-up | ${n(outage.seconds, 1)} s after ${sizes.warmupS.value} s warm-up |`,
    `| telegrams parsed | ${n(live.telegrams)} | ${n(outage.telegrams)} |`,
    `| readings queued in the outbox | ${n(live.queued)} | ${n(outage.queued)} |`,
    `| readings stored by the hub | ${n(live.delivered ?? 0)} | – (no hub) |`,
    `| agent CPU, % of one core | ${pct(live.cpuMs, live.seconds)} | ${pct(outage.cpuMs, outage.seconds)} |`,
    `| agent CPU per reading | ${perReading(live.cpuMs, live.delivered, 'ms', 1)} per reading stored | ${perReading(outage.cpuMs, outage.queued, 'ms', 1)} per reading queued |`,
    `| agent CPU per telegram parsed (upper bound: includes publishing) | ${perReading(live.cpuMs * 1000, live.telegrams, 'µs')} | ${perReading(outage.cpuMs * 1000, outage.telegrams, 'µs')} |`,
    `| write_bytes per reading queued | ${perReading(live.writeBytes, live.queued, 'B')} (${n(live.writeBytes)} B) | ${perReading(outage.writeBytes, outage.queued, 'B')} (${n(outage.writeBytes)} B) |`,
    `| write_bytes per day at this rate | ${n((live.writeBytes / live.seconds) * 86_400 / 1048576, 1)} MB | ${n((outage.writeBytes / outage.seconds) * 86_400 / 1048576, 1)} MB |`,
    `| cancelled_write_bytes | ${n(live.cancelledWriteBytes)} B | ${n(outage.cancelledWriteBytes)} B |`,
    `| RSS at window start → end | ${mb(live.rssStartKb)} → ${mb(live.rssEndKb)} | ${mb(outage.rssStartKb)} → ${mb(outage.rssEndKb)} (${outage.rssEndKb >= outage.rssStartKb ? '+' : ''}${mb(outage.rssEndKb - outage.rssStartKb)}) |`,
    `| RSS in window: min / mean / max | ${mb(live.rssMinKb)} / ${mb(live.rssMeanKb)} / ${mb(live.rssMaxKb)} | ${mb(outage.rssMinKb)} / ${mb(outage.rssMeanKb)} / ${mb(outage.rssMaxKb)} |`,
    `| peak RSS (VmHWM) at window end | ${mb(live.hwmEndKb)} | ${mb(outage.hwmEndKb)} |`,
    `| outbox on disk at window end | ${n(live.outboxBytesEnd)} B, ${n(live.pendingEnd)} readings not yet in acked.json | ${n(outage.outboxBytesEnd)} B, ${n(outage.pendingEnd)} readings waiting |`,
    `| others on core ${AGENT_CORE} (CPU not the agent's) | ${n(live.othersOnAgentCorePct, 1)} % | ${n(outage.othersOnAgentCorePct, 1)} % |`,
    `| load average at window end | ${live.load} | ${outage.load} |`,
    `| agent start (spawn → "sensor agent running") | ${n(r.ready1)} ms | ${n(r.ready2)} ms |`,
    `| agent stop (SIGTERM → exit) | ${exitText(r.stop1)} | ${exitText(r.stop2)} |`,
    `| agent warnings and errors logged | ${problemsText(r.problems1)} | ${problemsText(r.problems2)} |`,
    '',
    `Meters online at the hub after warm-up (1): ${r.online1} of ${sizes.meters.value}.`,
    '',
    '## Reconnect and drain',
    '',
    'Column (2) is the outage backlog of scenario 2, with the hub started again on the port the agent was pointed at: its time is mostly reconnect backoff (each meter link retries on its own, with jitter, up to 60 s apart after a long outage). Columns (3a) and (3b) start a new agent on an outbox written beforehand with days of readings for every meter, as a long outage leaves it: (3a) sends to a bare Aedes broker in the benchmark process that acks each PUBLISH at once (the agent is the limit), (3b) to the real hub (the hub is the limit: validation, group commit, SQLite).',
    '',
    `| figure | (2) outage backlog, hub back | (3a) ${drain3a ? `${drain3a.days} days` : ''} pre-built, bare broker | (3b) ${drain3b ? `${drain3b.days} day(s)` : ''} pre-built, real hub |`,
    '|---|---|---|---|',
    row('backlog', `${n(drain2.backlog)} readings (${sizes.warmupS.value + sizes.measureS.value} s of outage + the hub's restart)`, (d) => `${n(d.backlog)} readings (${d.days} days × ${sizes.meters.value} meters every 10 s), ${n(d.outboxBytes / 1048576, 1)} MB of outbox, written in ${n(d.seedMs / 1000, 1)} s`),
    row('agent start with the backlog (spawn → "sensor agent running")', '– (already running)', (d) => `${n(d.readyMs)} ms`),
    row('to the first backlog reading received', `${secs(drain2.toFirstMs)} after the hub listened`, (d) => `${secs(d.toFirstMs)} after spawn`),
    row('first to last backlog reading received', secs(drain2.drainMs), (d) => secs(d.drainMs)),
    row('drain rate', drain2.drainMs ? `(${n(drain2.backlog / Math.max(drain2.drainMs / 1000, 0.001))} readings/s: too small a backlog for a rate)` : '–', (d) => (d.drainMs ? `**${n(d.backlog / (d.drainMs / 1000))} readings/s** (first to last)` : `timed out: **${n(d.delivered / (d.elapsedMs / 1000))} readings/s** on average (${n(d.delivered)} in ${n(d.elapsedMs / 1000)} s)`)),
    row('whole backlog in', `${secs(drain2.totalMs)} after the hub listened`, (d) => (d.totalMs === null ? `not within ${sizes.drainTimeoutS.value} s: ${n(d.delivered)} of ${n(d.backlog)}` : `${secs(d.totalMs)} after spawn`)),
    row('agent CPU', `${n(drain2.cpuMs)} ms`, (d) => `${n(d.cpuMs)} ms: ${perReading(d.cpuMs * 1000, d.delivered, 'µs')} per reading, ${pct(d.cpuMs, d.elapsedMs / 1000)} of one core`),
    row('agent peak RSS (sampled each second / VmHWM)', `${mb(drain2.rssMaxKb)} / ${mb(drain2.hwmEndKb)}`, (d) => `${mb(d.rssMaxKb)} / ${mb(d.hwmEndKb)}`),
    row('agent read() calls / bytes read (rchar)', `${n(drain2.syscr)} / ${n(drain2.rchar)} B`, (d) => `${n(d.syscr)} / ${n(d.rchar / 1048576, 1)} MB: ${perReading(d.rchar, d.delivered, 'B')} per reading (outbox: ${perReading(d.outboxBytes, d.backlog, 'B')} per reading)`),
    row('agent write_bytes', `${n(drain2.writeBytes)} B`, (d) => `${n(d.writeBytes)} B`),
    row('hub process CPU, % of one core (core 1)', `${n(drain2.hubCpuPct ?? 0, 1)} %`, (d) => (d.hubCpuPct === null ? '– (bare broker in the benchmark process)' : `${n(d.hubCpuPct, 1)} %`)),
    row('benchmark process (P1 writers; the bare broker in 3a) CPU, % of one core', `${n(drain2.benchProcessCpuPct, 1)} %`, (d) => `${n(d.benchProcessCpuPct, 1)} %`),
    row(`others on core ${AGENT_CORE}`, `${n(drain2.othersOnAgentCorePct, 1)} %`, (d) => `${n(d.othersOnAgentCorePct, 1)} %`),
    row('agent stop (SIGTERM → exit)', exitText(r.stop2), (d) => exitText(d.stop)),
    row('agent warnings and errors logged', '(see the summary)', (d) => problemsText(d.problems)),
    row('check', drain2.totalMs !== null ? "every meter's outage readings stored" : 'NOT all stored before the timeout', (d) => d.verified),
    '',
    `Hub before its restart in (2): ${n(r.hub1End.readings)} readings stored, ${n(r.hub1End.rejected)} rejected. Hub at the end: ${n(r.hubEnd.readings)} readings stored in all, ${n(r.hubEnd.rejected)} rejected since its restart; it exited with code ${r.hubStopCode} on SIGTERM. Hub warnings (both runs): ${problemsText(r.hubProblems)}.`,
    '',
  ];
  return lines.join('\n');
}

main()
  .catch(async (error: Error) => {
    console.error(`agentFootprint failed: ${error.stack ?? error.message}`);
    process.exitCode = 1;
  })
  .finally(() => cleanUp());
