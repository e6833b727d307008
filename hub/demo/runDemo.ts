import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../log/createLogger.js';
import { startHub } from '../hub.js';
import type { MeterCredentials } from '../admin/hubCommands.js';
import { consumptionW, householdProfile, solarW, type HouseholdProfile } from './simulatedHousehold.js';

/**
 * `commonwatt demo`: the hub plus a neighbourhood of simulated households, each
 * with a grid meter and most with a solar generation meter, publishing over
 * real MQTT with real credentials made by `meters add`. On the first run each
 * meter also sends the last day as a backlog, so rollups have a history.
 */

const ZONES = ['Mill Lane', 'Orchard Road', 'Church Street'];
const CREDENTIALS_FILE = 'demo-meters.json';
const PUBLISH_INTERVAL_MS = 10_000;
const BACKLOG_STEP_MS = 60_000;

interface DemoMeter extends MeterCredentials {
  kind: 'grid' | 'generation';
  household: number;
}

export interface Demo {
  stop(): Promise<void>;
}

export async function runDemo(options: { dataDir: string; households: number; logger: Logger; settings?: Record<string, unknown> }): Promise<Demo> {
  const log = options.logger.child({ module: 'demo' });
  const hub = await startHub({ dataDir: options.dataDir, logger: options.logger, settings: { host: '127.0.0.1', ...options.settings } });
  const file = join(hub.dataDir, CREDENTIALS_FILE);
  let meters: DemoMeter[] = [];
  try {
    meters = JSON.parse(await readFile(file, 'utf8')) as DemoMeter[];
  } catch {
    // first run
  }
  const existing = new Set(meters.map((m) => m.household));
  for (let i = 0; i < options.households; i++) {
    if (existing.has(i)) continue;
    const household = await hub.commands.addHousehold({ label: `Demo household ${i + 1}`, zone: ZONES[i % ZONES.length]! });
    const grid = await hub.commands.addMeter({ householdId: household.id, kind: 'grid', driver: 'mqtt' });
    meters.push({ ...grid, kind: 'grid', household: i });
    if (householdProfile(i).solarPeakW > 0) {
      const solar = await hub.commands.addMeter({ householdId: household.id, kind: 'generation', driver: 'mqtt' });
      meters.push({ ...solar, kind: 'generation', household: i });
    }
  }
  await writeFile(file, JSON.stringify(meters, null, 2), { mode: 0o600 });

  const offsetMs = (t: number) => hub.store.calendar.offsetAt(t);
  const url = `mqtt://127.0.0.1:${hub.mqttPort}`;
  const clients: MqttClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  const active = meters.filter((m) => m.household < options.households);

  for (const meter of active) {
    const profile = householdProfile(meter.household);
    const latest = hub.store.latest(meter.meterId);
    const now = Date.now();
    let t = latest ? latest.t : now - 86_400_000;
    const registers = {
      importWh: latest?.importWh ?? 2_000_000 + meter.household * 37_000,
      exportWh: latest?.exportWh ?? 300_000 + meter.household * 11_000,
      generationWh: latest?.generationWh ?? 1_500_000 + meter.household * 23_000,
    };
    const client = mqtt.connect(url, { username: meter.username, password: meter.password, clientId: `demo-${meter.meterId}`, reconnectPeriod: 2000 });
    client.on('error', (error) => log.warn({ meterId: meter.meterId, error: error.message }, 'demo client error'));
    clients.push(client);
    const step = (until: number, stepMs: number) => {
      const readings = [];
      while (t + stepMs <= until) {
        t += stepMs;
        advance(registers, profile, meter.kind, t, stepMs, offsetMs(t));
        readings.push(meter.kind === 'grid' ? { t, importWh: Math.floor(registers.importWh), exportWh: Math.floor(registers.exportWh) } : { t, generationWh: Math.floor(registers.generationWh) });
      }
      return readings;
    };
    const backlog = step(now, BACKLOG_STEP_MS);
    for (let i = 0; i < backlog.length; i += 500) {
      client.publish(`commonwatt/meters/${meter.meterId}/readings`, JSON.stringify(backlog.slice(i, i + 500)), { qos: 1 });
    }
    timers.push(
      setInterval(() => {
        for (const reading of step(Date.now(), PUBLISH_INTERVAL_MS)) {
          client.publish(`commonwatt/meters/${meter.meterId}/readings`, JSON.stringify(reading), { qos: 1 });
        }
      }, PUBLISH_INTERVAL_MS),
    );
  }
  log.info({ households: options.households, meters: active.length, url, credentials: file }, 'demo neighbourhood publishing');

  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(clients.map((c) => c.endAsync()));
      await hub.stop();
    },
  };
}

function advance(
  registers: { importWh: number; exportWh: number; generationWh: number },
  profile: HouseholdProfile,
  kind: 'grid' | 'generation',
  t: number,
  stepMs: number,
  offsetMs: number,
): void {
  const hours = stepMs / 3_600_000;
  const solar = solarW(profile, t, offsetMs);
  if (kind === 'generation') {
    registers.generationWh += solar * hours;
    return;
  }
  const net = consumptionW(profile, t, offsetMs) - solar;
  if (net >= 0) registers.importWh += net * hours;
  else registers.exportWh += -net * hours;
}
