import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SerialPortMock } from 'serialport';
import type { Logger } from '../log/createLogger.js';
import { systemClock } from '../config/clock.js';
import { startHub, type Hub } from '../hub.js';
import type { MeterCredentials } from '../admin/hubCommands.js';
import { parseAgentConfig } from '../../sensors/agent/agentConfig.js';
import { openOutbox } from '../../sensors/agent/outbox.js';
import { createSensorAgent, type SensorAgent } from '../../sensors/agent/sensorAgent.js';
import { createDsmrDriver } from '../../sensors/drivers/dsmr/dsmrDriver.js';
import { createPulseDriver } from '../../sensors/drivers/s0/pulseDriver.js';
import { consumptionW, householdProfile, solarW } from './simulatedHousehold.js';
import { buildDsmr5Telegram } from './simulatedP1Meter.js';
import { pulseIntervalMs, SimulatedPulseBoard } from './simulatedPulseBoard.js';
import type { Proposal } from '../governance/proposalSchema.js';

/**
 * `commonwatt demo`: the hub plus a neighbourhood of simulated households. Each
 * household has a smart meter whose P1 telegrams the real DSMR driver reads
 * from a mock serial port, and most have solar panels whose pulse meter the
 * real S0 driver counts on a simulated Arduino. A real sensor agent per
 * household sends the readings over MQTT with credentials from `meters add`.
 * On the first run each agent's outbox starts with the last day of readings,
 * as if the hub had been away, so interval energy has a history at once.
 */

const ZONES = ['Mill Lane', 'Orchard Road', 'Church Street'];
const STATE_FILE = 'demo-state.json';
const TELEGRAM_INTERVAL_MS = 5_000;
const IMPULSES_PER_KWH = 1000;
const SOLAR_PIN = 2;
/** Days of history a first run creates, so the dashboard has weeks to show. */
const HISTORY_DAYS = 28;
/** The last two days' backlog is at one-minute steps, older days at 15 minutes (fewer readings to send). */
const FINE_BACKLOG_MS = 2 * 86_400_000;

interface DemoHouse {
  index: number;
  grid: MeterCredentials;
  solar: MeterCredentials | null;
  /** Simulated smart-meter registers, carried across demo runs. */
  importWh: number;
  exportWh: number;
  /** The solar meter's display when its pulse count started. */
  solarOffsetWh: number;
}

export interface Demo {
  readonly hub: Hub;
  /** Readings still waiting in the agents' outboxes. */
  pending(): number;
  stop(): Promise<void>;
}

export async function runDemo(options: { dataDir: string; households: number; logger: Logger; settings?: Record<string, unknown>; historyDays?: number }): Promise<Demo> {
  const log = options.logger.child({ module: 'demo' });
  // On a first run the neighbourhood is set up as it would have been some weeks
  // ago (households, consent, the group's decision), so that the days since are
  // days the policy covers and the dashboard has released figures at once.
  // Decisions can't be backdated on a running hub; the demo's clock starts back.
  const firstRun = !(await readFile(join(options.dataDir, STATE_FILE), 'utf8').then(() => true, () => false));
  const historyDays = Math.max(2, options.historyDays ?? HISTORY_DAYS);
  const backlogMs = historyDays * 86_400_000;
  let clockOffsetMs = firstRun ? backlogMs : 0;
  const clock = { now: () => systemClock.now() - clockOffsetMs };
  const hub = await startHub({ dataDir: options.dataDir, logger: options.logger, clock, settings: { host: '127.0.0.1', ...options.settings } });
  const stateFile = join(hub.dataDir, STATE_FILE);
  let houses: DemoHouse[] = [];
  try {
    houses = (JSON.parse(await readFile(stateFile, 'utf8')) as { houses: DemoHouse[] }).houses;
  } catch {
    // first run
  }
  const saveState = () => writeFile(stateFile, JSON.stringify({ houses }, null, 2), { mode: 0o600 });
  const now = systemClock.now();
  const newHouseholds: string[] = [];
  const offsetAt = (t: number) => hub.store.calendar.offsetAt(t);
  const backlogs = new Map<number, Array<{ meterId: string; reading: Record<string, number> & { t: number } }>>();

  for (let i = 0; i < options.households; i++) {
    if (houses.some((h) => h.index === i)) continue;
    const profile = householdProfile(i);
    const household = await hub.commands.addHousehold({ label: `Demo household ${i + 1}`, zone: ZONES[i % ZONES.length]! });
    const grid = await hub.commands.addMeter({ householdId: household.id, kind: 'grid', driver: 'dsmr' });
    const solar = profile.solarPeakW > 0 ? await hub.commands.addMeter({ householdId: household.id, kind: 'generation', driver: 's0' }) : null;
    newHouseholds.push(household.id);
    const house: DemoHouse = { index: i, grid, solar, importWh: 2_000_000 + i * 37_000, exportWh: 300_000 + i * 11_000, solarOffsetWh: 1_500_000 + i * 23_000 };
    // The past weeks' readings, waiting in the agent's outbox.
    const backlog: Array<{ meterId: string; reading: Record<string, number> & { t: number } }> = [];
    for (let t = now - backlogMs; t < now; ) {
      const stepMs = t < now - FINE_BACKLOG_MS ? 900_000 : 60_000;
      const hours = stepMs / 3_600_000;
      const sun = solarW(profile, t, offsetAt(t));
      const net = consumptionW(profile, t, offsetAt(t)) - sun;
      if (net >= 0) house.importWh += net * hours;
      else house.exportWh += -net * hours;
      house.solarOffsetWh += sun * hours;
      backlog.push({ meterId: grid.meterId, reading: { t, importWh: Math.floor(house.importWh), exportWh: Math.floor(house.exportWh) } });
      if (solar) backlog.push({ meterId: solar.meterId, reading: { t, generationWh: Math.floor(house.solarOffsetWh) } });
      t += stepMs;
    }
    house.solarOffsetWh = Math.floor(house.solarOffsetWh) + 1; // the pulse count starts after the backlog
    backlogs.set(i, backlog);
    houses.push(house);
  }
  for (const id of newHouseholds) {
    await hub.governanceCommands.consentSet(id, { aggregates: true, liveGeneration: true, partners: [] }, 'demo-1');
  }
  if (firstRun) {
    const starter = hub.governance.proposals().find((p) => p.status === 'open');
    if (starter) {
      const date = hub.store.calendar.dayKey(clock.now());
      const effectiveFrom = hub.store.calendar.dayKey(hub.store.calendar.dayBounds(date).end);
      await hub.governanceCommands.decide(
        {
          proposalId: starter.id,
          outcome: 'adopted',
          date,
          meeting: 'Demo: residents\' association general meeting',
          present: ['Demo chair', 'Demo treasurer', 'Demo residents'],
          votes: { for: 14, against: 1, abstaining: 2 },
          decidedBy: 'residents\' association general meeting (demo)',
          rationale: 'Demo decision: publish the neighbourhood\'s daily solar generation and electricity use, with the default rules.',
          effectiveFrom,
        },
        'the demo',
      );
      // A week ago the group added "solar generation now" for the community-centre screen:
      // a new proposal with the starter's figures plus the live one, replacing the starter.
      if (historyDays > 8) {
        clockOffsetMs = 8 * 86_400_000;
        const { proposalId } = await hub.governanceCommands.propose(
          {
            ...starterProposalInput(starter.proposal),
            title: 'Daily figures, and solar generation now on the community-centre screen',
            purpose: `${starter.proposal.purpose} Show on the screen in the community centre how much solar the neighbourhood is making right now.`,
            liveGeneration: true,
          },
          'the demo',
        );
        const liveDate = hub.store.calendar.dayKey(clock.now());
        await hub.governanceCommands.decide(
          {
            proposalId,
            outcome: 'adopted',
            date: liveDate,
            meeting: 'Demo: residents\' association committee',
            present: ['Demo chair', 'Demo secretary'],
            votes: { for: 9, against: 0, abstaining: 1 },
            decidedBy: 'residents\' association committee (demo)',
            rationale: 'Demo decision: add the live solar figure for the whole neighbourhood; everything else as before.',
            effectiveFrom: hub.store.calendar.dayKey(hub.store.calendar.dayBounds(liveDate).end),
            replaces: [starter.id],
          },
          'the demo',
        );
      }
    }
    clockOffsetMs = 0; // from here on the hub runs in real time
  }
  await saveState();

  const agents: SensorAgent[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const ports: SerialPortMock[] = [];
  const mqttUrl = `mqtt://127.0.0.1:${hub.mqttPort}`;
  for (const house of houses.filter((h) => h.index < options.households)) {
    const profile = householdProfile(house.index);
    const stateDir = join(hub.dataDir, 'demo-agents', `household-${house.index + 1}`);
    const backlog = backlogs.get(house.index);
    if (backlog) {
      const outbox = await openOutbox({ dir: join(stateDir, 'outbox') });
      await outbox.append(backlog);
      await outbox.close();
    }
    // Never behind what the hub already has, even after an unclean stop.
    const latest = hub.store.latest(house.grid.meterId);
    house.importWh = Math.max(house.importWh, latest?.importWh ?? 0);
    house.exportWh = Math.max(house.exportWh, latest?.exportWh ?? 0);

    const p1Path = `/dev/demo-p1-${house.index + 1}`;
    SerialPortMock.binding.createPort(p1Path);
    const port = new SerialPortMock({ path: p1Path, baudRate: 115200 });
    await new Promise((resolve) => port.once('open', resolve));
    const drivers = [createDsmrDriver({ meterId: house.grid.meterId, port, clock: systemClock })];
    const boardPath = `/dev/demo-arduino-${house.index + 1}`;
    const board = new SimulatedPulseBoard(boardPath);
    ports.push(port);
    if (house.solar) {
      drivers.push(
        createPulseDriver({
          meters: [{ meterId: house.solar.meterId, pin: SOLAR_PIN, impulsesPerKWh: IMPULSES_PER_KWH, register: 'generationWh', offsetWh: house.solarOffsetWh }],
          connect: async () => board.ready(),
          boardPath,
          stateFile: join(stateDir, 'pulses.json'),
          clock: systemClock,
          heartbeatMs: 0,
        }),
      );
    }
    const config = parseAgentConfig(
      {
        hub: { url: mqttUrl },
        meters: [house.grid, ...(house.solar ? [house.solar] : [])].map((m) => ({ meterId: m.meterId, password: m.password })),
        drivers: [
          { driver: 'dsmr', port: p1Path, meterId: house.grid.meterId },
          ...(house.solar ? [{ driver: 's0', port: boardPath, meters: [{ meterId: house.solar.meterId, pin: SOLAR_PIN, impulsesPerKWh: IMPULSES_PER_KWH, register: 'generationWh' }] }] : []),
        ],
        stateDir,
      },
      `demo household ${house.index + 1}`,
    );
    const agent = createSensorAgent({ config, drivers, clock: systemClock, logger: options.logger });
    await agent.start();
    agents.push(agent);

    // The smart meter sends a telegram every few seconds.
    let last = systemClock.now();
    const serial = `DEMO${String(house.index + 1).padStart(6, '0')}`;
    const sendTelegram = () => {
      const t = systemClock.now();
      const hours = (t - last) / 3_600_000;
      last = t;
      const net = consumptionW(profile, t, offsetAt(t)) - solarW(profile, t, offsetAt(t));
      if (net >= 0) house.importWh += net * hours;
      else house.exportWh += -net * hours;
      port.port?.emitData(buildDsmr5Telegram(serial, new Date(t), { importWh: house.importWh, exportWh: house.exportWh, powerW: net }));
    };
    sendTelegram();
    timers.add(setInterval(sendTelegram, TELEGRAM_INTERVAL_MS));

    // The solar meter's S0 output pulses once per watt-hour.
    if (house.solar) {
      const nextPulse = () => {
        const t = systemClock.now();
        const watts = solarW(profile, t, offsetAt(t));
        if (watts > 1) board.pulse(SOLAR_PIN);
        const wait = watts > 1 ? pulseIntervalMs(watts, IMPULSES_PER_KWH) : 10_000;
        const timer = setTimeout(() => {
          timers.delete(timer);
          nextPulse();
        }, Math.max(60, Math.min(wait, 10_000)));
        timers.add(timer);
      };
      nextPulse();
    }
  }
  const stateTimer = setInterval(() => void saveState().catch(() => {}), 60_000);
  // Once the backlogs are in, decide the days they settle at once rather than at the next quarter hour.
  const publishWhenSettled = setInterval(() => {
    if (agents.reduce((sum, a) => sum + a.outbox.totalPending(), 0) > 0) return;
    clearInterval(publishWhenSettled);
    void hub.publication.runOnce().catch((error) => log.warn({ err: error }, 'demo publication run failed'));
  }, 2_000);
  log.info({ households: options.households, agents: agents.length, mqttUrl, httpPort: hub.httpPort }, 'demo neighbourhood running: real DSMR and S0 drivers on simulated meters, one sensor agent per household');

  return {
    hub,
    pending: () => agents.reduce((sum, a) => sum + a.outbox.totalPending(), 0),
    async stop() {
      clearInterval(stateTimer);
      clearInterval(publishWhenSettled);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(agents.map((a) => a.stop()));
      await Promise.all(ports.map((p) => new Promise((resolve) => (p.isOpen ? p.close(resolve) : resolve(null)))));
      SerialPortMock.binding.reset();
      await saveState();
      await hub.stop();
    },
  };
}

/** A stored proposal as input for a new one (the same figures, rules and answers). */
function starterProposalInput(proposal: Proposal) {
  return { ...proposal, groups: { ...proposal.groups, zones: [...proposal.groups.zones] }, metrics: [...proposal.metrics] };
}
