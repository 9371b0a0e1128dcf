import { readFileSync } from 'node:fs';

/** A process's resident memory now and at its peak, in bytes, from /proc (Linux). */
export interface ProcessMemory {
  readonly rssBytes: number;
  /** VmHWM: the highest RSS the process has had since it started (or since peak reset). */
  readonly peakRssBytes: number;
}

function field(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (match?.[1] === undefined) throw new Error(`no ${name} in /proc status`);
  return Number(match[1]) * 1024;
}

/** Reads VmRSS and VmHWM of a process from /proc/PID/status. */
export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssBytes: field(status, 'VmRSS'), peakRssBytes: field(status, 'VmHWM') };
}
