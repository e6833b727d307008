import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPort } from 'serialport';
import type { DriverReading, MeterDriver } from '../../sensors/drivers/meterDriver.js';
import { createDsmrDriver } from '../../sensors/drivers/dsmr/dsmrDriver.js';
import { dsmrSerialSettings } from '../../sensors/drivers/dsmr/dsmrSerialSettings.js';
import { probeDsmr } from '../../sensors/drivers/dsmr/probeDsmr.js';
import { flipOneBit, readP1Fixture } from '../helpers/p1Fixtures.js';
import { openSocatPtyPair, type PtyPair } from '../helpers/socatPtyPair.js';

const test = suite('DSMR driver on a real pty: telegrams become readings, damaged bytes are counted and never read');

const v22 = readP1Fixture('v2.2-iskra-mt382');
const v42 = readP1Fixture('v4.2-kaifa');
const v5 = readP1Fixture('v5-iskra-mt382');
const T0 = 1763806500000;
const METER = 'm-p1-test';

/** The README table (fixtures/README.md). */
const registers = {
  v22: { importWh: 2002, exportWh: 2002, powerW: 1010, serial: '00000000000000' },
  v42: { importWh: 3016829, exportWh: 0, powerW: 2027, serial: '3960221976967177082151037881335713' },
  v5: { importWh: 6825, exportWh: 2444, powerW: 244, serial: '4B384547303034303436333935353037' },
};

interface Rig {
  driver: MeterDriver;
  driverPort: SerialPort;
  meterPort: SerialPort;
  readings: DriverReading[];
  problems: string[];
  /** Writes bytes at the meter's end of the pty pair and waits until they are written. */
  send(bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

interface LineSettings {
  baudRate: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1;
}

async function openPort(path: string, settings: LineSettings = { baudRate: 115200 }): Promise<SerialPort> {
  const port = new SerialPort({ path, ...settings, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

async function closePort(port: SerialPort): Promise<void> {
  if (!port.isOpen) return;
  await new Promise<void>((resolve) => port.close(() => resolve()));
}

/** socat pty pair; the driver reads one end, the test plays the meter on the other. Each reading's t comes from a clock stepping 1 s. */
async function rig(): Promise<Rig> {
  const pair: PtyPair = await openSocatPtyPair();
  const driverPort = await openPort(pair.paths[0]);
  const meterPort = await openPort(pair.paths[1]);
  let now = T0;
  const driver = createDsmrDriver({ meterId: METER, port: driverPort, clock: { now: () => (now += 1000) } });
  const readings: DriverReading[] = [];
  const problems: string[] = [];
  driver.on('reading', (meterId: string, reading: DriverReading) => {
    assert.is(meterId, METER);
    readings.push(reading);
  });
  driver.on('problem', (message: string) => problems.push(message));
  await driver.start();
  return {
    driver,
    driverPort,
    meterPort,
    readings,
    problems,
    send: (bytes) =>
      new Promise<void>((resolve, reject) => {
        meterPort.write(bytes, (err) => (err ? reject(err) : meterPort.drain((e) => (e ? reject(e) : resolve()))));
      }),
    async close() {
      await driver.stop();
      await closePort(meterPort);
      await closePort(driverPort);
      await pair.close();
    },
  };
}

async function until(what: string, condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Readings as the hub would get them: exactly these keys, integer registers, nothing else. */
function expectReadings(actual: DriverReading[], expected: Array<Omit<DriverReading, 't'>>): void {
  assert.equal(
    actual.map(({ t, ...rest }) => rest),
    expected,
  );
  for (const reading of actual) {
    assert.equal(Object.keys(reading).sort(), ['exportWh', 'importWh', 'powerW', 'serial', 't']);
    assert.ok(Number.isSafeInteger(reading.t) && Number.isSafeInteger(reading.importWh) && Number.isSafeInteger(reading.exportWh) && Number.isSafeInteger(reading.powerW));
  }
}

/**
 * What a UART set to the wrong baud rate or parity hands over: every byte
 * garbled, deterministically, with the high bit set (so never '/' or '!').
 */
function garble(bytes: Buffer): Buffer {
  return Buffer.from(bytes.map((byte, i) => 0x80 | ((byte * 73 + i * 29) & 0x7f)));
}

test('the three real telegrams written one by one arrive as readings with the README registers', async () => {
  const r = await rig();
  try {
    for (const [fixture, count] of [[v22, 1], [v42, 2], [v5, 3]] as const) {
      await r.send(fixture);
      await until(`reading ${count}`, () => r.readings.length === count);
    }
    expectReadings(r.readings, [registers.v22, registers.v42, registers.v5]);
    assert.equal(r.readings.map((reading) => reading.t), [T0 + 1000, T0 + 2000, T0 + 3000]);
    assert.equal(r.driver.latest(METER), r.readings[2]);
    assert.equal(r.driver.status(), { connected: true, firmware: 'DSMR 5.0', good: 3, bad: 0, lastError: null });
    assert.equal(r.problems, []);
  } finally {
    await r.close();
  }
});

test('several telegrams in one write arrive as separate readings, in order', async () => {
  const r = await rig();
  try {
    await r.send(Buffer.concat([v5, v42, v22, v5]));
    await until('four readings', () => r.readings.length === 4);
    expectReadings(r.readings, [registers.v5, registers.v42, registers.v22, registers.v5]);
    assert.is(r.driver.status().bad, 0);
  } finally {
    await r.close();
  }
});

test('a telegram split across many small writes is read once, whole', async () => {
  const r = await rig();
  let chunks = 0;
  const countChunk = (): void => {
    chunks += 1;
  };
  r.driverPort.on('data', countChunk);
  try {
    for (let at = 0, size = 1; at < v42.length; at += size, size = (size % 7) + 1) {
      await r.send(v42.subarray(at, at + size));
      await sleep(1);
    }
    await until('the reading', () => r.readings.length === 1);
    assert.ok(chunks > 50, `the driver saw the telegram in ${chunks} pieces`);
    expectReadings(r.readings, [registers.v42]);
    assert.is(r.driver.status().bad, 0);
  } finally {
    r.driverPort.off('data', countChunk);
    await r.close();
  }
});

test('one flipped byte: counted bad, reported with the port path and both CRCs, no reading; the next telegram is read', async () => {
  const r = await rig();
  try {
    const corrupt = flipOneBit(v42, v42.indexOf('001581.123') + 3); // '5' becomes '4'
    await r.send(corrupt);
    await r.send(v5);
    await until('the good reading', () => r.readings.length === 1);
    expectReadings(r.readings, [registers.v5]);
    assert.is(r.driver.status().bad, 1);
    assert.is(r.problems.length, 1);
    assert.match(r.problems[0]!, `P1 port ${r.driverPort.path}`);
    assert.match(r.problems[0]!, /CRC mismatch: telegram says 6796, computed [0-9A-F]{4} \(corrupt bytes on the P1 line\)/);
    assert.is(r.driver.status().lastError, r.problems[0]);
  } finally {
    await r.close();
  }
});

test('a truncated telegram followed by a good one: the first is counted bad, the second read (DSMR 5 and 2.2)', async () => {
  const r = await rig();
  try {
    await r.send(v5.subarray(0, 400));
    await r.send(v42);
    await r.send(v22.subarray(0, 200));
    await r.send(v22);
    await until('two readings', () => r.readings.length === 2);
    expectReadings(r.readings, [registers.v42, registers.v22]);
    assert.is(r.driver.status().bad, 2);
    assert.ok(r.problems.every((p) => p.includes('telegram truncated')), r.problems.join('\n'));
  } finally {
    await r.close();
  }
});

test('garbage bytes between telegrams are counted bad once per run and never reach a reading', async () => {
  const r = await rig();
  try {
    await r.send(v5);
    await r.send(Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x37, 0x80, 0x7f, 0x0d, 0x0a, 0x42]));
    await r.send(Buffer.from('more noise\r\n', 'latin1'));
    await r.send(v42);
    // Noise that happens to hold a '/' and a line-start '!': framed, then refused as non-ASCII.
    await r.send(Buffer.from([0xfe, 0x2f, 0x01, 0x0d, 0x0a, 0x21, 0x0d, 0x0a]));
    await r.send(v22);
    await until('three readings', () => r.readings.length === 3);
    expectReadings(r.readings, [registers.v5, registers.v42, registers.v22]);
    assert.is(r.driver.status().bad, 3);
    assert.match(r.problems[0]!, 'bytes outside any telegram (starting 00 ff fe 13');
  } finally {
    await r.close();
  }
});

test('wrong baud rate or parity: garbled telegrams give no reading and one problem with the fix; once right, the next telegram is read', async () => {
  const r = await rig();
  try {
    await r.send(garble(v42));
    await r.send(garble(v5));
    await r.send(garble(v22));
    await until('the problem', () => r.problems.length === 1);
    await sleep(50);
    assert.is(r.readings.length, 0);
    assert.is(r.driver.latest(METER), null);
    assert.is(r.driver.status().bad, 1);
    assert.match(r.problems[0]!, '115200 8N1');
    assert.match(r.problems[0]!, '9600 7E1');
    assert.match(r.problems[0]!, 'inverts the signal');
    await r.send(v5);
    await until('the reading', () => r.readings.length === 1);
    expectReadings(r.readings, [registers.v5]);
    assert.is(r.driver.status().bad, 1);
  } finally {
    await r.close();
  }
});

test('probeDsmr on a pty tells version, serial and CRC state of the meter that is talking', async () => {
  const r = await rig();
  await r.driver.stop();
  try {
    const probing = probeDsmr(r.driverPort, 2000);
    await r.send(garble(v5));
    await r.send(v42);
    assert.equal(await probing, { version: 'DSMR 4.2', serial: registers.v42.serial, crcOk: true });
    assert.is(r.driverPort.listenerCount('data'), 0);
  } finally {
    await r.close();
  }
});

test('the serial settings objects are valid SerialPort options: both open a real pty at their baud rate', async () => {
  // A pty keeps the speed but ignores data bits and parity, so only the speed can be read back here.
  const pair = await openSocatPtyPair();
  const ends = [
    [pair.paths[0], dsmrSerialSettings['4/5']],
    [pair.paths[1], dsmrSerialSettings['2.2/3']],
  ] as const;
  const ports: SerialPort[] = [];
  try {
    for (const [path, settings] of ends) ports.push(await openPort(path, settings));
    for (const [path, settings] of ends) {
      assert.match(execFileSync('stty', ['-F', path], { encoding: 'utf8' }), `speed ${settings.baudRate} baud`);
    }
  } finally {
    for (const port of ports) await closePort(port);
    await pair.close();
  }
});

test.run();
