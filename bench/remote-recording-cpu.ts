/**
 * What recording to a remote recorder costs against a local journal, in CPU per statement at a
 * pgbench-like pace (issue 19): the proxy's recorder (redaction in front of the sink) in this
 * process, fed statements (statement.started and its statement.finished) of 8 sessions at a fixed
 * rate in 1 ms ticks, as pgbench -S through a proxy feeds it. Three ways, alternated round by round:
 * - `discard`: a sink that drops events: what generating them and the pacing cost, to subtract;
 * - `local`: a batched local journal in a temporary directory (recorder/recorder.ts);
 * - `remote`: a batched RemoteSink with its spool and link (recorder/remote/) to a `pgtrail
 *   recorder` process (dist/bin/pgtrail.js) on loopback, whose CPU (from /proc) is counted too.
 * At a fixed rate, costs per flush, per write and per frame count as they do under pgbench (a
 * benchmark that records as fast as it can hides them in large batches). Prints CPU µs per
 * statement (this process: process.cpuUsage, every thread; the recorder process), min and median
 * over rounds: CPU time, unlike wall time or TPS, barely moves when other work shares the machine.
 *
 * Usage: npm run build && node dist/bench/remote-recording-cpu.js [--rate N] [--seconds N] [--rounds N]
 *   [--only local|remote] [--window MS (journal.batchWindowMs)] [--no-spool (the remote sink keeps unacknowledged events in memory only)]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { defaultConfig } from '../config/defaults.js';
import { discardingSink, type EventSink } from '../recorder/events.js';
import { openRemoteRecorder } from '../recorder/remote/open-remote-recorder.js';
import { openRecorder } from '../recorder/recorder.js';
import { statementFinished, statementStarted } from '../recorder/testing/sample-events.js';
import { benchRecorderToken, startBenchRecorder } from './bench-pgtrail-command.js';
import { median } from './pgbench-matrix.js';
import { processCpuSeconds } from './process-cpu.js';

const sessions = 8;
const modes = ['discard', 'local', 'remote'] as const;
type Mode = (typeof modes)[number];

/** One round's CPU per statement: this process, and the recorder process (remote only). */
interface RoundCpu {
  readonly ownUs: number;
  readonly recorderUs: number;
}

/** Records `rate` statements per second for `seconds` into `sink`, paced in 1 ms ticks. */
async function drive(sink: EventSink, rate: number, seconds: number, first: number): Promise<number> {
  const started = performance.now();
  let n = 0;
  for (;;) {
    const elapsed = performance.now() - started;
    if (elapsed >= seconds * 1000) return n;
    // Statements due by now, spread over the sessions as concurrent clients would.
    const due = Math.floor((elapsed / 1000) * rate);
    while (n < due) {
      const session = `bench-session-${n % sessions}`;
      const id = first + n;
      void sink.record(statementStarted(session, id))?.catch(() => undefined);
      void sink.record(statementFinished(session, id))?.catch(() => undefined);
      n++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '5000' },
      seconds: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '5' },
      only: { type: 'string' },
      'no-spool': { type: 'boolean', default: false },
      window: { type: 'string', default: String(defaultConfig.journal.batchWindowMs) },
    },
  });
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const batchWindowMs = Number(values.window);
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-remote-cpu-'));
  const logger = pino({ level: 'silent' });
  const { command: service, url } = await startBenchRecorder(dir);
  const local = await openRecorder(
    {
      ...defaultConfig.journal,
      dir: join(dir, 'local-journal'),
      keyFile: join(dir, 'local.key'),
      durability: 'batched',
      batchWindowMs,
    },
    defaultConfig.recording,
    () => undefined,
  );
  const remote = await openRemoteRecorder({
    url,
    token: benchRecorderToken,
    instance: 'bench-remote-cpu',
    tls: null,
    durability: 'batched',
    batchWindowMs,
    spoolDir: values['no-spool'] ? null : join(dir, 'spool'),
    spoolMaxBytes: defaultConfig.recorder.spoolMaxBytes,
    recording: defaultConfig.recording,
    logger,
    onFailure: (error) => {
      throw error;
    },
  });
  try {
    if (!(await remote.connected(10_000))) throw new Error('the recorder did not welcome the sink');
    const sinks: Record<Mode, EventSink> = { discard: discardingSink, local: local.sink, remote: remote.sink };
    const results: Record<Mode, RoundCpu[]> = { discard: [], local: [], remote: [] };
    let first = 1;
    // Round 0 warms V8 up on every path and is not counted.
    for (let round = 0; round <= rounds; round++) {
      for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
        if (values.only !== undefined && mode !== values.only && mode !== 'discard') continue;
        const own = process.cpuUsage();
        const recorderBefore = processCpuSeconds(service.pid);
        const n = await drive(sinks[mode], rate, seconds, first);
        first += n;
        // What the window still holds is flushed, written and acknowledged within it: count that too.
        await new Promise((resolve) => setTimeout(resolve, 3 * batchWindowMs));
        if (mode === 'remote') while (remote.remote.unacknowledged > 0) await new Promise((r) => setTimeout(r, 5));
        const used = process.cpuUsage(own);
        const cpu = {
          ownUs: (used.user + used.system) / n,
          recorderUs: mode === 'remote' ? ((processCpuSeconds(service.pid) - recorderBefore) * 1e6) / n : 0,
        };
        if (round > 0) results[mode].push(cpu);
        process.stderr.write(
          `round ${round}${round === 0 ? ' (warm-up)' : ''} ${mode}: ${n} statements, ${cpu.ownUs.toFixed(1)} us/statement here, ${cpu.recorderUs.toFixed(1)} in the recorder\n`,
        );
      }
    }
    const base = median(results.discard.map((r) => r.ownUs));
    process.stdout.write(
      `${rate} statements/s, ${seconds} s rounds, ${rounds} rounds; CPU µs per statement (median, min):\n`,
    );
    for (const mode of modes) {
      if (results[mode].length === 0) continue;
      const own = results[mode].map((r) => r.ownUs);
      const total = results[mode].map((r) => r.ownUs + r.recorderUs);
      process.stdout.write(
        `${mode.padEnd(8)} this process ${median(own).toFixed(1)} (${Math.min(...own).toFixed(1)}), recorder ${median(results[mode].map((r) => r.recorderUs)).toFixed(1)}, total ${median(total).toFixed(1)} (${Math.min(...total).toFixed(1)}), total less discard ${(median(total) - base).toFixed(1)}\n`,
      );
    }
  } finally {
    await remote.close(2_000);
    await local.close();
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
});
