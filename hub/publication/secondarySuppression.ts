import type { FigureDecision, GroupDefinition } from './publicationTypes.js';
import { compareIds, splitIntoAtoms } from './householdAtoms.js';
import { exactSpan, type ExactSpan } from './exactSpan.js';
import { describeCombination, describeGroup } from './groupDefinitions.js';

/**
 * Secondary suppression (PRIVACY-RULES.md "Groups and differencing"): "When a
 * figure is suppressed in one group, the hub checks that it cannot be rebuilt
 * from the others (e.g. neighbourhood total minus the other zones); if it can,
 * it suppresses a second figure too."
 *
 * For one metric and one period. Households are split into atoms (regions of
 * the Venn diagram of all groups); a figure is the sum over its atoms. A
 * suppressed figure can be rebuilt by adding and subtracting released ones
 * exactly when its atom vector lies in the span of theirs (exact arithmetic,
 * exactSpan.ts). Deterministic: the input order of figures does not matter.
 *
 * What this does not cover: it stops exact rebuilding only. With B suppressed
 * and C suppressed to protect it, the neighbourhood minus zone A still gives
 * B + C, so B is bounded from above when values are ≥ 0, and B + C may itself
 * be dominated by the household that got B suppressed. Handbooks protect that
 * with intervals (linear programming, τ-ARGUS), which is not done here.
 */

export interface GroupFigure {
  group: GroupDefinition;
  decision: FigureDecision;
}

export interface SuppressedFigure {
  groupId: string;
  decision: FigureDecision;
  /**
   * Present when this suppressed figure can be rebuilt from `alsoKnown`
   * alone: nothing in this period can hide it, and the caller must withhold
   * some of the figures the public already knows. For the group's preview.
   */
  unprotected?: string;
}

/**
 * Returns every figure's final decision, in input order. Released figures
 * whose release would let a suppressed one be rebuilt become
 * `{ released: false, rule: 'secondary' }`, one at a time: each time the
 * released figure with the fewest households (ties: by group id) among those
 * whose suppression stops some rebuild; if no single one does (two independent
 * ways to rebuild the same figure), the smallest figure in one rebuild. Every
 * newly suppressed figure is protected in turn.
 *
 * `alsoKnown`: household sets whose sum the public can compute some other way
 * for this metric and period (a day's neighbourhood total from 48 released
 * half-hours). They count as released and are never suppressed here.
 *
 * A suppressed figure with no households is left alone: its sum is 0 whatever
 * is released.
 */
export function applySecondarySuppression(figures: ReadonlyArray<GroupFigure>, alsoKnown: ReadonlyArray<readonly string[]> = []): SuppressedFigure[] {
  const seen = new Set<string>();
  for (const { group } of figures) {
    if (seen.has(group.id)) throw new Error(`applySecondarySuppression: group ${group.id} appears twice; pass one figure per group`);
    seen.add(group.id);
  }

  const order = figures.map((_, i) => i).sort((a, b) => compareIds(figures[a]!.group.id, figures[b]!.group.id));
  const sorted = order.map((i) => figures[i]!);
  // Rows 0 … F − 1 are the figures in group-id order, then the known sets.
  const { atoms, vectors } = splitIntoAtoms([...sorted.map((f) => f.group.householdIds), ...alsoKnown]);
  const width = atoms.length;
  const knownRows = alsoKnown.map((_, j) => sorted.length + j);
  const households = vectors.map((v) => v.reduce((n, x, a) => n + x * atoms[a]!.length, 0));
  const names = [...sorted.map((f) => describeGroup(f.group.id)), ...alsoKnown.map((_, j) => `known figure ${j + 1}`)];
  /** Fewest households first; ties by group id (known figures after figures). */
  const bySize = (a: number, b: number) => households[a]! - households[b]! || a - b;
  const spanOf = (rows: readonly number[]): ExactSpan => exactSpan(width, rows.map((r) => vectors[r]!));

  /**
   * A minimal set of `rows` that rebuilds `target`: rows are dropped, fewest
   * households first, while the target stays rebuildable without them, so
   * the rebuild reads "the neighbourhood − the other zones".
   */
  const minimalRebuild = (target: number, rows: readonly number[]): number[] => {
    let used = [...rows];
    for (const row of [...rows].sort(bySize)) {
      const without = used.filter((r) => r !== row);
      if (spanOf(without).contains(vectors[target]!)) used = without;
    }
    return used;
  };
  /** "zone:Mill Lane = the neighbourhood − zone:Church Street". */
  const describeRebuild = (target: number, rows: readonly number[]): string => {
    const used = minimalRebuild(target, rows);
    const combination = spanOf(used).combination(vectors[target]!)!;
    const terms = used.map((r, i) => ({ name: names[r]!, coefficient: combination.numerators[i]! }));
    const left = combination.denominator === 1n ? names[target]! : `${combination.denominator} × ${names[target]!}`;
    return `${left} = ${describeCombination(terms)}`;
  };

  const decisions: FigureDecision[] = sorted.map((f) => f.decision);
  const unprotected = new Map<number, string>();
  const knownSpan = spanOf(knownRows);

  for (;;) {
    const released = sorted.map((_, i) => i).filter((i) => decisions[i]!.released);
    const releasedSpan = spanOf([...released, ...knownRows]);
    const rebuildable = sorted
      .map((_, i) => i)
      .filter((i) => !decisions[i]!.released && households[i]! > 0 && !unprotected.has(i) && releasedSpan.contains(vectors[i]!));
    for (const i of rebuildable.filter((i) => knownSpan.contains(vectors[i]!))) {
      const how = describeRebuild(i, knownRows);
      unprotected.set(i, `${names[i]} can be rebuilt from figures the public already knows (${how}); nothing in this period can hide it: withhold some of those`);
    }
    const targets = rebuildable.filter((i) => !unprotected.has(i));
    if (targets.length === 0) break;

    const candidates = [...released].sort(bySize);
    let choice: { candidate: number; target: number } | null = null;
    for (const candidate of candidates) {
      const without = spanOf([...released.filter((i) => i !== candidate), ...knownRows]);
      const stopped = targets.find((t) => !without.contains(vectors[t]!));
      if (stopped !== undefined) {
        choice = { candidate, target: stopped };
        break;
      }
    }
    if (!choice) {
      // Every target can be rebuilt in two independent ways: break one rebuild at a time.
      const target = targets[0]!;
      const used = minimalRebuild(target, [...released, ...knownRows]);
      choice = { candidate: candidates.find((c) => used.includes(c))!, target };
    }
    decisions[choice.candidate] = {
      released: false,
      rule: 'secondary',
      reason: `secondary: would let ${names[choice.target]} be rebuilt (${describeRebuild(choice.target, [...released, ...knownRows])})`,
    };
  }

  const byInput = new Map<number, SuppressedFigure>();
  sorted.forEach((f, i) => {
    const note = unprotected.get(i);
    byInput.set(order[i]!, { groupId: f.group.id, decision: decisions[i]!, ...(note ? { unprotected: note } : {}) });
  });
  return figures.map((_, i) => byInput.get(i)!);
}
