import Database from 'better-sqlite3';
import { createLocalCalendar, type LocalCalendar } from '../rollups/localTime.js';
import { FIVE_MINUTES_MS, splitSpan, type BucketEnergy } from '../rollups/spanEnergy.js';
import type { StoredReading } from './storedReading.js';

/**
 * Readings and interval energy in SQLite (better-sqlite3 12).
 *
 * Every table is keyed time first — (t, meter), (bucket, meter) — so a batch of
 * new readings touches only the last pages of each table: the architecture's
 * measurements put this at ~76 bytes per reading against ~1,285 for a
 * (meter, t) key. Looking up one meter's neighbouring readings then scans a
 * time window instead of an index; that happens only for late readings.
 *
 * Interval energy is kept per meter in 5-minute buckets, local hours and local
 * days. It is maintained by adding and subtracting the energy of spans between
 * consecutive readings, so a late reading between p and n subtracts span (p,n)
 * and adds (p,x) and (x,n), in the same transaction as the reading itself.
 */

export type Resolution = '5min' | 'hour' | 'day';

export interface MeterState {
  meterId: string;
  latest: StoredReading | null;
  readings: number;
}

export interface IntervalEnergy {
  /** UTC ms at which the interval starts, and the local day key for days. */
  start: number;
  end: number;
  day?: string;
  importWh: number;
  exportWh: number;
  generationWh: number;
  consumptionWh: number;
  /** Share of the interval covered by known spans, 0–1, per meter summed over meters. */
  coverage: number;
  /** Number of the asked meters with any row in this interval. */
  meters: number;
  /** Number of the asked meters whose readings covered the whole interval. */
  metersComplete: number;
}

export interface RetentionResult {
  readings: number;
  fiveMinute: number;
  hours: number;
  days: number;
}

export interface ReadingDatabaseOptions {
  file: string;
  timeZone: string;
  /** Spans between readings longer than this are gaps (see spanEnergy.ts). */
  maxSpanMs: number;
}

export interface ReadingDatabase {
  readonly calendar: LocalCalendar;
  meterStates(): MeterState[];
  get(meterId: string, t: number): StoredReading | null;
  findPrevious(meterId: string, t: number): StoredReading | null;
  findNext(meterId: string, t: number): StoredReading | null;
  /** Stores readings (ignoring ones already stored) and their interval energy, in one transaction. */
  store(readings: readonly StoredReading[]): number;
  intervals(meterIds: readonly string[], resolution: Resolution, from: number, to: number): IntervalEnergy[];
  deleteMeter(meterId: string): number;
  applyRetention(cutoffs: { readingsBefore: number; fiveMinuteBefore: number; intervalsBefore: number }): RetentionResult;
  close(): void;
}

const COLUMNS = 'import_wh, export_wh, generation_wh, consumption_wh';
/** Window sizes for neighbour lookups, widening until a reading is found. */
const SEARCH_WINDOWS_MS = [3_600_000, 86_400_000, 7 * 86_400_000, 40 * 86_400_000, Number.MAX_SAFE_INTEGER];

const METER_ROW = 'meter_id, last_t, import_wh, export_wh, generation_wh, consumption_wh, power_w, serial, readings';

interface MeterRow {
  meter_id: string;
  last_t: number | null;
  import_wh: number | null;
  export_wh: number | null;
  generation_wh: number | null;
  consumption_wh: number | null;
  power_w: number | null;
  serial: string | null;
  readings: number;
}

/** A meters row's latest stored reading, or null before the first. */
function latestOf(row: MeterRow): StoredReading | null {
  if (row.last_t == null) return null;
  return {
    meterId: row.meter_id,
    t: row.last_t,
    importWh: row.import_wh,
    exportWh: row.export_wh,
    generationWh: row.generation_wh,
    consumptionWh: row.consumption_wh,
    powerW: row.power_w,
    serial: row.serial,
  };
}

interface ReadingRow {
  t: number;
  meter: number;
  import_wh: number | null;
  export_wh: number | null;
  generation_wh: number | null;
  consumption_wh: number | null;
  power_w: number | null;
  serial: string | null;
}

export function openReadingDatabase(options: ReadingDatabaseOptions): ReadingDatabase {
  const calendar = createLocalCalendar(options.timeZone);
  let db: Database.Database;
  try {
    db = new Database(options.file);
  } catch (error) {
    throw new Error(`Cannot open the reading database ${options.file}: ${(error as Error).message}`, { cause: error });
  }
  // Rollback journal, not WAL: batches append new pages, which a rollback journal
  // does not copy, while WAL would write every page twice (WAL, then checkpoint).
  db.pragma('journal_mode = PERSIST');
  db.pragma('synchronous = FULL');
  db.pragma('cache_size = -16000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meters (
      meter INTEGER PRIMARY KEY,
      meter_id TEXT NOT NULL UNIQUE,
      last_t INTEGER, import_wh INTEGER, export_wh INTEGER, generation_wh INTEGER, consumption_wh INTEGER,
      power_w REAL, serial TEXT,
      readings INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS serials (serial INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS readings (
      t INTEGER NOT NULL, meter INTEGER NOT NULL,
      import_wh INTEGER, export_wh INTEGER, generation_wh INTEGER, consumption_wh INTEGER,
      power_w REAL, serial INTEGER,
      PRIMARY KEY (t, meter)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS energy_5min (
      bucket INTEGER NOT NULL, meter INTEGER NOT NULL,
      import_wh REAL NOT NULL, export_wh REAL NOT NULL, generation_wh REAL NOT NULL, consumption_wh REAL NOT NULL,
      covered_ms INTEGER NOT NULL,
      PRIMARY KEY (bucket, meter)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS energy_hour (
      hour INTEGER NOT NULL, meter INTEGER NOT NULL,
      import_wh REAL NOT NULL, export_wh REAL NOT NULL, generation_wh REAL NOT NULL, consumption_wh REAL NOT NULL,
      covered_ms INTEGER NOT NULL,
      PRIMARY KEY (hour, meter)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS energy_day (
      day TEXT NOT NULL, meter INTEGER NOT NULL,
      import_wh REAL NOT NULL, export_wh REAL NOT NULL, generation_wh REAL NOT NULL, consumption_wh REAL NOT NULL,
      covered_ms INTEGER NOT NULL,
      PRIMARY KEY (day, meter)
    ) WITHOUT ROWID;
  `);

  const readingSelect = `SELECT r.t, r.meter, r.import_wh, r.export_wh, r.generation_wh, r.consumption_wh, r.power_w, s.text AS serial
    FROM readings r LEFT JOIN serials s ON s.serial = r.serial`;
  const stmt = {
    meterKey: db.prepare<[string], { meter: number }>('SELECT meter FROM meters WHERE meter_id = ?'),
    insertMeter: db.prepare<[string]>('INSERT INTO meters (meter_id) VALUES (?)'),
    meterStates: db.prepare<[], MeterRow>(`SELECT ${METER_ROW} FROM meters`),
    meterState: db.prepare<[number], MeterRow>(`SELECT ${METER_ROW} FROM meters WHERE meter = ?`),
    updateMeter: db.prepare(
      `UPDATE meters SET last_t = @t, import_wh = @importWh, export_wh = @exportWh, generation_wh = @generationWh,
       consumption_wh = @consumptionWh, power_w = @powerW, serial = @serial, readings = readings + @added WHERE meter = @meter`,
    ),
    serialKey: db.prepare<[string], { serial: number }>('SELECT serial FROM serials WHERE text = ?'),
    insertSerial: db.prepare<[string]>('INSERT INTO serials (text) VALUES (?)'),
    insertReading: db.prepare(
      `INSERT OR IGNORE INTO readings (t, meter, ${COLUMNS}, power_w, serial)
       VALUES (@t, @meter, @importWh, @exportWh, @generationWh, @consumptionWh, @powerW, @serial)`,
    ),
    get: db.prepare<[number, number], ReadingRow>(`${readingSelect} WHERE r.t = ? AND r.meter = ?`),
    previous: db.prepare<[number, number, number], ReadingRow>(
      `${readingSelect} WHERE r.t < ? AND r.t >= ? AND r.meter = ? ORDER BY r.t DESC LIMIT 1`,
    ),
    next: db.prepare<[number, number, number], ReadingRow>(
      `${readingSelect} WHERE r.t > ? AND r.t <= ? AND r.meter = ? ORDER BY r.t ASC LIMIT 1`,
    ),
    add5min: upsertAdd(db, 'energy_5min', 'bucket'),
    addHour: upsertAdd(db, 'energy_hour', 'hour'),
    addDay: upsertAdd(db, 'energy_day', 'day'),
  };

  const keys = new Map<string, number>();
  function keyOf(meterId: string, create: boolean): number | undefined {
    const cached = keys.get(meterId);
    if (cached !== undefined) return cached;
    let row = stmt.meterKey.get(meterId);
    if (!row && create) {
      stmt.insertMeter.run(meterId);
      row = stmt.meterKey.get(meterId);
    }
    if (row) keys.set(meterId, row.meter);
    return row?.meter;
  }
  const serialKeys = new Map<string, number>();
  function serialKeyOf(text: string | null): number | null {
    if (text === null) return null;
    const cached = serialKeys.get(text);
    if (cached !== undefined) return cached;
    let row = stmt.serialKey.get(text);
    if (!row) {
      stmt.insertSerial.run(text);
      row = stmt.serialKey.get(text)!;
    }
    serialKeys.set(text, row.serial);
    return row.serial;
  }

  function toReading(meterId: string, row: ReadingRow | undefined): StoredReading | null {
    if (!row) return null;
    return {
      meterId,
      t: row.t,
      importWh: row.import_wh,
      exportWh: row.export_wh,
      generationWh: row.generation_wh,
      consumptionWh: row.consumption_wh,
      powerW: row.power_w,
      serial: row.serial,
    };
  }

  function findPrevious(meterId: string, t: number): StoredReading | null {
    const meter = keyOf(meterId, false);
    if (meter === undefined) return null;
    for (const window of SEARCH_WINDOWS_MS) {
      const row = stmt.previous.get(t, Math.max(0, t - window), meter);
      if (row) return toReading(meterId, row);
    }
    return null;
  }

  function findNext(meterId: string, t: number): StoredReading | null {
    const meter = keyOf(meterId, false);
    if (meter === undefined) return null;
    for (const window of SEARCH_WINDOWS_MS) {
      const row = stmt.next.get(t, Math.min(Number.MAX_SAFE_INTEGER, t + window), meter);
      if (row) return toReading(meterId, row);
    }
    return null;
  }

  const store = db.transaction((readings: readonly StoredReading[]): number => {
    const byMeter = new Map<string, StoredReading[]>();
    for (const r of readings) {
      const list = byMeter.get(r.meterId);
      if (list) list.push(r);
      else byMeter.set(r.meterId, [r]);
    }
    const energy = new Map<string, { bucket: number; meter: number; e: BucketEnergy }>();
    let inserted = 0;
    for (const [meterId, list] of byMeter) {
      list.sort((a, b) => a.t - b.t);
      const meter = keyOf(meterId, true)!;
      const addSpan = (a: StoredReading, b: StoredReading, sign: 1 | -1) =>
        splitSpan(a, b, options.maxSpanMs, (bucket, e) => {
          const id = `${bucket}|${meter}`;
          let slot = energy.get(id);
          if (!slot) {
            slot = { bucket, meter, e: { importWh: 0, exportWh: 0, generationWh: 0, consumptionWh: 0, coveredMs: 0 } };
            energy.set(id, slot);
          }
          slot.e.importWh += sign * e.importWh;
          slot.e.exportWh += sign * e.exportWh;
          slot.e.generationWh += sign * e.generationWh;
          slot.e.consumptionWh += sign * e.consumptionWh;
          slot.e.coveredMs += sign * e.coveredMs;
        });
      // The meters row holds the latest stored reading: no lookup in readings needed.
      const row = stmt.meterState.get(meter);
      let latest: StoredReading | null = row ? latestOf(row) : null;
      let added = 0;
      for (const r of list) {
        const result = stmt.insertReading.run({ ...r, meter, serial: serialKeyOf(r.serial) });
        if (result.changes === 0) continue;
        added++;
        if (!latest || r.t > latest.t) {
          if (latest) addSpan(latest, r, 1);
          latest = r;
        } else {
          // A late reading: it splits the span between its neighbours in two.
          const previous = findPrevious(meterId, r.t);
          const next = findNext(meterId, r.t);
          if (previous && next) addSpan(previous, next, -1);
          if (previous) addSpan(previous, r, 1);
          if (next) addSpan(r, next, 1);
        }
      }
      if (added > 0 && latest) stmt.updateMeter.run({ ...latest, meter, added });
      inserted += added;
    }
    const hours = new Map<string, { key: number; meter: number; e: BucketEnergy }>();
    const days = new Map<string, { key: string; meter: number; e: BucketEnergy }>();
    for (const { bucket, meter, e } of energy.values()) {
      stmt.add5min.run(bucket, meter, e.importWh, e.exportWh, e.generationWh, e.consumptionWh, e.coveredMs);
      accumulate(hours, calendar.hourStart(bucket), meter, e);
      accumulate(days, calendar.dayKey(bucket), meter, e);
    }
    for (const { key, meter, e } of hours.values()) stmt.addHour.run(key, meter, e.importWh, e.exportWh, e.generationWh, e.consumptionWh, e.coveredMs);
    for (const { key, meter, e } of days.values()) stmt.addDay.run(key, meter, e.importWh, e.exportWh, e.generationWh, e.consumptionWh, e.coveredMs);
    return inserted;
  });

  function intervals(meterIds: readonly string[], resolution: Resolution, from: number, to: number): IntervalEnergy[] {
    const meterKeys = meterIds.map((id) => keyOf(id, false)).filter((k): k is number => k !== undefined);
    if (meterKeys.length === 0) return [];
    const placeholders = meterKeys.map(() => '?').join(',');
    const sums = `sum(import_wh) AS importWh, sum(export_wh) AS exportWh, sum(generation_wh) AS generationWh,
      sum(consumption_wh) AS consumptionWh, sum(covered_ms) AS coveredMs, count(*) AS meters`;
    type Row = { k: number | string; importWh: number; exportWh: number; generationWh: number; consumptionWh: number; coveredMs: number; meters: number; complete: number };
    let rows: Row[];
    let bounds: (row: Row) => { start: number; end: number; day?: string };
    if (resolution === 'day') {
      const fromDay = calendar.dayKey(from);
      const toDay = calendar.dayKey(to - 1);
      rows = db
        .prepare<unknown[], Row>(
          `SELECT day AS k, ${sums}, 0 AS complete FROM energy_day WHERE day >= ? AND day <= ? AND meter IN (${placeholders}) GROUP BY day ORDER BY day`,
        )
        .all(fromDay, toDay, ...meterKeys);
      const perMeter = db
        .prepare<unknown[], { k: string; covered_ms: number }>(
          `SELECT day AS k, covered_ms FROM energy_day WHERE day >= ? AND day <= ? AND meter IN (${placeholders})`,
        )
        .all(fromDay, toDay, ...meterKeys);
      const complete = new Map<string, number>();
      for (const row of perMeter) {
        const { start, end } = calendar.dayBounds(row.k);
        if (row.covered_ms >= end - start - 1) complete.set(row.k, (complete.get(row.k) ?? 0) + 1);
      }
      for (const row of rows) row.complete = complete.get(row.k as string) ?? 0;
      bounds = (row) => ({ ...calendar.dayBounds(row.k as string), day: row.k as string });
    } else {
      const table = resolution === 'hour' ? 'energy_hour' : 'energy_5min';
      const column = resolution === 'hour' ? 'hour' : 'bucket';
      const length = resolution === 'hour' ? 3_600_000 : FIVE_MINUTES_MS;
      rows = db
        .prepare<unknown[], Row>(
          `SELECT ${column} AS k, ${sums}, sum(covered_ms >= ${length - 1}) AS complete FROM ${table}
           WHERE ${column} >= ? AND ${column} < ? AND meter IN (${placeholders}) GROUP BY ${column} ORDER BY ${column}`,
        )
        .all(from, to, ...meterKeys);
      bounds = (row) => ({ start: row.k as number, end: (row.k as number) + length });
    }
    return rows.map((row) => {
      const { start, end, day } = bounds(row);
      return {
        start,
        end,
        ...(day ? { day } : {}),
        importWh: round(row.importWh),
        exportWh: round(row.exportWh),
        generationWh: round(row.generationWh),
        consumptionWh: round(row.consumptionWh),
        coverage: Math.min(1, round(row.coveredMs / ((end - start) * meterKeys.length))),
        meters: row.meters,
        metersComplete: row.complete,
      };
    });
  }

  const retention = db.transaction((cutoffs: { readingsBefore: number; fiveMinuteBefore: number; intervalsBefore: number }): RetentionResult => {
    const perMeter = db
      .prepare<[number], { meter: number; n: number }>('SELECT meter, count(*) AS n FROM readings WHERE t < ? GROUP BY meter')
      .all(cutoffs.readingsBefore);
    const readingsDeleted = db.prepare('DELETE FROM readings WHERE t < ?').run(cutoffs.readingsBefore).changes;
    const lower = db.prepare('UPDATE meters SET readings = max(0, readings - ?) WHERE meter = ?');
    for (const { meter, n } of perMeter) lower.run(n, meter);
    return {
      readings: readingsDeleted,
      fiveMinute: db.prepare('DELETE FROM energy_5min WHERE bucket < ?').run(cutoffs.fiveMinuteBefore).changes,
      hours: db.prepare('DELETE FROM energy_hour WHERE hour < ?').run(cutoffs.intervalsBefore).changes,
      days: db.prepare('DELETE FROM energy_day WHERE day < ?').run(calendar.dayKey(cutoffs.intervalsBefore)).changes,
    };
  });

  const deleteMeter = db.transaction((meterId: string): number => {
    const meter = keyOf(meterId, false);
    if (meter === undefined) return 0;
    const removed = db.prepare('DELETE FROM readings WHERE meter = ?').run(meter).changes;
    for (const table of ['energy_5min', 'energy_hour', 'energy_day']) db.prepare(`DELETE FROM ${table} WHERE meter = ?`).run(meter);
    db.prepare('DELETE FROM meters WHERE meter = ?').run(meter);
    keys.delete(meterId);
    return removed;
  });

  return {
    calendar,
    meterStates() {
      return stmt.meterStates.all().map((row) => ({ meterId: row.meter_id, readings: row.readings, latest: latestOf(row) }));
    },
    get(meterId, t) {
      const meter = keyOf(meterId, false);
      return meter === undefined ? null : toReading(meterId, stmt.get.get(t, meter));
    },
    findPrevious,
    findNext,
    store: (readings) => store(readings),
    intervals,
    deleteMeter: (meterId) => deleteMeter(meterId),
    applyRetention: (cutoffs) => retention(cutoffs),
    close: () => db.close(),
  };
}

function upsertAdd(db: Database.Database, table: string, keyColumn: string) {
  return db.prepare<[number | string, number, number, number, number, number, number]>(
    `INSERT INTO ${table} (${keyColumn}, meter, ${COLUMNS}, covered_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (${keyColumn}, meter) DO UPDATE SET
       import_wh = import_wh + excluded.import_wh, export_wh = export_wh + excluded.export_wh,
       generation_wh = generation_wh + excluded.generation_wh, consumption_wh = consumption_wh + excluded.consumption_wh,
       covered_ms = covered_ms + excluded.covered_ms`,
  );
}

function accumulate<K extends number | string>(
  into: Map<string, { key: K; meter: number; e: BucketEnergy }>,
  key: K,
  meter: number,
  e: BucketEnergy,
): void {
  const id = `${key}|${meter}`;
  const slot = into.get(id);
  if (!slot) {
    into.set(id, { key, meter, e: { ...e } });
    return;
  }
  slot.e.importWh += e.importWh;
  slot.e.exportWh += e.exportWh;
  slot.e.generationWh += e.generationWh;
  slot.e.consumptionWh += e.consumptionWh;
  slot.e.coveredMs += e.coveredMs;
}

/** Watt-hours to the milliwatt-hour: hides float noise from adding and subtracting spans. */
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
