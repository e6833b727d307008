import type { EventEmitter } from 'node:events';

/**
 * The one narrow interface between meter hardware and the sensor agent.
 * A driver reads one physical source (a Firmata board, a P1 port, an RS485
 * bus) that may serve several meters, and keeps each meter's latest
 * cumulative registers. The agent samples `latest()` at its publish interval,
 * so a driver may read faster than the agent publishes without losing energy.
 *
 * Hardware is injected: a driver receives an opened port (DSMR) or a function
 * that opens its board (S0, so it can reconnect after an unplug). The Modbus
 * driver is the exception: given no client, it opens its bus path itself, for
 * the same reason; tests inject a client or point it at a pty.
 */

/** A reading as the hub's contract defines it (ARCHITECTURE.md "A reading"). */
export interface DriverReading {
  /** ms since the Unix epoch, when the meter was read (from the injected clock). */
  t: number;
  importWh?: number;
  exportWh?: number;
  generationWh?: number;
  consumptionWh?: number;
  powerW?: number;
  /**
   * Meter serial. A change starts a new counter baseline at the hub; pulse
   * counters use it to mark a counting session, so energy missed while a
   * board was unplugged is a gap at the hub, not a guess.
   */
  serial?: string;
}

export interface DriverStatus {
  /** Whether the hardware answers right now. */
  connected: boolean;
  /** e.g. "StandardFirmata 2.5", "DSMR 5.0", "SDM630 @ 2". */
  firmware: string | null;
  /** Frames/telegrams/polls that produced a reading. */
  good: number;
  /** Corrupt, truncated or unanswered frames, skipped and never published. */
  bad: number;
  /** Plain words for a volunteer: what went wrong last and what to do. */
  lastError: string | null;
}

/**
 * Events: 'reading' (meterId: string, reading: DriverReading) each time a new
 * reading is available; 'problem' (message: string) for anything a volunteer
 * should see in the log (never fatal).
 */
export interface MeterDriver extends EventEmitter {
  /** The driver's name in configs: 's0' | 'dsmr' | 'modbus'. */
  readonly driver: 's0' | 'dsmr' | 'modbus';
  /** Meter ids (hub usernames) this driver reads. */
  readonly meterIds: readonly string[];
  start(): Promise<void>;
  /** Gives back every timer, listener and handle. Does not close injected ports unless it opened them. */
  stop(): Promise<void>;
  latest(meterId: string): DriverReading | null;
  status(): DriverStatus;
}

/** Time source, injected so tests can run a day in a second. */
export interface Clock {
  now(): number;
}
