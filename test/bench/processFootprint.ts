import { readFileSync } from 'node:fs';

/**
 * What one process costs the machine, read from /proc/<pid> (Linux only), in
 * one snapshot: CPU time, resident memory, and its I/O. Differences of two
 * snapshots give a measured window.
 */

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

export interface ProcessFootprint {
  /** Date.now() when read. */
  at: number;
  /** utime + stime of all threads, in ms (10 ms resolution). */
  cpuMs: number;
  /** VmRSS: resident now. */
  rssKb: number;
  /** VmHWM: peak resident since the process started. */
  hwmKb: number;
  /** Bytes the process caused to be sent to storage (counted per page dirtied, so a 100-byte append to a clean page counts 4,096). */
  writeBytes: number;
  /** Of those, bytes whose dirty pages were dropped before writeback (truncated or deleted files). */
  cancelledWriteBytes: number;
  /** Bytes the process caused to be fetched from storage (0 when served from the page cache). */
  readBytes: number;
  /** Bytes passed to read()-like calls, cached or not. */
  rchar: number;
  /** read()-like system calls. */
  syscr: number;
  /** write()-like system calls. */
  syscw: number;
}

export function readProcessFootprint(pid: number): ProcessFootprint {
  const stat = readProc(pid, 'stat');
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`Cannot parse /proc/${pid}/stat: ${stat.slice(0, 200)}`);

  const status = readProc(pid, 'status');
  const kb = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name} line (is ${pid} a zombie?)`);
    return Number(match[1]);
  };

  const io = readProc(pid, 'io');
  const count = (name: string) => {
    const match = new RegExp(`^${name}: (\\d+)$`, 'm').exec(io);
    if (!match) throw new Error(`/proc/${pid}/io has no ${name} line`);
    return Number(match[1]);
  };

  return {
    at: Date.now(),
    cpuMs: ((utime + stime) * 1000) / USER_HZ,
    rssKb: kb('VmRSS'),
    hwmKb: kb('VmHWM'),
    writeBytes: count('write_bytes'),
    cancelledWriteBytes: count('cancelled_write_bytes'),
    readBytes: count('read_bytes'),
    rchar: count('rchar'),
    syscr: count('syscr'),
    syscw: count('syscw'),
  };
}

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read /proc/${pid}/${file}: has the process exited? (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
}
