import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderKioskPanels, type KioskView } from '../../dashboard/server/kioskPage.js';
import { createDashboardFormat } from '../../dashboard/server/dashboardFormat.js';
import { loadDashboardStrings } from '../../dashboard/server/dashboardStrings.js';
import { toHtmlString } from '../../dashboard/server/html.js';
import type { PublicSummary } from '../../dashboard/server/publicSummary.js';
import type { LiveGenerationFigure } from '../../hub/publication/liveGeneration.js';

/** Which panels the kiosk shows, for each state of the released and live figures. */
const test = suite('dashboard: the kiosk\'s panels');

const strings = loadDashboardStrings('en');
const format = createDashboardFormat(strings, 'Europe/London');
const empty: PublicSummary = {
  at: '2026-06-11T08:00:00.000Z',
  timeZone: 'Europe/London',
  metrics: [],
  delayDays: null,
  latest: null,
  dayBefore: null,
  weekBefore: null,
  expectedDay: '2026-06-10',
  cover: null,
  co2: null,
  history: { day: [], week: [], month: [], year: [] },
  zones: [],
};
const released: PublicSummary = {
  ...empty,
  metrics: ['generation', 'consumption'],
  delayDays: 1,
  latest: { day: '2026-06-10', generationWh: 312_400, consumptionWh: 600_000, importWh: null, exportWh: null, householdsAtLeast: 20, completenessPercent: 95 },
  cover: { kind: 'generationShare', percent: 52 },
  co2: { gramsPerKwh: 150, avoidedKg: 46.86 },
  history: { day: [{ key: '2026-06-10', generationWh: 312_400, consumptionWh: 600_000, days: 1 }], week: [], month: [], year: [] },
};
const view = (summary: PublicSummary, live?: LiveGenerationFigure | null): KioskView => ({ summary, strings, format, today: '2026-06-11', now: Date.UTC(2026, 5, 11, 8), neighbourhoodName: 'Mill Lane Energy', live });
const live = (powerW: number | null, todayWh: number | null): LiveGenerationFigure => ({ at: '2026-06-11T08:00:00.000Z', powerW, todayWh, householdsAtLeast: 20 });
const panels = (v: KioskView) => [...toHtmlString(renderKioskPanels(v)).matchAll(/<section class="kiosk-panel ([\w-]+)/g)].map((m) => m[1]);
const text = (v: KioskView) => toHtmlString(renderKioskPanels(v)).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

test('released figures only: solar, share, history and CO2, yesterday named as such', () => {
  assert.equal(panels(view(released)), ['panel-solar', 'panel-cover', 'panel-history', 'panel-co2']);
  assert.match(text(view(released)), /Yesterday our solar panels made 312 kWh/);
});

test('live solar first while the sun shines; after sunset the day\'s total instead of "0 W"; nothing live when held back', () => {
  assert.equal(panels(view(released, live(5300, 12_000)))[0], 'panel-live');
  assert.match(text(view(released, live(5300, 12_000))), /Right now our solar panels are making 5\.3 kW 12\.0 kWh so far today/);
  assert.match(text(view(released, live(0, 18_100))), /Today our solar panels have made 18\.1 kWh/);
  assert.not.match(text(view(released, live(0, 18_100))), /0 W/);
  for (const quiet of [live(0, 0), live(null, null), null]) assert.equal(panels(view(released, quiet)), ['panel-solar', 'panel-cover', 'panel-history', 'panel-co2']);
});

test('nothing released and nothing live: one panel that says when figures come', () => {
  assert.match(text(view(empty)), /Figures appear here the day after the group decides what to publish/);
  assert.equal(panels(view(empty, live(2000, 4000))), ['panel-live'], 'a new scheme with live solar shows that alone');
});

test.run();
