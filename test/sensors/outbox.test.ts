import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openOutbox } from '../../sensors/agent/outbox.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('sensor outbox: on disk before sending, gone only after PUBACK');
const t0 = Date.UTC(2026, 10, 1);

test('readings taken but not acked are there again after a restart; acked ones are not', async () => {
  const { dir, remove } = await makeTempDir();
  const first = await openOutbox({ dir, watermarkDelayMs: 1 });
  await first.append([
    { meterId: 'm-aaaa1', reading: { t: t0, importWh: 1, exportWh: 0, serial: 'X' } },
    { meterId: 'm-bbbb2', reading: { t: t0, generationWh: 5 } },
    { meterId: 'm-aaaa1', reading: { t: t0 + 10_000, importWh: 2, exportWh: 0 } },
  ]);
  const batch = await first.take('m-aaaa1', 10);
  assert.equal(batch.map((e) => e.reading), [
    { t: t0, importWh: 1, exportWh: 0, serial: 'X' },
    { t: t0 + 10_000, importWh: 2, exportWh: 0 },
  ]);
  first.ack(batch.slice(0, 1));
  const solar = await first.take('m-bbbb2', 10);
  assert.is(solar.length, 1); // taken, never acked: a send interrupted by the power going off
  await first.close();

  const second = await openOutbox({ dir });
  assert.is(second.pending('m-aaaa1'), 1);
  assert.equal((await second.take('m-aaaa1', 10)).map((e) => e.reading.t), [t0 + 10_000]);
  assert.equal((await second.take('m-bbbb2', 10)).map((e) => e.reading.generationWh), [5]);
  await second.close();
  await remove();
});

test('a line torn by a power cut is cut off; whole lines before it stay', async () => {
  const { dir, remove } = await makeTempDir();
  const outbox = await openOutbox({ dir });
  await outbox.append([{ meterId: 'm-aaaa1', reading: { t: t0, importWh: 1 } }]);
  await outbox.close();
  const [segment] = (await readdir(dir)).filter((n) => n.startsWith('segment-'));
  const whole = (await stat(join(dir, segment!))).size;
  await appendFile(join(dir, segment!), '1234abcd [2,"m-aaaa1",17');
  const reopened = await openOutbox({ dir });
  assert.is(reopened.pending('m-aaaa1'), 1);
  assert.is((await stat(join(dir, segment!))).size, whole);
  await reopened.append([{ meterId: 'm-aaaa1', reading: { t: t0 + 10_000, importWh: 2 } }]);
  assert.equal((await reopened.take('m-aaaa1', 10)).map((e) => e.reading.importWh), [1, 2]);
  await reopened.close();
  await remove();
});

test('a week of backlog for 8 meters goes out in order, in batches, and acked segments are deleted', async () => {
  const { dir, remove } = await makeTempDir();
  const outbox = await openOutbox({ dir, segmentBytes: 512 * 1024, watermarkDelayMs: 1 });
  const meters = Array.from({ length: 8 }, (_, i) => `m-meter${i}`);
  const ticks = 7 * 8640; // a week at 10 s
  for (let tick = 0; tick < ticks; tick += 720) {
    const items = [];
    for (let k = tick; k < Math.min(ticks, tick + 720); k++) {
      for (const meterId of meters) items.push({ meterId, reading: { t: t0 + k * 10_000, importWh: k } });
    }
    await outbox.append(items);
  }
  assert.is(outbox.totalPending(), ticks * 8);
  const segmentsBefore = (await readdir(dir)).filter((n) => n.startsWith('segment-')).length;
  assert.ok(segmentsBefore > 10, `rotated into ${segmentsBefore} segments`);
  for (const meterId of meters) {
    let expected = 0;
    for (;;) {
      const batch = await outbox.take(meterId, 500);
      if (batch.length === 0) break;
      assert.ok(batch.length <= 500);
      for (const e of batch) assert.is(e.reading.importWh, expected++);
      outbox.ack(batch);
    }
    assert.is(expected, ticks);
  }
  assert.is(outbox.totalPending(), 0);
  await outbox.close();
  const segmentsAfter = (await readdir(dir)).filter((n) => n.startsWith('segment-')).length;
  assert.is(segmentsAfter, 1, 'only the segment being appended to is left');
  await remove();
});

test('readings given back after a failed send keep their order', async () => {
  const { dir, remove } = await makeTempDir();
  const outbox = await openOutbox({ dir });
  await outbox.append([1, 2, 3, 4].map((i) => ({ meterId: 'm-aaaa1', reading: { t: t0 + i, importWh: i } })));
  const first = await outbox.take('m-aaaa1', 2);
  const second = await outbox.take('m-aaaa1', 1);
  outbox.giveBack(second);
  outbox.giveBack(first);
  assert.equal((await outbox.take('m-aaaa1', 10)).map((e) => e.reading.importWh), [1, 2, 3, 4]);
  await outbox.close();
  await remove();
});

test('every segment is named after the first reading in it, so numbering survives a power cut at rollover', async () => {
  const { dir, remove } = await makeTempDir();
  const outbox = await openOutbox({ dir, segmentBytes: 200, watermarkDelayMs: 1 });
  for (let i = 0; i < 6; i++) await outbox.append([{ meterId: 'm-aaaa1', reading: { t: t0 + i, importWh: i } }, { meterId: 'm-aaaa1', reading: { t: t0 + i + 0.5, importWh: i } }]);
  await outbox.close();
  const { readFile, writeFile } = await import('node:fs/promises');
  const names = (await readdir(dir)).filter((n) => n.startsWith('segment-')).sort();
  assert.ok(names.length >= 3);
  for (const name of names) {
    const firstLine = (await readFile(join(dir, name), 'utf8')).split('\n')[0]!;
    assert.is(JSON.parse(firstLine.slice(9))[0], Number(/segment-(\d+)/.exec(name)![1]), name);
  }
  // A power cut right after creating the next segment leaves it empty.
  await writeFile(join(dir, `segment-${String(13).padStart(12, '0')}.log`), '');
  const reopened = await openOutbox({ dir, watermarkDelayMs: 1 });
  const [entry] = await reopened.append([{ meterId: 'm-aaaa1', reading: { t: t0 + 100, importWh: 100 } }]);
  assert.is(entry!.seq, 13, 'numbering goes on without a gap');
  const all = await reopened.take('m-aaaa1', 100);
  assert.is(all.length, 13);
  reopened.ack(all);
  await reopened.close();
  assert.equal(JSON.parse(await readFile(join(dir, 'acked.json'), 'utf8')), { ackedThrough: 13 }, 'the watermark reaches the end');
  await remove();
});

test.run();
