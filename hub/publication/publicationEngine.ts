import type { Logger } from '../log/createLogger.js';
import type { Clock } from '../config/clock.js';
import type { ReadingStore } from '../storage/readingStore.js';
import type { Registry } from '../storage/registry.js';
import { decideDay, type HouseholdMembership, type PublicationPolicy } from './dayFigures.js';
import { householdMemberships } from './householdMemberships.js';
import type { DecidedFigure, ReleasedFigures } from './releasedFigures.js';

/**
 * Releases figures once their day is over and settled (PRIVACY-RULES.md
 * "Time and immutability"): a local day D is decided on D+delay, when every
 * contributing meter has reported past the day's end, or when the maximum
 * lateness has passed. Each day is decided once; late data stays internal.
 */

export interface ScheduledPolicy extends PublicationPolicy {
  /** First instant the policy applies to (periods starting at or after). */
  effectiveFrom: number;
  delayDays: number;
}

export interface PublicationSources {
  /** Every adopted policy, for where publication has to start. */
  adopted(): readonly ScheduledPolicy[];
  /** The policies in force for a day (start inclusive, end exclusive). */
  inForce(start: number, end: number): readonly ScheduledPolicy[];
  /** Whether a household's consent at t covers this audience. */
  consents(householdId: string, t: number, audience: string): boolean;
  /** Why publishing must stop (e.g. the decision log was tampered with), or null. */
  blocked(): Promise<string | null>;
}

export interface PublishStatus {
  waiting: Array<{ policyId: string; day: string; reason: string }>;
  lastRun: number | null;
  blocked: string | null;
}

export interface PublicationEngine {
  start(): void;
  /** Stops the timer and waits for a run in progress, so nothing touches storage once the hub closes it. */
  stop(): Promise<void>;
  /** Decides every releasable day; returns the figures newly decided. */
  runOnce(): Promise<DecidedFigure[]>;
  status(): PublishStatus;
}

const DAY_MS = 86_400_000;
const MAX_DAYS_PER_RUN = 400;

export function createPublicationEngine(options: {
  store: ReadingStore;
  registry: Registry;
  sources: PublicationSources;
  released: ReleasedFigures;
  clock: Clock;
  logger: Logger;
  maxLatenessMs?: number;
  intervalMs?: number;
  /** Called with newly released figures (public MQTT topics). */
  onReleased?(figures: readonly DecidedFigure[]): void;
}): PublicationEngine {
  const { store, registry, sources, released, clock } = options;
  const log = options.logger.child({ module: 'publication' });
  const maxLatenessMs = options.maxLatenessMs ?? 48 * 3_600_000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<DecidedFigure[]> | null = null;
  let status: PublishStatus = { waiting: [], lastRun: null, blocked: null };


  function settled(day: { end: number }, households: readonly HouseholdMembership[], now: number): string | null {
    if (now >= day.end + maxLatenessMs) return null;
    const behind = households.flatMap((h) => h.meters).filter((m) => (store.stats(m.id).lastT ?? 0) < day.end).length;
    return behind === 0 ? null : `${behind} meter(s) have not reported past the end of the day yet (waiting at most ${maxLatenessMs / 3_600_000} h)`;
  }

  function decidedThrough(policy: ScheduledPolicy): number | null {
    const firstGroup = policy.neighbourhood ? 'neighbourhood' : `zone:${policy.zones[0]}`;
    const firstResolution = policy.neighbourhood ? policy.neighbourhoodResolution : 'day';
    return released.decidedThrough(policy.id, firstGroup, policy.metrics[0]!, firstResolution);
  }

  async function run(): Promise<DecidedFigure[]> {
    const now = clock.now();
    const blocked = await sources.blocked();
    status = { waiting: [], lastRun: now, blocked };
    if (blocked) {
      log.error({ reason: blocked }, 'publication stopped');
      return [];
    }
    const adopted = sources.adopted();
    if (adopted.length === 0) return [];
    await store.flush(); // interval energy must include every acked reading
    const households = householdMemberships(registry);
    const calendar = store.calendar;
    // Start at the earliest day some adopted policy has not decided yet.
    let startAt = Infinity;
    for (const policy of adopted) startAt = Math.min(startAt, decidedThrough(policy) ?? policy.effectiveFrom);
    const decided: DecidedFigure[] = [];
    const stopped = new Set<string>(); // a policy waits at its first unreleasable day
    let day = calendar.dayKey(startAt);
    for (let n = 0; n < MAX_DAYS_PER_RUN; n++) {
      const bounds = calendar.dayBounds(day);
      if (bounds.start > now) break;
      const notSettled = settled(bounds, households, now);
      for (const policy of sources.inForce(bounds.start, bounds.end)) {
        if (stopped.has(policy.id) || bounds.start < policy.effectiveFrom) continue;
        const through = decidedThrough(policy);
        if (through !== null && bounds.start < through) continue; // decided before: never again
        const releaseAt = bounds.end + (policy.delayDays - 1) * DAY_MS;
        const wait = now < releaseAt ? `released from ${new Date(releaseAt).toISOString()} (D+${policy.delayDays})` : notSettled;
        if (wait) {
          status.waiting.push({ policyId: policy.id, day, reason: wait });
          stopped.add(policy.id);
          continue;
        }
        const figures = decideDay({ store, policy, day, households, consents: (id, t) => sources.consents(id, t, policy.audience), now });
        released.record(figures);
        decided.push(...figures);
      }
      day = calendar.dayKey(bounds.end);
    }
    if (decided.length > 0) {
      const releasedCount = decided.filter((f) => f.decision.released).length;
      log.info({ decided: decided.length, released: releasedCount, suppressed: decided.length - releasedCount }, 'figures decided');
      options.onReleased?.(decided.filter((f) => f.decision.released));
    }
    return decided;
  }

  return {
    start() {
      const tick = () => {
        void this.runOnce().catch((error) => log.error({ err: error }, 'publication run failed; tried again later'));
      };
      tick();
      timer = setInterval(tick, options.intervalMs ?? 15 * 60_000);
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running?.catch(() => {});
    },
    runOnce() {
      running ??= run().finally(() => {
        running = null;
      });
      return running;
    },
    status: () => status,
  };
}
