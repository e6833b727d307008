import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateMeterSecret, hashMeterSecret } from '../../hub/broker/meterSecret.js';
import { openRegistry } from '../../hub/storage/registry.js';
import { openReadingDatabase } from '../../hub/storage/readingDatabase.js';

/**
 * Grid meters with real, distinct credentials for the benchmarks, one household
 * each. Hashing a secret costs one scrypt (~20 ms here), so the pool is made
 * once per run and shared by all benchmarks; each data directory gets a
 * registry.json of the first `count` meters, which the hub validates on start.
 */

export interface BenchMeter {
  meterId: string;
  householdId: string;
  password: string;
  secretHash: string;
}

const pool: BenchMeter[] = [];
const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

function newId(prefix: 'h' | 'm', taken: Set<string>): string {
  for (;;) {
    let id = `${prefix}-`;
    for (const byte of randomBytes(8)) id += ID_ALPHABET[byte % ID_ALPHABET.length];
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

/** The first `count` meters of the pool, creating (and hashing) any missing ones. */
export async function benchMeters(count: number): Promise<BenchMeter[]> {
  const taken = new Set(pool.flatMap((m) => [m.meterId, m.householdId]));
  const batch = 64;
  while (pool.length < count) {
    const n = Math.min(batch, count - pool.length);
    const made = await Promise.all(
      Array.from({ length: n }, async () => {
        const password = generateMeterSecret();
        return { meterId: newId('m', taken), householdId: newId('h', taken), password, secretHash: await hashMeterSecret(password) };
      }),
    );
    pool.push(...made);
  }
  return pool.slice(0, count);
}

/** Writes registry.json for these meters into a hub data directory and checks the hub can read it. */
export async function writeBenchRegistry(dataDir: string, meters: readonly BenchMeter[]): Promise<void> {
  const createdAt = new Date().toISOString();
  const document = {
    version: 1,
    households: meters.map((m, i) => ({ id: m.householdId, label: `Bench household ${i + 1}`, zone: null, createdAt })),
    meters: meters.map((m) => ({ id: m.meterId, householdId: m.householdId, kind: 'grid', driver: 'mqtt', secretHash: m.secretHash, createdAt })),
  };
  await writeFile(join(dataDir, 'registry.json'), `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600 });
  const registry = await openRegistry(dataDir);
  if (registry.meters().length !== meters.length) {
    throw new Error(`registry.json in ${dataDir} holds ${registry.meters().length} meters after writing ${meters.length}.`);
  }
}

/**
 * Gives each meter one stored reading at `t` (importWh 0, exportWh 0) in the
 * data directory's reading database, as meters that have reported before have.
 * A meter with nothing stored yet costs the hub several database lookups per
 * reading until its first readings reach the database (readingStore.ts
 * `around`), which would otherwise dominate short runs on a fresh data directory.
 */
export function seedLastReadings(dataDir: string, meters: readonly BenchMeter[], t: number): void {
  const db = openReadingDatabase({ file: join(dataDir, 'readings.sqlite'), timeZone: 'UTC', maxSpanMs: 3_600_000 });
  try {
    db.store(meters.map((m) => ({ meterId: m.meterId, t, importWh: 0, exportWh: 0, generationWh: null, consumptionWh: null, powerW: null, serial: null })));
  } finally {
    db.close();
  }
}
