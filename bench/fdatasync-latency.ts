import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The machine's cost of one small append made durable, measured like the journal writer pays it. */
export interface FdatasyncLatency {
  readonly samples: number;
  readonly medianMs: number;
  readonly meanMs: number;
  readonly p99Ms: number;
  /** CPU time (user + system) this process spent per write + fdatasync, in ms: the kernel's work for one sync. */
  readonly cpuMsPerSync: number;
}

/**
 * Appends a record-sized block and calls fdatasync, in a loop, on a temporary file inside `dir` (the
 * journal's folder, so the same file system and device), for about `durationMs`; removes the file.
 */
export function measureFdatasyncLatency(dir: string, durationMs: number, recordBytes = 512): FdatasyncLatency {
  const work = mkdtempSync(join(dir, 'fdatasync-'));
  const fd = openSync(join(work, 'probe'), 'a');
  const block = Buffer.alloc(recordBytes, 0x61);
  const times: number[] = [];
  const cpuBefore = process.cpuUsage();
  try {
    const end = performance.now() + durationMs;
    while (performance.now() < end || times.length < 20) {
      const start = performance.now();
      writeSync(fd, block);
      fdatasyncSync(fd);
      times.push(performance.now() - start);
    }
  } finally {
    closeSync(fd);
    rmSync(work, { recursive: true, force: true });
  }
  const cpu = process.cpuUsage(cpuBefore);
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return {
    samples: times.length,
    medianMs: at(0.5),
    meanMs: times.reduce((s, t) => s + t, 0) / times.length,
    p99Ms: at(0.99),
    cpuMsPerSync: (cpu.user + cpu.system) / 1000 / times.length,
  };
}
