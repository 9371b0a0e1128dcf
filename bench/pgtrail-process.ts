import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSigningKeyPath } from '../recorder/signing-key.js';
import type { SyncCounters } from './pgbench-matrix.js';
import type {
  ProxyProcessReply,
  ProxyProcessRequest,
  ProxyProcessSettings,
  RecordingMode,
} from './proxy-process-messages.js';

/** pgtrail running as its own process for the benchmark, with a handle to ask it things over IPC. */
export interface PgtrailProcess {
  readonly mode: RecordingMode;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** Where /metrics is served, when started with metrics. */
  readonly metricsPort: number | null;
  /** The folder of its journal (a temporary one, removed by stop). */
  readonly journalDir: string;
  /** Runs a full garbage collection in the process and returns its live JS heap + external bytes after it. */
  collectGarbage(): Promise<number>;
  /** The journal writer's fdatasync and record counters, or null when recording is off. */
  syncCounters(): Promise<SyncCounters | null>;
  stop(): Promise<void>;
}

/** How to start it. */
export interface PgtrailProcessOptions {
  readonly mode: RecordingMode;
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  /** Write a V8 CPU profile (.cpuprofile) into this folder when the process exits. */
  readonly cpuProfileDir: string | null;
  /** Serve /metrics (metrics.enabled) on a free port. */
  readonly metrics?: boolean;
}

const childPath = fileURLToPath(new URL('./proxy-process.js', import.meta.url));

/**
 * Forks bench/proxy-process.js: pgtrail's proxy in a separate Node process, as pgbouncer and
 * PostgreSQL are separate processes, so that pgbench's and the harness's own CPU use is not billed
 * to the proxy's event loop.
 */
export async function startPgtrailProcess(options: PgtrailProcessOptions): Promise<PgtrailProcess> {
  const journalDir = mkdtempSync(join(tmpdir(), `pgtrail-bench-journal-${options.mode}-`));
  const settings: ProxyProcessSettings = {
    mode: options.mode,
    upstreamHost: options.upstreamHost,
    upstreamPort: options.upstreamPort,
    journalDir,
    metrics: options.metrics === true,
  };
  const execArgv = [
    '--expose-gc',
    ...(options.cpuProfileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`, `--cpu-prof-name=pgtrail-${options.mode}.cpuprofile`]
      : []),
  ];
  const child = fork(childPath, [JSON.stringify(settings)], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies = replyQueue(child);
  try {
    const ready = await replies.next('ready');
    if (ready.type !== 'ready') throw new Error('proxy process did not start');
    const pid = child.pid;
    if (pid === undefined) throw new Error('proxy process has no pid');
    const ask = async (request: ProxyProcessRequest): Promise<ProxyProcessReply> => {
      child.send(request);
      return replies.next(request.type);
    };
    return {
      mode: options.mode,
      host: ready.host,
      port: ready.port,
      pid,
      metricsPort: ready.metricsPort,
      journalDir,
      collectGarbage: async () => {
        const reply = await ask({ type: 'gc' });
        return reply.type === 'gc' ? reply.heapBytes : Number.NaN;
      },
      syncCounters: async () => {
        const reply = await ask({ type: 'counters' });
        return reply.type === 'counters' ? reply.counters : null;
      },
      stop: async () => {
        if (child.connected) {
          child.send({ type: 'stop' } satisfies ProxyProcessRequest);
          await exited(child, 20_000);
        }
        removeJournal(journalDir);
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    removeJournal(journalDir);
    throw err;
  }
}

// The journal's folder and the signing key pgtrail wrote beside it (`<dir>.signing-key`).
function removeJournal(journalDir: string): void {
  rmSync(journalDir, { recursive: true, force: true });
  rmSync(defaultSigningKeyPath(journalDir), { force: true });
}

// Replies arrive in request order; each waiter takes the next reply of the type it asked for.
function replyQueue(child: ChildProcess) {
  const waiting: { type: string; resolve: (r: ProxyProcessReply) => void; reject: (e: Error) => void }[] = [];
  child.on('message', (message: ProxyProcessReply) => {
    if (message.type === 'failed') {
      for (const w of waiting.splice(0)) w.reject(new Error(`proxy process failed: ${message.message}`));
      return;
    }
    const at = waiting.findIndex((w) => w.type === message.type);
    if (at >= 0) waiting.splice(at, 1)[0]?.resolve(message);
  });
  child.on('exit', (code, signal) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`proxy process exited (${String(code ?? signal)})`));
  });
  return {
    next: (type: string): Promise<ProxyProcessReply> =>
      new Promise((resolve, reject) => waiting.push({ type, resolve, reject })),
  };
}

async function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
