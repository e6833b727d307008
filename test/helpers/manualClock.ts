/** A clock that moves only when a test moves it. */
export interface ManualClock {
  now(): number;
  set(t: number): void;
  advance(ms: number): number;
}

export function manualClock(start = Date.UTC(2026, 5, 1, 12, 0)): ManualClock {
  let t = start;
  return {
    now: () => t,
    set(next) {
      if (next < t) throw new Error(`the test clock cannot go back from ${t} to ${next}`);
      t = next;
    },
    advance(ms) {
      t += ms;
      return t;
    },
  };
}
