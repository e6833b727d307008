/**
 * Slows down repeated failed logins from one address: after `freeFailures`
 * failures, each answer waits twice as long as the last, up to `maxDelayMs`.
 * Failures are forgotten after `forgetAfterMs` without one, or on a success.
 */
export interface LoginThrottle {
  delayFor(address: string, now: number): number;
  failed(address: string, now: number): number;
  succeeded(address: string): void;
}

export function createLoginThrottle(options: { freeFailures: number; maxDelayMs?: number; forgetAfterMs?: number }): LoginThrottle {
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
    return count < options.freeFailures ? 0 : Math.min(maxDelayMs, 1000 * 2 ** (count - options.freeFailures));
  }

  return {
    delayFor(address, now) {
      return delay(current(address, now)?.count ?? 0);
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
