import type { RejectionCode } from '../broker/topics.js';

/**
 * What volunteers may see of a device: online state, counts, reasons — never an
 * energy value (PRIVACY-RULES.md "Data tiers": closed data stays closed).
 * Counters live in memory and restart from zero with the hub.
 */

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
  accepted(meterId: string, count: number): void;
  duplicate(meterId: string): void;
  rejected(entry: QuarantineEntry): void;
  deviceStatus(meterId: string, status: unknown): void;
  quarantine(): readonly QuarantineEntry[];
  onlineCount(): number;
  forget(meterId: string): void;
}

export function createDeviceHealth(quarantineSize: number): DeviceHealth {
  const meters = new Map<string, MeterHealth & { connections: number }>();
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
      };
      meters.set(meterId, m);
    }
    return m;
  }

  return {
    meter(meterId) {
      const { connections: _connections, ...health } = get(meterId);
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
    },
    accepted(meterId, count) {
      get(meterId).readingsAccepted += count;
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
    forget(meterId) {
      meters.delete(meterId);
    },
  };
}
