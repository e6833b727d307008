import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { StoredReading } from './storedReading.js';

/**
 * The hub's write-ahead journal of accepted readings. A reading is acked only
 * after its journal line is fdatasync'd; the reading database takes the
 * journal's readings in large, rare transactions and the journal is then
 * emptied. This keeps an ack down to one small appended page per group commit,
 * which is what an SD card's wear budget allows (test/bench/RESULTS.md).
 *
 * Line format: `<crc32 of the JSON, 8 hex digits> <JSON array>\n`, the array
 * being [meterId, t, importWh, exportWh, generationWh, consumptionWh, powerW, serial].
 * A power cut can leave only the last line torn; it was never acked, so replay
 * stops there and the file is cut back to the last whole line.
 */

/** The file operations the journal needs; tests inject failures (a full disk) here. */
export interface JournalFile {
  write(buffer: Buffer, position: number): Promise<void>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface ReadingJournal {
  readonly file: string;
  /** Readings found on disk when the journal was opened, oldest first. */
  readonly recovered: readonly StoredReading[];
  /** Appends readings and returns once they are on disk. */
  append(readings: readonly StoredReading[]): Promise<void>;
  /** Empties the journal once its readings are durable elsewhere. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function openReadingJournal(
  file: string,
  wrapFile: (handle: FileHandle) => JournalFile = fileHandleJournalFile,
): Promise<ReadingJournal> {
  const handle = await open(file, 'a+', 0o600);
  const content = await handle.readFile();
  const { readings: recovered, validLength } = parseJournal(content);
  const target = wrapFile(handle);
  if (validLength < content.length) await target.truncate(validLength);
  let length = validLength;
  let closed = false;

  return {
    file,
    recovered,
    async append(readings) {
      if (closed) throw new Error(`The reading journal ${file} is closed.`);
      const buffer = Buffer.from(readings.map(encodeLine).join(''), 'utf8');
      try {
        await target.write(buffer, length);
        await target.datasync();
      } catch (error) {
        // Cut any partial write back so the next append starts on a whole line.
        await target.truncate(length).catch(() => {});
        throw error;
      }
      length += buffer.length;
    },
    async reset() {
      await target.truncate(0);
      length = 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      await target.close();
    },
  };
}

function fileHandleJournalFile(handle: FileHandle): JournalFile {
  return {
    async write(buffer, position) {
      let offset = 0;
      while (offset < buffer.length) {
        const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset, position + offset);
        offset += bytesWritten;
      }
    },
    datasync: () => handle.datasync(),
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
  };
}

function encodeLine(r: StoredReading): string {
  const json = JSON.stringify([r.meterId, r.t, r.importWh, r.exportWh, r.generationWh, r.consumptionWh, r.powerW, r.serial]);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

export function parseJournal(content: Buffer): { readings: StoredReading[]; validLength: number } {
  const readings: StoredReading[] = [];
  let offset = 0;
  while (offset < content.length) {
    const end = content.indexOf(0x0a, offset);
    if (end < 0) break;
    const line = content.toString('utf8', offset, end);
    const reading = decodeLine(line);
    if (!reading) break;
    readings.push(reading);
    offset = end + 1;
  }
  return { readings, validLength: offset };
}

function decodeLine(line: string): StoredReading | null {
  const space = line.indexOf(' ');
  if (space !== 8) return null;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return null;
  try {
    const [meterId, t, importWh, exportWh, generationWh, consumptionWh, powerW, serial] = JSON.parse(json) as unknown[];
    if (typeof meterId !== 'string' || typeof t !== 'number') return null;
    return {
      meterId,
      t,
      importWh: importWh as number | null,
      exportWh: exportWh as number | null,
      generationWh: generationWh as number | null,
      consumptionWh: consumptionWh as number | null,
      powerW: powerW as number | null,
      serial: serial as string | null,
    };
  } catch {
    return null;
  }
}
