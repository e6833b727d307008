import type { Registry } from '../storage/registry.js';
import type { HouseholdMembership } from './dayFigures.js';

/** Every registered household with its zone, join time and meters, as the publication engine counts them. */
export function householdMemberships(registry: Registry): HouseholdMembership[] {
  return registry.households().map((h) => ({
    householdId: h.id,
    zone: h.zone,
    joinedAt: Date.parse(h.createdAt),
    meters: registry.metersOf(h.id).map((m) => ({ id: m.id, kind: m.kind })),
  }));
}
