import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Clock, DriverReading, DriverStatus, MeterDriver } from '../meterDriver.js';
import { formatDsmrSerialSettings } from './dsmrSerialSettings.js';
import { nextDsmrFrame, parseDsmrTelegram, type DsmrTelegram } from './dsmrTelegram.js';

/** An opened serial port (SerialPort, SerialPortMock): a byte stream with the path it was opened on. */
export interface DsmrPort extends Duplex {
  readonly path: string;
}

export interface DsmrDriverOptions {
  /** The hub username of the one meter behind this P1 port. */
  meterId: string;
  /** Already open; the entry point opens it with `dsmrSerialSettings` and closes it after `stop()`. */
  port: DsmrPort;
  clock: Clock;
  /**
   * Report a problem when no valid telegram has arrived for this long after
   * start or after the last good one. DSMR 5 sends every second, DSMR 2.2–4
   * every 10 s. Default 30 s.
   */
  noTelegramTimeoutMs?: number;
}

const DEFAULT_NO_TELEGRAM_TIMEOUT_MS = 30_000;

/** Reads the telegrams a smart meter pushes out of its P1 port and keeps the latest reading. */
export function createDsmrDriver(options: DsmrDriverOptions): MeterDriver {
  const problems: string[] = [];
  if (typeof options.meterId !== 'string' || options.meterId === '') problems.push(`meterId: must be a non-empty string (got ${JSON.stringify(options.meterId)})`);
  const timeoutMs = options.noTelegramTimeoutMs ?? DEFAULT_NO_TELEGRAM_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) problems.push(`noTelegramTimeoutMs: must be a positive number of ms (got ${timeoutMs})`);
  if (problems.length > 0) throw new Error(`DSMR driver options: ${problems.join('; ')}`);
  return new DsmrDriver(options.meterId, options.port, options.clock, timeoutMs);
}

class DsmrDriver extends EventEmitter implements MeterDriver {
  readonly driver = 'dsmr' as const;
  readonly meterIds: readonly string[];

  #buffer: Buffer = Buffer.alloc(0);
  /** Inside a run of bytes that belong to no telegram; the run is counted once. */
  #inGarbage = false;
  #bytesSinceGood = 0;
  #hadGood = false;
  #latest: DriverReading | null = null;
  #firmware: string | null = null;
  #good = 0;
  #bad = 0;
  #lastError: string | null = null;
  #connected = false;
  #started = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly meterId: string,
    private readonly port: DsmrPort,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {
    super();
    this.meterIds = Object.freeze([meterId]);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.port.on('data', this.#onData);
    this.port.on('error', this.#onError);
    this.port.on('close', this.#onClose);
    this.#armWatchdog();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.port.off('data', this.#onData);
    this.port.off('error', this.#onError);
    this.port.off('close', this.#onClose);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#buffer = Buffer.alloc(0);
    this.#inGarbage = false;
    this.#connected = false;
  }

  latest(meterId: string): DriverReading | null {
    return meterId === this.meterId ? this.#latest : null;
  }

  status(): DriverStatus {
    return { connected: this.#connected, firmware: this.#firmware, good: this.#good, bad: this.#bad, lastError: this.#lastError };
  }

  #onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    this.#bytesSinceGood += bytes.length;
    // Copies: the stream may reuse its buffers. The framing below never leaves
    // more than DSMR_MAX_TELEGRAM_BYTES in here, so the buffer stays bounded.
    this.#buffer = Buffer.concat([this.#buffer, bytes]);
    for (;;) {
      const frame = nextDsmrFrame(this.#buffer);
      if (frame.kind === 'incomplete') break;
      this.#buffer = this.#buffer.subarray(frame.end);
      switch (frame.kind) {
        case 'whitespace':
          break;
        case 'garbage':
          if (!this.#inGarbage) {
            this.#inGarbage = true;
            this.#skip(
              `bytes outside any telegram (starting ${frame.sample.toString('hex').replace(/(..)(?!$)/g, '$1 ')}). ` +
                `Once, just after start, this is a telegram already under way; if it repeats, ${SETTINGS_HINT}`,
            );
          }
          break;
        case 'bad':
          // Whatever follows up to the next '/' is the rest of this broken telegram, not a second problem.
          this.#inGarbage = true;
          this.#skip(frame.reason);
          break;
        case 'telegram': {
          this.#inGarbage = false;
          let telegram: DsmrTelegram;
          try {
            telegram = parseDsmrTelegram(frame.bytes);
          } catch (err) {
            this.#skip(err instanceof Error ? err.message : String(err));
            break;
          }
          this.#accept(telegram);
          break;
        }
      }
    }
  };

  #onError = (err: Error): void => {
    this.#connected = false;
    this.#report(`P1 port ${this.port.path}: serial error: ${err.message}. Check the cable is plugged in; the agent must reopen the port.`);
  };

  #onClose = (): void => {
    this.#connected = false;
    this.#report(`P1 port ${this.port.path} closed (cable unplugged?): no readings until the agent reopens it.`);
  };

  #accept(telegram: DsmrTelegram): void {
    const reading: DriverReading = { t: this.clock.now(), importWh: telegram.importWh };
    if (telegram.exportWh !== undefined) reading.exportWh = telegram.exportWh;
    if (telegram.powerW !== undefined) reading.powerW = telegram.powerW;
    if (telegram.serial !== undefined) reading.serial = telegram.serial;
    this.#latest = reading;
    this.#firmware = telegram.version;
    this.#good += 1;
    this.#connected = true;
    this.#hadGood = true;
    this.#bytesSinceGood = 0;
    this.#armWatchdog();
    try {
      this.emit('reading', this.meterId, reading);
    } catch (err) {
      this.#report(`P1 port ${this.port.path}: a 'reading' listener failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #skip(reason: string): void {
    this.#bad += 1;
    this.#report(`P1 port ${this.port.path}, skipped: ${reason}`);
  }

  #report(message: string): void {
    this.#lastError = message;
    try {
      this.emit('problem', message);
    } catch {
      // A failing 'problem' listener must not stop the reading of telegrams; lastError keeps the message.
    }
  }

  #armWatchdog(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onSilence, this.timeoutMs);
  }

  /** Fires once per silence: re-armed only by the next good telegram. */
  #onSilence = (): void => {
    this.#timer = null;
    this.#connected = false;
    const seconds = `${Math.round(this.timeoutMs / 100) / 10} s`;
    const what = this.#hadGood ? `no valid telegram for ${seconds} (there were some before)` : `no valid telegram within ${seconds} of start`;
    const hint =
      this.#bytesSinceGood === 0
        ? 'and no bytes at all arrived. Check that the P1 port is enabled (some grid operators switch it on only on request), ' +
          'that the cable raises the data request line (RTS, pin 2) to 5 V, and that it is plugged into the P1 (RJ12) socket.'
        : `although ${this.#bytesSinceGood} bytes arrived (${this.#bad} skipped so far): ${SETTINGS_HINT}`;
    this.#report(`P1 port ${this.port.path}: ${what}, ${hint}`);
  };
}

const SETTINGS_HINT =
  `check the serial settings match the meter (DSMR 4/5: ${formatDsmrSerialSettings('4/5')}; DSMR 2.2/3: ${formatDsmrSerialSettings('2.2/3')}) ` +
  'and that the cable inverts the signal (P1 data is inverted; a plain TTL adapter needs an inverting cable).';
