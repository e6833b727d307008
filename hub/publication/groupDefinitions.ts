import { NEIGHBOURHOOD_GROUP_ID, type GroupDefinition } from './publicationTypes.js';
import { validateK } from './disclosureRules.js';
import { compareIds, splitIntoAtoms } from './householdAtoms.js';
import { exactSpan, gcd, type ExactSpan } from './exactSpan.js';

/**
 * Whether a declared list of groups may be published (PRIVACY-RULES.md "Groups
 * and differencing"): "Subtracting two published figures must never reveal a
 * household." Checked on membership alone, before any value is looked at, so a
 * zone definition that breaks the rules is refused when it is proposed.
 *
 * Messages name groups and counts, never household ids: they go to the group
 * proposing the zones.
 */

/** Search steps for the combination check; far beyond any real zone list, and refusing is the safe side. */
const MAX_COMBINATION_STEPS = 20_000;
/** A refused list needs a few reasons, not every combination. */
const MAX_REPORTED = 10;

/**
 * The reasons to refuse `groups` with minimum households `k`; empty when they may be published.
 *
 * 1. Every group has at least k households.
 * 2. For two groups where one contains the other, the larger has at least k
 *    households the smaller lacks ("a group and its complement within any
 *    larger published group"). Identical groups differ by 0 and are refused:
 *    they add nothing, and the first household to join one would be the
 *    difference.
 * 3. For two groups that overlap without one containing the other, each has at
 *    least k households the other lacks ("differ by at least k households
 *    (both ways)"). Disjoint groups differ by all their households, so rule 1
 *    covers them.
 * 4. No sum and difference of three or more groups depends on fewer than k
 *    households: the neighbourhood minus zones that cover all but one
 *    household passes 1–3 pair by pair and still shows that household.
 */
export function validateGroups(groups: readonly GroupDefinition[], k: number): string[] {
  const kProblems = validateK(k);
  if (kProblems.length > 0) return kProblems;

  const problems: string[] = [];
  const seen = new Set<string>();
  for (const group of groups) {
    if (seen.has(group.id)) problems.push(`${describeGroup(group.id)} is declared twice; group ids must be unique`);
    seen.add(group.id);
  }
  const sorted = [...groups].sort((a, b) => compareIds(a.id, b.id));
  const members = sorted.map((group) => new Set(group.householdIds));

  sorted.forEach((group, i) => {
    const n = members[i]!.size;
    if (n < k) problems.push(`${describeGroup(group.id)} has ${households(n)}; every published group needs at least ${k}`);
  });

  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      if (members[i]!.size === 0 || members[j]!.size === 0) continue; // rule 1 refuses an empty group already
      const a = describeGroup(sorted[i]!.id);
      const b = describeGroup(sorted[j]!.id);
      const onlyA = countMissing(members[i]!, members[j]!);
      const onlyB = countMissing(members[j]!, members[i]!);
      if (onlyA === 0 && onlyB === 0) {
        problems.push(`${a} and ${b} have the same households; published groups must differ by at least ${k} (the first household to join one of them would be the difference)`);
      } else if (onlyA === 0 || onlyB === 0) {
        const [smaller, larger, difference] = onlyA === 0 ? [a, b, onlyB] : [b, a, onlyA];
        if (difference < k) {
          problems.push(
            `${smaller} and ${larger} differ by ${households(difference)}; they must differ by at least ${k} (subtracting one from the other would show ${households(difference)})`,
          );
        }
      } else if (onlyA < members[i]!.size && (onlyA < k || onlyB < k)) {
        problems.push(
          `${a} and ${b} overlap: ${households(onlyA)} only in ${a} and ${households(onlyB)} only in ${b}; each must have at least ${k} the other lacks (subtracting one from the other would set ${households(onlyA)} against ${households(onlyB)})`,
        );
      }
    }
  }

  problems.push(...combinationProblems(sorted, members, k));
  return problems;
}

/** How a group is named in reasons: "the neighbourhood", or its id ("zone:Mill Lane"). */
export function describeGroup(groupId: string): string {
  return groupId === NEIGHBOURHOOD_GROUP_ID ? 'the neighbourhood' : groupId;
}

/** Writes Σ coefficient × name as "the neighbourhood − zone:A − 2 × zone:B"; positive terms first. */
export function describeCombination(terms: ReadonlyArray<{ name: string; coefficient: bigint }>): string {
  const nonZero = terms.filter((t) => t.coefficient !== 0n);
  const ordered = [...nonZero.filter((t) => t.coefficient > 0n), ...nonZero.filter((t) => t.coefficient < 0n)];
  return ordered
    .map((t, index) => {
      const size = t.coefficient < 0n ? -t.coefficient : t.coefficient;
      const term = size === 1n ? t.name : `${size} × ${t.name}`;
      if (index === 0) return t.coefficient < 0n ? `−${term}` : term;
      return `${t.coefficient < 0n ? '−' : '+'} ${term}`;
    })
    .join(' ');
}

function countMissing(from: ReadonlySet<string>, other: ReadonlySet<string>): number {
  let n = 0;
  for (const id of from) if (!other.has(id)) n++;
  return n;
}

function households(n: number): string {
  return n === 1 ? '1 household' : `${n} households`;
}

/**
 * Rule 4. A sum and difference of group figures, Σ y_g × group g, is a vector v
 * over atoms; it depends on the households of the atoms where v ≠ 0. Such a
 * v ≠ 0 that is zero outside a set T of atoms exists exactly when the atoms'
 * membership columns outside T have lower rank than all of them. So the search
 * is for a set T of fewer than k households that meets every basis of the
 * columns: take a basis of what is left, branch on which of its atoms goes
 * into T (atoms of k or more households never can), and prune when the left
 * columns hold more disjoint bases than T can still afford to meet. What one
 * group or two already give is left out of the messages: rules 1–3 name it
 * more plainly.
 */
function combinationProblems(sorted: readonly GroupDefinition[], members: ReadonlyArray<ReadonlySet<string>>, k: number): string[] {
  if (sorted.length < 3) return [];
  const { atoms, vectors } = splitIntoAtoms(members.map((m) => [...m]));
  const weights = atoms.map((atom) => atom.length);
  const columns = atoms.map((_, a) => vectors.map((row) => row[a]!));
  const g = sorted.length;
  const rank = exactSpan(g, columns).rank;
  if (rank === 0) return [];
  // Heavier atoms first, so bases use them and branching on them ends soonest.
  const byWeight = atoms.map((_, a) => a).sort((a, b) => weights[b]! - weights[a]! || a - b);

  /** A basis of kept ∪ `free` that uses the kept atoms (spanning `keptSpan`) first: its free atoms, or null if the rank falls short. */
  const freeBasis = (keptSpan: ExactSpan, free: readonly number[]): number[] | null => {
    let span = keptSpan;
    const used: number[] = [];
    for (const a of free) {
      if (span.rank === rank) break;
      const grown = span.including(columns[a]!);
      if (grown.rank > span.rank) used.push(a);
      span = grown;
    }
    return span.rank === rank ? used : null;
  };

  const found: number[][] = [];
  let steps = 0;
  let exhausted = false;
  const search = (outside: readonly number[], kept: readonly number[], budget: number) => {
    if (exhausted || found.length >= MAX_REPORTED) return;
    if (++steps > MAX_COMBINATION_STEPS) {
      exhausted = true;
      return;
    }
    const left = byWeight.filter((a) => !outside.includes(a));
    const free = left.filter((a) => !kept.includes(a));
    const keptSpan = exactSpan(g, kept.map((a) => columns[a]!));
    const basis = freeBasis(keptSpan, free);
    if (!basis) {
      found.push([...outside]);
      return;
    }
    // Every disjoint basis left must lose an atom: a lower bound on the weight still to move out.
    let needed = 0;
    let remaining = free;
    for (let part = basis; ; ) {
      needed += Math.min(...part.map((a) => weights[a]!));
      if (needed >= budget) return;
      remaining = remaining.filter((a) => !part.includes(a));
      const nextPart = freeBasis(keptSpan, remaining);
      if (!nextPart) break;
      part = nextPart;
    }
    basis.forEach((a, i) => {
      if (weights[a]! < budget) search([...outside, a], [...kept, ...basis.slice(0, i)], budget - weights[a]!);
    });
  };
  search(
    [],
    byWeight.filter((a) => weights[a]! >= k),
    k,
  );

  if (exhausted) {
    return [
      `the groups overlap in too many small ways to check every sum and difference of them (more than ${MAX_COMBINATION_STEPS} steps); use fewer or less overlapping zones`,
    ];
  }

  const problems = new Set<string>();
  for (const outside of found) {
    const combination = groupCombination(vectors, columns, outside, members.map((m) => m.size));
    if (!combination) {
      // Cannot happen when the rank drops; refuse all the same rather than pass a list silently.
      problems.add(`some sum and difference of the groups would show fewer than ${k} households`);
      continue;
    }
    if (fromAtMostTwoGroups(vectors, combination.vector)) continue;
    const n = sum(outside.filter((a) => combination.vector[a] !== 0n).map((a) => weights[a]!));
    const text = describeCombination(sorted.map((group, i) => ({ name: describeGroup(group.id), coefficient: combination.terms[i]! })));
    problems.add(
      `adding and subtracting published groups (${text}) would show ${households(n)}; every sum or difference of groups must cover at least ${k} households`,
    );
  }
  return [...problems];
}

/**
 * A combination of groups that vanishes on every atom except `outside`, or
 * null if none is non-zero there. Groups are dropped while the vector can
 * still be written without them, so the result uses independent groups, no
 * group it could do without, and unique coefficients.
 */
function groupCombination(
  vectors: readonly number[][],
  columns: readonly number[][],
  outside: readonly number[],
  groupSizes: readonly number[],
): { terms: bigint[]; vector: bigint[] } | null {
  const g = groupSizes.length;
  const outsideSet = new Set(outside);
  const inside = columns.map((_, a) => a).filter((a) => !outsideSet.has(a));
  let target: bigint[] | null = null;
  for (const t of outside) {
    // y with y · column = 0 on the flat and y · column t = 1: rows are the groups restricted to flat ∪ {t}.
    const keep = [...inside, t];
    const restricted = vectors.map((row) => keep.map((a) => row[a]!));
    const wanted = keep.map((a) => (a === t ? 1 : 0));
    const y = exactSpan(keep.length, restricted).combination(wanted);
    if (!y) continue;
    target = columns.map((column) => column.reduce((acc, x, i) => acc + BigInt(x) * y.numerators[i]!, 0n));
    break;
  }
  if (!target) return null;
  const vector = target.map((x) => x / gcd(target));
  const asNumbers = vector.map(Number);

  // Smallest groups are dropped first, so the text reads "the neighbourhood − zone:A − zone:B".
  let chosen = [...Array(g).keys()];
  const dropOrder = [...chosen].sort((a, b) => groupSizes[a]! - groupSizes[b]! || a - b);
  for (const i of dropOrder) {
    const without = chosen.filter((c) => c !== i);
    if (exactSpan(columns.length, without.map((c) => vectors[c]!)).contains(asNumbers)) chosen = without;
  }
  const combination = exactSpan(columns.length, chosen.map((c) => vectors[c]!)).combination(asNumbers)!;
  const terms: bigint[] = Array.from({ length: g }, () => 0n);
  chosen.forEach((c, i) => (terms[c] = combination.numerators[i]!));
  // Read as "the largest group minus …": the largest group used gets a positive sign.
  const lead = chosen.reduce((best, c) => (groupSizes[c]! > groupSizes[best]! ? c : best), chosen[0]!);
  const sign = terms[lead]! < 0n ? -1n : 1n;
  const divisor = gcd(terms);
  return { terms: terms.map((t) => (t * sign) / divisor), vector };
}

/** Whether one group, or a sum or difference of two, gives this vector (rules 1–3 have spoken then). */
function fromAtMostTwoGroups(vectors: readonly number[][], vector: readonly bigint[]): boolean {
  const target = vector.map(Number);
  for (let i = 0; i < vectors.length; i++) {
    for (let j = i; j < vectors.length; j++) {
      if (exactSpan(target.length, [vectors[i]!, vectors[j]!]).contains(target)) return true;
    }
  }
  return false;
}

function sum(values: readonly number[]): number {
  return values.reduce((acc, x) => acc + x, 0);
}
