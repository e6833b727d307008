import { mkdir, readFile } from 'node:fs/promises';
import { writeFileDurably } from '../../../hub/storage/durableJsonAdapter.js';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * Each meter's cumulative pulse count in a small JSON file, so that a restart
 * continues counting where it stopped:
 *
 *     {"format":"commonwatt-s0-counts/1","counts":{"m1":123456}}
 *
 * Writes are atomic: a temp file in the same directory, fsync, rename over the
 * state file, fsync of the directory. After a power cut the file holds the
 * previous or the new counts, never a torn mix or an empty file.
 *
 * Writes are throttled to spare the SD card: at most one per
 * `minWriteIntervalMs` (default 10 s) while counts change, none while they do
 * not, and one on close.
 *
 * What a power cut loses, and the bound on it: the pulses counted since the
 * last write, i.e. at most `minWriteIntervalMs` worth of pulses plus the few
 * milliseconds a write takes. At 1000 imp/kWh and 10 kW that is ≤ 28 pulses
 * (28 Wh); at 60 kW, ≤ 167 Wh. Pulses during the outage itself are seen by
 * nobody. The driver starts a new counting session (a new serial) on every
 * start, so the hub takes the stored, possibly slightly older count as a new
 * baseline instead of seeing a register go backwards.
 *
 * One process owns a state file. Counts of meters no longer configured are
 * kept, so taking a meter out of the config and back does not restart it at 0.
 */

export const STATE_FORMAT = 'commonwatt-s0-counts/1';
export const DEFAULT_MIN_WRITE_INTERVAL_MS = 10_000;

export interface PulseStateOptions {
  file: string;
  /** At most one write per this many ms while counts change (default 10 000). */
  minWriteIntervalMs?: number;
  /** A background write failed; the counts stay in memory and the write is retried after the interval. */
  onWriteError?: (error: Error) => void;
}

export interface PulseState {
  readonly file: string;
  /** The stored count of a meter, 0 if it has none. */
  count(meterId: string): number;
  /** Records a meter's new count; it reaches the disk within the write interval. */
  set(meterId: string, count: number): void;
  /** Writes now if anything changed since the last write. */
  flush(): Promise<void>;
  /** Writes what changed and stops the write timer. */
  close(): Promise<void>;
  /** Completed writes of the state file since it was opened. */
  readonly writes: number;
}

export async function openPulseState(options: PulseStateOptions): Promise<PulseState> {
  const { file } = options;
  const interval = options.minWriteIntervalMs ?? DEFAULT_MIN_WRITE_INTERVAL_MS;
  const onWriteError = options.onWriteError ?? (() => {});
  const dir = dirname(file);

  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new Error(`Cannot create the folder ${dir} for the pulse state file: ${(error as Error).message}`, { cause: error });
  }
  const counts = await readCounts(file);

  let dirty = false;
  let closed = false;
  let writes = 0;
  let lastWriteAt = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();

  const writeIfDirty = (): Promise<void> => {
    writing = writing.then(async () => {
      if (!dirty) return;
      dirty = false;
      lastWriteAt = performance.now();
      const text = `${JSON.stringify({ format: STATE_FORMAT, counts: Object.fromEntries(counts) })}\n`;
      try {
        await writeFileDurably(file, text);
        writes += 1;
      } catch (error) {
        dirty = true;
        schedule();
        try {
          onWriteError(new Error(`Cannot save pulse counts to ${file}: ${(error as Error).message}`, { cause: error }));
        } catch {
          // A failing listener must not stop later writes.
        }
      }
    });
    return writing;
  };

  const schedule = () => {
    if (timer !== null || closed || !dirty) return;
    const wait = Math.max(0, lastWriteAt + interval - performance.now());
    timer = setTimeout(() => {
      timer = null;
      void writeIfDirty();
    }, wait);
  };

  return {
    file,
    count: (meterId) => counts.get(meterId) ?? 0,
    set(meterId, count) {
      if (counts.get(meterId) === count) return;
      counts.set(meterId, count);
      dirty = true;
      schedule();
    },
    flush() {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      return writeIfDirty();
    },
    async close() {
      closed = true;
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      await writeIfDirty();
    },
    get writes() {
      return writes;
    },
  };
}

async function readCounts(file: string): Promise<Map<string, number>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new Error(`Cannot read the pulse state file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const fix = `Restore it from a backup, or move it aside to count every meter from 0 (each meter's offsetWh sets where its register starts).`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`The pulse state file ${file} is not valid JSON (${(error as Error).message}). ${fix}`, { cause: error });
  }
  const counts = (parsed as { format?: unknown; counts?: unknown } | null)?.counts;
  if ((parsed as { format?: unknown } | null)?.format !== STATE_FORMAT || typeof counts !== 'object' || counts === null) {
    throw new Error(`The pulse state file ${file} is not a "${STATE_FORMAT}" file. ${fix}`);
  }
  const result = new Map<string, number>();
  const bad: string[] = [];
  for (const [meterId, count] of Object.entries(counts)) {
    if (typeof count === 'number' && Number.isSafeInteger(count) && count >= 0) result.set(meterId, count);
    else bad.push(`counts.${meterId}: must be a whole number ≥ 0 (got ${JSON.stringify(count)})`);
  }
  if (bad.length > 0) throw new Error(`The pulse state file ${file} has bad counts: ${bad.join('; ')}. ${fix}`);
  return result;
}

