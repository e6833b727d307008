import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The one root logger of a hub process; modules take `logger.child({ module })`.
 * Level comes from COMMONWATT_LOG_LEVEL (default `info`). Never log secrets or
 * household energy values: meter ids and counts only.
 */
export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  const level = options.level ?? process.env.COMMONWATT_LOG_LEVEL ?? 'info';
  return options.destination ? pino({ level, base: undefined }, options.destination) : pino({ level, base: undefined });
}
