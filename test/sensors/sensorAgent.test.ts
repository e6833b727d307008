import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SerialPortMock } from 'serialport';
import { createLogger } from '../../hub/log/createLogger.js';
import { createDsmrDriver } from '../../sensors/drivers/dsmr/dsmrDriver.js';
import { createSensorAgent } from '../../sensors/agent/sensorAgent.js';
import { parseAgentConfig } from '../../sensors/agent/agentConfig.js';
import { openOutbox } from '../../sensors/agent/outbox.js';
import { editP1Telegram, readP1Fixture } from '../helpers/p1Fixtures.js';
import { openSocatPtyPair } from '../helpers/socatPtyPair.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { cliArgs, killHard, REPO_ROOT } from '../helpers/hubProcess.js';
import { startTestHub, waitFor } from '../helpers/testHub.js';

const test = suite('sensor agent against a real hub: store and forward');
const MIN = 60_000;

/** A DSMR 5 telegram whose tariff-1 import register reads `wh` watt-hours more than the fixture's. */
function telegramWith(extraWh: number): Buffer {
  const tariff1 = (4426 + extraWh) / 1000;
  return editP1Telegram(readP1Fixture('v5-iskra-mt382'), [['1-0:1.8.1(000004.426*kWh)', `1-0:1.8.1(${tariff1.toFixed(3).padStart(10, '0')}*kWh)`]]);
}

test('a week-long hub outage: readings wait in the outbox and arrive exactly once, in batches, when the hub is back', async () => {
  const th = await startTestHub();
  const meter = await th.addMeter('grid');
  const mqttPort = th.hub.mqttPort;
  const { dir, remove } = await makeTempDir();
  const path = '/dev/ttyP1-agent-test';
  SerialPortMock.binding.createPort(path);
  const port = new SerialPortMock({ path, baudRate: 115200 });
  await new Promise((r) => port.once('open', r));
  const start = Date.now() - 7 * 24 * 60 * MIN - 60 * MIN;
  let now = start;
  const clock = { now: () => now };
  const config = parseAgentConfig(
    { hub: { url: th.mqttUrl }, meters: [{ meterId: meter.meterId, password: meter.password }], drivers: [{ driver: 'dsmr', port: path, meterId: meter.meterId }], stateDir: dir, publishIntervalMs: 300_000 },
    'test config',
  );
  const driver = createDsmrDriver({ meterId: meter.meterId, port, clock, noTelegramTimeoutMs: 3_600_000 });
  const agent = createSensorAgent({ config, drivers: [driver], clock, logger: createLogger({ level: 'silent' }), autoTick: false, backoff: { minMs: 50, maxMs: 200 } });
  await agent.start();
  const sent: number[] = [];
  const meterSends = async (k: number) => {
    now = start + k * 5 * MIN;
    const parsed = once(driver, 'reading');
    port.port!.emitData(telegramWith(k * 10));
    await parsed;
    await agent.tick();
    sent.push(now);
  };
  let back: Awaited<ReturnType<typeof startTestHub>> | null = null;
  try {
    await waitFor(() => agent.link(meter.meterId).connected, 'agent connected');
    for (let k = 0; k < 3; k++) await meterSends(k);
    await waitFor(() => agent.outbox.totalPending() === 0, 'first readings acked');
    assert.is(th.hub.store.stats(meter.meterId).readings, 3);

    await th.hub.stop(); // the hub is gone for a week
    const weekTicks = 7 * 24 * 12;
    for (let k = 3; k < 3 + weekTicks; k++) await meterSends(k);
    assert.is(agent.outbox.totalPending(), weekTicks, 'the week waits in the outbox');

    back = await startTestHub({ mqttPort }, { dataDir: th.dataDir, keepDir: true });
    const hub = back.hub;
    await waitFor(() => hub.store.stats(meter.meterId).readings === 3 + weekTicks, 'backlog delivered', 30_000);
    await waitFor(() => agent.outbox.totalPending() === 0, 'outbox emptied');
    const wrong = sent.filter((t, k) => hub.store.around(meter.meterId, t).same?.importWh !== 6825 + k * 10);
    assert.equal(wrong, [], 'every reading has its registers');
    const messages = hub.health.meter(meter.meterId).messages;
    assert.ok(messages <= Math.ceil(weekTicks / 500) + 5, `backlog went in batches (${messages} messages)`);
  } finally {
    await agent.stop();
    await (back ?? th).close();
    if (back) await th.close().catch(() => {});
    await new Promise((r) => (port.isOpen ? port.close(r) : r(null)));
    SerialPortMock.binding.reset();
    await remove();
  }
});

test('the agent SIGKILLed mid-backlog and restarted delivers every reading exactly once', async () => {
  const th = await startTestHub();
  const meter = await th.addMeter('grid');
  const { dir, remove } = await makeTempDir();
  const pty = await openSocatPtyPair();
  const READINGS = 20_000;
  const first = Date.now() - READINGS * 10_000 - MIN;
  // A backlog that built up while the hub was away.
  const outbox = await openOutbox({ dir: join(dir, 'outbox') });
  for (let k = 0; k < READINGS; k += 1000) {
    await outbox.append(Array.from({ length: 1000 }, (_, i) => ({ meterId: meter.meterId, reading: { t: first + (k + i) * 10_000, importWh: 5000 + k + i, exportWh: 7 } })));
  }
  await outbox.close();
  const configFile = join(dir, 'sensor.json');
  await writeFile(
    configFile,
    JSON.stringify({ hub: { url: th.mqttUrl }, meters: [{ meterId: meter.meterId, password: meter.password }], drivers: [{ driver: 'dsmr', port: pty.paths[0], meterId: meter.meterId }], stateDir: dir }),
  );
  const runAgent = () =>
    spawn(process.execPath, cliArgs(['sensor', 'run', '--config', configFile]), { cwd: REPO_ROOT, env: { ...process.env, COMMONWATT_LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  try {
    const agent = runAgent();
    await waitFor(() => th.hub.store.stats(meter.meterId).readings >= 2_000, 'part of the backlog delivered', 30_000);
    await killHard(agent);
    const delivered = th.hub.store.stats(meter.meterId).readings;
    assert.ok(delivered < READINGS, `killed mid-backlog (${delivered} of ${READINGS} delivered)`);

    const again = runAgent();
    try {
      await waitFor(() => th.hub.store.stats(meter.meterId).readings === READINGS, 'whole backlog delivered', 60_000);
    } finally {
      await killHard(again);
    }
    const wrong: number[] = [];
    for (let k = 0; k < READINGS; k++) {
      const stored = th.hub.store.around(meter.meterId, first + k * 10_000).same;
      if (stored?.importWh !== 5000 + k || stored.exportWh !== 7) wrong.push(k);
    }
    assert.equal(wrong.slice(0, 5), [], `${wrong.length} readings wrong or missing`);
    await th.hub.store.flush();
    assert.is(th.hub.store.stats(meter.meterId).readings, READINGS, 'stored once each');
  } finally {
    await pty.close();
    await th.close();
    await remove();
  }
});

test('a P1 cable unplugged makes the agent stop cleanly with exit code 75, for its service manager to start it again', async () => {
  const th = await startTestHub();
  const meter = await th.addMeter('grid');
  const { dir, remove } = await makeTempDir();
  const pty = await openSocatPtyPair();
  const configFile = join(dir, 'sensor.json');
  await writeFile(
    configFile,
    JSON.stringify({ hub: { url: th.mqttUrl }, meters: [{ meterId: meter.meterId, password: meter.password }], drivers: [{ driver: 'dsmr', port: pty.paths[0], meterId: meter.meterId }], stateDir: dir }),
  );
  const agent = spawn(process.execPath, cliArgs(['sensor', 'run', '--config', configFile]), { cwd: REPO_ROOT, env: { ...process.env, COMMONWATT_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  agent.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  agent.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitFor(() => output.includes('sensor agent running'), 'agent started', 20_000);
    const exited = once(agent, 'exit');
    await pty.close(); // the cable is pulled
    // Generous: in one of several full CI runs the agent had not seen the hang-up after 15 s (not reproduced since).
    const [code] = (await Promise.race([exited, new Promise((r) => setTimeout(() => r(['timeout']), 45_000))])) as [number | string];
    assert.is(code, 75, output);
    assert.match(output, new RegExp(`P1 port ${pty.paths[0]} closed \\(cable unplugged\\?\\): stopping so that the service manager starts the agent again`));
  } finally {
    await killHard(agent);
    await th.close();
    await remove();
  }
});

test.run();
