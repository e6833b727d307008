import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestHub, type TestHub } from '../helpers/testHub.js';

/** Debian's mosquitto clients as an outside MQTT implementation talking to the hub. */
const test = suite('outside client: mosquitto_pub and mosquitto_sub');
const run = promisify(execFile);
let th: TestHub;

test.before(async () => {
  th = await startTestHub();
});
test.after(async () => {
  await th.close();
});

test('mosquitto_pub with credentials from meters add stores a reading at QoS 1', async () => {
  const meter = await th.addMeter('grid');
  const t = Date.now() - 5000;
  await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(th.hub.mqttPort), '-u', meter.username, '-P', meter.password, '-q', '1', '-t', meter.topic, '-m', JSON.stringify({ t, importWh: 3016829, exportWh: 0 })]);
  assert.is(th.hub.store.around(meter.meterId, t).same?.importWh, 3016829);
});

test('mosquitto_pub with a wrong password is refused', async () => {
  const meter = await th.addMeter('grid');
  const result = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(th.hub.mqttPort), '-u', meter.username, '-P', 'guess', '-q', '1', '-t', meter.topic, '-m', '{}']).then(
    () => null,
    (error: { stderr: string }) => error.stderr,
  );
  assert.match(result ?? '', /not authori[sz]ed|bad user name or password|refused/i);
});

test('anonymous mosquitto_sub on commonwatt/# sees the hub status and never a reading', async () => {
  const meter = await th.addMeter('grid');
  const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(th.hub.mqttPort), '-v', '-t', 'commonwatt/hub/status', '-t', 'commonwatt/#', '-t', '#']);
  let out = '';
  sub.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((r) => setTimeout(r, 300));
  await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(th.hub.mqttPort), '-u', meter.username, '-P', meter.password, '-q', '1', '-t', meter.topic, '-m', JSON.stringify({ t: Date.now() - 1000, importWh: 5, exportWh: 0 })]);
  await new Promise((r) => setTimeout(r, 300));
  sub.kill();
  assert.match(out, /^commonwatt\/hub\/status \{"online":true/m);
  assert.not.match(out, /readings|importWh/);
});

test.run();
