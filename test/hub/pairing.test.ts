import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pairSensor } from '../../sensors/cli/pairSensor.js';
import { connectClient, publishAcked, startTestHub, type TestHub } from '../helpers/testHub.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('pairing: a one-time code instead of typing a secret');
let th: TestHub;
let hubUrl: string;

test.before(async () => {
  th = await startTestHub();
  hubUrl = `http://127.0.0.1:${th.hub.httpPort}`;
});
test.after(async () => {
  await th.close();
});

async function newPairing(driver: 'dsmr' | 's0' = 'dsmr') {
  const household = await th.hub.commands.addHousehold({ label: 'pairing test' });
  return th.hub.commands.addMeterWithPairingCode({ householdId: household.id, kind: 'grid', driver });
}

test('sensor pair writes working credentials into the sensor config, and the code works once', async () => {
  const pairing = await newPairing('dsmr');
  assert.match(pairing.pairingCode, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  assert.match(pairing.pairCommand, new RegExp(`sensor pair --hub http://127.0.0.1:${th.hub.httpPort} ${pairing.pairingCode}`));
  const { dir, remove } = await makeTempDir();
  const configFile = join(dir, 'sensor.json');
  const result = await pairSensor({ hub: hubUrl, code: pairing.pairingCode.toLowerCase(), config: configFile, port: '/dev/ttyUSB0' });
  assert.equal(result, { meterId: pairing.meterId, driver: 'dsmr', needsDriverSettings: false });
  const config = JSON.parse(await readFile(configFile, 'utf8')) as { hub: { url: string }; meters: Array<{ meterId: string; password: string }>; drivers: unknown[] };
  assert.is(config.hub.url, `mqtt://127.0.0.1:${th.hub.mqttPort}`);
  assert.equal(config.drivers, [{ driver: 'dsmr', port: '/dev/ttyUSB0', meterId: pairing.meterId, dsmrVersion: '5' }]);
  const client = await connectClient(config.hub.url, { username: config.meters[0]!.meterId, password: config.meters[0]!.password });
  await publishAcked(client, `commonwatt/meters/${pairing.meterId}/readings`, JSON.stringify({ t: Date.now() - 1000, importWh: 1, exportWh: 0 }));
  assert.is(th.hub.store.stats(pairing.meterId).readings, 1);
  await client.endAsync();

  const again = await pairSensor({ hub: hubUrl, code: pairing.pairingCode, config: configFile }).catch((e: Error) => e.message);
  assert.match(String(again), /already used; make a new one on the hub/);
  await remove();
});

test('wrong, malformed and repeated codes are refused, then the address is slowed down', async () => {
  const { dir, remove } = await makeTempDir();
  const configFile = join(dir, 'sensor.json');
  const malformed = await pairSensor({ hub: hubUrl, code: 'hello', config: configFile }).catch((e: Error) => e.message);
  assert.match(String(malformed), /not 8 letters and digits/);
  const messages: string[] = [];
  for (let i = 0; i < 5; i++) messages.push(String(await pairSensor({ hub: hubUrl, code: 'ZZZZ-ZZZZ', config: configFile }).catch((e: Error) => e.message)));
  assert.match(messages[0]!, /unknown pairing code/);
  assert.match(messages.at(-1)!, /too many wrong pairing codes/);
  // Even a right code is refused from that address until the window passes.
  const pairing = await newPairing();
  const blocked = await pairSensor({ hub: hubUrl, code: pairing.pairingCode, config: configFile }).catch((e: Error) => e.message);
  assert.match(String(blocked), /too many wrong pairing codes/);
  assert.is(await readFile(configFile, 'utf8').catch(() => null), null, 'no config written');
  await remove();
});

test('an unreachable hub or a bad URL says what to check', async () => {
  const bad = await pairSensor({ hub: 'not a url', code: 'ABCD-EFGH', config: '/tmp/x.json' }).catch((e: Error) => e.message);
  assert.match(String(bad), /--hub: "not a url" is not a URL/);
  const unreachable = await pairSensor({ hub: 'http://127.0.0.1:9', code: 'ABCD-EFGH', config: '/tmp/x.json' }).catch((e: Error) => e.message);
  assert.match(String(unreachable), /--hub: cannot reach http:\/\/127\.0\.0\.1:9/);
});

test.run();
