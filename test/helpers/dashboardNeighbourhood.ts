import { openUserStore } from '../../hub/auth/userStore.js';
import { createLocalCalendar } from '../../hub/rollups/localTime.js';
import { makeTempDir } from './tempDir.js';
import { startTestHub, type TestHub } from './testHub.js';
import { addHouseholds, publishSpan, type SimulatedHousehold } from './simulatedNeighbourhood.js';

/**
 * A neighbourhood for the dashboard's browser tests: 24 simulated households
 * with constant, distinct powers (so every released figure has an exact
 * expected value and no household's own value equals a published one), a
 * policy adopted on the record for 30-minute neighbourhood figures of all four
 * metrics, three days released, and a volunteer, a group member and an admin
 * who can sign in. The hub's clock is injected: the three days are 8–10 June
 * 2026 in Europe/London, and "now" is the morning of the 11th.
 */

export const PASSWORDS = { vera: 'lantern copper 41 meadow', gina: 'harbour violet 73 thistle', ada: 'quarry amber 19 falcon' } as const;
export const NEIGHBOURHOOD_NAME = 'Mill Lane Energy';

export interface DashboardNeighbourhood {
  th: TestHub;
  base: string;
  dataDir: string;
  households: SimulatedHousehold[];
  days: string[];
  clock: { now(): number; set(t: number): void };
  /** Expected neighbourhood totals per day, Wh. */
  expected: { generationWh: number; importWh: number; consumptionWh: number };
  /** Every household's own daily values, Wh: none may appear on a public surface. */
  householdValuesWh: number[];
  /** Starts the hub again on the same data directory and ports (after `th.close()`). */
  restart(): Promise<TestHub>;
  close(): Promise<void>;
}

const calendar = createLocalCalendar('Europe/London');
const HOUR = 3_600_000;

export async function startDashboardNeighbourhood(): Promise<DashboardNeighbourhood> {
  const temp = await makeTempDir('commonwatt-dashboard-');
  const users = await openUserStore(temp.dir);
  const created = Date.UTC(2026, 5, 1);
  await users.addUser({ username: 'vera', displayName: 'Vera (sensors)', role: 'volunteer', password: PASSWORDS.vera }, created);
  await users.addUser({ username: 'gina', displayName: 'Gina (group)', role: 'group', password: PASSWORDS.gina }, created);
  await users.addUser({ username: 'ada', displayName: 'Ada (admin)', role: 'admin', password: PASSWORDS.ada }, created);

  const days = ['2026-06-08', '2026-06-09', '2026-06-10'];
  const first = calendar.dayBounds(days[0]!);
  const last = calendar.dayBounds(days[2]!);
  let now = first.start - 86_400_000 + HOUR;
  const clock = { now: () => now, set: (t: number) => void (now = t) };
  const settings = { timeZone: 'Europe/London', neighbourhoodName: NEIGHBOURHOOD_NAME, co2GramsPerKwh: 200, contact: 'energy@mill-lane.example' };
  let th = await startTestHub(settings, { clock, dataDir: temp.dir, keepDir: true });
  const ports = { httpPort: th.hub.httpPort, mqttPort: th.hub.mqttPort };

  // Powers chosen so that no household's daily value is a published total or rounds to one.
  const specs = Array.from({ length: 24 }, (_, i) => ({
    zone: ['Mill Lane', 'Orchard Road', 'Church Street'][i % 3]!,
    importW: 311 + i * 17,
    solarW: i % 3 === 2 ? 0 : 523 + i * 29,
  }));
  const households = await addHouseholds(th, specs);
  for (const h of households) await th.hub.governanceCommands.consentSet(h.householdId, { aggregates: true, liveGeneration: false, partners: [] }, 'v1');
  const { proposalId } = await th.hub.governanceCommands.propose(
    {
      title: 'Half-hourly neighbourhood energy',
      purpose: 'Show how the neighbourhood makes and uses electricity through the day.',
      metrics: ['generation', 'import', 'export', 'consumption'],
      groups: { neighbourhood: true, zones: [] },
      resolution: { neighbourhood: '30min' },
      audience: { tier: 'open' },
      discussion: {
        whatIsItFor: 'Seeing when our solar covers our use.',
        whoCouldBeAffected: 'Every household taking part.',
        whatIsNotOk: 'Any figure that shows one household.',
        whereWillItGo: 'The dashboard, the kiosk and the open data.',
      },
    },
    'browser-test proposal',
  );
  const date = calendar.dayKey(now);
  await th.hub.governanceCommands.decide(
    {
      proposalId,
      outcome: 'adopted',
      date,
      meeting: 'June general meeting',
      present: ['Ann Example', 'Bo Example'],
      votes: { for: 12, against: 1, abstaining: 2 },
      decidedBy: 'residents\u2019 association',
      rationale: 'Half-hourly totals for the whole neighbourhood pass the rules and help us use our solar.',
      effectiveFrom: days[0]!,
    },
    'browser-test decision',
  );
  now = last.end + 2 * HOUR;
  await publishSpan(households, first.start - 5 * 60_000, last.end + HOUR, first.start - HOUR);
  await th.hub.publication.runOnce();

  const generationWh = specs.reduce((sum, s) => sum + s.solarW * 24, 0);
  const importWh = specs.reduce((sum, s) => sum + s.importW * 24, 0);
  const householdValuesWh = specs.flatMap((s) => [s.importW * 24, ...(s.solarW > 0 ? [s.solarW * 24, (s.importW + s.solarW) * 24] : [])]);

  const result: DashboardNeighbourhood = {
    th,
    get base() {
      return `http://127.0.0.1:${ports.httpPort}`;
    },
    dataDir: temp.dir,
    households,
    days,
    clock,
    expected: { generationWh, importWh, consumptionWh: generationWh + importWh },
    householdValuesWh,
    async restart() {
      th = await startTestHub({ ...settings, ...ports }, { clock, dataDir: temp.dir, keepDir: true });
      result.th = th;
      return th;
    },
    async close() {
      await th.close().catch(() => {});
      await temp.remove();
    },
  };
  return result;
}
