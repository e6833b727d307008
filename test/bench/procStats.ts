import { readFileSync, statSync } from 'node:fs';

/**
 * Figures of another process read from /proc (Linux only): CPU time, bytes it
 * caused to be written to storage, and resident memory.
 */

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** utime + stime of all threads of the process, in milliseconds (10 ms resolution). */
export function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`Cannot parse /proc/${pid}/stat: ${stat.slice(0, 200)}`);
  return ((utime + stime) * 1000) / USER_HZ;
}

export interface WriteBytes {
  /** Bytes the process caused to be sent to storage, counted when pages are dirtied. */
  writeBytes: number;
  /** Of those, bytes whose dirty pages were dropped before writeback (truncated files). */
  cancelledWriteBytes: number;
}

export function readWriteBytes(pid: number): WriteBytes {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}: (\\d+)$`, 'm').exec(io);
    if (!match) throw new Error(`/proc/${pid}/io has no ${name} line`);
    return Number(match[1]);
  };
  return { writeBytes: field('write_bytes'), cancelledWriteBytes: field('cancelled_write_bytes') };
}

export interface MemoryKb {
  rssKb: number;
  /** Peak resident set size since the process started. */
  hwmKb: number;
}

export function readMemoryKb(pid: number): MemoryKb {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name} line`);
    return Number(match[1]);
  };
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/**
 * Bytes written to the whole block device holding `path` (/proc/diskstats),
 * or null when the device cannot be found (e.g. overlay or tmpfs). Includes
 * the file system's own journal and every other process writing to that disk.
 */
export function readDeviceWrittenBytes(path: string): number | null {
  const dev = statSync(path).dev;
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  for (const line of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (Number(parts[0]) === major && Number(parts[1]) === minor) return Number(parts[9]) * 512;
  }
  return null;
}

/**
 * CPU time all processes on the machine spent (user, nice and system time of
 * all cores from /proc/stat), in milliseconds. Interrupt and softirq time is
 * left out: loopback TCP is processed there and is not any process's own time.
 * The difference with the processes a benchmark owns is what other work took.
 */
export function readMachineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [, user, nice, system] = line.trim().split(/\s+/).map(Number);
  return (((user ?? 0) + (nice ?? 0) + (system ?? 0)) * 1000) / USER_HZ;
}

/** CPU time of this process and of its children that have exited and been waited for, in milliseconds. */
export function readOwnTreeCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / USER_HZ;
}
