/**
 * Splits households into atoms: the regions of the Venn diagram of a list of
 * household sets (groups, or figures the public already knows). Households in
 * one atom belong to exactly the same sets, so every figure is a sum over
 * atoms and differencing can be reasoned about on atoms instead of households.
 */

export interface HouseholdAtoms {
  /** The households of each atom, sorted; atoms ordered by their first household id. */
  atoms: string[][];
  /** For each input set, in input order, 1 for each atom it contains and 0 otherwise. */
  vectors: number[][];
}

/** Households listed twice in one set count once. A household in no set is in no atom. */
export function splitIntoAtoms(sets: ReadonlyArray<readonly string[]>): HouseholdAtoms {
  const membership = new Map<string, boolean[]>();
  sets.forEach((set, index) => {
    for (const id of set) {
      let member = membership.get(id);
      if (!member) membership.set(id, (member = sets.map(() => false)));
      member[index] = true;
    }
  });
  const bySignature = new Map<string, string[]>();
  for (const id of [...membership.keys()].sort(compareIds)) {
    const signature = membership.get(id)!.map((m) => (m ? '1' : '0')).join('');
    const atom = bySignature.get(signature);
    if (atom) atom.push(id);
    else bySignature.set(signature, [id]);
  }
  const atoms = [...bySignature.values()];
  const vectors = sets.map((_, index) => atoms.map((atom) => (membership.get(atom[0]!)![index] ? 1 : 0)));
  return { atoms, vectors };
}

/** Code-unit order, independent of locale, so the same ids always give the same atoms. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
