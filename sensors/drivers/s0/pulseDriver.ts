import { EventEmitter } from 'node:events';
import five from 'johnny-five';
import { z } from 'zod';
import type { Clock, DriverReading, DriverStatus, MeterDriver } from '../meterDriver.js';
import { createPulseCounter, DEFAULT_MIN_PULSE_GAP_MS, DEFAULT_MIN_STABLE_MS, type PulseCounter } from './pulseCounter.js';
import { DEFAULT_MIN_WRITE_INTERVAL_MS, openPulseState, type PulseState } from './pulseState.js';

/**
 * The s0 driver: counts S0 (IEC 62053-31) or LED pulses of several meters on
 * one Arduino running StandardFirmata, through johnny-five.
 *
 * Pulses are counted from `io.digitalRead` reports, not from johnny-five's
 * Button (7 ms debounce) or Pin/Sensor polling, which miss pulses.
 *
 * Counting sessions. The count of each meter lives on across restarts and
 * reconnects (pulseState.ts), but pulses that arrive while the board is
 * unplugged, resetting or the driver is stopped are seen by nobody. So every
 * (re)connect starts a new session with its own `serial`
 * (`s0-<pin>-<session start ms>`): the hub takes a serial change as a new
 * baseline, so the missed energy is a gap there, neither invented nor folded
 * into the next interval.
 *
 * What is detected, with firmata-io's events:
 * - unplugged USB: serialport 13 closes the port with a DisconnectedError,
 *   which firmata-io reports as 'close' ('disconnect' with older serialport);
 * - serial errors: 'error';
 * - a board reset (reset button, brown-out, watchdog, another program opening
 *   the port): StandardFirmata announces its version again when it boots,
 *   which firmata-io reports as another 'reportversion' after ready. The
 *   port stays open, so the pins are set up again on the same io, as a new
 *   session. (StandardFirmata's boot also sets every pin back to OUTPUT with
 *   reporting off, so without this the meter would silently stop counting.)
 * - a board that stops answering with its port still open (a hung sketch, a
 *   USB hub that keeps the device node): a firmware query every
 *   `heartbeatMs`, which must be answered within `heartbeatTimeoutMs`. (Over
 *   a dead line the query's write often fails first and serialport closes
 *   the port, which is reported as 'close'.)
 * Not detectable: a sensor that lost power or came off the meter's LED (the
 * input just stays still, like a meter at night).
 *
 * Power: W = 3.6e9 / (imp/kWh × ms between the last two pulses), and once the
 * wait since the last pulse is longer than that, the wait instead: it bounds
 * the power from above, so a meter that stops reads ever nearer 0.
 *
 * `connect` must resolve with an io that is ready (firmata-io's 'ready'
 * event has fired); the driver owns that io from then on and closes its
 * transport when the connection is lost and on stop.
 */

/** What the driver needs from a johnny-five io (firmata-io, mock-firmata). */
export interface PulseIo {
  readonly isReady: boolean;
  readonly MODES: { readonly INPUT: number; readonly PULLUP?: number };
  readonly pins?: ReadonlyArray<{ readonly supportedModes?: readonly number[] } | undefined>;
  readonly firmware?: { name?: string; version?: { major?: number; minor?: number } };
  readonly transport?: { path?: string; isOpen?: boolean; close?(callback?: (error: Error | null) => void): void } | null;
  pinMode(pin: number, mode: number): void;
  /** Reports the pin's level as `digital-read-${pin}` events, as firmata-io does. */
  digitalRead(pin: number, callback: (value: number) => void): void;
  queryFirmware?(callback: () => void): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

const METER_ID = /^[\x21-\x7e]{1,64}$/;
const got = (issue: { input?: unknown }) => `(got ${JSON.stringify(issue.input)})`;

const meterSchema = z.strictObject({
  meterId: z.string({ error: (i) => `must be the meter's id ${got(i)}` }).regex(METER_ID, { error: 'must be 1–64 printable characters without spaces' }),
  /** Arduino digital pin; 0 and 1 carry the USB serial link on an Uno or Nano. */
  pin: z
    .number({ error: (i) => `must be an Arduino digital pin number ${got(i)}` })
    .int({ error: (i) => `must be a whole pin number ${got(i)}` })
    .min(2, { error: (i) => `must be ≥ 2: pins 0 and 1 carry the USB serial link to the board ${got(i)}` })
    .max(69, { error: (i) => `must be ≤ 69, the highest digital pin of an Arduino Mega ${got(i)}` }),
  /** Printed on the meter: "1000 imp/kWh". */
  impulsesPerKWh: z
    .number({ error: (i) => `must be the imp/kWh printed on the meter ${got(i)}` })
    .int({ error: (i) => `must be a whole number of impulses per kWh ${got(i)}` })
    .min(1, { error: (i) => `must be ≥ 1 ${got(i)}` })
    .max(100_000, { error: (i) => `must be ≤ 100000 ${got(i)}` }),
  register: z.enum(['generationWh', 'consumptionWh', 'importWh'], {
    error: (i) => `must be generationWh, consumptionWh or importWh ${got(i)}`,
  }),
  /** Added to the counted energy, e.g. the meter's display when counting began. */
  offsetWh: z
    .number({ error: (i) => `must be a number of watt-hours ${got(i)}` })
    .int({ error: (i) => `must be a whole number of watt-hours ${got(i)}` })
    .min(0, { error: (i) => `must be ≥ 0 ${got(i)}` })
    .default(0),
  /**
   * Use the board's internal pull-up where the pin supports it (default): for
   * an S0 output wired between the pin and GND, and for LED sensor modules.
   * Turn off when S0+ goes to 5 V and the pin has its own pull-down resistor.
   */
  pullUp: z.boolean({ error: (i) => `must be true or false ${got(i)}` }).default(true),
});

const ms = (what: string, min: number) =>
  z
    .number({ error: (i) => `must be ${what} in milliseconds ${got(i)}` })
    .min(min, { error: (i) => `must be ≥ ${min} ${got(i)}` })
    .refine(Number.isFinite, { error: (i) => `must be finite ${got(i)}` });

const optionsSchema = z
  .strictObject({
    meters: z.array(meterSchema, { error: 'must be a list of meters' }).min(1, { error: 'must list at least one meter' }),
    /** Opens the board; the entry point passes `() => openFirmataBoard(path)`. */
    connect: z.custom<() => Promise<PulseIo>>((v) => typeof v === 'function', { error: 'must be a function that opens the board' }),
    /** JSON file holding each meter's count (pulseState.ts). */
    stateFile: z.string({ error: (i) => `must be a file path ${got(i)}` }).min(1, { error: 'must be a file path' }),
    clock: z.custom<Clock>((v) => typeof (v as Partial<Clock> | null)?.now === 'function', { error: 'must have a now() method' }),
    /** Where the board is, for messages ("/dev/ttyACM0"); defaults to the io's transport path. */
    boardPath: z.string().min(1).optional(),
    minPulseGapMs: ms('a time', 0).default(DEFAULT_MIN_PULSE_GAP_MS),
    minStableMs: ms('a time', 0).default(DEFAULT_MIN_STABLE_MS),
    stateWriteIntervalMs: ms('an interval', 0).default(DEFAULT_MIN_WRITE_INTERVAL_MS),
    /** Waits before each reconnect attempt; the last one repeats. */
    reconnectDelaysMs: z.array(ms('a delay', 1)).min(1).default([1_000, 2_000, 5_000]),
    /** How long the johnny-five Board may take to become ready on a new io. */
    readyTimeoutMs: ms('a time', 1).default(5_000),
    /** Firmware query interval to notice a board that stopped answering; 0 turns it off. */
    heartbeatMs: ms('an interval', 0).default(30_000),
    heartbeatTimeoutMs: ms('a time', 1).default(5_000),
  });

export type PulseDriverOptions = z.input<typeof optionsSchema>;
export type PulseMeterConfig = z.output<typeof meterSchema>;
type Settings = Readonly<Omit<z.output<typeof optionsSchema>, 'meters'> & { meters: ReadonlyArray<Readonly<PulseMeterConfig>> }>;

/** Validates the options once, collecting every problem, and returns an unstarted driver. */
export function createPulseDriver(options: PulseDriverOptions): MeterDriver {
  const result = optionsSchema.safeParse(options);
  // Checked beside the schema so that they are reported together with field problems.
  const problems = [...(result.success ? [] : result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`)), ...duplicateProblems(options?.meters)];
  if (!result.success || problems.length > 0) {
    throw new Error(`Invalid s0 driver options:\n  ${problems.join('\n  ')}`);
  }
  const settings: Settings = Object.freeze({ ...result.data, meters: Object.freeze(result.data.meters.map((m) => Object.freeze(m))) });
  return new PulseDriver(settings);
}

interface MeterRun {
  readonly config: Readonly<PulseMeterConfig>;
  counter: PulseCounter | null;
  /** Serial of the session the count was last known in; null before the first session. */
  serial: string | null;
  /** When the count was last known to be current (the loss of the connection). */
  knownAt: number;
}

interface Session {
  readonly io: PulseIo;
  readonly board: JohnnyFiveBoard;
  startedAt: number;
  ended: boolean;
  readonly edgeListeners: Map<number, (value: unknown) => void>;
  readonly ioListeners: Array<[string, (...args: unknown[]) => void]>;
  heartbeat: NodeJS.Timeout | null;
  heartbeatDeadline: NodeJS.Timeout | null;
}

/** The parts of johnny-five's Board used here (its typings lack `sigint`, `timer` and `cache`). */
interface JohnnyFiveBoard {
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  timer?: NodeJS.Timeout | null;
}
const boardCache = (five.Board as unknown as { cache: unknown[] }).cache;

class PulseDriver extends EventEmitter implements MeterDriver {
  readonly driver = 's0' as const;
  readonly meterIds: readonly string[];
  readonly #settings: Settings;
  readonly #clock: Clock;
  readonly #meters = new Map<string, MeterRun>();
  #running = false;
  #state: PulseState | null = null;
  #session: Session | null = null;
  #connecting: Promise<void> | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #failedAttempts = 0;
  #lastSessionStart = 0;
  #lastProblem: string | null = null;
  /** The board's serial port as last seen, for messages. */
  #lastPath: string | null = null;
  #connected = false;
  #firmware: string | null = null;
  #good = 0;
  #unanswered = 0;
  #lastError: string | null = null;

  constructor(settings: Settings) {
    super();
    this.#settings = settings;
    this.#clock = settings.clock;
    this.meterIds = Object.freeze(settings.meters.map((m) => m.meterId));
    for (const config of settings.meters) this.#meters.set(config.meterId, { config, counter: null, serial: null, knownAt: 0 });
  }

  async start(): Promise<void> {
    if (this.#running || this.#state) throw new Error('the s0 driver is already started');
    this.#state = await openPulseState({
      file: this.#settings.stateFile,
      minWriteIntervalMs: this.#settings.stateWriteIntervalMs,
      onWriteError: (error) => this.#problem(`${error.message}. Counting goes on; a restart now would lose the pulses since the last save.`),
    });
    for (const meter of this.#meters.values()) {
      meter.counter = createPulseCounter({
        clock: this.#clock,
        initialCount: this.#state.count(meter.config.meterId),
        minPulseGapMs: this.#settings.minPulseGapMs,
        minStableMs: this.#settings.minStableMs,
      });
    }
    this.#running = true;
    // A board that is not there yet is not fatal: the driver reports it and keeps trying.
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    await this.#connecting;
    const session = this.#session;
    if (session) {
      this.#closeSessionReadings(false);
      this.#endSession(session);
      await closeIo(session.io);
    }
    this.#connected = false;
    const state = this.#state;
    this.#state = null;
    await state?.close();
  }

  latest(meterId: string): DriverReading | null {
    const meter = this.#meters.get(meterId);
    if (!meter || meter.serial === null || !meter.counter) return null;
    const live = this.#connected && this.#session !== null;
    if (live) this.#settle(meter);
    return this.#reading(meter, live ? this.#clock.now() : meter.knownAt, live);
  }

  status(): DriverStatus {
    let rejected = 0;
    for (const meter of this.#meters.values()) rejected += meter.counter?.rejected ?? 0;
    return { connected: this.#connected, firmware: this.#firmware, good: this.#good, bad: rejected + this.#unanswered, lastError: this.#lastError };
  }

  /** register = offsetWh + floor(count × 1000 / imp); the remainder stays in the count. */
  #reading(meter: MeterRun, t: number, live: boolean): DriverReading {
    const { config } = meter;
    const counter = meter.counter!;
    const reading: DriverReading = { t: Math.floor(t), [config.register]: config.offsetWh + Math.floor((counter.count * 1000) / config.impulsesPerKWh) };
    const last = counter.lastPulseAt;
    const previous = counter.previousPulseAt;
    if (live && last !== null && previous !== null) {
      // W = 3600 s/h × 1000 Wh/kWh / (imp/kWh × s between pulses) = 3.6e9 / (imp/kWh × ms).
      const intervalMs = Math.max(last - previous, t - last);
      if (intervalMs > 0) reading.powerW = Math.round(3.6e9 / (config.impulsesPerKWh * intervalMs));
    }
    reading.serial = meter.serial!;
    return reading;
  }

  #connect(): Promise<void> {
    const attempt = this.#attemptConnect().finally(() => {
      if (this.#connecting === attempt) this.#connecting = null;
    });
    this.#connecting = attempt;
    return attempt;
  }

  async #attemptConnect(): Promise<void> {
    let io: PulseIo;
    try {
      io = await this.#settings.connect();
    } catch (error) {
      const message = messageOf(error);
      const where = this.#where();
      if (this.#running) this.#connectFailed(where && message.includes(where.slice(4)) ? message : `could not open the board${where}: ${message}`);
      return;
    }
    if (!this.#running) {
      await closeIo(io);
      return;
    }
    try {
      await this.#beginSession(io);
    } catch (error) {
      await closeIo(io);
      if (this.#running) this.#connectFailed(`the board${this.#where(io)} did not get ready: ${messageOf(error)}`);
    }
  }

  #connectFailed(message: string) {
    this.#connected = false;
    this.#failedAttempts += 1;
    this.#lastError = `${message}; trying again every ${seconds(this.#retryCapMs())}`;
    // One line per kind of failure, not one every few seconds all night.
    if (this.#lastError !== this.#lastProblem) this.#problem(this.#lastError);
    this.#scheduleReconnect();
  }

  #scheduleReconnect() {
    if (!this.#running || this.#reconnectTimer) return;
    const delays = this.#settings.reconnectDelaysMs;
    const delay = delays[Math.min(this.#failedAttempts, delays.length) - 1] ?? delays[0]!;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#running) void this.#connect();
    }, delay);
  }

  async #beginSession(io: PulseIo): Promise<void> {
    // Unhandled 'error' events would throw; both emitters keep these to the end of their lives.
    io.on('error', ignore);
    const board = new five.Board({ io, repl: false, sigint: false, debug: false } as ConstructorParameters<typeof five.Board>[0]) as unknown as JohnnyFiveBoard;
    board.on('error', ignore);
    this.#lastPath = this.#settings.boardPath ?? io.transport?.path ?? this.#lastPath;
    const session: Session = { io, board, startedAt: 0, ended: false, edgeListeners: new Map(), ioListeners: [], heartbeat: null, heartbeatDeadline: null };
    try {
      await this.#boardReady(session);
    } catch (error) {
      this.#endSession(session);
      throw error;
    }
    if (!this.#running) {
      this.#endSession(session);
      throw new Error('the driver was stopped');
    }

    const listen = (event: string, listener: (...args: unknown[]) => void) => {
      io.on(event, listener);
      session.ioListeners.push([event, listener]);
    };
    listen('close', () => this.#lose(session, 'was unplugged or its port was closed'));
    listen('disconnect', () => this.#lose(session, 'was unplugged'));
    listen('error', (error: unknown) => this.#lose(session, `reported a serial error (${messageOf(error)})`));
    listen('reportversion', () => this.#restarted(session));
    listen('queryfirmware', () => {
      this.#firmware = describeFirmware(io) ?? this.#firmware;
    });

    this.#session = session;
    this.#firmware = describeFirmware(io);
    try {
      this.#subscribePins(session);
    } catch (error) {
      this.#endSession(session);
      throw error;
    }
    const resumed = this.#failedAttempts > 0 || this.#lastError !== null;
    this.#connected = true;
    this.#failedAttempts = 0;
    this.#lastProblem = null;
    if (resumed) {
      this.#problem(`board${this.#where(io)} answers again${this.#firmware ? ` (${this.#firmware})` : ''}; counting resumed as a new session, pulses while it was away are not counted`);
    }
    this.#scheduleHeartbeat(session);
  }

  #boardReady(session: Session): Promise<void> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        session.io.removeListener('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onClose = () => finish(new Error('its port closed before it was ready'));
      const timer = setTimeout(
        () => finish(new Error(`johnny-five did not report it ready within ${seconds(this.#settings.readyTimeoutMs)} (connect must resolve with a ready io)`)),
        this.#settings.readyTimeoutMs,
      );
      session.io.on('close', onClose);
      session.board.on('ready', () => finish());
    });
  }

  /** Sets every meter's pin to input and counts its reports, as a new counting session. */
  #subscribePins(session: Session) {
    const { io } = session;
    session.startedAt = this.#nextSessionStart();
    for (const meter of this.#meters.values()) {
      const { pin, pullUp } = meter.config;
      const previous = session.edgeListeners.get(pin);
      if (previous) io.removeListener(`digital-read-${pin}`, previous);
      const pins = io.pins ?? [];
      if (pins.length > 0 && !pins[pin]) {
        throw new Error(`pin ${pin} (meter ${meter.config.meterId}) does not exist on this board, which has pins 0–${pins.length - 1}: pick another pin`);
      }
      const supported = pins[pin]?.supportedModes;
      if (supported && supported.length > 0 && !supported.includes(io.MODES.INPUT)) {
        throw new Error(`pin ${pin} (meter ${meter.config.meterId}) is not a digital input on this board: pick another pin`);
      }
      const canPullUp = pullUp && io.MODES.PULLUP !== undefined && (supported?.includes(io.MODES.PULLUP) ?? false);
      io.pinMode(pin, canPullUp ? io.MODES.PULLUP! : io.MODES.INPUT);
      meter.counter!.newSession();
      meter.serial = `s0-${pin}-${session.startedAt}`;
      const listener = (value: unknown) => this.#onLevel(session, meter, value);
      session.edgeListeners.set(pin, listener);
      io.digitalRead(pin, listener);
    }
  }

  #onLevel(session: Session, meter: MeterRun, value: unknown) {
    if (session.ended || session !== this.#session) return;
    this.#counted(meter, meter.counter!.input(value ? 1 : 0));
  }

  /** A pending rise that has stayed high long enough is a pulse (pulseCounter.ts). */
  #settle(meter: MeterRun) {
    this.#counted(meter, meter.counter!.settle());
  }

  #counted(meter: MeterRun, pulses: number) {
    if (pulses === 0) return;
    this.#good += pulses;
    this.#state?.set(meter.config.meterId, meter.counter!.count);
    this.#emitReading(meter.config.meterId, this.#reading(meter, this.#clock.now(), true));
  }

  #emitReading(meterId: string, reading: DriverReading) {
    try {
      this.emit('reading', meterId, reading);
    } catch (error) {
      this.#problem(`a 'reading' listener failed for meter ${meterId}: ${messageOf(error)}`);
    }
  }

  /** StandardFirmata announced its version again: the board rebooted under an open port. */
  #restarted(session: Session) {
    if (session.ended || session !== this.#session) return;
    this.#closeSessionReadings(true);
    try {
      this.#subscribePins(session);
    } catch (error) {
      this.#lose(session, `restarted and could not be set up again (${messageOf(error)})`);
      return;
    }
    this.#lastError = `board${this.#where(session.io)} restarted (reset button, power dip, or another program opened its port); counting goes on as a new session, pulses during the restart (about 2 s) are not counted`;
    this.#problem(this.#lastError);
  }

  /** The connection is gone: report it in plain words, close the port, try again. */
  #lose(session: Session, why: string) {
    if (session.ended || session !== this.#session) return;
    this.#closeSessionReadings(true);
    this.#endSession(session);
    this.#session = null;
    this.#connected = false;
    void closeIo(session.io);
    this.#lastError = `board${this.#where(session.io)} ${why}: check the USB cable; reconnecting every ${seconds(this.#retryCapMs())}`;
    this.#problem(this.#lastError);
    void this.#state?.flush();
    this.#failedAttempts = 1;
    this.#scheduleReconnect();
  }

  /**
   * Marks the counts as known up to now and, unless stopping, emits each
   * meter's last reading of the session, so a consumer listening for readings
   * has the count right up to the gap.
   */
  #closeSessionReadings(emit: boolean) {
    const now = this.#clock.now();
    for (const meter of this.#meters.values()) {
      if (meter.counter && meter.serial !== null) this.#settle(meter);
      meter.knownAt = now;
      if (emit && meter.serial !== null && meter.counter) this.#emitReading(meter.config.meterId, this.#reading(meter, now, false));
    }
  }

  #endSession(session: Session) {
    if (session.ended) return;
    session.ended = true;
    if (session.heartbeat) clearTimeout(session.heartbeat);
    if (session.heartbeatDeadline) clearTimeout(session.heartbeatDeadline);
    for (const [pin, listener] of session.edgeListeners) session.io.removeListener(`digital-read-${pin}`, listener);
    for (const [event, listener] of session.ioListeners) session.io.removeListener(event, listener);
    // johnny-five's connect timer, if the io never became ready.
    if (session.board.timer) clearTimeout(session.board.timer);
    // johnny-five keeps every Board in a module-wide cache for its components; a
    // driver that reconnects for months would otherwise keep every dead board.
    const index = boardCache.indexOf(session.board);
    if (index >= 0) boardCache.splice(index, 1);
    if (this.#session === session) this.#session = null;
  }

  #scheduleHeartbeat(session: Session) {
    const { heartbeatMs, heartbeatTimeoutMs } = this.#settings;
    const query = session.io.queryFirmware;
    if (heartbeatMs <= 0 || typeof query !== 'function') return;
    session.heartbeat = setTimeout(() => {
      session.heartbeat = null;
      if (session.ended) return;
      session.heartbeatDeadline = setTimeout(() => {
        session.heartbeatDeadline = null;
        this.#unanswered += 1;
        this.#lose(session, `stopped answering (no reply to a firmware query within ${seconds(heartbeatTimeoutMs)})`);
      }, heartbeatTimeoutMs);
      query.call(session.io, () => {
        if (session.ended) return;
        if (session.heartbeatDeadline) clearTimeout(session.heartbeatDeadline);
        session.heartbeatDeadline = null;
        if (!session.heartbeat) this.#scheduleHeartbeat(session);
      });
    }, heartbeatMs);
  }

  #nextSessionStart(): number {
    // Two sessions within one millisecond (a reset right after connecting) still get different serials.
    this.#lastSessionStart = Math.max(Math.floor(this.#clock.now()), this.#lastSessionStart + 1);
    return this.#lastSessionStart;
  }

  #retryCapMs(): number {
    const delays = this.#settings.reconnectDelaysMs;
    return delays[delays.length - 1]!;
  }

  #where(io?: PulseIo): string {
    const path = this.#settings.boardPath ?? io?.transport?.path ?? this.#lastPath;
    return path ? ` on ${path}` : '';
  }

  #problem(message: string) {
    this.#lastProblem = message;
    try {
      this.emit('problem', message);
    } catch {
      // A failing log listener must not stop counting.
    }
  }
}

function ignore(): void {}

/** Closes the io's transport (the serial port) if it is still open; never throws. */
function closeIo(io: PulseIo): Promise<void> {
  const transport = io.transport;
  if (!transport || typeof transport.close !== 'function' || transport.isOpen === false) return Promise.resolve();
  return new Promise((resolve) => {
    // An io whose close never calls back must not hold up a stop.
    const fallback = setTimeout(resolve, 1_000);
    fallback.unref();
    try {
      transport.close!(() => {
        clearTimeout(fallback);
        resolve();
      });
    } catch {
      clearTimeout(fallback);
      resolve();
    }
  });
}

function describeFirmware(io: PulseIo): string | null {
  const name = io.firmware?.name?.replace(/\.ino$/i, '');
  if (!name) return null;
  const version = io.firmware?.version;
  return version?.major !== undefined ? `${name} ${version.major}.${version.minor ?? 0}` : name;
}

/** Two meters with one id, or on one pin (one pin cannot tell two meters' pulses apart). */
function duplicateProblems(meters: unknown): string[] {
  if (!Array.isArray(meters)) return [];
  const problems: string[] = [];
  const ids = new Map<unknown, number>();
  const pins = new Map<unknown, number>();
  meters.forEach((meter: { meterId?: unknown; pin?: unknown } | null, index) => {
    const { meterId, pin } = meter ?? {};
    if (typeof meterId === 'string') {
      const same = ids.get(meterId);
      if (same === undefined) ids.set(meterId, index);
      else problems.push(`meters[${index}].meterId: "${meterId}" is already meters[${same}]`);
    }
    if (typeof pin === 'number') {
      const same = pins.get(pin);
      if (same === undefined) pins.set(pin, index);
      else problems.push(`meters[${index}].pin: pin ${pin} is already used by meters[${same}]`);
    }
  });
  return problems;
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : `${text === '' ? '' : '.'}${String(key)}`;
  return text === '' ? 'options' : text;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function seconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
