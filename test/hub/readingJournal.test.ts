import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../../hub/log/createLogger.js';
import { createReadingStore, type ReadingStoreOptions } from '../../hub/storage/readingStore.js';
import { openReadingJournal } from '../../hub/storage/readingJournal.js';
import type { StoredReading } from '../../hub/storage/storedReading.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('reading journal: what was acked survives, what was torn is dropped');
const MIN = 60_000;
const t0 = Date.UTC(2026, 5, 1, 12, 0);

function options(dataDir: string): ReadingStoreOptions {
  return {
    dataDir,
    timeZone: 'Europe/London',
    maxSpanMs: 3_600_000,
    commitDelayMs: 1,
    commitBatch: 1,
    flushIntervalMs: 3_600_000,
    flushBatch: 100_000,
    rawRetentionDays: 35,
    intervalRetentionDays: 396,
    logger: createLogger({ level: 'silent' }),
    clock: { now: () => Date.UTC(2026, 5, 2) },
  };
}

const r = (t: number, importWh: number): StoredReading => ({ meterId: 'm1', t, importWh, exportWh: 0, generationWh: null, consumptionWh: null, powerW: null, serial: null });

test('a torn last line is cut off and the whole lines before it are replayed', async () => {
  const { dir, remove } = await makeTempDir();
  const file = join(dir, 'readings.journal');
  const journal = await openReadingJournal(file);
  await journal.append([r(t0, 0), r(t0 + 5 * MIN, 50)]);
  await journal.close();
  const whole = (await stat(file)).size;
  await appendFile(file, '0badc0de ["m1",1780'); // a power cut mid-write
  const store = createReadingStore(options(dir));
  await store.start();
  assert.is(store.stats('m1').readings, 2);
  assert.equal(store.intervals(['m1'], '5min', t0, t0 + 5 * MIN).map((b) => b.importWh), [50]);
  assert.is((await stat(file)).size, 0, 'replayed journal emptied');
  assert.ok(whole > 0);
  await store.stop();
  await remove();
});

test('a line with a wrong checksum ends the replay there', async () => {
  const { dir, remove } = await makeTempDir();
  const file = join(dir, 'readings.journal');
  const journal = await openReadingJournal(file);
  await journal.append([r(t0, 0), r(t0 + 5 * MIN, 50)]);
  await journal.close();
  const text = await readFile(file, 'utf8');
  const [first, second] = text.split('\n');
  await (await import('node:fs/promises')).writeFile(file, `${first}\n${second!.replace('50', '51')}\n`);
  const reopened = await openReadingJournal(file);
  assert.is(reopened.recovered.length, 1);
  await reopened.close();
  await remove();
});

test('replaying readings that already reached the database stores nothing twice', async () => {
  const { dir, remove } = await makeTempDir();
  const first = createReadingStore(options(dir));
  await first.start();
  await first.accept([r(t0, 0), r(t0 + 5 * MIN, 70)]);
  await first.stop();
  // As if the hub died after the database commit but before emptying the journal.
  const journal = await openReadingJournal(join(dir, 'readings.journal'));
  await journal.append([r(t0, 0), r(t0 + 5 * MIN, 70), r(t0 + 10 * MIN, 90)]);
  await journal.close();
  const second = createReadingStore(options(dir));
  await second.start();
  assert.is(second.stats('m1').readings, 3);
  assert.equal(second.intervals(['m1'], '5min', t0, t0 + 15 * MIN).map((b) => b.importWh), [70, 20]);
  await second.stop();
  await remove();
});

test.run();
