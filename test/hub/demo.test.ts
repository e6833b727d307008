import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../../hub/log/createLogger.js';
import { runDemo, type Demo } from '../../hub/demo/runDemo.js';
import { pulseIntervalMs } from '../../hub/demo/simulatedPulseBoard.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { waitFor } from '../helpers/testHub.js';

const test = suite('demo: simulated households through the real drivers and agents');

test('the demo fills the hub with a day of readings plus live ones, and a second run carries on without rejections', async () => {
  const { dir, remove } = await makeTempDir();
  const logger = createLogger({ level: 'silent' });
  const settings = { mqttPort: 0, httpPort: 0, timeZone: 'Europe/London', commitDelayMs: 50 };
  let demo: Demo | null = null;
  try {
    demo = await runDemo({ dataDir: dir, households: 3, logger, settings, historyDays: 2 });
    const state = JSON.parse(await readFile(join(dir, 'demo-state.json'), 'utf8')) as { houses: Array<{ grid: { meterId: string }; solar: { meterId: string } | null }> };
    const grid = state.houses.map((h) => h.grid.meterId);
    const solar = state.houses.flatMap((h) => (h.solar ? [h.solar.meterId] : []));
    assert.is(grid.length, 3);
    assert.ok(solar.length >= 1, 'some households have solar');
    const started = Date.now();
    const hub1 = demo.hub;
    await waitFor(() => demo!.pending() === 0 && grid.every((m) => (hub1.store.latest(m)?.t ?? 0) >= started), 'backlog and a live telegram delivered', 30_000);
    for (const m of [...grid, ...solar]) {
      assert.ok(hub1.store.stats(m).readings >= 2880, `${m}: two days of one-minute readings`);
      assert.is(hub1.health.meter(m).rejected, 0, `${m}: nothing rejected`);
    }
    assert.match(hub1.store.latest(grid[0]!)?.serial ?? '', /^44454D4F/, 'the serial came from the simulated P1 telegram');
    await hub1.store.flush(); // interval energy covers readings already in the database
    const to = Date.now();
    const hours = hub1.store.intervals([...grid, ...solar], 'hour', to - 20 * 3_600_000, to);
    assert.ok(hours.length >= 19, `hourly energy for the day (${hours.length} hours)`);
    assert.ok(hours.some((h) => h.generationWh > 0), 'solar generation in daylight hours');
    assert.ok(hours.every((h) => h.importWh + h.exportWh > 0), 'grid energy every hour');
    // The demo's decision is on the record, and yesterday has been decided.
    const policy = (await hub1.governanceCommands.policyShow()) as { inForce: Array<{ proposalId: string }>; decisions: Array<{ outcome: string }> };
    assert.equal(policy.decisions.map((d) => d.outcome), ['adopted']);
    assert.is(policy.inForce.length, 1);
    await hub1.publication.runOnce();
    const status = await hub1.governanceCommands.publishStatus();
    const decided = status.released + Object.values(status.suppressed).reduce((a, b) => a + b, 0);
    assert.ok(decided >= 2, `yesterday's generation and consumption decided (${JSON.stringify(status)})`);
    assert.is(status.released, 0, 'three households are fewer than k = 10: nothing released');
    const counts = grid.map((m) => hub1.store.stats(m).readings);
    await demo.stop();

    // A second run reuses the credentials and registers, and carries on.
    demo = await runDemo({ dataDir: dir, households: 3, logger, settings, historyDays: 2 });
    const hub2 = demo.hub;
    const restarted = Date.now();
    await waitFor(() => grid.every((m) => (hub2.store.latest(m)?.t ?? 0) >= restarted), 'live telegrams after the restart', 30_000);
    assert.is(hub2.registry.households().length, 3, 'no households added twice');
    for (const [i, m] of grid.entries()) {
      assert.ok(hub2.store.stats(m).readings > counts[i]!, `${m}: more readings`);
      assert.is(hub2.health.meter(m).rejected, 0, `${m}: nothing rejected after the restart`);
    }
  } finally {
    await demo?.stop();
    await remove();
  }
});

test('the simulated S0 output pulses once per Wh at 1000 impulses per kWh: 3.6 kW is a pulse a second', () => {
  assert.is(pulseIntervalMs(3600, 1000), 1000);
  assert.is(pulseIntervalMs(360, 1000), 10_000);
  assert.is(pulseIntervalMs(3600, 500), 2000, 'at 500 impulses per kWh a pulse is 2 Wh');
});

test.run();
