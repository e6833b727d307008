import type { Readable } from 'node:stream';
import { nextDsmrFrame, parseDsmrTelegram, type DsmrTelegram } from './dsmrTelegram.js';

export interface DsmrProbeResult {
  /** "DSMR 5.0", "DSMR 4.2", "e-MUCS 50217", "DSMR 2.2/3", … */
  version: string;
  /** 0-0:96.1.1 as sent, or null if the meter sends none. */
  serial: string | null;
  /**
   * true: the CRC matched. false: telegrams arrive but only with a wrong CRC
   * (noise on the line; the version and serial may be garbled too).
   * null: DSMR 2.2/3, which sends no CRC.
   */
  crcOk: boolean | null;
}

/**
 * Listens on an open port for up to `timeoutMs` and tells what meter is
 * talking, for `commonwatt sensor detect`. Resolves at the first good
 * telegram; if only telegrams with a wrong CRC came, with the first of those
 * at the timeout; null if no telegram came at all (wrong serial settings,
 * port not enabled, cable). DSMR 2.2–4 meters send every 10 s, so give it
 * more than that. Never rejects; leaves no listener or timer behind.
 */
export function probeDsmr(port: Readable, timeoutMs: number): Promise<DsmrProbeResult | null> {
  return new Promise((resolve) => {
    let buffer: Buffer = Buffer.alloc(0);
    let corrupt: DsmrProbeResult | null = null;

    const finish = (result: DsmrProbeResult | null): void => {
      clearTimeout(timer);
      port.off('data', onData);
      port.off('close', onClose);
      port.off('error', onClose);
      resolve(result);
    };
    const onClose = (): void => finish(corrupt);
    const onData = (chunk: Buffer | string): void => {
      buffer = Buffer.concat([buffer, typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk]);
      for (let frame = nextDsmrFrame(buffer); frame.kind !== 'incomplete'; frame = nextDsmrFrame(buffer)) {
        buffer = buffer.subarray(frame.end);
        if (frame.kind !== 'telegram') continue;
        const good = tryParse(frame.bytes, true);
        if (good) return finish(describe(good, good.crc === null ? null : true));
        const unchecked = corrupt ? null : tryParse(frame.bytes, false);
        if (unchecked && unchecked.crc !== null) corrupt = describe(unchecked, false);
      }
    };

    const timer = setTimeout(() => finish(corrupt), timeoutMs);
    port.on('data', onData);
    port.on('close', onClose);
    port.on('error', onClose);
  });
}

function tryParse(bytes: Buffer, checkCrc: boolean): DsmrTelegram | null {
  try {
    return parseDsmrTelegram(bytes, { checkCrc });
  } catch {
    return null;
  }
}

function describe(telegram: DsmrTelegram, crcOk: boolean | null): DsmrProbeResult {
  return { version: telegram.version, serial: telegram.serial ?? null, crcOk };
}
