import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPortMock } from 'serialport';
import type { DriverReading, MeterDriver } from '../../sensors/drivers/meterDriver.js';
import { createDsmrDriver } from '../../sensors/drivers/dsmr/dsmrDriver.js';
import { probeDsmr } from '../../sensors/drivers/dsmr/probeDsmr.js';
import { flipOneBit, readP1Fixture } from '../helpers/p1Fixtures.js';

const test = suite('DSMR driver on SerialPortMock: silence is reported with the fix, stop() gives everything back, probing');

const v22 = readP1Fixture('v2.2-iskra-mt382');
const v42 = readP1Fixture('v4.2-kaifa');
const v5 = readP1Fixture('v5-iskra-mt382');
const PATH = '/dev/ttyP1-mock';
const METER = 'm-p1-mock';
const TIMEOUT_MS = 60;
const v5Registers = { importWh: 6825, exportWh: 2444, powerW: 244, serial: '4B384547303034303436333935353037' };

interface Rig {
  port: SerialPortMock;
  driver: MeterDriver;
  readings: DriverReading[];
  problems: string[];
  /** The meter sends these bytes. */
  meterSends(bytes: Buffer): void;
  close(): Promise<void>;
}

async function openMockPort(): Promise<SerialPortMock> {
  SerialPortMock.binding.createPort(PATH);
  const port = new SerialPortMock({ path: PATH, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

async function closeMockPort(port: SerialPortMock): Promise<void> {
  if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  SerialPortMock.binding.reset();
}

async function rig(noTelegramTimeoutMs = TIMEOUT_MS): Promise<Rig> {
  const port = await openMockPort();
  const driver = createDsmrDriver({ meterId: METER, port, clock: { now: () => 1763806500000 }, noTelegramTimeoutMs });
  const readings: DriverReading[] = [];
  const problems: string[] = [];
  driver.on('reading', (_meterId: string, reading: DriverReading) => readings.push(reading));
  driver.on('problem', (message: string) => problems.push(message));
  await driver.start();
  return {
    port,
    driver,
    readings,
    problems,
    meterSends: (bytes) => port.port!.emitData(bytes),
    async close() {
      await driver.stop();
      await closeMockPort(port);
    },
  };
}

async function until(what: string, condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('no byte at all: after the timeout one problem names the port and says to enable the P1 port and check the cable', async () => {
  const r = await rig();
  try {
    await sleep(TIMEOUT_MS * 3);
    assert.is(r.problems.length, 1, 'reported once, not every timeout');
    const [problem] = r.problems;
    assert.match(problem!, `P1 port ${PATH}: no valid telegram within 0.1 s of start, and no bytes at all arrived`);
    assert.match(problem!, 'P1 port is enabled');
    assert.match(problem!, 'RTS');
    assert.equal(r.driver.status(), { connected: false, firmware: null, good: 0, bad: 0, lastError: problem! });
  } finally {
    await r.close();
  }
});

test('bytes but no valid telegram: the timeout problem points at baud rate, parity and an inverting cable', async () => {
  const r = await rig();
  try {
    r.meterSends(Buffer.from(v5.map((byte) => byte ^ 0xff))); // what a non-inverting cable delivers, at best
    await until('the timeout problem', () => r.problems.length === 2);
    assert.match(r.problems[1]!, `although ${v5.length} bytes arrived (1 skipped so far)`);
    assert.match(r.problems[1]!, 'DSMR 4/5: 115200 8N1; DSMR 2.2/3: 9600 7E1');
    assert.match(r.problems[1]!, 'inverts the signal');
    assert.is(r.readings.length, 0);
  } finally {
    await r.close();
  }
});

test('silence after good telegrams is reported once; the next good telegram reconnects and re-arms the watchdog', async () => {
  const r = await rig();
  try {
    r.meterSends(v5);
    await until('a reading', () => r.readings.length === 1);
    assert.equal(r.driver.status(), { connected: true, firmware: 'DSMR 5.0', good: 1, bad: 0, lastError: null });
    await until('the silence problem', () => r.problems.length === 1);
    assert.match(r.problems[0]!, 'no valid telegram for 0.1 s (there were some before)');
    assert.is(r.driver.status().connected, false);
    r.meterSends(v42);
    await until('a second reading', () => r.readings.length === 2);
    assert.is(r.driver.status().connected, true);
    assert.is(r.driver.status().firmware, 'DSMR 4.2');
    await until('a second silence problem', () => r.problems.length === 2);
  } finally {
    await r.close();
  }
});

test('stop() removes its listeners and timer and leaves the injected port open', async () => {
  const port = await openMockPort();
  const before = { data: port.listenerCount('data'), error: port.listenerCount('error'), close: port.listenerCount('close') };
  const driver = createDsmrDriver({ meterId: METER, port, clock: { now: () => 1 }, noTelegramTimeoutMs: TIMEOUT_MS });
  const events: string[] = [];
  driver.on('reading', () => events.push('reading'));
  driver.on('problem', () => events.push('problem'));
  try {
    await driver.start();
    assert.is(port.listenerCount('data'), before.data + 1);
    await driver.stop();
    assert.equal({ data: port.listenerCount('data'), error: port.listenerCount('error'), close: port.listenerCount('close') }, before);
    port.port!.emitData(v5);
    await sleep(TIMEOUT_MS * 2);
    assert.equal(events, [], 'no reading from bytes after stop, no silence problem from a leftover timer');
    assert.ok(port.isOpen);
    await driver.start();
    port.port!.emitData(v22);
    await until('a reading after a restart', () => events.includes('reading'));
    await driver.stop();
  } finally {
    await closeMockPort(port);
  }
});

test('a listener that throws does not stop the driver: reported as a problem, the next telegram is still read', async () => {
  const r = await rig(10_000);
  let calls = 0;
  r.driver.on('reading', () => {
    calls += 1;
    throw new Error('listener broke');
  });
  try {
    r.meterSends(v5);
    await until('the problem', () => r.problems.length === 1);
    assert.match(r.problems[0]!, "a 'reading' listener failed: listener broke");
    r.meterSends(v42);
    await until('the second reading', () => r.readings.length === 2);
    assert.is(calls, 2);
    assert.is(r.driver.status().good, 2);
    assert.is(r.driver.status().bad, 0);
  } finally {
    await r.close();
  }
});

test('a port error or close is reported and marks the driver disconnected', async () => {
  const r = await rig(10_000);
  try {
    r.meterSends(v5);
    await until('a reading', () => r.readings.length === 1);
    r.port.emit('error', new Error('EIO: i/o error'));
    assert.is(r.driver.status().connected, false);
    assert.match(r.problems[0]!, `P1 port ${PATH}: serial error: EIO: i/o error`);
  } finally {
    await r.close();
  }
});

test("a '/' followed by 20 KB without '!' is dropped as one bad telegram, so the buffer stays bounded; the next telegram is read", async () => {
  const r = await rig(10_000);
  try {
    r.meterSends(Buffer.concat([Buffer.from('/XYZ5 start of something\r\n'), Buffer.alloc(20_000, 'A')]));
    await until('the problem', () => r.problems.length === 1);
    assert.match(r.problems[0]!, "telegram truncated: no '!' within 8192 bytes");
    r.meterSends(v5);
    await until('the reading', () => r.readings.length === 1);
    assert.equal(r.readings[0], { t: 1763806500000, ...v5Registers });
    assert.is(r.driver.status().bad, 1, 'the tail of the broken telegram is not counted again');
    r.meterSends(Buffer.concat([Buffer.from('/XYZ5 start of something\r\n1-0:1.8.1(0000'), v42]));
    await until('the second reading', () => r.readings.length === 2);
    assert.match(r.problems[1]!, "telegram truncated: a new telegram ('/KFM5') began before its '!'");
    assert.is(r.driver.status().bad, 2);
  } finally {
    await r.close();
  }
});

test('latest() answers for its own meter only; the driver names itself and its meter', async () => {
  const r = await rig(10_000);
  try {
    assert.is(r.driver.driver, 'dsmr');
    assert.equal(r.driver.meterIds, [METER]);
    assert.is(r.driver.latest(METER), null);
    r.meterSends(v5);
    await until('a reading', () => r.readings.length === 1);
    assert.equal(r.driver.latest(METER), { t: 1763806500000, ...v5Registers });
    assert.is(r.driver.latest('another-meter'), null);
  } finally {
    await r.close();
  }
});

test('options are checked once, every problem named with its value', async () => {
  const port = await openMockPort();
  try {
    assert.throws(
      () => createDsmrDriver({ meterId: '', port, clock: { now: () => 0 }, noTelegramTimeoutMs: -5 }),
      (err: Error) => err.message === 'DSMR driver options: meterId: must be a non-empty string (got ""); noTelegramTimeoutMs: must be a positive number of ms (got -5)',
    );
  } finally {
    await closeMockPort(port);
  }
});

test('probeDsmr: version, serial and CRC of a DSMR 5 meter, resolved at the first good telegram, no listener left', async () => {
  const port = await openMockPort();
  try {
    const started = Date.now();
    const probing = probeDsmr(port, 5000);
    port.port!.emitData(Buffer.concat([Buffer.from('tail of a telegram\r\n!1234\r\n'), v5]));
    assert.equal(await probing, { version: 'DSMR 5.0', serial: v5Registers.serial, crcOk: true });
    assert.ok(Date.now() - started < 1000);
    assert.is(port.listenerCount('data'), 0);
  } finally {
    await closeMockPort(port);
  }
});

test('probeDsmr: a DSMR 2.2 meter has no CRC to check (crcOk null)', async () => {
  const port = await openMockPort();
  try {
    const probing = probeDsmr(port, 5000);
    port.port!.emitData(v22);
    assert.equal(await probing, { version: 'DSMR 2.2/3', serial: '00000000000000', crcOk: null });
  } finally {
    await closeMockPort(port);
  }
});

test('probeDsmr: only corrupt telegrams give crcOk false at the timeout; silence gives null', async () => {
  const port = await openMockPort();
  try {
    const corrupt = flipOneBit(v42, v42.indexOf('001581.123') + 3); // '5' becomes '4'
    const probing = probeDsmr(port, TIMEOUT_MS);
    port.port!.emitData(corrupt);
    assert.equal(await probing, { version: 'DSMR 4.2', serial: '3960221976967177082151037881335713', crcOk: false });
    assert.is(await probeDsmr(port, TIMEOUT_MS), null);
    assert.is(port.listenerCount('data'), 0);
  } finally {
    await closeMockPort(port);
  }
});

test.run();
