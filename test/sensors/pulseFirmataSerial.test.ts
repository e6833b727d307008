import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DriverReading } from '../../sensors/drivers/meterDriver.js';
import { FirmataOpenError, openFirmataBoard, probeFirmata, closeFirmataBoard } from '../../sensors/drivers/s0/openFirmataBoard.js';
import { createPulseDriver } from '../../sensors/drivers/s0/pulseDriver.js';
import { openSocatPtyPair } from '../helpers/socatPtyPair.js';
import { StandardFirmataPeer } from '../helpers/standardFirmataPeer.js';
import { makeTempDir } from '../helpers/tempDir.js';

/**
 * openFirmataBoard over real serial lines (socat ptys), with serialport 13 and
 * firmata-io running for real. The far end is either silent or a scripted
 * StandardFirmata (test/helpers/standardFirmataPeer.ts); a real Arduino, its
 * DTR reset and a real unplug are not covered here.
 */
const test = suite('s0 over a real serial line: openFirmataBoard, probeFirmata, the driver on firmata-io');
const hasSocat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
const withSocat = hasSocat ? test : test.skip;
if (!hasSocat) console.warn('socat is not installed (apt-get install socat): serial-line tests skipped');

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error as FirmataOpenError,
  );

async function until(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('a port that is not there: the error names the port and what to check', async () => {
  const error = await failureOf(openFirmataBoard('/dev/ttyACM-not-there', { timeoutMs: 1_000 }));
  assert.instance(error, FirmataOpenError);
  assert.is(error!.code, 'PORT_UNAVAILABLE');
  assert.match(error!.message, /^cannot open \/dev\/ttyACM-not-there: there is no such serial port\. Is the Arduino plugged in\?/);
  assert.instance(await failureOf(probeFirmata('/dev/ttyACM-not-there', 1_000)), FirmataOpenError, 'probe: a missing port is not "no Firmata"');
});

withSocat('a port where nothing answers: "no StandardFirmata answer" after the timeout, and probe says null', async () => {
  const pair = await openSocatPtyPair();
  try {
    const path = pair.paths[1];
    const started = Date.now();
    const error = await failureOf(openFirmataBoard(path, { timeoutMs: 300 }));
    assert.ok(Date.now() - started >= 290);
    assert.is(error?.code, 'NO_FIRMATA_ANSWER');
    assert.is(error?.message, `no StandardFirmata answer on ${path} within 300 ms: is StandardFirmata flashed? (see sensors/README.md)`);
    assert.is(await probeFirmata(path, 300), null);
  } finally {
    await pair.close();
  }
});

withSocat('StandardFirmata on the far end: open resolves when ready, probe names the firmware and version', async () => {
  const pair = await openSocatPtyPair();
  const peer = await StandardFirmataPeer.open(pair.paths[0]);
  try {
    const probing = probeFirmata(pair.paths[1], 2_000);
    setTimeout(() => peer.boot(), 50); // as an Uno announces itself after the reset that opening its port causes
    assert.equal(await probing, { firmware: 'StandardFirmata', version: '2.5' });

    const opening = openFirmataBoard(pair.paths[1], { timeoutMs: 2_000 });
    setTimeout(() => peer.boot(), 50);
    const board = await opening;
    assert.is(board.isReady, true);
    assert.is(board.pins.length, 20);
    assert.ok(board.pins[2]!.supportedModes.includes(board.MODES.PULLUP));
    await closeFirmataBoard(board);
  } finally {
    await peer.close();
    await pair.close();
  }
});

withSocat('the driver on firmata-io: PULLUP pulses counted, a reset is a new session, a dead line is noticed', async () => {
  const pair = await openSocatPtyPair();
  const peer = await StandardFirmataPeer.open(pair.paths[0]);
  const { dir, remove } = await makeTempDir();
  const problems: string[] = [];
  const readings: DriverReading[] = [];
  const driver = createPulseDriver({
    meters: [{ meterId: 'm1', pin: 2, impulsesPerKWh: 1000, register: 'importWh' }],
    stateFile: join(dir, 's0-counts.json'),
    clock: { now: () => Date.now() },
    boardPath: pair.paths[1],
    connect: () => {
      const opening = openFirmataBoard(pair.paths[1], { timeoutMs: 1_000 });
      setTimeout(() => peer.boot(), 50); // as an Uno announces itself after the reset that opening its port causes
      return opening;
    },
    heartbeatMs: 100,
    heartbeatTimeoutMs: 200,
    reconnectDelaysMs: [100],
  });
  driver.on('problem', (message: string) => problems.push(message));
  driver.on('reading', (_meterId: string, reading: DriverReading) => readings.push(reading));
  try {
    await driver.start();
    assert.equal(driver.status(), { connected: true, firmware: 'StandardFirmata 2.5', good: 0, bad: 0, lastError: null });
    await until(() => peer.modeOf(2) === 0x0b, 'pin 2 set to PULLUP');

    // S0 between pin 2 and GND: idle high, each pulse pulls the pin low for 35 ms.
    const pulse = async () => {
      peer.level(2, 0);
      await sleep(35);
      peer.level(2, 1);
      await sleep(35);
    };
    for (let i = 0; i < 5; i++) await pulse();
    await until(() => driver.latest('m1')?.importWh === 5, '5 pulses counted');
    const firstSerial = driver.latest('m1')!.serial;

    peer.boot(); // reset button: StandardFirmata starts again with every pin an output
    await until(() => problems.some((p) => p.includes('restarted')), 'the reset noticed');
    await until(() => peer.modeOf(2) === 0x0b, 'pin 2 set up again');
    assert.is.not(driver.latest('m1')!.serial, firstSerial);
    for (let i = 0; i < 3; i++) await pulse();
    await until(() => driver.latest('m1')?.importWh === 8, '3 more pulses counted once each');
    assert.is(readings.filter((r) => r.powerW !== undefined).length, 6, 'power from the 2nd pulse of each session on');

    // The line goes dead. A pty reports no hang-up by itself; the heartbeat's
    // query fails to write (serialport closes the port) or goes unanswered.
    await pair.close();
    await until(() => !driver.status().connected, 'the dead line noticed', 2_000);
    assert.match(driver.status().lastError!, /(was unplugged or its port was closed|stopped answering .*): check the USB cable; reconnecting every 100 ms$/);
    await until(() => problems.some((p) => p.includes('there is no such serial port')), 'the failed reconnect reported');
    assert.is(driver.latest('m1')?.importWh, 8);
  } finally {
    await driver.stop();
    await peer.close();
    await pair.close();
    await remove();
  }
});

test.run();
