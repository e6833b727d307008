import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { FileHandle } from 'node:fs/promises';
import type { JournalFile } from '../../hub/storage/readingJournal.js';
import { publishAcked, startTestHub, waitFor } from '../helpers/testHub.js';

const test = suite('storage failure: no PUBACK, connection closed, resume when the disk recovers');

/** The disk, faked at its edge: the journal's writes fail with ENOSPC while `full` is set. */
function fillableDisk() {
  const disk = { full: false };
  const wrap = (handle: FileHandle): JournalFile => ({
    async write(buffer, position) {
      if (disk.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      await handle.write(buffer, 0, buffer.length, position);
    },
    datasync: () => handle.datasync(),
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
  });
  return { disk, wrap };
}

test('a full disk withholds the PUBACK, closes the connection, shows in health, and recovers', async () => {
  const { disk, wrap } = fillableDisk();
  const th = await startTestHub({}, { wrapJournalFile: wrap });
  try {
    const meter = await th.addMeter('grid');
    const client = await th.connect(meter);
    const t = Date.now() - 60_000;
    await publishAcked(client, meter.topic, JSON.stringify({ t, importWh: 100, exportWh: 0 }));

    disk.full = true;
    const failed = await publishAcked(client, meter.topic, JSON.stringify({ t: t + 10_000, importWh: 110, exportWh: 0 })).then(
      () => 'acked',
      (error: Error) => error.message,
    );
    assert.is(failed, 'connection closed before PUBACK');
    assert.is(th.hub.store.stats(meter.meterId).readings, 1, 'the unacked reading is not kept');
    const health = (await (await fetch(`http://127.0.0.1:${th.hub.httpPort}/api/health`)).json()) as {
      status: string;
      storage: { state: string; error: string };
    };
    assert.is(health.status, 'degraded');
    assert.is(health.storage.state, 'failing');
    assert.match(health.storage.error, /disk is full/);

    // The hub keeps running; once there is space again the retry is stored.
    disk.full = false;
    const again = await th.connect(meter);
    await publishAcked(again, meter.topic, JSON.stringify({ t: t + 10_000, importWh: 110, exportWh: 0 }));
    assert.is(th.hub.store.stats(meter.meterId).readings, 2);
    await waitFor(() => th.hub.store.health().state === 'ok', 'storage back to ok');
  } finally {
    await th.close();
  }
});

test.run();
