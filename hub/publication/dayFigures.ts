import type { ReadingStore } from '../storage/readingStore.js';
import { checkFigure } from './disclosureRules.js';
import { applySecondarySuppression } from './secondarySuppression.js';
import { householdValues, periodsBetween, type HouseholdMeters, type Period, type PublishedResolution } from './householdFigures.js';
import type { DecidedFigure } from './releasedFigures.js';
import { NEIGHBOURHOOD_GROUP_ID, zoneGroupId, type DisclosureRules, type FigureDecision, type GroupDefinition, type HouseholdValue, type Metric } from './publicationTypes.js';

/**
 * Decides every figure one policy publishes for one local day: the
 * neighbourhood at its resolution and each zone daily, per metric, with the
 * disclosure rules and secondary suppression across groups (PRIVACY-RULES.md).
 * Households count only if they were registered and had consented when the
 * period started, so membership changes work forward in time.
 */

export interface PublicationPolicy {
  id: string;
  /** 'open' or 'shared:<partner>'. */
  audience: string;
  metrics: readonly Metric[];
  neighbourhood: boolean;
  zones: readonly string[];
  neighbourhoodResolution: PublishedResolution;
  rules: DisclosureRules;
}

export interface HouseholdMembership extends HouseholdMeters {
  zone: string | null;
  /** ms; a household counts for periods starting at or after this. */
  joinedAt: number;
}

export function decideDay(options: {
  store: ReadingStore;
  policy: PublicationPolicy;
  day: string;
  households: readonly HouseholdMembership[];
  consents(householdId: string, t: number): boolean;
  now: number;
}): DecidedFigure[] {
  const { store, policy, day, now } = options;
  const dayPeriod: Period = { ...store.calendar.dayBounds(day), day };
  const members = (t: number) => options.households.filter((h) => h.joinedAt <= t && options.consents(h.householdId, t));
  const out: DecidedFigure[] = [];
  const dailyMembers = members(dayPeriod.start);

  // 1. The neighbourhood at its finer resolution, then the cross-metric check per period.
  const fine = new Map<Metric, DecidedFigure[]>();
  if (policy.neighbourhood && policy.neighbourhoodResolution !== 'day') {
    const periods = periodsBetween(store, policy.neighbourhoodResolution, dayPeriod.start, dayPeriod.end);
    for (const metric of policy.metrics) fine.set(metric, decidePeriods(store, policy, metric, policy.neighbourhoodResolution, periods, members, now, NEIGHBOURHOOD_GROUP_ID));
    protectAcrossMetrics([...fine.values()].flat());
    for (const figures of fine.values()) out.push(...figures);
  }

  // 2. Daily groups (zones, and the neighbourhood if daily), per metric with secondary suppression.
  const dailyGroups: GroupDefinition[] = [];
  if (policy.neighbourhood && policy.neighbourhoodResolution === 'day') dailyGroups.push(group(NEIGHBOURHOOD_GROUP_ID, 'Neighbourhood', dailyMembers));
  for (const zone of policy.zones) dailyGroups.push(group(zoneGroupId(zone), zone, dailyMembers.filter((h) => h.zone === zone)));
  if (dailyGroups.length === 0) return out;

  const perMetric = new Map<Metric, { decisions: Array<{ group: GroupDefinition; decision: FigureDecision; completeness: number }>; pseudo: Array<{ group: GroupDefinition; decision: FigureDecision }>; alsoKnown: string[][] }>();
  for (const metric of policy.metrics) {
    const [values] = householdValues(store, membersAsMeters(dailyMembers), metric, 'day', [dayPeriod]);
    const decisions = dailyGroups.map((g) => ({ group: g, ...decideGroup(g, values!.values, values!.eligible, policy.rules) }));
    const alsoKnown: string[][] = [];
    const pseudo: Array<{ group: GroupDefinition; decision: FigureDecision }> = [];
    const finer = fine.get(metric);
    if (finer && finer.length > 0) {
      // The day's neighbourhood total is known to the public when every finer
      // figure was released; if some were withheld, the daily zones must not
      // let the day's total (and so the missing periods) be rebuilt.
      const all = group(NEIGHBOURHOOD_GROUP_ID, 'Neighbourhood', dailyMembers);
      if (finer.every((f) => f.decision.released)) alsoKnown.push([...all.householdIds]);
      else pseudo.push({ group: all, decision: { released: false, rule: 'secondary', reason: 'finer neighbourhood periods of this day were withheld' } });
    }
    if (policy.neighbourhood && policy.zones.length > 0) {
      // Neighbourhood minus the published zones: never published, but
      // subtraction can reveal it, so if it fails the rules it must not be
      // rebuildable (PRIVACY-RULES.md attack 2).
      const rest = group('remainder', 'households in no published zone', dailyMembers.filter((h) => h.zone === null || !policy.zones.includes(h.zone)));
      if (rest.householdIds.length > 0) {
        const d = decideGroup(rest, values!.values, values!.eligible, policy.rules).decision;
        if (!d.released) pseudo.push({ group: rest, decision: { released: false, rule: d.rule, reason: `households in no published zone: ${d.reason}` } });
      }
    }
    perMetric.set(metric, { decisions, pseudo, alsoKnown });
  }

  // 3. Secondary suppression across groups and the cross-metric check, until both hold.
  const daily = () => [...perMetric.entries()].flatMap(([metric, m]) => m.decisions.map((d) => ({ metric, d })));
  for (let round = 0; round < 8; round++) {
    for (const m of perMetric.values()) {
      const secondary = applySecondarySuppression([...m.decisions.map((d) => ({ group: d.group, decision: d.decision })), ...m.pseudo], m.alsoKnown);
      for (const d of m.decisions) d.decision = secondary.find((x) => x.groupId === d.group.id)?.decision ?? d.decision;
    }
    const asFigures = daily().map(({ metric, d }) => ({ ...figure(policy, d.group.id, metric, 'day', dayPeriod, d.decision, d.completeness, now), ref: d }));
    const changed = protectAcrossMetrics(asFigures);
    for (const f of asFigures) f.ref.decision = f.decision;
    if (!changed) break;
  }
  for (const { metric, d } of daily()) out.push(figure(policy, d.group.id, metric, 'day', dayPeriod, d.decision, d.completeness, now));
  return out;
}

/**
 * consumption = generation + import − export, for the same households: with
 * the four metrics of one group and period published, any one withheld could
 * be rebuilt from the other three. Withholds a second one where that happens.
 * Returns whether anything changed.
 */
function protectAcrossMetrics(figures: Array<Pick<DecidedFigure, 'groupId' | 'resolution' | 'periodStart' | 'metric' | 'decision'>>): boolean {
  const byPeriod = new Map<string, Map<Metric, (typeof figures)[number]>>();
  for (const f of figures) {
    const key = `${f.groupId}|${f.resolution}|${f.periodStart}`;
    const slot = byPeriod.get(key) ?? new Map();
    slot.set(f.metric, f);
    byPeriod.set(key, slot);
  }
  let changed = false;
  for (const slot of byPeriod.values()) {
    if (slot.size < 4) continue;
    const withheld = [...slot.values()].filter((f) => !f.decision.released);
    if (withheld.length !== 1) continue;
    const partner = (['export', 'import', 'generation', 'consumption'] as const).map((m) => slot.get(m)!).find((f) => f.decision.released)!;
    partner.decision = {
      released: false,
      rule: 'secondary',
      reason: `withheld so that ${withheld[0]!.metric} cannot be rebuilt as consumption = generation + import − export`,
    };
    changed = true;
  }
  return changed;
}

function decidePeriods(
  store: ReadingStore,
  policy: PublicationPolicy,
  metric: Metric,
  resolution: PublishedResolution,
  periods: readonly Period[],
  members: (t: number) => HouseholdMembership[],
  now: number,
  groupId: string,
): DecidedFigure[] {
  // Values for everyone who was a member at some point of the day; each
  // period then counts only its own members.
  const first = members(periods[0]?.start ?? 0);
  const last = members(periods[periods.length - 1]?.start ?? 0);
  const everyone = [...first, ...last.filter((h) => !first.includes(h))];
  const all = householdValues(store, membersAsMeters(everyone), metric, resolution, periods);
  return all.map(({ period, values, eligible }) => {
    const inPeriod = members(period.start);
    const g = group(groupId, 'Neighbourhood', inPeriod);
    const decided = decideGroup(g, values, eligible, policy.rules);
    return figure(policy, groupId, metric, resolution, period, decided.decision, decided.completeness, now);
  });
}

function decideGroup(g: GroupDefinition, values: Map<string, number>, eligible: Set<string>, rules: DisclosureRules) {
  const contributions: HouseholdValue[] = [];
  let eligibleInGroup = 0;
  for (const id of g.householdIds) {
    if (eligible.has(id)) eligibleInGroup++;
    const v = values.get(id);
    if (v !== undefined) contributions.push({ householdId: id, valueWh: v });
  }
  // Rounded down to 5 %, so a completeness figure never pins down one household.
  const completeness = eligibleInGroup === 0 ? 0 : Math.floor((contributions.length / eligibleInGroup) * 20) * 5;
  return { decision: checkFigure(contributions, rules), completeness };
}

function group(id: string, label: string, households: readonly HouseholdMembership[]): GroupDefinition {
  return { id, label, householdIds: households.map((h) => h.householdId) };
}

function membersAsMeters(households: readonly HouseholdMembership[]): HouseholdMeters[] {
  return households.map((h) => ({ householdId: h.householdId, meters: h.meters }));
}

function figure(policy: PublicationPolicy, groupId: string, metric: Metric, resolution: PublishedResolution, period: Period, decision: FigureDecision, completenessPercent: number, now: number): DecidedFigure {
  return {
    policyId: policy.id,
    audience: policy.audience,
    groupId,
    metric,
    resolution,
    periodStart: period.start,
    periodEnd: period.end,
    day: period.day ?? null,
    decision,
    completenessPercent,
    decidedAt: now,
  };
}
