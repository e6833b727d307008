/**
 * The part of firmata-io 2.3 (no published types) that Commonwatt uses.
 * Export shape (lib/firmata.js): `module.exports = bindTransport`, a function
 * that sets the default transport class and returns `Firmata`; the class is
 * also at `bindTransport.Firmata`. Passing an opened-or-opening transport
 * object (a serialport 13 `SerialPort`) to the constructor needs no binding.
 */
declare module 'firmata-io' {
  import { EventEmitter } from 'node:events';

  namespace bindTransport {
    interface FirmataOptions {
      /** ms to wait for the board's unsolicited version report before asking for it (default 5000). */
      reportVersionTimeout?: number;
      samplingInterval?: number;
      skipCapabilities?: boolean;
    }

    interface FirmataPin {
      supportedModes: number[];
      mode?: number;
      value?: number;
      report?: number;
      analogChannel: number;
    }

    /**
     * Events: 'ready'; 'connect' (transport open); 'close' (transport closed,
     * also on a serialport 13 unplug); 'disconnect' (unplug, older serialport);
     * 'error'; 'reportversion' (every REPORT_VERSION, including the one a board
     * sends when it boots); 'queryfirmware'; `digital-read-${pin}` (value).
     */
    class Firmata extends EventEmitter {
      constructor(transport: object, options?: FirmataOptions, callback?: (error?: Error) => void);
      isReady: boolean;
      readonly name: string;
      readonly MODES: {
        readonly INPUT: number;
        readonly OUTPUT: number;
        readonly ANALOG: number;
        readonly PULLUP: number;
        readonly [mode: string]: number;
      };
      pins: FirmataPin[];
      /** Filled by the firmware report: sketch file name and its version. */
      firmware: { name?: string; version?: { major: number; minor: number } };
      /** Firmata protocol version from REPORT_VERSION. */
      version: { major?: number; minor?: number };
      transport: { path?: string; isOpen?: boolean; close(callback?: (error: Error | null) => void): void } & EventEmitter;
      /** The timer behind `reportVersionTimeout`; still pending if the board never answered. */
      reportVersionTimeoutId?: ReturnType<typeof setTimeout>;
      pinMode(pin: number, mode: number): void;
      /** Turns on reporting for the pin's port and adds `callback` as a `digital-read-${pin}` listener. */
      digitalRead(pin: number, callback: (value: number) => void): void;
      reportDigitalPin(pin: number, value: 0 | 1): void;
      queryFirmware(callback: () => void): void;
      reportVersion(callback: () => void): void;
      reset(): void;
    }
  }

  function bindTransport(transport: unknown): typeof bindTransport.Firmata;

  export = bindTransport;
}
