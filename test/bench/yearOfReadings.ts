import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openReadingDatabase } from '../../hub/storage/readingDatabase.js';
import { createLocalCalendar } from '../../hub/rollups/localTime.js';
import type { StoredReading } from '../../hub/storage/storedReading.js';

/**
 * Writes the reading database of a hub that has run for `historyDays`, the way
 * retention leaves it: raw readings (and their 5-minute, hour and day rollups)
 * for the last `rawDays`, and before that only hour and day rollups.
 *
 * Raw readings, every `rawIntervalS`, go through the hub's own
 * openReadingDatabase().store(), so their rollups are exactly the hub's. The
 * older hour and day rows are inserted with SQL into the hub's energy_hour and
 * energy_day tables (readingDatabase.ts schema; keys from the hub's local
 * calendar): storing a year of readings would also build millions of 5-minute
 * rows only for retention to delete them. Power follows a daily curve per meter.
 */

export interface YearOfReadingsOptions {
  dataDir: string;
  meterIds: readonly string[];
  timeZone: string;
  historyDays: number;
  rawDays: number;
  rawIntervalS: number;
  /** Raw readings per meter per transaction. */
  batchSteps?: number;
}

export interface YearOfReadings {
  rawReadings: number;
  hourRows: number;
  dayRows: number;
  from: number;
  rawFrom: number;
  to: number;
  fileBytes: number;
  seconds: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export function generateYearOfReadings(options: YearOfReadingsOptions): YearOfReadings {
  const started = performance.now();
  const file = join(options.dataDir, 'readings.sqlite');
  const to = Date.now() - 60_000;
  const rawStep = options.rawIntervalS * 1000;
  const rawFrom = Math.ceil((to - options.rawDays * DAY_MS) / rawStep) * rawStep;
  const from = Math.ceil((to - options.historyDays * DAY_MS) / HOUR_MS) * HOUR_MS;
  const batchSteps = options.batchSteps ?? 500;
  const basePowerW = options.meterIds.map((_, i) => 250 + ((i * 37) % 500));
  const powerW = (m: number, t: number) => basePowerW[m]! * (1 + 0.6 * Math.sin((((t % DAY_MS) / HOUR_MS - 7) / 24) * 2 * Math.PI));

  // Raw period, through the hub's store.
  const db = openReadingDatabase({ file, timeZone: options.timeZone, maxSpanMs: HOUR_MS });
  let rawReadings = 0;
  try {
    const energyWh = options.meterIds.map(() => 1_000_000);
    for (let batchStart = rawFrom; batchStart <= to; batchStart += rawStep * batchSteps) {
      const batch: StoredReading[] = [];
      const batchEnd = Math.min(to + 1, batchStart + rawStep * batchSteps);
      options.meterIds.forEach((meterId, m) => {
        for (let t = batchStart; t < batchEnd; t += rawStep) {
          energyWh[m]! += (powerW(m, t) * rawStep) / HOUR_MS;
          batch.push({ meterId, t, importWh: Math.round(energyWh[m]!), exportWh: 0, generationWh: null, consumptionWh: null, powerW: null, serial: null });
        }
      });
      rawReadings += db.store(batch);
    }
  } finally {
    db.close();
  }

  // Older period: whole local hours before the raw period, as rollups only.
  const calendar = createLocalCalendar(options.timeZone);
  const sql = new Database(file);
  let hourRows = 0;
  const days = new Set<string>();
  try {
    const keys = new Map(sql.prepare<[], { meter: number; meter_id: string }>('SELECT meter, meter_id FROM meters').all().map((r) => [r.meter_id, r.meter]));
    const add = (table: string, column: string) =>
      sql.prepare<[number | string, number, number, number]>(
        `INSERT INTO ${table} (${column}, meter, import_wh, export_wh, generation_wh, consumption_wh, covered_ms) VALUES (?, ?, ?, 0, 0, 0, ?)
         ON CONFLICT (${column}, meter) DO UPDATE SET import_wh = import_wh + excluded.import_wh, covered_ms = covered_ms + excluded.covered_ms`,
      );
    const addHour = add('energy_hour', 'hour');
    const addDay = add('energy_day', 'day');
    const insertAll = sql.transaction((hours: number[]) => {
      options.meterIds.forEach((meterId, m) => {
        const meter = keys.get(meterId);
        if (meter === undefined) throw new Error(`meter ${meterId} has no key in ${file}`);
        for (const hour of hours) {
          const wh = powerW(m, hour + HOUR_MS / 2);
          addHour.run(calendar.hourStart(hour), meter, wh, HOUR_MS);
          const day = calendar.dayKey(hour);
          addDay.run(day, meter, wh, HOUR_MS);
          days.add(day);
          hourRows++;
        }
      });
    });
    const hours: number[] = [];
    for (let hour = from; hour + HOUR_MS <= rawFrom; hour += HOUR_MS) hours.push(hour);
    for (let i = 0; i < hours.length; i += 24 * 30) insertAll(hours.slice(i, i + 24 * 30));
  } finally {
    sql.close();
  }
  return {
    rawReadings,
    hourRows,
    dayRows: days.size * options.meterIds.length,
    from,
    rawFrom,
    to,
    fileBytes: statSync(file).size,
    seconds: (performance.now() - started) / 1000,
  };
}
