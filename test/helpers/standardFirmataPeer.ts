import { SerialPort } from 'serialport';

/**
 * The board end of a serial line, speaking enough of Firmata 2.5 to stand in
 * for an Arduino Uno running StandardFirmata, so that serialport 13 and
 * firmata-io above it run for real. It answers firmata-io's handshake
 * (version, firmware, capabilities, analog mapping), keeps pin modes and port
 * reporting as the sketch does, and reports an input port when a level
 * changes. Only the firmware is faked.
 *
 * Wire format (firmata.org protocol, StandardFirmata.ino 2.5):
 *   REPORT_VERSION  F9 major minor
 *   DIGITAL_MESSAGE 9p lsb msb        port p, input pins only
 *   sysex           F0 cmd ... F7
 */

const REPORT_VERSION = 0xf9;
const START_SYSEX = 0xf0;
const END_SYSEX = 0xf7;
const QUERY_FIRMWARE = 0x79;
const CAPABILITY_QUERY = 0x6b;
const CAPABILITY_RESPONSE = 0x6c;
const ANALOG_MAPPING_QUERY = 0x69;
const ANALOG_MAPPING_RESPONSE = 0x6a;
const PIN_MODE = 0xf4;
const REPORT_DIGITAL = 0xd0;
const DIGITAL_MESSAGE = 0x90;
const INPUT = 0x00;
const OUTPUT = 0x01;
const ANALOG = 0x02;
const PULLUP = 0x0b;
const PIN_COUNT = 20; // Uno: D0–D13, A0–A5 as 14–19

/** Data bytes that follow each non-sysex command byte (high nibble for channel commands). */
function dataLength(command: number): number {
  if (command === REPORT_VERSION || command === 0xff) return 0;
  if (command === PIN_MODE || command === 0xf5) return 2;
  const type = command & 0xf0;
  if (type === REPORT_DIGITAL || type === 0xc0) return 1;
  return 2; // DIGITAL_MESSAGE, ANALOG_MESSAGE
}

export class StandardFirmataPeer {
  readonly #port: SerialPort;
  readonly #modes = new Map<number, number>();
  readonly #reporting = new Set<number>();
  readonly #levels = new Map<number, 0 | 1>();
  #pending: number[] = [];
  /** Commands received from the host, e.g. [0xf4, 2, 0x0b] (sysex without F0/F7). */
  readonly received: number[][] = [];

  private constructor(port: SerialPort) {
    this.#port = port;
    port.on('data', (data: Buffer) => this.#receive(data));
  }

  static async open(path: string): Promise<StandardFirmataPeer> {
    const port = new SerialPort({ path, baudRate: 57_600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    return new StandardFirmataPeer(port);
  }

  /** The sketch starts (power-up, reset button, DTR on port open): pins forgotten, version announced. */
  boot(): void {
    this.#modes.clear();
    this.#reporting.clear();
    this.#send([REPORT_VERSION, 2, 5]);
    this.#sendFirmware();
  }

  /** The physical input changes; reported if the sketch has the pin as an input on a reporting port. */
  level(pin: number, value: 0 | 1): void {
    this.#levels.set(pin, value);
    this.#reportPort(pin >> 3);
  }

  modeOf(pin: number): number | undefined {
    return this.#modes.get(pin);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#port.isOpen ? this.#port.close(() => resolve()) : resolve()));
  }

  #receive(data: Buffer): void {
    for (const byte of data) {
      const inSysex = this.#pending[0] === START_SYSEX;
      if (byte >= 0x80 && !(inSysex && byte === END_SYSEX)) this.#pending = []; // a command byte starts a new message
      else if (this.#pending.length === 0) continue; // a stray data byte
      this.#pending.push(byte);
      const message = this.#pending;
      if (message[0] === START_SYSEX) {
        if (byte !== END_SYSEX) continue;
        this.#pending = [];
        this.#sysex(message.slice(1, -1));
      } else if (message.length === 1 + dataLength(message[0]!)) {
        this.#pending = [];
        this.#command(message);
      }
    }
  }

  #command(bytes: number[]): void {
    this.received.push(bytes);
    const [command, a = 0, b = 0] = bytes;
    if (command === REPORT_VERSION) this.#send([REPORT_VERSION, 2, 5]);
    else if (command === PIN_MODE) this.#modes.set(a, b);
    else if ((command! & 0xf0) === REPORT_DIGITAL) {
      const port = command! & 0x0f;
      if (a) {
        this.#reporting.add(port);
        this.#reportPort(port, true);
      } else this.#reporting.delete(port);
    }
  }

  #sysex(bytes: number[]): void {
    this.received.push(bytes);
    const [command] = bytes;
    if (command === QUERY_FIRMWARE) this.#sendFirmware();
    else if (command === CAPABILITY_QUERY) {
      const out = [START_SYSEX, CAPABILITY_RESPONSE];
      for (let pin = 0; pin < PIN_COUNT; pin++) {
        // Pins 0 and 1 carry the USB serial link and offer nothing (IS_PIN_DIGITAL is 2–19).
        if (pin >= 2) out.push(INPUT, 1, OUTPUT, 1, PULLUP, 1);
        if (pin >= 14) out.push(ANALOG, 10);
        out.push(0x7f);
      }
      out.push(END_SYSEX);
      this.#send(out);
    } else if (command === ANALOG_MAPPING_QUERY) {
      const out = [START_SYSEX, ANALOG_MAPPING_RESPONSE];
      for (let pin = 0; pin < PIN_COUNT; pin++) out.push(pin >= 14 ? pin - 14 : 0x7f);
      out.push(END_SYSEX);
      this.#send(out);
    }
  }

  #sendFirmware(): void {
    const out = [START_SYSEX, QUERY_FIRMWARE, 2, 5];
    for (const char of Buffer.from('StandardFirmata.ino', 'ascii')) out.push(char & 0x7f, char >> 7);
    out.push(END_SYSEX);
    this.#send(out);
  }

  /** StandardFirmata sends a port when an input pin of it changes (and when reporting is turned on). */
  #reportPort(port: number, always = false): void {
    if (!this.#reporting.has(port)) return;
    let value = 0;
    let inputs = 0;
    for (let bit = 0; bit < 8; bit++) {
      const pin = port * 8 + bit;
      const mode = this.#modes.get(pin);
      if (mode !== INPUT && mode !== PULLUP) continue;
      inputs += 1;
      // An unconnected PULLUP input reads high.
      const level = this.#levels.get(pin) ?? (mode === PULLUP ? 1 : 0);
      value |= level << bit;
    }
    if (inputs === 0 && !always) return;
    this.#send([DIGITAL_MESSAGE | port, value & 0x7f, (value >> 7) & 0x7f]);
  }

  #send(bytes: number[]): void {
    this.#port.write(Buffer.from(bytes));
  }
}
