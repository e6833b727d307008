import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * How far an agent's outbox has got, read from its files from outside the
 * agent (sensors/agent/outbox.ts format): the seq of the last reading appended
 * (seqs are consecutive, so a difference is a count of readings queued), the
 * acked watermark in acked.json (it lags acks by up to 5 s), and the size on
 * disk.
 */
export interface OutboxProgress {
  /** Seq of the last complete line, 0 if none yet. */
  lastSeq: number;
  ackedThrough: number;
  segments: number;
  bytes: number;
}

export async function readOutboxProgress(dir: string): Promise<OutboxProgress> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^segment-\d+\.log$/.test(n)).sort();
  } catch {
    return { lastSeq: 0, ackedThrough: 0, segments: 0, bytes: 0 };
  }
  let bytes = 0;
  for (const n of names) bytes += (await stat(join(dir, n)).catch(() => ({ size: 0 }))).size;
  let ackedThrough = 0;
  try {
    ackedThrough = (JSON.parse(await readFile(join(dir, 'acked.json'), 'utf8')) as { ackedThrough: number }).ackedThrough;
  } catch {
    // none yet
  }
  const last = names[names.length - 1];
  if (!last) return { lastSeq: ackedThrough, ackedThrough, segments: 0, bytes };
  const firstSeq = Number(/segment-(\d+)\.log/.exec(last)![1]);
  const handle = await open(join(dir, last), 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 8192);
    const tail = Buffer.alloc(length);
    await handle.read(tail, 0, length, size - length);
    const lines = tail.toString('utf8').split('\n');
    lines.pop(); // after the last newline: empty, or a line still being written
    for (let i = lines.length - 1; i >= 0; i--) {
      const json = lines[i]!.slice(9);
      try {
        const seq = (JSON.parse(json) as [number])[0];
        if (Number.isSafeInteger(seq)) return { lastSeq: seq, ackedThrough, segments: names.length, bytes };
      } catch {
        // the first line of the tail is cut; try the one before
      }
    }
    return { lastSeq: firstSeq - 1, ackedThrough, segments: names.length, bytes };
  } finally {
    await handle.close();
  }
}
