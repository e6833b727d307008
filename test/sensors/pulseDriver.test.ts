import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import five from 'johnny-five';
import type { DriverReading, MeterDriver } from '../../sensors/drivers/meterDriver.js';
import { createPulseDriver, type PulseDriverOptions } from '../../sensors/drivers/s0/pulseDriver.js';
import { FakeFirmataBoard, sendPulses } from '../helpers/fakeFirmataBoard.js';
import { manualClock, type ManualClock } from '../helpers/manualClock.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('s0 pulse driver: exact watt-hours from johnny-five digital reads');

interface Bench {
  driver: MeterDriver;
  clock: ManualClock;
  /** Every board `connect` handed out, newest last. */
  boards: FakeFirmataBoard[];
  /** Messages for the next `connect` calls to fail with, in order. */
  failures: string[];
  connectCalls: () => number;
  problems: string[];
  readings: Array<{ meterId: string; reading: DriverReading }>;
  stateFile: string;
  dir: string;
  close(): Promise<void>;
}

type Meters = PulseDriverOptions['meters'];

/** Benches still open: closed after each test, so a failed assertion cannot leave a driver retrying forever. */
const openBenches = new Set<Bench>();
test.after.each(async () => {
  for (const bench of openBenches) await bench.close();
});

async function openBench(meters: Meters, options: Partial<PulseDriverOptions> & { dir?: string; clock?: ManualClock } = {}): Promise<Bench> {
  const temp = options.dir ? null : await makeTempDir();
  const dir = options.dir ?? temp!.dir;
  const clock = options.clock ?? manualClock();
  const boards: FakeFirmataBoard[] = [];
  const failures: string[] = [];
  let calls = 0;
  const stateFile = join(dir, 's0-counts.json');
  const { dir: _dir, clock: _clock, ...driverOptions } = options;
  const driver = createPulseDriver({
    meters,
    stateFile,
    clock,
    connect: async () => {
      calls += 1;
      const failure = failures.shift();
      if (failure) throw new Error(failure);
      const board = new FakeFirmataBoard('/dev/ttyACM0').becomeReady();
      boards.push(board);
      return board;
    },
    reconnectDelaysMs: [10, 20, 30],
    heartbeatMs: 0,
    stateWriteIntervalMs: 50,
    ...driverOptions,
  });
  const problems: string[] = [];
  const readings: Bench['readings'] = [];
  driver.on('problem', (message: string) => problems.push(message));
  driver.on('reading', (meterId: string, reading: DriverReading) => readings.push({ meterId, reading }));
  const bench: Bench = {
    driver,
    clock,
    boards,
    failures,
    connectCalls: () => calls,
    problems,
    readings,
    stateFile,
    dir,
    async close() {
      openBenches.delete(bench);
      await driver.stop();
      await temp?.remove();
    },
  };
  openBenches.add(bench);
  return bench;
}

async function until(condition: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

async function untilAsync(condition: () => Promise<boolean>, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const board = (bench: Bench) => bench.boards[bench.boards.length - 1]!;
const latest = (bench: Bench, meterId: string) => {
  const reading = bench.driver.latest(meterId);
  if (!reading) throw new Error(`no reading for ${meterId}`);
  return reading;
};

test('pulse trains at 1000, 800 and 2000 imp/kWh give exactly the right Wh and power', async () => {
  const bench = await openBench([
    { meterId: 'pv-1000', pin: 2, impulsesPerKWh: 1000, register: 'generationWh' },
    { meterId: 'heat-800', pin: 3, impulsesPerKWh: 800, register: 'consumptionWh', offsetWh: 100_000 },
    { meterId: 'grid-2000', pin: 8, impulsesPerKWh: 2000, register: 'importWh' },
  ]);
  await bench.driver.start();
  const start = bench.clock.now();
  assert.equal(bench.driver.status(), { connected: true, firmware: 'StandardFirmata 2.5', good: 0, bad: 0, lastError: null });
  assert.equal(latest(bench, 'pv-1000'), { t: start, generationWh: 0, serial: `s0-2-${start}` }, 'a session with no pulses yet: the baseline');

  sendPulses(board(bench), bench.clock, { pin: 2, pulses: 2500, periodMs: 1000 });
  assert.equal(latest(bench, 'pv-1000'), { t: bench.clock.now(), generationWh: 2500, powerW: 3600, serial: `s0-2-${start}` });

  sendPulses(board(bench), bench.clock, { pin: 3, pulses: 1001, periodMs: 2000 });
  assert.is(latest(bench, 'heat-800').consumptionWh, 100_000 + 1251, '1001 pulses = 1251.25 Wh, floored');
  assert.is(latest(bench, 'heat-800').powerW, 2250);
  sendPulses(board(bench), bench.clock, { pin: 3, pulses: 3, periodMs: 2000 });
  assert.is(latest(bench, 'heat-800').consumptionWh, 100_000 + 1255, 'the quarter watt-hours were kept in the count');

  sendPulses(board(bench), bench.clock, { pin: 8, pulses: 4001, periodMs: 500 });
  assert.is(latest(bench, 'grid-2000').importWh, 2000);
  assert.is(latest(bench, 'grid-2000').powerW, 3600);
  sendPulses(board(bench), bench.clock, { pin: 8, pulses: 1, periodMs: 500 });
  assert.is(latest(bench, 'grid-2000').importWh, 2001);

  assert.is(latest(bench, 'pv-1000').generationWh, 2500, 'other meters on the board unaffected');
  assert.equal(Object.keys(latest(bench, 'grid-2000')).sort(), ['importWh', 'powerW', 'serial', 't']);
  assert.is(bench.driver.status().good, 2500 + 1004 + 4002);
  assert.is(bench.readings.length, 2500 + 1004 + 4002, 'one reading event per counted pulse');
  assert.is(board(bench).pinModes.get(2), board(bench).MODES.INPUT, 'INPUT where the board offers no PULLUP');
  await bench.close();
});

test('60 kW at 1000 imp/kWh (a pulse every 60 ms) is counted in full', async () => {
  const bench = await openBench([{ meterId: 'm1', pin: 2, impulsesPerKWh: 1000, register: 'importWh' }]);
  await bench.driver.start();
  sendPulses(board(bench), bench.clock, { pin: 2, pulses: 1000, periodMs: 60 });
  assert.is(latest(bench, 'm1').importWh, 1000);
  assert.is(latest(bench, 'm1').powerW, 60_000);
  assert.is(bench.driver.status().bad, 0);
  await bench.close();
});

test('bouncing edges (several toggles within 2 ms) are counted once', async () => {
  const bench = await openBench([{ meterId: 'm1', pin: 2, impulsesPerKWh: 1000, register: 'importWh' }]);
  await bench.driver.start();
  const io = board(bench);
  for (let k = 0; k < 100; k++) {
    for (const level of [1, 0, 1, 0, 1] as const) {
      io.level(2, level);
      bench.clock.advance(0.5);
    }
    bench.clock.advance(28);
    for (const level of [0, 1, 0, 1, 0] as const) {
      io.level(2, level);
      bench.clock.advance(0.4);
    }
    bench.clock.advance(200);
  }
  assert.is(latest(bench, 'm1').importWh, 100);
  assert.is(bench.driver.status().good, 100);
  assert.is(bench.driver.status().bad, 400, 'bounces show as bad edges');
  await bench.close();
});

test('a pulse on one meter is not counted on its neighbour on the same Firmata port', async () => {
  const bench = await openBench([
    { meterId: 'a', pin: 2, impulsesPerKWh: 1000, register: 'importWh' },
    { meterId: 'b', pin: 3, impulsesPerKWh: 1000, register: 'generationWh' },
  ]);
  await bench.driver.start();
  const io = board(bench);
  for (let k = 0; k < 50; k++) {
    io.level(2, 1);
    bench.clock.advance(10);
    if (k % 2 === 0) io.level(3, 1);
    bench.clock.advance(25);
    io.level(2, 0);
    bench.clock.advance(10);
    if (k % 2 === 0) io.level(3, 0);
    bench.clock.advance(100);
  }
  assert.is(latest(bench, 'a').importWh, 50);
  assert.is(latest(bench, 'b').generationWh, 25);
  await bench.close();
});

test('power falls towards 0 when the pulses stop (sunset), bounded by the wait since the last pulse', async () => {
  const bench = await openBench([{ meterId: 'm1', pin: 2, impulsesPerKWh: 1000, register: 'generationWh' }]);
  await bench.driver.start();
  sendPulses(board(bench), bench.clock, { pin: 2, pulses: 10, periodMs: 1000 });
  assert.is(latest(bench, 'm1').powerW, 3600);
  bench.clock.advance(9_000);
  assert.is(latest(bench, 'm1').powerW, 360, 'no pulse for 10 s at 1000 imp/kWh: at most 360 W');
  await bench.close();
});

test('unplugged board: connected=false in plain words, nothing invented, counting goes on under a new serial after reconnecting', async () => {
  const bench = await openBench([{ meterId: 'm1', pin: 2, impulsesPerKWh: 1000, register: 'importWh' }]);
  await bench.driver.start();
  const first = board(bench);
  sendPulses(first, bench.clock, { pin: 2, pulses: 10, periodMs: 1000 });
  const before = latest(bench, 'm1');
  assert.is(before.importWh, 10);

  bench.failures.push('cannot open /dev/ttyACM0: there is no such serial port. Is the Arduino plugged in?');
  const unpluggedAt = bench.clock.advance(500);
  first.unplug();
  const status = bench.driver.status();
  assert.is(status.connected, false);
  assert.is(status.lastError, 'board on /dev/ttyACM0 was unplugged or its port was closed: check the USB cable; reconnecting every 30 ms');
  assert.ok(bench.problems.includes(status.lastError!), "reported as a 'problem'");
  assert.equal(latest(bench, 'm1'), { t: unpluggedAt, importWh: 10, serial: before.serial }, 'while away: the last known count, when it was known');
  const last = bench.readings[bench.readings.length - 1]!;
  assert.equal(last.reading, { t: unpluggedAt, importWh: 10, serial: before.serial }, 'the last reading of the session is emitted');

  // The meter keeps pulsing while nobody listens; a stray report on the dead io is ignored.
  sendPulses(first, bench.clock, { pin: 2, pulses: 5, periodMs: 1000 });
  assert.is(bench.driver.latest('m1')?.importWh, 10);

  await until(() => bench.driver.status().connected, 'the reconnect');
  assert.is(bench.connectCalls(), 3, 'first open, one failed attempt, then success');
  assert.ok(
    bench.problems.some((p) => p.startsWith('cannot open /dev/ttyACM0: there is no such serial port') && p.endsWith('trying again every 30 ms')),
    bench.problems.join('\n'),
  );
  assert.match(bench.problems[bench.problems.length - 1]!, /^board on \/dev\/ttyACM0 answers again \(StandardFirmata 2\.5\); counting resumed as a new session/);
  const after = latest(bench, 'm1');
  assert.is(after.importWh, 10, 'no pulses invented for the time away');
  assert.is.not(after.serial, before.serial, 'a new session: the hub starts a new baseline');
  assert.is(after.powerW, undefined, 'no power figure across the gap');
  sendPulses(board(bench), bench.clock, { pin: 2, pulses: 5, periodMs: 1000 });
  assert.is(latest(bench, 'm1').importWh, 15);
  assert.is(latest(bench, 'm1').powerW, 3600);
  await bench.close();
});

test('board reset mid-count (StandardFirmata boots again on the open port): new serial, pins set up again, each pulse once', async () => {
  const bench = await openBench([{ meterId: 'm1', pin: 2, impulsesPerKWh: 1000, register: 'importWh' }]);
  await bench.driver.start();
  const io = board(bench);
  sendPulses(io, bench.clock, { pin: 2, pulses: 10, periodMs: 1000 });
  const before = latest(bench, 'm1');
  bench.clock.advance(2_000);
  io.restart();
  assert.match(bench.problems[bench.problems.length - 1]!, /^board on \/dev\/ttyACM0 restarted .*counting goes on as a new session/);
  assert.is(bench.driver.status().connected, true);
  const after = latest(bench, 'm1');
  assert.is(after.importWh, 10);
  assert.is.not(after.serial, before.serial);
  sendPulses(io, bench.clock, { pin: 2, pulses: 7, periodMs: 1000 });
  assert.is(latest(bench, 'm1').importWh, 17, 'counted after the reset (the board only reports pins set up again), and only once');
  assert.is(io.listenerCount('digital-read-2'), 1);
  assert.is(bench.connectCalls(), 1, 'the port stayed open');
  await bench.close();
});

test('a board that stops answering is noticed by the heartbeat, its port closed and reopened', async () => {
  const bench = await openBench([{ meterId: 'm1', pin: 2, impulsesPerKWh: 1000, register: 'importWh' }], { heartbeatMs: 15, heartbeatTimeoutMs: 200 });
  await bench.driver.start();
  const first = board(bench);
  sendPulses(first, bench.clock, { pin: 2, pulses: 3, periodMs: 1000 });
  await sleep(60);
  assert.is(bench.driver.status().connected, true, 'answered heartbeats keep it connected');
  first.answers = false;
  await until(() => !bench.driver.status().connected, 'the missed heartbeat');
  assert.is(bench.driver.status().lastError, 'board on /dev/ttyACM0 stopped answering (no reply to a firmware query within 200 ms): check the USB cable; reconnecting every 30 ms');
  assert.is(first.transport.closeCalls, 1, 'the driver closed the silent port so it can be opened again');
  await until(() => bench.driver.status().connected, 'the reconnect');
  assert.is(bench.boards.length, 2);
  assert.is(latest(bench, 'm1').importWh, 3);
  assert.is(bench.driver.status().bad, 1, 'the unanswered query');
  await bench.close();
});

test('a restart of the driver with the same state file continues the count, remainders included', async () => {
  const { dir, remove } = await makeTempDir();
  const clock = manualClock();
  const meters: Meters = [
    { meterId: 'pv', pin: 2, impulsesPerKWh: 1000, register: 'generationWh' },
    { meterId: 'heat', pin: 3, impulsesPerKWh: 800, register: 'consumptionWh' },
  ];
  const one = await openBench(meters, { dir, clock, stateWriteIntervalMs: 60_000 });
  await one.driver.start();
  sendPulses(board(one), clock, { pin: 2, pulses: 1234, periodMs: 100 });
  sendPulses(board(one), clock, { pin: 3, pulses: 3, periodMs: 100 });
  const before = latest(one, 'pv');
  assert.is(latest(one, 'heat').consumptionWh, 3, '3.75 Wh so far');
  await one.driver.stop();
  assert.is(board(one).transport.closeCalls, 1, 'stop closed the port');

  clock.advance(60_000);
  const two = await openBench(meters, { dir, clock });
  await two.driver.start();
  assert.is(latest(two, 'pv').generationWh, 1234, 'stop saved the count even with a long write interval');
  assert.is.not(latest(two, 'pv').serial, before.serial);
  sendPulses(board(two), clock, { pin: 2, pulses: 6, periodMs: 100 });
  sendPulses(board(two), clock, { pin: 3, pulses: 1, periodMs: 100 });
  assert.is(latest(two, 'pv').generationWh, 1240);
  assert.is(latest(two, 'heat').consumptionWh, 5, '4 pulses = 5 Wh: the remainder survived the restart');
  await two.driver.stop();
  await remove();
});

test('the state file is written atomically and not on every pulse, within the write interval', async () => {
  const bench = await openBench([{ meterId: 'm1', pin: 2, impulsesPerKWh: 1000, register: 'importWh' }], { stateWriteIntervalMs: 1_000 });
  await bench.driver.start();
  let stored: number | null = null;
  const readStored = async () => {
    try {
      stored = (JSON.parse(await readFile(bench.stateFile, 'utf8')) as { counts: Record<string, number> }).counts.m1 ?? null;
    } catch {
      stored = null; // not written yet
    }
    return stored;
  };
  const firstWrite = Date.now();
  sendPulses(board(bench), bench.clock, { pin: 2, pulses: 1, periodMs: 100 });
  await untilAsync(async () => (await readStored()) === 1, 'the first pulse after a quiet spell saved at once');
  const firstInode = (await stat(bench.stateFile)).ino;
  sendPulses(board(bench), bench.clock, { pin: 2, pulses: 20, periodMs: 100 });
  await sleep(100);
  if (Date.now() - firstWrite < 900) assert.is(await readStored(), 1, 'the next 20 pulses are not each written');
  await untilAsync(async () => (await readStored()) === 21, 'the next save', 5_000);
  assert.ok(Date.now() - firstWrite >= 990, 'saved once the interval was over, and within it: a power cut loses at most that much');
  assert.is.not((await stat(bench.stateFile)).ino, firstInode, 'replaced by rename, not rewritten in place');
  assert.equal(await readdir(bench.dir), ['s0-counts.json'], 'no temp file left');
  await bench.close();
});

test('a board that is not there at start is reported and tried again; start itself succeeds', async () => {
  const bench = await openBench([{ meterId: 'm1', pin: 2, impulsesPerKWh: 1000, register: 'importWh' }], { boardPath: '/dev/ttyUSB0' });
  bench.failures.push('no StandardFirmata answer on /dev/ttyUSB0 within 10 s: is StandardFirmata flashed? (see sensors/README.md)');
  bench.failures.push('no StandardFirmata answer on /dev/ttyUSB0 within 10 s: is StandardFirmata flashed? (see sensors/README.md)');
  await bench.driver.start();
  const status = bench.driver.status();
  assert.is(status.connected, false);
  assert.is(status.lastError, 'no StandardFirmata answer on /dev/ttyUSB0 within 10 s: is StandardFirmata flashed? (see sensors/README.md); trying again every 30 ms');
  assert.is(bench.driver.latest('m1'), null, 'nothing counted yet: no reading');
  await until(() => bench.driver.status().connected, 'the board');
  assert.is(bench.problems.filter((p) => p.startsWith('no StandardFirmata answer')).length, 1, 'the same failure is reported once, not every retry');
  assert.is(latest(bench, 'm1').importWh, 0);
  await bench.close();
});

test('stop gives back the port and the johnny-five board; a failing reading listener does not stop counting', async () => {
  const cached = (five.Board as unknown as { cache: unknown[] }).cache.length;
  const bench = await openBench([{ meterId: 'm1', pin: 2, impulsesPerKWh: 1000, register: 'importWh' }]);
  bench.driver.on('reading', () => {
    throw new Error('listener broke');
  });
  await bench.driver.start();
  sendPulses(board(bench), bench.clock, { pin: 2, pulses: 3, periodMs: 100 });
  assert.is(latest(bench, 'm1').importWh, 3);
  assert.match(bench.problems[0]!, /a 'reading' listener failed for meter m1: listener broke/);
  await bench.close();
  assert.is(board(bench).transport.closeCalls, 1);
  assert.is((five.Board as unknown as { cache: unknown[] }).cache.length, cached, 'no dead Board kept in johnny-five\'s cache');
  assert.is(bench.driver.status().connected, false);
});

test('invalid options are refused at once, every problem named with its value', () => {
  const error = (() => {
    try {
      createPulseDriver({
        meters: [
          { meterId: 'm1', pin: 1, impulsesPerKWh: 0, register: 'importWh' },
          { meterId: 'm1', pin: 4, impulsesPerKWh: 1000, register: 'exportWh' as 'importWh' },
          { meterId: 'm3', pin: 4, impulsesPerKWh: 2.5, register: 'importWh' },
        ],
        stateFile: '/tmp/x.json',
        clock: manualClock(),
        connect: () => Promise.reject(new Error('unused')),
      });
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  })();
  assert.match(error, /^Invalid s0 driver options:/);
  assert.match(error, /meters\[0\]\.pin: must be ≥ 2: pins 0 and 1 carry the USB serial link to the board \(got 1\)/);
  assert.match(error, /meters\[0\]\.impulsesPerKWh: must be ≥ 1 \(got 0\)/);
  assert.match(error, /meters\[1\]\.register: must be generationWh, consumptionWh or importWh \(got "exportWh"\)/);
  assert.match(error, /meters\[2\]\.impulsesPerKWh: must be a whole number of impulses per kWh \(got 2\.5\)/);
  assert.match(error, /meters\[1\]\.meterId: "m1" is already meters\[0\]/);
  assert.match(error, /meters\[2\]\.pin: pin 4 is already used by meters\[1\]/);
});

test.run();
