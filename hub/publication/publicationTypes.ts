/**
 * The vocabulary of publication (PRIVACY-RULES.md): metrics, disclosure rules
 * with their defaults and floors, groups, and what the engine decides about a
 * figure. Shared by the disclosure engine, governance and the public surfaces.
 */

export const METRICS = ['generation', 'import', 'export', 'consumption'] as const;
export type Metric = (typeof METRICS)[number];

export interface DisclosureRules {
  /** Minimum households in a figure. */
  k: number;
  /** Largest household's share of the figure, in percent, at most. */
  dominancePercent: number;
  /** p % rule: total − largest − second largest ≥ p % of largest. */
  pPercent: number;
}

export const DEFAULT_RULES: Readonly<DisclosureRules> = Object.freeze({ k: 10, dominancePercent: 15, pPercent: 10 });

/** The group can change the rules by decision, but never past these. */
export const RULE_FLOORS: Readonly<DisclosureRules> = Object.freeze({ k: 5, dominancePercent: 50, pPercent: 5 });

/** One household's energy for one metric and period, in Wh (its meters summed). */
export interface HouseholdValue {
  householdId: string;
  valueWh: number;
}

export type SuppressionRule = 'k' | 'dominance' | 'p' | 'secondary';

export type FigureDecision =
  | {
      released: true;
      /** Sum over the group's households, Wh, rounded to whole Wh. */
      totalWh: number;
      /** Mean per household, Wh, rounded to whole Wh. */
      meanWh: number;
      /** Household count rounded down to a multiple of 5 (never the exact count). */
      householdsAtLeast: number;
    }
  | {
      released: false;
      rule: SuppressionRule;
      /** For the group's preview only, never for the public: which rule, with the numbers. */
      reason: string;
    };

/** A declared, fixed group: the whole neighbourhood or a zone. */
export interface GroupDefinition {
  /** 'neighbourhood' or 'zone:<name>'. */
  id: string;
  label: string;
  householdIds: readonly string[];
}

export const NEIGHBOURHOOD_GROUP_ID = 'neighbourhood';
export const zoneGroupId = (zone: string) => `zone:${zone}`;
