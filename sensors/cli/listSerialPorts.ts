import { readdir } from 'node:fs/promises';
import { SerialPort } from 'serialport';

/**
 * Serial ports on this machine. SerialPort.list() needs udevadm on Linux and
 * rejects without it; then the usual device names are scanned instead, and the
 * caller is told why the list may lack details.
 */
export async function listSerialPorts(): Promise<{ ports: Array<{ path: string; description: string | null }>; note: string | null }> {
  try {
    const ports = await SerialPort.list();
    return {
      ports: ports.map((p) => ({ path: p.path, description: [p.manufacturer, p.serialNumber].filter(Boolean).join(' ') || null })),
      note: null,
    };
  } catch (error) {
    const found: string[] = [];
    for (const [dir, pattern] of [
      ['/dev', /^tty(USB|ACM|AMA)\d+$/],
      ['/dev/serial/by-id', /./],
    ] as const) {
      try {
        for (const name of await readdir(dir)) if (pattern.test(name)) found.push(`${dir}/${name}`);
      } catch {
        // folder absent: nothing plugged in of that kind
      }
    }
    return {
      ports: found.sort().map((path) => ({ path, description: null })),
      note: `Listing ports through udev failed (${(error as Error).message}); is udevadm installed (apt-get install udev)? Scanned /dev/ttyUSB*, /dev/ttyACM*, /dev/ttyAMA* and /dev/serial/by-id/* instead.`,
    };
  }
}
