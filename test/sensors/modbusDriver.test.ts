import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { DriverReading, MeterDriver } from '../../sensors/drivers/meterDriver.js';
import { createModbusDriver, type ModbusDriverOptions } from '../../sensors/drivers/modbus/modbusDriver.js';
import { closeModbusClient, openModbusRtuClient } from '../../sensors/drivers/modbus/modbusClient.js';
import { findModbusTemplate, loadModbusTemplates, type ModbusTemplates } from '../../sensors/drivers/modbus/modbusTemplate.js';
import { crc16Modbus, floatWords, setWords, startModbusSlave, type ModbusSlave } from '../helpers/modbusSlave.js';
import { simulatedSdm120, simulatedSdm630 } from '../helpers/simulatedEastron.js';
import { openSocatPtyPair, type PtyPair } from '../helpers/socatPtyPair.js';
import { makeTempDir } from '../helpers/tempDir.js';

const T0 = 1_763_806_500_000;
const POLL_MS = 40;
const TIMEOUT_MS = 300;

let templates: ModbusTemplates;
let pty: PtyPair;
let slave: ModbusSlave;
let driver: MeterDriver | null;
let problems: string[];
let readings: Array<{ meterId: string; reading: DriverReading }>;

const test = suite('modbus driver');

test.before(async () => {
  templates = await loadModbusTemplates();
});

test.before.each(async () => {
  pty = await openSocatPtyPair();
  slave = await startModbusSlave(pty.paths[1], { responseDelayMs: 5 });
  driver = null;
  problems = [];
  readings = [];
});

test.after.each(async () => {
  await driver?.stop();
  await slave.close();
  await pty.close();
});

function start(options: Partial<ModbusDriverOptions> = {}): Promise<void> {
  let tick = 0;
  driver = createModbusDriver({
    bus: { path: pty.paths[0], baudRate: 9600 },
    meters: [
      { meterId: 'm-sdm120aa', address: 1, template: findModbusTemplate(templates, 'sdm120') },
      { meterId: 'm-sdm630bb', address: 2, template: findModbusTemplate(templates, 'sdm630') },
    ],
    clock: { now: () => T0 + 1000 * tick++ },
    pollIntervalMs: POLL_MS,
    requestTimeoutMs: TIMEOUT_MS,
    ...options,
  });
  driver.on('problem', (message: string) => problems.push(message));
  driver.on('reading', (meterId: string, reading: DriverReading) => readings.push({ meterId, reading }));
  return driver.start();
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}; problems: ${JSON.stringify(problems)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A socat pty pair behind fixed symlinks, like /dev/serial/by-id/…, so a "replugged" adapter has the same path. */
async function linkedPtyPair(master: string, meterSide: string): Promise<{ close(): Promise<void> }> {
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${master}`, `pty,raw,echo=0,link=${meterSide}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = once(socat, 'exit');
  let stderr = '';
  socat.stderr.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat did not start: ${stderr}`)), 5000);
    socat.stderr.on('data', (text: string) => {
      stderr += text;
      if (stderr.includes('starting data transfer loop')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    async close() {
      if (socat.exitCode === null && socat.signalCode === null) socat.kill();
      await exited;
      socat.stderr.destroy();
    },
  };
}

const readingsOf = (meterId: string) => readings.filter((r) => r.meterId === meterId).map((r) => r.reading);

test('the simulated slave computes CRC-16/MODBUS (catalogue check value 0x4B37 for "123456789")', () => {
  assert.is(crc16Modbus(Buffer.from('123456789', 'ascii')), 0x4b37);
});

test('reads an SDM120 at address 1 and an SDM630 at address 2 on one bus, in Wh and W, one request at a time', async () => {
  slave.addMeter(1, simulatedSdm120({ importKWh: 1234.5, exportKWh: 12.25, powerW: 230.25, serial: 19_112_233 }));
  slave.addMeter(2, simulatedSdm630({ importKWh: 3016.829, exportKWh: 0, powerW: 2027.4, serial: 20_445_566 }));
  await start();
  await waitUntil('both meters were read twice', () => readingsOf('m-sdm120aa').length >= 2 && readingsOf('m-sdm630bb').length >= 2);

  const a = driver!.latest('m-sdm120aa')!;
  assert.equal({ ...a, t: 0 }, { t: 0, importWh: 1_234_500, exportWh: 12_250, powerW: 230, serial: '19112233' });
  const b = driver!.latest('m-sdm630bb')!;
  // 3016.829 kWh is 3016.8291015625 as a float32: rounded to whole Wh.
  assert.equal({ ...b, t: 0 }, { t: 0, importWh: 3_016_829, exportWh: 0, powerW: 2027, serial: '20445566' });
  assert.ok(a.t > T0 && (a.t - T0) % 1000 === 0 && (b.t - T0) % 1000 === 0, 'reading time comes from the injected clock');
  assert.is(driver!.latest('m-unknown'), null);

  const status = driver!.status();
  assert.is(status.connected, true);
  assert.is(status.firmware, 'SDM120 @ 1, SDM630 @ 2');
  assert.ok(status.good >= 4);
  assert.is(status.bad, 0);
  assert.equal(problems, []);
  assert.is(slave.overlaps, 0, 'a new request never went out while an answer was due');

  // The SDM630 is asked for total power at 0x0034 and import+export in one read from 0x0048.
  const toSdm630 = slave.requests.filter((r) => r.address === 2 && r.functionCode === 4);
  assert.ok(toSdm630.some((r) => r.start === 0x0034 && r.count === 2));
  assert.ok(toSdm630.some((r) => r.start === 0x0048 && r.count === 4));
  // The serial is read once, not at every poll.
  assert.is(slave.requests.filter((r) => r.address === 2 && r.functionCode === 3).length, 1);
});

test('a meter that does not answer is counted and reported once with the fix, and the others keep being read', async () => {
  slave.addMeter(1, simulatedSdm120({ importKWh: 10, exportKWh: 0, powerW: 5, serial: 1 }));
  slave.addMeter(2, simulatedSdm630({ importKWh: 20, exportKWh: 1, powerW: 50, serial: 2 }));
  const sdm630 = findModbusTemplate(templates, 'sdm630');
  await start({
    meters: [
      { meterId: 'm-sdm120aa', address: 1, template: findModbusTemplate(templates, 'sdm120') },
      { meterId: 'm-missing3', address: 3, template: sdm630 },
      { meterId: 'm-sdm630bb', address: 2, template: sdm630 },
    ],
  });
  await waitUntil('three rounds passed address 3', () => driver!.status().bad >= 3 && readingsOf('m-sdm630bb').length >= 3);

  assert.equal(problems, [`no answer from address 3 (SDM630) on ${pty.paths[0]}: check A/B wiring, address and baud rate (template: 9600 8N1)`]);
  assert.is(driver!.latest('m-missing3'), null);
  assert.ok(readingsOf('m-sdm120aa').length >= 3, 'the meter before the silent one is read every round');
  assert.ok(readingsOf('m-sdm630bb').length >= 3, 'the meter after the silent one is read every round');
  assert.is(driver!.status().lastError, problems[0]);
  assert.is(driver!.status().connected, true, 'the bus answers even though one meter does not');

  // Once the meter is wired up, it is read and the recovery is reported.
  slave.addMeter(3, simulatedSdm630({ importKWh: 30, exportKWh: 0, powerW: 300, serial: 3 }));
  await waitUntil('address 3 was read', () => driver!.latest('m-missing3') !== null);
  assert.equal({ ...driver!.latest('m-missing3')!, t: 0 }, { t: 0, importWh: 30_000, exportWh: 0, powerW: 300, serial: '3' });
  assert.match(problems.at(-1)!, /^address 3 \(SDM630\) on \/dev\/pts\/\d+ reads normally again after \d+ failed poll\(s\)$/);
  assert.is(driver!.status().lastError, problems[0], 'lastError stays the last thing that went wrong');
});

test('an answer with a corrupt CRC is skipped and reported; the other meter is still read', async () => {
  slave.addMeter(1, simulatedSdm120({ importKWh: 10, exportKWh: 0, powerW: 5, serial: 1 }));
  const sdm630 = slave.addMeter(2, simulatedSdm630({ importKWh: 20, exportKWh: 1, powerW: 50, serial: 2 }));
  await start();
  await waitUntil('address 2 was read once', () => readingsOf('m-sdm630bb').length >= 1);
  const good = driver!.latest('m-sdm630bb');

  sdm630.behaviour = 'corrupt-crc';
  setWords(sdm630.input, 0x0048, floatWords(999_999)); // would be read if CRC errors were ignored
  await waitUntil('the first corrupt answer', () => problems.some((p) => p.includes('CRC')));
  const before = readingsOf('m-sdm630bb').length;
  const badBefore = driver!.status().bad;
  const firstReadings = readingsOf('m-sdm120aa').length;
  await waitUntil('two corrupt rounds passed', () => driver!.status().bad >= badBefore + 2 && readingsOf('m-sdm120aa').length >= firstReadings + 2);

  assert.is(readingsOf('m-sdm630bb').length, before, 'no reading from a corrupt answer');
  assert.equal(driver!.latest('m-sdm630bb'), good, 'latest() keeps the last good reading');
  const crc = problems.filter((p) => p.includes('CRC'));
  assert.is(crc.length, 1, 'reported once, not every poll');
  assert.match(crc[0]!, `corrupt answer (CRC error) from address 2 (SDM630) on ${pty.paths[0]}, skipped`);
  assert.match(crc[0]!, /termination/);
  assert.ok(!readings.some((r) => r.reading.importWh === 999_999_000));
});

test('implausible values (NaN, negative energy) are skipped and reported; bad power alone is left out', async () => {
  const meter = slave.addMeter(1, simulatedSdm120({ importKWh: Number.NaN, exportKWh: 0, powerW: 5, serial: 1 }));
  await start({ meters: [{ meterId: 'm-sdm120aa', address: 1, template: findModbusTemplate(templates, 'sdm120') }] });
  await waitUntil('a NaN was seen twice', () => driver!.status().bad >= 2);
  assert.is(driver!.latest('m-sdm120aa'), null);
  assert.is(problems.length, 1);
  assert.match(problems[0]!, `address 1 (SDM120) on ${pty.paths[0]} gave an implausible importWh NaN Wh (input register 0x0048); reading skipped`);

  setWords(meter.input, 0x0048, floatWords(5));
  setWords(meter.input, 0x004a, floatWords(-1));
  await waitUntil('negative export reported', () => problems.length >= 2);
  assert.match(problems[1]!, 'implausible exportWh -1000 Wh (input register 0x004A)');
  assert.is(driver!.latest('m-sdm120aa'), null);

  setWords(meter.input, 0x004a, floatWords(0));
  setWords(meter.input, 0x000c, floatWords(Number.POSITIVE_INFINITY));
  await waitUntil('a reading without power', () => driver!.latest('m-sdm120aa') !== null && driver!.latest('m-sdm120aa')!.powerW === undefined);
  assert.equal({ ...driver!.latest('m-sdm120aa')!, t: 0 }, { t: 0, importWh: 5000, exportWh: 0, serial: '1' });
  assert.match(problems.at(-1)!, 'implausible powerW Infinity W (input register 0x000C); the reading goes without power');
});

test('a register the meter refuses is reported with the model and a hint to run sensor detect', async () => {
  slave.addMeter(1, simulatedSdm120({ importKWh: 10, exportKWh: 0, powerW: 5, serial: 1 }));
  // Configured as an SDM630, but it is an SDM120: it has no 0x0034.
  await start({ meters: [{ meterId: 'm-wrongtpl', address: 1, template: findModbusTemplate(templates, 'sdm630') }] });
  await waitUntil('refusal reported', () => problems.length >= 1);
  assert.match(problems[0]!, `address 1 (SDM630) on ${pty.paths[0]} refused input register 0x0034: Modbus exception 2`);
  assert.match(problems[0]!, '`commonwatt sensor detect`');
  assert.is(driver!.latest('m-wrongtpl'), null);
});

test('a replaced meter (new serial after going silent) is reported, and its readings carry the new serial', async () => {
  const meter = slave.addMeter(2, simulatedSdm630({ importKWh: 5000, exportKWh: 0, powerW: 1, serial: 111 }));
  await start({ meters: [{ meterId: 'm-sdm630bb', address: 2, template: findModbusTemplate(templates, 'sdm630') }] });
  await waitUntil('first reading', () => readingsOf('m-sdm630bb').length >= 1);
  meter.behaviour = 'silent';
  await waitUntil('silence noticed', () => problems.length >= 1);
  slave.addMeter(2, simulatedSdm630({ importKWh: 0.5, exportKWh: 0, powerW: 1, serial: 222 }));
  await waitUntil('new meter read', () => driver!.latest('m-sdm630bb')?.serial === '222');
  assert.is(driver!.latest('m-sdm630bb')!.importWh, 500);
  assert.ok(problems.some((p) => p.includes('now has serial 222 (was 111)')));
});

test('stop() leaves an injected client open, stops polling and clears its timer', async () => {
  slave.addMeter(1, simulatedSdm120({ importKWh: 1, exportKWh: 0, powerW: 5, serial: 1 }));
  const client = await openModbusRtuClient(pty.paths[0], { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 });
  try {
    await start({ client, meters: [{ meterId: 'm-sdm120aa', address: 1, template: findModbusTemplate(templates, 'sdm120') }] });
    await waitUntil('a reading', () => readings.length >= 1);
    await driver!.stop();
    const count = slave.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
    assert.is(slave.requests.length, count, 'no request after stop()');
    assert.is(client.isOpen, true, 'the injected client is not closed');
    assert.is(driver!.status().connected, false);
  } finally {
    await closeModbusClient(client);
  }
});

test('stop() closes the port the driver opened, so another program can use it', async () => {
  slave.addMeter(1, simulatedSdm120({ importKWh: 1, exportKWh: 0, powerW: 5, serial: 1 }));
  await start({ meters: [{ meterId: 'm-sdm120aa', address: 1, template: findModbusTemplate(templates, 'sdm120') }] });
  await waitUntil('a reading', () => readings.length >= 1);
  await driver!.stop();
  // serialport opens with an exclusive lock (TIOCEXCL) by default, so this fails while the driver holds the port.
  const again = await openModbusRtuClient(pty.paths[0], { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 });
  await closeModbusClient(again);
});

test('an unplugged adapter is reported, not fatal, and the port is reopened when it comes back', async () => {
  const temp = await makeTempDir('commonwatt-rs485-');
  const adapter = join(temp.dir, 'ttyRS485');
  const meterSide = join(temp.dir, 'meter');
  let link = await linkedPtyPair(adapter, meterSide);
  let meters = await startModbusSlave(meterSide);
  try {
    meters.addMeter(1, simulatedSdm120({ importKWh: 1, exportKWh: 0, powerW: 5, serial: 1 }));
    await start({ bus: { path: adapter }, meters: [{ meterId: 'm-sdm120aa', address: 1, template: findModbusTemplate(templates, 'sdm120') }] });
    await waitUntil('a reading', () => readings.length >= 1);

    await meters.close();
    await link.close();
    await waitUntil('the loss is noticed', () => problems.some((p) => p.startsWith(`Cannot open ${adapter}`)));
    assert.ok(problems.some((p) => p === `${adapter} closed; the RS485 adapter may have been unplugged. Trying to reopen it at every poll.`));
    assert.is(driver!.status().connected, false);
    assert.ok(!existsSync(adapter));

    link = await linkedPtyPair(adapter, meterSide);
    meters = await startModbusSlave(meterSide);
    meters.addMeter(1, simulatedSdm120({ importKWh: 2, exportKWh: 0, powerW: 5, serial: 1 }));
    await waitUntil('read again after replugging', () => driver!.latest('m-sdm120aa')?.importWh === 2000);
    assert.ok(problems.includes(`${adapter} is open again`));
    assert.is(driver!.status().connected, true);
    assert.is(problems.filter((p) => p.startsWith(`Cannot open ${adapter}`)).length, 1, 'reopen failures are reported once');
  } finally {
    await driver?.stop();
    driver = null;
    await meters.close();
    await link.close();
    await temp.remove();
  }
});

test('start() names the port and the fix when the adapter is missing', async () => {
  const templateA = findModbusTemplate(templates, 'sdm120');
  driver = createModbusDriver({
    bus: { path: '/dev/ttyUSB-none', baudRate: 9600 },
    meters: [{ meterId: 'm-sdm120aa', address: 1, template: templateA }],
    clock: { now: () => T0 },
    pollIntervalMs: POLL_MS,
  });
  try {
    await driver.start();
    assert.unreachable('should not open');
  } catch (error) {
    assert.match((error as Error).message, 'Cannot open /dev/ttyUSB-none for Modbus (9600 8N1)');
    assert.match((error as Error).message, 'RS485 adapter is plugged in');
  }
});

test('settings that clash across meters are all listed before anything opens', () => {
  const sdm120 = findModbusTemplate(templates, 'sdm120');
  const sdm630 = findModbusTemplate(templates, 'sdm630');
  try {
    createModbusDriver({
      bus: { path: '/dev/ttyUSB0' },
      meters: [
        { meterId: 'm-aaaaaaaa', address: 1, template: sdm120 },
        { meterId: 'm-bbbbbbbb', address: 1, template: sdm630 },
        { meterId: 'm-aaaaaaaa', address: 300, template: sdm630 },
      ],
      clock: { now: () => T0 },
      pollIntervalMs: 0,
    });
    assert.unreachable('should throw');
  } catch (error) {
    const message = (error as Error).message;
    assert.match(message, 'Invalid Modbus settings for /dev/ttyUSB0:');
    assert.match(message, 'meters.1.address: address 1 is already used by m-aaaaaaaa');
    assert.match(message, 'meters.2.meterId: m-aaaaaaaa is listed twice');
    assert.match(message, 'meters.2.address: must be a Modbus address 1–247 (got 300)');
    assert.match(message, 'pollIntervalMs: must be > 0 milliseconds (got 0)');
    assert.match(message, "bus.baudRate: the meters' factory settings differ (SDM120: 2400, SDM630: 9600)");
  }
});

test.run();
