/**
 * Slows down repeated failed logins from one address (or any other key, such as
 * a username): after `freeFailures` failures, each answer waits twice as long as
 * the last, starting at `baseDelayMs`, up to `maxDelayMs`. Failures are forgotten
 * after `forgetAfterMs` without one, or on a success.
 *
 * The MQTT broker holds its answer back by `delayFor`; the admin sign-in
 * (hub/auth/adminAuth.ts) instead refuses with 429 until `retryAfterMs` has passed.
 */
export interface LoginThrottle {
  delayFor(address: string, now: number): number;
  /** How long from `now` until the delay since the last failure has passed; 0 when free to try. */
  retryAfterMs(address: string, now: number): number;
  failed(address: string, now: number): number;
  succeeded(address: string): void;
}

export function createLoginThrottle(options: { freeFailures: number; baseDelayMs?: number; maxDelayMs?: number; forgetAfterMs?: number }): LoginThrottle {
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const forgetAfterMs = options.forgetAfterMs ?? 15 * 60_000;
  const failures = new Map<string, { count: number; last: number }>();

  function current(address: string, now: number) {
    const entry = failures.get(address);
    if (entry && now - entry.last > forgetAfterMs) {
      failures.delete(address);
      return undefined;
    }
    return entry;
  }

  function delay(count: number): number {
    return count < options.freeFailures ? 0 : Math.min(maxDelayMs, baseDelayMs * 2 ** (count - options.freeFailures));
  }

  return {
    delayFor(address, now) {
      return delay(current(address, now)?.count ?? 0);
    },
    retryAfterMs(address, now) {
      const entry = current(address, now);
      return entry ? Math.max(0, entry.last + delay(entry.count) - now) : 0;
    },
    failed(address, now) {
      const entry = current(address, now) ?? { count: 0, last: now };
      entry.count++;
      entry.last = now;
      failures.set(address, entry);
      if (failures.size > 10_000) failures.delete(failures.keys().next().value!);
      return entry.count;
    },
    succeeded(address) {
      failures.delete(address);
    },
  };
}
