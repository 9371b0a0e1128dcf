/**
 * Records per CPU-second one recorder service sustains from several proxies: each proxy is the real
 * proxy-side sink and link (recorder/remote/) in this process, recording statements (a
 * statement.started and its statement.finished) as fast as the recorder acknowledges them (batched
 * durability, the sink's own bound on unacknowledged bytes pacing it). A batched sink sends most
 * statements as one `statement` event (docs/journal-format.md §14), so the records counted are the
 * events the recorder acknowledged (each one journal record), not the events recorded. Only the
 * recorder process's CPU is counted.
 */
import { pino } from 'pino';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { RemoteSink } from '../recorder/remote/remote-sink.js';
import { linkedSink } from '../recorder/remote/testing/linked-sink.js';
import { statementFinished, statementStarted } from '../recorder/testing/sample-events.js';
import { processCpuSeconds } from './process-cpu.js';

/** What one load run measured. */
export interface RecorderLoadResult {
  readonly proxies: number;
  /** Journal records the recorder wrote and acknowledged (relayed events). */
  readonly records: number;
  /** Statements recorded (each one or two records). */
  readonly statements: number;
  readonly recorderCpuSeconds: number;
  readonly wallSeconds: number;
  readonly recordsPerCpuSecond: number;
}

/** Drives `proxies` sinks against the recorder at `url` for `seconds`; `recorderPid` is billed. */
export async function loadRecorder(
  url: string,
  token: string,
  recorderPid: number,
  proxies: number,
  seconds: number,
): Promise<RecorderLoadResult> {
  const logger = pino({ level: 'silent' });
  const sinks = await Promise.all(
    Array.from({ length: proxies }, (_, i) =>
      linkedSink({
        url,
        token,
        instance: `bench-proxy-${i}-${process.pid}`,
        durability: 'batched',
        batchWindowMs: 10,
        maxUnackedBytes: 4 * 1024 * 1024,
        logger,
      }),
    ),
  );
  const cpuBefore = processCpuSeconds(recorderPid);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const counts = await Promise.all(sinks.map(({ sink }, i) => drive(sink, `b${i}`, deadline)));
  for (const { sink } of sinks) while (sink.unacknowledged > 0) await new Promise((r) => setTimeout(r, 5));
  const wallSeconds = (performance.now() - started) / 1000;
  const recorderCpuSeconds = processCpuSeconds(recorderPid) - cpuBefore;
  for (const { link } of sinks) link.close();
  const statements = counts.reduce((a, b) => a + b, 0);
  // Sequence numbers continue across runs of the same instance names: count from each Welcome.
  const records = sinks.reduce((sum, { sink, welcomedSeq }) => sum + sink.acknowledgedSeq - welcomedSeq, 0);
  return {
    proxies,
    records,
    statements,
    recorderCpuSeconds,
    wallSeconds,
    recordsPerCpuSecond: records / recorderCpuSeconds,
  };
}

/** Records statements until the deadline; returns how many. */
async function drive(sink: RemoteSink, session: string, deadline: number): Promise<number> {
  let n = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 200; i++) {
      n++;
      const waitStarted = sink.record(statementStarted(session, n));
      const waitFinished = sink.record(statementFinished(session, n));
      if (waitStarted !== null || waitFinished !== null) await Promise.all([waitStarted, waitFinished]);
    }
    await yieldToLoop();
  }
  return n;
}
