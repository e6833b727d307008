import { SerialPort } from 'serialport';

/**
 * Opens a serial port for an entry point, translating the operating system's
 * errors into what a volunteer can do about them.
 */
export function openSerialPort(
  path: string,
  settings: { baudRate: number; dataBits?: 5 | 6 | 7 | 8; parity?: 'none' | 'even' | 'odd'; stopBits?: 1 | 2 },
): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, ...settings, autoOpen: false });
    port.open((error) => {
      if (!error) return resolve(port);
      const message = error.message;
      let hint = 'check the cable and `commonwatt sensor detect`';
      if (/ENOENT|No such file/i.test(message)) hint = 'the port does not exist: is the cable plugged in? `commonwatt sensor detect` lists the ports';
      else if (/EACCES|Permission denied/i.test(message)) hint = "permission denied: add the sensor's user to the dialout group (sudo usermod -aG dialout USER) and log in again";
      else if (/EBUSY|Resource busy|lock/i.test(message)) hint = 'another program has the port open (a second agent, ModemManager?): stop it';
      reject(new Error(`Cannot open serial port ${path}: ${hint} (${message})`, { cause: error }));
    });
  });
}
