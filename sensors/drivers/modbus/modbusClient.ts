import modbusSerial from 'modbus-serial';
import type { SerialParity } from './modbusTemplate.js';

// modbus-serial is CommonJS and sets `module.exports.default = module.exports`. Under
// NodeNext its typed `export default` lands on `.default`, which at run time is the
// same ModbusRTU class, so this form type-checks and runs.
const ModbusRTU = modbusSerial.default;
export type ModbusRTUClient = InstanceType<typeof ModbusRTU>;

/**
 * The narrow part of a Modbus RTU master that the driver and the scanner use,
 * and the one place that knows modbus-serial: opening a port, and turning its
 * errors into kinds a volunteer can act on.
 */

export interface SerialLine {
  baudRate: number;
  parity: SerialParity;
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

export interface ModbusClient {
  readonly isOpen: boolean;
  /** The slave address the next request goes to. */
  setID(address: number): void;
  /** Milliseconds before an unanswered request fails with a timeout. */
  setTimeout(ms: number): void;
  readHoldingRegisters(address: number, count: number): Promise<{ data: number[] }>;
  readInputRegisters(address: number, count: number): Promise<{ data: number[] }>;
  close(callback: (error?: Error | null) => void): void;
  on(event: 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
  removeListener(event: 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
}

/** "9600 8N1". */
export function describeLine(line: SerialLine): string {
  return `${line.baudRate} ${line.dataBits}${line.parity[0]!.toUpperCase()}${line.stopBits}`;
}

/**
 * Opens an RS485 adapter as a Modbus RTU master. modbus-serial's buffered RTU
 * port assembles an answer from however many serial chunks it arrives in
 * (USB adapters split frames), using the length the request implies.
 */
export async function openModbusRtuClient(path: string, line: SerialLine): Promise<ModbusClient> {
  const client = new ModbusRTU();
  try {
    await client.connectRTUBuffered(path, { baudRate: line.baudRate, parity: line.parity, dataBits: line.dataBits, stopBits: line.stopBits });
  } catch (error) {
    throw new Error(
      `Cannot open ${path} for Modbus (${describeLine(line)}): ${(error as Error).message}. ` +
        'Check that the RS485 adapter is plugged in (ls /dev/serial/by-id/), that no other program uses it, and that this user may open it (group dialout).',
      { cause: error },
    );
  }
  return asModbusClient(client);
}

/**
 * modbus-serial's typings leave out that ModbusRTU is an EventEmitter; at run
 * time it is one, and it emits 'error', which must have a listener.
 */
export function asModbusClient(client: ModbusRTUClient): ModbusClient {
  return client as unknown as ModbusClient;
}

export function closeModbusClient(client: ModbusClient): Promise<void> {
  if (!client.isOpen) return Promise.resolve();
  return new Promise((resolve) => client.close(() => resolve()));
}

export type ModbusFailureKind = 'timeout' | 'crc' | 'exception' | 'garbled' | 'port' | 'other';

/** Sorts an error from modbus-serial into what it most likely means on the wire. */
export function classifyModbusError(error: unknown): { kind: ModbusFailureKind; detail: string } {
  const e = (error ?? {}) as { name?: string; message?: string; errno?: string; modbusCode?: number };
  const message = e.message ?? String(error);
  if (e.name === 'TransactionTimedOutError' || e.errno === 'ETIMEDOUT') return { kind: 'timeout', detail: 'no answer' };
  if (message === 'CRC error') return { kind: 'crc', detail: 'CRC error' };
  if (typeof e.modbusCode === 'number') return { kind: 'exception', detail: message };
  if (message.startsWith('Data length error') || message.startsWith('Unexpected data error')) return { kind: 'garbled', detail: message };
  if (message === 'Port Not Open') return { kind: 'port', detail: 'port not open' };
  return { kind: 'other', detail: message };
}
