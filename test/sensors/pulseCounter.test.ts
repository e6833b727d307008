import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createPulseCounter } from '../../sensors/drivers/s0/pulseCounter.js';
import { manualClock } from '../helpers/manualClock.js';

const test = suite('pulse counter: one count per pulse, bounce ignored');

/** Feeds levels at times relative to the clock's start: [ms, level]. */
function feed(levels: Array<[number, 0 | 1]>, options: { minPulseGapMs?: number; minStableMs?: number; initialCount?: number } = {}) {
  const clock = manualClock(0);
  const counter = createPulseCounter({ clock, ...options });
  for (const [at, level] of levels) {
    clock.set(at);
    counter.input(level);
  }
  clock.advance(1_000);
  counter.settle();
  return counter;
}

/** Clean active-high pulses: rising at k × period, falling 30 ms later. */
function train(pulses: number, periodMs: number, start = 0): Array<[number, 0 | 1]> {
  const levels: Array<[number, 0 | 1]> = [[start, 0]];
  for (let k = 0; k < pulses; k++) levels.push([start + 1 + k * periodMs, 1], [start + 1 + k * periodMs + 30, 0]);
  return levels;
}

test('counts every clean 30 ms pulse, down to the S0 minimum period of 60 ms', () => {
  assert.is(feed(train(1000, 60)).count, 1000);
  assert.is(feed(train(500, 1000)).count, 500);
});

test('bouncing edges (several toggles within 2 ms) at the leading edge count once', () => {
  const levels: Array<[number, 0 | 1]> = [[0, 0]];
  for (let k = 0; k < 10; k++) {
    const t = 100 + k * 100;
    levels.push([t, 1], [t + 0.5, 0], [t + 1, 1], [t + 1.5, 0], [t + 2, 1], [t + 30, 0]);
  }
  const counter = feed(levels);
  assert.is(counter.count, 10);
  assert.is(counter.rejected, 20, 'two extra rising edges per pulse rejected');
});

test('chatter at the trailing edge, 30 ms after the counted rise, does not count a second pulse', () => {
  const levels: Array<[number, 0 | 1]> = [[0, 0]];
  for (let k = 0; k < 10; k++) {
    const t = 100 + k * 100;
    levels.push([t, 1], [t + 30, 0], [t + 30.5, 1], [t + 31, 0], [t + 31.5, 1], [t + 32, 0]);
  }
  assert.is(feed(levels).count, 10);
  assert.is(feed(levels, { minStableMs: 0 }).count, 20, 'the gap rule alone would count each pulse twice');
});

test('active-low wiring (pull-up): chatter at the start of the pulse does not count it twice', () => {
  // Idle high; the pulse pulls the pin low for 30 ms; the counted edge is the rise at its end.
  const levels: Array<[number, 0 | 1]> = [[0, 1]];
  for (let k = 0; k < 10; k++) {
    const t = 100 + k * 100;
    levels.push([t, 0], [t + 0.5, 1], [t + 1, 0], [t + 1.5, 1], [t + 2, 0], [t + 30, 1]);
  }
  assert.is(feed(levels).count, 10);
});

test('with the steadiness rule off, the gap rule alone still rejects edges within minPulseGapMs', () => {
  const levels: Array<[number, 0 | 1]> = [[0, 0], [10, 1], [11, 0], [12, 1], [40, 0], [70, 1]];
  assert.is(feed(levels, { minStableMs: 0 }).count, 2);
  assert.is(feed(levels, { minStableMs: 0, minPulseGapMs: 100 }).count, 1, 'minPulseGapMs is configurable');
});

test('repeated reports of the same level are not edges (Firmata reports whole ports)', () => {
  const levels: Array<[number, 0 | 1]> = [[0, 0], [5, 0], [10, 1], [12, 1], [15, 1], [40, 0], [45, 0], [100, 1], [101, 1]];
  assert.is(feed(levels).count, 2);
});

test('the first report of a session only sets the level; a pulse in progress then is not counted', () => {
  assert.is(feed([[0, 1], [30, 0], [100, 1]]).count, 1);
  const counter = feed([[0, 0], [10, 1], [40, 0]]);
  assert.is(counter.count, 1, 'low at the first report, then a rise: counted');
});

test('a new session keeps the count but forgets the level and the pulse times', () => {
  const clock = manualClock(0);
  const counter = createPulseCounter({ clock, initialCount: 41 });
  counter.input(0);
  clock.set(100);
  counter.input(1);
  clock.set(200);
  counter.input(0);
  clock.set(300);
  counter.input(1);
  assert.is(counter.count, 43);
  assert.is(counter.lastPulseAt, 300);
  assert.is(counter.previousPulseAt, 100);
  counter.newSession();
  assert.is(counter.lastPulseAt, null);
  assert.is(counter.previousPulseAt, null);
  clock.set(1_000);
  counter.input(1);
  assert.is(counter.count, 43, 'a high first report after reconnecting is not a pulse');
  clock.set(1_030);
  counter.input(0);
  clock.set(1_100);
  counter.input(1);
  assert.is(counter.count, 44);
});

test('edges that arrive together in one USB packet (same millisecond) still count once each pulse', () => {
  const levels: Array<[number, 0 | 1]> = [[0, 0]];
  for (let k = 0; k < 20; k++) levels.push([100 + k * 60, 1], [100 + k * 60, 0]);
  assert.is(feed(levels).count, 20);
});

test('active-low pulses whose fall and rise arrive together (a busy event loop) are held, then counted once they stay high', () => {
  const clock = manualClock(0);
  const counter = createPulseCounter({ clock });
  counter.input(1);
  for (let k = 1; k <= 3; k++) {
    clock.set(k * 1_000);
    assert.is(counter.input(0), k === 1 ? 0 : 1, 'the next fall confirms the held rise');
    assert.is(counter.input(1), 0, 'a rise after a 0 ms low is held');
  }
  assert.is(counter.count, 2);
  clock.advance(2);
  assert.is(counter.settle(), 0, 'not yet high for 5 ms');
  clock.advance(3);
  assert.is(counter.settle(), 1);
  assert.is(counter.count, 3);
  assert.is(counter.lastPulseAt, 3_000, 'counted at its rising edge');
  assert.is(counter.previousPulseAt, 2_000);
  assert.is(counter.rejected, 0);
});

test('a held rise that falls again within 5 ms is chatter, and a new session drops an unsettled one', () => {
  const clock = manualClock(0);
  const counter = createPulseCounter({ clock });
  counter.input(1);
  clock.set(100);
  counter.input(0);
  clock.set(100.5);
  counter.input(1);
  clock.set(101);
  counter.input(0);
  assert.is(counter.count, 0);
  assert.is(counter.rejected, 1);
  clock.set(101.5);
  counter.input(1);
  clock.set(102);
  counter.newSession();
  clock.set(2_000);
  assert.is(counter.settle(), 0);
  assert.is(counter.count, 0);
});

test('rejects a negative or fractional starting count', () => {
  assert.throws(() => createPulseCounter({ clock: manualClock(0), initialCount: -1 }), /initialCount/);
  assert.throws(() => createPulseCounter({ clock: manualClock(0), initialCount: 1.5 }), /initialCount/);
});

test.run();
