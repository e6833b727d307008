import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GovernanceError } from '../../hub/governance/governanceError.js';
import { openHashChainLog, type LogVerification } from '../../hub/governance/hashChainLog.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('hash-chained governance log: tampering is detected, never silently accepted');
const t0 = Date.UTC(2026, 5, 1, 12, 0);

/** A log with entries of several types and nested data, as the store writes them. */
async function writeSampleLog(dir: string) {
  const log = await openHashChainLog(dir);
  await log.append('proposal', { id: 'p-1', proposal: { title: 'Daily totals', metrics: ['generation'], rules: { k: 10 } } }, t0);
  await log.append('decision', { id: 'd-1', decision: { outcome: 'adopted', votes: { for: 12, against: 1 }, present: ['Ann', 'Bo'] } }, t0 + 1_000);
  await log.append('consent', { householdId: 'h-1', scopes: { aggregates: true, partners: [] } }, t0 + 2_000);
  await log.append('retention-run', { deleted: { readings: 300 }, error: null }, t0 + 3_000);
  return log;
}

type Document = { version: number; entries: Array<Record<string, unknown>> };
const readDocument = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as Document;

/** Changes the last leaf value inside nested data: a number, text, flag or null. */
function changeDeepestValue(value: unknown): void {
  const container = value as Record<string, unknown>;
  const key = Object.keys(container).at(-1)!;
  const inner = container[key];
  if (inner !== null && typeof inner === 'object' && Object.keys(inner).length > 0) return changeDeepestValue(inner);
  container[key] = typeof inner === 'number' ? inner + 1 : typeof inner === 'string' ? `${inner}!` : typeof inner === 'boolean' ? !inner : inner === null ? 0 : null;
}

function brokenAt(result: LogVerification): number | null | 'ok' {
  return result.ok ? 'ok' : result.brokenAt;
}

test('an untouched log verifies, reopens with every entry, and chains each entry to the one before', async () => {
  const { dir, remove } = await makeTempDir();
  const log = await writeSampleLog(dir);
  const result = await log.verify();
  assert.ok(result.ok);
  assert.is(result.ok && result.entries, 4);
  const reopened = await openHashChainLog(dir);
  assert.equal(await reopened.verify(), result);
  const entries = reopened.entries();
  assert.equal(entries.map((e) => e.seq), [1, 2, 3, 4]);
  assert.is(entries[0]!.prevHash, '0'.repeat(64));
  for (let i = 1; i < entries.length; i++) assert.is(entries[i]!.prevHash, entries[i - 1]!.hash);
  assert.is(entries[1]!.at, new Date(t0 + 1_000).toISOString());
  await remove();
});

test('changing any field of any entry is detected at that entry, the log still opens, and appends are refused', async () => {
  const { dir, remove } = await makeTempDir();
  const log = await writeSampleLog(dir);
  const file = log.file;
  const original = await readFile(file, 'utf8');
  const mutations: Record<string, (entry: Record<string, unknown>) => void> = {
    seq: (e) => void (e.seq = (e.seq as number) + 10),
    at: (e) => void (e.at = new Date(Date.parse(e.at as string) + 1).toISOString()),
    type: (e) => void (e.type = `${e.type as string}x`),
    'data (deepest value)': (e) => changeDeepestValue(e.data),
    'data (added key)': (e) => void ((e.data as Record<string, unknown>).extra = 1),
    prevHash: (e) => void (e.prevHash = `${(e.prevHash as string).slice(0, -1)}${(e.prevHash as string).endsWith('0') ? '1' : '0'}`),
    hash: (e) => void (e.hash = `${(e.hash as string).slice(0, -1)}${(e.hash as string).endsWith('0') ? '1' : '0'}`),
    'extra field': (e) => void (e.note = 'added'),
    'removed field': (e) => void delete e.type,
  };
  let cases = 0;
  for (let index = 0; index < 4; index++) {
    for (const [name, mutate] of Object.entries(mutations)) {
      const document = JSON.parse(original) as Document;
      const before = JSON.stringify(document.entries[index]);
      mutate(document.entries[index]!);
      assert.is.not(JSON.stringify(document.entries[index]), before, `${name} mutation changed entry ${index + 1}`);
      const tampered = `${JSON.stringify(document, null, 2)}\n`;
      await writeFile(file, tampered);
      const reopened = await openHashChainLog(dir); // must not throw
      const result = await reopened.verify();
      assert.is(brokenAt(result), index + 1, `${name} of entry ${index + 1}`);
      assert.match(result.ok ? '' : result.reason, `entry ${index + 1}`);
      assert.match(result.ok ? '' : result.reason, 'restore');
      assert.is(reopened.entries().length, index, 'only the entries before the break are kept');
      try {
        await reopened.append('consent', { householdId: 'h-2' }, t0 + 10_000);
        assert.unreachable('append on a broken log');
      } catch (error) {
        assert.instance(error, GovernanceError);
        assert.is((error as GovernanceError).code, 'broken');
        assert.match((error as Error).message, `entry ${index + 1}`);
      }
      assert.is(await readFile(file, 'utf8'), tampered, 'the refused append left the evidence as it was');
      cases++;
    }
  }
  assert.is(cases, 36);
  await remove();
});

test('removing, inserting or swapping entries is detected where the order breaks', async () => {
  const { dir, remove } = await makeTempDir();
  const log = await writeSampleLog(dir);
  const original = await readDocument(log.file);
  const variants: Array<[string, (entries: Document['entries']) => void, number]> = [
    ['middle entry removed', (entries) => void entries.splice(1, 1), 2],
    ['first entry removed', (entries) => void entries.shift(), 1],
    ['entries swapped', (entries) => void entries.splice(1, 2, entries[2]!, entries[1]!), 2],
    ['an entry copied in again', (entries) => void entries.splice(2, 0, { ...entries[1]! }), 3],
  ];
  for (const [name, change, at] of variants) {
    const document = structuredClone(original);
    change(document.entries);
    await writeFile(log.file, JSON.stringify(document));
    const reopened = await openHashChainLog(dir);
    assert.is(brokenAt(await reopened.verify()), at, name);
  }
  await remove();
});

test('reformatting the file or reordering keys is not tampering (hashes are over canonical JSON)', async () => {
  const { dir, remove } = await makeTempDir();
  const log = await writeSampleLog(dir);
  const document = await readDocument(log.file);
  const reorder = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(reorder)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reorder(v)]))
        : value;
  await writeFile(log.file, JSON.stringify(reorder(document)));
  const reopened = await openHashChainLog(dir);
  assert.ok((await reopened.verify()).ok);
  await reopened.append('consent', { householdId: 'h-9' }, t0 + 10_000);
  assert.ok((await (await openHashChainLog(dir)).verify()).ok);
  await remove();
});

test('a file that is not JSON opens as a broken log with no entries instead of stopping the hub', async () => {
  const { dir, remove } = await makeTempDir();
  const log = await writeSampleLog(dir);
  await writeFile(log.file, '{"version": 1, "entries": [');
  const reopened = await openHashChainLog(dir);
  const result = await reopened.verify();
  assert.is(brokenAt(result), null);
  assert.match(result.ok ? '' : result.reason, 'governance.json');
  assert.equal(reopened.entries(), []);
  assert.is(reopened.status().ok, false);
  try {
    await reopened.append('consent', {}, t0 + 10_000);
    assert.unreachable();
  } catch (error) {
    assert.is((error as GovernanceError).code, 'broken');
  }
  await remove();
});

test('a file changed on disk while the hub runs is caught before the next append overwrites it', async () => {
  const { dir, remove } = await makeTempDir();
  const log = await writeSampleLog(dir);
  const document = await readDocument(log.file);
  document.entries.pop(); // cutting off the last entry keeps a valid chain, but not the one the hub wrote
  await writeFile(log.file, JSON.stringify(document));
  try {
    await log.append('consent', { householdId: 'h-2' }, t0 + 10_000);
    assert.unreachable();
  } catch (error) {
    assert.is((error as GovernanceError).code, 'broken');
    assert.match((error as Error).message, 'changed on disk while the hub was running: entry 4 is missing');
  }
  assert.is(brokenAt(await log.verify()), 4);
  assert.is((await readDocument(log.file)).entries.length, 3, 'not overwritten');
  await remove();
});

test('appends go forward in time: a clock behind the last entry, or unset, is refused', async () => {
  const { dir, remove } = await makeTempDir();
  const log = await writeSampleLog(dir);
  for (const now of [t0, 0, Number.NaN]) {
    try {
      await log.append('consent', {}, now);
      assert.unreachable(`now = ${now}`);
    } catch (error) {
      assert.is((error as GovernanceError).code, 'invalid');
      assert.match((error as Error).message, 'clock');
    }
  }
  const same = await log.append('consent', {}, t0 + 3_000);
  assert.is(same.seq, 5, 'the same instant as the last entry is fine');
  assert.ok((await log.verify()).ok);
  await remove();
});

test('concurrent appends are serialised into one unbroken chain', async () => {
  const { dir, remove } = await makeTempDir();
  const log = await openHashChainLog(dir);
  await Promise.all(Array.from({ length: 20 }, (_, i) => log.append('consent', { i }, t0)));
  const reopened = await openHashChainLog(dir);
  assert.ok((await reopened.verify()).ok);
  assert.equal(reopened.entries().map((e) => e.seq), Array.from({ length: 20 }, (_, i) => i + 1));
  await remove();
});

test('entries handed out are frozen: changing them cannot change the record', async () => {
  const { dir, remove } = await makeTempDir();
  const log = await writeSampleLog(dir);
  const entry = log.entries()[0]!;
  assert.throws(() => {
    (entry.data as Record<string, unknown>).id = 'p-9';
  });
  assert.ok((await log.verify()).ok);
  await remove();
});

test.run();
