/**
 * A writer process for the crash tests (test/journal-crash.test.ts), run from dist/ and killed with
 * -9 under load: `node dist/recorder/testing/crash-writer.js DIR strict|batched`. It appends
 * statement events as fast as it can and prints `ack N` once statement N is durable (strict: its
 * promise resolved; batched: a flush() called after it resolved).
 */
import { openJournalWriter } from '../journal-writer.js';
import { statementStarted } from './sample-events.js';

const [dir, durability] = process.argv.slice(2);
if (dir === undefined || (durability !== 'strict' && durability !== 'batched')) {
  process.stderr.write('usage: crash-writer DIR strict|batched\n');
  process.exit(2);
}

const writer = await openJournalWriter({
  dir,
  durability,
  batchWindowMs: 10,
  checkpointEveryRecords: 500,
  checkpointEveryMs: 50,
  segmentMaxBytes: 64 * 1024,
});
process.stdout.write('ready\n');

let n = 0;
let acked = 0;
const ack = (upTo: number) => {
  if (upTo > acked) {
    acked = upTo;
    process.stdout.write(`ack ${upTo}\n`);
  }
};

if (durability === 'strict') {
  // Keep a bounded number of sessions in flight, like a proxy with many clients.
  const loop = async (session: string) => {
    for (;;) {
      const statement = ++n;
      await writer.append(statementStarted(session, statement));
      ack(statement);
    }
  };
  for (let s = 0; s < 16; s++) void loop(`session-${s}`);
} else {
  // Bursts of appends without waiting, each followed by a flush: load with backpressure, as a proxy's
  // sockets would give it.
  for (;;) {
    for (let i = 0; i < 500; i++) writer.appendWithoutWaiting(statementStarted('batched', ++n));
    const upTo = n;
    await writer.flush();
    ack(upTo);
  }
}
