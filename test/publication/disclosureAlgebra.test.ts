import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exactSpan } from '../../hub/publication/exactSpan.js';
import { splitIntoAtoms } from '../../hub/publication/householdAtoms.js';

const test = suite('disclosure algebra: household atoms and exact spans');

test('atoms: households with the same memberships form one atom; each set is a 0/1 vector over atoms', () => {
  const { atoms, vectors } = splitIntoAtoms([
    ['a', 'b', 'c', 'd'], // the neighbourhood
    ['a', 'b'], // a street
    ['b', 'c'], // a side
  ]);
  assert.equal(atoms, [['a'], ['b'], ['c'], ['d']]);
  assert.equal(vectors, [
    [1, 1, 1, 1],
    [1, 1, 0, 0],
    [0, 1, 1, 0],
  ]);
  const tiled = splitIntoAtoms([['x', 'a', 'b', 'y'], ['a', 'b', 'a'], ['x', 'y']]);
  assert.equal(tiled.atoms, [['a', 'b'], ['x', 'y']]);
  assert.equal(tiled.vectors, [
    [1, 1],
    [1, 0],
    [0, 1],
  ]);
});

test('atoms: the same sets in another household order give the same atoms', () => {
  assert.equal(splitIntoAtoms([['c', 'a', 'b'], ['b', 'c']]), splitIntoAtoms([['a', 'b', 'c'], ['c', 'b']]));
});

test('span: rank, membership and the combination that rebuilds a vector', () => {
  // Neighbourhood, street A, street B over atoms A | B | unzoned.
  const span = exactSpan(3, [
    [1, 1, 1],
    [1, 0, 0],
    [0, 1, 0],
  ]);
  assert.is(span.rank, 3);
  assert.is(span.rows, 3);
  assert.equal(span.combination([0, 0, 1]), { numerators: [1n, -1n, -1n], denominator: 1n }); // unzoned = N − A − B
  const partial = exactSpan(3, [
    [1, 1, 0],
    [1, 0, 0],
  ]);
  assert.ok(partial.contains([0, 1, 0]));
  assert.not.ok(partial.contains([0, 0, 1]));
  assert.is(partial.combination([0, 0, 1]), null);
});

test('span: coefficients that are not whole numbers are exact', () => {
  // (a+b) + (b+c) + (a+c) = 2(a+b+c): a+b+c needs halves.
  const span = exactSpan(3, [
    [1, 1, 0],
    [0, 1, 1],
    [1, 0, 1],
  ]);
  assert.equal(span.combination([1, 1, 1]), { numerators: [1n, 1n, 1n], denominator: 2n });
});

test('span: a row that adds nothing still counts as a row, and including leaves the original span as it was', () => {
  const base = exactSpan(2, [[1, 0]]);
  const same = base.including([2, 0]);
  assert.is(same.rank, 1);
  assert.is(same.rows, 2);
  const grown = base.including([0, 1]);
  assert.is(grown.rank, 2);
  assert.is(base.rank, 1);
  assert.not.ok(base.contains([0, 1]));
  assert.equal(same.combination([1, 0]), { numerators: [1n, 0n], denominator: 1n });
});

test('span: no rounding on large dependent systems (40 random 0/1 rows over 30 atoms)', () => {
  let seed = 1;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const rows = Array.from({ length: 40 }, () => Array.from({ length: 30 }, () => (next() < 0.5 ? 1 : 0)));
  const span = exactSpan(30, rows);
  for (let i = 0; i < 40; i++) {
    const target = rows[i]!.map((x, j) => x + 2 * rows[(i + 1) % 40]![j]! - rows[(i + 7) % 40]![j]!);
    const c = span.combination(target)!;
    // Check Σ numerators × rows = denominator × target exactly, in BigInt.
    for (let j = 0; j < 30; j++) {
      const sum = rows.reduce((acc, row, r) => acc + c.numerators[r]! * BigInt(row[j]!), 0n);
      assert.is(sum, c.denominator * BigInt(target[j]!));
    }
  }
});

test('span: vectors of the wrong length or with fractions are refused', () => {
  assert.throws(() => exactSpan(2, [[1, 0, 0]]), /has 3 entries; this span's vectors have 2/);
  assert.throws(() => exactSpan(2).contains([0.5, 1]), /entry 0 is 0\.5/);
});

test.run();
