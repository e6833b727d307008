import { SerialPort } from 'serialport';

/**
 * Simulated Modbus RTU meters on the far end of a real pty: parses request
 * frames byte by byte (address, function 3 or 4, start, count, CRC) and answers
 * from register maps, as several meters sharing one RS485 bus would. Written
 * from the Modbus over Serial Line spec v1.02 rather than with modbus-serial's
 * ServerSerial, so a mistake in modbus-serial cannot hide itself.
 *
 * A pty has no baud rate, so a meter may be given the serial settings it is set
 * to, and the test tells the slave which settings the master opened the port
 * with (`masterLine`): a meter whose settings differ stays silent, as a real one
 * does when it hears framing noise.
 */

export type MeterBehaviour = 'answer' | 'silent' | 'corrupt-crc';

export interface SimulatedMeter {
  /** Input registers (function 4): register address → 16-bit word. */
  readonly input: Map<number, number>;
  /** Holding registers (function 3). */
  readonly holding: Map<number, number>;
  behaviour: MeterBehaviour;
  /** e.g. "2400 8N1"; undefined answers at any setting. */
  line?: string;
}

export interface ModbusRequest {
  address: number;
  functionCode: number;
  start: number;
  count: number;
}

export interface ModbusSlave {
  addMeter(address: number, registers: { input?: Map<number, number>; holding?: Map<number, number> }, options?: { behaviour?: MeterBehaviour; line?: string }): SimulatedMeter;
  meter(address: number): SimulatedMeter;
  /** The settings the master uses now, e.g. "9600 8N1"; null when the test does not care. */
  masterLine: string | null;
  /** Every well-formed request seen, in order. */
  readonly requests: readonly ModbusRequest[];
  /** Requests that arrived while an answer to an earlier one was still due: two masters' worth of traffic. */
  readonly overlaps: number;
  close(): Promise<void>;
}

/** CRC-16/MODBUS: reflected polynomial 0xA001, initial value 0xFFFF, sent low byte first. */
export function crc16Modbus(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** An IEEE 754 float32 as two registers, high word first (Eastron's order). */
export function floatWords(value: number): [number, number] {
  const b = Buffer.alloc(4);
  b.writeFloatBE(value, 0);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
}

export function uint32Words(value: number): [number, number] {
  return [Math.floor(value / 0x10000) & 0xffff, value & 0xffff];
}

/** Puts consecutive words into a register map from `address` on. */
export function setWords(map: Map<number, number>, address: number, words: readonly number[]): void {
  words.forEach((word, i) => map.set(address + i, word));
}

export async function startModbusSlave(path: string, options: { responseDelayMs?: number } = {}): Promise<ModbusSlave> {
  const responseDelayMs = options.responseDelayMs ?? 2;
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));

  const meters = new Map<number, SimulatedMeter>();
  const requests: ModbusRequest[] = [];
  const pending = new Set<NodeJS.Timeout>();
  let overlaps = 0;
  let buffer = Buffer.alloc(0);

  const slave: ModbusSlave = {
    addMeter(address, registers, meterOptions = {}) {
      const meter: SimulatedMeter = {
        input: registers.input ?? new Map(),
        holding: registers.holding ?? new Map(),
        behaviour: meterOptions.behaviour ?? 'answer',
        line: meterOptions.line,
      };
      meters.set(address, meter);
      return meter;
    },
    meter(address) {
      const meter = meters.get(address);
      if (!meter) throw new Error(`no simulated meter at address ${address}`);
      return meter;
    },
    masterLine: null,
    requests,
    get overlaps() {
      return overlaps;
    },
    async close() {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      port.removeAllListeners('data');
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };

  port.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    // Requests for functions 3 and 4 are always 8 bytes; resynchronise byte by byte on anything else.
    while (buffer.length >= 8) {
      const frame = buffer.subarray(0, 8);
      const functionCode = frame[1]!;
      if ((functionCode === 3 || functionCode === 4) && crc16Modbus(frame.subarray(0, 6)) === frame.readUInt16LE(6)) {
        handle({ address: frame[0]!, functionCode, start: frame.readUInt16BE(2), count: frame.readUInt16BE(4) });
        buffer = buffer.subarray(8);
      } else {
        buffer = buffer.subarray(1);
      }
    }
  });

  function handle(request: ModbusRequest): void {
    requests.push(request);
    if (pending.size > 0) overlaps += 1;
    const meter = meters.get(request.address);
    if (!meter || meter.behaviour === 'silent') return;
    if (meter.line !== undefined && slave.masterLine !== null && meter.line !== slave.masterLine) return;
    const answer = respond(meter, request);
    if (meter.behaviour === 'corrupt-crc') answer.writeUInt16LE(answer.readUInt16LE(answer.length - 2) ^ 0xffff, answer.length - 2);
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (port.isOpen) port.write(answer);
    }, responseDelayMs);
    pending.add(timer);
  }

  return slave;
}

/** An answer frame: the registers asked for, or exception 2 (illegal data address) if any is missing. */
function respond(meter: SimulatedMeter, request: ModbusRequest): Buffer {
  const map = request.functionCode === 4 ? meter.input : meter.holding;
  const words: number[] = [];
  for (let r = request.start; r < request.start + request.count; r += 1) {
    const word = map.get(r);
    if (word === undefined) return withCrc(Buffer.from([request.address, request.functionCode | 0x80, 0x02]));
    words.push(word);
  }
  const body = Buffer.alloc(3 + 2 * words.length);
  body[0] = request.address;
  body[1] = request.functionCode;
  body[2] = 2 * words.length;
  words.forEach((word, i) => body.writeUInt16BE(word, 3 + 2 * i));
  return withCrc(body);
}

function withCrc(body: Buffer): Buffer {
  const frame = Buffer.alloc(body.length + 2);
  body.copy(frame);
  frame.writeUInt16LE(crc16Modbus(body), body.length);
  return frame;
}
