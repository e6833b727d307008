import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { DriverReading } from '../drivers/meterDriver.js';

/**
 * The sensor agent's outbox: every reading is on disk before it is sent, and
 * leaves only after the hub's PUBACK (ARCHITECTURE.md "Acknowledgement").
 *
 * One append-only log for all the agent's meters, so one publish tick costs one
 * fdatasync however many meters the agent serves (SD-card wear). Lines are
 * `<crc32 hex> <JSON [seq, meterId, t, importWh, exportWh, generationWh, consumptionWh, powerW, serial]>`,
 * in segment files `segment-<first seq>.log` of at most `segmentBytes`.
 * `acked.json` holds the watermark: every seq up to it was acked. Acks above
 * the watermark are kept in memory only; after a crash those readings are sent
 * again and the hub, idempotent on (meter, t), stores them once.
 * A power cut can tear only the last line, which was never sent: it is cut off.
 *
 * In memory each unacked reading costs two numbers (seq and file position), so a
 * week's backlog of 8 meters at 10 s (~480,000 readings) takes a few MB.
 */

export interface OutboxEntry {
  seq: number;
  meterId: string;
  reading: DriverReading;
}

export interface Outbox {
  /** Appends readings and returns once they are on disk. */
  append(items: Array<{ meterId: string; reading: DriverReading }>): Promise<OutboxEntry[]>;
  /** Up to `max` of a meter's oldest readings that are neither acked nor taken. */
  take(meterId: string, max: number): Promise<OutboxEntry[]>;
  /** Readings taken but not acked (a failed send) go back to the front of their queue. */
  giveBack(entries: readonly OutboxEntry[]): void;
  ack(entries: readonly OutboxEntry[]): void;
  /** Readings waiting per meter (queued + taken, not acked). */
  pending(meterId: string): number;
  totalPending(): number;
  close(): Promise<void>;
}

export interface OutboxOptions {
  dir: string;
  segmentBytes?: number;
  /**
   * Longest the watermark file may lag behind acks (default 60 s). Each write
   * costs a few pages; after a crash, readings acked since the last write are
   * sent again and the hub stores them once (measured in test/bench/RESULTS.md).
   */
  watermarkDelayMs?: number;
}

interface Segment {
  no: number;
  firstSeq: number;
  file: string;
  handle: FileHandle | null;
  length: number;
}

class SeqQueue {
  // Pairs (seq, position) in a growable Float64Array: compact for long backlogs.
  #data = new Float64Array(64);
  #head = 0;
  #tail = 0;

  get length(): number {
    return (this.#tail - this.#head) / 2;
  }
  push(seq: number, position: number): void {
    if (this.#tail + 2 > this.#data.length) this.#grow();
    this.#data[this.#tail++] = seq;
    this.#data[this.#tail++] = position;
  }
  unshift(seq: number, position: number): void {
    if (this.#head < 2) this.#grow(2);
    this.#data[--this.#head] = position;
    this.#data[--this.#head] = seq;
  }
  shift(): [number, number] | null {
    if (this.#head === this.#tail) return null;
    const seq = this.#data[this.#head++]!;
    const position = this.#data[this.#head++]!;
    if (this.#head === this.#tail) this.#head = this.#tail = 0;
    return [seq, position];
  }
  #grow(front = 0): void {
    const used = this.#tail - this.#head;
    const next = new Float64Array(Math.max(64, used * 2 + front + 2));
    const offset = front > 0 ? Math.max(2, used) : 0;
    next.set(this.#data.subarray(this.#head, this.#tail), offset);
    this.#data = next;
    this.#head = offset;
    this.#tail = offset + used;
  }
}

const SEGMENT_SPAN = 2 ** 32; // position = segment index × SEGMENT_SPAN + byte offset

export async function openOutbox(options: OutboxOptions): Promise<Outbox> {
  const dir = options.dir;
  const segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
  const watermarkDelayMs = options.watermarkDelayMs ?? 60_000;
  await mkdir(dir, { recursive: true, mode: 0o700 });

  let watermark = await readWatermark(dir);
  // Segments in order; `no` is stable for a segment's life, so positions never need renumbering.
  const segments: Segment[] = [];
  const byNo = new Map<number, Segment>();
  let nextNo = 0;
  const addSegment = (segment: Omit<Segment, 'no'>): Segment => {
    const withNo = { ...segment, no: nextNo++ };
    segments.push(withNo);
    byNo.set(withNo.no, withNo);
    return withNo;
  };
  const queues = new Map<string, SeqQueue>();
  const taken = new Map<number, string>(); // seq → meterId, sent and awaiting ack
  const ackedAbove = new Set<number>();
  let nextSeq = watermark + 1;

  const names = (await readdir(dir)).filter((n) => /^segment-\d+\.log$/.test(n)).sort((a, b) => seqOf(a) - seqOf(b));
  for (const name of names) {
    const file = join(dir, name);
    const content = await readFile(file);
    const index = nextNo;
    let offset = 0;
    let lastSeq = seqOf(name) - 1;
    while (offset < content.length) {
      const end = content.indexOf(0x0a, offset);
      if (end < 0) break;
      const entry = decodeLine(content.toString('utf8', offset, end));
      if (!entry) break;
      lastSeq = entry.seq;
      if (entry.seq > watermark) queueOf(entry.meterId).push(entry.seq, index * SEGMENT_SPAN + offset);
      offset = end + 1;
    }
    const handle = await open(file, 'r+');
    if (offset < content.length) await handle.truncate(offset); // torn by a power cut
    addSegment({ firstSeq: seqOf(name), file, handle, length: offset });
    nextSeq = Math.max(nextSeq, lastSeq + 1);
  }

  function queueOf(meterId: string): SeqQueue {
    let q = queues.get(meterId);
    if (!q) {
      q = new SeqQueue();
      queues.set(meterId, q);
    }
    return q;
  }

  async function currentSegment(extra: number, firstSeq: number) {
    const last = segments[segments.length - 1];
    if (last && last.length + extra <= segmentBytes) return last;
    if (last) {
      await last.handle?.close();
      last.handle = null;
    }
    // Named after the first seq it holds, so a start-up that finds it empty
    // (power cut right after creating it) continues numbering from there.
    const file = join(dir, `segment-${String(firstSeq).padStart(12, '0')}.log`);
    const handle = await open(file, 'a+', 0o600);
    await syncDir(dir);
    return addSegment({ firstSeq, file, handle, length: 0 });
  }

  // One read-ahead window per meter: meters' entries interleave in the log,
  // and a shared window would be evicted by each meter in turn.
  const readAheads = new Map<string, { no: number; start: number; bytes: Buffer }>();
  async function readEntry(position: number, meterId: string): Promise<OutboxEntry> {
    let readAhead = readAheads.get(meterId) ?? null;
    const index = Math.floor(position / SEGMENT_SPAN);
    const offset = position - index * SEGMENT_SPAN;
    const segment = byNo.get(index);
    if (!segment) throw new Error(`Outbox segment ${index} is gone while readings in it were not acked; move the outbox folder aside to start a new one.`);
    // Backlogs are read in order, so one 64 KB read serves many entries.
    if (!readAhead || readAhead.no !== index || offset < readAhead.start || offset >= readAhead.start + readAhead.bytes.length || readAhead.bytes.indexOf(0x0a, offset - readAhead.start) < 0) {
      const handle = segment.handle ?? (segment.handle = await open(segment.file, 'r+'));
      const bytes = Buffer.alloc(65_536);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, offset);
      readAhead = { no: index, start: offset, bytes: bytes.subarray(0, bytesRead) };
      readAheads.set(meterId, readAhead);
    }
    const from = offset - readAhead.start;
    const end = readAhead.bytes.indexOf(0x0a, from);
    const entry = end < 0 ? null : decodeLine(readAhead.bytes.toString('utf8', from, end));
    if (!entry) throw new Error(`Outbox ${segment.file} is damaged at byte ${offset}; move the outbox folder aside to start a new one.`);
    return entry;
  }

  let watermarkTimer: NodeJS.Timeout | null = null;
  let watermarkWrite: Promise<void> = Promise.resolve();
  function advanceWatermark(): void {
    const before = watermark;
    while (ackedAbove.has(watermark + 1)) {
      ackedAbove.delete(watermark + 1);
      watermark++;
    }
    if (watermark !== before && !watermarkTimer) {
      watermarkTimer = setTimeout(() => {
        watermarkTimer = null;
        watermarkWrite = watermarkWrite.then(persistWatermark).catch(() => {});
      }, watermarkDelayMs);
    }
  }

  async function persistWatermark(): Promise<void> {
    const value = watermark;
    const temp = join(dir, 'acked.json.tmp');
    const handle = await open(temp, 'w', 0o600);
    await handle.writeFile(JSON.stringify({ ackedThrough: value }));
    await handle.sync();
    await handle.close();
    await rename(temp, join(dir, 'acked.json'));
    await syncDir(dir);
    // Segments wholly acked can go (the last one stays to be appended to).
    while (segments.length > 1 && segments[1]!.firstSeq - 1 <= value) {
      const old = segments.shift()!;
      byNo.delete(old.no);
      await old.handle?.close();
      await unlink(old.file).catch(() => {});
    }
  }

  const positions = new Map<number, number>(); // seq → position, for taken entries

  return {
    async append(items) {
      if (items.length === 0) return [];
      const entries = items.map(({ meterId, reading }) => ({ seq: nextSeq++, meterId, reading }));
      const lines = entries.map(encodeLine);
      const bytes = Buffer.from(lines.join(''), 'utf8');
      const first = entries[0]!.seq;
      let segment: Segment;
      try {
        segment = await currentSegment(bytes.length, first);
        await segment.handle!.write(bytes, 0, bytes.length, segment.length);
        await segment.handle!.datasync();
      } catch (error) {
        // Give the numbers back and cut any partial write, so the acked
        // watermark (which advances over consecutive numbers only) never meets a gap.
        nextSeq = first;
        const last = segments[segments.length - 1];
        if (last?.handle) await last.handle.truncate(last.length).catch(() => {});
        throw error;
      }
      const index = segment.no;
      let offset = segment.length;
      entries.forEach((entry, i) => {
        queueOf(entry.meterId).push(entry.seq, index * SEGMENT_SPAN + offset);
        offset += Buffer.byteLength(lines[i]!, 'utf8');
      });
      segment.length = offset;
      return entries;
    },

    async take(meterId, max) {
      const q = queues.get(meterId);
      const out: OutboxEntry[] = [];
      while (q && out.length < max) {
        const item = q.shift();
        if (!item) break;
        const entry = await readEntry(item[1], meterId);
        taken.set(entry.seq, meterId);
        positions.set(entry.seq, item[1]);
        out.push(entry);
      }
      return out;
    },

    giveBack(entries) {
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i]!;
        if (!taken.delete(entry.seq)) continue;
        queueOf(entry.meterId).unshift(entry.seq, positions.get(entry.seq)!);
        positions.delete(entry.seq);
      }
    },

    ack(entries) {
      for (const entry of entries) {
        if (!taken.delete(entry.seq)) continue;
        positions.delete(entry.seq);
        ackedAbove.add(entry.seq);
      }
      advanceWatermark();
    },

    pending(meterId) {
      let inFlight = 0;
      for (const m of taken.values()) if (m === meterId) inFlight++;
      return (queues.get(meterId)?.length ?? 0) + inFlight;
    },

    totalPending() {
      let n = taken.size;
      for (const q of queues.values()) n += q.length;
      return n;
    },

    async close() {
      if (watermarkTimer) clearTimeout(watermarkTimer);
      watermarkTimer = null;
      await watermarkWrite;
      await persistWatermark();
      for (const s of segments) await s.handle?.close();
      for (const s of segments) s.handle = null;
    },
  };
}

function seqOf(name: string): number {
  return Number(/segment-(\d+)\.log/.exec(name)![1]);
}

async function readWatermark(dir: string): Promise<number> {
  try {
    const { ackedThrough } = JSON.parse(await readFile(join(dir, 'acked.json'), 'utf8')) as { ackedThrough: number };
    return Number.isSafeInteger(ackedThrough) ? ackedThrough : 0;
  } catch {
    return 0;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function encodeLine(entry: OutboxEntry): string {
  const r = entry.reading;
  const json = JSON.stringify([entry.seq, entry.meterId, r.t, r.importWh ?? null, r.exportWh ?? null, r.generationWh ?? null, r.consumptionWh ?? null, r.powerW ?? null, r.serial ?? null]);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

function decodeLine(line: string): OutboxEntry | null {
  if (line.charCodeAt(8) !== 0x20) return null;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return null;
  try {
    const [seq, meterId, t, importWh, exportWh, generationWh, consumptionWh, powerW, serial] = JSON.parse(json) as [
      number, string, number, number | null, number | null, number | null, number | null, number | null, string | null,
    ];
    const reading: DriverReading = { t };
    if (importWh !== null) reading.importWh = importWh;
    if (exportWh !== null) reading.exportWh = exportWh;
    if (generationWh !== null) reading.generationWh = generationWh;
    if (consumptionWh !== null) reading.consumptionWh = consumptionWh;
    if (powerW !== null) reading.powerW = powerW;
    if (serial !== null) reading.serial = serial;
    return { seq, meterId, reading };
  } catch {
    return null;
  }
}
