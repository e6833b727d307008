import { SerialPort } from 'serialport';
import Firmata from 'firmata-io';

/**
 * Opens a real Arduino running StandardFirmata: the entry point's `connect`
 * for the s0 driver, and the probe behind `commonwatt sensor detect`.
 *
 * StandardFirmata talks at 57600 baud (`Firmata.begin(57600)` in the sketch).
 * Opening the port resets an Uno or Nano (DTR), which then spends 1–2 s in
 * its bootloader before announcing its version; firmata-io asks explicitly
 * after 5 s for boards that do not reset. Ready means firmata-io has the
 * version, the firmware name and the pin capabilities.
 */

export type FirmataBoard = InstanceType<typeof Firmata.Firmata>;

export const FIRMATA_BAUD_RATE = 57_600;
export const DEFAULT_FIRMATA_TIMEOUT_MS = 10_000;

/** Why a board could not be opened; `code` tells a missing port from a silent one. */
export class FirmataOpenError extends Error {
  constructor(
    readonly code: 'PORT_UNAVAILABLE' | 'NO_FIRMATA_ANSWER' | 'SERIAL_ERROR',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FirmataOpenError';
  }
}

/**
 * Resolves with a ready firmata-io board on `path`; rejects with a
 * FirmataOpenError in words for a volunteer. The caller owns the board and
 * closes it with closeFirmataBoard (the s0 driver does this itself).
 */
export function openFirmataBoard(path: string, options: { timeoutMs?: number } = {}): Promise<FirmataBoard> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FIRMATA_TIMEOUT_MS;
  return new Promise<FirmataBoard>((resolve, reject) => {
    let settled = false;
    const port = new SerialPort({ path, baudRate: FIRMATA_BAUD_RATE, autoOpen: false });
    const board = new Firmata.Firmata(port, {}, (error?: Error) => {
      if (error) fail(new FirmataOpenError('SERIAL_ERROR', `serial error on ${path} while waiting for StandardFirmata: ${error.message}`, { cause: error }));
      else succeed();
    });
    // Errors after a failed open (a late write to the closed port) must not crash the process.
    board.on('error', () => {});

    const timer = setTimeout(() => {
      fail(
        new FirmataOpenError(
          'NO_FIRMATA_ANSWER',
          `no StandardFirmata answer on ${path} within ${seconds(timeoutMs)}: is StandardFirmata flashed? (see sensors/README.md)`,
        ),
      );
    }, timeoutMs);

    function succeed() {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(board);
    }

    function fail(error: FirmataOpenError) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // firmata-io's own "ask for the version" timer would otherwise write to a closed port later.
      clearTimeout(board.reportVersionTimeoutId);
      if (port.isOpen) port.close(() => reject(error));
      else reject(error);
    }

    port.open((error) => {
      if (!error && settled) port.close(() => {}); // opened only after we gave up
      else if (error) fail(new FirmataOpenError('PORT_UNAVAILABLE', describeOpenError(path, error), { cause: error }));
    });
  });
}

/** Closes a board opened by openFirmataBoard; resolves once the port is released. */
export function closeFirmataBoard(board: FirmataBoard): Promise<void> {
  clearTimeout(board.reportVersionTimeoutId);
  return new Promise((resolve) => {
    if (board.transport.isOpen === false) resolve();
    else board.transport.close(() => resolve());
  });
}

/**
 * Asks the device on `path` whether it runs Firmata. Resolves with the
 * firmware's name and version, or null when the port opened but nothing
 * answered like Firmata; rejects when the port cannot be opened at all (not
 * there, no permission, in use), since that needs a different fix.
 */
export async function probeFirmata(path: string, timeoutMs = DEFAULT_FIRMATA_TIMEOUT_MS): Promise<{ firmware: string; version: string } | null> {
  let board: FirmataBoard;
  try {
    board = await openFirmataBoard(path, { timeoutMs });
  } catch (error) {
    if (error instanceof FirmataOpenError && error.code === 'NO_FIRMATA_ANSWER') return null;
    throw error;
  }
  const { name, version } = board.firmware;
  await closeFirmataBoard(board);
  return {
    firmware: (name ?? 'unknown Firmata').replace(/\.ino$/i, ''),
    version: version ? `${version.major}.${version.minor}` : 'unknown',
  };
}

function describeOpenError(path: string, error: Error): string {
  const text = error.message;
  if (/ENOENT|No such file/i.test(text)) {
    return `cannot open ${path}: there is no such serial port. Is the Arduino plugged in? "ls /dev/serial/by-id/" lists the ones there are`;
  }
  if (/EACCES|Permission denied/i.test(text)) {
    return `cannot open ${path}: permission denied. Add the user that runs commonwatt to the "dialout" group (sudo usermod -aG dialout USER), then log in again`;
  }
  if (/lock|EBUSY|Resource temporarily unavailable/i.test(text)) {
    return `cannot open ${path}: another program has it open (an Arduino IDE serial monitor, a second commonwatt?). Close that program and try again`;
  }
  return `cannot open ${path}: ${text}`;
}

function seconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
