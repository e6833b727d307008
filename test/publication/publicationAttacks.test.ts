import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestHub, waitFor, type TestHub } from '../helpers/testHub.js';
import { addHouseholds, publishSpan, type SimulatedHousehold } from '../helpers/simulatedNeighbourhood.js';
import { createLocalCalendar } from '../../hub/rollups/localTime.js';

/**
 * PRIVACY-RULES.md "Attacks the tests must try", against a running hub: real
 * broker, real readings from simulated households, decisions on the record,
 * and only the public surfaces to look at. The hub's clock is injected so a
 * decision can be taken before the day it governs.
 */
const test = suite('publication: only approved, safe neighbourhood figures leave the hub');

const calendar = createLocalCalendar('Europe/London');
const DAY = '2026-06-10';
const day = calendar.dayBounds(DAY);
const HOUR = 3_600_000;
let now = day.start - 86_400_000 + HOUR; // the day before: decisions take effect on DAY
const clock = { now: () => now };
let th: TestHub;
let households: SimulatedHousehold[];
let base: string;

const getJson = async (path: string) => {
  const response = await fetch(base + path);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const starterDiscussion = {
  whatIsItFor: 'Show the neighbourhood how much solar it makes.',
  whoCouldBeAffected: 'Every household that takes part.',
  whatIsNotOk: 'Anything that shows one household.',
  whereWillItGo: 'The community centre screen and the open-data page.',
};

function proposal(groups: { neighbourhood: boolean; zones: string[] }, extra: Record<string, unknown> = {}) {
  return { title: 'Test proposal', purpose: 'Testing', metrics: ['generation', 'import', 'export', 'consumption'], groups, audience: { tier: 'open' }, discussion: starterDiscussion, ...extra };
}

function decision(extra: Record<string, unknown> = {}) {
  const date = calendar.dayKey(now);
  const next = calendar.dayKey(calendar.dayBounds(date).end);
  return { outcome: 'adopted', date, meeting: 'Test meeting', present: ['Ann Example', 'Bo Example'], votes: { for: 9, against: 1, abstaining: 0 }, decidedBy: 'general meeting', rationale: 'Agreed', effectiveFrom: next, ...extra };
}

test.before(async () => {
  th = await startTestHub({ timeZone: 'Europe/London' }, { clock });
  base = `http://127.0.0.1:${th.hub.httpPort}`;
  // 12 on Orchard Road (one with a 30 kW heat pump), 11 on Church Street, 1 on Mill Lane.
  const specs = [
    ...Array.from({ length: 12 }, (_, i) => ({ zone: 'Orchard Road', importW: i === 0 ? 30_000 : 400 + i * 10, solarW: 1000 + i * 50 })),
    ...Array.from({ length: 11 }, (_, i) => ({ zone: 'Church Street', importW: 500 + i * 10, solarW: i % 2 === 0 ? 1500 : 0 })),
    { zone: 'Mill Lane', importW: 450, solarW: 1200 },
  ];
  households = await addHouseholds(th, specs);
  for (const h of households.slice(1)) await th.hub.governanceCommands.consentSet(h.householdId, { aggregates: true, liveGeneration: false, partners: ['Grid Co'] }, 'v1');
});

test.after(async () => {
  await th.close();
});

test('a fresh install publishes nothing: no groups, no figures, a starter proposal waiting', async () => {
  const groups = await getJson('/api/public/groups');
  assert.equal(groups.body.groups, []);
  const figures = await getJson('/api/public/figures');
  assert.is(figures.status, 400);
  assert.match(String(figures.body.error), /not published; published groups: none yet/);
  const shown = (await th.hub.governanceCommands.policyShow()) as { inForce: unknown[]; proposals: Array<{ id: string; status: string }> };
  assert.equal(shown.inForce, []);
  assert.equal(shown.proposals.map((p) => [p.id, p.status]), [['p-1', 'open']]);
});

test('attack 1: a zone of fewer than k households is refused when proposed', async () => {
  const error = await th.hub.governanceCommands.propose(proposal({ neighbourhood: false, zones: ['Mill Lane'] }), 'zone.json').catch((e: Error) => e.message);
  assert.match(String(error), /could single out households/);
  assert.match(String(error), /Mill Lane/);
});

test('attack 2: everyone and everyone-but-one-street, where the street is one household, is refused', async () => {
  const error = await th.hub.governanceCommands.propose(proposal({ neighbourhood: true, zones: ['Orchard Road', 'Church Street'] }), 'streets.json').catch((e: Error) => e.message);
  assert.match(String(error), /\(the neighbourhood − zone:Church Street − zone:Orchard Road\) would show 1 household/);
});

test('attack 9: no live use for anyone; live solar only for the whole neighbourhood, and only once the group turns it on', async () => {
  const error = await th.hub.governanceCommands.propose(proposal({ neighbourhood: false, zones: ['Orchard Road'] }, { liveGeneration: true }), 'live.json').catch((e: Error) => e.message);
  assert.match(String(error), /liveGeneration: the live "solar generation now" figure is for the whole neighbourhood only/);
  for (const path of ['/api/public/live', '/api/public/live/consumption', '/api/public/live/import', '/api/public/live/generation']) assert.is((await fetch(`${base}${path}`)).status, 404, path);
  assert.is(th.hub.live.enabled(), false, 'off: no decision turned it on (test/publication/liveGeneration.test.ts covers it turned on)');
});

test('the group adopts a safe proposal on the record; figures come only after the day has settled', async () => {
  const { proposalId } = await th.hub.governanceCommands.propose(proposal({ neighbourhood: true, zones: ['Orchard Road'] }), 'safe.json');
  await th.hub.governanceCommands.decide({ ...decision(), proposalId }, 'decision.json');
  // A shared-tier decision too: daily neighbourhood import for the network operator, for a month.
  const shared = await th.hub.governanceCommands.propose(
    proposal({ neighbourhood: true, zones: [] }, { metrics: ['import'], resolution: { neighbourhood: 'day' }, audience: { tier: 'shared', partner: 'Grid Co', purpose: 'Planning the feeder', expires: '2026-07-01' } }),
    'shared.json',
  );
  await th.hub.governanceCommands.decide({ ...decision(), proposalId: shared.proposalId }, 'shared-decision.json');
  // The day's readings arrive; one household's grid meter stays silent.
  now = day.end + 2 * HOUR;
  const silent = households[23]!;
  await publishSpan(households.filter((h) => h !== silent), day.start - 5 * 60_000, day.end + HOUR, day.start - HOUR);
  await publishSpan([{ ...silent, gridMeter: silent.gridMeter, solarMeter: null, importW: silent.importW, solarW: 0 }].map((h) => ({ ...h })), day.start - 5 * 60_000, day.start - 5 * 60_000, day.start - HOUR);
  await th.hub.publication.runOnce();
  const waiting = await th.hub.governanceCommands.publishStatus();
  assert.ok(waiting.waiting.some((w) => w.day === DAY && /have not reported past the end of the day/.test(w.reason)), 'waits for the silent meter');
  assert.is(waiting.released, 0);

  now = day.end + 49 * HOUR; // maximum lateness passed
  await th.hub.publication.runOnce();
  const status = await th.hub.governanceCommands.publishStatus();
  assert.ok(status.released > 0, 'figures released');
});

test('released generation figures are exact sums over consenting households, with rounded counts', async () => {
  // Household 0 has not consented; household 23 sent nothing for the day, so it is left out (completeness 95 %).
  const generating = households.slice(1, 23).filter((h) => h.solarW > 0);
  const expectedHalfHour = Math.round(generating.reduce((sum, h) => sum + h.solarW, 0) * 0.5);
  const { body } = await getJson('/api/public/figures?group=neighbourhood&metric=generation&resolution=30min');
  const figures = body.figures as Array<{ periodStart: string; totalWh: number; householdsAtLeast: number; completenessPercent: number }>;
  assert.is(figures.length, 48);
  assert.ok(figures.every((f) => f.totalWh === expectedHalfHour), `each half-hour is ${expectedHalfHour} Wh`);
  assert.ok(figures.every((f) => f.householdsAtLeast === 20 && f.completenessPercent === 95), '22 of 23 households: 20+, 95 % in');
  const zone = await getJson('/api/public/figures?group=zone:Orchard%20Road&metric=import&resolution=day');
  const orchard = households.slice(1, 12);
  assert.equal((zone.body.figures as Array<{ totalWh: number; householdsAtLeast: number }>).map((f) => [f.totalWh, f.householdsAtLeast]), [[Math.round(orchard.reduce((s, h) => s + h.importW * 24, 0)), 10]]);
});

test('secondary suppression: a zone figure that would let the rest of the neighbourhood be rebuilt is withheld', async () => {
  // Neighbourhood (48 released half-hours) minus Orchard Road = Church Street + Mill Lane,
  // whose generation fails the dominance rule (six similar arrays, each over 15 %).
  const { body } = await getJson('/api/public/figures?group=zone:Orchard%20Road&metric=generation&resolution=day');
  assert.equal(body.figures, []);
  const withheld = th.hub.released.suppressed(1000).find((f) => f.groupId === 'zone:Orchard Road' && f.metric === 'generation');
  assert.is(withheld?.rule, 'secondary');
  assert.match(withheld?.reason ?? '', /rebuilt|rebuild/);
  // With generation withheld, import, export and consumption would give it back
  // (consumption = generation + import − export): a second metric is withheld.
  const crossMetric = th.hub.released.suppressed(1000).find((f) => f.groupId === 'zone:Orchard Road' && f.metric === 'export');
  assert.match(crossMetric?.reason ?? '', /generation cannot be rebuilt as consumption = generation \+ import − export/);
  const released = (await getJson('/api/public/figures?group=zone:Orchard%20Road&metric=consumption&resolution=day')).body.figures as unknown[];
  assert.is(released.length, 1, 'consumption itself stays published');
});

test('attack 5: a heat pump dominating its zone withholds that figure, and only the rules say so, to the group', async () => {
  // Household 0 has the heat pump but never consented: with consent it would dominate.
  await th.hub.governanceCommands.consentSet(households[0]!.householdId, { aggregates: true, liveGeneration: false, partners: [] }, 'v1');
  const preview = await th.hub.governanceCommands.preview('p-2', 40);
  const orchardImport = preview.figures.filter((f) => f.group === 'zone:Orchard Road' && f.metric === 'import' && f.periodStart === new Date(day.start).toISOString());
  assert.is(orchardImport.length, 1);
  assert.ok(orchardImport.every((f) => !f.released && f.rule === 'dominance' && /\d+(\.\d+)? ?%/.test(f.reason ?? '')), 'dominance, with its numbers');
  // The consent counts only for periods from now on: the released day did not change.
  const { body } = await getJson('/api/public/figures?group=zone:Orchard%20Road&metric=import&resolution=day');
  assert.is((body.figures as unknown[]).length, 1);
});

test('attack 3: late readings after release change nothing that was published', async () => {
  const before = await (await fetch(`${base}/api/public/export/figures.csv`)).text();
  const silent = households[23]!;
  await publishSpan([{ ...silent, solarMeter: null }], day.start, day.end + HOUR, day.start - HOUR);
  now += HOUR;
  await th.hub.publication.runOnce();
  const after = await (await fetch(`${base}/api/public/export/figures.csv`)).text();
  assert.is(after, before);
});

test('attack 8: per-household data, finer resolution or other statistics are not to be had', async () => {
  const h = households[5]!;
  for (const [path, pattern] of [
    ['/api/public/figures?resolution=5min', /resolution "5min" is not published/],
    ['/api/public/figures?group=zone:Orchard%20Road&metric=generation&resolution=30min', /resolution "30min" is not published for zone:Orchard Road/],
    [`/api/public/figures?group=${h.householdId}`, /is not published/],
    ['/api/public/figures?group=zone:Mill%20Lane', /is not published/],
    ['/api/public/figures?metric=max', /metric "max" is not published/],
  ] as const) {
    const { status, body } = await getJson(path);
    assert.is(status, 400, path);
    assert.match(String(body.error), pattern, path);
  }
  for (const path of [`/api/public/households/${h.householdId}`, `/api/public/meters/${h.gridMeter.meterId}`, '/api/public/live', '/api/public/figures/max']) {
    assert.is((await fetch(base + path)).status, 404, path);
  }
});

test('attack 10: the same question always gets the same answer', async () => {
  const a = await (await fetch(`${base}/api/public/figures?metric=generation&resolution=30min&format=csv`)).text();
  const b = await (await fetch(`${base}/api/public/figures?metric=generation&resolution=30min&format=csv`)).text();
  assert.is(a, b);
  assert.ok(a.split('\n').length > 40);
});

test('attack 11: a zero is published like any value when the group passes the rules', async () => {
  const { body } = await getJson('/api/public/figures?group=neighbourhood&metric=export&resolution=30min');
  const figures = body.figures as Array<{ totalWh: number }>;
  assert.is(figures.length, 48);
  assert.ok(figures.every((f) => f.totalWh === 0));
});

test('attack 12 and a crawl: no public route or public topic shows a meter id, household id, label or exact count', async () => {
  const secrets = households.flatMap((h) => [h.householdId, h.gridMeter.meterId, ...(h.solarMeter ? [h.solarMeter.meterId] : [])]);
  for (const hh of th.hub.registry.households()) secrets.push(hh.label);
  secrets.push('Ann Example', 'Bo Example'); // names of those present: publishNames is off
  const groups = (await getJson('/api/public/groups')).body.groups as Array<{ id: string; metrics: string[]; resolutions: string[] }>;
  const paths = ['/api/health', '/api/public/groups', '/api/public/policy', '/api/public/export/figures.csv', '/api/public/export/datapackage.json'];
  // The dashboard's pages, fragments and summary (test/dashboard/ drives them in a browser).
  paths.push('/', '/?history=week', '/?history=month', '/?history=year', '/kiosk', '/about', '/partials/figures', '/partials/kiosk', '/api/public/summary');
  for (const g of groups) for (const m of g.metrics) for (const r of g.resolutions) for (const f of ['json', 'csv']) paths.push(`/api/public/figures?group=${encodeURIComponent(g.id)}&metric=${m}&resolution=${r}&format=${f}`);
  const bodies: string[] = [];
  for (const path of paths) {
    const response = await fetch(base + path);
    assert.is(response.status, 200, path);
    bodies.push(await response.text());
  }
  // Public MQTT: everything an anonymous client can see.
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${th.hub.mqttPort}`, { reconnectPeriod: 0 });
  const topics: string[] = [];
  client.on('message', (topic, payload) => {
    topics.push(topic);
    bodies.push(`${topic} ${payload.toString()}`);
  });
  await client.subscribeAsync(['commonwatt/public/#', 'commonwatt/hub/status'], { qos: 1 });
  await waitFor(() => topics.some((t) => t.startsWith('commonwatt/public/neighbourhood/generation')), 'retained public figures');
  await client.endAsync();
  const all = bodies.join('\n');
  for (const secret of secrets) assert.not.ok(all.includes(secret), `public surfaces mention ${secret}`);
  for (const match of all.matchAll(/"householdsAtLeast":(\d+)/g)) assert.is(Number(match[1]) % 5, 0);
  assert.not.match(all, /lastSeen|lastReading|meterId|householdId|meanWh/);
});

test('shared tier: a partner token sees exactly what its decision granted, and nothing after it expires', async () => {
  const { token, partner } = await th.hub.governanceCommands.partnerToken('p-3');
  assert.is(partner, 'Grid Co');
  const withToken = await fetch(`${base}/api/shared/figures`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await withToken.json()) as { audience: string; figures: Array<{ group: string; metric: string; resolution: string; totalWh: number }> };
  assert.is(body.audience, 'shared:Grid Co');
  assert.equal([...new Set(body.figures.map((f) => `${f.group} ${f.metric} ${f.resolution}`))], ['neighbourhood import day']);
  assert.is((await fetch(`${base}/api/shared/figures`)).status, 401);
  assert.is((await fetch(`${base}/api/shared/figures`, { headers: { authorization: 'Bearer cwp_guess' } })).status, 401);
  // The shared figures never appear on the open surfaces.
  const open = await getJson('/api/public/figures?group=neighbourhood&metric=import&resolution=day');
  assert.is(open.status, 400);
  const later = now;
  now = calendar.dayBounds('2026-07-02').start;
  assert.is((await fetch(`${base}/api/shared/figures`, { headers: { authorization: `Bearer ${token}` } })).status, 401, 'expired');
  now = later;
});

test('a tampered decision log stops publication and says why', async () => {
  const file = join(th.dataDir, 'governance.json');
  const original = await readFile(file, 'utf8');
  await writeFile(file, original.replace('"Test meeting"', '"Other meeting"'));
  await th.hub.publication.runOnce();
  const status = await th.hub.governanceCommands.publishStatus();
  assert.match(String(status.blocked), /fails its integrity check/);
  await writeFile(file, original);
});

test.run();
