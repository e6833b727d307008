import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom } from '../helpers/seededRandom.js';
import { validateGroups } from '../../hub/publication/groupDefinitions.js';
import { NEIGHBOURHOOD_GROUP_ID, zoneGroupId, type GroupDefinition } from '../../hub/publication/publicationTypes.js';

const test = suite('disclosure groups: published groups never differ by fewer than k households (PRIVACY-RULES.md "Groups and differencing")');

const K = 10;

/** Household ids `${prefix}0` … `${prefix}${n − 1}`. */
function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}
function zone(name: string, householdIds: readonly string[]): GroupDefinition {
  return { id: zoneGroupId(name), label: name, householdIds };
}
function neighbourhood(householdIds: readonly string[]): GroupDefinition {
  return { id: NEIGHBOURHOOD_GROUP_ID, label: 'Neighbourhood', householdIds };
}

/** No message may carry a household id: they go to the group proposing zones. */
function assertNoHouseholdIds(problems: readonly string[], groups: readonly GroupDefinition[]) {
  const all = new Set(groups.flatMap((g) => g.householdIds));
  for (const problem of problems) for (const id of all) assert.not.ok(new RegExp(`\\b${id}\\b`).test(problem), `"${problem}" names household ${id}`);
}


test('zones that tile the neighbourhood, each of k or more households, are accepted', () => {
  const groups = [neighbourhood([...ids('a', 12), ...ids('b', 10), ...ids('c', 15)]), zone('Mill Lane', ids('a', 12)), zone('Church Street', ids('b', 10)), zone('The Green', ids('c', 15))];
  assert.equal(validateGroups(groups, K), []);
});

// Attack 1.
test('a zone of fewer than k households is refused, with its count', () => {
  const groups = [neighbourhood([...ids('a', 30), ...ids('m', 9)]), zone('Mill Lane', ids('m', 9)), zone('Rest', ids('a', 30))];
  // Its complement, "everyone but Mill Lane", shows the same 9 households by subtraction.
  assert.equal(validateGroups(groups, K), [
    'zone:Mill Lane has 9 households; every published group needs at least 10',
    'zone:Rest and the neighbourhood differ by 9 households; they must differ by at least 10 (subtracting one from the other would show 9 households)',
  ]);
});

test('an empty zone is refused once, for its size', () => {
  const groups = [neighbourhood(ids('a', 30)), zone('New Estate', [])];
  assert.equal(validateGroups(groups, K), ['zone:New Estate has 0 households; every published group needs at least 10']);
});

// Attack 2.
test('"everyone" and "everyone except one street" where that street has one household are refused', () => {
  const everyone = ids('h', 30);
  const groups = [neighbourhood(everyone), zone('Everyone else', everyone.slice(1))];
  const problems = validateGroups(groups, K);
  assert.equal(problems, [
    'zone:Everyone else and the neighbourhood differ by 1 household; they must differ by at least 10 (subtracting one from the other would show 1 household)',
  ]);
  assertNoHouseholdIds(problems, groups);
});

test('a group and its complement within a larger group: k households apart is accepted, k − 1 is refused', () => {
  const everyone = ids('h', 30);
  assert.equal(validateGroups([neighbourhood(everyone), zone('North', everyone.slice(10))], K), []);
  assert.equal(validateGroups([neighbourhood(everyone), zone('North', everyone.slice(9))], K), [
    'zone:North and the neighbourhood differ by 9 households; they must differ by at least 10 (subtracting one from the other would show 9 households)',
  ]);
});

// Attack 4.
test('two zone lists that overlap so that a difference isolates a household are refused', () => {
  const streets = [zone('Mill Lane', ids('m', 12)), zone('Church Street', ids('c', 14))];
  // A second list, drawn north/south, takes all of Mill Lane but one household.
  const sides = [zone('North side', [...ids('m', 12).slice(1), ...ids('c', 14).slice(0, 5)]), zone('South side', [ids('m', 1)[0]!, ...ids('c', 14).slice(5)])];
  const groups = [neighbourhood([...ids('m', 12), ...ids('c', 14)]), ...streets, ...sides];
  const problems = validateGroups(groups, K);
  assert.equal(problems, [
    'zone:Church Street and zone:North side overlap: 9 households only in zone:Church Street and 11 households only in zone:North side; each must have at least 10 the other lacks (subtracting one from the other would set 9 households against 11 households)',
    'zone:Church Street and zone:South side overlap: 5 households only in zone:Church Street and 1 household only in zone:South side; each must have at least 10 the other lacks (subtracting one from the other would set 5 households against 1 household)',
    'zone:Mill Lane and zone:North side overlap: 1 household only in zone:Mill Lane and 5 households only in zone:North side; each must have at least 10 the other lacks (subtracting one from the other would set 1 household against 5 households)',
    'zone:Mill Lane and zone:South side overlap: 11 households only in zone:Mill Lane and 9 households only in zone:South side; each must have at least 10 the other lacks (subtracting one from the other would set 11 households against 9 households)',
  ]);
  assertNoHouseholdIds(problems, groups);
});

test('overlapping zones that each keep k households the other lacks are accepted; k − 1 on one side is refused', () => {
  const everyone = ids('h', 40);
  assert.equal(validateGroups([neighbourhood(everyone), zone('West', everyone.slice(0, 20)), zone('Middle', everyone.slice(10, 30))], K), []);
  assert.equal(validateGroups([neighbourhood(everyone), zone('West', everyone.slice(0, 20)), zone('Middle', everyone.slice(10, 29))], K), [
    'zone:Middle and zone:West overlap: 9 households only in zone:Middle and 10 households only in zone:West; each must have at least 10 the other lacks (subtracting one from the other would set 9 households against 10 households)',
  ]);
});

test('disjoint zones are judged by their size alone', () => {
  assert.equal(validateGroups([zone('Mill Lane', ids('m', 10)), zone('Church Street', ids('c', 12))], K), []);
});

test('two groups with the same households are refused: the first household to join one would be the difference', () => {
  const everyone = ids('h', 20);
  assert.equal(validateGroups([neighbourhood(everyone), zone('All of us', [...everyone].reverse())], K), [
    'the neighbourhood and zone:All of us have the same households; published groups must differ by at least 10 (the first household to join one of them would be the difference)',
  ]);
});

test('the neighbourhood minus zones that cover all but one household is refused, though every pair of groups passes', () => {
  const groups = [neighbourhood([...ids('a', 10), ...ids('b', 10), ...ids('c', 10), 'lonely']), zone('A', ids('a', 10)), zone('B', ids('b', 10)), zone('C', ids('c', 10))];
  const problems = validateGroups(groups, K);
  assert.equal(problems, [
    'adding and subtracting published groups (the neighbourhood − zone:A − zone:B − zone:C) would show 1 household; every sum or difference of groups must cover at least 10 households',
  ]);
  assertNoHouseholdIds(problems, groups);
});

test('a combination across two crossing zone lists that leaves a few households is refused', () => {
  // Streets A, B tile the neighbourhood; sides X, Y cover it but for one household on each street.
  const a = ids('a', 30);
  const b = ids('b', 30);
  const groups = [
    neighbourhood([...a, ...b]),
    zone('A', a),
    zone('B', b),
    zone('X', [...a.slice(0, 15), ...b.slice(0, 15)]),
    zone('Y', [...a.slice(15, 29), ...b.slice(15, 29)]),
  ];
  const problems = validateGroups(groups, K);
  assert.equal(problems, [
    'adding and subtracting published groups (the neighbourhood − zone:X − zone:Y) would show 2 households; every sum or difference of groups must cover at least 10 households',
  ]);
  assertNoHouseholdIds(problems, groups);
});

test('k below the floor is refused before any group is looked at', () => {
  assert.equal(validateGroups([zone('Mill Lane', ids('m', 3))], 3), ['k: 3 is below the floor of 5 households (PRIVACY-RULES.md)']);
});

test('a group id declared twice is refused', () => {
  const problems = validateGroups([zone('Mill Lane', ids('m', 10)), zone('Mill Lane', ids('n', 10))], K);
  assert.ok(problems.includes('zone:Mill Lane is declared twice; group ids must be unique'), problems.join('\n'));
});

test('determinism: the order of groups and of households in them does not change the answer', () => {
  const groups = [neighbourhood([...ids('a', 10), ...ids('b', 10), ...ids('c', 10), 'lonely']), zone('A', ids('a', 10)), zone('B', ids('b', 9)), zone('C', ids('c', 10))];
  const expected = validateGroups(groups, K);
  assert.ok(expected.length > 0);
  const next = seededRandom(3);
  for (let i = 0; i < 20; i++) {
    const shuffled = [...groups].sort(() => next() - 0.5).map((g) => ({ ...g, householdIds: [...g.householdIds].sort(() => next() - 0.5) }));
    assert.equal(validateGroups(shuffled, K), expected);
  }
});

/**
 * Independent check by brute force: every sum and difference with coefficients
 * −2 … 2 of up to five groups. If any non-zero one depends on fewer than k
 * households, the groups must be refused.
 */
function smallestCombination(groups: readonly GroupDefinition[], k: number): number | null {
  const households = [...new Set(groups.flatMap((g) => g.householdIds))];
  const member = groups.map((g) => new Set(g.householdIds));
  let smallest: number | null = null;
  const coefficients = groups.map(() => -2);
  for (;;) {
    if (coefficients.some((c) => c !== 0)) {
      let support = 0;
      for (const h of households) if (coefficients.reduce((acc, c, i) => acc + (member[i]!.has(h) ? c : 0), 0) !== 0) support++;
      if (support > 0 && support < k && (smallest === null || support < smallest)) smallest = support;
    }
    let i = 0;
    while (i < coefficients.length && coefficients[i] === 2) coefficients[i++] = -2;
    if (i === coefficients.length) return smallest;
    coefficients[i]!++;
  }
}

test('over 300 generated zone lists, every list with a sum or difference of fewer than k households is refused, and every combination named in a refusal exists', () => {
  const next = seededRandom(99);
  const k = 5;
  let refusedByCombinationOnly = 0;
  let accepted = 0;
  for (let round = 0; round < 300; round++) {
    const everyone = ids('h', 25 + Math.floor(next() * 15));
    const count = 2 + Math.floor(next() * 3);
    // Half the lists overlap at random; half are streets that share out all but a few households.
    const streets = next() < 0.5;
    const leftOver = Math.floor(next() * 4);
    const streetOf = everyone.map((_, h) => (h < leftOver ? -1 : Math.floor(next() * count)));
    const zones = Array.from({ length: count }, (_, z) =>
      zone(`Z${z}`, streets ? everyone.filter((_, h) => streetOf[h] === z) : everyone.filter(() => next() < 0.45)),
    );
    const groups = [neighbourhood(everyone), ...zones];
    const problems = validateGroups(groups, k);
    const smallest = smallestCombination(groups, k);
    if (smallest !== null) assert.ok(problems.length > 0, `round ${round}: a combination of ${smallest} households was accepted`);
    // And no false alarm: a combination named in a refusal really exists.
    if (problems.some((p) => p.startsWith('adding and subtracting'))) assert.ok(smallest !== null, `round ${round}: ${problems.join('; ')}`);
    if (problems.length === 0) accepted++;
    if (problems.length > 0 && problems.every((p) => p.startsWith('adding and subtracting'))) refusedByCombinationOnly++;
  }
  assert.ok(accepted > 20, `accepted ${accepted}`);
  assert.ok(refusedByCombinationOnly > 0, 'some lists pass pair by pair and fail only on a combination');
});

test('a long list of finely overlapping zones is checked completely (its speed is for test/bench, not here)', () => {
  const next = seededRandom(5);
  const everyone = ids('h', 200);
  const zones = Array.from({ length: 25 }, (_, z) => zone(`Z${z}`, everyone.filter(() => next() < 0.3)));
  const problems = validateGroups([neighbourhood(everyone), ...zones], K);
  // Zones of about 60 households drawn at random differ by about 40 households pair by pair, and more in any combination.
  assert.equal(problems, []);
});

test.run();
