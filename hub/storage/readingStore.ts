import { join } from 'node:path';
import type { Logger } from '../log/createLogger.js';
import type { Clock } from '../config/clock.js';
import { openReadingDatabase, type IntervalEnergy, type ReadingDatabase, type Resolution, type RetentionResult } from './readingDatabase.js';
import { openReadingJournal, type JournalFile, type ReadingJournal } from './readingJournal.js';
import type { StoredReading } from './storedReading.js';
import type { FileHandle } from 'node:fs/promises';

/**
 * Durable reading storage for the hub: readings are acked once in the journal
 * (group commit: many readings share one fdatasync) and moved to the reading
 * database in large batches. Validation sees every accepted reading at once,
 * including those not yet on disk, so a backlog is checked in order.
 */

export interface ReadingStoreOptions {
  dataDir: string;
  timeZone: string;
  maxSpanMs: number;
  /** Longest an accepted reading waits for its group commit. */
  commitDelayMs: number;
  /** Commit at once when this many readings are waiting. */
  commitBatch: number;
  /** Move journaled readings to the database after this long... */
  flushIntervalMs: number;
  /** ...or once this many are journaled. */
  flushBatch: number;
  rawRetentionDays: number;
  intervalRetentionDays: number;
  logger: Logger;
  clock: Clock;
  /** For tests of failing disks: wraps the journal's file. */
  wrapJournalFile?: (handle: FileHandle) => JournalFile;
}

export interface MeterReadingStats {
  readings: number;
  lastT: number | null;
}

export interface StorageHealth {
  state: 'ok' | 'failing';
  error: string | null;
  since: number | null;
  waitingForDisk: number;
  journaled: number;
}

export interface ReadingStore {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The latest accepted reading of a meter (on disk or waiting for it). */
  latest(meterId: string): StoredReading | null;
  /** The accepted readings just before and after t, and one at exactly t. */
  around(meterId: string, t: number): { previous: StoredReading | null; same: StoredReading | null; next: StoredReading | null };
  /** Accepts validated readings; resolves once they are durable, rejects if the disk failed. */
  accept(readings: readonly StoredReading[]): Promise<void>;
  stats(meterId: string): MeterReadingStats;
  health(): StorageHealth;
  /** Moves journaled readings into the database now (tests, shutdown, queries needing the latest). */
  flush(): Promise<void>;
  /**
   * Interval energy of readings already in the database: up to flushIntervalMs
   * behind the journal. Call flush() first where the last minutes matter.
   */
  intervals(meterIds: readonly string[], resolution: Resolution, from: number, to: number): IntervalEnergy[];
  applyRetention(): RetentionResult;
  forgetMeter(meterId: string): Promise<number>;
  readonly calendar: ReadingDatabase['calendar'];
}

interface MeterView {
  /** Latest reading in the database. */
  stored: StoredReading | null;
  storedCount: number;
  /** Accepted, not yet in the database, sorted by t. */
  unflushed: StoredReading[];
}

interface PendingCommit {
  readings: readonly StoredReading[];
  resolve: () => void;
  reject: (error: Error) => void;
}

const DAY_MS = 86_400_000;

export function createReadingStore(options: ReadingStoreOptions): ReadingStore {
  const log = options.logger.child({ module: 'readingStore' });
  const views = new Map<string, MeterView>();
  let db: ReadingDatabase | null = null;
  let journal: ReadingJournal | null = null;
  let pending: PendingCommit[] = [];
  let pendingCount = 0;
  let oldestPendingAt = 0;
  let journaled: StoredReading[] = [];
  let lastFlushAt = 0;
  let writer: Promise<void> = Promise.resolve();
  let writing = false;
  let commitTimer: NodeJS.Timeout | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  let health: StorageHealth = { state: 'ok', error: null, since: null, waitingForDisk: 0, journaled: 0 };

  function database(): ReadingDatabase {
    if (!db) throw new Error('The reading store is not started.');
    return db;
  }

  function view(meterId: string): MeterView {
    let v = views.get(meterId);
    if (!v) {
      v = { stored: null, storedCount: 0, unflushed: [] };
      views.set(meterId, v);
    }
    return v;
  }

  function insertSorted(list: StoredReading[], r: StoredReading): void {
    if (list.length === 0 || list[list.length - 1]!.t <= r.t) {
      list.push(r);
      return;
    }
    let i = list.length;
    while (i > 0 && list[i - 1]!.t > r.t) i--;
    list.splice(i, 0, r);
  }

  function removeReadings(readings: readonly StoredReading[]): void {
    for (const r of readings) {
      const v = views.get(r.meterId);
      if (!v) continue;
      const i = v.unflushed.indexOf(r);
      if (i >= 0) v.unflushed.splice(i, 1);
    }
  }

  function markFailing(error: Error): void {
    if (health.state !== 'failing') log.error({ err: error }, 'storage failing: readings are not acked until the disk recovers');
    health = { ...health, state: 'failing', error: describeStorageError(error), since: health.since ?? options.clock.now() };
  }

  function markOk(): void {
    if (health.state === 'failing') log.info({ failingSince: health.since }, 'storage recovered');
    health = { ...health, state: 'ok', error: null, since: null };
  }

  function scheduleCommit(): void {
    if (pendingCount === 0 || writing) return;
    if (pendingCount >= options.commitBatch) {
      if (commitTimer) clearTimeout(commitTimer);
      commitTimer = null;
      runWriter();
      return;
    }
    if (commitTimer) return;
    const wait = Math.max(0, oldestPendingAt + options.commitDelayMs - options.clock.now());
    commitTimer = setTimeout(() => {
      commitTimer = null;
      runWriter();
    }, wait);
  }

  function scheduleFlush(): void {
    if (flushTimer || journaled.length === 0) return;
    const wait = Math.max(0, lastFlushAt + options.flushIntervalMs - options.clock.now());
    flushTimer = setTimeout(() => {
      flushTimer = null;
      writer = writer.then(() => flushNow()).catch((error) => log.error({ err: error }, 'flush failed'));
    }, wait);
  }

  function runWriter(): void {
    writing = true;
    writer = writer
      .then(async () => {
        await commitPending();
        if (journaled.length >= options.flushBatch || options.clock.now() - lastFlushAt >= options.flushIntervalMs) await flushNow();
      })
      .catch((error) => log.error({ err: error }, 'writer failed'))
      .finally(() => {
        writing = false;
        scheduleFlush();
        scheduleCommit();
      });
  }

  async function commitPending(): Promise<void> {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    pendingCount = 0;
    const readings = batch.flatMap((p) => p.readings);
    try {
      await journal!.append(readings);
    } catch (error) {
      const failure = new Error(`Cannot store readings: ${describeStorageError(error as Error)}`, { cause: error });
      markFailing(failure);
      removeReadings(readings);
      for (const p of batch) p.reject(failure);
      return;
    }
    markOk();
    journaled.push(...readings);
    health.journaled = journaled.length;
    for (const p of batch) p.resolve();
  }

  async function flushNow(): Promise<void> {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    lastFlushAt = options.clock.now();
    if (journaled.length === 0) return;
    const batch = journaled;
    try {
      database().store(batch);
    } catch (error) {
      // The readings stay journaled and in memory; the next flush tries again.
      markFailing(error as Error);
      return;
    }
    journaled = [];
    health.journaled = 0;
    // One pass per meter: readings still waiting for their commit stay unflushed.
    const flushed = new Set<StoredReading>(batch);
    const flushedMeters = new Set<string>();
    for (const r of batch) {
      const v = view(r.meterId);
      v.storedCount++;
      if (!v.stored || r.t > v.stored.t) v.stored = r;
      flushedMeters.add(r.meterId);
    }
    for (const meterId of flushedMeters) {
      const v = view(meterId);
      v.unflushed = v.unflushed.filter((r) => !flushed.has(r));
    }
    try {
      await journal!.reset();
    } catch (error) {
      // Harmless: replaying readings already in the database stores nothing twice.
      log.warn({ err: error }, 'could not empty the reading journal');
    }
    log.debug({ readings: batch.length, meters: flushedMeters.size }, 'readings moved to the database');
  }

  function around(meterId: string, t: number) {
    const v = views.get(meterId);
    let previous: StoredReading | null = null;
    let next: StoredReading | null = null;
    let same: StoredReading | null = null;
    if (v) {
      const last = v.unflushed[v.unflushed.length - 1];
      if (last && t > last.t && (!v.stored || t > v.stored.t)) {
        // Fast path: a reading after everything held and stored (the usual case). O(1).
        return { previous: !v.stored || last.t > v.stored.t ? last : v.stored, same: null, next: null };
      }
      // Binary search for the first unflushed reading at or after t.
      let lo = 0;
      let hi = v.unflushed.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v.unflushed[mid]!.t < t) lo = mid + 1;
        else hi = mid;
      }
      previous = v.unflushed[lo - 1] ?? null;
      const at = v.unflushed[lo];
      if (at && at.t === t) {
        same = at;
        next = v.unflushed[lo + 1] ?? null;
      } else {
        next = at ?? null;
      }
      // Fast path: readings arrive in time order, so most are after everything stored.
      if (v.stored && t > v.stored.t) {
        if (!previous || previous.t < v.stored.t) previous = v.stored;
        return { previous, same, next };
      }
    }
    const d = database();
    same ??= d.get(meterId, t);
    const storedPrevious = d.findPrevious(meterId, t);
    const storedNext = d.findNext(meterId, t);
    if (storedPrevious && (!previous || storedPrevious.t > previous.t)) previous = storedPrevious;
    if (storedNext && (!next || storedNext.t < next.t)) next = storedNext;
    return { previous, same, next };
  }

  return {
    get calendar() {
      return database().calendar;
    },

    async start() {
      const file = join(options.dataDir, 'readings.sqlite');
      db = openReadingDatabase({ file, timeZone: options.timeZone, maxSpanMs: options.maxSpanMs });
      for (const state of db.meterStates()) {
        views.set(state.meterId, { stored: state.latest, storedCount: state.readings, unflushed: [] });
      }
      journal = await openReadingJournal(join(options.dataDir, 'readings.journal'), options.wrapJournalFile);
      if (journal.recovered.length > 0) {
        const stored = db.store(journal.recovered);
        for (const state of db.meterStates()) {
          views.set(state.meterId, { stored: state.latest, storedCount: state.readings, unflushed: [] });
        }
        await journal.reset();
        log.info({ journaled: journal.recovered.length, newlyStored: stored }, 'recovered readings from the journal');
      }
      lastFlushAt = options.clock.now();
    },

    async stop() {
      if (commitTimer) clearTimeout(commitTimer);
      if (flushTimer) clearTimeout(flushTimer);
      commitTimer = null;
      flushTimer = null;
      await writer;
      await commitPending();
      await flushNow();
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = null;
      await journal?.close();
      db?.close();
      journal = null;
      db = null;
    },

    latest(meterId) {
      const v = views.get(meterId);
      if (!v) return null;
      const last = v.unflushed[v.unflushed.length - 1];
      return last && (!v.stored || last.t > v.stored.t) ? last : v.stored;
    },

    around,

    accept(readings) {
      if (readings.length === 0) return Promise.resolve();
      for (const r of readings) insertSorted(view(r.meterId).unflushed, r);
      if (pendingCount === 0) oldestPendingAt = options.clock.now();
      pendingCount += readings.length;
      health.waitingForDisk = pendingCount;
      const promise = new Promise<void>((resolve, reject) => pending.push({ readings, resolve, reject }));
      scheduleCommit();
      return promise;
    },

    stats(meterId) {
      const v = views.get(meterId);
      if (!v) return { readings: 0, lastT: null };
      return { readings: v.storedCount + v.unflushed.length, lastT: this.latest(meterId)?.t ?? null };
    },

    health: () => ({ ...health, waitingForDisk: pendingCount }),

    flush() {
      writer = writer.then(async () => {
        await commitPending();
        await flushNow();
      });
      return writer;
    },

    intervals: (meterIds, resolution, from, to) => database().intervals(meterIds, resolution, from, to),

    applyRetention() {
      const now = options.clock.now();
      const readingsBefore = now - options.rawRetentionDays * DAY_MS;
      const result = database().applyRetention({
        readingsBefore,
        fiveMinuteBefore: readingsBefore,
        intervalsBefore: now - options.intervalRetentionDays * DAY_MS,
      });
      for (const v of views.values()) v.unflushed = v.unflushed.filter((r) => r.t >= readingsBefore);
      // Counts in the views come from the database again.
      for (const state of database().meterStates()) {
        const v = views.get(state.meterId);
        if (v) v.storedCount = state.readings;
      }
      return result;
    },

    async forgetMeter(meterId) {
      await this.flush();
      views.delete(meterId);
      return database().deleteMeter(meterId);
    },
  };
}

/** Turns file-system errors into words a volunteer can act on. */
export function describeStorageError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
      return 'the disk is full (ENOSPC); free space on the data directory\'s disk';
    case 'EIO':
      return 'the disk reported an I/O error (EIO); check or replace the SD card';
    case 'EROFS':
      return 'the disk is read-only (EROFS); the SD card may be failing or mounted read-only';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code}); the hub's user must own the data directory`;
    default:
      return error.message;
  }
}
