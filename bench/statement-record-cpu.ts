/**
 * Recording CPU per statement in one process (issue 16), without sockets: the statement observer,
 * the recorder (redaction in front of the journal sink, recorder/recorder.ts) and a real batched
 * journal writer on a temporary directory, fed the traffic of pgbench -S -M prepared from 8 sessions
 * at once (each transaction: Bind, Execute, Sync; BindComplete, one DataRow, CommandComplete,
 * ReadyForQuery), yielding to the event loop between rounds of the 8 so the writer's batch timer
 * runs as it does in the proxy. Prints the process's CPU time (user + system, every thread:
 * process.cpuUsage) per transaction as the minimum over rounds, which survives a loaded machine
 * better than wall time, and the journal's records and bytes per transaction.
 *
 * With --observer-only the events go to a sink that drops them: what the observer alone costs,
 * to subtract from the full pipeline's figure.
 *
 * Usage: node dist/bench/statement-record-cpu.js [--rounds N] [--transactions N] [--window MS] [--observer-only]
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serialize } from 'pg-protocol';
import { defaultConfig } from '../config/defaults.js';
import { BackendCode } from '../proxy/protocol/message-codes.js';
import { createStatementObserver, systemClock } from '../proxy/statements/statement-observer.js';
import { serverBody } from '../proxy/statements/testing/server-frames.js';
import type { TrafficObserver } from '../proxy/traffic-observer.js';
import { discardingSink } from '../recorder/events.js';
import { openRecorder } from '../recorder/recorder.js';

const sessions = 8;

/** One round: a fresh journal, `transactions` transactions; CPU µs, records and bytes per transaction. */
async function round(transactions: number, windowMs: number, observerOnly: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'pgtrail-statement-cpu-'));
  try {
    const recorder = await openRecorder(
      { ...defaultConfig.journal, dir, keyFile: join(`${dir}.key`), durability: 'batched', batchWindowMs: windowMs },
      defaultConfig.recording,
      () => undefined,
    );
    const factory = createStatementObserver({ recording: defaultConfig.recording, clock: systemClock });
    const observers: TrafficObserver[] = [];
    for (let s = 0; s < sessions; s++) {
      observers.push(
        factory({
          session: `bench-session-${s}`,
          identity: { user: 'bench', method: { kind: 'passthrough' } },
          database: 'bench',
          role: 'bench',
          serverParams: new Map([['client_encoding', 'UTF8']]),
          client: { address: '127.0.0.1', port: 40_000 + s },
          sink: observerOnly ? discardingSink : recorder.sink,
        }),
      );
    }
    const sql = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1;';
    const client = (o: TrafficObserver, frame: Buffer) => o.clientMessage(frame[0] as number, frame.subarray(5));
    for (const o of observers) {
      client(o, serialize.parse({ name: 'P0_1', text: sql, types: [] }));
      client(o, serialize.describe({ type: 'S', name: 'P0_1' }));
      client(o, serialize.sync());
      o.serverMessage(BackendCode.ParseComplete, Buffer.alloc(0));
      o.serverMessage(BackendCode.ParameterDescription, serverBody.parameterDescription([23]));
      o.serverMessage(BackendCode.RowDescription, serverBody.rowDescription([{ name: 'abalance', typeOid: 23 }]));
      o.serverMessage(BackendCode.ReadyForQuery, serverBody.readyForQuery('I'));
    }
    await recorder.writer.flush();
    const execute = serialize.execute({ portal: '' });
    const sync = serialize.sync();
    const commandComplete = serverBody.commandComplete('SELECT 1');
    const ready = serverBody.readyForQuery('I');
    const sizeBefore = recorder.writer.size;
    const bytesBefore = await journalBytes(dir);
    const cpu = process.cpuUsage();
    for (let t = 0; t < transactions; t += sessions) {
      for (let s = 0; s < sessions; s++) {
        const o = observers[s]!;
        client(o, serialize.bind({ statement: 'P0_1', portal: '', values: [String(1 + ((t + s) % 100_000))] }));
        client(o, execute);
        client(o, sync);
      }
      for (let s = 0; s < sessions; s++) {
        const o = observers[s]!;
        o.serverMessage(BackendCode.BindComplete, Buffer.alloc(0));
        const row = serverBody.dataRow([String(-(t + s) % 5000)]);
        o.serverDataPiece(BackendCode.DataRow, row, true, true);
        o.serverMessage(BackendCode.CommandComplete, commandComplete);
        o.serverMessage(BackendCode.ReadyForQuery, ready);
      }
      await new Promise((r) => setImmediate(r));
    }
    await recorder.writer.flush();
    const used = process.cpuUsage(cpu);
    const records = recorder.writer.size - sizeBefore;
    const bytes = (await journalBytes(dir)) - bytesBefore;
    await recorder.close();
    return {
      cpuUs: (used.user + used.system) / transactions,
      records: records / transactions,
      bytes: bytes / transactions,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.key`, { force: true });
  }
}

async function journalBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) if (name.startsWith('segment-')) total += (await stat(join(dir, name))).size;
  return total;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '15' },
      transactions: { type: 'string', default: '20000' },
      window: { type: 'string', default: String(defaultConfig.journal.batchWindowMs) },
      'observer-only': { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const transactions = Number(values.transactions);
  const results = [];
  for (let r = 0; r < rounds; r++)
    results.push(await round(transactions, Number(values.window), values['observer-only']));
  const cpu = results.map((r) => r.cpuUs).sort((a, b) => a - b);
  const last = results[results.length - 1]!;
  console.log(
    `${values['observer-only'] ? 'observer-only' : 'recording'} CPU per transaction (pgbench -S -M prepared traffic, ${sessions} sessions, ${transactions} transactions, ${rounds} rounds): ` +
      `min ${cpu[0]!.toFixed(2)} µs, median ${cpu[Math.floor(cpu.length / 2)]!.toFixed(2)} µs; ` +
      `journal records per transaction ${last.records.toFixed(3)}, bytes ${last.bytes.toFixed(0)}`,
  );
}

await main();
