/**
 * Exact linear algebra for differencing checks (PRIVACY-RULES.md "Groups and
 * differencing"): whether a vector is a sum-and-difference of other vectors,
 * and with which coefficients. Integers only (BigInt, fraction-free
 * elimination), so no rounding can hide or invent a way to rebuild a figure.
 * Sizes are small here (tens of groups, up to a few hundred household atoms).
 */

/** `vector × denominator = Σ numerators[i] × row i`, rows in the order they were added. */
export interface Combination {
  numerators: bigint[];
  denominator: bigint;
}

export interface ExactSpan {
  /** Dimension of the span. */
  readonly rank: number;
  /** Rows added so far (a row that adds nothing to the span still counts). */
  readonly rows: number;
  contains(vector: readonly number[]): boolean;
  /** One way to write `vector` from the rows, or null if it is outside the span. */
  combination(vector: readonly number[]): Combination | null;
  /** A new span with one more row; this one is unchanged. */
  including(row: readonly number[]): ExactSpan;
}

/** A basis row, zero at every earlier basis row's pivot. */
interface BasisRow {
  vec: bigint[];
  pivot: number;
  /** The added row it came from, and that row's index. */
  row: bigint[];
  source: number;
}

/** The span of `rows`, each a vector of integers of length `length`. */
export function exactSpan(length: number, rows: ReadonlyArray<readonly number[]> = []): ExactSpan {
  let span = makeSpan(length, [], 0);
  for (const row of rows) span = span.including(row);
  return span;
}

function makeSpan(length: number, basis: readonly BasisRow[], rowCount: number): ExactSpan {
  return {
    rank: basis.length,
    rows: rowCount,
    contains: (vector) => isZero(reduce(basis, toBig(vector, length), null).vec),
    combination(vector) {
      // Coefficients are only needed for messages: track them here, not on every row added.
      const tracked = trackedBasis(basis);
      const r = reduce(tracked, toBig(vector, length), []);
      if (!isZero(r.vec)) return null;
      // r.vec = scale × vector − Σ combo[i] × (source row of basis row i) = 0
      const sign = r.scale < 0n ? -1n : 1n;
      const numerators = Array.from({ length: rowCount }, () => 0n);
      r.combo!.forEach((c, i) => (numerators[basis[i]!.source] = c * sign));
      return { numerators, denominator: r.scale * sign };
    },
    including(row) {
      const big = toBig(row, length);
      const r = reduce(basis, big, null);
      if (isZero(r.vec)) return makeSpan(length, basis, rowCount + 1);
      const pivot = r.vec.findIndex((x) => x !== 0n);
      return makeSpan(length, [...basis, { vec: r.vec, pivot, row: big, source: rowCount }], rowCount + 1);
    },
  };
}

/** The same basis with `combo`: vec = Σ combo[i] × (source row of basis row i). */
function trackedBasis(basis: readonly BasisRow[]): Array<BasisRow & { combo: bigint[] }> {
  const tracked: Array<BasisRow & { combo: bigint[] }> = [];
  for (const b of basis) {
    // Reducing the source row again gives the same vec, up to the common factor removed.
    const r = reduce(tracked, b.row, []);
    const combo = Array.from({ length: tracked.length + 1 }, (_, i) => -(r.combo![i] ?? 0n));
    combo[tracked.length] = r.scale;
    tracked.push({ ...b, vec: r.vec, combo });
  }
  return tracked;
}

/**
 * Reduces `target` against the basis: vec = scale × target − Σ combo[i] × (source row of basis row i).
 * With `combo` null the coefficients are not tracked.
 */
function reduce(
  basis: ReadonlyArray<BasisRow & { combo?: bigint[] }>,
  target: bigint[],
  combo: bigint[] | null,
): { vec: bigint[]; combo: bigint[] | null; scale: bigint } {
  let vec = target;
  let scale = 1n;
  for (const b of basis) {
    const c = vec[b.pivot]!;
    if (c === 0n) continue;
    const a = b.vec[b.pivot]!;
    vec = vec.map((x, i) => a * x - c * b.vec[i]!);
    scale = a * scale;
    if (combo) {
      const width = Math.max(combo.length, b.combo!.length);
      combo = Array.from({ length: width }, (_, i) => a * (combo![i] ?? 0n) + c * (b.combo![i] ?? 0n));
    }
    if (a !== 1n && a !== -1n) {
      // Fraction-free steps multiply entries; dividing out the common factor keeps them small.
      const g = gcd(combo ? [...vec, ...combo, scale] : [...vec, scale]);
      if (g > 1n) {
        vec = vec.map((x) => x / g);
        if (combo) combo = combo.map((x) => x / g);
        scale /= g;
      }
    }
  }
  return { vec, combo, scale };
}

function toBig(vector: readonly number[], length: number): bigint[] {
  if (vector.length !== length) throw new RangeError(`exactSpan: a vector has ${vector.length} entries; this span's vectors have ${length}`);
  return vector.map((x, i) => {
    if (!Number.isSafeInteger(x)) throw new RangeError(`exactSpan: entry ${i} is ${x}; entries must be whole numbers`);
    return BigInt(x);
  });
}

function isZero(vec: readonly bigint[]): boolean {
  return vec.every((x) => x === 0n);
}

/** Greatest common divisor of the values' absolute values; 1 for none or all zero. */
export function gcd(values: readonly bigint[]): bigint {
  let g = 0n;
  for (const v of values) {
    let a = v < 0n ? -v : v;
    let b = g;
    while (b !== 0n) [a, b] = [b, a % b];
    g = a;
    if (g === 1n) return 1n;
  }
  return g === 0n ? 1n : g;
}
