/** A pgtrail proxy that records into a real journal, as `pgtrail start` does: for search and replay tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config, Durability } from '../../config/config.js';
import { defaultConfig } from '../../config/defaults.js';
import type { PostgresInfo } from '../../embedded/postgres-server.js';
import pino from 'pino';
import { startOffThreadRecording } from '../../proxy/offthread/offthread-recording.js';
import { createStatementObserver, systemClock } from '../../proxy/statements/statement-observer.js';
import { createJournalSink } from '../../recorder/journal-sink.js';
import { openJournalWriter, type JournalWriter } from '../../recorder/journal-writer.js';
import { ensureSigningKey } from '../../recorder/signing-key.js';
import { startTestProxy, testProxyConfig, type TestProxy } from './test-proxy.js';

/** A recording proxy, its journal directory, and how to stop both (and remove the directory). */
export interface RecordingProxy {
  readonly proxy: TestProxy;
  readonly journal: string;
  readonly writer: JournalWriter;
  /** Stops the proxy and closes the journal (a final checkpoint); the directory stays. */
  stop(): Promise<void>;
  /** Removes the journal directory. */
  remove(): void;
}

/** The recording thread as built (npm test builds before it tests): a worker runs JavaScript. */
const builtThread = new URL('../../dist/proxy/offthread/recording-thread.js', import.meta.url);

/** A proxy recording on a worker thread (recording.thread): the writer is the thread's, out of reach. */
export type ThreadRecordingProxy = Omit<RecordingProxy, 'writer'>;

/** Starts a proxy in front of `pg` recording into a fresh journal on a worker thread (batched durability). */
export async function startThreadRecordingProxy(
  pg: PostgresInfo,
  options: { readonly captureRows?: number; readonly batchWindowMs?: number } = {},
): Promise<ThreadRecordingProxy> {
  const journal = mkdtempSync(join(tmpdir(), 'pgtrail-journal-'));
  const base = testProxyConfig(pg);
  const config: Config = {
    ...base,
    journal: { ...base.journal, dir: journal, durability: 'batched', batchWindowMs: options.batchWindowMs ?? 5 },
    recording: { ...base.recording, captureRows: options.captureRows ?? 0, thread: true },
  };
  const logger = pino({ level: process.env.PGTRAIL_TEST_LOG ?? 'silent' });
  const recording = await startOffThreadRecording(config, logger, null, builtThread);
  const proxy = await startTestProxy(pg, { sink: recording.sink, tap: recording.tap });
  return recordingHandle(proxy, journal, () => recording.close());
}

/** Stops the proxy, then the recording (once); removes the journal and its key. */
function recordingHandle(proxy: TestProxy, journal: string, closeRecording: () => Promise<void>): ThreadRecordingProxy {
  let stopped = false;
  return {
    proxy,
    journal,
    async stop() {
      if (stopped) return;
      stopped = true;
      await proxy.close();
      await closeRecording();
    },
    remove() {
      rmSync(journal, { recursive: true, force: true });
      rmSync(`${journal}.signing-key`, { force: true });
    },
  };
}

/** Witnesses for a journal whose verifier key is `vkey` (started once the key exists, before the writer). */
export type WitnessesFor = (vkey: string) => Promise<Config['journal']['witnesses']>;

/** Starts a proxy in front of `pg` recording into a fresh journal (batched unless told, captureRows rows captured). */
export async function startRecordingProxy(
  pg: PostgresInfo,
  options: {
    readonly captureRows?: number;
    readonly witnesses?: WitnessesFor;
    readonly durability?: Durability;
    readonly batchWindowMs?: number;
  } = {},
): Promise<RecordingProxy> {
  const durability = options.durability ?? 'batched';
  const journal = mkdtempSync(join(tmpdir(), 'pgtrail-journal-'));
  const vkey = await ensureSigningKey(journal);
  const writer = await openJournalWriter({
    ...defaultConfig.journal,
    dir: journal,
    durability,
    batchWindowMs: options.batchWindowMs ?? 5,
    witnesses: options.witnesses ? await options.witnesses(vkey) : [],
  });
  const observe = createStatementObserver({
    recording: { ...defaultConfig.recording, captureRows: options.captureRows ?? 0 },
    clock: systemClock,
  });
  const proxy = await startTestProxy(pg, { observe, sink: createJournalSink(writer, durability) });
  return { ...recordingHandle(proxy, journal, () => writer.close()), writer };
}
