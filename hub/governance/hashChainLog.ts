import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { DurableJsonAdapter } from '../storage/durableJsonAdapter.js';
import { deepFreeze } from './deepFreeze.js';
import { GovernanceError } from './governanceError.js';
import { describeValue } from './inputProblems.js';

/**
 * The append-only record behind governance, in `governance.json`. Each entry's
 * hash is SHA-256 over the previous entry's hash followed by a canonical JSON
 * (keys sorted, no spaces) of its seq, at, type and data, so changing, removing,
 * inserting or reordering any entry breaks the chain from that entry on.
 *
 * A broken log never stops the hub: opening it succeeds, `verify()` says which
 * entry is broken and why, `entries()` holds only the entries before the break,
 * and every append is refused until the file is restored. A chain rewritten
 * from the first entry with fresh hashes, or entries cut off at the end, cannot
 * be told from a real log by the file alone; the head hash (from `verify()`)
 * written into a meeting's minutes is the anchor for that.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface LogEntry {
  /** 1, 2, 3, ... in the order written. */
  readonly seq: number;
  /** ISO 8601 UTC instant of writing; never earlier than the entry before. */
  readonly at: string;
  readonly type: string;
  readonly data: JsonValue;
  readonly prevHash: string;
  readonly hash: string;
}

export type LogVerification =
  | { ok: true; entries: number; headHash: string | null }
  | {
      ok: false;
      /** seq of the first entry that does not verify; null when the file as a whole is unreadable. */
      brokenAt: number | null;
      reason: string;
    };

export interface HashChainLog {
  readonly file: string;
  /** Appends one entry; refused on a broken log or when `now` is before the last entry. */
  append(type: string, data: unknown, now: number): Promise<LogEntry>;
  /**
   * Like append, but the data is built from the entries as they stand inside
   * the log's lock, so a check and the append it allows cannot interleave with
   * another append. `build` may throw to refuse.
   */
  appendWith(type: string, now: number, build: (entries: readonly LogEntry[]) => unknown): Promise<LogEntry>;
  /** The entries that verify: all of them on an intact log. The same array until the next append. */
  entries(): readonly LogEntry[];
  /** Re-reads the file and checks the whole chain, and that it is what this process wrote. */
  verify(): Promise<LogVerification>;
  /** The last verification result, without reading the file. */
  status(): LogVerification;
}

export const GENESIS_HASH = '0'.repeat(64);
const ENTRY_FIELDS = ['at', 'data', 'hash', 'prevHash', 'seq', 'type'];
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** 2001-09-09: an earlier clock is unset (a Raspberry Pi has no real-time clock). */
const EARLIEST_CLOCK_MS = 1e12;

interface LogDocument {
  version: 1;
  entries: LogEntry[];
}

export async function openHashChainLog(dataDir: string, fileName = 'governance.json'): Promise<HashChainLog> {
  const file = join(dataDir, fileName);
  const adapter = new DurableJsonAdapter<LogDocument>(file);
  const db = new Low<LogDocument>(adapter, { version: 1, entries: [] });
  const fix = `Stop the hub, restore ${file} from a backup, and start it again; until then nothing new is recorded.`;

  // Opening never throws for a damaged file: the hub keeps running and says so.
  const initial = await readAndVerify();
  let memory: readonly LogEntry[] = initial.entries;
  let status: LogVerification = initial.verification;
  db.data = { version: 1, entries: [...memory] };

  let tail: Promise<unknown> = Promise.resolve();
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(work, work);
    tail = run.catch(() => {});
    return run;
  }

  /** Reads the file; returns the entries before the first break and the verdict. */
  async function readAndVerify(): Promise<{ entries: LogEntry[]; verification: LogVerification }> {
    let document: unknown;
    try {
      document = await adapter.read();
    } catch (error) {
      return { entries: [], verification: { ok: false, brokenAt: null, reason: `${(error as Error).message} ${fix}` } };
    }
    if (document === null) return { entries: [], verification: { ok: true, entries: 0, headHash: null } };
    const shapeProblem = documentProblem(document);
    if (shapeProblem) {
      return { entries: [], verification: { ok: false, brokenAt: null, reason: `${file} ${shapeProblem}. ${fix}` } };
    }
    const raw = (document as { entries: unknown[] }).entries;
    const good: LogEntry[] = [];
    let prevHash = GENESIS_HASH;
    let prevAt = -Infinity;
    for (const [index, candidate] of raw.entries()) {
      const seq = index + 1;
      const problem = entryProblem(candidate, seq, prevHash, prevAt);
      if (problem) return { entries: good, verification: { ok: false, brokenAt: seq, reason: `${file}: entry ${seq} ${problem}. ${fix}` } };
      const entry = deepFreeze(candidate as LogEntry);
      good.push(entry);
      prevHash = entry.hash;
      prevAt = Date.parse(entry.at);
    }
    return { entries: good, verification: { ok: true, entries: good.length, headHash: good.at(-1)?.hash ?? null } };
  }

  /** Checks the file against the chain and against what this process holds in memory. */
  async function check(): Promise<LogVerification> {
    const { entries: onDisk, verification } = await readAndVerify();
    if (!verification.ok) return verification;
    const length = Math.max(onDisk.length, memory.length);
    for (let i = 0; i < length; i++) {
      if (onDisk[i]?.hash === memory[i]?.hash) continue;
      const seq = i + 1;
      const what =
        onDisk[i] === undefined
          ? `is missing (the file holds ${onDisk.length} entries, the hub wrote ${memory.length})`
          : memory[i] === undefined
            ? `was added by something other than the hub`
            : `differs from what the hub wrote`;
      return { ok: false, brokenAt: seq, reason: `${file} changed on disk while the hub was running: entry ${seq} ${what}. ${fix}` };
    }
    return verification;
  }

  async function appendWith(type: string, now: number, build: (entries: readonly LogEntry[]) => unknown): Promise<LogEntry> {
    return exclusive(async () => {
      if (status.ok) status = await check();
      if (!status.ok) {
        throw new GovernanceError(`Refusing to record "${type}": the governance log is broken. ${status.reason}`, 'broken');
      }
      if (typeof type !== 'string' || type.length === 0) throw new GovernanceError('An entry needs a type.', 'invalid');
      if (!Number.isFinite(now) || now < EARLIEST_CLOCK_MS) {
        throw new GovernanceError(
          `Refusing to record "${type}": the hub's clock reads ${describeValue(now)}, which is not a real date. Set the clock (NTP) and try again.`,
          'invalid',
        );
      }
      const last = memory.at(-1);
      if (last && now < Date.parse(last.at)) {
        throw new GovernanceError(
          `Refusing to record "${type}" at ${new Date(now).toISOString()}: the last governance entry is dated ${last.at}, and the log only goes forward in time. Check the hub's clock (NTP) and try again.`,
          'invalid',
        );
      }
      const data = toJson(build(memory), type);
      const seq = memory.length + 1;
      const at = new Date(now).toISOString();
      const prevHash = last?.hash ?? GENESIS_HASH;
      const entry: LogEntry = deepFreeze({ seq, at, type, data, prevHash, hash: entryHash(prevHash, { seq, at, type, data }) });
      const next = [...memory, entry];
      db.data = { version: 1, entries: next };
      try {
        await db.write();
      } catch (error) {
        db.data = { version: 1, entries: [...memory] };
        throw new GovernanceError(
          `Could not record "${type}" in ${file}: ${(error as Error).message}. Nothing was recorded; free space on the data disk or check it for errors, then try again.`,
          'storage',
          [],
          { cause: error },
        );
      }
      memory = next;
      status = { ok: true, entries: next.length, headHash: entry.hash };
      return entry;
    });
  }

  return {
    file,
    append: (type, data, now) => appendWith(type, now, () => data),
    appendWith,
    entries: () => memory,
    verify: () =>
      exclusive(async () => {
        const result = await check();
        // A break found while running stays until restart: the file must be restored first.
        if (!result.ok || status.ok) status = result;
        return status;
      }),
    status: () => status,
  };
}

/** SHA-256 over the previous hash and the canonical JSON of the entry's content. */
export function entryHash(prevHash: string, content: { seq: number; at: string; type: string; data: JsonValue }): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(content)).digest('hex');
}

/** JSON with object keys sorted at every level and no whitespace: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

function documentProblem(document: unknown): string | null {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return 'does not hold a governance log object';
  const { version, entries } = document as Record<string, unknown>;
  if (version !== 1) return `has version ${describeValue(version)}; this hub reads version 1`;
  if (!Array.isArray(entries)) return 'has no "entries" list';
  return null;
}

function entryProblem(candidate: unknown, seq: number, prevHash: string, prevAt: number): string | null {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) return `is not an object (got ${describeValue(candidate)})`;
  const entry = candidate as Record<string, unknown>;
  const fields = Object.keys(entry).sort();
  if (fields.join() !== ENTRY_FIELDS.join()) {
    return `has the fields ${fields.join(', ') || 'none'}; an entry has exactly seq, at, type, data, prevHash, hash`;
  }
  if (entry.seq !== seq) return `has seq ${describeValue(entry.seq)}: an entry was removed, inserted, moved or renumbered here`;
  if (typeof entry.at !== 'string' || !ISO_INSTANT.test(entry.at) || new Date(entry.at).toISOString() !== entry.at) {
    return `has at ${describeValue(entry.at)}, which is not a time this log writes`;
  }
  if (typeof entry.type !== 'string' || entry.type.length === 0) return `has type ${describeValue(entry.type)}`;
  if (entry.prevHash !== prevHash) {
    return `does not follow the entry before it (its prevHash ${describeValue(entry.prevHash)} is not that entry's hash): an entry before it was changed, removed or inserted`;
  }
  const expected = entryHash(prevHash, { seq, at: entry.at, type: entry.type, data: entry.data as JsonValue });
  if (entry.hash !== expected) return `("${entry.type}" at ${entry.at}) was changed after it was written: its hash does not match its contents`;
  if (Date.parse(entry.at) < prevAt) return `is dated ${entry.at}, before the entry before it`;
  return null;
}

/** A JSON copy of the data, so what is hashed is what is read back; refuses what JSON cannot hold. */
function toJson(data: unknown, type: string): JsonValue {
  const text = JSON.stringify(data, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new GovernanceError(`"${type}" data holds ${value}, which JSON cannot store.`, 'invalid');
    if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') {
      throw new GovernanceError(`"${type}" data holds a ${typeof value}, which JSON cannot store.`, 'invalid');
    }
    return value;
  });
  if (text === undefined) throw new GovernanceError(`"${type}" needs data.`, 'invalid');
  return JSON.parse(text) as JsonValue;
}
