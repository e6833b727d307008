import type { RejectionCode } from '../broker/topics.js';

/**
 * What volunteers may see of a device: online state, counts, reasons — never an
 * energy value (PRIVACY-RULES.md "Data tiers": closed data stays closed).
 * Counters live in memory and restart from zero with the hub.
 *
 * Readings per hour come from a ring of 12 five-minute buckets per meter, keyed
 * by the time of the message that carried the readings (the ingest clock), so no
 * timer runs: buckets older than an hour are simply not counted, and are reused.
 */

export const RECENT_BUCKET_MS = 5 * 60_000;
export const RECENT_BUCKETS = 12;

export interface QuarantineEntry {
  meterId: string;
  at: string;
  index: number | null;
  t: number | null;
  code: RejectionCode;
  summary: string;
}

export interface MeterHealth {
  online: boolean;
  connectedAt: number | null;
  lastSeenAt: number | null;
  messages: number;
  readingsAccepted: number;
  duplicates: number;
  rejected: number;
  rejectedByCode: Partial<Record<RejectionCode, number>>;
  lastRejection: QuarantineEntry | null;
  /** The sensor's own retained status, minus anything but device facts. */
  device: { driver?: string; firmware?: string; agentVersion?: string; lastError?: string } | null;
}

export interface DeviceHealth {
  meter(meterId: string): MeterHealth;
  connected(meterId: string, at: number): void;
  disconnected(meterId: string, at: number): void;
  message(meterId: string, at: number): void;
  /**
   * `count` readings of a meter were stored. `at` (ms) places them in the
   * readings-per-hour ring; without it, the time of the meter's last message.
   */
  accepted(meterId: string, count: number, at?: number): void;
  duplicate(meterId: string): void;
  rejected(entry: QuarantineEntry): void;
  deviceStatus(meterId: string, status: unknown): void;
  quarantine(): readonly QuarantineEntry[];
  onlineCount(): number;
  /** Readings accepted in the hour before `now` (12 five-minute buckets, the current one included). */
  readingsLastHour(meterId: string, now: number): number;
  forget(meterId: string): void;
}

interface MeterState extends MeterHealth {
  connections: number;
  lastMessageAt: number | null;
  /** Slot i holds the bucket number (floor(t / RECENT_BUCKET_MS)) it counts, and the count. */
  recentBucket: number[];
  recentCount: number[];
}

export function createDeviceHealth(quarantineSize: number): DeviceHealth {
  const meters = new Map<string, MeterState>();
  const quarantine: QuarantineEntry[] = [];

  function get(meterId: string) {
    let m = meters.get(meterId);
    if (!m) {
      m = {
        online: false,
        connections: 0,
        connectedAt: null,
        lastSeenAt: null,
        messages: 0,
        readingsAccepted: 0,
        duplicates: 0,
        rejected: 0,
        rejectedByCode: {},
        lastRejection: null,
        device: null,
        lastMessageAt: null,
        recentBucket: new Array<number>(RECENT_BUCKETS).fill(-1),
        recentCount: new Array<number>(RECENT_BUCKETS).fill(0),
      };
      meters.set(meterId, m);
    }
    return m;
  }

  return {
    meter(meterId) {
      const { connections: _connections, lastMessageAt: _lastMessageAt, recentBucket: _recentBucket, recentCount: _recentCount, ...health } = get(meterId);
      return health;
    },
    connected(meterId, at) {
      const m = get(meterId);
      m.connections++;
      m.online = true;
      m.connectedAt = at;
      m.lastSeenAt = at;
    },
    disconnected(meterId, at) {
      const m = get(meterId);
      m.connections = Math.max(0, m.connections - 1);
      m.online = m.connections > 0;
      m.lastSeenAt = at;
    },
    message(meterId, at) {
      const m = get(meterId);
      m.messages++;
      m.lastSeenAt = at;
      m.lastMessageAt = at;
    },
    accepted(meterId, count, at) {
      const m = get(meterId);
      m.readingsAccepted += count;
      const when = at ?? m.lastMessageAt;
      if (count <= 0 || when === null) return;
      const bucket = Math.floor(when / RECENT_BUCKET_MS);
      const slot = bucket % RECENT_BUCKETS;
      if (m.recentBucket[slot] === bucket) {
        m.recentCount[slot]! += count;
      } else if (m.recentBucket[slot]! < bucket) {
        // The slot held a bucket an hour or more old: it starts again.
        m.recentBucket[slot] = bucket;
        m.recentCount[slot] = count;
      }
      // A slot already holding a later bucket means `when` is over an hour old: not counted.
    },
    duplicate(meterId) {
      get(meterId).duplicates++;
    },
    rejected(entry) {
      const m = get(entry.meterId);
      m.rejected++;
      m.rejectedByCode[entry.code] = (m.rejectedByCode[entry.code] ?? 0) + 1;
      m.lastRejection = entry;
      quarantine.push(entry);
      if (quarantine.length > quarantineSize) quarantine.splice(0, quarantine.length - quarantineSize);
    },
    deviceStatus(meterId, status) {
      if (typeof status !== 'object' || status === null) return;
      const s = status as Record<string, unknown>;
      const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : undefined);
      get(meterId).device = {
        driver: text(s.driver),
        firmware: text(s.firmware),
        agentVersion: text(s.agentVersion),
        lastError: text(s.lastError),
      };
    },
    quarantine: () => quarantine,
    onlineCount: () => [...meters.values()].filter((m) => m.online).length,
    readingsLastHour(meterId, now) {
      const m = meters.get(meterId);
      if (!m) return 0;
      const current = Math.floor(now / RECENT_BUCKET_MS);
      let total = 0;
      for (let slot = 0; slot < RECENT_BUCKETS; slot++) {
        const age = current - m.recentBucket[slot]!;
        if (age >= 0 && age < RECENT_BUCKETS) total += m.recentCount[slot]!;
      }
      return total;
    },
    forget(meterId) {
      meters.delete(meterId);
    },
  };
}
