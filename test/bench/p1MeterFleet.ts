import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { buildDsmr5Telegram, type P1Registers } from '../../hub/demo/simulatedP1Meter.js';
import { openSocatPtyPair, type PtyPair } from '../helpers/socatPtyPair.js';

/**
 * A row of DSMR 5 smart meters, each pushing a telegram out of its "P1 port"
 * every second as a DSMR 5 meter does (DSMR 4 and older: every 10 s). Each
 * meter is a socat pty pair: the agent opens `path`, the fleet writes to the
 * other end.
 *
 * Writes are synchronous on a non-blocking fd, so a full pty (nobody reading
 * the other end) drops the telegram and is counted, instead of blocking
 * libuv's thread pool, which an in-process hub needs for its own files.
 */

export interface P1FleetMeter {
  meterId: string;
  /** 0-0:96.1.1 as the DSMR driver reports it (hex of the ASCII serial). */
  serialHex: string;
  /** The pty the agent's DSMR driver opens. */
  path: string;
}

export interface P1MeterFleet {
  readonly meters: readonly P1FleetMeter[];
  /** Telegrams written whole. */
  readonly telegrams: number;
  /** Telegrams dropped or cut short because the pty was full. */
  readonly dropped: number;
  /** The last write error other than a full pty, if any. */
  readonly lastError: string | null;
  close(): Promise<void>;
}

export interface P1MeterFleetOptions {
  meterIds: readonly string[];
  /** The serial printed on meter i (ASCII). */
  serialOf(meterIndex: number): string;
  /** Cumulative registers of meter i at time t (ms). */
  registersAt(meterIndex: number, t: number): P1Registers;
  intervalMs?: number;
  /** A bound on how long the fleet sends (default 3 h); it stops sending after that. */
  maxRunMs?: number;
}

export async function startP1MeterFleet(options: P1MeterFleetOptions): Promise<P1MeterFleet> {
  const intervalMs = options.intervalMs ?? 1000;
  const maxTicks = Math.ceil((options.maxRunMs ?? 3 * 3_600_000) / intervalMs);
  const pairs: PtyPair[] = [];
  const fds: number[] = [];
  const close = async () => {
    if (timer) clearInterval(timer);
    timer = null;
    for (const fd of fds.splice(0)) closeSync(fd);
    await Promise.all(pairs.splice(0).map((p) => p.close()));
  };
  let timer: NodeJS.Timeout | null = null;
  let telegrams = 0;
  let dropped = 0;
  let lastError: string | null = null;
  const meters: P1FleetMeter[] = [];
  try {
    for (const [i, meterId] of options.meterIds.entries()) {
      const pair = await openSocatPtyPair();
      pairs.push(pair);
      fds.push(openSync(pair.paths[1], constants.O_WRONLY | constants.O_NOCTTY | constants.O_NONBLOCK));
      meters.push({ meterId, serialHex: Buffer.from(options.serialOf(i), 'ascii').toString('hex').toUpperCase(), path: pair.paths[0] });
    }
  } catch (error) {
    await close();
    throw error;
  }

  let ticks = 0;
  const send = () => {
    if (++ticks > maxTicks) {
      if (timer) clearInterval(timer);
      timer = null;
      return;
    }
    const now = Date.now();
    fds.forEach((fd, i) => {
      const telegram = buildDsmr5Telegram(options.serialOf(i), new Date(now), options.registersAt(i, now));
      try {
        if (writeSync(fd, telegram) === telegram.length) telegrams++;
        else dropped++;
      } catch (error) {
        // EAGAIN: the pty is full. Anything else is kept for the report; one meter never stops the others.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') lastError = `${meters[i]!.path}: ${(error as Error).message}`;
        dropped++;
      }
    });
  };
  timer = setInterval(send, intervalMs);

  return {
    meters,
    get telegrams() {
      return telegrams;
    },
    get dropped() {
      return dropped;
    },
    get lastError() {
      return lastError;
    },
    close,
  };
}
