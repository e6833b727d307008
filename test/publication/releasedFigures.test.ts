import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openReleasedFigures, type DecidedFigure } from '../../hub/publication/releasedFigures.js';
import { makeTempDir } from '../helpers/tempDir.js';

/**
 * released.sqlite: decided figures are final, and the public gets one answer
 * per figure and audience.
 */
const test = suite('released figures: final, and one answer per figure');

const DAY_MS = 86_400_000;
const start = Date.UTC(2026, 5, 10);

function figure(policyId: string, totalWh: number, decidedAt: number, audience = 'open'): DecidedFigure {
  return {
    policyId,
    audience,
    groupId: 'neighbourhood',
    metric: 'generation',
    resolution: 'day',
    periodStart: start,
    periodEnd: start + DAY_MS,
    day: '2026-06-10',
    decision: { released: true, totalWh, meanWh: Math.round(totalWh / 20), householdsAtLeast: 20 },
    completenessPercent: 100,
    decidedAt,
  };
}

test('two policies that released the same figure to one audience show as one: the first decided', async () => {
  const { dir, remove } = await makeTempDir();
  const released = openReleasedFigures(dir);
  try {
    released.record([figure('p-2', 51_000, start + 2 * DAY_MS), figure('p-1', 50_000, start + DAY_MS), figure('p-3', 52_000, start + DAY_MS, 'shared:Grid Co')]);
    const open = released.released({ audience: 'open' });
    assert.equal(open.map((f) => f.totalWh), [50_000]);
    assert.equal(released.released({ audience: 'shared:Grid Co' }).map((f) => f.totalWh), [52_000], 'another audience keeps its own');
    assert.is(released.decidedThrough('p-2', 'neighbourhood', 'generation', 'day'), start + DAY_MS, 'each policy still knows what it decided');
  } finally {
    released.close();
    await remove();
  }
});

test('a decided figure can be neither changed nor deleted', async () => {
  const { dir, remove } = await makeTempDir();
  const released = openReleasedFigures(dir);
  try {
    released.record([figure('p-1', 50_000, start + DAY_MS)]);
    assert.is(released.record([figure('p-1', 99_000, start + 3 * DAY_MS)]), 0, 'deciding again adds nothing');
    assert.equal(released.released({ audience: 'open' }).map((f) => f.totalWh), [50_000]);
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(`${dir}/released.sqlite`);
    try {
      assert.throws(() => raw.prepare('UPDATE figures SET total_wh = 1').run(), /a decided figure is never changed/);
      assert.throws(() => raw.prepare('DELETE FROM figures').run(), /a decided figure is never deleted/);
    } finally {
      raw.close();
    }
  } finally {
    released.close();
    await remove();
  }
});

test.run();
