import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createWriteStream } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAgentConfig } from '../../sensors/agent/agentConfig.js';
import { probePort } from '../../sensors/cli/detectSensors.js';
import { readP1Fixture } from '../helpers/p1Fixtures.js';
import { openSocatPtyPair } from '../helpers/socatPtyPair.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { cliArgs, REPO_ROOT } from '../helpers/hubProcess.js';

const test = suite('volunteer tooling: config validation and detect');
const run = promisify(execFile);

test('a sensor config with many mistakes lists every one, naming the field and the fix', () => {
  const message = (() => {
    try {
      parseAgentConfig(
        {
          hub: { url: 'commonwatt.local' },
          meters: [{ meterId: 'meter1', password: 'short' }, { meterId: 'm-abcd2345', password: 'x'.repeat(32) }],
          drivers: [
            { driver: 'dsmr', port: '', meterId: 'm-zzzz9999' },
            { driver: 's0', port: '/dev/ttyACM0', meters: [{ meterId: 'm-abcd2345', pin: 1, impulsesPerKWh: 0, register: 'generationWh' }] },
            { driver: 'zigbee', port: '/dev/ttyUSB1' },
          ],
          publishIntervalMs: 10,
        },
        'sensor.json',
      );
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  })();
  for (const expected of [
    /sensor\.json is not a valid sensor configuration/,
    /hub\.url: must be an MQTT URL like "mqtt:\/\/commonwatt\.local:1883" \(got "commonwatt\.local"\)/,
    /meters\.0\.meterId: must be a meter id like "m-7fh2kq9d"/,
    /meters\.0\.password: must be the secret printed by `commonwatt meters add`/,
    /drivers\.0\.port: must name a serial port/,
    /drivers\.1\.meters\.0\.pin: must be ≥ 2: pins 0 and 1 carry the USB link/,
    /drivers\.1\.meters\.0\.impulsesPerKWh: must be the imp\/kWh printed on the meter/,
    /drivers\.2/,
    /publishIntervalMs/,
  ]) {
    assert.match(message, expected);
  }
});

test('a config whose meters and drivers do not match says which meter', () => {
  const password = 'x'.repeat(32);
  assert.throws(
    () =>
      parseAgentConfig(
        {
          hub: { url: 'mqtt://hub:1883' },
          meters: [{ meterId: 'm-aaaa1111', password }, { meterId: 'm-bbbb2222', password }],
          drivers: [{ driver: 'dsmr', port: '/dev/ttyUSB0', meterId: 'm-cccc3333' }],
        },
        'sensor.json',
      ),
    (e: Error) =>
      /reads meter m-cccc3333, which has no credentials/.test(e.message) && /meter m-aaaa1111 is read by no driver/.test(e.message) && /m-bbbb2222 is read by no driver/.test(e.message),
  );
});

test('sensor run with a missing or broken config exits with the reason', async () => {
  const { dir, remove } = await makeTempDir();
  const missing = await run(process.execPath, cliArgs(['sensor', 'run', '--config', join(dir, 'nope.json')]), { cwd: REPO_ROOT }).catch((e: { code: number; stderr: string }) => e);
  assert.is((missing as { code: number }).code, 1);
  assert.match((missing as { stderr: string }).stderr, /--config: cannot read .*nope\.json \(ENOENT\); create it with `commonwatt sensor pair`/);
  await writeFile(join(dir, 'bad.json'), '{ "hub": ');
  const broken = await run(process.execPath, cliArgs(['sensor', 'run', '--config', join(dir, 'bad.json')]), { cwd: REPO_ROOT }).catch((e: { stderr: string }) => e);
  assert.match((broken as { stderr: string }).stderr, /bad\.json is not valid JSON/);
  await remove();
});

test('detect recognises a DSMR 5 meter talking on a real pty and offers its config snippet', async () => {
  const pty = await openSocatPtyPair();
  const meter = createWriteStream(pty.paths[1]);
  const telegram = readP1Fixture('v5-iskra-mt382');
  const timer = setInterval(() => meter.write(telegram), 300);
  try {
    const finding = await probePort(pty.paths[0], 1500);
    assert.is(finding.error, null);
    assert.is(finding.firmata, null);
    assert.equal([finding.dsmr?.version, finding.dsmr?.serial, finding.dsmr?.crcOk, finding.dsmr?.settings], ['DSMR 5.0', '4B384547303034303436333935353037', true, '115200 8N1']);
    assert.equal(finding.snippet, { driver: 'dsmr', port: pty.paths[0], meterId: 'm-FROM-METERS-ADD', dsmrVersion: '5' });
  } finally {
    clearInterval(timer);
    meter.destroy();
    await pty.close();
  }
});

test('detect on a port that does not exist names the port and the fix', async () => {
  const finding = await probePort('/dev/ttyUSB-does-not-exist', 500);
  assert.match(finding.error ?? '', /\/dev\/ttyUSB-does-not-exist/);
});

test.run();
