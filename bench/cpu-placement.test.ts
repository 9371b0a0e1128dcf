import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { expect, test } from 'vitest';
import { CpuPlacementError, pinningUnavailable, pinProcess, proxyCpu } from './cpu-placement.js';

function allowedCpus(pid: number, task: string): string {
  const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? 'unreadable';
}

test('--pin is refused, with the reason, where it cannot run', () => {
  const reason = pinningUnavailable();
  if (process.platform === 'linux' && cpus().length >= 2) expect(reason).toBeNull();
  else expect(reason).toMatch(/--pin/);
});

test('pinProcess moves every thread of a running process, a Node process with its worker threads included', async () => {
  if (pinningUnavailable() !== null) {
    expect(() => pinProcess(process.pid, 64)).toThrow(CpuPlacementError);
    return;
  }
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error('no child pid');
    // Node starts its platform and thread-pool threads with the process: wait until there are several.
    for (let i = 0; i < 50 && readdirSync(`/proc/${pid}/task`).length < 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    pinProcess(pid, proxyCpu);
    const tasks = readdirSync(`/proc/${pid}/task`);
    expect(tasks.length).toBeGreaterThan(1);
    for (const task of tasks) expect(allowedCpus(pid, task)).toBe(String(proxyCpu));
  } finally {
    child.kill('SIGKILL');
  }
});

test('a CPU that does not exist is an error that names the process and the CPU', () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const pid = child.pid ?? 0;
    expect(() => pinProcess(pid, 4096)).toThrow(
      new CpuPlacementError(`taskset could not pin process ${pid} to CPU 4096`),
    );
  } finally {
    child.kill('SIGKILL');
  }
});
