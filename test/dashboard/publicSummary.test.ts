import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computePublicSummary, weekStart, addDays } from '../../dashboard/server/publicSummary.js';
import { loadDashboardStrings } from '../../dashboard/server/dashboardStrings.js';
import { html, toHtmlString } from '../../dashboard/server/html.js';
import { createLocalCalendar } from '../../hub/rollups/localTime.js';
import type { PublicFigure, ReleasedFigures } from '../../hub/publication/releasedFigures.js';
import type { PublicPolicyView, PublishedGroup } from '../../hub/publication/publicSurfaces.js';
import type { Metric } from '../../hub/publication/publicationTypes.js';

/**
 * What the residents' view and kiosk compute from released figures: whole days
 * only, DST days right, weeks and months summed, the share covered by solar,
 * and the strings and escaping the pages rely on.
 */
const test = suite('dashboard: the public summary of released figures');

const calendar = createLocalCalendar('Europe/London');

function sources(figures: PublicFigure[], group: PublishedGroup | null, delayDays = 1, zones: PublishedGroup[] = []) {
  const released: Pick<ReleasedFigures, 'released'> = {
    released: (q) => figures.filter((f) => f.group === q.groupId && f.metric === q.metric && f.resolution === q.resolution && (q.from === undefined || Date.parse(f.periodStart) >= q.from)),
  };
  const policy = { inForce: group ? [{ audience: { tier: 'open' }, delayDays, groups: { neighbourhood: true, zones: [] } }] : [], decisions: [], licence: 'CC-BY-4.0', rules: '' } as unknown as PublicPolicyView;
  return { publishedGroups: () => [...(group ? [group] : []), ...zones], released: released as ReleasedFigures, policyView: () => policy };
}

/** Half-hour figures for a local day, each `wh`, optionally leaving one out. */
function halfHours(day: string, metric: Metric, wh: number, skip: number | null = null): PublicFigure[] {
  const { start, end } = calendar.dayBounds(day);
  const out: PublicFigure[] = [];
  for (let t = start, i = 0; t < end; t += 1_800_000, i++) {
    if (i === skip) continue;
    out.push({ group: 'neighbourhood', metric, resolution: '30min', periodStart: new Date(t).toISOString(), periodEnd: new Date(t + 1_800_000).toISOString(), day: null, totalWh: wh, householdsAtLeast: 20, completenessPercent: 95 });
  }
  return out;
}

function daily(day: string, metric: Metric, wh: number, group = 'neighbourhood'): PublicFigure {
  const { start, end } = calendar.dayBounds(day);
  return { group, metric, resolution: 'day', periodStart: new Date(start).toISOString(), periodEnd: new Date(end).toISOString(), day, totalWh: wh, householdsAtLeast: 15, completenessPercent: 90 };
}

const groupAt = (resolution: '30min' | 'day', metrics: Metric[]): PublishedGroup => ({ id: 'neighbourhood', label: 'The whole neighbourhood', metrics, resolutions: [resolution] });

test('nothing published: no latest day, no cover, empty history', () => {
  const summary = computePublicSummary({ sources: sources([], null), calendar, now: Date.UTC(2026, 5, 11, 9), co2GramsPerKwh: 150 });
  assert.is(summary.latest, null);
  assert.is(summary.cover, null);
  assert.is(summary.co2, null);
  assert.equal(summary.history.day, []);
  assert.equal(summary.metrics, []);
});

test('half-hour figures make a day only when every period of it was released, 46 on the spring-forward day', () => {
  const figures = [
    ...halfHours('2026-03-28', 'generation', 100),
    ...halfHours('2026-03-29', 'generation', 100), // 23 hours: 46 half hours
    ...halfHours('2026-03-30', 'generation', 100, 20), // one half hour suppressed
  ];
  assert.is(halfHours('2026-03-29', 'generation', 1).length, 46);
  const summary = computePublicSummary({ sources: sources(figures, groupAt('30min', ['generation'])), calendar, now: calendar.dayBounds('2026-03-31').start + 9 * 3_600_000, co2GramsPerKwh: 150 });
  assert.equal(summary.history.day.map((p) => [p.key, p.generationWh]), [['2026-03-28', 4800], ['2026-03-29', 4600]]);
  assert.is(summary.latest?.day, '2026-03-29');
  assert.is(summary.expectedDay, '2026-03-30');
  assert.is(summary.latest?.householdsAtLeast, 20);
  assert.is(summary.latest?.completenessPercent, 95);
});

test('self-sufficiency from import and consumption; generation as a share of use without import', () => {
  const day = '2026-06-10';
  const withImport = [daily(day, 'generation', 300_000), daily(day, 'consumption', 600_000), daily(day, 'import', 450_000)];
  const a = computePublicSummary({ sources: sources(withImport, groupAt('day', ['generation', 'consumption', 'import'])), calendar, now: Date.UTC(2026, 5, 11, 9), co2GramsPerKwh: 200 });
  assert.equal(a.cover, { kind: 'selfSufficiency', percent: 25 });
  assert.equal(a.co2, { gramsPerKwh: 200, avoidedKg: 60 });
  const b = computePublicSummary({ sources: sources(withImport.slice(0, 2), groupAt('day', ['generation', 'consumption'])), calendar, now: Date.UTC(2026, 5, 11, 9), co2GramsPerKwh: 200 });
  assert.equal(b.cover, { kind: 'generationShare', percent: 50 });
});

test('comparisons find the day before and the same weekday a week before; weeks start on Monday; months and years sum', () => {
  const days = Array.from({ length: 40 }, (_, i) => addDays('2026-05-03', i));
  const figures = days.map((d, i) => daily(d, 'generation', 1000 * (i + 1)));
  const summary = computePublicSummary({ sources: sources(figures, groupAt('day', ['generation'])), calendar, now: calendar.dayBounds(addDays(days.at(-1)!, 1)).start + 3_600_000, co2GramsPerKwh: 150 });
  assert.is(summary.latest?.day, '2026-06-11');
  assert.is(summary.dayBefore?.day, '2026-06-10');
  assert.is(summary.weekBefore?.day, '2026-06-04');
  assert.is(summary.history.day.length, 31, 'a month of days');
  assert.is(weekStart('2026-06-11'), '2026-06-08');
  assert.is(weekStart('2026-06-08'), '2026-06-08');
  assert.is(weekStart('2026-06-07'), '2026-06-01');
  const june = summary.history.month.find((p) => p.key === '2026-06')!;
  assert.is(june.days, 11);
  assert.is(june.generationWh, days.reduce((sum, d, i) => (d.startsWith('2026-06') ? sum + 1000 * (i + 1) : sum), 0));
  assert.equal(summary.history.year.map((p) => [p.key, p.days]), [['2026', 40]]);
  assert.is(summary.history.week.reduce((sum, p) => sum + p.days, 0), 40);
});

test('published zones show the latest day\'s released figures; a held-back figure is null, an unpublished zone absent', () => {
  const day = '2026-06-10';
  const figures = [
    daily(day, 'generation', 300_000),
    daily(day, 'consumption', 600_000),
    daily(day, 'generation', 120_000, 'zone:Orchard Road'),
    daily(day, 'consumption', 250_000, 'zone:Orchard Road'),
    daily('2026-06-09', 'generation', 99_000, 'zone:Church Street'),
    daily(day, 'consumption', 210_000, 'zone:Church Street'),
  ];
  const zone = (name: string): PublishedGroup => ({ id: `zone:${name}`, label: name, metrics: ['generation', 'consumption'], resolutions: ['day'] });
  const summary = computePublicSummary({
    sources: sources(figures, groupAt('day', ['generation', 'consumption']), 1, [zone('Orchard Road'), zone('Church Street')]),
    calendar,
    now: Date.UTC(2026, 5, 11, 9),
    co2GramsPerKwh: 150,
  });
  assert.equal(summary.zones, [
    { id: 'zone:Orchard Road', label: 'Orchard Road', generationWh: 120_000, consumptionWh: 250_000, householdsAtLeast: 15 },
    { id: 'zone:Church Street', label: 'Church Street', generationWh: null, consumptionWh: 210_000, householdsAtLeast: 15 },
  ]);
  const none = computePublicSummary({ sources: sources(figures, groupAt('day', ['generation', 'consumption'])), calendar, now: Date.UTC(2026, 5, 11, 9), co2GramsPerKwh: 150 });
  assert.equal(none.zones, []);
});

test('every string the dashboard code names exists in dashboard/strings/en/, and values are filled in', () => {
  const strings = loadDashboardStrings('en');
  const root = join(import.meta.dirname, '..', '..', 'dashboard', 'server');
  const used = new Set<string>();
  for (const file of readdirSync(root).filter((f) => f.endsWith('.ts'))) {
    for (const match of readFileSync(join(root, file), 'utf8').matchAll(/\bt\('([a-zA-Z]+\.[a-zA-Z0-9]+)'/g)) used.add(match[1]!);
  }
  assert.ok(used.size > 60, `keys found in the code (${used.size})`);
  for (const key of used) assert.type(strings.t(key), 'string', key);
  assert.is(strings.t('residents.coverage', { households: 20, percent: '95%' }), "From 20+ households · 95% of households' readings complete");
  assert.throws(() => strings.t('residents.noSuchKey'), /no "residents.noSuchKey" in dashboard\/strings\/en\/ \(add it to residents.json\)/);
  assert.throws(() => loadDashboardStrings('xx'), /cannot read .*dashboard\/strings\/xx/);
});

test('HTML from templates escapes every value, so a label can never become markup', () => {
  const label = '<script>alert("x")</script> & co';
  assert.is(toHtmlString(html`<p title="${label}">${label}</p>`), '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</p>');
  assert.is(toHtmlString(html`<ul>${['a', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`), '<ul><li>a</li><li>b</li></ul>');
  assert.is(toHtmlString(html`${null}${undefined}${false}${0}`), '0');
});

test.run();
