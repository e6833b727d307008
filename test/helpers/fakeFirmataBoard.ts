import mockFirmata from 'mock-firmata';
import type { ManualClock } from './manualClock.js';

/**
 * An Arduino with StandardFirmata for tests: mock-firmata is the johnny-five
 * io; what it leaves out (board-io's digitalRead is a no-op) is done the way
 * firmata-io 2.3 does it. Only the physical edge, the clock and the board's
 * own behaviour (reset, unplug, silence) are faked.
 *
 * firmata-io behaviour copied here (lib/firmata.js):
 * - `digitalRead(pin, cb)` turns on reporting for the pin's port and adds `cb`
 *   as a `digital-read-${pin}` listener;
 * - a DIGITAL_MESSAGE carries a whole port of 8 pins and emits
 *   `digital-read-${pin}` for every pin of that port in INPUT or PULLUP mode,
 *   changed or not;
 * - a board that boots announces its version ('reportversion') and firmware
 *   ('queryfirmware') again; its sketch sets every pin back to OUTPUT with
 *   reporting off, while firmata-io keeps its listeners.
 */
export class FakeFirmataBoard extends mockFirmata.Firmata {
  readonly transport: { path: string; isOpen: boolean; closeCalls: number; close(callback?: (error: Error | null) => void): void };
  firmware = { name: 'StandardFirmata.ino', version: { major: 2, minor: 5 } };
  /** Pin modes as the host last set them. */
  readonly pinModes = new Map<number, number>();
  /** Whether the board answers firmware queries (the driver's heartbeat). */
  answers = true;
  /** Pin modes and reporting as the board's sketch holds them (lost on reset). */
  readonly #boardModes = new Map<number, number>();
  readonly #reportingPorts = new Set<number>();
  readonly #levels = new Map<number, 0 | 1>();

  constructor(path = '/dev/ttyACM0') {
    super();
    const transport = {
      path,
      isOpen: true,
      closeCalls: 0,
      close(callback?: (error: Error | null) => void) {
        transport.closeCalls += 1;
        transport.isOpen = false;
        if (callback) setImmediate(callback, null);
      },
    };
    this.transport = transport;
  }

  /** The board finished its handshake, as firmata-io reports it. */
  becomeReady(): this {
    this.emit('connect');
    this.emit('ready');
    return this;
  }

  override pinMode(pin: number, mode: number): void {
    this.pinModes.set(pin, mode);
    this.#boardModes.set(pin, mode);
    const record = this.pins[pin];
    if (record) record.mode = mode;
  }

  override digitalRead(pin: number, callback: (value: number) => void): void {
    this.#reportingPorts.add(pin >> 3);
    this.addListener(`digital-read-${pin}`, callback);
    // StandardFirmata answers REPORT_DIGITAL with the port's current value.
    this.#reportPort(pin >> 3);
  }

  queryFirmware(callback: () => void): void {
    this.once('queryfirmware', callback);
    if (this.answers) setImmediate(() => this.emit('queryfirmware'));
  }

  /** The physical input: the pin's level changes and the board reports its port. */
  level(pin: number, value: 0 | 1): void {
    this.#levels.set(pin, value);
    if (this.answers) this.#reportPort(pin >> 3);
  }

  /** Reset button, brown-out or watchdog: the sketch restarts under the open port. */
  restart(): void {
    this.#boardModes.clear();
    this.#reportingPorts.clear();
    this.emit('reportversion');
    this.emit('queryfirmware');
  }

  /** USB cable pulled: serialport 13 closes the port, firmata-io emits 'close'. */
  unplug(): void {
    this.transport.isOpen = false;
    this.emit('close');
  }

  #reportPort(port: number): void {
    if (!this.#reportingPorts.has(port)) return;
    for (let pin = port * 8; pin < port * 8 + 8; pin++) {
      const mode = this.#boardModes.get(pin);
      if (mode === this.MODES.INPUT || (mode !== undefined && mode === this.MODES.PULLUP)) {
        this.emit(`digital-read-${pin}`, this.#levels.get(pin) ?? 0);
      }
    }
  }
}

export interface PulseTrain {
  pin: number;
  pulses: number;
  /** Time from one rising edge to the next. */
  periodMs: number;
  /** How long the input stays high (S0: ≥ 30 ms). */
  widthMs?: number;
}

/**
 * Drives active-high pulses into the board while moving the clock: each pulse
 * is a rising edge, `widthMs` high, then low until the next period. The clock
 * ends one period after the last rising edge.
 */
export function sendPulses(board: FakeFirmataBoard, clock: ManualClock, train: PulseTrain): void {
  const width = train.widthMs ?? 30;
  for (let i = 0; i < train.pulses; i++) {
    board.level(train.pin, 1);
    clock.advance(width);
    board.level(train.pin, 0);
    clock.advance(train.periodMs - width);
  }
}
