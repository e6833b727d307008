import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openReadingDatabase, type ReadingDatabase } from '../../hub/storage/readingDatabase.js';

/**
 * What a stopped hub holds, read offline from its data directory with the
 * hub's own reading database. Only call after the hub stopped cleanly: a clean
 * stop moves the journal into the database (readingStore.ts `stop`).
 */

function openStopped(dataDir: string): ReadingDatabase {
  const file = join(dataDir, 'readings.sqlite');
  if (!existsSync(file)) throw new Error(`${file} does not exist: did the hub in ${dataDir} ever start?`);
  // The time zone only shapes rollups; reading rows and counts do not depend on it.
  return openReadingDatabase({ file, timeZone: 'UTC', maxSpanMs: 3_600_000 });
}

/** Readings stored per meter (the `readings` figure of `commonwatt meters list`), summed. */
export function countStoredReadings(dataDir: string): number {
  const db = openStopped(dataDir);
  try {
    return db.meterStates().reduce((sum, state) => sum + state.readings, 0);
  } finally {
    db.close();
  }
}

/** The (meter, t) pairs that are not stored. */
export function findMissingReadings(dataDir: string, expected: ReadonlyMap<string, readonly number[]>): Array<{ meterId: string; t: number }> {
  const db = openStopped(dataDir);
  const missing: Array<{ meterId: string; t: number }> = [];
  try {
    for (const [meterId, times] of expected) {
      for (const t of times) if (!db.get(meterId, t)) missing.push({ meterId, t });
    }
  } finally {
    db.close();
  }
  return missing;
}

/** Bytes left in the journal (0 after a clean stop). */
export function journalBytes(dataDir: string): number {
  const file = join(dataDir, 'readings.journal');
  return existsSync(file) ? statSync(file).size : 0;
}
