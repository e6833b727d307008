import type { Clock } from '../meterDriver.js';

/**
 * Counts meter pulses from the level reports of one digital input. Pure: no
 * I/O and no timers; times come from the injected clock.
 *
 * A pulse is counted on a rising edge (input 0 → 1) that passes two rules,
 * which together tell a pulse from contact bounce or a photodiode comparator
 * chattering at its threshold:
 *
 * - gap: a rising edge within `minPulseGapMs` of the previous counted one is a
 *   bounce. S0 pulses (IEC 62053-31) last ≥ 30 ms with ≥ 30 ms between them,
 *   so real rising edges are ≥ 60 ms apart; the default 15 ms leaves room for
 *   USB-serial latency, which shifts the times the host sees by up to the
 *   adapter's latency timer (16 ms by default on FTDI chips).
 * - steadiness: a rising edge is a bounce if the input was steady for less
 *   than `minStableMs` both before it (low) and after it (high). The gap rule
 *   alone counts a pulse twice when the *other* edge chatters: chatter at the
 *   falling edge, 30 ms after the counted rise, makes a rising edge past the
 *   gap; with active-low wiring (S0 to ground, pull-up) the counted rising
 *   edge is the end of the pulse, and chatter at its start makes an early one.
 *
 * Why both sides: the host timestamps reports when it reads them, and a busy
 * event loop or a USB packet can deliver a real falling and rising edge
 * together, making a real 30 ms low look like 0 ms. A rise after a short low
 * is therefore only held back (pending) until the input has stayed high for
 * `minStableMs`: a real one does (the next falling edge is ≥ 30 ms away), a
 * chattering one falls again at once. Losing a real pulse takes a delay that
 * swallows both its low and the following high.
 *
 * A pending rise is settled by the next report or by `settle()`; the driver
 * calls `settle()` whenever it reads the count.
 *
 * A report equal to the current level is not an edge: Firmata reports a whole
 * port of 8 pins when any of them changes, so a pin hears its own level again
 * whenever a neighbour pulses. The first report of a session only sets the
 * level: an edge needs a level seen before it.
 */

export interface PulseCounterOptions {
  clock: Clock;
  /** Pulses already counted (continued from the state file). */
  initialCount?: number;
  /** Default 15 ms; see above. */
  minPulseGapMs?: number;
  /** Default 5 ms; 0 turns the steadiness rule off. */
  minStableMs?: number;
}

export interface PulseCounter {
  /** Pulses counted since the meter was first counted (across sessions); call settle() first for the latest. */
  readonly count: number;
  /** Clock time of the rising edge of the last counted pulse in this session, or null. */
  readonly lastPulseAt: number | null;
  /** Clock time of the pulse before that in this session, or null. */
  readonly previousPulseAt: number | null;
  /** Rising edges rejected as bounce (since creation). */
  readonly rejected: number;
  /** Feeds one reported input level (0 or 1); returns how many pulses it counted (0 or 1). */
  input(level: 0 | 1): number;
  /** Counts a pending rise once it has stayed high long enough; returns how many pulses that counted (0 or 1). */
  settle(): number;
  /**
   * Starts a new counting session (after a reconnect or board reset): settles
   * what can be settled, then forgets the input level and pulse times, so no
   * edge or power figure spans the gap. The count is kept.
   */
  newSession(): void;
}

export const DEFAULT_MIN_PULSE_GAP_MS = 15;
export const DEFAULT_MIN_STABLE_MS = 5;

export function createPulseCounter(options: PulseCounterOptions): PulseCounter {
  const { clock } = options;
  const minPulseGapMs = options.minPulseGapMs ?? DEFAULT_MIN_PULSE_GAP_MS;
  const minStableMs = options.minStableMs ?? DEFAULT_MIN_STABLE_MS;
  const initialCount = options.initialCount ?? 0;
  if (!Number.isSafeInteger(initialCount) || initialCount < 0) {
    throw new RangeError(`initialCount must be a whole number ≥ 0 (got ${initialCount})`);
  }
  if (!(minPulseGapMs >= 0) || !(minStableMs >= 0)) {
    throw new RangeError(`minPulseGapMs and minStableMs must be ≥ 0 (got ${minPulseGapMs}, ${minStableMs})`);
  }

  let count = initialCount;
  let rejected = 0;
  let level: 0 | 1 | null = null;
  /** When the input last went low; -Infinity when it was low from the first report on. */
  let lowSince = -Infinity;
  /** A rise after a short low, waiting to stay high for minStableMs. */
  let pendingRiseAt: number | null = null;
  let lastPulseAt: number | null = null;
  let previousPulseAt: number | null = null;

  const countAt = (t: number) => {
    count += 1;
    previousPulseAt = lastPulseAt;
    lastPulseAt = t;
    return 1;
  };

  const settleAt = (now: number): number => {
    if (pendingRiseAt === null || level !== 1 || now - pendingRiseAt < minStableMs) return 0;
    const t = pendingRiseAt;
    pendingRiseAt = null;
    return countAt(t);
  };

  return {
    get count() {
      return count;
    },
    get lastPulseAt() {
      return lastPulseAt;
    },
    get previousPulseAt() {
      return previousPulseAt;
    },
    get rejected() {
      return rejected;
    },
    input(next) {
      const now = clock.now();
      const before = level;
      if (before === null) {
        level = next;
        if (next === 0) lowSince = -Infinity;
        return 0;
      }
      if (before === next) return settleAt(now);
      if (next === 0) {
        // Falling: a pending rise was real if it stayed high long enough, else it was chatter.
        const counted = settleAt(now);
        if (pendingRiseAt !== null) {
          pendingRiseAt = null;
          rejected += 1;
        }
        level = 0;
        lowSince = now;
        return counted;
      }
      level = 1;
      if (lastPulseAt !== null && now - lastPulseAt < minPulseGapMs) {
        rejected += 1;
        return 0;
      }
      if (now - lowSince >= minStableMs) return countAt(now);
      pendingRiseAt = now;
      return 0;
    },
    settle() {
      return settleAt(clock.now());
    },
    newSession() {
      settleAt(clock.now());
      level = null;
      lowSince = -Infinity;
      pendingRiseAt = null;
      lastPulseAt = null;
      previousPulseAt = null;
    },
  };
}
