import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom } from '../helpers/seededRandom.js';
import { applySecondarySuppression, type GroupFigure, type SuppressedFigure } from '../../hub/publication/secondarySuppression.js';
import { checkFigure } from '../../hub/publication/disclosureRules.js';
import { DEFAULT_RULES, NEIGHBOURHOOD_GROUP_ID, zoneGroupId, type FigureDecision, type GroupDefinition } from '../../hub/publication/publicationTypes.js';

const test = suite('disclosure secondary suppression: a suppressed figure cannot be rebuilt from released ones');

function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}
function zone(name: string, householdIds: readonly string[]): GroupDefinition {
  return { id: zoneGroupId(name), label: name, householdIds };
}
function neighbourhood(householdIds: readonly string[]): GroupDefinition {
  return { id: NEIGHBOURHOOD_GROUP_ID, label: 'Neighbourhood', householdIds };
}
/** Values are irrelevant to secondary suppression; a released decision only needs to be released. */
const RELEASED: FigureDecision = { released: true, totalWh: 1_000, meanWh: 50, householdsAtLeast: 20 };
const SMALL: FigureDecision = { released: false, rule: 'k', reason: 'k: 1 household; a figure needs at least 10' };
const DOMINATED: FigureDecision = { released: false, rule: 'dominance', reason: 'dominance: the largest household is 40.0 % of the figure; at most 15 % is allowed' };

function decisionOf(result: readonly SuppressedFigure[], groupId: string): FigureDecision {
  const found = result.find((r) => r.groupId === groupId);
  if (!found) throw new Error(`no decision for ${groupId}`);
  return found.decision;
}
function releasedIds(result: readonly SuppressedFigure[]): string[] {
  return result.filter((r) => r.decision.released).map((r) => r.groupId).sort();
}

/**
 * Independent check by brute force over households, not atoms or spans: a
 * sum and difference (coefficients −1, 0, 1) of released figures and known
 * sets that equals a suppressed figure's household set, or null if none does.
 */
function findRebuild(figures: readonly GroupFigure[], result: readonly SuppressedFigure[], known: ReadonlyArray<readonly string[]> = []): string | null {
  const byId = new Map(figures.map((f) => [f.group.id, f.group]));
  const releasedSets = [...result.filter((r) => r.decision.released).map((r) => byId.get(r.groupId)!.householdIds), ...known].map((s) => new Set(s));
  const all = [...new Set([...figures.flatMap((f) => f.group.householdIds), ...known.flat()])];
  const suppressed = result.filter((r) => !r.decision.released && !r.unprotected).map((r) => ({ id: r.groupId, set: new Set(byId.get(r.groupId)!.householdIds) }));
  if (releasedSets.length > 9) throw new Error('brute force is sized for at most 9 released sets');
  const coefficients = releasedSets.map(() => -1);
  for (;;) {
    for (const { id, set } of suppressed) {
      if (set.size === 0) continue;
      const same = all.every((h) => coefficients.reduce((acc, c, i) => acc + (releasedSets[i]!.has(h) ? c : 0), 0) === (set.has(h) ? 1 : 0));
      if (same) return `${id} = (${coefficients.join(', ')}) × released`;
    }
    let i = 0;
    while (i < coefficients.length && coefficients[i] === 1) coefficients[i++] = -1;
    if (i === coefficients.length) return null;
    coefficients[i]!++;
  }
}
function assertNothingRebuildable(figures: readonly GroupFigure[], result: readonly SuppressedFigure[], known: ReadonlyArray<readonly string[]> = []) {
  const rebuild = findRebuild(figures, result, known);
  assert.is(rebuild, null, `rebuildable: ${rebuild}`);
}


// Attack 2: "everyone" and "everyone except one street" where that street has one household.
test('a one-household zone cannot be rebuilt as the neighbourhood minus everyone else: the smaller of the two is suppressed too', () => {
  const everyone = ids('h', 31);
  const figures: GroupFigure[] = [
    { group: neighbourhood(everyone), decision: RELEASED },
    { group: zone('Mill Lane', everyone.slice(0, 1)), decision: SMALL },
    { group: zone('Everyone else', everyone.slice(1)), decision: RELEASED },
  ];
  const result = applySecondarySuppression(figures, []);
  assert.equal(decisionOf(result, 'zone:Everyone else'), {
    released: false,
    rule: 'secondary',
    reason: 'secondary: would let zone:Mill Lane be rebuilt (zone:Mill Lane = the neighbourhood − zone:Everyone else)',
  });
  assert.equal(decisionOf(result, 'zone:Mill Lane'), SMALL, 'the primary reason is kept');
  assert.equal(releasedIds(result), ['neighbourhood']);
  assertNothingRebuildable(figures, result);
  // The brute-force check itself sees the rebuild when nothing more is suppressed.
  assert.is(findRebuild(figures, figures.map((f) => ({ groupId: f.group.id, decision: f.decision }))), 'zone:Mill Lane = (1, -1) × released');
});

test('a zone suppressed for dominance cannot be rebuilt as the neighbourhood minus the other zones; the smallest other zone goes too', () => {
  const streets = { a: ids('a', 12), b: ids('b', 20), c: ids('c', 15), d: ids('d', 11) };
  const figures: GroupFigure[] = [
    { group: neighbourhood(Object.values(streets).flat()), decision: RELEASED },
    { group: zone('A', streets.a), decision: RELEASED },
    { group: zone('Mill Lane', streets.b), decision: DOMINATED },
    { group: zone('C', streets.c), decision: RELEASED },
    { group: zone('D', streets.d), decision: RELEASED },
  ];
  const result = applySecondarySuppression(figures, []);
  assert.equal(decisionOf(result, 'zone:D'), {
    released: false,
    rule: 'secondary',
    reason: 'secondary: would let zone:Mill Lane be rebuilt (zone:Mill Lane = the neighbourhood − zone:A − zone:C − zone:D)',
  });
  // Mill Lane + D is still the neighbourhood minus A and C, but neither alone can be had.
  assert.equal(releasedIds(result), ['neighbourhood', 'zone:A', 'zone:C']);
  assertNothingRebuildable(figures, result);
});

test('equally small candidates: the tie is broken by group id', () => {
  const streets = { a: ids('a', 12), b: ids('b', 12), c: ids('c', 12) };
  const figures: GroupFigure[] = [
    { group: neighbourhood(Object.values(streets).flat()), decision: RELEASED },
    { group: zone('Church Street', streets.a), decision: RELEASED },
    { group: zone('Mill Lane', streets.b), decision: DOMINATED },
    { group: zone('Brook Road', streets.c), decision: RELEASED },
  ];
  const result = applySecondarySuppression(figures, []);
  assert.is(decisionOf(result, 'zone:Brook Road').released, false);
  assert.equal(releasedIds(result), ['neighbourhood', 'zone:Church Street']);
});

test('nothing more is suppressed when no suppressed figure can be rebuilt', () => {
  // Zones cover only part of the neighbourhood: the neighbourhood minus the zones is Mill Lane plus 15 others.
  const figures: GroupFigure[] = [
    { group: neighbourhood([...ids('a', 12), ...ids('b', 12), ...ids('c', 12), ...ids('x', 15)]), decision: RELEASED },
    { group: zone('A', ids('a', 12)), decision: RELEASED },
    { group: zone('Mill Lane', ids('b', 12)), decision: DOMINATED },
    { group: zone('C', ids('c', 12)), decision: RELEASED },
  ];
  const result = applySecondarySuppression(figures, []);
  assert.equal(
    result.map((r) => r.decision),
    figures.map((f) => f.decision),
  );
});

test('crossing zone lists: the suppressed street is protected, and so is every figure suppressed to protect it', () => {
  // Two streets (rows) and two sides (columns) tile the neighbourhood; their crossings are not published.
  const cell = (r: number, c: number) => ids(`r${r}c${c}-`, 6 + r + 2 * c);
  const row = (r: number) => [...cell(r, 0), ...cell(r, 1)];
  const column = (c: number) => [...cell(0, c), ...cell(1, c)];
  const figures: GroupFigure[] = [
    { group: neighbourhood([...row(0), ...row(1)]), decision: RELEASED },
    { group: zone('Street 0', row(0)), decision: DOMINATED },
    { group: zone('Street 1', row(1)), decision: RELEASED },
    { group: zone('West', column(0)), decision: RELEASED },
    { group: zone('East', column(1)), decision: RELEASED },
  ];
  const result = applySecondarySuppression(figures, []);
  // Street 0 = the neighbourhood − Street 1, or West + East − Street 1: Street 1 goes, and nothing else is needed.
  assert.equal(decisionOf(result, 'zone:Street 1'), {
    released: false,
    rule: 'secondary',
    reason: 'secondary: would let zone:Street 0 be rebuilt (zone:Street 0 = the neighbourhood − zone:Street 1)',
  });
  assert.equal(releasedIds(result), ['neighbourhood', 'zone:East', 'zone:West']);
  assertNothingRebuildable(figures, result);
});

test('two independent ways to rebuild a figure: both are broken, one figure at a time', () => {
  const a = ids('a', 1); // a one-household zone
  const b = ids('b', 20);
  const c = ids('c', 12);
  const d = b.slice(0, 10); // D lies inside B
  const figures: GroupFigure[] = [
    { group: neighbourhood([...a, ...b, ...c]), decision: RELEASED },
    { group: zone('A', a), decision: SMALL },
    { group: zone('B', b), decision: RELEASED },
    { group: zone('C', c), decision: RELEASED },
    { group: zone('D', d), decision: RELEASED },
    { group: zone('M', [...a, ...d]), decision: RELEASED },
  ];
  // A = the neighbourhood − B − C, and A = M − D: no single suppression stops both.
  const result = applySecondarySuppression(figures, []);
  assert.equal(decisionOf(result, 'zone:C'), {
    released: false,
    rule: 'secondary',
    reason: 'secondary: would let zone:A be rebuilt (zone:A = the neighbourhood − zone:B − zone:C)',
  });
  assert.equal(decisionOf(result, 'zone:D'), { released: false, rule: 'secondary', reason: 'secondary: would let zone:A be rebuilt (zone:A = zone:M − zone:D)' });
  assert.equal(releasedIds(result), ['neighbourhood', 'zone:B', 'zone:M']);
  assertNothingRebuildable(figures, result);
});

test('a figure the public already knows counts as released, is named in the reason, and is never suppressed', () => {
  // The day's neighbourhood total is known from 48 released half-hours; only the zones are decided here.
  const streets = { a: ids('a', 12), b: ids('b', 20), c: ids('c', 15) };
  const everyone = Object.values(streets).flat();
  const figures: GroupFigure[] = [
    { group: zone('A', streets.a), decision: RELEASED },
    { group: zone('Mill Lane', streets.b), decision: DOMINATED },
    { group: zone('C', streets.c), decision: RELEASED },
  ];
  const result = applySecondarySuppression(figures, [everyone]);
  assert.equal(decisionOf(result, 'zone:A'), {
    released: false,
    rule: 'secondary',
    reason: 'secondary: would let zone:Mill Lane be rebuilt (zone:Mill Lane = known figure 1 − zone:A − zone:C)',
  });
  assert.equal(releasedIds(result), ['zone:C']);
  assertNothingRebuildable(figures, result, [everyone]);
});

test('a suppressed figure that known figures alone rebuild is reported as unprotected, and nothing is suppressed in vain', () => {
  const everyone = [...ids('a', 12), ...ids('b', 12)];
  const figures: GroupFigure[] = [
    { group: neighbourhood(everyone), decision: DOMINATED },
    { group: zone('A', ids('a', 12)), decision: RELEASED },
    { group: zone('B', ids('b', 12)), decision: RELEASED },
  ];
  const result = applySecondarySuppression(figures, [everyone]);
  const neighbourhoodResult = result.find((r) => r.groupId === NEIGHBOURHOOD_GROUP_ID)!;
  assert.equal(neighbourhoodResult.decision, DOMINATED);
  assert.is(
    neighbourhoodResult.unprotected,
    'the neighbourhood can be rebuilt from figures the public already knows (the neighbourhood = known figure 1); nothing in this period can hide it: withhold some of those',
  );
  // A + B is also the neighbourhood, but suppressing a zone would not hide what is already known.
  assert.equal(releasedIds(result), ['zone:A', 'zone:B']);
  assert.not.ok('unprotected' in result.find((r) => r.groupId === 'zone:A')!);
});

test('a suppressed group with no households needs no protection', () => {
  const figures: GroupFigure[] = [
    { group: neighbourhood(ids('a', 20)), decision: RELEASED },
    { group: zone('New Estate', []), decision: { released: false, rule: 'k', reason: 'k: 0 households; a figure needs at least 10' } },
  ];
  const result = applySecondarySuppression(figures, []);
  assert.equal(releasedIds(result), ['neighbourhood']);
  assert.not.ok(result.some((r) => r.unprotected));
});

// Attack 11: a zero that tells something ("no one on Mill Lane exports").
test('zeros: "no one on Mill Lane exports" cannot be read off as the neighbourhood minus the rest', () => {
  const mill = ids('mill-', 3);
  const rest = ids('rest-', 22);
  const exportWh = (id: string) => (id.startsWith('mill-') ? 0 : 800 + (Number(id.slice(5)) % 7) * 50);
  const decide = (householdIds: readonly string[]) => checkFigure(householdIds.map((householdId) => ({ householdId, valueWh: exportWh(householdId) })), DEFAULT_RULES);
  const groups = [neighbourhood([...mill, ...rest]), zone('Mill Lane', mill), zone('Rest', rest)];
  const figures = groups.map((group) => ({ group, decision: decide(group.householdIds) }));
  assert.is(decisionOf(figures.map((f) => ({ groupId: f.group.id, decision: f.decision })), 'zone:Mill Lane').released, false);
  const result = applySecondarySuppression(figures, []);
  assert.equal(releasedIds(result), ['neighbourhood']);
  assert.is((decisionOf(result, 'zone:Rest') as { reason: string }).reason, 'secondary: would let zone:Mill Lane be rebuilt (zone:Mill Lane = the neighbourhood − zone:Rest)');
  assertNothingRebuildable(figures, result);
});

test('determinism: the order of figures and of households does not change any decision, and the output follows the input order', () => {
  const streets = { a: ids('a', 12), b: ids('b', 20), c: ids('c', 15), d: ids('d', 11), e: ids('e', 11) };
  const figures: GroupFigure[] = [
    { group: neighbourhood(Object.values(streets).flat()), decision: RELEASED },
    { group: zone('A', streets.a), decision: RELEASED },
    { group: zone('B', streets.b), decision: DOMINATED },
    { group: zone('C', streets.c), decision: RELEASED },
    { group: zone('D', streets.d), decision: RELEASED },
    { group: zone('E', streets.e), decision: SMALL },
    { group: zone('North', [...streets.a, ...streets.b]), decision: RELEASED },
  ];
  const expected = new Map(applySecondarySuppression(figures, []).map((r) => [r.groupId, r.decision]));
  const next = seededRandom(11);
  for (let i = 0; i < 20; i++) {
    const shuffled = [...figures]
      .sort(() => next() - 0.5)
      .map((f) => ({ ...f, group: { ...f.group, householdIds: [...f.group.householdIds].sort(() => next() - 0.5) } }));
    const result = applySecondarySuppression(shuffled, []);
    assert.equal(
      result.map((r) => r.groupId),
      shuffled.map((f) => f.group.id),
    );
    for (const r of result) assert.equal(r.decision, expected.get(r.groupId));
  }
});

test('a group id given twice is refused', () => {
  assert.throws(
    () =>
      applySecondarySuppression(
        [
          { group: zone('A', ids('a', 10)), decision: RELEASED },
          { group: zone('A', ids('b', 10)), decision: RELEASED },
        ],
        [],
      ),
    /group zone:A appears twice/,
  );
});

test('over 200 generated zone lists and suppressions, no suppressed figure is left rebuildable and no primary decision changes', () => {
  const next = seededRandom(2026);
  let secondary = 0;
  for (let round = 0; round < 200; round++) {
    const everyone = ids('h', 30 + Math.floor(next() * 20));
    // Streets that share out all but 0–2 households, and sometimes a second list of sides that crosses them.
    const streets = 2 + Math.floor(next() * 3);
    const leftOver = Math.floor(next() * 3);
    const streetOf = everyone.map((_, h) => (h < leftOver ? -1 : Math.floor(next() * streets)));
    const zones = Array.from({ length: streets }, (_, z) => zone(`Street ${z}`, everyone.filter((_, h) => streetOf[h] === z)));
    if (next() < 0.5) {
      const west = everyone.filter(() => next() < 0.5);
      zones.push(zone('West', west), zone('East', everyone.filter((h) => !west.includes(h))));
    }
    const figures: GroupFigure[] = [neighbourhood(everyone), ...zones].map((group) => ({ group, decision: next() < 0.3 ? DOMINATED : RELEASED }));
    const known = next() < 0.3 ? [everyone.filter(() => next() < 0.6)] : [];
    const result = applySecondarySuppression(figures, known);
    result.forEach((r, i) => {
      if (!figures[i]!.decision.released) assert.equal(r.decision, figures[i]!.decision, 'a primary suppression stays as it was');
      else if (!r.decision.released) {
        assert.is(r.decision.rule, 'secondary');
        secondary++;
      }
    });
    assertNothingRebuildable(figures, result, known);
  }
  assert.ok(secondary > 20, `${secondary} secondary suppressions`);
});

test('twenty-five overlapping zones are all decided, dominated ones staying withheld', () => {
  const next = seededRandom(8);
  const everyone = ids('h', 200);
  const zones = Array.from({ length: 25 }, (_, z) => zone(`Z${z}`, everyone.filter(() => next() < 0.3)));
  const figures: GroupFigure[] = [neighbourhood(everyone), ...zones].map((group, i) => ({ group, decision: i % 4 === 1 ? DOMINATED : RELEASED }));
  const result = applySecondarySuppression(figures, []);
  assert.is(result.length, figures.length);
  figures.forEach((f, i) => {
    if (!f.decision.released) assert.is(result[i]!.decision.released, false, 'a primary suppression is never undone');
  });
});

test.run();
