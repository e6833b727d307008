import type { Clock } from '../config/clock.js';
import type { GovernanceStore } from '../governance/governanceStore.js';
import type { LocalCalendar } from '../rollups/localTime.js';
import type { ReadingStore } from '../storage/readingStore.js';
import type { Registry } from '../storage/registry.js';
import type { StoredReading } from '../storage/storedReading.js';
import { checkFigure } from './disclosureRules.js';
import type { DisclosureRules, HouseholdValue } from './publicationTypes.js';

/**
 * "Solar generation now" for the whole neighbourhood (PRIVACY-RULES.md "live
 * figure"): off unless an open policy in force turns it on, and then only the
 * neighbourhood total of households that consented to it, checked against that
 * policy's rules like any other figure (one large array can still dominate).
 * Two figures: power now (averaged over at least the last 10 minutes of each
 * meter's readings, rounded to 100 W) and generation today so far (rounded to
 * 100 Wh). Each is checked on its own; a figure that fails is not shown, and
 * nobody is told why. Consumption is never live: it shows who is at home.
 *
 * Computed when asked and kept for a minute; no timer runs for it.
 */

export interface LiveGenerationFigure {
  /** When the figure was computed (ISO 8601). */
  at: string;
  /** Neighbourhood solar power now, W, rounded to 100 W; null when it did not pass the rules. */
  powerW: number | null;
  /** Neighbourhood solar generation since local midnight, Wh, rounded to 100 Wh; null when it did not pass. */
  todayWh: number | null;
  /** Households counted, rounded down to 5. */
  householdsAtLeast: number;
}

export interface LiveGeneration {
  /** Whether an open policy in force turns the live figure on now. */
  enabled(): boolean;
  /** The figure now, or null when it is off or no household could be counted. */
  current(): LiveGenerationFigure | null;
}

/** Each meter's power is averaged over at least this long, so a kettle-length blip never shows. */
const AVERAGE_OVER_MS = 10 * 60_000;
/** A meter silent for longer than this is not counted now. */
const FRESH_MS = 15 * 60_000;
const CACHE_MS = 60_000;
/** A reading this long before midnight still marks where today began. */
const MIDNIGHT_GAP_MS = 60 * 60_000;

export function createLiveGeneration(options: { store: ReadingStore; registry: Registry; governance: GovernanceStore; calendar: LocalCalendar; clock: Clock }): LiveGeneration {
  const { store, registry, governance, calendar, clock } = options;
  let cached: { until: number; figure: LiveGenerationFigure | null } | null = null;

  const rules = (now: number): DisclosureRules | null => {
    const policies = governance
      .policiesInForce(now)
      .filter((p) => p.proposal.audience.tier === 'open' && p.proposal.liveGeneration && p.proposal.groups.neighbourhood);
    if (policies.length === 0) return null;
    // Several policies turning it on: the strictest rules of them all apply.
    return policies.reduce<DisclosureRules>(
      (strictest, p) => ({
        k: Math.max(strictest.k, p.proposal.rules.k),
        dominancePercent: Math.min(strictest.dominancePercent, p.proposal.rules.dominancePercent),
        pPercent: Math.max(strictest.pPercent, p.proposal.rules.pPercent),
      }),
      { k: 0, dominancePercent: 100, pPercent: 0 },
    );
  };

  function compute(now: number, policyRules: DisclosureRules): LiveGenerationFigure | null {
    const dayStart = calendar.dayBounds(calendar.dayKey(now)).start;
    const power: HouseholdValue[] = [];
    const today: HouseholdValue[] = [];
    const solarByHousehold = new Map<string, string[]>();
    for (const meter of registry.meters()) {
      if (meter.kind === 'generation') solarByHousehold.set(meter.householdId, [...(solarByHousehold.get(meter.householdId) ?? []), meter.id]);
    }
    for (const household of registry.households()) {
      if (!governance.consentAt(household.id, now).liveGeneration) continue;
      const solar = solarByHousehold.get(household.id) ?? [];
      let watts = 0;
      let wh = 0;
      let fresh = true;
      for (const meterId of solar) {
        const latest = store.latest(meterId);
        if (!latest || latest.generationWh === null || now - latest.t > FRESH_MS) {
          fresh = false;
          break;
        }
        const earlier = readingBefore(store, meterId, latest.t - AVERAGE_OVER_MS);
        if (!earlier || earlier.generationWh === null) {
          fresh = false;
          break;
        }
        watts += ((latest.generationWh - earlier.generationWh) * 3_600_000) / (latest.t - earlier.t);
        // From the last reading before midnight; if the meter was silent then, from its first reading today.
        const before = readingBefore(store, meterId, dayStart);
        const start = before && dayStart - before.t <= MIDNIGHT_GAP_MS ? before : store.around(meterId, dayStart).next;
        wh += start && start.generationWh !== null && start.t <= latest.t ? latest.generationWh - start.generationWh : 0;
      }
      // A household whose solar meter is silent is left out rather than counted as zero.
      if (!fresh) continue;
      power.push({ householdId: household.id, valueWh: Math.max(0, watts) });
      today.push({ householdId: household.id, valueWh: Math.max(0, wh) });
    }
    if (power.length === 0) return null;
    const powerDecision = checkFigure(power, policyRules);
    const todayDecision = checkFigure(today, policyRules);
    if (!powerDecision.released && !todayDecision.released) return { at: new Date(now).toISOString(), powerW: null, todayWh: null, householdsAtLeast: 0 };
    const households = powerDecision.released ? powerDecision.householdsAtLeast : todayDecision.released ? todayDecision.householdsAtLeast : 0;
    return {
      at: new Date(now).toISOString(),
      powerW: powerDecision.released ? Math.round(powerDecision.totalWh / 100) * 100 : null,
      todayWh: todayDecision.released ? Math.round(todayDecision.totalWh / 100) * 100 : null,
      householdsAtLeast: households,
    };
  }

  return {
    enabled: () => rules(clock.now()) !== null,
    current() {
      const now = clock.now();
      if (cached && now < cached.until && now >= cached.until - CACHE_MS) return cached.figure;
      const policyRules = rules(now);
      const figure = policyRules ? compute(now, policyRules) : null;
      cached = { until: now + CACHE_MS, figure };
      return figure;
    },
  };
}

/** The last reading at or before t. */
function readingBefore(store: ReadingStore, meterId: string, t: number): StoredReading | null {
  const around = store.around(meterId, t);
  return around.same ?? around.previous;
}
