import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | null = null;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return ticksPerSecond;
}

/**
 * CPU time (user + system, all threads) a process has used so far, in seconds, from /proc/PID/stat
 * (Linux). Unlike throughput, CPU per transaction barely moves when other work shares the machine.
 */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]); // field 14 of stat(5)
  const stime = Number(fields[12]); // field 15
  return (utime + stime) / clockTicks();
}
