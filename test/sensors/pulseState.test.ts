import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPulseState, STATE_FORMAT } from '../../sensors/drivers/s0/pulseState.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('pulse state: counts survive a restart, the SD card is spared');

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: Error) => error,
  );
async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
const readState = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as { format: string; counts: Record<string, number> };

test('a missing file starts every meter at 0; a reopened file continues the counts', async () => {
  const { dir, remove } = await makeTempDir();
  const file = join(dir, 'sub', 's0-counts.json');
  const state = await openPulseState({ file, minWriteIntervalMs: 50 });
  assert.is(state.count('m1'), 0);
  state.set('m1', 1234);
  state.set('m2', 7);
  await state.close();
  assert.equal(await readState(file), { format: STATE_FORMAT, counts: { m1: 1234, m2: 7 } });
  const again = await openPulseState({ file });
  assert.is(again.count('m1'), 1234);
  assert.is(again.count('m2'), 7);
  await again.close();
  assert.is(again.writes, 0, 'nothing changed, nothing written');
  await remove();
});

test('many changes within the interval make one write, not one per pulse', async () => {
  const { dir, remove } = await makeTempDir();
  const file = join(dir, 's0-counts.json');
  const state = await openPulseState({ file, minWriteIntervalMs: 1_000 });
  const firstWrite = Date.now();
  state.set('m1', 1);
  await state.flush();
  assert.is(state.writes, 1, 'the first change after a quiet spell is written at once');
  for (let count = 2; count <= 200; count++) state.set('m1', count);
  await sleep(50);
  if (Date.now() - firstWrite < 900) {
    assert.is(state.writes, 1, 'the next 199 changes wait for the interval');
    assert.is((await readState(file)).counts.m1, 1);
  }
  await until(() => state.writes === 2, 'the next write', 5_000);
  assert.ok(Date.now() - firstWrite >= 990, `not before the interval (${Date.now() - firstWrite} ms)`);
  await until(async () => (await readState(file)).counts.m1 === 200, 'the file renamed into place');
  await sleep(100);
  assert.is(state.writes, 2, 'no changes, no writes');
  await state.close();
  assert.is(state.writes, 2, 'nothing left to write on close');
  await remove();
});

test('every write replaces the file by rename (a new inode) and leaves no temp file behind', async () => {
  const { dir, remove } = await makeTempDir();
  const file = join(dir, 's0-counts.json');
  const state = await openPulseState({ file, minWriteIntervalMs: 1 });
  state.set('m1', 1);
  await state.flush();
  const first = await stat(file);
  state.set('m1', 2);
  await state.flush();
  const second = await stat(file);
  assert.is.not(second.ino, first.ino, 'written to a temp file and renamed, never rewritten in place');
  assert.is(first.mode & 0o777, 0o600);
  assert.equal(await readdir(dir), ['s0-counts.json']);
  await state.close();
  await remove();
});

test('a temp file left by a power cut mid-write is ignored and overwritten', async () => {
  const { dir, remove } = await makeTempDir();
  const file = join(dir, 's0-counts.json');
  await writeFile(file, JSON.stringify({ format: STATE_FORMAT, counts: { m1: 500 } }));
  await writeFile(join(dir, '.s0-counts.json.tmp'), '{"format":"commonwatt-s0-cou');
  const state = await openPulseState({ file, minWriteIntervalMs: 1 });
  assert.is(state.count('m1'), 500, 'the last complete write counts');
  state.set('m1', 501);
  await state.close();
  assert.equal(await readdir(dir), ['s0-counts.json']);
  assert.is((await readState(file)).counts.m1, 501);
  await remove();
});

test('a damaged state file stops the start with the file, the problem and the fix', async () => {
  const { dir, remove } = await makeTempDir();
  const file = join(dir, 's0-counts.json');
  await writeFile(file, '{"format":');
  assert.match((await failureOf(openPulseState({ file })))?.message ?? '', /s0-counts\.json is not valid JSON.*move it aside/);
  await writeFile(file, JSON.stringify({ format: STATE_FORMAT, counts: { m1: -3, m2: 'x', m3: 4 } }));
  assert.match((await failureOf(openPulseState({ file })))?.message ?? '', /counts\.m1: must be a whole number ≥ 0 \(got -3\); counts\.m2: .*\(got "x"\)/);
  await remove();
});

test('a failed write is reported and retried; the counts stay in memory', async () => {
  const { dir, remove } = await makeTempDir();
  const file = join(dir, 'not-a-dir', 's0-counts.json');
  const errors: string[] = [];
  const state = await openPulseState({ file, minWriteIntervalMs: 20, onWriteError: (e) => errors.push(e.message) });
  // Replace the folder with a file so the next write fails.
  await rm(join(dir, 'not-a-dir'), { recursive: true });
  await writeFile(join(dir, 'not-a-dir'), 'in the way');
  state.set('m1', 9);
  await until(() => errors.length >= 2, 'a retry after the interval');
  assert.match(errors[0]!, /Cannot save pulse counts to .*s0-counts\.json/);
  await rm(join(dir, 'not-a-dir'));
  await mkdir(join(dir, 'not-a-dir'));
  await until(async () => (await readState(file).catch(() => null))?.counts.m1 === 9, 'the retry once the disk is back');
  await state.close();
  await remove();
});

test.run();
