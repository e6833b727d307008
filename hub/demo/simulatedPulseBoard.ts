import mockFirmata from 'mock-firmata';

/**
 * An Arduino running StandardFirmata with a pulse sensor on a meter, for the
 * demo: mock-firmata as the johnny-five io, with `digitalRead` reporting
 * `digital-read-${pin}` events as firmata-io does, and `pulse()` driving the
 * pin the way a meter's S0 output closes for 40 ms.
 */
export class SimulatedPulseBoard extends mockFirmata.Firmata {
  readonly transport: { path: string; isOpen: boolean; close(callback?: (error: Error | null) => void): void };
  firmware = { name: 'StandardFirmata.ino (simulated)', version: { major: 2, minor: 5 } };

  constructor(path: string) {
    super();
    const transport = {
      path,
      isOpen: true,
      close(callback?: (error: Error | null) => void) {
        transport.isOpen = false;
        if (callback) setImmediate(callback, null);
      },
    };
    this.transport = transport;
  }

  ready(): this {
    this.emit('connect');
    this.emit('ready');
    return this;
  }

  override digitalRead(pin: number, callback: (value: number) => void): void {
    this.on(`digital-read-${pin}`, callback);
  }

  pulse(pin: number, widthMs = 40): void {
    if (!this.transport.isOpen) return;
    this.emit(`digital-read-${pin}`, 1);
    setTimeout(() => this.emit(`digital-read-${pin}`, 0), widthMs);
  }
}

/**
 * Milliseconds between a meter's S0 pulses at a power: one pulse is
 * 1000 / impulsesPerKWh Wh, so at `watts` it takes 3.6e9 / (watts × impulsesPerKWh) ms.
 */
export function pulseIntervalMs(watts: number, impulsesPerKWh: number): number {
  return 3.6e9 / (watts * impulsesPerKWh);
}
