/**
 * Every MQTT topic of the hub (ARCHITECTURE.md "MQTT topics"), in one place.
 */

export const TOPIC_ROOT = 'commonwatt';
export const HUB_STATUS_TOPIC = 'commonwatt/hub/status';
export const PUBLIC_TOPIC_FILTER = 'commonwatt/public/#';

export const meterTopics = (meterId: string) => ({
  readings: `commonwatt/meters/${meterId}/readings`,
  status: `commonwatt/meters/${meterId}/status`,
  rejected: `commonwatt/meters/${meterId}/rejected`,
});

export type MeterTopicKind = 'readings' | 'status' | 'rejected';

/** `commonwatt/meters/{meterId}/{kind}` → its parts, or null for any other topic. */
export function parseMeterTopic(topic: string): { meterId: string; kind: MeterTopicKind } | null {
  const parts = topic.split('/');
  if (parts.length !== 4 || parts[0] !== TOPIC_ROOT || parts[1] !== 'meters') return null;
  const kind = parts[3];
  if (kind !== 'readings' && kind !== 'status' && kind !== 'rejected') return null;
  return { meterId: parts[2]!, kind };
}

/** Payload the hub sends on a meter's `rejected` topic. */
export interface RejectionMessage {
  /** Position in the backlog array, or null for a single reading or the whole payload. */
  index: number | null;
  t: number | null;
  code: RejectionCode;
  reason: string;
}

export type RejectionCode =
  | 'malformed'
  | 'oversized'
  | 'future'
  | 'too_old'
  | 'backwards'
  | 'implausible_jump'
  | 'wrong_register'
  | 'duplicate'
  | 'conflict';

/** Payload of `commonwatt/hub/status` (retained). */
export interface HubStatusMessage {
  online: boolean;
  since: string;
}
