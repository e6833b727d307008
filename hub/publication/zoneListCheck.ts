import { validateGroups } from './groupDefinitions.js';
import { NEIGHBOURHOOD_GROUP_ID, zoneGroupId, type GroupDefinition } from './publicationTypes.js';

/**
 * Checks a proposal's groups against today's households before it is
 * recorded: every group, every pair, and every sum or difference of groups
 * must cover at least k households (groupDefinitions.ts), which also catches
 * "the neighbourhood minus all its published zones" leaving a few households
 * (PRIVACY-RULES.md attack 2).
 */
export function checkZoneList(
  groups: { neighbourhood: boolean; zones: readonly string[] },
  households: ReadonlyArray<{ householdId: string; zone: string | null }>,
  k: number,
): string[] {
  const defs: GroupDefinition[] = [];
  if (groups.neighbourhood) defs.push({ id: NEIGHBOURHOOD_GROUP_ID, label: 'the neighbourhood', householdIds: households.map((h) => h.householdId) });
  for (const zone of groups.zones) defs.push({ id: zoneGroupId(zone), label: zone, householdIds: households.filter((h) => h.zone === zone).map((h) => h.householdId) });
  return validateGroups(defs, k);
}
