import type { Logger } from '../log/createLogger.js';
import type { Clock } from '../config/clock.js';
import type { HubSettings } from '../config/hubSettings.js';
import type { RejectionMessage } from '../broker/topics.js';
import type { Registry } from '../storage/registry.js';
import type { ReadingStore } from '../storage/readingStore.js';
import { toStoredReading } from '../storage/storedReading.js';
import type { DeviceHealth } from './deviceHealth.js';
import { parseReadingPayload } from './readingSchema.js';
import { validateReading } from './readingValidator.js';

/**
 * Takes one readings payload from an authenticated meter: validates every
 * reading, hands the valid ones to the store, and resolves once they are
 * durable (the caller then lets the PUBACK go). Invalid readings are answered
 * on the meter's `rejected` topic and never stored. Rejects only when storage
 * failed, so that the caller withholds the PUBACK.
 */

export interface IngestResult {
  received: number;
  stored: number;
  rejections: RejectionMessage[];
}

export interface Ingest {
  handle(meterId: string, payload: Buffer): Promise<IngestResult>;
}

export interface IngestOptions {
  registry: Registry;
  store: ReadingStore;
  health: DeviceHealth;
  settings: HubSettings;
  clock: Clock;
  logger: Logger;
  /** Sends rejections to the meter's own `rejected` topic. */
  publishRejections(meterId: string, result: IngestResult): void;
}

export function createIngest(options: IngestOptions): Ingest {
  const { registry, store, health, settings, clock } = options;
  const log = options.logger.child({ module: 'ingest' });

  return {
    async handle(meterId, payload) {
      const now = clock.now();
      health.message(meterId, now);
      const meter = registry.meter(meterId);
      const rejections: RejectionMessage[] = [];
      const accepted: Promise<void>[] = [];
      let received = 0;

      if (!meter) {
        // The meter was removed while its client stayed connected.
        rejections.push({ index: null, t: null, code: 'malformed', reason: `meter ${meterId} is no longer registered; ask a volunteer to re-add it` });
      } else if (payload.length > settings.maxPayloadBytes) {
        rejections.push({
          index: null,
          t: null,
          code: 'oversized',
          reason: `payload is ${payload.length} bytes; at most ${settings.maxPayloadBytes} are accepted (send backlogs in arrays of up to 500 readings)`,
        });
      } else {
        const parsed = parseReadingPayload(payload);
        received = parsed.readings.length + parsed.problems.length;
        for (const problem of parsed.problems) {
          rejections.push({ index: problem.index, t: null, code: 'malformed', reason: problem.message });
        }
        const oldestAcceptedT = now - settings.rawRetentionDays * 86_400_000;
        for (const { index, reading } of parsed.readings) {
          const neighbours = store.around(meterId, reading.t);
          const stored = toStoredReading(meterId, reading);
          // A reading without a serial belongs to the meter of the reading before it.
          stored.serial ??= neighbours.previous?.serial ?? null;
          const verdict = validateReading(stored, {
            kind: meter.kind,
            now,
            futureToleranceMs: settings.futureToleranceMs,
            oldestAcceptedT,
            maxPowerW: settings.maxPowerW,
            ...neighbours,
          });
          if (verdict.ok) {
            accepted.push(store.accept([stored]));
            continue;
          }
          rejections.push({ index, t: reading.t, code: verdict.code, reason: verdict.reason });
          if (verdict.code === 'duplicate') health.duplicate(meterId);
          else health.rejected({ meterId, at: new Date(now).toISOString(), index, t: reading.t, code: verdict.code, summary: verdict.summary });
        }
      }
      for (const r of rejections) {
        if (r.code === 'malformed' || r.code === 'oversized') {
          health.rejected({ meterId, at: new Date(now).toISOString(), index: r.index, t: null, code: r.code, summary: withoutValues(r.reason).slice(0, 200) });
        }
      }

      await Promise.all(accepted);
      health.accepted(meterId, accepted.length);
      const result = { received, stored: accepted.length, rejections };
      if (rejections.length > 0) {
        const counts: Record<string, number> = {};
        for (const r of rejections) counts[r.code] = (counts[r.code] ?? 0) + 1;
        log.info({ meterId, stored: accepted.length, rejected: counts }, 'readings rejected');
        options.publishRejections(meterId, result);
      }
      return result;
    },
  };
}

/** Schema messages quote the offending value "(got ...)": fine for the meter itself, not for volunteers' lists. */
function withoutValues(reason: string): string {
  return reason.replace(/ \(got [^)]*\)/g, '');
}
