import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestHub, type TestHub } from '../helpers/testHub.js';
import { addHouseholds, publishSpan, type SimulatedHousehold } from '../helpers/simulatedNeighbourhood.js';
import { createLocalCalendar } from '../../hub/rollups/localTime.js';

/**
 * "Solar generation now" (PRIVACY-RULES.md "live figure"): off until the group
 * turns it on by decision; then the whole neighbourhood's solar only, from
 * households that consented to it, under the same rules (dominance still
 * applies), and never consumption.
 */
const test = suite('publication: the live solar figure, only when the group turned it on');

const calendar = createLocalCalendar('Europe/London');
const DAY = '2026-06-10';
const day = calendar.dayBounds(DAY);
const HOUR = 3_600_000;
let now = day.start - 86_400_000 + HOUR;
const clock = { now: () => now };
let th: TestHub;
let households: SimulatedHousehold[];
let base: string;
const discussion = { whatIsItFor: 'Seeing our solar now.', whoCouldBeAffected: 'Households with panels.', whatIsNotOk: 'Anything about one home.', whereWillItGo: 'The community centre screen.' };

test.before(async () => {
  th = await startTestHub({ timeZone: 'Europe/London' }, { clock });
  base = `http://127.0.0.1:${th.hub.httpPort}`;
  // 14 households with panels of different sizes, 2 without; the last one will not consent to live figures.
  const specs = [...Array.from({ length: 14 }, (_, i) => ({ zone: null, importW: 300, solarW: 900 + i * 40 })), { zone: null, importW: 500, solarW: 0 }, { zone: null, importW: 450, solarW: 0 }];
  households = await addHouseholds(th, specs);
  for (const [i, h] of households.entries()) {
    await th.hub.governanceCommands.consentSet(h.householdId, { aggregates: true, liveGeneration: i !== 0, partners: [] }, 'v1');
  }
});

test.after(async () => {
  await th.close();
});

async function adoptLive(rules?: Record<string, number>, replaces: string[] = []) {
  const { proposalId } = await th.hub.governanceCommands.propose(
    {
      title: 'Solar now on the community centre screen',
      purpose: 'Show the neighbourhood its solar as it happens.',
      metrics: ['generation'],
      groups: { neighbourhood: true, zones: [] },
      resolution: { neighbourhood: 'day' },
      audience: { tier: 'open' },
      liveGeneration: true,
      discussion,
      ...(rules ? { rules } : {}),
    },
    'live.json',
  );
  const date = calendar.dayKey(now);
  await th.hub.governanceCommands.decide(
    { proposalId, outcome: 'adopted', date, meeting: 'Test meeting', present: ['Ann Example'], votes: { for: 8, against: 0, abstaining: 1 }, decidedBy: 'general meeting', rationale: 'Agreed', effectiveFrom: calendar.dayKey(calendar.dayBounds(date).end), replaces },
    'decision.json',
  );
  return proposalId;
}

test('off by default: no live figure anywhere, and the route says why', async () => {
  assert.is(th.hub.live.enabled(), false);
  assert.is(th.hub.live.current(), null);
  const answer = await fetch(`${base}/api/public/live/generation`);
  assert.is(answer.status, 404);
  assert.match(((await answer.json()) as { error: string }).error, /has not turned on the live "solar generation now" figure/);
});

test('turned on by decision: the neighbourhood\'s solar now and today so far, from consenting households only, rounded', async () => {
  await adoptLive();
  now = day.start + 12 * HOUR;
  await publishSpan(households, day.start - 5 * 60_000, now, day.start - HOUR);
  assert.is(th.hub.live.enabled(), true);
  const consenting = households.slice(1);
  const watts = consenting.reduce((sum, h) => sum + h.solarW, 0);
  // From the reading at midnight to noon: 12 h of each array's constant power.
  const todayWh = consenting.reduce((sum, h) => sum + h.solarW * 12, 0);
  const figure = th.hub.live.current();
  assert.ok(figure);
  assert.is(figure!.powerW, Math.round(watts / 100) * 100);
  assert.is(figure!.todayWh, Math.round(todayWh / 100) * 100);
  assert.is(figure!.householdsAtLeast, 15, '15 consenting households, shown as 15+');
  const answer = (await (await fetch(`${base}/api/public/live/generation`)).json()) as Record<string, unknown>;
  assert.equal(Object.keys(answer).sort(), ['at', 'householdsAtLeast', 'powerW', 'todayWh']);
  assert.is(answer.powerW, figure!.powerW);
  // The page shows it, and nothing about consumption is live.
  const page = await (await fetch(`${base}/`)).text();
  assert.match(page, /Our solar panels are making \d+(\.\d)? kW/);
  for (const path of ['/api/public/live/consumption', '/api/public/live/import', '/api/public/live']) assert.is((await fetch(base + path)).status, 404, path);
});

test('a meter silent for more than 15 minutes is left out rather than counted as zero', async () => {
  now += 20 * 60_000;
  const fresh = households.slice(2);
  await publishSpan(fresh, now - 10 * 60_000, now, day.start - HOUR);
  const figure = th.hub.live.current();
  assert.is(figure!.powerW, Math.round(fresh.reduce((sum, h) => sum + h.solarW, 0) / 100) * 100, 'household 1 (silent) is not in the figure');
  assert.is(figure!.householdsAtLeast, 10);
});

test('dominance still applies: one big array makes the live figure stay hidden', async () => {
  // A stricter policy replaces it: no household may be more than 5 % of the figure (floor: up to 50 %).
  await adoptLive({ k: 10, dominancePercent: 5, pPercent: 10 }, ['p-2']);
  now = calendar.dayBounds('2026-06-11').start + 12 * HOUR + 30 * 60_000;
  await publishSpan(households.slice(1), now - 15 * 60_000, now, day.start - HOUR);
  const figure = th.hub.live.current();
  assert.ok(figure);
  assert.is(figure!.powerW, null, 'the largest array is more than 5 % of the total');
  assert.is(figure!.todayWh, null);
  const page = await (await fetch(`${base}/`)).text();
  assert.match(page, /not shown at the moment, because it could single out a household/);
  assert.not.match(page, /Our solar panels are making \d/);
});

test.run();
