/** The part of mock-firmata 0.2 (no published types) that the demo and tests use: a board-io based johnny-five io. */
declare module 'mock-firmata' {
  import { EventEmitter } from 'node:events';

  interface MockPin {
    supportedModes: number[];
    mode: number;
    value: number;
    report: number;
    analogChannel: number;
  }

  /** board-io's MODES: INPUT, OUTPUT, ANALOG, PWM, SERVO, ...; no PULLUP. */
  class MockFirmata extends EventEmitter {
    constructor(options?: { pins?: MockPin[] });
    name: string;
    /** Set by board-io once 'ready' has been emitted. */
    readonly isReady: boolean;
    readonly pins: MockPin[];
    readonly MODES: { readonly INPUT: number; readonly OUTPUT: number; readonly [mode: string]: number };
    pinMode(pin: number, mode: number): void;
    /** A no-op in board-io: tests subclass it. */
    digitalRead(pin: number, callback: (value: number) => void): void;
    digitalWrite(pin: number, value: number): void;
  }

  const mockFirmata: { Firmata: typeof MockFirmata };
  export = mockFirmata;
}
