/** Time as the hub sees it; injected so tests can run a week in a second. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
