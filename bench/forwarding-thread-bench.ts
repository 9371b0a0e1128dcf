/**
 * The forwarding thread's recording work without sockets: pgbench -S's frames (simple and prepared)
 * through the client and server frame readers, the statement observer and, with `--sink journal`,
 * redaction and the batched journal writer, as a session of `pgtrail start --durability batched`
 * runs them. It reports CPU time (process.cpuUsage, all threads) per transaction as the minimum over
 * rounds, which survives a loaded machine where TPS does not, and the young garbage per transaction
 * (heap growth over a round run without a scavenge: start node with --min-semi-space-size and
 * --max-semi-space-size large enough, e.g. 256).
 *
 * `node --min-semi-space-size=256 --max-semi-space-size=256 dist/bench/forwarding-thread-bench.js
 *  [--mode simple|prepared] [--sink none|journal] [--transactions N] [--rounds N]`
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { serialize } from 'pg-protocol';
import { defaultConfig } from '../config/defaults.js';
import type { EventSink, TrailEvent } from '../recorder/events.js';
import { createJournalSink } from '../recorder/journal-sink.js';
import { openJournalWriter, type JournalWriter } from '../recorder/journal-writer.js';
import { createRedactor } from '../recorder/redaction.js';
import { createSigningKey } from '../recorder/signing-key.js';
import { ClientFrameReader } from '../proxy/protocol/client-frame-reader.js';
import { BackendCode } from '../proxy/protocol/message-codes.js';
import { ServerFrameReader } from '../proxy/protocol/server-frame-reader.js';
import { createStatementObserver, systemClock } from '../proxy/statements/statement-observer.js';
import { serverBody } from '../proxy/statements/testing/server-frames.js';

/** What one measurement ran. */
export interface ForwardingThreadOptions {
  readonly mode: 'simple' | 'prepared';
  /** 'none': events are dropped (the observer alone); 'journal': redaction and the batched writer. */
  readonly sink: 'none' | 'journal';
  readonly transactions: number;
  readonly rounds: number;
}

/** CPU and garbage per transaction, each the minimum over the rounds. */
export interface ForwardingThreadResult {
  readonly cpuMicros: number;
  readonly garbageBytes: number;
}

/** Transactions between turns of the event loop: about a 20 ms batch window at 8,000 tx/s. */
const SLICE = 160;

const query = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1';

function frame(code: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = code;
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** The server's answer to one pgbench -S transaction (BindComplete first in prepared mode). */
function serverAnswer(mode: 'simple' | 'prepared', aid: number): Buffer {
  return Buffer.concat([
    ...(mode === 'prepared' ? [frame(BackendCode.BindComplete, Buffer.alloc(0))] : []),
    frame(BackendCode.RowDescription, serverBody.rowDescription([{ name: 'abalance', typeOid: 23 }])),
    frame(BackendCode.DataRow, serverBody.dataRow([String(aid % 5000)])),
    frame(BackendCode.CommandComplete, serverBody.commandComplete('SELECT 1')),
    frame(BackendCode.ReadyForQuery, serverBody.readyForQuery('I')),
  ]);
}

/** The client's bytes of one pgbench -S transaction. */
function clientRequest(mode: 'simple' | 'prepared', aid: number): Buffer {
  if (mode === 'simple') return serialize.query(`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`);
  return Buffer.concat([
    serialize.bind({ statement: 'P_0', values: [String(aid)] }),
    serialize.describe({ type: 'P', name: '' }),
    serialize.execute({}),
    serialize.sync(),
  ]);
}

async function openSink(
  dir: string,
  kind: 'none' | 'journal',
): Promise<{ sink: EventSink; writer: JournalWriter | null }> {
  if (kind === 'none') return { sink: { record: () => null }, writer: null };
  await createSigningKey(dir);
  const writer = await openJournalWriter({ ...defaultConfig.journal, dir, durability: 'batched' });
  const journal = createJournalSink(writer, 'batched');
  const redactor = await createRedactor([]);
  return { sink: { record: (event: TrailEvent) => journal.record(redactor.redact(event)) }, writer };
}

/** Runs the measurement (see the file comment). */
export async function runForwardingThreadBench(options: ForwardingThreadOptions): Promise<ForwardingThreadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'pgtrail-fwd-bench-'));
  const { sink, writer } = await openSink(dir, options.sink);
  const observe = createStatementObserver({
    recording: { captureRows: 0, captureBytes: 65536, thread: false, threadNice: 0, redaction: [] },
    clock: systemClock,
  });
  const observer = observe({
    session: 'bench-session',
    identity: { user: 'bench', method: { kind: 'passthrough' } },
    database: 'bench',
    role: 'bench',
    serverParams: new Map([
      ['client_encoding', 'UTF8'],
      ['standard_conforming_strings', 'on'],
    ]),
    client: { address: '127.0.0.1', port: 5555 },
    sink,
  });
  let forwarded = 0;
  const clientReader = new ClientFrameReader(1 << 30, observer, (bytes) => {
    forwarded += bytes.length;
  });
  const serverReader = new ServerFrameReader(1 << 30, observer);
  // As the forwarder: headers checked before the chunk is written, the observer's reader after.
  const serverCheck = new ServerFrameReader(1 << 30, null);
  // Requests differ in their parameter as pgbench's do; 1,000 of them are reused round after round.
  const requests = Array.from({ length: 1000 }, (_, i) => clientRequest(options.mode, 10_007 * i + 1));
  const answers = Array.from({ length: 1000 }, (_, i) => serverAnswer(options.mode, 10_007 * i + 1));
  if (options.mode === 'prepared') {
    clientReader.push(Buffer.concat([serialize.parse({ name: 'P_0', text: query, types: [] }), serialize.sync()]));
    serverReader.push(
      Buffer.concat([frame(BackendCode.ParseComplete, Buffer.alloc(0)), serverAnswer('simple', 0).subarray(-6)]),
    );
  }
  let cpuMicros = Number.POSITIVE_INFINITY;
  let garbageBytes = Number.POSITIVE_INFINITY;
  for (let round = 0; round < options.rounds; round++) {
    const heapBefore = getHeapStatistics().used_heap_size;
    const before = process.cpuUsage();
    for (let done = 0; done < options.transactions; ) {
      const end = Math.min(options.transactions, done + SLICE);
      for (; done < end; done++) {
        if (clientReader.push(requests[done % 1000] as Buffer) !== null) throw new Error('the sink gated a statement');
        const answer = answers[done % 1000] as Buffer;
        serverCheck.push(answer);
        serverReader.push(answer);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writer?.flush();
    const used = process.cpuUsage(before);
    const heapAfter = getHeapStatistics().used_heap_size;
    cpuMicros = Math.min(cpuMicros, (used.user + used.system) / options.transactions);
    garbageBytes = Math.min(garbageBytes, (heapAfter - heapBefore) / options.transactions);
    (globalThis as { gc?: () => void }).gc?.();
  }
  if (forwarded === 0) throw new Error('nothing was forwarded');
  await writer?.close();
  await rm(dir, { recursive: true, force: true });
  return { cpuMicros, garbageBytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'prepared' },
      sink: { type: 'string', default: 'journal' },
      transactions: { type: 'string', default: '20000' },
      rounds: { type: 'string', default: '10' },
    },
  });
  const result = await runForwardingThreadBench({
    mode: values.mode === 'simple' ? 'simple' : 'prepared',
    sink: values.sink === 'none' ? 'none' : 'journal',
    transactions: Number(values.transactions),
    rounds: Number(values.rounds),
  });
  console.log(
    `${values.mode} sink=${values.sink}: ${result.cpuMicros.toFixed(2)} µs CPU/tx, ${Math.round(result.garbageBytes)} B young garbage/tx (min of ${values.rounds} rounds)`,
  );
}
