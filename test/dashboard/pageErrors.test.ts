import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import Fastify from 'fastify';
import { registerDashboard } from '../../dashboard/server/dashboardRoutes.js';
import { loadDashboardAssets } from '../../dashboard/server/dashboardAssets.js';
import { loadDashboardStrings } from '../../dashboard/server/dashboardStrings.js';
import { createLocalCalendar } from '../../hub/rollups/localTime.js';
import { createLogger } from '../../hub/log/createLogger.js';
import type { PublicSurfaceSources } from '../../hub/publication/publicSurfaces.js';

/**
 * What a resident sees when a page cannot be made: a page in words, with the
 * way back, on a real Fastify server over loopback; API clients keep JSON.
 */
const test = suite('dashboard: pages that fail, and addresses that do not exist');

test('a page that fails to render answers 500 with a page saying what to do; a mistyped address a 404 page; the API JSON', async () => {
  const app = Fastify({ logger: false });
  const broken: PublicSurfaceSources = {
    released: { released: () => [] } as unknown as PublicSurfaceSources['released'],
    publishedGroups: () => [],
    policyView: () => {
      throw new Error('governance.json could not be read');
    },
    partnerAudience: () => null,
    licence: () => 'CC-BY-4.0',
  };
  registerDashboard(app, {
    sources: broken,
    calendar: createLocalCalendar('Europe/London'),
    clock: { now: () => Date.UTC(2026, 5, 11, 9) },
    strings: loadDashboardStrings('en'),
    assets: loadDashboardAssets(),
    neighbourhoodName: 'Mill Lane Energy',
    co2GramsPerKwh: 150,
    contact: 'energy@mill-lane.example',
    onReleased: () => () => {},
    logger: createLogger({ level: 'silent' }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const about = await fetch(`${base}/about`);
    assert.is(about.status, 500);
    assert.match(about.headers.get('content-type') ?? '', /text\/html/);
    const text = await about.text();
    assert.match(text, /The hub could not make this page. Try again in a minute/);
    assert.not.match(text, /governance\.json/, 'no internals on a public page');
    const missing = await fetch(`${base}/solar-today`);
    assert.is(missing.status, 404);
    assert.match(await missing.text(), /There is no page at \/solar-today/);
    const api = await fetch(`${base}/api/public/nothing`);
    assert.is(api.status, 404);
    assert.match(((await api.json()) as { error: string }).error, /no route GET \/api\/public\/nothing/);
  } finally {
    await app.close();
  }
});

test.run();
