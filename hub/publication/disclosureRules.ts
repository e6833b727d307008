import { RULE_FLOORS, type DisclosureRules, type FigureDecision, type HouseholdValue } from './publicationTypes.js';
import { compareIds } from './householdAtoms.js';

/**
 * The per-figure rules of PRIVACY-RULES.md "Default rules for every published
 * figure": minimum households (k), dominance, p %. Pure: no clock, no I/O, no
 * randomness ("The same question always gets the same answer").
 *
 * What the rules guarantee for a released figure of n households (values ≥ 0,
 * or their absolute values, see below):
 * - k: one household is isolated only if all n − 1 ≥ k − 1 others pool their
 *   own values; fewer colluders learn only a sum over two or more households.
 *   Nothing value-based can do better: n − 1 colluders subtract exactly.
 * - p %: the strongest single neighbour (the second largest) who subtracts
 *   their own value from the total overestimates the largest household by at
 *   least p % of it. Two or more pooling neighbours are not covered.
 * - dominance: an outsider's bound "the largest is at most the total" is off by
 *   a factor of at least 100 / dominancePercent. With dominance ≤ 15 % the
 *   p % rule at 10 % can never fail (the rest is then ≥ 4.67 × the largest);
 *   it only matters when the group loosens dominance towards its 50 % limit.
 *
 * Negative values (odd data: a sign flipped, export netted into consumption)
 * would let a large household hide from "largest" and shrink the total, so
 * dominance and p % rank households by absolute value and compare against the
 * sum of absolute values (Hundepool et al., Handbook on SDC, on negative
 * contributions). The released total and mean stay signed.
 */

/**
 * Decides one figure: one group, one metric, one period. `values` holds one
 * entry per household in the group, zeros included ("zeros" in the rules table:
 * a zero is a value like any other). A household listed twice is summed into
 * one contributor, so a household cannot count twice towards k.
 *
 * Rules are checked in the order k, dominance, p %; the first one that fails is
 * the recorded reason. Thresholds follow the table's wording: a share
 * "≤ 15 %" passes at exactly 15 %, and "≥ p % of largest" passes at exactly p %.
 * A figure whose households are all zero has no largest share: it passes
 * dominance and p % and is released as 0 if it has k households.
 *
 * Note for the public surfaces: totalWh / meanWh gives the exact household
 * count (to within the mean's rounding), which householdsAtLeast exists to
 * hide; publish one of the two, not both, next to a count.
 */
export function checkFigure(values: readonly HouseholdValue[], rules: DisclosureRules): FigureDecision {
  const problems = validateRules(rules);
  if (problems.length > 0) throw new RangeError(`checkFigure: the disclosure rules are not allowed: ${problems.join('; ')}`);

  const byHousehold = new Map<string, number>();
  for (const { householdId, valueWh } of values) {
    if (!Number.isFinite(valueWh)) {
      throw new RangeError(`checkFigure: household ${householdId} has a value that is not a finite number of Wh; sum its meters into one finite figure first`);
    }
    byHousehold.set(householdId, (byHousehold.get(householdId) ?? 0) + valueWh);
  }
  // Canonical order, so the same households in another order give bit-identical sums.
  const ids = [...byHousehold.keys()].sort(compareIds);
  const n = ids.length;
  if (n < rules.k) {
    return { released: false, rule: 'k', reason: `k: ${n} ${plural(n, 'household')}; a figure needs at least ${rules.k}` };
  }

  const magnitudes = ids.map((id) => Math.abs(byHousehold.get(id)!)).sort((a, b) => b - a);
  const largest = magnitudes[0]!;
  const second = magnitudes[1] ?? 0;
  let rest = 0;
  for (let i = magnitudes.length - 1; i >= 2; i--) rest += magnitudes[i]!; // smallest first, for accuracy
  const magnitudeTotal = largest + second + rest;

  // Cross-multiplied so the thresholds are exact for whole-Wh values.
  if (largest * 100 > rules.dominancePercent * magnitudeTotal) {
    const share = (largest / magnitudeTotal) * 100;
    return {
      released: false,
      rule: 'dominance',
      reason: `dominance: the largest household is ${percent(share, rules.dominancePercent)} % of the figure; at most ${rules.dominancePercent} % is allowed`,
    };
  }
  if (rest * 100 < rules.pPercent * largest) {
    const share = (rest / largest) * 100;
    return {
      released: false,
      rule: 'p',
      reason: `p: the households after the two largest add up to ${percent(share, rules.pPercent)} % of the largest; at least ${rules.pPercent} % is needed`,
    };
  }

  let total = 0;
  for (const id of ids) total += byHousehold.get(id)!;
  return { released: true, totalWh: roundWh(total), meanWh: roundWh(total / n), householdsAtLeast: householdsAtLeast(n) };
}

/** A household count as published: rounded down to a multiple of 5 (ONS rounding practice), never exact. */
export function householdsAtLeast(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`householdsAtLeast: a household count must be a whole number ≥ 0 (got ${n})`);
  return Math.floor(n / 5) * 5;
}

/** "20+ households" for 20 to 24; below 5, "fewer than 5 households". */
export function describeHouseholds(n: number): string {
  const atLeast = householdsAtLeast(n);
  return atLeast === 0 ? 'fewer than 5 households' : `${atLeast}+ households`;
}

/** Every way `rules` breaks the floors of PRIVACY-RULES.md; empty when the rules may be used. */
export function validateRules(rules: DisclosureRules): string[] {
  const problems = validateK(rules.k);
  const d = rules.dominancePercent;
  if (!Number.isFinite(d)) problems.push(`dominancePercent: must be a number of percent (got ${d})`);
  else if (d > RULE_FLOORS.dominancePercent) problems.push(`dominancePercent: ${d} % is above the limit of ${RULE_FLOORS.dominancePercent} % (PRIVACY-RULES.md)`);
  else if (d <= 0) problems.push(`dominancePercent: ${d} % must be above 0 (no figure with a non-zero value could pass)`);
  const p = rules.pPercent;
  if (!Number.isFinite(p)) problems.push(`pPercent: must be a number of percent (got ${p})`);
  else if (p < RULE_FLOORS.pPercent) problems.push(`pPercent: ${p} is below the floor of ${RULE_FLOORS.pPercent} % (PRIVACY-RULES.md)`);
  return problems;
}

/** The k part of validateRules, for checks that take k alone (group definitions). */
export function validateK(k: number): string[] {
  if (!Number.isInteger(k)) return [`k: must be a whole number of households (got ${k})`];
  if (k < RULE_FLOORS.k) return [`k: ${k} is below the floor of ${RULE_FLOORS.k} households (PRIVACY-RULES.md)`];
  return [];
}

/** Whole Wh, halves away from zero (so a figure and its negation round alike), never −0. */
function roundWh(wh: number): number {
  const rounded = Math.sign(wh) * Math.round(Math.abs(wh));
  return rounded === 0 ? 0 : rounded;
}

/** A share with enough decimals that it never reads as equal to the limit it broke. */
function percent(share: number, limit: number): string {
  for (let decimals = 1; decimals <= 6; decimals++) {
    const text = share.toFixed(decimals);
    if (Number(text) !== limit) return text;
  }
  return String(share);
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
