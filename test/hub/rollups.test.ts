import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../hub/log/createLogger.js';
import { createReadingStore, type ReadingStore } from '../../hub/storage/readingStore.js';
import type { StoredReading } from '../../hub/storage/storedReading.js';
import { createLocalCalendar } from '../../hub/rollups/localTime.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('rollups: interval energy from cumulative registers');

const HOUR = 3_600_000;
const MIN = 60_000;
let remove: () => Promise<void>;
let store: ReadingStore;

test.before.each(async () => {
  const temp = await makeTempDir();
  remove = temp.remove;
  store = createReadingStore({
    dataDir: temp.dir,
    timeZone: 'Europe/London',
    maxSpanMs: HOUR,
    commitDelayMs: 1,
    commitBatch: 1,
    flushIntervalMs: 60_000,
    flushBatch: 100_000,
    rawRetentionDays: 35,
    intervalRetentionDays: 396,
    logger: createLogger({ level: 'silent' }),
    clock: { now: () => Date.UTC(2026, 11, 1) },
  });
  await store.start();
});
test.after.each(async () => {
  await store.stop();
  await remove();
});

function reading(meterId: string, t: number, wh: { importWh?: number; generationWh?: number }, serial: string | null = null): StoredReading {
  return { meterId, t, importWh: wh.importWh ?? null, exportWh: null, generationWh: wh.generationWh ?? null, consumptionWh: null, powerW: null, serial };
}

/** A meter drawing a constant 1 kW, read every 5 minutes from `from` to `to`. */
async function constantKilowatt(meterId: string, from: number, to: number) {
  const readings: StoredReading[] = [];
  for (let t = from; t <= to; t += 5 * MIN) readings.push(reading(meterId, t, { importWh: Math.round(((t - from) / HOUR) * 1000) }));
  await store.accept(readings);
  await store.flush();
}

test('the spring-forward day in Europe/London has 23 hours and 23 kWh at 1 kW', async () => {
  const calendar = createLocalCalendar('Europe/London');
  const from = calendar.dayBounds('2026-03-28').start;
  const to = calendar.dayBounds('2026-03-30').end;
  await constantKilowatt('m1', from, to);
  const days = store.intervals(['m1'], 'day', from, to);
  assert.equal(days.map((d) => [d.day, d.importWh, (d.end - d.start) / HOUR, d.coverage]), [
    ['2026-03-28', 24000, 24, 1],
    ['2026-03-29', 23000, 23, 1],
    ['2026-03-30', 24000, 24, 1],
  ]);
  const hours = store.intervals(['m1'], 'hour', calendar.dayBounds('2026-03-29').start, calendar.dayBounds('2026-03-29').end);
  assert.is(hours.length, 23);
  assert.ok(hours.every((h) => h.importWh === 1000 && h.metersComplete === 1));
});

test('the fall-back day in Europe/London has 25 hours and 25 kWh at 1 kW, the repeated hour counted twice', async () => {
  const calendar = createLocalCalendar('Europe/London');
  const day = calendar.dayBounds('2026-10-25');
  await constantKilowatt('m1', day.start - HOUR, day.end + HOUR);
  const [d] = store.intervals(['m1'], 'day', day.start, day.end);
  assert.equal([d?.day, d?.importWh, (d!.end - d!.start) / HOUR], ['2026-10-25', 25000, 25]);
  const hours = store.intervals(['m1'], 'hour', day.start, day.end);
  assert.is(hours.length, 25);
  // 01:00–02:00 local happens twice: once in BST (00:00Z) and once in GMT (01:00Z).
  assert.ok(hours.some((h) => h.start === Date.UTC(2026, 9, 25, 0)) && hours.some((h) => h.start === Date.UTC(2026, 9, 25, 1)));
});

test('a span across a 5-minute boundary is split in proportion to time', async () => {
  const t = Date.UTC(2026, 5, 1, 12, 4);
  await store.accept([reading('m1', t, { importWh: 1000 }), reading('m1', t + 2 * MIN, { importWh: 1120 })]);
  await store.flush();
  const buckets = store.intervals(['m1'], '5min', t - 10 * MIN, t + 10 * MIN);
  assert.equal(
    buckets.map((b) => [new Date(b.start).toISOString().slice(11, 16), b.importWh, b.coverage]),
    [
      ['12:00', 60, 0.2],
      ['12:05', 60, 0.2],
    ],
  );
});

test('a late reading between two stored ones moves energy to where it flowed', async () => {
  const t = Date.UTC(2026, 5, 1, 12, 0);
  await store.accept([reading('m1', t, { importWh: 0 }), reading('m1', t + 10 * MIN, { importWh: 100 })]);
  await store.flush();
  assert.equal(store.intervals(['m1'], '5min', t, t + 10 * MIN).map((b) => b.importWh), [50, 50]);
  await store.accept([reading('m1', t + 5 * MIN, { importWh: 80 })]);
  await store.flush();
  assert.equal(store.intervals(['m1'], '5min', t, t + 10 * MIN).map((b) => b.importWh), [80, 20]);
  assert.equal(store.intervals(['m1'], 'hour', t, t + HOUR).map((b) => b.importWh), [100]);
  // A backfill before everything known extends the covered time.
  await store.accept([reading('m1', t - 5 * MIN, { importWh: 0 })]);
  await store.flush();
  assert.equal(store.intervals(['m1'], '5min', t - 5 * MIN, t + 10 * MIN).map((b) => [b.importWh, b.coverage]), [[0, 1], [80, 1], [20, 1]]);
});

test('a gap longer than maxSpanMs stays a gap: no energy invented, coverage shows it', async () => {
  const t = Date.UTC(2026, 5, 1, 10, 0);
  await store.accept([reading('m1', t, { importWh: 0 }), reading('m1', t + 3 * HOUR, { importWh: 3000 }), reading('m1', t + 3 * HOUR + 5 * MIN, { importWh: 3100 })]);
  await store.flush();
  const hours = store.intervals(['m1'], 'hour', t, t + 4 * HOUR);
  assert.equal(hours.map((h) => [new Date(h.start).toISOString().slice(11, 13), h.importWh, h.metersComplete]), [['13', 100, 0]]);
  assert.ok(Math.abs(hours[0]!.coverage - 5 / 60) < 0.001);
});

test('a meter replacement (new serial) starts a new baseline; the changeover span is unknown', async () => {
  const t = Date.UTC(2026, 5, 1, 10, 0);
  await store.accept([
    reading('m1', t, { generationWh: 5000 }, 'OLD'),
    reading('m1', t + 5 * MIN, { generationWh: 5100 }, 'OLD'),
    reading('m1', t + 10 * MIN, { generationWh: 10 }, 'NEW'),
    reading('m1', t + 15 * MIN, { generationWh: 60 }, 'NEW'),
  ]);
  await store.flush();
  assert.equal(store.intervals(['m1'], '5min', t, t + 15 * MIN).map((b) => [b.generationWh, b.coverage]), [
    [100, 1],
    [50, 1],
  ]);
});

test('household figures sum its meters and count how many covered each interval', async () => {
  const t = Date.UTC(2026, 5, 1, 10, 0);
  await store.accept([
    reading('grid', t, { importWh: 0 }),
    reading('grid', t + HOUR, { importWh: 600 }),
    reading('solar', t + 30 * MIN, { generationWh: 0 }),
    reading('solar', t + HOUR, { generationWh: 900 }),
  ]);
  await store.flush();
  const [hour] = store.intervals(['grid', 'solar'], 'hour', t, t + HOUR);
  assert.equal([hour?.importWh, hour?.generationWh, hour?.meters, hour?.metersComplete, hour?.coverage], [600, 900, 2, 1, 0.75]);
});

test('retention deletes raw readings and 5-minute energy after 35 days, keeps hours and days', async () => {
  const now = Date.UTC(2026, 11, 1);
  const old = now - 40 * 86_400_000;
  await store.accept([reading('m1', old, { importWh: 0 }), reading('m1', old + 5 * MIN, { importWh: 50 }), reading('m1', now - HOUR, { importWh: 60 })]);
  await store.flush();
  assert.is(store.stats('m1').readings, 3);
  const deleted = store.applyRetention();
  assert.equal([deleted.readings, deleted.fiveMinute, deleted.hours, deleted.days], [2, 1, 0, 0]);
  assert.is(store.stats('m1').readings, 1);
  assert.equal(store.intervals(['m1'], 'hour', old - HOUR, old + HOUR).map((h) => h.importWh), [50]);
  assert.equal(store.intervals(['m1'], '5min', old - HOUR, old + HOUR), []);
});

test('neighbours of a late reading are found among readings not yet in the database', async () => {
  const t = Date.UTC(2026, 5, 1, 12, 0);
  await store.accept([reading('m1', t, { importWh: 0 }), reading('m1', t + 10 * MIN, { importWh: 100 }), reading('m1', t + 20 * MIN, { importWh: 150 })]);
  const between = store.around('m1', t + 5 * MIN);
  assert.equal([between.previous?.t, between.same, between.next?.t], [t, null, t + 10 * MIN]);
  const exact = store.around('m1', t + 10 * MIN);
  assert.equal([exact.previous?.t, exact.same?.importWh, exact.next?.t], [t, 100, t + 20 * MIN]);
  const after = store.around('m1', t + 30 * MIN);
  assert.equal([after.previous?.t, after.next], [t + 20 * MIN, null]);
  const before = store.around('m1', t - MIN);
  assert.equal([before.previous, before.next?.t], [null, t]);
});

test.run();
